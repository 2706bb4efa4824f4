//! The error type of this crate.

use std::path::PathBuf;

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, running or verifying a ceremony.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("i/o error on {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Bytes could not be (de)serialized in the ark-serialize format.
    #[error("ark-serialize (de)serialization failed: {0}")]
    Serialization(#[from] ark_serialize::SerializationError),
    /// The circuit plumbing failed (matrices, keys, verifier generation).
    #[error(transparent)]
    Circuits(#[from] fernet_circuits::Error),
    /// The powers of tau cover a smaller domain than the circuit needs.
    #[error(
        "the circuit needs powers of tau for a domain of 2^{needed}, these cover 2^{available}"
    )]
    PowerTooSmall {
        /// The log2 of the domain the circuit needs.
        needed: u32,
        /// The log2 of the domain the powers cover.
        available: u32,
    },
    /// A file is not in the expected format (magic, version, section table, sizes).
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A `.ptau` file is well formed but not one this crate handles (another curve, a reduced
    /// file to contribute to...).
    #[error("unsupported .ptau file: {reason}")]
    UnsupportedPtau {
        /// Why, with the offending values.
        reason: String,
    },
    /// A point of a file is not a valid group element.
    #[error("point {index} of {section} is invalid: {fault}")]
    InvalidPoint {
        /// The section (or record part) holding the point.
        section: &'static str,
        /// Its index in the section.
        index: u64,
        /// Why it is invalid.
        fault: crate::encoding::PointFault,
    },
    /// A `.ptau` file has no contribution: its powers are the generators, known to everyone.
    #[error("{} has no contribution: its powers of tau are public", path.display())]
    NoContributions {
        /// The file.
        path: PathBuf,
    },
    /// The powers of a phase 1 section do not match its last contribution record.
    #[error("phase 1 section {section} rejected: {reason}")]
    Phase1Data {
        /// The section, e.g. "tauG1".
        section: &'static str,
        /// What does not match.
        reason: &'static str,
    },
    /// A Lagrange section (12-15) does not hold the Lagrange basis of the powers.
    #[error(
        "Lagrange section {section} does not match the powers of tau for the domain 2^{domain_log}"
    )]
    Lagrange {
        /// The section, e.g. "lagrangeTauG1".
        section: &'static str,
        /// The log2 of the domain whose block is wrong.
        domain_log: u32,
    },
    /// The powers of a powers file do not hang together.
    #[error("the powers of tau are inconsistent: {what} does not match")]
    PowersMismatch {
        /// The part that does not match, e.g. "lagrangeG2".
        what: &'static str,
    },
    /// Beacon parameters snarkjs would refuse.
    #[error("invalid beacon: {reason}")]
    BeaconParams {
        /// Why, with the offending values.
        reason: String,
    },
    /// A phase 1 contribution record of a `.ptau` file is wrong (1-based index, as snarkjs
    /// numbers them).
    #[error("phase 1 contribution {index} rejected: {reason}")]
    Phase1Contribution {
        /// The 1-based index of the contribution.
        index: usize,
        /// What is wrong with it.
        reason: ContributionFault,
    },
    /// The powers of tau cover another domain than the circuit's (Lagrange points are per domain).
    #[error("circuit {circuit} needs powers of tau for a domain of 2^{needed}, these are for 2^{available}")]
    DomainMismatch {
        /// The circuit.
        circuit: String,
        /// The log2 of the domain the circuit needs.
        needed: u32,
        /// The log2 of the domain of the powers.
        available: u32,
    },
    /// A phase 2 contribution does not follow from the one before it.
    #[error("contribution {index} rejected for circuit {circuit}: {reason}")]
    Contribution {
        /// Its index (1-based; 0 is `new`).
        index: usize,
        /// The circuit whose record is faulty (its key-file id).
        circuit: String,
        /// What is wrong.
        reason: ContributionFault,
    },
    /// The latest params of a circuit are not the initial ones with δ changed.
    #[error("params of contribution {index} for circuit {circuit}: {what} does not follow from the initial params")]
    ParamsMismatch {
        /// The contribution that produced the params.
        index: usize,
        /// The circuit.
        circuit: String,
        /// What differs: "L", "H", "delta", "fixed part", "initial params", "size".
        what: &'static str,
    },
    /// A file's hash is not the one the transcript records.
    #[error("{} hashes to {actual}, the transcript records {expected}", path.display())]
    FileHash {
        /// The file.
        path: PathBuf,
        /// The hash the transcript records.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// The transcript's recorded hash is not its last link.
    #[error("the transcript hash is {recorded}, its last link is {computed}")]
    TranscriptHash {
        /// The `transcriptHash` field.
        recorded: String,
        /// The last link.
        computed: String,
    },
    /// The transcript is malformed (version, a field that does not decode, missing circuits).
    #[error("transcript: {reason}")]
    Transcript {
        /// What is wrong.
        reason: String,
    },
    /// A circuit's constraints differ from the ones the ceremony was run for.
    #[error("circuit {circuit} has digest {actual}, the ceremony was run for {expected}")]
    CircuitMismatch {
        /// The circuit.
        circuit: String,
        /// The digest the transcript records.
        expected: String,
        /// The digest of the circuit built now.
        actual: String,
    },
    /// The transcript's circuits are not a known circuit set.
    #[error("the transcript's circuits {ids:?} are not the devnet, production or test circuits")]
    UnknownCircuits {
        /// The ids the transcript lists.
        ids: Vec<String>,
    },
    /// A beacon contribution was asked with an iteration exponent out of range.
    #[error("beacon iteration exponent {exp} is out of range 0..={max}")]
    BeaconIterations {
        /// The exponent asked.
        exp: u32,
        /// The largest accepted.
        max: u32,
    },
    /// Export was pointed at the repository's committed verifiers (they belong to the insecure
    /// devnet keys and are pinned by a test).
    #[error("refusing to write {}: the committed verifiers are not the ceremony's; export elsewhere", path.display())]
    ProtectedPath {
        /// The refused directory.
        path: PathBuf,
    },
    /// The transcript JSON could not be (de)serialized.
    #[error("transcript JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Why one contribution of a chain (phase 1 or phase 2) is rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContributionFault {
    /// The record sits at another position than the one it was made for.
    #[error("it was recorded as contribution {recorded}")]
    OutOfOrder {
        /// The position the record claims.
        recorded: usize,
    },
    /// The contribution was applied to other parameters than those of the previous one.
    #[error("it is built on {found}, but the previous contribution produced {expected}")]
    WrongBase {
        /// The hash of the parameters the previous contribution produced.
        expected: String,
        /// The hash of the parameters this contribution was applied to.
        found: String,
    },
    /// The record's link does not hash from the previous link and its content.
    #[error("its link does not follow from the previous link and its content")]
    BrokenLink,
    /// The proof of knowledge of one secret does not verify.
    #[error("the proof of knowledge of {key} does not verify")]
    ProofOfKnowledge {
        /// The secret: "tau", "alpha", "beta" or "delta".
        key: &'static str,
    },
    /// A published point is not the previous one times the proven secret.
    #[error("{what} is not the previous {what} times the proven secret")]
    NotChained {
        /// The point, e.g. "tauG1" or "deltaG2".
        what: &'static str,
    },
    /// A beacon's key is not the one derived from the beacon value.
    #[error("{what} is not derived from the beacon value")]
    Beacon {
        /// The mismatching part of the key.
        what: &'static str,
    },
    /// The record's partial hash state cannot be resumed.
    #[error("its partial hash state cannot be resumed: {0}")]
    PartialHash(crate::blake2b::PartialStateError),
    /// A point of the record is not a valid group element.
    #[error("{what} is not a valid point: {fault}")]
    InvalidPoint {
        /// The point.
        what: &'static str,
        /// Why it is invalid.
        fault: crate::encoding::PointFault,
    },
}
