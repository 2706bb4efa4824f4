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
