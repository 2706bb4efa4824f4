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
    #[error("the circuit needs powers of tau for a domain of 2^{needed}, these cover 2^{available}")]
    PowerTooSmall {
        /// The log2 of the domain the circuit needs.
        needed: u32,
        /// The log2 of the domain the powers cover.
        available: u32,
    },
}
