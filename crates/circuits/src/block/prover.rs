//! Keys, proving and verification of the block circuit.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, VerifyingKey};
use fernet_state::{BlockWitness, StateConfig, NUM_PUBLIC_INPUTS};
use indicatif::MultiProgress;
use rand::{CryptoRng, RngCore};

use super::BlockCircuit;
use crate::{
    ceremony_manifest::CeremonyManifest,
    keys::{CircuitId, KeyCache, KeyPair},
    Groth16Bn254, ProofSystem, Result,
};

/// Name of the block circuit in key caches.
pub const BLOCK_CIRCUIT_NAME: &str = "block";

/// Version of the block circuit's constraints: bump it whenever they change, so cached keys of
/// an older circuit are never used.
pub const BLOCK_CIRCUIT_VERSION: u32 = 5;

/// Environment variable that overrides the default key cache directory.
pub const KEY_CACHE_ENV: &str = "FERNET_KEY_CACHE";

/// Environment variable naming a directory written by `fernet-ceremony export`: the block
/// circuit keys then come from that ceremony ([`BlockKeySource::from_env`]).
pub const CEREMONY_KEYS_ENV: &str = "FERNET_CEREMONY_KEYS";

/// Identifies the block circuit of `config` proving `txs` tx slots per proof
/// (`max_txs_per_block`: the whole block, fewer: a chunk) with [`BLOCK_CIRCUIT_VERSION`] in a
/// key cache.
pub fn circuit_id(config: &StateConfig, txs: usize) -> Result<CircuitId> {
    let params = format!(
        "v{BLOCK_CIRCUIT_VERSION}/notes={}/nullifiers={}/public={}/txs={}/chunks={}/part={txs}",
        config.note_tree_depth,
        config.nullifier_tree_depth,
        config.public_data_tree_depth,
        config.max_txs_per_block,
        config.max_data_chunks
    );
    CircuitId::new(BLOCK_CIRCUIT_NAME, params)
}

/// The key cache directory: `$FERNET_KEY_CACHE`, else `target/fernet-keys` under the
/// workspace this crate was built in.
pub fn default_key_cache_dir() -> PathBuf {
    std::env::var_os(KEY_CACHE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fernet-keys"))
}

/// The **INSECURE** deterministic devnet keys of the block circuit of `config` for `txs` tx
/// slots per proof, loaded from `cache` or set up and stored there (see [`crate::keys`]).
pub fn devnet_keys(
    cache: &KeyCache,
    config: StateConfig,
    txs: usize,
    progress: Option<&MultiProgress>,
) -> Result<KeyPair<Groth16Bn254>> {
    let id = circuit_id(&config, txs)?;
    cache.load_or_insecure_devnet_setup::<Groth16Bn254, _>(
        &id,
        BlockCircuit::blank(config, txs)?,
        progress,
    )
}

/// Where the block circuit keys come from: the **INSECURE** deterministic devnet setup (cached
/// on disk), or a trusted setup ceremony's export directory.
#[derive(Clone, Debug)]
pub enum BlockKeySource {
    /// The insecure devnet keys of [`devnet_keys`], in this cache.
    InsecureDevnet(KeyCache),
    /// The keys a ceremony exported (`fernet-ceremony export`).
    Ceremony {
        /// The export directory.
        dir: PathBuf,
        /// Its manifest, read once: it names the ceremony and pins every key file.
        manifest: CeremonyManifest,
    },
}

impl BlockKeySource {
    /// The keys of the ceremony exported to `dir` (its manifest is read now).
    pub fn ceremony(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let manifest = CeremonyManifest::read_dir(&dir)?;
        Ok(Self::Ceremony { dir, manifest })
    }

    /// The ceremony keys in `$FERNET_CEREMONY_KEYS` ([`CEREMONY_KEYS_ENV`]) when it is set and
    /// not empty, else the insecure devnet keys of the default cache
    /// ([`default_key_cache_dir`]).
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(CEREMONY_KEYS_ENV).filter(|dir| !dir.is_empty()) {
            Some(dir) => Self::ceremony(dir),
            None => Ok(Self::InsecureDevnet(KeyCache::new(default_key_cache_dir()))),
        }
    }

    /// The keys of the block circuit of `config` for `txs` tx slots per proof: from the cache
    /// (set up there when missing), or loaded from the ceremony's export directory with the
    /// key file checked against the manifest ([`CeremonyManifest::load_key_pair`]).
    pub fn keys(&self, config: StateConfig, txs: usize) -> Result<KeyPair<Groth16Bn254>> {
        match self {
            Self::InsecureDevnet(cache) => devnet_keys(cache, config, txs, None),
            Self::Ceremony { dir, manifest } => {
                manifest.load_key_pair(dir, &circuit_id(&config, txs)?.cache_key())
            }
        }
    }

    /// The transcript hash of the ceremony the keys come from; `None` for the insecure keys.
    pub fn transcript_hash(&self) -> Option<[u8; 32]> {
        match self {
            Self::InsecureDevnet(_) => None,
            Self::Ceremony { manifest, .. } => Some(manifest.transcript_hash),
        }
    }
}

impl fmt::Display for BlockKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InsecureDevnet(cache) => write!(
                f,
                "the INSECURE devnet keys (cache {})",
                cache.dir().display()
            ),
            Self::Ceremony { dir, manifest } => write!(
                f,
                "the keys of ceremony 0x{} ({})",
                hex::encode(manifest.transcript_hash),
                dir.display()
            ),
        }
    }
}

/// Proves the block, or the chunk of a block, of `witness` with the keys of its shape;
/// returns the proof and its public inputs.
///
/// Only the witness is synthesized: the constraint matrices are the ones cached in `keys`
/// (built from the blank circuit of the witness's shape if `keys` has none yet). A witness
/// the circuit does not accept is [`crate::Error::Unsatisfied`].
pub fn prove_block<R: RngCore + CryptoRng>(
    keys: &KeyPair<Groth16Bn254>,
    witness: BlockWitness,
    rng: &mut R,
) -> Result<(Proof<Bn254>, [Fr; NUM_PUBLIC_INPUTS])> {
    let (config, txs) = (witness.config, witness.part.txs);
    let circuit = BlockCircuit::new(witness)?;
    let inputs = circuit.public_inputs();
    let proof = keys.prove(circuit, || BlockCircuit::blank(config, txs), rng)?;
    Ok((proof, inputs))
}

/// Verifies a block or chunk proof natively.
pub fn verify_block(
    vk: &VerifyingKey<Bn254>,
    inputs: &[Fr; NUM_PUBLIC_INPUTS],
    proof: &Proof<Bn254>,
) -> Result<bool> {
    Groth16Bn254::verify(vk, inputs, proof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ceremony_manifest::CEREMONY_MANIFEST_FILE, proof_system::evm::verifying_key_hash,
        testing::export_tiny_ceremony_keys, Error,
    };

    #[test]
    fn ceremony_keys_load_when_their_files_match_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let config = StateConfig::devnet();
        let manifest = export_tiny_ceremony_keys(dir.path(), [7; 32], config).unwrap();
        let source = BlockKeySource::ceremony(dir.path()).unwrap();
        assert_eq!(source.transcript_hash(), Some([7; 32]));
        assert!(source.to_string().contains(&"07".repeat(32)), "{source}");
        for txs in [config.max_txs_per_block, config.chunk_txs().unwrap()] {
            let keys = source.keys(config, txs).unwrap();
            let id = circuit_id(&config, txs).unwrap().cache_key();
            assert_eq!(
                verifying_key_hash(&keys.verifying_key),
                manifest.circuit(&id).unwrap().verification_key_hash
            );
        }
        let insecure = BlockKeySource::InsecureDevnet(KeyCache::new(dir.path()));
        assert_eq!(insecure.transcript_hash(), None);
        assert!(insecure.to_string().contains("INSECURE"), "{insecure}");
    }

    #[test]
    fn ceremony_keys_of_a_tampered_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let config = StateConfig::devnet();
        let manifest = export_tiny_ceremony_keys(dir.path(), [7; 32], config).unwrap();
        let txs = config.max_txs_per_block;
        let id = circuit_id(&config, txs).unwrap().cache_key();
        let path = dir.path().join(&manifest.circuit(&id).unwrap().key_file);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let source = BlockKeySource::ceremony(dir.path()).unwrap();
        match source.keys(config, txs) {
            Err(Error::KeyFileHash {
                path: refused,
                expected,
                actual,
            }) => {
                assert_eq!(refused, path);
                let pinned = manifest.circuit(&id).unwrap().key_file_keccak;
                assert_eq!(expected, format!("0x{}", hex::encode(pinned)));
                assert_ne!(actual, expected);
            }
            other => panic!("expected KeyFileHash, got {:?}", other.map(|_| ())),
        }
        // The chunk keys, untouched, still load.
        source.keys(config, config.chunk_txs().unwrap()).unwrap();
    }

    #[test]
    fn ceremony_keys_of_a_circuit_the_ceremony_did_not_cover_are_missing() {
        let dir = tempfile::tempdir().unwrap();
        export_tiny_ceremony_keys(dir.path(), [7; 32], StateConfig::devnet()).unwrap();
        let source = BlockKeySource::ceremony(dir.path()).unwrap();
        let production = StateConfig::production();
        match source.keys(production, production.max_txs_per_block) {
            Err(Error::CeremonyKeysMissing {
                dir: named,
                circuit,
            }) => {
                assert_eq!(named, dir.path());
                assert_eq!(
                    circuit,
                    circuit_id(&production, production.max_txs_per_block)
                        .unwrap()
                        .cache_key()
                );
            }
            other => panic!("expected CeremonyKeysMissing, got {:?}", other.map(|_| ())),
        }
        // A directory without a manifest is no ceremony export.
        std::fs::remove_file(dir.path().join(CEREMONY_MANIFEST_FILE)).unwrap();
        assert!(matches!(
            BlockKeySource::ceremony(dir.path()),
            Err(Error::Io { .. })
        ));
    }
}
