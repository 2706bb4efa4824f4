//! Errors of the shared types: reading the deployment record, parsing a preset, logging set-up.

use std::path::PathBuf;

/// What can go wrong with the shared types, each with the values needed to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The deployment file could not be read or written.
    #[error("cannot access deployment file {path}")]
    DeploymentFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The deployment file is not a deployment record.
    #[error("{path} is not a deployment record")]
    ParseDeployment {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// `--state-config` names no preset.
    #[error("unknown state config {0:?}: expected devnet or production")]
    InvalidStatePreset(String),
    /// `provingMode` names no mode.
    #[error("unknown proving mode {0:?}: expected quote or committee")]
    InvalidProvingMode(String),
    /// `LOG_LEVEL` is not a tracing filter directive.
    #[error("invalid LOG_LEVEL {level:?}")]
    InvalidLogLevel {
        /// The value.
        level: String,
        /// The parse error.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// The logger could not be installed.
    #[error("cannot install the logger")]
    Logging(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result of the shared types.
pub type Result<T, E = Error> = std::result::Result<T, E>;
