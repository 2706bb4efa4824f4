//! The protocol parameters the harness deploys with, and the clock they define.

use alloy::primitives::{B256, U256};

/// One ether, the unit of the token amounts below.
const ETHER: u128 = 1_000_000_000_000_000_000;

/// A reward pool funding that a schedule's proofs use up (about six proven blocks).
pub const SMALL_POOL_FUNDING: u128 = 60 * ETHER;

/// Every parameter of the deployed suite. They satisfy the rollup constructor's rules, and are
/// chosen so that every path can happen within a schedule: a claim cancelled by the prune of the
/// epoch before it, and a reward pool that runs dry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Timestamp of slot 0.
    pub genesis_time: u64,
    /// Seconds per slot.
    pub slot_duration: u64,
    /// Slots per epoch.
    pub epoch_duration: u64,
    /// Smallest stake a sequencer registers with.
    pub minimum_stake: u128,
    /// Seconds between registration and the earliest eligibility.
    pub entry_period: u64,
    /// Seconds between the start of the exit epoch and withdrawal (the rollup requires at least
    /// `(epoch_duration + proof_window_slots + 1) * slot_duration`).
    pub exit_delay: u64,
    /// Exits per epoch.
    pub exit_churn_per_epoch: u32,
    /// Epochs of lag for the member set and the seed.
    pub snapshot_lag: u64,
    /// Seconds between a prover's withdrawal request and its finalisation.
    pub escrow_withdrawal_delay: u64,
    /// Seconds from a slot's start during which proposals are accepted.
    pub proposal_window: u64,
    /// Seconds after the proposal window during which a backup block is accepted (the rollup
    /// requires `proposal_window + backup_window <= slot_duration`).
    pub backup_window: u64,
    /// Slots at the start of epoch N+1 during which epoch N can be claimed.
    pub claim_window_slots: u64,
    /// Slots after epoch N during which its proof is accepted (at most 4 epochs).
    pub proof_window_slots: u64,
    /// Largest block data accepted.
    pub max_data_bytes: usize,
    /// Reward per proven block.
    pub block_reward: u128,
    /// Reward per proven epoch to its submitter.
    pub proof_submission_reward: u128,
    /// Prover share of an unclaimed epoch, in basis points (at most `max_prover_fee_bps`).
    pub open_proving_bps: u128,
    /// Highest fee a claimable quote may ask, in basis points (at most 10,000).
    pub max_prover_fee_bps: u128,
    /// Smallest bond a claimable quote offers.
    pub minimum_prover_bond: u128,
    /// Stake slashed for an unclaimed epoch that missed its proof.
    pub unproven_block_penalty: u128,
    /// Slots per upgrade-signalling round.
    pub vote_round_size: u64,
    /// Votes that signal a payload in a round.
    pub vote_quorum: u64,
    /// State root of block 0.
    pub genesis_state_root: B256,
    /// Tokens the reward pool is funded with.
    pub pool_funding: u128,
    /// Seconds after a fee deposit from which a block with a free message slot must include it.
    pub inclusion_delay: u64,
    /// The committee mode's parameters: `Some` deploys `CommitteeRollup` (the proving committee),
    /// `None` the quote mode's `Rollup`.
    pub committee: Option<CommitteeParams>,
}

/// The committee mode's parameters (`ICommitteeRollup.CommitteeConfig`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeParams {
    /// Expected committee members per slot; every member while the set is no larger.
    pub committee_size: u64,
    /// Sign-offs a proposal needs.
    pub signoff_quorum: u64,
    /// Tx slots per chunk: a signed block of t txs is proven in `max(1, ceil(t / chunk_txs))`.
    pub chunk_txs: u64,
    /// The proposer's share of its block's reward and fees, in basis points.
    pub sequencer_base_bps: u128,
    /// What each signer (at most `committee_size`) adds to the proposer's share.
    pub sequencer_bonus_bps: u128,
    /// Slots into an epoch's proof window from which any signer may prove any chunk of its block.
    pub takeover_slots: u64,
    /// Proven misses after which a member can be slashed.
    pub inactivity_limit: u64,
    /// Stake slashed for `inactivity_limit` misses.
    pub inactivity_penalty: u128,
}

impl Default for CommitteeParams {
    /// A committee of 3 (of the harness's 4 to 6 members: a share of the set, so members outside
    /// a slot's committee exist), 2 sign-offs, one tx per chunk (the harness's blocks of 0 to 4
    /// txs are 1 to 4 chunks), a takeover 2 slots into the 6-slot proof window,
    /// a slash after 2 misses that takes a minimum stake below the minimum (a forced exit).
    fn default() -> Self {
        Self {
            committee_size: 3,
            signoff_quorum: 2,
            chunk_txs: 1,
            sequencer_base_bps: 4000,
            sequencer_bonus_bps: 1000,
            takeover_slots: 2,
            inactivity_limit: 2,
            inactivity_penalty: 7 * ETHER,
        }
    }
}

impl Default for Params {
    fn default() -> Self {
        Self {
            genesis_time: 1_000_000,
            slot_duration: 12,
            epoch_duration: 4,
            minimum_stake: 100 * ETHER,
            entry_period: 60,
            // (4 + 6 + 1) * 12 = 132 is the least the rollup accepts.
            exit_delay: 144,
            exit_churn_per_epoch: 2,
            snapshot_lag: 1,
            escrow_withdrawal_delay: 100,
            proposal_window: 6,
            // proposal_window + backup_window = slot_duration: the largest backup window allowed.
            backup_window: 6,
            claim_window_slots: 2,
            // Past the next epoch's claim window (4 + 2 slots): epoch N+1 can be claimed while
            // epoch N is still provable, so a prune of N cancels N+1's claim.
            proof_window_slots: 6,
            max_data_bytes: 4096,
            block_reward: 10 * ETHER,
            proof_submission_reward: ETHER,
            open_proving_bps: 2000,
            max_prover_fee_bps: 5000,
            minimum_prover_bond: 10 * ETHER,
            unproven_block_penalty: 5 * ETHER,
            vote_round_size: 8,
            vote_quorum: 3,
            genesis_state_root: B256::from(U256::from(1)),
            pool_funding: 1_000_000 * ETHER,
            // Two slots, as on the devnet: a deposit made early in a slot falls due inside the
            // proposal window two slots later, so proposals meet it on both sides of `includeBy`.
            inclusion_delay: 24,
            committee: None,
        }
    }
}

impl Params {
    /// The committee mode with `committee`'s parameters, the rest as [`Params::default`].
    pub fn committee_mode(committee: CommitteeParams) -> Self {
        Self {
            committee: Some(committee),
            ..Self::default()
        }
    }

    /// The slot at `timestamp` (slot 0 before genesis).
    pub fn slot_at(&self, timestamp: u64) -> u64 {
        timestamp.saturating_sub(self.genesis_time) / self.slot_duration
    }

    /// The epoch of `slot`.
    pub fn epoch_of(&self, slot: u64) -> u64 {
        slot / self.epoch_duration
    }

    /// The epoch at `timestamp`.
    pub fn epoch_at(&self, timestamp: u64) -> u64 {
        self.epoch_of(self.slot_at(timestamp))
    }

    /// When `slot` starts.
    pub fn slot_start(&self, slot: u64) -> u64 {
        self.genesis_time + slot * self.slot_duration
    }

    /// The first slot of `epoch`.
    pub fn first_slot(&self, epoch: u64) -> u64 {
        epoch * self.epoch_duration
    }

    /// When `epoch` starts.
    pub fn epoch_start(&self, epoch: u64) -> u64 {
        self.slot_start(self.first_slot(epoch))
    }

    /// The last slot in which a proof of `epoch` is accepted.
    pub fn proof_deadline(&self, epoch: u64) -> u64 {
        self.first_slot(epoch + 1) + self.proof_window_slots - 1
    }

    /// The last slot in which `epoch` can be claimed.
    pub fn claim_deadline(&self, epoch: u64) -> u64 {
        self.first_slot(epoch + 1) + self.claim_window_slots - 1
    }
}
