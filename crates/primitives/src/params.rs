//! The constructor parameters of the L1 suite, as the contracts hold them and the deployment
//! record keeps them, and the state sizes preset of the circuit.

use std::{fmt, str::FromStr};

use fernet_state::{StateConfig, BLOCK_DATA_HEADER_BYTES, TX_EFFECT_BYTES};
use serde::{Deserialize, Serialize};

use crate::{Error, TokenAmount};

/// 100 % in basis points: the ceiling of every fee (`maxProverFeeBps`).
pub const BASIS_POINTS: u64 = 10_000;

/// Which `fernet_state` sizes the circuit (and so the genesis root and block capacity) uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatePreset {
    /// [`StateConfig::devnet`]: 4 txs per block, small trees.
    #[default]
    Devnet,
    /// [`StateConfig::production`]: 32 txs per block, trees of depth 32.
    Production,
}

impl StatePreset {
    /// The state sizes of this preset.
    pub fn state_config(self) -> StateConfig {
        match self {
            Self::Devnet => StateConfig::devnet(),
            Self::Production => StateConfig::production(),
        }
    }
}

impl FromStr for StatePreset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "devnet" => Ok(Self::Devnet),
            "production" => Ok(Self::Production),
            other => Err(Error::InvalidStatePreset(other.to_owned())),
        }
    }
}

impl fmt::Display for StatePreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Devnet => "devnet",
            Self::Production => "production",
        })
    }
}

/// The largest block data the circuit of `state` accepts: `154 + 224 * max_txs_per_block` bytes.
pub fn block_data_capacity(state: &StateConfig) -> u64 {
    (BLOCK_DATA_HEADER_BYTES + TX_EFFECT_BYTES * state.max_txs_per_block) as u64
}

/// `Staking` constructor parameters (the rollup reads its clock and lag from here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StakingParams {
    /// L1 timestamp of slot 0; 0 (default) means the deployment block's timestamp.
    #[serde(default)]
    pub genesis_time: u64,
    /// Seconds per slot (devnet 20, production 36).
    pub slot_duration: u64,
    /// Slots per epoch (devnet 2, production 32).
    pub epoch_duration: u64,
    /// Stake to register and to stay in the set (devnet 100 tokens).
    pub minimum_stake: TokenAmount,
    /// Seconds from registration to the earliest eligibility (devnet 0).
    pub entry_period: u64,
    /// Seconds from the start of the exit epoch to withdrawal (devnet 100); at least
    /// `(epochDuration + proofWindowSlots + 1) * slotDuration`, so a proposer that exits right
    /// after proposing stays slashable until its blocks can be pruned.
    pub exit_delay: u64,
    /// Members leaving the set per epoch at most (devnet 4).
    pub exit_churn_per_epoch: u64,
    /// Epochs of lag of the seed and the member set (devnet 1).
    pub snapshot_lag: u64,
}

/// `ProverEscrow` constructor parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProverEscrowParams {
    /// Seconds from a withdrawal request to its payout (devnet 60).
    pub withdrawal_delay: u64,
}

/// `FeeInbox` constructor parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeeInboxParams {
    /// Seconds after a deposit from which every block must include it (while a block has room
    /// for it): the longest a proposer can keep a deposit out of L2 (devnet 40).
    pub inclusion_delay: u64,
}

/// `Rollup` constructor parameters, but the genesis state root (computed from the state sizes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollupParams {
    /// Seconds from a slot's start during which proposals are accepted (devnet 8).
    pub proposal_window: u64,
    /// Seconds after the proposal window during which an empty slot takes a backup block (devnet 12).
    pub backup_window: u64,
    /// Slots at the start of epoch N+1 in which epoch N can be claimed (devnet 1).
    pub claim_window_slots: u64,
    /// Slots after epoch N within which its proof must land (devnet 2).
    pub proof_window_slots: u64,
    /// Largest block data accepted; absent (default) means the circuit's capacity,
    /// [`block_data_capacity`] (1,050 bytes for the devnet sizes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_data_bytes: Option<u64>,
    /// Reward per proven block (devnet 10 tokens).
    pub block_reward: TokenAmount,
    /// Reward per proven epoch to its submitter (devnet 1 token).
    pub proof_submission_reward: TokenAmount,
    /// Prover share of an unclaimed epoch, in basis points (2000); at most `maxProverFeeBps`.
    pub open_proving_basis_point_fee: u64,
    /// Highest fee a claimable quote may ask, in basis points (devnet 5000; at most 10 000).
    pub max_prover_fee_bps: u64,
    /// Smallest bond a claimable quote may offer (devnet 10 tokens).
    pub minimum_prover_bond: TokenAmount,
    /// Stake slashed when an unclaimed epoch's first block is never proven (devnet 5 tokens).
    pub unproven_block_penalty: TokenAmount,
    /// Slots per upgrade-signalling round (devnet 16).
    pub vote_round_size: u64,
    /// Votes in a round that signal a payload (devnet 9).
    pub vote_quorum: u64,
}

/// How epochs are proven, chosen at deployment: which rollup contract is deployed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvingMode {
    /// `Rollup`: sequencers claim signed prover quotes, the claimed prover proves (Sidecar).
    #[default]
    Quote,
    /// `CommitteeRollup`: a proving committee drawn from the stakers signs off and proves each
    /// block (seed 004).
    Committee,
}

impl FromStr for ProvingMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "quote" => Ok(Self::Quote),
            "committee" => Ok(Self::Committee),
            other => Err(Error::InvalidProvingMode(other.to_owned())),
        }
    }
}

impl fmt::Display for ProvingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Quote => "quote",
            Self::Committee => "committee",
        })
    }
}

/// `CommitteeRollup`'s committee parameters (`ICommitteeRollup.CommitteeConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitteeParams {
    /// Expected committee members per slot (devnet 4); everyone while the set is no larger.
    pub committee_size: u64,
    /// Sign-offs a proposal needs, in 1..=committeeSize (devnet 2).
    pub signoff_quorum: u64,
    /// The proposer's share of its block's reward and fees, in basis points (devnet 4000).
    pub sequencer_base_bps: u64,
    /// What each signer adds to the proposer's share, for at most committeeSize signers
    /// (devnet 1000; base + size * bonus <= 10 000).
    pub sequencer_bonus_bps: u64,
    /// Slots into the proof window from which any signer may prove any chunk of its block
    /// (devnet 1; less than proofWindowSlots).
    pub takeover_slots: u64,
    /// Misses (proven blocks it was elected in and did not sign off) that make a member
    /// slashable (devnet 3).
    pub inactivity_limit: u64,
    /// Stake slashed for `inactivityLimit` misses (devnet 5 tokens).
    pub inactivity_penalty: TokenAmount,
}

impl CommitteeParams {
    /// The devnet values: a committee of 4 of the devnet's 8 stakers, 2 sign-offs.
    pub fn devnet() -> Self {
        Self {
            committee_size: 4,
            signoff_quorum: 2,
            sequencer_base_bps: 4000,
            sequencer_bonus_bps: 1000,
            takeover_slots: 1,
            inactivity_limit: 3,
            inactivity_penalty: TokenAmount::tokens(5),
        }
    }
}

impl Default for CommitteeParams {
    fn default() -> Self {
        Self::devnet()
    }
}
