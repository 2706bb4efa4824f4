//! Proving and verifying keys: the deterministic **insecure** devnet setup, its on-disk cache,
//! and a loader for keys produced elsewhere.
//!
//! # Security
//!
//! [`insecure_devnet_setup`] draws the setup's toxic waste from a ChaCha20 RNG seeded with the
//! public constant [`INSECURE_DEVNET_SEED`]. Anyone can recompute the trapdoor and forge
//! proofs for any statement. It exists so every devnet node and test derives the same keys
//! without a ceremony; a real deployment loads ceremony keys with [`load_key_pair`].
//!
//! # Key file format
//!
//! One file holds the proving key followed by the verifying key. Key files from elsewhere
//! ([`load_key_pair`], [`write_key_pair`]) use ark-serialize's compressed format
//! ([`ProofSystem::write_key_pair`]) and every point is validated on load. The devnet cache
//! ([`KeyCache`]) stores them uncompressed ([`ProofSystem::write_uncompressed_key_pair`]) and
//! loads them unchecked, because it only ever reads what it wrote: no square roots, no subgroup
//! checks, so a load is bound by I/O (the 4-tx devnet keys: 14 s compressed, under 1 s
//! uncompressed). The file name [`INSECURE_DEVNET_KEY_FILE`] names the format, so a cache
//! written in the older compressed format is never misread: it is set up again.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ark_relations::gr1cs::ConstraintSynthesizer;
use indicatif::{MultiProgress, ProgressBar};
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha3::{Digest, Keccak256};

use crate::{Error, ProofSystem, Result};

/// The public seed of the devnet setup. **INSECURE**: it makes the toxic waste public.
pub const INSECURE_DEVNET_SEED: [u8; 32] = *b"fernet-rollup INSECURE devnet v1";

/// Name of the key file inside a cache entry; it says what it is (and its format) to anyone
/// listing the dir. Caches of the older compressed format used `insecure-devnet-keys.bin`.
pub const INSECURE_DEVNET_KEY_FILE: &str = "insecure-devnet-keys.uncompressed.bin";

/// A proving key with its verifying key, and the circuit's constraints in the form the prover
/// reads ([`ProofSystem::Constraints`]), built once and shared by every clone.
///
/// The constraints are not part of the key file: [`KeyCache::load_or_insecure_devnet_setup`]
/// builds them when it loads or sets up the keys; keys from elsewhere ([`load_key_pair`],
/// [`KeyPair::new`]) build them on their first proof ([`KeyPair::constraints`]).
pub struct KeyPair<P: ProofSystem> {
    /// What provers need.
    pub proving_key: P::ProvingKey,
    /// What verifiers need (and what the Solidity verifier is generated from).
    pub verifying_key: P::VerifyingKey,
    /// The circuit's constraints, once built.
    constraints: OnceLock<Arc<P::Constraints>>,
}

impl<P: ProofSystem> Clone for KeyPair<P> {
    fn clone(&self) -> Self {
        Self {
            proving_key: self.proving_key.clone(),
            verifying_key: self.verifying_key.clone(),
            constraints: self.constraints.clone(),
        }
    }
}

impl<P: ProofSystem> KeyPair<P> {
    /// A key pair whose constraints are built on first use.
    pub fn new(proving_key: P::ProvingKey, verifying_key: P::VerifyingKey) -> Self {
        Self {
            proving_key,
            verifying_key,
            constraints: OnceLock::new(),
        }
    }

    /// The constraints of the keys' circuit, built from `shape()` (an instance of the circuit
    /// the keys were set up for; its witness values are not needed) on first use only.
    pub fn constraints<C>(&self, shape: impl FnOnce() -> Result<C>) -> Result<Arc<P::Constraints>>
    where
        C: ConstraintSynthesizer<P::Field>,
    {
        if let Some(constraints) = self.constraints.get() {
            return Ok(Arc::clone(constraints));
        }
        let built = Arc::new(P::constraints(shape()?)?);
        // A concurrent first use may have won: both built the same constraints.
        Ok(Arc::clone(self.constraints.get_or_init(|| built)))
    }

    /// Proves `circuit` with the cached constraints ([`ProofSystem::prove_with_constraints`]),
    /// building them from `shape()` first if needed (see [`KeyPair::constraints`]).
    pub fn prove<C, R>(
        &self,
        circuit: C,
        shape: impl FnOnce() -> Result<C>,
        rng: &mut R,
    ) -> Result<P::Proof>
    where
        C: ConstraintSynthesizer<P::Field>,
        R: RngCore + CryptoRng,
    {
        let constraints = self.constraints(shape)?;
        P::prove_with_constraints(&self.proving_key, &constraints, circuit, rng)
    }
}

/// Identifies a circuit and the parameters it was built with, so cached keys are never used
/// for another circuit.
///
/// The parameters are opaque bytes: pass a canonical encoding of everything that changes the
/// constraint system (tree depths, transaction counts, and a version that the circuit's
/// author bumps whenever the constraints change).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CircuitId {
    name: String,
    params: Vec<u8>,
}

impl CircuitId {
    /// Names a circuit; `name` is 1-64 characters of `[a-z0-9_-]`, as it becomes a directory.
    pub fn new(name: impl Into<String>, params: impl AsRef<[u8]>) -> Result<Self> {
        let name = name.into();
        let valid = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid {
            return Err(Error::InvalidCircuitName(name));
        }
        Ok(Self {
            name,
            params: params.as_ref().to_vec(),
        })
    }

    /// The circuit's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The directory name of this circuit's cache entry: `<name>-<16 hex digits>`, the digits
    /// being the start of keccak256 over the name's length, the name and the parameters.
    pub fn cache_key(&self) -> String {
        let mut hasher = Keccak256::new();
        hasher.update((self.name.len() as u64).to_be_bytes());
        hasher.update(self.name.as_bytes());
        hasher.update(&self.params);
        let digest = hasher.finalize();
        format!("{}-{}", self.name, hex::encode(&digest[..8]))
    }
}

/// Runs the deterministic devnet setup for `circuit`. **INSECURE**: see the module docs.
///
/// The same circuit always yields the same keys, on every machine.
pub fn insecure_devnet_setup<P, C>(circuit: C) -> Result<KeyPair<P>>
where
    P: ProofSystem,
    C: ConstraintSynthesizer<P::Field>,
{
    let mut rng = ChaCha20Rng::from_seed(INSECURE_DEVNET_SEED);
    let (proving_key, verifying_key) = P::setup(circuit, &mut rng)?;
    Ok(KeyPair::new(proving_key, verifying_key))
}

/// Loads a key pair from a key file (see the module docs for the format), validating every
/// point. This is how keys from a real ceremony enter the system.
pub fn load_key_pair<P: ProofSystem>(path: &Path) -> Result<KeyPair<P>> {
    let file = File::open(path).map_err(|source| io_error(path, source))?;
    let (proving_key, verifying_key) = P::read_key_pair(BufReader::new(file))?;
    Ok(KeyPair::new(proving_key, verifying_key))
}

/// Writes a key pair as a key file, atomically (a temporary file renamed into place), creating
/// the parent directory if needed.
pub fn write_key_pair<P: ProofSystem>(path: &Path, keys: &KeyPair<P>) -> Result<()> {
    write_atomically(path, |writer| {
        P::write_key_pair(&keys.proving_key, &keys.verifying_key, writer)
    })
}

/// Writes a file with `write` into a temporary file renamed into place, creating the parent
/// directory if needed, so readers never see a partial file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| io_error(dir, source))?;
    let mut tmp = path.as_os_str().to_owned();
    // Unique per process and call, so concurrent writers (threads included) never share one.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let write_id = WRITES.fetch_add(1, Ordering::Relaxed);
    tmp.push(format!(".tmp-{}-{write_id}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let file = File::create(&tmp).map_err(|source| io_error(&tmp, source))?;
    let mut writer = BufWriter::new(file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(|e| io_error(&tmp, e.into_error()))?;
    file.sync_all().map_err(|source| io_error(&tmp, source))?;
    fs::rename(&tmp, path).map_err(|source| io_error(path, source))
}

/// A directory of devnet keys, one entry per [`CircuitId::cache_key`].
#[derive(Clone, Debug)]
pub struct KeyCache {
    dir: PathBuf,
}

impl KeyCache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache's root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the keys of `id` live: `<dir>/<cache key>/insecure-devnet-keys.bin`.
    pub fn key_file(&self, id: &CircuitId) -> PathBuf {
        self.dir.join(id.cache_key()).join(INSECURE_DEVNET_KEY_FILE)
    }

    /// Loads the devnet keys of `id`, or runs [`insecure_devnet_setup`] and stores them, and
    /// builds the constraints of `circuit` for proving ([`KeyPair::constraints`]).
    /// **INSECURE**: see the module docs.
    ///
    /// With `progress`, a spinner on it shows the (possibly minutes-long) setup or load; without,
    /// nothing is drawn.
    pub fn load_or_insecure_devnet_setup<P, C>(
        &self,
        id: &CircuitId,
        circuit: C,
        progress: Option<&MultiProgress>,
    ) -> Result<KeyPair<P>>
    where
        P: ProofSystem,
        C: ConstraintSynthesizer<P::Field> + Clone,
    {
        let path = self.key_file(id);
        let cached = path.is_file();
        let action = if cached {
            "loading cached"
        } else {
            "running INSECURE devnet setup for"
        };
        let spinner = progress.map(|multi| {
            let spinner = multi.add(ProgressBar::new_spinner());
            spinner.set_message(format!("{action} keys of {}", id.cache_key()));
            spinner.enable_steady_tick(Duration::from_millis(120));
            spinner
        });
        let started = Instant::now();
        let keys = if cached {
            // Our own cache entry: uncompressed, unchecked (see `read_trusted_key_pair`).
            let file = File::open(&path).map_err(|source| io_error(&path, source))?;
            let (proving_key, verifying_key) = P::read_trusted_key_pair(BufReader::new(file))?;
            KeyPair::new(proving_key, verifying_key)
        } else {
            let keys = insecure_devnet_setup::<P, C>(circuit.clone())?;
            write_atomically(&path, |writer| {
                P::write_uncompressed_key_pair(&keys.proving_key, &keys.verifying_key, writer)
            })?;
            keys
        };
        keys.constraints(|| Ok(circuit))?;
        if let Some(spinner) = spinner {
            spinner.finish_with_message(format!(
                "{action} keys of {}: done in {:.1?}",
                id.cache_key(),
                started.elapsed()
            ));
        }
        Ok(keys)
    }
}

/// Attaches the path to an i/o error.
fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circuit_ids_are_validated_and_keyed_by_parameters() {
        let a = CircuitId::new("block", b"depth=20").unwrap();
        let b = CircuitId::new("block", b"depth=21").unwrap();
        assert_ne!(a.cache_key(), b.cache_key());
        assert_eq!(
            a.cache_key(),
            CircuitId::new("block", b"depth=20").unwrap().cache_key()
        );
        assert!(a.cache_key().starts_with("block-"));
        assert_eq!(a.cache_key().len(), "block-".len() + 16);
        // The name's length is hashed, so moving bytes between name and params changes the key.
        assert_ne!(
            CircuitId::new("ab", b"c").unwrap().cache_key()[3..],
            CircuitId::new("a", b"bc").unwrap().cache_key()[2..]
        );
        for bad in ["", "Block", "../x", "a b", &"x".repeat(65)] {
            assert!(
                matches!(CircuitId::new(bad, []), Err(Error::InvalidCircuitName(_))),
                "{bad}"
            );
        }
    }
}
