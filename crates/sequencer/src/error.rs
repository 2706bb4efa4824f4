//! Errors of the sequencer library.

use alloy::primitives::{Address, U256};

/// Why a sequencer duty failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A contract call or transaction failed; the revert is decoded into the suite's errors.
    #[error(transparent)]
    Contract(#[from] fernet_bindings::Error),
    /// The L1 client failed: a simulation revert (decoded), a send, or a receipt.
    #[error(transparent)]
    L1(Box<fernet_l1::Error>),
    /// The sequencer cannot afford its stake.
    #[error("{sequencer} holds {balance} staking tokens but needs {stake} to register")]
    InsufficientBalance {
        /// The sequencer.
        sequencer: Address,
        /// Its token balance.
        balance: U256,
        /// The stake it wants to register with.
        stake: U256,
    },
    /// The stake was withdrawn: Staking never lets the address register again.
    #[error("{0} withdrew its stake and can never register again: use another key")]
    Withdrawn(Address),
    /// The block could not be built.
    #[error("building block {number}: {source}")]
    Build {
        /// The block number.
        number: u64,
        /// What the state rejected.
        #[source]
        source: fernet_state::Error,
    },
    /// The node has not synced the parent block yet.
    #[error("the node has no state for parent block {parent} (synced up to {synced})")]
    ParentNotSynced {
        /// The parent block.
        parent: u64,
        /// The node's pending tip.
        synced: u64,
    },
    /// The node's state disagrees with L1 about the parent's state root.
    #[error("parent block {parent}: the node has state root {local}, L1 has {l1}")]
    ParentMismatch {
        /// The parent block.
        parent: u64,
        /// The node's root.
        local: alloy::primitives::B256,
        /// The rollup's root.
        l1: alloy::primitives::B256,
    },
    /// The quote provider answered with something that is not a list of signed quotes.
    #[error("quote provider {url}: {message}")]
    QuoteProvider {
        /// The provider.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Backup mode could not get its proof.
    #[error("backup proof for block {number}: {message}")]
    BackupProof {
        /// The block number.
        number: u64,
        /// What went wrong.
        message: String,
    },
    /// The committee mode: fewer sign-offs than the quorum came back before the proposal window
    /// closed (or the slot's committee is too small): the block cannot land, the slot goes to
    /// backup mode.
    #[error("block {block} of slot {slot}: {signoffs} sign-offs of a committee of {committee}, {quorum} needed")]
    TooFewSignoffs {
        /// The block.
        block: u64,
        /// Its slot.
        slot: u64,
        /// Sign-offs received.
        signoffs: usize,
        /// Members of the slot's committee (the proposer left out).
        committee: usize,
        /// `signoffQuorum`.
        quorum: usize,
    },
    /// The committee mode: a block asked to be signed off re-executes to another header.
    #[error("block {block}: its {field} is {proposed}, re-executing it gives {executed}")]
    BlockMismatch {
        /// The block.
        block: u64,
        /// The header field that differs.
        field: &'static str,
        /// The proposer's value.
        proposed: alloy::primitives::B256,
        /// The member's.
        executed: alloy::primitives::B256,
    },
    /// A key could not sign.
    #[error("signing: {0}")]
    Sign(#[source] alloy::signers::Error),
    /// Backup-only mode without a broker: backup blocks carry their own proof.
    #[error("SEQ_BACKUP_ONLY (--backup-only) needs SEQ_BACKUP_BROKER_HOST (--backup-broker): backup blocks carry their own proof")]
    BackupOnlyWithoutBroker,
}

impl From<fernet_l1::Error> for Error {
    fn from(error: fernet_l1::Error) -> Self {
        Self::L1(Box::new(error))
    }
}

/// Result of the sequencer library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
