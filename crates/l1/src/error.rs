//! Errors of the L1 client.

use std::borrow::Cow;

use alloy::{
    network::{Ethereum, TransactionBuilderError},
    primitives::B256,
    rpc::types::TransactionReceipt,
    transports::TransportError,
};

/// Everything that can go wrong talking to L1, each naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An option breaks a rule.
    #[error("invalid L1 option {name}: {reason}")]
    Option {
        /// The environment variable at fault.
        name: &'static str,
        /// The rule it breaks, with the value.
        reason: String,
    },
    /// An L1 request failed (after the retries of transient errors).
    #[error("L1 request {context} failed")]
    Rpc {
        /// What was asked.
        context: String,
        /// The transport error (a timeout names the JSON-RPC method).
        #[source]
        source: TransportError,
    },
    /// A contract call failed in simulation; its revert is decoded (`Rollup__...(args)`).
    #[error(transparent)]
    Contract(#[from] fernet_bindings::Error),
    /// A transaction could not be built or signed.
    #[error("cannot sign {context}")]
    Sign {
        /// The transaction.
        context: Cow<'static, str>,
        /// The builder's error.
        #[source]
        source: Box<TransactionBuilderError<Ethereum>>,
    },
    /// A transaction was mined but reverted.
    #[error("{context} reverted on chain (transaction {tx_hash})")]
    Reverted {
        /// The transaction.
        context: Cow<'static, str>,
        /// Its hash.
        tx_hash: B256,
        /// Its receipt.
        receipt: Box<TransactionReceipt>,
    },
    /// No transaction of a nonce got mined in time, replacements included.
    #[error(
        "{context} was not mined: nonce {nonce}, {sent} transactions sent (last {last}), gave up"
    )]
    NotMined {
        /// The transaction.
        context: Cow<'static, str>,
        /// Its nonce.
        nonce: u64,
        /// How many transactions (the original and its replacements) were sent.
        sent: usize,
        /// The hash of the last one.
        last: B256,
    },
    /// A transaction this sender did not send took the nonce.
    #[error("{context}: nonce {nonce} was used by a transaction this sender did not send")]
    NonceTaken {
        /// The transaction.
        context: Cow<'static, str>,
        /// Its nonce.
        nonce: u64,
    },
    /// The task watching the transaction stopped (the runtime is shutting down).
    #[error("the receipt watcher of {context} (transaction {tx_hash}) stopped")]
    WatcherGone {
        /// The transaction.
        context: Cow<'static, str>,
        /// Its first hash.
        tx_hash: B256,
    },
}

impl Error {
    /// Maps a transport error into [`Error::Rpc`] naming `context`.
    pub(crate) fn rpc(context: impl Into<String>) -> impl FnOnce(TransportError) -> Self {
        let context = context.into();
        move |source| Self::Rpc { context, source }
    }
}

/// Result of the L1 client.
pub type Result<T, E = Error> = std::result::Result<T, E>;
