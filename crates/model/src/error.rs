//! Errors of the harness, and the divergences it reports.

use std::path::PathBuf;

/// A failure to set up or drive the EVM (not a protocol finding).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A forge artifact is missing or malformed.
    #[error("artifact {path}: {reason}")]
    Artifact {
        /// The artifact's path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// revm refused a transaction (invalid environment, database error).
    #[error("revm: {0}")]
    Evm(String),
    /// A deployment did not produce a contract.
    #[error("deployment failed: {0}")]
    Deploy(String),
    /// A view call failed.
    #[error("view call failed: {0}")]
    View(String),
    /// A return value did not decode.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// The call.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The contracts and the model disagree, or an invariant broke.
    #[error(transparent)]
    Divergence(#[from] Divergence),
}

/// A protocol finding: the contracts did something the model did not, or an invariant broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Divergence {
    /// The call's outcome differs (success vs revert, or a different revert).
    #[error("outcome differs: contracts {contracts}, model {model}")]
    Outcome {
        /// What the contracts did.
        contracts: String,
        /// What the model predicted.
        model: String,
    },
    /// A state value differs after the call.
    #[error("state differs at {path}: contracts {contracts}, model {model}")]
    State {
        /// Which value (`staking.stakerInfo(0x..).stake`).
        path: String,
        /// The contracts' value.
        contracts: String,
        /// The model's value.
        model: String,
    },
    /// An invariant does not hold on the contracts' state.
    #[error("invariant `{name}` broken: {detail}")]
    Invariant {
        /// The invariant.
        name: &'static str,
        /// The values that break it.
        detail: String,
    },
}

/// Result of harness operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
