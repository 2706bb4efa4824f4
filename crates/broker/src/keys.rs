//! The block circuit keys an agent proves with: one key pair per state configuration and
//! proof size (the witness says which: a whole block, or a chunk of the configuration's chunk
//! size), loaded from their [`BlockKeySource`] (a ceremony's export, or the insecure devnet key
//! cache) the first time a job needs it; the verifying keys the broker checks every delivered
//! proof against ([`VerifyingKeys`]); and the check that they are the keys of the deployed
//! verifiers, from the setup the deployment records ([`BlockKeys::for_verifier`]).

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use fernet_circuits::{
    block::prover::{default_key_cache_dir, BlockKeySource},
    keys::{KeyCache, KeyPair},
    proof_system::evm::verifying_key_hash,
    Groth16Bn254,
};
use fernet_primitives::{CircuitKeys, Deployment};
use fernet_state::StateConfig;

use crate::error::{Error, Result};

/// The key hashes of a deployment's two verifiers, and its state configuration and the origin
/// of its keys when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployedVerifiers {
    /// The setup the deployment's keys come from (`None`: unknown, only the hashes are
    /// checked).
    pub circuit_keys: Option<CircuitKeys>,
    /// The deployment's state configuration (`None`: found from the block key hash).
    pub config: Option<StateConfig>,
    /// `verificationKeyHash()` of the block verifier.
    pub block: [u8; 32],
    /// `verificationKeyHash()` of the chunk verifier, when known (a bare hash names only the
    /// block verifier).
    pub chunk: Option<[u8; 32]>,
}

/// A circuit's keys by what names them: the state configuration and the tx slots per proof.
type LoadedKeys = Vec<((StateConfig, usize), Arc<KeyPair<Groth16Bn254>>)>;

/// Key pairs by configuration and proof size, limited to the configurations the agent accepts
/// (a witness of any other one is refused instead of starting a setup of unknown size).
pub struct BlockKeys {
    source: BlockKeySource,
    accepted: Vec<StateConfig>,
    /// The deployed chunk verifier's key hash, checked when chunk keys are first loaded.
    chunk_hash: Option<[u8; 32]>,
    loaded: Mutex<LoadedKeys>,
}

impl std::fmt::Debug for BlockKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockKeys")
            .field("source", &self.source)
            .field("accepted", &self.accepted)
            .finish_non_exhaustive()
    }
}

impl BlockKeys {
    /// Keys from `source` for the `accepted` configurations.
    pub fn new(source: BlockKeySource, accepted: Vec<StateConfig>) -> Self {
        Self {
            source,
            accepted,
            chunk_hash: None,
            loaded: Mutex::new(Vec::new()),
        }
    }

    /// The **INSECURE** devnet keys of the default cache (`$FERNET_KEY_CACHE`, else
    /// `target/fernet-keys`) for the devnet and production configurations.
    pub fn from_default_cache() -> Self {
        Self::new(
            BlockKeySource::InsecureDevnet(KeyCache::new(default_key_cache_dir())),
            Self::default_accepted(),
        )
    }

    /// The keys of the ceremony export in `$FERNET_CEREMONY_KEYS` when set, else those of
    /// [`Self::from_default_cache`] ([`BlockKeySource::from_env`]), for the devnet and
    /// production configurations. Fails when the export's manifest cannot be read.
    pub fn from_env() -> Result<Self> {
        let source = BlockKeySource::from_env()?;
        tracing::info!(keys = %source, "block circuit key source");
        Ok(Self::new(source, Self::default_accepted()))
    }

    /// The configurations [`Self::from_env`] accepts: the devnet's and the production's.
    fn default_accepted() -> Vec<StateConfig> {
        vec![StateConfig::devnet(), StateConfig::production()]
    }

    /// The keys of `config` for proofs of `txs` tx slots: the whole block
    /// (`max_txs_per_block`) or a chunk of [`StateConfig::chunk_txs`]. Loaded from the source
    /// (for the **INSECURE** devnet keys: set up and cached when missing) on first use; chunk
    /// keys are checked against the deployed chunk verifier's hash then. Blocking: call it off
    /// the async runtime. Concurrent callers wait for one load.
    pub fn get(&self, config: &StateConfig, txs: usize) -> Result<Arc<KeyPair<Groth16Bn254>>> {
        let whole = txs == config.max_txs_per_block;
        if !self.accepted.contains(config) || !(whole || config.chunk_txs().ok() == Some(txs)) {
            return Err(Error::UnsupportedConfig {
                config: *config,
                txs,
            });
        }
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some((_, keys)) = loaded.iter().find(|(known, _)| *known == (*config, txs)) {
            return Ok(Arc::clone(keys));
        }
        let started = std::time::Instant::now();
        let keys = Arc::new(self.source.keys(*config, txs)?);
        if let (false, Some(expected)) = (whole, self.chunk_hash) {
            check_hash(config, txs, &keys, expected, "chunkVerificationKeyHash")?;
        }
        tracing::info!(
            source = %self.source,
            txs,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "block circuit keys loaded for {config:?}"
        );
        loaded.push(((*config, txs), Arc::clone(&keys)));
        Ok(keys)
    }

    /// These keys restricted to those of the deployed verifiers. First their origin: keys of
    /// another setup than the one the deployment records (another ceremony's transcript hash,
    /// or insecure keys against a ceremony's verifiers, or the reverse) are refused with
    /// [`Error::KeyOriginMismatch`] before any key is loaded. Then the keys of the deployment's
    /// state configuration when known, else of the accepted configuration whose block key has
    /// the block verifier's hash (refused with [`Error::VerifyingKeyMismatch`], both hashes
    /// named, when none matches: proofs made with other keys could never be used on L1). The
    /// chunk keys are checked against the chunk verifier's hash when first loaded. Blocking
    /// (loads or sets up the block keys).
    pub fn for_verifier(mut self, deployed: DeployedVerifiers) -> Result<Self> {
        if let Some(expected) = deployed.circuit_keys {
            let actual = CircuitKeys::of_transcript(self.source.transcript_hash());
            if actual != expected {
                return Err(Error::KeyOriginMismatch { expected, actual });
            }
        }
        self.chunk_hash = deployed.chunk;
        let config = match deployed.config {
            Some(config) => {
                self.check_block_hash(&config, deployed.block)?;
                config
            }
            None => self.config_of_hash(deployed.block)?,
        };
        tracing::info!(
            verification_key_hash = %fernet_broker_api::hex::encode(&deployed.block),
            "block circuit keys match the deployed verifier for {config:?}"
        );
        Ok(self.only(config))
    }

    /// Checks that the block keys of `config` hash to `expected`; loads (or sets up) them first.
    fn check_block_hash(&self, config: &StateConfig, expected: [u8; 32]) -> Result<()> {
        let txs = config.max_txs_per_block;
        check_hash(
            config,
            txs,
            &*self.get(config, txs)?,
            expected,
            "verificationKeyHash",
        )
    }

    /// The accepted configuration whose block verifying key hashes to `expected` (tried in
    /// order; loads or sets up their keys).
    fn config_of_hash(&self, expected: [u8; 32]) -> Result<StateConfig> {
        let mut hashes = Vec::new();
        for config in &self.accepted {
            match self.check_block_hash(config, expected) {
                Ok(()) => return Ok(*config),
                Err(Error::VerifyingKeyMismatch { actual, .. }) => hashes.push(actual),
                Err(error) => return Err(error),
            }
        }
        let config = self
            .accepted
            .first()
            .copied()
            .unwrap_or_else(StateConfig::devnet);
        Err(Error::VerifyingKeyMismatch {
            config,
            txs: config.max_txs_per_block,
            verifier: "verificationKeyHash",
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
        loaded.retain(|((known, _), _)| *known == config);
        Self {
            source: self.source,
            accepted: vec![config],
            chunk_hash: self.chunk_hash,
            loaded: Mutex::new(loaded),
        }
    }
}

/// Checks that `keys` (of `config`, `txs` slots per proof) hash to the deployment's `verifier`
/// hash `expected`.
fn check_hash(
    config: &StateConfig,
    txs: usize,
    keys: &KeyPair<Groth16Bn254>,
    expected: [u8; 32],
    verifier: &'static str,
) -> Result<()> {
    let actual = verifying_key_hash(&keys.verifying_key);
    if actual != expected {
        return Err(Error::VerifyingKeyMismatch {
            config: *config,
            txs,
            verifier,
            expected: fernet_broker_api::hex::encode(&expected),
            actual: fernet_broker_api::hex::encode(&actual),
        });
    }
    Ok(())
}

/// The verifying keys of the block circuit, by state configuration and proof size: what the
/// broker checks every delivered proof against before it marks a job proven.
pub trait VerifyingKeys: Send + Sync + std::fmt::Debug {
    /// The verifying key of the block circuit of `config` proving `txs` tx slots (the whole
    /// block, or a chunk). Blocking (it may load keys).
    fn verifying_key(&self, config: &StateConfig, txs: usize) -> Result<Arc<VerifyingKey<Bn254>>>;
}

impl VerifyingKeys for BlockKeys {
    fn verifying_key(&self, config: &StateConfig, txs: usize) -> Result<Arc<VerifyingKey<Bn254>>> {
        Ok(Arc::new(self.get(config, txs)?.verifying_key.clone()))
    }
}

/// What the deployed verifiers expect, from the deployment record `deployment_file` (its state
/// configuration and both key hashes) or else from `verification_key_hash` (the block
/// verifier's, `0x` and 64 hex digits); `None` when neither is given. Feed it to
/// [`BlockKeys::for_verifier`].
pub fn deployed_verifier(
    deployment_file: Option<&Path>,
    verification_key_hash: Option<&str>,
) -> Result<Option<DeployedVerifiers>> {
    if let Some(path) = deployment_file {
        let unusable = |reason: String| Error::VerifierSource {
            name: "DEPLOYMENT_FILE",
            reason: format!("{}: {reason}", path.display()),
        };
        let deployment = Deployment::read(path)
            .map_err(|error| unusable(error.to_string()))?
            .ok_or_else(|| unusable("no such file".into()))?;
        return Ok(Some(DeployedVerifiers::of(&deployment)));
    }
    verification_key_hash
        .map(|text| {
            fernet_broker_api::hex::decode_word(text).map_err(|reason| Error::VerifierSource {
                name: "PROVER_VERIFICATION_KEY_HASH",
                reason,
            })
        })
        .transpose()
        .map(|hash| {
            hash.map(|block| DeployedVerifiers {
                circuit_keys: None,
                config: None,
                block,
                chunk: None,
            })
        })
}

impl DeployedVerifiers {
    /// The verifiers of `deployment`.
    pub fn of(deployment: &Deployment) -> Self {
        Self {
            circuit_keys: Some(deployment.circuit_keys),
            config: Some(deployment.state_config),
            block: deployment.verification_key_hash.0,
            chunk: Some(deployment.chunk_verification_key_hash.0),
        }
    }
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
            Some(DeployedVerifiers {
                circuit_keys: None,
                config: None,
                block: [0xab; 32],
                chunk: None
            })
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

    #[test]
    fn keys_of_another_origin_than_the_deployments_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ceremony = |hash: [u8; 32]| BlockKeySource::Ceremony {
            dir: dir.path().to_path_buf(),
            manifest: fernet_circuits::ceremony_manifest::CeremonyManifest {
                version: fernet_circuits::ceremony_manifest::CEREMONY_MANIFEST_VERSION,
                transcript_hash: hash,
                circuits: Vec::new(),
            },
        };
        let insecure = || BlockKeySource::InsecureDevnet(KeyCache::new(dir.path()));
        let deployed = |circuit_keys| DeployedVerifiers {
            circuit_keys: Some(circuit_keys),
            config: Some(StateConfig::devnet()),
            block: [0; 32],
            chunk: None,
        };
        let of_ceremony = |hash: [u8; 32]| CircuitKeys::Ceremony {
            transcript_hash: hash.into(),
        };
        // Refused before any key is loaded: the directories hold no keys at all.
        for (source, origin) in [
            (ceremony([2; 32]), of_ceremony([1; 32])),
            (insecure(), of_ceremony([1; 32])),
            (ceremony([1; 32]), CircuitKeys::InsecureDevnet),
        ] {
            let actual = CircuitKeys::of_transcript(source.transcript_hash());
            let keys = BlockKeys::new(source, vec![StateConfig::devnet()]);
            match keys.for_verifier(deployed(origin)) {
                Err(Error::KeyOriginMismatch {
                    expected,
                    actual: found,
                }) => {
                    assert_eq!(expected, origin);
                    assert_eq!(found, actual);
                }
                other => panic!("expected KeyOriginMismatch, got {other:?}"),
            }
        }
        // The deployment's own ceremony passes the origin check and goes on to the keys (none
        // here: the manifest lists no circuit).
        let keys = BlockKeys::new(ceremony([1; 32]), vec![StateConfig::devnet()]);
        assert!(matches!(
            keys.for_verifier(deployed(of_ceremony([1; 32]))),
            Err(Error::Circuits(
                fernet_circuits::Error::CeremonyKeysMissing { .. }
            ))
        ));
    }
}
