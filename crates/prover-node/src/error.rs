//! Errors of the prover node library.

use alloy::primitives::{Address, B256, U256};

/// Everything that can stop a prover node operation, each with the values needed to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value breaks a rule (of the node or of the rollup).
    #[error("invalid configuration {name}: {reason}")]
    Config {
        /// The environment variable (or flag) at fault.
        name: &'static str,
        /// The rule it breaks, with the values.
        reason: String,
    },
    /// A contract call or transaction failed; its revert is decoded.
    #[error(transparent)]
    Contract(#[from] fernet_bindings::Error),
    /// An L1 RPC request failed.
    #[error("L1 request failed: {context}")]
    Rpc {
        /// What was asked.
        context: String,
        /// The transport error.
        #[source]
        source: alloy::transports::TransportError,
    },
    /// Sending a transaction or waiting for its receipt failed (not mined, reverted on chain,
    /// ...); a revert in simulation is [`Error::Contract`].
    #[error(transparent)]
    L1(Box<fernet_l1::Error>),
    /// The prover's token balance cannot bring its escrow to the target.
    #[error("{0}")]
    InsufficientTokens(Box<TokenShortfall>),
    /// Signing a quote failed.
    #[error("cannot sign the quote for epoch {epoch}")]
    Sign {
        /// The quoted epoch.
        epoch: u64,
        /// The signer error.
        #[source]
        source: alloy::signers::Error,
    },
    /// Quotes go nowhere (P2P_ENABLED=false).
    #[error("no quote delivery for epoch {epoch}: P2P_ENABLED is false")]
    NoQuoteDelivery {
        /// The quoted epoch.
        epoch: u64,
    },
    /// The embedded node's pool refused the quote (the rule it breaks, or a store failure).
    #[error("the node refused the quote for epoch {epoch}: {source}")]
    QuoteRefused {
        /// The quoted epoch.
        epoch: u64,
        /// The node's error.
        #[source]
        source: Box<fernet_node::Error>,
    },
    /// The L2 node cannot give the witness of a block (yet).
    #[error("no witness for block {block}")]
    Witness {
        /// The block number.
        block: u64,
        /// Why: the node has not synced the block yet, or no longer keeps its parent's state.
        #[source]
        source: Box<fernet_node::Error>,
    },
    /// A block's witness does not hash to the commitment its proposal stored on L1.
    #[error(
        "block {block}: the witness's public inputs hash to {actual}, but L1 committed to {expected}"
    )]
    CommitmentMismatch {
        /// The block number.
        block: u64,
        /// The commitment stored by the rollup.
        expected: B256,
        /// The keccak of the witness's six public inputs.
        actual: B256,
    },
    /// The broker could not be reached or refused a request.
    #[error("broker request failed: {context}")]
    Broker {
        /// What was asked.
        context: String,
        /// The client's error (`is_transient()` says whether a retry can help).
        #[source]
        source: fernet_broker_api::ClientError,
    },
    /// A proving job failed for good (the broker used up its retries).
    #[error("the proving job {job} of block {block} failed: {reason}")]
    JobFailed {
        /// The block number.
        block: u64,
        /// The job id.
        job: B256,
        /// The broker's error.
        reason: String,
    },
    /// A proving job returned a proof for other public inputs than the block's.
    #[error("the proof of block {block} (job {job}) is for other public inputs than the block's")]
    WrongPublicInputs {
        /// The block number.
        block: u64,
        /// The job id.
        job: B256,
    },
    /// A proving job returned a proof of the wrong size.
    #[error("the proof of block {block} (job {job}) has {actual} bytes, expected {expected}")]
    WrongProofLength {
        /// The block number.
        block: u64,
        /// The job id.
        job: B256,
        /// The expected length.
        expected: usize,
        /// The actual length.
        actual: usize,
    },
    /// The embedded node failed (start-up, L1 connection, store).
    #[error(transparent)]
    Node(Box<fernet_node::Error>),
    /// A service task panicked.
    #[error("task {task} failed: {message}")]
    Task {
        /// The task's name.
        task: &'static str,
        /// The panic.
        message: String,
    },
    /// The metrics and health server could not start.
    #[error("cannot serve metrics on {address}")]
    Serve {
        /// The listen address.
        address: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Why the bond manager cannot top the escrow up: every amount involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "prover {prover} holds {balance} tokens but needs {needed} to top its escrow up from {free} \
     to {target}: short by {shortfall}"
)]
pub struct TokenShortfall {
    /// The prover.
    pub prover: Address,
    /// Its token balance.
    pub balance: U256,
    /// The deposit needed.
    pub needed: U256,
    /// Its free escrow balance.
    pub free: U256,
    /// The target free balance.
    pub target: U256,
    /// `needed - balance`.
    pub shortfall: U256,
}

impl From<fernet_l1::Error> for Error {
    fn from(error: fernet_l1::Error) -> Self {
        match error {
            fernet_l1::Error::Contract(error) => Self::Contract(error),
            error => Self::L1(Box::new(error)),
        }
    }
}

impl From<fernet_node::Error> for Error {
    fn from(error: fernet_node::Error) -> Self {
        Self::Node(Box::new(error))
    }
}

/// Result of the prover node library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps an alloy transport error into [`Error::Rpc`] naming `context`.
pub(crate) fn rpc(
    context: impl Into<String>,
) -> impl FnOnce(alloy::transports::TransportError) -> Error {
    let context = context.into();
    move |source| Error::Rpc { context, source }
}
