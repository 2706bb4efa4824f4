//! The block circuit keys an agent proves with: one key pair per state configuration (the
//! witness says which), loaded from the key cache the first time a job needs it; the
//! verifying keys the broker checks every delivered proof against ([`VerifyingKeys`]); and the
//! start-up check that they are the keys of the deployed verifier ([`BlockKeys::check_hash`]).

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use fernet_circuits::{
    block::prover::{default_key_cache_dir, devnet_keys},
    keys::{KeyCache, KeyPair},
    proof_system::evm::verifying_key_hash,
    Groth16Bn254,
};
use fernet_primitives::Deployment;
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
        let keys = Arc::new(devnet_keys(
            &self.cache,
            *config,
            config.max_txs_per_block,
            None,
        )?);
        tracing::info!(
            cache = %self.cache.dir().display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "block circuit keys loaded for {config:?}"
        );
        loaded.push((*config, Arc::clone(&keys)));
        Ok(keys)
    }
}

impl BlockKeys {
    /// These keys restricted to those of the deployed verifier, whose `verificationKeyHash()`
    /// is `expected`: the keys of `config` (the deployment's state configuration) when known,
    /// else of the accepted configuration whose key has that hash. Refuses
    /// ([`Error::VerifyingKeyMismatch`], both hashes named) when none matches: proofs made with
    /// other keys could never be used on L1. Blocking (loads or sets up the keys).
    pub fn for_verifier(self, config: Option<StateConfig>, expected: [u8; 32]) -> Result<Self> {
        let config = match config {
            Some(config) => {
                self.check_hash(&config, expected)?;
                config
            }
            None => self.config_of_hash(expected)?,
        };
        tracing::info!(
            verification_key_hash = %fernet_broker_api::hex::encode(&expected),
            "block circuit keys match the deployed verifier for {config:?}"
        );
        Ok(self.only(config))
    }

    /// Checks that the keys of `config` hash to `expected`; loads (or sets up) them first.
    fn check_hash(&self, config: &StateConfig, expected: [u8; 32]) -> Result<()> {
        let actual = verifying_key_hash(&self.get(config)?.verifying_key);
        if actual != expected {
            return Err(Error::VerifyingKeyMismatch {
                config: *config,
                expected: fernet_broker_api::hex::encode(&expected),
                actual: fernet_broker_api::hex::encode(&actual),
            });
        }
        Ok(())
    }

    /// The accepted configuration whose verifying key hashes to `expected` (tried in order;
    /// loads or sets up their keys).
    fn config_of_hash(&self, expected: [u8; 32]) -> Result<StateConfig> {
        let mut hashes = Vec::new();
        for config in &self.accepted {
            match self.check_hash(config, expected) {
                Ok(()) => return Ok(*config),
                Err(Error::VerifyingKeyMismatch { actual, .. }) => hashes.push(actual),
                Err(error) => return Err(error),
            }
        }
        Err(Error::VerifyingKeyMismatch {
            config: self
                .accepted
                .first()
                .copied()
                .unwrap_or_else(StateConfig::devnet),
            expected: fernet_broker_api::hex::encode(&expected),
            actual: hashes.join(" or "),
        })
    }

    /// These keys restricted to `config` (keys loaded already are kept).
    fn only(self, config: StateConfig) -> Self {
        let mut loaded = self
            .loaded
            .into_inner()
            .unwrap_or_else(|poison| poison.into_inner());
        loaded.retain(|(known, _)| *known == config);
        Self {
            cache: self.cache,
            accepted: vec![config],
            loaded: Mutex::new(loaded),
        }
    }
}

/// The verifying keys of the block circuit, by state configuration: what the broker checks
/// every delivered proof against before it marks a job proven.
pub trait VerifyingKeys: Send + Sync + std::fmt::Debug {
    /// The verifying key of the block circuit of `config`. Blocking (it may load keys).
    fn verifying_key(&self, config: &StateConfig) -> Result<Arc<VerifyingKey<Bn254>>>;
}

impl VerifyingKeys for BlockKeys {
    fn verifying_key(&self, config: &StateConfig) -> Result<Arc<VerifyingKey<Bn254>>> {
        Ok(Arc::new(self.get(config)?.verifying_key.clone()))
    }
}

/// What the deployed verifier expects, from the deployment record `deployment_file` (its state
/// configuration and `verificationKeyHash`) or else from `verification_key_hash` (`0x` and 64
/// hex digits); `None` when neither is given. Feed it to [`BlockKeys::for_verifier`].
pub fn deployed_verifier(
    deployment_file: Option<&Path>,
    verification_key_hash: Option<&str>,
) -> Result<Option<(Option<StateConfig>, [u8; 32])>> {
    if let Some(path) = deployment_file {
        let unusable = |reason: String| Error::VerifierSource {
            name: "DEPLOYMENT_FILE",
            reason: format!("{}: {reason}", path.display()),
        };
        let deployment = Deployment::read(path)
            .map_err(|error| unusable(error.to_string()))?
            .ok_or_else(|| unusable("no such file".into()))?;
        return Ok(Some((
            Some(deployment.state_config),
            deployment.verification_key_hash.0,
        )));
    }
    verification_key_hash
        .map(|text| {
            fernet_broker_api::hex::decode_word(text).map_err(|reason| Error::VerifierSource {
                name: "PROVER_VERIFICATION_KEY_HASH",
                reason,
            })
        })
        .transpose()
        .map(|hash| hash.map(|hash| (None, hash)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployed_verifier_comes_from_the_deployment_or_the_hash() {
        assert!(deployed_verifier(None, None).unwrap().is_none());
        let hash = format!("0x{}", "ab".repeat(32));
        assert_eq!(
            deployed_verifier(None, Some(&hash)).unwrap(),
            Some((None, [0xab; 32]))
        );
        let error = deployed_verifier(None, Some("0x12")).unwrap_err();
        assert!(
            matches!(
                &error,
                Error::VerifierSource {
                    name: "PROVER_VERIFICATION_KEY_HASH",
                    ..
                }
            ),
            "{error}"
        );
        let missing = Path::new("/nonexistent/31337.json");
        let error = deployed_verifier(Some(missing), Some(&hash)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "DEPLOYMENT_FILE: /nonexistent/31337.json: no such file"
        );
    }
}
