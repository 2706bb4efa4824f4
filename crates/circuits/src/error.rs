//! The error type of this crate.

use std::path::PathBuf;

use ark_relations::gr1cs::SynthesisError;
use ark_serialize::SerializationError;

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while setting up, proving, verifying or encoding.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The circuit could not be synthesized or the proof system rejected it.
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] SynthesisError),
    /// Bytes could not be (de)serialized in the ark-serialize format.
    #[error("ark-serialize (de)serialization failed: {0}")]
    Serialization(#[from] SerializationError),
    /// A file or directory could not be read or written.
    #[error("i/o error on {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A fixture could not be encoded as JSON.
    #[error("json encoding failed: {0}")]
    Json(#[from] serde_json::Error),
    /// A ceremony manifest (`ceremony.json`) is malformed or of another version.
    #[error("ceremony manifest {}: {reason}", path.display())]
    CeremonyManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A ceremony export directory has no keys for a circuit.
    #[error("the ceremony keys in {} have no keys for circuit {circuit}", dir.display())]
    CeremonyKeysMissing {
        /// The export directory.
        dir: PathBuf,
        /// The circuit's [`crate::keys::CircuitId::cache_key`].
        circuit: String,
    },
    /// A ceremony key file is not the one its manifest pins (replaced or damaged after the
    /// export).
    #[error("{} hashes to {actual}, the ceremony manifest pins {expected}", path.display())]
    KeyFileHash {
        /// The key file.
        path: PathBuf,
        /// The keccak256 the manifest records, `0x` hex.
        expected: String,
        /// The file's keccak256, `0x` hex.
        actual: String,
    },
    /// A circuit name is not usable as a cache directory name.
    #[error("invalid circuit name {0:?}: use 1-64 characters of [a-z0-9_-]")]
    InvalidCircuitName(String),
    /// The number of public inputs does not match the verifying key.
    #[error("expected {expected} public inputs, got {actual}")]
    InputCount {
        /// What the verifying key requires.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// An EVM-encoded proof has the wrong length.
    #[error("EVM proof must be {expected} bytes, got {actual}")]
    ProofLength {
        /// The required length in bytes.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A 32-byte word is not the canonical encoding of an element of the expected field.
    #[error("word {index} is not a canonical element of the {field} field")]
    NotInField {
        /// The position of the word in its encoding.
        index: usize,
        /// `"base"` (coordinates) or `"scalar"` (public inputs).
        field: &'static str,
    },
    /// EVM-encoded coordinates do not describe a point of the prime-order subgroup.
    #[error("point {name} is not on the curve or not in the prime-order subgroup")]
    InvalidPoint {
        /// Which proof element (`"A"`, `"B"` or `"C"`).
        name: &'static str,
    },
    /// The pinned solc (the repository's `script/solc-shim.js`) could not compile a generated
    /// verifier.
    #[error("compiling the generated {contract}: {reason}")]
    Compile {
        /// The contract being compiled.
        contract: &'static str,
        /// solc's errors, or why it could not run.
        reason: String,
    },
    /// A fixture was asked for with no proof.
    #[error("a fixture needs at least one proof")]
    EmptyFixture,
    /// The native state rejected a configuration or a block.
    #[error("state error: {0}")]
    State(#[from] fernet_state::Error),
    /// A block witness does not have the shape of its configuration.
    #[error("block witness has {actual} {item}, the configuration needs {expected}")]
    WitnessShape {
        /// What has the wrong length.
        item: &'static str,
        /// The length the configuration needs.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The witness does not satisfy the circuit's constraints.
    #[error("the witness does not satisfy constraint {index} of the circuit")]
    Unsatisfied {
        /// The first unsatisfied constraint (its row in the constraint matrices).
        index: usize,
    },
    /// A circuit, its prebuilt constraints and its proving key do not have the same shape.
    #[error("{what}: expected {expected}, got {actual} (constraints or keys of another circuit)")]
    CircuitShape {
        /// Which size differs.
        what: &'static str,
        /// The size of the constraints (or of the key).
        expected: usize,
        /// The size found.
        actual: usize,
    },
}
