//! The actions of a schedule and the proptest strategies that generate them.
//!
//! Actors are indices into the harness's cast (sequencers, provers); every choice an action
//! carries is concrete, so a shrunk schedule reads as a list of what happened, one per line.

use std::fmt;

use proptest::prelude::*;

use crate::params::Params;

/// How much a registration stakes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stake {
    /// Exactly the minimum.
    Minimum,
    /// Twice the minimum.
    Double,
    /// One wei below the minimum.
    BelowMinimum,
    /// One wei more than the actor holds.
    AboveBalance,
}

/// Which block a proposal carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockChoice {
    /// The block the contract expects (on the tip after any due prune; the tip itself when
    /// the tip is in this slot, which makes it a replacement).
    Honest,
    /// For a slot other than the current one.
    WrongSlot,
    /// With a block number one too high.
    WrongNumber,
    /// On a parent root that is not the tip's.
    WrongParent,
    /// With a new state root that is not a field element.
    RootNotInField,
    /// With fees of 2^120.
    FeesTooLarge,
    /// With one byte more data than the maximum.
    DataTooLarge,
    /// With zero bytes appended to canonical data (longer than its header says).
    DataTrailingZeros,
    /// With canonical data cut short (shorter than its header says, or than the header).
    DataTruncated,
    /// With a version byte other than 1.
    DataWrongVersion,
    /// With a transaction word that is not a field element.
    DataWordNotInField,
    /// With a transaction's first word (payer and fee) of 2^224 or more.
    DataFeeTooLarge,
    /// Consuming none of the pending inbox messages (refused once the oldest is due).
    SkippedMessage,
    /// With one consumed message word altered, or one message the inbox does not hold.
    ForgedMessage,
    /// With a message count above the four slots.
    TooManyMessages,
    /// With a non-zero message slot past the message count.
    NonZeroUnusedSlot,
    /// Declaring more fees than the consumed deposits back (the commitment double proves it:
    /// the pool must refuse to pay them).
    UnbackedFees,
}

/// What a fee deposit carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositChoice {
    /// A valid amount (1 to 2^16 units of 2^17 wei, from the seed) for an L2 account.
    Valid,
    /// Zero.
    Zero,
    /// `2^96 - 1`, the largest deposit: accepted by the inbox, beyond any actor's balance.
    Largest,
    /// `2^96`, one above the largest.
    TooLarge,
    /// A valid amount for the zero address.
    ZeroRecipient,
}

/// The proof a backup block comes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupProof {
    /// A proof made for the submitter (the block's proposer and the proof's payee).
    Valid,
    /// A proof the verifier rejects.
    Invalid,
    /// A valid proof made for another payee (copied from someone else's transaction).
    OtherPayee,
}

/// What is wrong with a claimed quote, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteChoice {
    /// A quote for the previous epoch, valid now, signed by its prover.
    Valid,
    /// Expired one slot ago.
    Expired,
    /// For the current epoch instead of the previous one.
    WrongEpoch,
    /// Signed for another rollup (a cross-deployment replay).
    OtherRollup,
    /// With a fee above the rollup's `maxProverFeeBps`.
    FeeTooHigh,
    /// With a bond below the minimum.
    BondTooSmall,
    /// Signed by another prover's key.
    Forged,
    /// With a 64-byte signature (recovers to the zero address).
    Truncated,
    /// With a bond above the prover's free balance.
    OverBond,
    /// Naming the zero address as prover, with an empty signature (which recovers to zero).
    ZeroProver,
}

/// What an epoch-proof submission carries (for the rows it proves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofChoice {
    /// The oldest unproven epoch's rows, with proofs made for the payee L1 names (the claimed
    /// prover of a claimed epoch, else the submitter).
    Valid,
    /// Valid proofs for an epoch that is not the oldest unproven one.
    WrongEpoch,
    /// One public input changed.
    TamperedInputs,
    /// One row more than the epoch has unproven blocks.
    ExtraRow,
    /// No row at all.
    NoRows,
    /// The last row's last word left out.
    RaggedRow,
    /// The right inputs with a proof the verifier rejects.
    InvalidProof,
    /// The right inputs with valid proofs made for another payee (a copied submission).
    OtherPayee,
}

/// What a split submission (`submitSplitEpochProof`) carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitChoice {
    /// The rows and chunk proofs the split asks for, made for the payee L1 names.
    Valid,
    /// One intermediate root changed (so neither chunk next to it verifies).
    ForgedRoot,
    /// One intermediate root missing (or one extra when there is none).
    MissingRoot,
    /// The first block split into more chunks than the chunk word indexes.
    TooManyChunks,
    /// The last proof left out.
    MissingProof,
    /// Whole-block proofs where chunk proofs belong (the chunk verifier's other key).
    WholeForChunk,
    /// Valid proofs made for another payee (a copied submission).
    OtherPayee,
}

/// What sign-offs a committee proposal (`proposeWithSignoffs`) carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignoffChoice {
    /// Sign-offs of the slot's committee without the proposer, by ascending score, leaving out
    /// sequencer `pick mod 8` (a silent member), and with `pick`'s high bit all but a quorum:
    /// the members left out miss the block (topped up to the quorum when it falls short).
    Valid,
    /// Sign-offs of the slot's whole committee without the proposer.
    Everyone,
    /// One sign-off fewer than the quorum.
    TooFew,
    /// The first two sign-offs swapped (descending scores).
    Unsorted,
    /// The first signer's sign-off twice.
    Duplicate,
    /// With a prover's sign-off (a key that is no member), in score order.
    NonMember,
    /// With the sign-off of a member outside the slot's committee (a non-member's when every
    /// member is in it), in score order.
    OutsideCommittee,
    /// With the proposer's own sign-off, in score order.
    ByProposer,
    /// Signed over other public inputs (each recovers to an unrelated address).
    OtherData,
    /// One signature (`pick` chooses which) cut to 64 bytes, or with `pick`'s bit 6 made
    /// malleable (`s` above half the order, as `ecrecover` would still accept).
    Malformed,
}

/// What a committee epoch proof (`submitCommitteeEpochProof`) carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitteeProofChoice {
    /// Every chunk proven by its assigned signer (chunk j of k signers: signer j mod k), a
    /// backup block's by the sender.
    Valid,
    /// Chunks proven by other signers than the assigned ones (`pick` shifts the index): valid
    /// from the takeover slot, `Rollup__ChunkNotAssigned` before it (unless a block has one
    /// signer).
    Takeover,
    /// One prover index past its block's signers (`k`, or with an odd `pick` the largest word).
    ProverPastSigners,
    /// One block's signers altered (swapped, replaced, or one added to a backup block).
    WrongSigners,
    /// One block proven whole (chunk count 0).
    WholeBlock,
    /// The first chunk's proof made for another payee (copied from someone else).
    CopiedProof,
    /// One length off (`pick mod 4`: signer counts, signers or provers), or the first signer
    /// count the largest word (their sum overflows when a later block has signers).
    WrongLengths,
    /// One public input changed.
    TamperedInputs,
    /// Valid proofs for an epoch that is not the oldest unproven one.
    WrongEpoch,
    /// One intermediate root missing (or one extra when there is none).
    MissingRoot,
    /// The last chunk proof left out.
    MissingProof,
    /// The first signed block padded with one chunk more than its sign-off fixed
    /// (`Rollup__SignersMismatch`).
    PaddedChunks,
}

/// What an inactivity report (`slashInactive`) names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissReport {
    /// The first `inactivityLimit` proven misses of the first sequencer (from `staker` on) the
    /// model knows that many of (else `staker`'s misses, topped up with blocks that are not).
    Valid,
    /// One block fewer than the limit.
    TooFew,
    /// One proven block that is no miss of the staker in place of a miss, in order.
    NotAMiss,
    /// The last block one past the proven tip.
    Unproven,
    /// The blocks in descending order.
    NotAscending,
}

/// One step of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// L1 time moves on by `seconds`.
    Warp {
        /// Seconds.
        seconds: u16,
    },
    /// L1 time moves to `offset` seconds into the next slot.
    NextSlot {
        /// Seconds after the slot's start.
        offset: u8,
    },
    /// L1 time moves to the `includeBy` of the oldest inbox message the pending tip has not
    /// consumed (one second earlier with `early`), if that is later than now: the must-include
    /// rule's boundary.
    WarpToDue {
        /// Whether to stop one second before the message falls due.
        early: bool,
    },
    /// Sequencer `who` registers.
    Register {
        /// Sequencer index.
        who: u8,
        /// How much it stakes.
        stake: Stake,
    },
    /// Sequencer `who` exits.
    Exit {
        /// Sequencer index.
        who: u8,
    },
    /// Sequencer `who` withdraws its stake to itself.
    Withdraw {
        /// Sequencer index.
        who: u8,
    },
    /// A sequencer proposes in the current slot: with `ranked`, the one ranked `who` among
    /// this slot's eligible proposers (0: the top score); otherwise sequencer `who`.
    Propose {
        /// Rank or sequencer index.
        who: u8,
        /// Whether `who` is a rank.
        ranked: bool,
        /// Which block.
        block: BlockChoice,
        /// Seed of the block's data (its length and bytes).
        data: u16,
        /// Upgrade payload voted for (0: none, else payload 1 or 2).
        vote: u8,
    },
    /// Actor `who` submits a backup block with its proof for the slot `slots_back` before the
    /// current one.
    ProposeBackup {
        /// Actor index (sequencers, then provers: anyone may submit).
        who: u8,
        /// 0: the current slot, 1: the previous one, ...
        slots_back: u8,
        /// Which block.
        block: BlockChoice,
        /// Seed of the block's data.
        data: u16,
        /// Which proof.
        proof: BackupProof,
    },
    /// A sequencer claims prover `prover`'s quote for the previous epoch: with `ranked`, the
    /// current epoch's eligible proposer number `who`; otherwise sequencer `who`.
    Claim {
        /// Claimant: eligible-proposer position or sequencer index.
        who: u8,
        /// Whether `who` is a position among the eligible proposers.
        ranked: bool,
        /// Prover index.
        prover: u8,
        /// What is wrong with the quote.
        quote: QuoteChoice,
        /// Bond: 1 to 4 times the minimum.
        bond: u8,
        /// Fee in basis points (added to `maxProverFeeBps + 1` for [`QuoteChoice::FeeTooHigh`]).
        fee: u16,
    },
    /// Actor `who` submits a proof of a prefix of the oldest unproven epoch's blocks (or a
    /// flawed one).
    Prove {
        /// Submitter (actor index: sequencers, then provers).
        who: u8,
        /// Blocks proven: 0 for every unproven block of the epoch, else at most `rows`.
        rows: u8,
        /// What the submission carries.
        proof: ProofChoice,
    },
    /// Actor `who` submits a split proof (`submitSplitEpochProof`) of a prefix of the oldest
    /// unproven epoch's blocks (or a flawed one).
    ProveSplit {
        /// Submitter (actor index: sequencers, then provers).
        who: u8,
        /// Blocks proven: 0 for every unproven block of the epoch, else at most `rows`.
        rows: u8,
        /// Chunk counts: block `i` of the submission takes `(shape >> 2 (i mod 4)) & 3` chunks
        /// (0: proven whole).
        shape: u8,
        /// What the submission carries.
        proof: SplitChoice,
    },
    /// The committee mode: a sequencer proposes in the current slot with sign-offs of the slot's
    /// committee (`proposeWithSignoffs`): with `ranked`, the one ranked `who` among this slot's
    /// eligible proposers (0: the top score); otherwise sequencer `who`.
    ProposeSigned {
        /// Rank or sequencer index.
        who: u8,
        /// Whether `who` is a rank.
        ranked: bool,
        /// Which block.
        block: BlockChoice,
        /// Seed of the block's data.
        data: u16,
        /// Upgrade payload voted for (0: none, else payload 1 or 2).
        vote: u8,
        /// What sign-offs it carries.
        signoffs: SignoffChoice,
        /// Which signers (see [`SignoffChoice`]).
        pick: u8,
    },
    /// The committee mode: actor `who` submits a committee proof of a prefix of the oldest
    /// unproven epoch's blocks (`submitCommitteeEpochProof`), or a flawed one.
    ProveCommittee {
        /// Submitter (actor index: sequencers, then provers).
        who: u8,
        /// Blocks proven: 0 for every unproven block of the epoch, else at most `rows`.
        rows: u8,
        /// Chunk counts: block `i` of the submission takes `1 + (shape >> 2 (i mod 4)) & 3`.
        shape: u8,
        /// What the submission carries.
        proof: CommitteeProofChoice,
        /// Which block, index or length a flaw touches, or the takeover's shift.
        pick: u8,
    },
    /// The committee mode: actor `who` reports a sequencer's misses (`slashInactive`).
    SlashInactive {
        /// Reporter (actor index: sequencers, then provers).
        who: u8,
        /// Sequencer index the report starts looking from.
        staker: u8,
        /// What the report names.
        report: MissReport,
    },
    /// Actor `who` calls `staking.checkpointMemberCount()`.
    CheckpointMemberCount {
        /// Actor index (sequencers, then provers: anyone may call).
        who: u8,
    },
    /// Actor `who` calls `checkpointRandomness()`.
    CheckpointRandomness {
        /// Actor index (sequencers, then provers: anyone may call).
        who: u8,
    },
    /// Sequencer `who` calls `prune()`.
    Prune {
        /// Sequencer index.
        who: u8,
    },
    /// Prover `prover` deposits `tens` × 10 tokens.
    Deposit {
        /// Prover index.
        prover: u8,
        /// Amount in tens of tokens (0 reverts).
        tens: u8,
    },
    /// Prover `prover` requests a withdrawal of `tens` × 10 tokens.
    RequestWithdrawal {
        /// Prover index.
        prover: u8,
        /// Amount in tens of tokens (0 reverts).
        tens: u8,
    },
    /// Prover `prover` finalises its withdrawal.
    FinalizeWithdrawal {
        /// Prover index.
        prover: u8,
    },
    /// Actor `who` (sequencers, then provers) claims its rewards.
    ClaimRewards {
        /// Actor index over sequencers then provers.
        who: u8,
    },
    /// Actor `who` (sequencers, then provers) deposits fee money into the inbox for L2 account
    /// `account`.
    DepositFees {
        /// Actor index over sequencers then provers.
        who: u8,
        /// L2 account index.
        account: u8,
        /// What the deposit carries.
        deposit: DepositChoice,
        /// Seed of a valid amount.
        amount: u16,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Warp { seconds } => write!(f, "warp +{seconds}s"),
            Self::NextSlot { offset } => write!(f, "warp to next slot +{offset}s"),
            Self::WarpToDue { early: true } => write!(f, "warp to 1s before the next message is due"),
            Self::WarpToDue { early: false } => write!(f, "warp to when the next message is due"),
            Self::Register { who, stake } => write!(f, "seq{who} register({stake:?})"),
            Self::Exit { who } => write!(f, "seq{who} exit()"),
            Self::Withdraw { who } => write!(f, "seq{who} withdraw()"),
            Self::Propose {
                who,
                ranked,
                block,
                data,
                vote,
            } => write!(
                f,
                "{}{who} propose({block:?}, data #{data}, vote {vote})",
                if ranked { "rank" } else { "seq" }
            ),
            Self::ProposeBackup {
                who,
                slots_back,
                block,
                data,
                proof,
            } => write!(
                f,
                "actor{who} proposeWithProof(slot -{slots_back}, {block:?}, data #{data}, {proof:?} proof)"
            ),
            Self::Claim {
                who,
                ranked,
                prover,
                quote,
                bond,
                fee,
            } => write!(
                f,
                "{}{who} claim(prover{prover}, {quote:?}, bond x{}, fee {fee} bps)",
                if ranked { "eligible" } else { "seq" },
                1 + bond % 4
            ),
            Self::Prove { who, rows, proof } => match rows {
                0 => write!(f, "actor{who} submitEpochProof(all blocks, {proof:?})"),
                _ => write!(f, "actor{who} submitEpochProof(<= {rows} blocks, {proof:?})"),
            },
            Self::ProveSplit {
                who,
                rows,
                shape,
                proof,
            } => write!(
                f,
                "actor{who} submitSplitEpochProof(<= {rows} blocks (0: all), shape {shape:#010b}, {proof:?})"
            ),
            Self::ProposeSigned {
                who,
                ranked,
                block,
                data,
                vote,
                signoffs,
                pick,
            } => write!(
                f,
                "{}{who} proposeWithSignoffs({block:?}, data #{data}, vote {vote}, {signoffs:?} \
                 sign-offs, pick {pick:#010b})",
                if ranked { "rank" } else { "seq" }
            ),
            Self::ProveCommittee {
                who,
                rows,
                shape,
                proof,
                pick,
            } => write!(
                f,
                "actor{who} submitCommitteeEpochProof(<= {rows} blocks (0: all), shape \
                 {shape:#010b}, {proof:?}, pick {pick})"
            ),
            Self::SlashInactive {
                who,
                staker,
                report,
            } => write!(f, "actor{who} slashInactive(from seq{staker}, {report:?})"),
            Self::CheckpointMemberCount { who } => {
                write!(f, "actor{who} staking.checkpointMemberCount()")
            }
            Self::CheckpointRandomness { who } => write!(f, "actor{who} checkpointRandomness()"),
            Self::Prune { who } => write!(f, "seq{who} prune()"),
            Self::Deposit { prover, tens } => write!(f, "prover{prover} deposit({}0)", tens),
            Self::RequestWithdrawal { prover, tens } => {
                write!(f, "prover{prover} requestWithdrawal({}0)", tens)
            }
            Self::FinalizeWithdrawal { prover } => write!(f, "prover{prover} finalizeWithdrawal()"),
            Self::ClaimRewards { who } => write!(f, "actor{who} claimRewards()"),
            Self::DepositFees {
                who,
                account,
                deposit,
                amount,
            } => write!(
                f,
                "actor{who} inbox.deposit(l2 account {account}, {deposit:?}, amount #{amount})"
            ),
        }
    }
}

/// Formats a schedule one numbered action per line (how a shrunk failure is printed).
pub fn describe(schedule: &[Action]) -> String {
    schedule
        .iter()
        .enumerate()
        .map(|(i, action)| format!("{i:>4}. {action}\n"))
        .collect()
}

fn stake() -> impl Strategy<Value = Stake> {
    prop_oneof![
        6 => Just(Stake::Minimum),
        2 => Just(Stake::Double),
        1 => Just(Stake::BelowMinimum),
        1 => Just(Stake::AboveBalance),
    ]
}

fn block_choice() -> impl Strategy<Value = BlockChoice> {
    prop_oneof![
        30 => Just(BlockChoice::Honest),
        1 => Just(BlockChoice::WrongSlot),
        1 => Just(BlockChoice::WrongNumber),
        1 => Just(BlockChoice::WrongParent),
        1 => Just(BlockChoice::RootNotInField),
        1 => Just(BlockChoice::FeesTooLarge),
        1 => Just(BlockChoice::DataTooLarge),
        1 => Just(BlockChoice::DataTrailingZeros),
        1 => Just(BlockChoice::DataTruncated),
        1 => Just(BlockChoice::DataWrongVersion),
        1 => Just(BlockChoice::DataWordNotInField),
        1 => Just(BlockChoice::DataFeeTooLarge),
        3 => Just(BlockChoice::SkippedMessage),
        1 => Just(BlockChoice::ForgedMessage),
        1 => Just(BlockChoice::TooManyMessages),
        1 => Just(BlockChoice::NonZeroUnusedSlot),
        1 => Just(BlockChoice::UnbackedFees),
    ]
}

fn deposit_choice() -> impl Strategy<Value = DepositChoice> {
    prop_oneof![
        12 => Just(DepositChoice::Valid),
        1 => Just(DepositChoice::Zero),
        1 => Just(DepositChoice::Largest),
        1 => Just(DepositChoice::TooLarge),
        1 => Just(DepositChoice::ZeroRecipient),
    ]
}

fn backup_proof() -> impl Strategy<Value = BackupProof> {
    prop_oneof![
        2 => Just(BackupProof::Valid),
        1 => Just(BackupProof::Invalid),
        1 => Just(BackupProof::OtherPayee),
    ]
}

fn quote_choice() -> impl Strategy<Value = QuoteChoice> {
    prop_oneof![
        12 => Just(QuoteChoice::Valid),
        1 => Just(QuoteChoice::Expired),
        1 => Just(QuoteChoice::WrongEpoch),
        1 => Just(QuoteChoice::OtherRollup),
        1 => Just(QuoteChoice::FeeTooHigh),
        1 => Just(QuoteChoice::BondTooSmall),
        1 => Just(QuoteChoice::Forged),
        1 => Just(QuoteChoice::Truncated),
        1 => Just(QuoteChoice::OverBond),
        1 => Just(QuoteChoice::ZeroProver),
    ]
}

fn proof_choice() -> impl Strategy<Value = ProofChoice> {
    prop_oneof![
        16 => Just(ProofChoice::Valid),
        1 => Just(ProofChoice::WrongEpoch),
        1 => Just(ProofChoice::TamperedInputs),
        1 => Just(ProofChoice::ExtraRow),
        1 => Just(ProofChoice::NoRows),
        1 => Just(ProofChoice::RaggedRow),
        1 => Just(ProofChoice::InvalidProof),
        2 => Just(ProofChoice::OtherPayee),
    ]
}

fn split_choice() -> impl Strategy<Value = SplitChoice> {
    prop_oneof![
        12 => Just(SplitChoice::Valid),
        1 => Just(SplitChoice::ForgedRoot),
        1 => Just(SplitChoice::MissingRoot),
        1 => Just(SplitChoice::TooManyChunks),
        1 => Just(SplitChoice::MissingProof),
        1 => Just(SplitChoice::WholeForChunk),
        1 => Just(SplitChoice::OtherPayee),
    ]
}

/// Blocks a submission proves: all of them, or a prefix of one or two blocks twice as often (so
/// that claimed epochs are left partly proven and their bonds slashed pro rata).
fn proof_rows() -> impl Strategy<Value = u8> {
    prop_oneof![1 => Just(0u8), 2 => 1u8..=2]
}

/// One action over `sequencers` sequencers and `provers` provers.
pub fn action(sequencers: u8, provers: u8) -> impl Strategy<Value = Action> {
    let seq = 0..sequencers;
    let prover = 0..provers;
    let actor = 0..sequencers + provers;
    let max_fee = u16::try_from(Params::default().max_prover_fee_bps).expect("at most 10,000");
    prop_oneof![
        6 => prop_oneof![1u16..=6, 6u16..=14, 40u16..=60].prop_map(|seconds| Action::Warp { seconds }),
        5 => (0u8..8).prop_map(|offset| Action::NextSlot { offset }),
        3 => any::<bool>().prop_map(|early| Action::WarpToDue { early }),
        1 => (seq.clone(), stake()).prop_map(|(who, stake)| Action::Register { who, stake }),
        1 => seq.clone().prop_map(|who| Action::Exit { who }),
        1 => seq.clone().prop_map(|who| Action::Withdraw { who }),
        12 => (seq.clone(), proptest::bool::weighted(0.8), block_choice(), any::<u16>(), 0u8..3)
            .prop_map(|(who, ranked, block, data, vote)| Action::Propose { who, ranked, block, data, vote }),
        2 => (actor.clone(), 0u8..3, block_choice(), any::<u16>(), backup_proof())
            .prop_map(|(who, slots_back, block, data, proof)| Action::ProposeBackup {
                who, slots_back, block, data, proof,
            }),
        5 => (seq.clone(), proptest::bool::weighted(0.8), prover.clone(), quote_choice(), any::<u8>(), 0u16..=max_fee)
            .prop_map(|(who, ranked, prover, quote, bond, fee)| Action::Claim {
                who, ranked, prover, quote, bond, fee,
            }),
        6 => (actor.clone(), proof_rows(), proof_choice())
            .prop_map(|(who, rows, proof)| Action::Prove { who, rows, proof }),
        3 => (actor.clone(), proof_rows(), any::<u8>(), split_choice())
            .prop_map(|(who, rows, shape, proof)| Action::ProveSplit { who, rows, shape, proof }),
        1 => actor.clone().prop_map(|who| Action::CheckpointRandomness { who }),
        1 => seq.clone().prop_map(|who| Action::Prune { who }),
        1 => (prover.clone(), 0u8..5).prop_map(|(prover, tens)| Action::Deposit { prover, tens }),
        1 => (prover.clone(), 0u8..5)
            .prop_map(|(prover, tens)| Action::RequestWithdrawal { prover, tens }),
        1 => prover.prop_map(|prover| Action::FinalizeWithdrawal { prover }),
        1 => actor.clone().prop_map(|who| Action::ClaimRewards { who }),
        3 => (actor, 0u8..3, deposit_choice(), any::<u16>())
            .prop_map(|(who, account, deposit, amount)| Action::DepositFees {
                who, account, deposit, amount,
            }),
    ]
}

fn signoff_choice() -> impl Strategy<Value = SignoffChoice> {
    prop_oneof![
        18 => Just(SignoffChoice::Valid),
        2 => Just(SignoffChoice::Everyone),
        1 => Just(SignoffChoice::TooFew),
        1 => Just(SignoffChoice::Unsorted),
        1 => Just(SignoffChoice::Duplicate),
        1 => Just(SignoffChoice::NonMember),
        1 => Just(SignoffChoice::OutsideCommittee),
        1 => Just(SignoffChoice::ByProposer),
        1 => Just(SignoffChoice::OtherData),
        1 => Just(SignoffChoice::Malformed),
    ]
}

/// Mostly sequencer 0 silent (the same one across a schedule's proposals, so that its misses
/// add up to an inactivity slash), half of those with only a quorum signing; else any pick.
fn signoff_pick() -> impl Strategy<Value = u8> {
    prop_oneof![
        5 => any::<bool>().prop_map(|quorum| u8::from(quorum) << 7),
        1 => any::<u8>(),
    ]
}

fn committee_proof_choice() -> impl Strategy<Value = CommitteeProofChoice> {
    prop_oneof![
        14 => Just(CommitteeProofChoice::Valid),
        5 => Just(CommitteeProofChoice::Takeover),
        1 => Just(CommitteeProofChoice::ProverPastSigners),
        1 => Just(CommitteeProofChoice::WrongSigners),
        1 => Just(CommitteeProofChoice::WholeBlock),
        1 => Just(CommitteeProofChoice::CopiedProof),
        3 => Just(CommitteeProofChoice::WrongLengths),
        1 => Just(CommitteeProofChoice::TamperedInputs),
        1 => Just(CommitteeProofChoice::WrongEpoch),
        1 => Just(CommitteeProofChoice::MissingRoot),
        1 => Just(CommitteeProofChoice::MissingProof),
        1 => Just(CommitteeProofChoice::PaddedChunks),
    ]
}

fn miss_report() -> impl Strategy<Value = MissReport> {
    prop_oneof![
        8 => Just(MissReport::Valid),
        1 => Just(MissReport::TooFew),
        2 => Just(MissReport::NotAMiss),
        1 => Just(MissReport::Unproven),
        1 => Just(MissReport::NotAscending),
    ]
}

/// One action of the committee mode over `sequencers` sequencers and `provers` provers: the
/// committee's entry points, the shared ones (time, staking, backup blocks, prunes, rewards, fee
/// deposits), and now and then a quote-mode entry point (which reverts).
pub fn committee_action(sequencers: u8, provers: u8) -> impl Strategy<Value = Action> {
    let seq = 0..sequencers;
    let actor = 0..sequencers + provers;
    prop_oneof![
        6 => prop_oneof![1u16..=6, 6u16..=14, 40u16..=60].prop_map(|seconds| Action::Warp { seconds }),
        6 => (0u8..8).prop_map(|offset| Action::NextSlot { offset }),
        2 => any::<bool>().prop_map(|early| Action::WarpToDue { early }),
        1 => (seq.clone(), stake()).prop_map(|(who, stake)| Action::Register { who, stake }),
        1 => seq.clone().prop_map(|who| Action::Exit { who }),
        1 => seq.clone().prop_map(|who| Action::Withdraw { who }),
        14 => (seq.clone(), proptest::bool::weighted(0.85), block_choice(), any::<u16>(), 0u8..3, signoff_choice(), signoff_pick())
            .prop_map(|(who, ranked, block, data, vote, signoffs, pick)| Action::ProposeSigned {
                who, ranked, block, data, vote, signoffs, pick,
            }),
        3 => (actor.clone(), prop_oneof![3 => Just(0u8), 1 => 1u8..3], block_choice(), any::<u16>(), backup_proof())
            .prop_map(|(who, slots_back, block, data, proof)| Action::ProposeBackup {
                who, slots_back, block, data, proof,
            }),
        7 => (actor.clone(), proof_rows(), any::<u8>(), committee_proof_choice(), any::<u8>())
            .prop_map(|(who, rows, shape, proof, pick)| Action::ProveCommittee {
                who, rows, shape, proof, pick,
            }),
        4 => (actor.clone(), seq.clone(), miss_report())
            .prop_map(|(who, staker, report)| Action::SlashInactive { who, staker, report }),
        1 => actor.clone().prop_map(|who| Action::CheckpointRandomness { who }),
        1 => actor.clone().prop_map(|who| Action::CheckpointMemberCount { who }),
        1 => seq.clone().prop_map(|who| Action::Prune { who }),
        1 => actor.clone().prop_map(|who| Action::ClaimRewards { who }),
        2 => (actor.clone(), 0u8..3, deposit_choice(), any::<u16>())
            .prop_map(|(who, account, deposit, amount)| Action::DepositFees {
                who, account, deposit, amount,
            }),
        1 => prop_oneof![
            (seq.clone(), block_choice(), any::<u16>()).prop_map(|(who, block, data)| Action::Propose {
                who, ranked: true, block, data, vote: 0,
            }),
            (seq, 0..provers).prop_map(|(who, prover)| Action::Claim {
                who, ranked: true, prover, quote: QuoteChoice::Valid, bond: 0, fee: 0,
            }),
            actor.clone().prop_map(|who| Action::Prove { who, rows: 0, proof: ProofChoice::Valid }),
            (actor, any::<u8>()).prop_map(|(who, shape)| Action::ProveSplit {
                who, rows: 0, shape, proof: SplitChoice::Valid,
            }),
        ],
    ]
}

/// A committee-mode schedule of `len` actions.
pub fn committee_schedule(
    sequencers: u8,
    provers: u8,
    len: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = Vec<Action>> {
    proptest::collection::vec(committee_action(sequencers, provers), len)
}

/// A schedule of `len` actions.
pub fn schedule(
    sequencers: u8,
    provers: u8,
    len: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = Vec<Action>> {
    proptest::collection::vec(action(sequencers, provers), len)
}
