//! The block circuit keys an agent proves with: one key pair per state configuration (the
//! witness says which), loaded from the key cache the first time a job needs it.

use std::sync::{Arc, Mutex};

use fernet_circuits::{
    block::prover::{default_key_cache_dir, devnet_keys},
    keys::{KeyCache, KeyPair},
    Groth16Bn254,
};
use fernet_state::StateConfig;

use crate::error::{Error, Result};

/// Key pairs by configuration, limited to the configurations the agent accepts (a witness of
/// any other one is refused instead of starting a setup of unknown size).
pub struct BlockKeys {
    cache: KeyCache,
    accepted: Vec<StateConfig>,
    loaded: Mutex<Vec<(StateConfig, Arc<KeyPair<Groth16Bn254>>)>>,
}

impl std::fmt::Debug for BlockKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockKeys")
            .field("cache", &self.cache)
            .field("accepted", &self.accepted)
            .finish_non_exhaustive()
    }
}

impl BlockKeys {
    /// Keys from `cache` for the `accepted` configurations.
    pub fn new(cache: KeyCache, accepted: Vec<StateConfig>) -> Self {
        Self {
            cache,
            accepted,
            loaded: Mutex::new(Vec::new()),
        }
    }

    /// Keys from the default cache (`$FERNET_KEY_CACHE`, else `target/fernet-keys`) for the
    /// devnet and production configurations.
    pub fn from_default_cache() -> Self {
        Self::new(
            KeyCache::new(default_key_cache_dir()),
            vec![StateConfig::devnet(), StateConfig::production()],
        )
    }

    /// The **INSECURE** devnet keys of `config` (see `fernet_circuits::keys`): loaded from the
    /// cache, or set up and cached, on first use. Blocking: call it off the async runtime.
    /// Concurrent callers wait for one load.
    pub fn get(&self, config: &StateConfig) -> Result<Arc<KeyPair<Groth16Bn254>>> {
        if !self.accepted.contains(config) {
            return Err(Error::UnsupportedConfig(*config));
        }
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some((_, keys)) = loaded.iter().find(|(known, _)| known == config) {
            return Ok(Arc::clone(keys));
        }
        let started = std::time::Instant::now();
        let keys = Arc::new(devnet_keys(&self.cache, *config, None)?);
        tracing::info!(
            cache = %self.cache.dir().display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "block circuit keys loaded for {config:?}"
        );
        loaded.push((*config, Arc::clone(&keys)));
        Ok(keys)
    }
}
