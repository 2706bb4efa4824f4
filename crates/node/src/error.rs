//! Errors of the node library.

use std::path::PathBuf;

use alloy::primitives::B256;

use fernet_primitives::QuoteError;

use crate::pool::PoolError;

/// Result alias of the node library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop the node or one of its requests.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An L1 JSON-RPC request failed.
    #[error("L1 request {what} failed: {source}")]
    L1 {
        /// What was being asked (`eth_getLogs 100..200`).
        what: String,
        /// The transport error.
        #[source]
        source: Box<alloy::transports::TransportError>,
    },
    /// A contract call failed (with its revert decoded when there is one).
    #[error(transparent)]
    Contract(#[from] Box<fernet_bindings::Error>),
    /// The RPC serves another chain than `L1_CHAIN_ID`.
    #[error("the L1 RPC serves chain {actual}, but L1_CHAIN_ID is {expected}")]
    ChainIdMismatch {
        /// `L1_CHAIN_ID`.
        expected: u64,
        /// The RPC's chain id.
        actual: u64,
    },
    /// No deployment record for the chain.
    #[error("no deployment record at {path} for chain {chain_id}: deploy the suite first (`deploy`) or set DEPLOYMENT_FILE")]
    NoDeployment {
        /// Where it was looked for.
        path: PathBuf,
        /// The chain.
        chain_id: u64,
    },
    /// The deployment record names another chain.
    #[error("the deployment record {path} is for chain {recorded}, but the L1 RPC serves chain {actual}")]
    DeploymentChainMismatch {
        /// The record.
        path: PathBuf,
        /// Chain id in the record.
        recorded: u64,
        /// The RPC's chain id.
        actual: u64,
    },
    /// Reading the deployment record failed.
    #[error(transparent)]
    Deployment(#[from] Box<fernet_primitives::Error>),
    /// The embedded store failed.
    #[error("store {path}: {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// The redb error.
        #[source]
        source: Box<redb::Error>,
    },
    /// Creating the data directory failed.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A stored record does not decode (written by another version, or corrupted).
    #[error("stored {what} does not decode: {source}")]
    Corrupt {
        /// Which record.
        what: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The world state rejected a configuration or block.
    #[error(transparent)]
    State(#[from] Box<fernet_state::Error>),
    /// No block with this number on the pending chain.
    #[error("no block {number} on the pending chain (tip {tip})")]
    NoSuchBlock {
        /// The block asked for.
        number: u64,
        /// The pending tip.
        tip: u64,
    },
    /// The state after this block is no longer kept (it is below the proven tip).
    #[error("the state after block {number} is not kept (states are kept from the proven tip {proven} on)")]
    StateNotKept {
        /// The block asked for.
        number: u64,
        /// The proven tip.
        proven: u64,
    },
    /// The block's transaction on L1 could not be decoded as a proposal.
    #[error(
        "L1 transaction {tx} of block {number} is not a direct call to propose/proposeWithProof/proposeWithSignoffs"
    )]
    UndecodableProposal {
        /// The L1 transaction.
        tx: B256,
        /// The L2 block.
        number: u64,
    },
    /// An `eth_getLogs` answer holds a log whose block hash is not the canonical hash of its
    /// block (an L1 reorg raced the read, or the provider is inconsistent): nothing of the step
    /// is folded, it is retried.
    #[error("log of L1 block {block} has block hash {log_hash:?}, but the canonical block {block} is {canonical:?}: L1 reorg under way, retrying")]
    NonCanonicalLog {
        /// The L1 block number the log names.
        block: u64,
        /// The block hash the log names.
        log_hash: Option<B256>,
        /// The hash of the block with that number, from its header (`None`: no such block).
        canonical: Option<B256>,
    },
    /// A transaction was refused by the pool.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A quote was refused.
    #[error(transparent)]
    Quote(#[from] QuoteError),
    /// Binding the RPC server failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The peer-to-peer network failed to start or stopped.
    #[error(transparent)]
    P2p(#[from] fernet_p2p::Error),
    /// The L1 client failed (its options break a rule, or a transaction could not be sent).
    #[error(transparent)]
    L1Client(#[from] Box<fernet_l1::Error>),
    /// A background task panicked or was cancelled.
    #[error("task {task} failed: {message}")]
    Task {
        /// The task's name.
        task: &'static str,
        /// What happened.
        message: String,
    },
}

impl Error {
    /// Wraps a failed L1 request.
    pub(crate) fn l1(
        what: impl Into<String>,
    ) -> impl FnOnce(alloy::transports::TransportError) -> Self {
        let what = what.into();
        move |source| Self::L1 {
            what,
            source: Box::new(source),
        }
    }
}

impl From<fernet_l1::Error> for Error {
    fn from(error: fernet_l1::Error) -> Self {
        Self::L1Client(Box::new(error))
    }
}

impl From<fernet_bindings::Error> for Error {
    fn from(error: fernet_bindings::Error) -> Self {
        Self::Contract(Box::new(error))
    }
}

impl From<fernet_primitives::Error> for Error {
    fn from(error: fernet_primitives::Error) -> Self {
        Self::Deployment(Box::new(error))
    }
}

impl From<fernet_state::Error> for Error {
    fn from(error: fernet_state::Error) -> Self {
        Self::State(Box::new(error))
    }
}
