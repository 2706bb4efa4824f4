//! The reference model: the whole protocol state and every external function, in plain Rust.
//!
//! Each public method is one transaction. It returns the revert the contracts must produce, and
//! on a revert leaves the model exactly as it was (like the EVM, it works on a copy).

mod committee;
mod escrow;
mod inbox;
mod pool;
mod rollup;
mod staking;
mod token;

use alloy::primitives::{Address, U256};

pub use committee::{signers_hash, Committee, CommitteeProof};
pub use escrow::{Account, Escrow};
pub use inbox::{message_word, Inbox, Message, MAX_DEPOSIT};
pub use pool::Pool;
pub use rollup::{
    hash_words, public_inputs, score, split_rows, verifier_row, BlockLog, Circuit, Claim,
    ClaimStatus, EpochLog, EpochSplit, ProofOracle, Rollup, FIELD_MODULUS, K, MAX_CHUNKS_PER_BLOCK,
    VERIFIER_INPUTS,
};
pub(crate) use rollup::{MESSAGES_START, MESSAGE_COUNT_OFFSET, TX_WORDS};
pub use staking::{MemberChanges, Staker, Staking, NOT_EXITING};
pub use token::Token;

use crate::{params::Params, reverts::Outcome};

/// Where each contract of the suite lives (the model needs them as token holders and for the
/// quote's EIP-712 domain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addresses {
    /// The staking token.
    pub token: Address,
    /// The staking contract.
    pub staking: Address,
    /// The prover escrow.
    pub escrow: Address,
    /// The reward pool.
    pub pool: Address,
    /// The fee inbox.
    pub inbox: Address,
    /// The rollup.
    pub rollup: Address,
}

/// The protocol's whole state, and the L1 block the next transaction runs in.
#[derive(Clone, Debug)]
pub struct Model {
    /// Parameters.
    pub params: Params,
    /// Contract addresses.
    pub addresses: Addresses,
    /// Chain id (the quotes' EIP-712 domain).
    pub chain_id: u64,
    /// Timestamp of the next transaction's block.
    pub now: u64,
    /// `prevrandao` of the next transaction's block.
    pub prevrandao: U256,
    /// The staking token.
    pub token: Token,
    /// The staking contract.
    pub staking: Staking,
    /// The prover escrow.
    pub escrow: Escrow,
    /// The reward pool.
    pub pool: Pool,
    /// The fee inbox.
    pub inbox: Inbox,
    /// The rollup.
    pub rollup: Rollup,
    /// The committee mode's state (empty in the quote mode).
    pub committee: Committee,
}

impl Model {
    /// The state right after deployment at `now`, with `prevrandao` as the epoch-0 checkpoint.
    pub fn new(
        params: Params,
        addresses: Addresses,
        chain_id: u64,
        now: u64,
        prevrandao: U256,
    ) -> Self {
        let rollup = Rollup::genesis(params.genesis_state_root, prevrandao);
        Self {
            params,
            addresses,
            chain_id,
            now,
            prevrandao,
            token: Token::default(),
            staking: Staking::default(),
            escrow: Escrow::default(),
            pool: Pool::default(),
            inbox: Inbox::default(),
            rollup,
            committee: Committee::default(),
        }
    }

    /// The current slot.
    pub fn current_slot(&self) -> u64 {
        self.params.slot_at(self.now)
    }

    /// The current epoch.
    pub fn current_epoch(&self) -> u64 {
        self.params.epoch_at(self.now)
    }

    /// Runs `operation` as one transaction: on a revert, every change it made is undone.
    fn transaction<T>(&mut self, operation: impl FnOnce(&mut Self) -> Outcome<T>) -> Outcome<T> {
        let before = self.clone();
        let outcome = operation(self);
        if outcome.is_err() {
            *self = before;
        }
        outcome
    }

    /// `staking.register(amount)` by `staker`.
    pub fn register(&mut self, staker: Address, amount: u128) -> Outcome {
        self.transaction(|m| {
            let this = m.addresses.staking;
            m.staking
                .register(&mut m.token, &m.params, m.now, staker, amount, this)
        })
    }

    /// `staking.exit()` by `staker`.
    pub fn exit(&mut self, staker: Address) -> Outcome {
        self.transaction(|m| m.staking.exit(&m.params, m.now, staker))
    }

    /// `staking.withdraw(recipient)` by `staker`.
    pub fn withdraw(&mut self, staker: Address, recipient: Address) -> Outcome {
        self.transaction(|m| {
            let this = m.addresses.staking;
            m.staking
                .withdraw(&mut m.token, m.now, staker, recipient, this)
        })
    }

    /// `escrow.deposit(prover, amount)` paid by `payer`.
    pub fn deposit(&mut self, payer: Address, prover: Address, amount: u128) -> Outcome {
        self.transaction(|m| {
            let this = m.addresses.escrow;
            m.escrow.deposit(&mut m.token, payer, prover, amount, this)
        })
    }

    /// `escrow.requestWithdrawal(amount)` by `prover`.
    pub fn request_withdrawal(&mut self, prover: Address, amount: u128) -> Outcome {
        self.transaction(|m| {
            let delay = m.params.escrow_withdrawal_delay;
            m.escrow.request_withdrawal(m.now, delay, prover, amount)
        })
    }

    /// `escrow.finalizeWithdrawal(recipient)` by `prover`.
    pub fn finalize_withdrawal(&mut self, prover: Address, recipient: Address) -> Outcome {
        self.transaction(|m| {
            let this = m.addresses.escrow;
            m.escrow
                .finalize_withdrawal(&mut m.token, m.now, prover, recipient, this)
        })
    }

    /// `pool.claim(recipient)` by `account`.
    pub fn claim_rewards(&mut self, account: Address, recipient: Address) -> Outcome {
        self.transaction(|m| {
            let this = m.addresses.pool;
            m.pool.claim(&mut m.token, account, recipient, this)
        })
    }

    /// `staking.checkpointMemberCount()` by anyone: the current epoch's member count.
    pub fn checkpoint_member_count(&mut self) -> Outcome<u64> {
        self.transaction(|m| Ok(m.staking.checkpoint_member_count(&m.params, m.now)))
    }

    /// `inbox.deposit(recipient, amount)` paid by `payer`: the message's index.
    pub fn deposit_fees(
        &mut self,
        payer: Address,
        recipient: Address,
        amount: U256,
    ) -> Outcome<u64> {
        self.transaction(|m| {
            let this = m.addresses.inbox;
            let include_by = m.now + m.params.inclusion_delay;
            m.inbox
                .deposit(&mut m.token, include_by, payer, recipient, amount, this)
        })
    }
}
