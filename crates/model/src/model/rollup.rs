//! The rollup: RANDAO checkpoints and scores, proposals, backup blocks, quote claims, epoch
//! proofs, prunes with their slashes, rewards and upgrade votes.

use std::collections::BTreeMap;

use alloy::{
    primitives::{keccak256, Address, Bytes, Signature, B256, U256},
    sol_types::{eip712_domain, SolStruct, SolValue},
};
use fernet_bindings::{
    errors::Errors,
    IRollup::{ProposeArgs, SignedEpochProofQuote},
};
use fernet_primitives::BASIS_POINTS;
use fernet_state::{
    data_challenge, data_chunks, data_evaluation, fr_from_be_bytes, fr_to_be_bytes, Fr,
    BLOCK_DATA_HEADER_BYTES, BLOCK_DATA_VERSION, MESSAGES_PER_BLOCK, MESSAGE_BYTES, PROOF_BYTES,
    TX_EFFECT_BYTES,
};

use super::Model;
use crate::reverts::{Outcome, Revert};

/// BN254's scalar field modulus `r`.
pub const FIELD_MODULUS: U256 = U256::from_limbs([
    0x43e1f593f0000001,
    0x2833e84879b97091,
    0xb85045b68181585d,
    0x30644e72e131a029,
]);

/// Largest `totalFees` a header may carry (`2^120 - 1`).
const MAX_FEES: U256 = U256::from_limbs([u64::MAX, (1 << 56) - 1, 0, 0]);

/// Public inputs a proposal commits to, per block, and that a submission passes per block.
pub const K: usize = fernet_state::COMMITTED_PUBLIC_INPUTS;

/// Public inputs the verifier takes per block: the committed ones, the payee, the chunk word.
pub const VERIFIER_INPUTS: usize = fernet_state::NUM_PUBLIC_INPUTS;

/// Largest first word of a transaction effect in block data (`payer << 64 | fee`, below 2^224).
const MAX_FEE_WORD: U256 = U256::from_limbs([u64::MAX, u64::MAX, u64::MAX, u32::MAX as u64]);

/// Words of one transaction effect in block data (its first word is the payer and the fee).
pub(crate) const TX_WORDS: usize = TX_EFFECT_BYTES / 32;

/// Byte offset of the first message slot in block data.
pub(crate) const MESSAGES_START: usize =
    BLOCK_DATA_HEADER_BYTES - MESSAGES_PER_BLOCK * MESSAGE_BYTES;

/// Byte offset of the message count in block data (the byte before the slots).
pub(crate) const MESSAGE_COUNT_OFFSET: usize = MESSAGES_START - 1;

/// Half the secp256k1 group order: larger `s` values are malleable and rejected.
const SECP256K1_HALF_ORDER: U256 = U256::from_limbs([
    0xdfe92f46681b20a0,
    0x5d576e7357a4501d,
    0xffffffffffffffff,
    0x7fffffffffffffff,
]);

/// What the rollup keeps per block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockLog {
    /// State root after the block.
    pub state_root: B256,
    /// keccak256 of the block's public inputs.
    pub public_inputs_hash: B256,
    /// Who proposed it.
    pub proposer: Address,
    /// Its slot.
    pub slot: u64,
    /// Whether it came with its proof in backup mode.
    pub backup: bool,
    /// Inbox messages consumed by the chain up to and including it.
    pub inbox_cursor: u64,
}

/// The pending blocks of one epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpochLog {
    /// First block.
    pub first_block: u64,
    /// Number of blocks.
    pub block_count: u32,
}

/// Life of a claim, as `IRollup.ClaimStatus`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Not claimed.
    #[default]
    None,
    /// Claimed, bond locked.
    Claimed,
    /// Proven, bond released.
    Proven,
    /// Proof missed, bond slashed.
    Slashed,
    /// Dropped because earlier blocks were pruned, bond released.
    Cancelled,
}

/// An accepted quote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Claim {
    /// The prover.
    pub prover: Address,
    /// The bond locked.
    pub bond_amount: u128,
    /// Who claimed.
    pub claimant: Address,
    /// The prover's share, in basis points.
    pub basis_point_fee: u32,
    /// Where the claim is in its life.
    pub status: ClaimStatus,
}

/// The rollup contract's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollup {
    /// Block records by number (pruned records stay until overwritten, as on L1).
    pub blocks: BTreeMap<u64, BlockLog>,
    /// Latest pending block.
    pub pending_tip: u64,
    /// Latest proven block.
    pub proven_tip: u64,
    /// Pending blocks per epoch.
    pub epochs: BTreeMap<u64, EpochLog>,
    /// Claims per epoch.
    pub claims: BTreeMap<u64, Claim>,
    /// Epochs with a randomness checkpoint, ascending.
    pub checkpoints: Vec<u64>,
    /// The checkpointed randomness per epoch.
    pub randao: BTreeMap<u64, U256>,
    /// The latest slot's vote, counted when a later slot gets a block.
    pub pending_vote: Option<(Address, u64)>,
    /// Votes per (round, payload).
    pub votes: BTreeMap<(u64, Address), u64>,
    /// The payload signalled per round.
    pub signalled: BTreeMap<u64, Address>,
}

/// Which of the rollup's two verifiers checks a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Circuit {
    /// The block verifier: proofs of whole blocks.
    Block,
    /// The chunk verifier: proofs of one chunk of a block.
    Chunk,
}

/// Decides whether a verifier accepts a proof for some public inputs (the commitment doubles
/// accept `keccak256(domain, inputs)`; the Groth16 verifiers accept the fixture's real proofs).
pub trait ProofOracle {
    /// Whether `circuit`'s verifier accepts `proof` (256 bytes) for `inputs` (the
    /// [`VERIFIER_INPUTS`] words of one block or chunk: the committed ones, with a chunk's own
    /// roots, then the payee and the chunk word).
    fn accepts(&self, circuit: Circuit, proof: &[u8], inputs: &[U256]) -> bool;
}

/// A split submission's layout (`IRollup.EpochSplit`): per block its chunk count (0: whole),
/// and the roots between the chunks of the split blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochSplit {
    /// Per block row.
    pub chunk_counts: Vec<U256>,
    /// For each split block in order, its `count - 1` intermediate roots.
    pub intermediate_roots: Vec<U256>,
}

/// Most chunks per block (`Constants.MAX_CHUNKS_PER_BLOCK`).
pub const MAX_CHUNKS_PER_BLOCK: u64 = 1 << fernet_state::CHUNK_INDEX_BITS;

/// The verifier rows of a split submission of `committed` (K words per block) for `payee`:
/// the whole blocks' rows, then the chunks' (see `IRollup.submitSplitEpochProof`). `split` must
/// have passed the shape checks.
pub fn split_rows(
    committed: &[U256],
    split: &EpochSplit,
    payee: Address,
) -> (Vec<Vec<U256>>, Vec<Vec<U256>>) {
    let mut whole = Vec::new();
    let mut chunks = Vec::new();
    let mut roots = split.intermediate_roots.iter();
    for (block, count) in committed.chunks(K).zip(&split.chunk_counts) {
        let count: u64 = count.saturating_to();
        if count == 0 {
            whole.push(verifier_row(block, payee));
            continue;
        }
        let mut from = block[0];
        for j in 0..count {
            let to = if j + 1 == count {
                block[1]
            } else {
                *roots.next().expect("the shape was checked")
            };
            let mut row = verifier_row(block, payee);
            row[0] = from;
            row[1] = to;
            let word = fernet_state::chunk_word(j as usize, j + 1 == count)
                .expect("the shape check bounds the count");
            row[VERIFIER_INPUTS - 1] = U256::from(word);
            chunks.push(row);
            from = to;
        }
    }
    (whole, chunks)
}

/// Whether `circuit`'s verifier accepts the batch: one 256-byte proof per row, each valid (an
/// empty batch is not checked).
pub(super) fn batch_accepted(
    oracle: &dyn ProofOracle,
    circuit: Circuit,
    proofs: &[u8],
    rows: &[Vec<U256>],
) -> bool {
    proofs
        .chunks(PROOF_BYTES)
        .zip(rows)
        .all(|(proof, row)| oracle.accepts(circuit, proof, row))
}

/// `Rollup__InvalidProof(first, to)`.
pub(super) fn invalid_proof(first: u64, to: u64) -> Revert {
    Revert::of(Errors::Rollup__InvalidProof {
        fromBlock: u(first),
        toBlock: u(to),
    })
}

/// The split's shape checks of `submitSplitEpochProof`, in its order: one count per block, each
/// count bounded, `count - 1` roots per split block.
pub(super) fn check_split_shape(first: u64, blocks: usize, split: &EpochSplit) -> Outcome {
    if split.chunk_counts.len() != blocks {
        return Err(Revert::of(Errors::Rollup__InvalidChunkCountsLength {
            expected: U256::from(blocks),
            actual: U256::from(split.chunk_counts.len()),
        }));
    }
    let mut roots = U256::ZERO;
    for (n, count) in (first..).zip(&split.chunk_counts) {
        if *count > U256::from(MAX_CHUNKS_PER_BLOCK) {
            return Err(Revert::of(Errors::Rollup__TooManyChunks {
                blockNumber: u(n),
                chunks: *count,
                maxChunks: U256::from(MAX_CHUNKS_PER_BLOCK),
            }));
        }
        if !count.is_zero() {
            roots += *count - U256::from(1);
        }
    }
    if U256::from(split.intermediate_roots.len()) != roots {
        return Err(Revert::of(Errors::Rollup__InvalidIntermediateRootsLength {
            expected: roots,
            actual: U256::from(split.intermediate_roots.len()),
        }));
    }
    Ok(())
}

/// The verifier's row of one whole block: its committed words, then `payee` as a word and the
/// whole-block chunk word.
pub fn verifier_row(committed: &[U256], payee: Address) -> Vec<U256> {
    let mut row = Vec::with_capacity(VERIFIER_INPUTS);
    row.extend_from_slice(committed);
    row.push(U256::from_be_slice(payee.as_slice()));
    row.push(U256::from(fernet_state::WHOLE_BLOCK_CHUNK_WORD));
    row
}

impl Rollup {
    /// The rollup as deployed: block 0 with the genesis root, the epoch-0 checkpoint.
    pub fn genesis(genesis_state_root: B256, prevrandao: U256) -> Self {
        let mut rollup = Self::default();
        rollup.blocks.insert(
            0,
            BlockLog {
                state_root: genesis_state_root,
                ..BlockLog::default()
            },
        );
        rollup.checkpoints.push(0);
        rollup.randao.insert(0, prevrandao);
        rollup
    }

    /// The record of block `number` (zero when never written).
    pub fn block(&self, number: u64) -> BlockLog {
        self.blocks.get(&number).copied().unwrap_or_default()
    }

    /// The epoch log of `epoch` (zero when none).
    pub fn epoch_log(&self, epoch: u64) -> EpochLog {
        self.epochs.get(&epoch).copied().unwrap_or_default()
    }

    /// The claim of `epoch` (zero when none).
    pub fn claim(&self, epoch: u64) -> Claim {
        self.claims.get(&epoch).copied().unwrap_or_default()
    }

    /// The randomness seed of `epoch`, given the seed lag.
    pub fn seed(&self, epoch: u64, lag: u64) -> U256 {
        let target = epoch.saturating_sub(lag);
        let checkpoint = self
            .checkpoints
            .iter()
            .rev()
            .find(|e| **e <= target)
            .copied()
            .unwrap_or(0);
        let randao = self.randao.get(&checkpoint).copied().unwrap_or_default();
        U256::from_be_bytes(keccak256((randao, U256::from(epoch)).abi_encode()).0)
    }
}

/// `keccak256(abi.encode(seed, slot, proposer))`.
pub fn score(seed: U256, slot: u64, proposer: Address) -> U256 {
    U256::from_be_bytes(keccak256((seed, U256::from(slot), proposer).abi_encode()).0)
}

/// The six public inputs of a proposal, computed from its header and data; `None` when the
/// data hash is not a field element (the contract rejects those before computing them).
pub fn public_inputs(args: &ProposeArgs) -> Option<[U256; K]> {
    let header = &args.header;
    let hash = fr_from_be_bytes(&header.dataHash.to_be_bytes::<32>())?;
    let challenge = data_challenge(hash, &args.data);
    let evaluation = data_evaluation(&data_chunks(&args.data), challenge);
    let globals = header.blockNumber | (header.slot << 64) | (header.totalFees << 128);
    Some([
        U256::from_be_bytes(header.prevStateRoot.0),
        U256::from_be_bytes(header.newStateRoot.0),
        globals,
        header.dataHash,
        fr_to_u256(challenge),
        fr_to_u256(evaluation),
    ])
}

/// keccak256 of words, packed.
pub fn hash_words(words: &[U256]) -> B256 {
    let mut bytes = Vec::with_capacity(words.len() * 32);
    for word in words {
        bytes.extend_from_slice(&word.to_be_bytes::<32>());
    }
    keccak256(bytes)
}

/// The canonical v2 encoding of block data: a header as long as the data, at most
/// [`MESSAGES_PER_BLOCK`] messages, zero unused message slots, canonical transaction words.
fn check_data_encoding(data: &[u8]) -> Outcome {
    let length = data.len();
    if length < BLOCK_DATA_HEADER_BYTES {
        return Err(Revert::of(Errors::Rollup__DataLengthMismatch {
            expected: U256::from(BLOCK_DATA_HEADER_BYTES),
            actual: U256::from(length),
        }));
    }
    if data[0] != BLOCK_DATA_VERSION {
        return Err(Revert::of(Errors::Rollup__UnsupportedDataVersion {
            expected: U256::from(BLOCK_DATA_VERSION),
            actual: U256::from(data[0]),
        }));
    }
    let count = u32::from_be_bytes(data[1..5].try_into().expect("4 bytes"));
    let expected = BLOCK_DATA_HEADER_BYTES as u64 + TX_EFFECT_BYTES as u64 * u64::from(count);
    if length as u64 != expected {
        return Err(Revert::of(Errors::Rollup__DataLengthMismatch {
            expected: U256::from(expected),
            actual: U256::from(length),
        }));
    }
    let messages = usize::from(data[MESSAGE_COUNT_OFFSET]);
    if messages > MESSAGES_PER_BLOCK {
        return Err(Revert::of(Errors::Rollup__TooManyMessages {
            maximum: U256::from(MESSAGES_PER_BLOCK),
            count: U256::from(messages),
        }));
    }
    for slot in messages..MESSAGES_PER_BLOCK {
        let offset = MESSAGES_START + MESSAGE_BYTES * slot;
        let word = U256::from_be_slice(&data[offset..offset + MESSAGE_BYTES]);
        if !word.is_zero() {
            return Err(Revert::of(Errors::Rollup__NonCanonicalDataWord {
                offset: U256::from(offset),
                word,
            }));
        }
    }
    for (i, word) in data[BLOCK_DATA_HEADER_BYTES..].chunks(32).enumerate() {
        let value = U256::from_be_slice(word);
        let limit = match i % TX_WORDS {
            0 => MAX_FEE_WORD,
            _ => FIELD_MODULUS - U256::from(1),
        };
        if value > limit {
            return Err(Revert::of(Errors::Rollup__NonCanonicalDataWord {
                offset: U256::from(BLOCK_DATA_HEADER_BYTES + 32 * i),
                word: value,
            }));
        }
    }
    Ok(())
}

/// The consumed message words of data that passed [`check_data_encoding`] (`BlockData.messageWords`).
fn message_words(data: &[u8]) -> Vec<B256> {
    let count = usize::from(data[MESSAGE_COUNT_OFFSET]);
    data[MESSAGES_START..MESSAGES_START + MESSAGE_BYTES * count]
        .chunks(MESSAGE_BYTES)
        .map(B256::from_slice)
        .collect()
}

fn fr_to_u256(x: Fr) -> U256 {
    U256::from_be_bytes(fr_to_be_bytes(&x))
}

pub(super) fn u(value: u64) -> U256 {
    U256::from(value)
}

impl Model {
    /// The first call of each epoch stores that block's prevrandao; returns whether it did. The
    /// committee mode also records the epoch's set size then (`staking.checkpointMemberCount()`).
    pub(super) fn write_checkpoint(&mut self) -> bool {
        let epoch = self.current_epoch();
        let written = *self.rollup.checkpoints.last().expect("genesis checkpoint") < epoch;
        if written {
            self.rollup.checkpoints.push(epoch);
            self.rollup.randao.insert(epoch, self.prevrandao);
            if self.params.committee.is_some() {
                let members = self.staking.checkpoint_member_count(&self.params, self.now);
                self.committee.set_sizes.insert(epoch, members);
            }
        }
        written
    }

    /// `rollup.checkpointRandomness()` by anyone: whether it wrote the current epoch's checkpoint.
    pub fn checkpoint_randomness(&mut self) -> Outcome<bool> {
        self.transaction(|m| Ok(m.write_checkpoint()))
    }

    /// The seed of `epoch`.
    pub fn seed(&self, epoch: u64) -> U256 {
        self.rollup.seed(epoch, self.params.snapshot_lag)
    }

    /// `rollup.propose(args)` by `sender` (the committee mode wants sign-offs: it reverts).
    pub fn propose(&mut self, sender: Address, args: &ProposeArgs) -> Outcome {
        if self.params.committee.is_some() {
            return Err(Revert::of(Errors::Rollup__SignoffsRequired {}));
        }
        self.transaction(|m| m.propose_block(sender, args).map(|_| ()))
    }

    /// The proposal path both modes share (`_propose`): checks, appends or replaces the block,
    /// holds its vote; returns its number.
    pub(super) fn propose_block(&mut self, sender: Address, args: &ProposeArgs) -> Outcome<u64> {
        self.write_checkpoint();
        self.prune_if_expired()?;
        let slot = self.current_slot();
        if args.header.slot != u(slot) {
            return Err(Revert::of(Errors::Rollup__InvalidSlot {
                expected: u(slot),
                actual: args.header.slot,
            }));
        }
        let window_end = self.params.slot_start(slot) + self.params.proposal_window;
        if self.now >= window_end {
            return Err(Revert::of(Errors::Rollup__ProposalWindowClosed {
                slot: u(slot),
                windowEnd: u(window_end),
                now_: u(self.now),
            }));
        }
        let epoch = self.params.epoch_of(slot);
        if !self.staking.can_propose(sender, epoch) {
            return Err(Revert::of(Errors::Rollup__ProposerNotEligible {
                proposer: sender,
                epoch: u(epoch),
            }));
        }
        let tip = self.rollup.pending_tip;
        let tip_log = self.rollup.block(tip);
        if tip != 0 && tip_log.slot == slot {
            let seed = self.seed(epoch);
            let current = score(seed, slot, tip_log.proposer);
            let proposed = score(seed, slot, sender);
            if proposed <= current {
                return Err(Revert::of(Errors::Rollup__ScoreTooLow {
                    slot: u(slot),
                    currentScore: current,
                    proposedScore: proposed,
                }));
            }
            self.append_block(sender, args, tip, false)?;
            self.rollup.pending_vote = Some((args.upgradePayload, slot));
            Ok(tip)
        } else {
            self.settle_pending_vote();
            self.append_block(sender, args, tip + 1, false)?;
            self.rollup.pending_vote = Some((args.upgradePayload, slot));
            Ok(tip + 1)
        }
    }

    /// `rollup.proposeWithProof(args, proof)` by `sender`.
    pub fn propose_with_proof(
        &mut self,
        sender: Address,
        args: &ProposeArgs,
        proof: &Bytes,
        oracle: &dyn ProofOracle,
    ) -> Outcome {
        self.transaction(|m| {
            m.write_checkpoint();
            m.prune_if_expired()?;
            let slot: u64 = args.header.slot.saturating_to();
            let opens_at = m.params.slot_start(slot) + m.params.proposal_window;
            let closes_at = opens_at + m.params.backup_window;
            if m.now < opens_at || m.now >= closes_at {
                return Err(Revert::of(Errors::Rollup__BackupWindowClosed {
                    slot: args.header.slot,
                    opensAt: u(opens_at),
                    closesAt: u(closes_at),
                    now_: u(m.now),
                }));
            }
            let tip = m.rollup.pending_tip;
            let tip_slot = m.rollup.block(tip).slot;
            if tip_slot >= slot {
                return Err(Revert::of(Errors::Rollup__SlotNotEmpty {
                    slot: args.header.slot,
                    pendingTipSlot: u(tip_slot),
                }));
            }
            m.settle_pending_vote();
            let inputs = m.append_block(sender, args, tip + 1, true)?;
            if !oracle.accepts(Circuit::Block, proof, &verifier_row(&inputs, sender)) {
                return Err(Revert::of(Errors::Rollup__InvalidProof {
                    fromBlock: u(tip + 1),
                    toBlock: u(tip + 1),
                }));
            }
            Ok(())
        })
    }

    /// `rollup.claimEpochProofRight(signed)` by `sender`.
    pub fn claim_epoch_proof_right(
        &mut self,
        sender: Address,
        signed: &SignedEpochProofQuote,
    ) -> Outcome {
        if self.params.committee.is_some() {
            return Err(Revert::of(Errors::Rollup__QuoteModeOnly {}));
        }
        self.transaction(|m| {
            m.write_checkpoint();
            m.prune_if_expired()?;
            let quote = &signed.quote;
            let slot = m.current_slot();
            let current = m.params.epoch_of(slot);
            let target = current.saturating_sub(1);
            if current == 0 || quote.epochToProve != u(target) {
                return Err(Revert::of(Errors::Rollup__InvalidEpochToProve {
                    expected: u(target),
                    actual: quote.epochToProve,
                }));
            }
            let last_claim_slot = m.params.claim_deadline(target);
            if slot > last_claim_slot {
                return Err(Revert::of(Errors::Rollup__ClaimWindowClosed {
                    epoch: u(target),
                    lastClaimSlot: u(last_claim_slot),
                    currentSlot: u(slot),
                }));
            }
            if u(slot) > quote.validUntilSlot {
                return Err(Revert::of(Errors::Rollup__QuoteExpired {
                    validUntilSlot: quote.validUntilSlot,
                    currentSlot: u(slot),
                }));
            }
            if quote.rollupAddress != m.addresses.rollup {
                return Err(Revert::of(Errors::Rollup__QuoteForOtherRollup {
                    expected: m.addresses.rollup,
                    actual: quote.rollupAddress,
                }));
            }
            if u128::from(quote.basisPointFee) > m.params.max_prover_fee_bps {
                return Err(Revert::of(Errors::Rollup__InvalidBasisPointFee {
                    maximum: U256::from(m.params.max_prover_fee_bps),
                    actual: U256::from(quote.basisPointFee),
                }));
            }
            if quote.bondAmount < U256::from(m.params.minimum_prover_bond) {
                return Err(Revert::of(Errors::Rollup__BondTooSmall {
                    minimum: U256::from(m.params.minimum_prover_bond),
                    actual: quote.bondAmount,
                }));
            }
            if !m.staking.can_propose(sender, current) {
                return Err(Revert::of(Errors::Rollup__ClaimantNotEligible {
                    claimant: sender,
                    epoch: u(current),
                }));
            }
            let existing = m.rollup.claim(target);
            let replaces = existing.status == ClaimStatus::Claimed;
            if replaces && quote.basisPointFee >= existing.basis_point_fee {
                return Err(Revert::of(Errors::Rollup__QuoteNotCheaper {
                    epoch: u(target),
                    currentFee: U256::from(existing.basis_point_fee),
                    offeredFee: U256::from(quote.basisPointFee),
                }));
            }
            if !m.has_unproven_blocks(target) {
                return Err(Revert::of(Errors::Rollup__NothingToProve {
                    epoch: u(target),
                }));
            }
            let signer = m.recover_quote_signer(signed);
            if signer != quote.prover || signer == Address::ZERO {
                return Err(Revert::of(Errors::Rollup__InvalidQuoteSignature {
                    prover: quote.prover,
                    recovered: signer,
                }));
            }
            if replaces {
                m.escrow
                    .release_bond(existing.prover, existing.bond_amount)?;
            }
            // The bond is a uint96 in storage: SafeCast reverts above that (bonds here are far
            // below, and an over-bonded quote fails on the escrow's free balance first).
            let bond: u128 = quote.bondAmount.saturating_to();
            m.rollup.claims.insert(
                target,
                Claim {
                    prover: quote.prover,
                    bond_amount: bond,
                    claimant: sender,
                    basis_point_fee: quote.basisPointFee,
                    status: ClaimStatus::Claimed,
                },
            );
            m.escrow.lock_bond(quote.prover, bond)
        })
    }

    /// `rollup.submitEpochProof(epoch, inputs, proofs)` by `sender`.
    pub fn submit_epoch_proof(
        &mut self,
        sender: Address,
        epoch: u64,
        inputs: &[U256],
        proofs: &Bytes,
        oracle: &dyn ProofOracle,
    ) -> Outcome {
        if self.params.committee.is_some() {
            return Err(Revert::of(Errors::Rollup__QuoteModeOnly {}));
        }
        self.transaction(|m| {
            m.write_checkpoint();
            let (first, to, last) = m.check_epoch_inputs(epoch, inputs)?;
            let payee = m.epoch_payee(epoch, sender);
            let rows: Vec<Vec<U256>> = inputs
                .chunks(K)
                .map(|row| verifier_row(row, payee))
                .collect();
            let accepted = !proofs.is_empty()
                && proofs.len() == rows.len() * PROOF_BYTES
                && batch_accepted(oracle, Circuit::Block, proofs, &rows);
            if !accepted {
                return Err(invalid_proof(first, to));
            }
            m.settle_epoch_proof(epoch, first, to, last, inputs, payee)
        })
    }

    /// `rollup.submitSplitEpochProof(epoch, inputs, split, proofs)` by `sender`.
    pub fn submit_split_epoch_proof(
        &mut self,
        sender: Address,
        epoch: u64,
        inputs: &[U256],
        split: &EpochSplit,
        proofs: &Bytes,
        oracle: &dyn ProofOracle,
    ) -> Outcome {
        if self.params.committee.is_some() {
            return Err(Revert::of(Errors::Rollup__QuoteModeOnly {}));
        }
        self.transaction(|m| {
            m.write_checkpoint();
            let (first, to, last) = m.check_epoch_inputs(epoch, inputs)?;
            let payee = m.epoch_payee(epoch, sender);
            check_split_shape(first, inputs.len() / K, split)?;
            let (whole, chunks) = split_rows(inputs, split, payee);
            let whole_bytes = whole.len() * PROOF_BYTES;
            let expected = whole_bytes + chunks.len() * PROOF_BYTES;
            if proofs.len() != expected {
                return Err(Revert::of(Errors::Rollup__InvalidProofsLength {
                    expected: U256::from(expected),
                    actual: U256::from(proofs.len()),
                }));
            }
            let (whole_proofs, chunk_proofs) = proofs.split_at(whole_bytes);
            if !batch_accepted(oracle, Circuit::Block, whole_proofs, &whole)
                || !batch_accepted(oracle, Circuit::Chunk, chunk_proofs, &chunks)
            {
                return Err(invalid_proof(first, to));
            }
            m.settle_epoch_proof(epoch, first, to, last, inputs, payee)
        })
    }

    /// Who a proof of `epoch` sent by `sender` pays: the claimed prover while the epoch is
    /// claimed, else the sender.
    fn epoch_payee(&self, epoch: u64, sender: Address) -> Address {
        let claim = self.rollup.claim(epoch);
        if claim.status == ClaimStatus::Claimed {
            claim.prover
        } else {
            sender
        }
    }

    /// Blocks `first..=to` of `epoch` (whose last block is `last`) are proven for `payee`: the
    /// claim and its bond when the epoch is complete, then the payments.
    fn settle_epoch_proof(
        &mut self,
        epoch: u64,
        first: u64,
        to: u64,
        last: u64,
        inputs: &[U256],
        payee: Address,
    ) -> Outcome {
        let claim = self.rollup.claim(epoch);
        let claimed = claim.status == ClaimStatus::Claimed;
        self.rollup.proven_tip = to;
        let complete = to == last;
        if complete && claimed {
            self.rollup.claims.get_mut(&epoch).expect("claimed").status = ClaimStatus::Proven;
            self.escrow.release_bond(claim.prover, claim.bond_amount)?;
        }
        let bps = if claimed {
            u128::from(claim.basis_point_fee)
        } else {
            self.params.open_proving_bps
        };
        self.pay_proof(payee, bps, complete, first, inputs)
    }

    /// `rollup.prune()` by anyone.
    pub fn prune(&mut self) -> Outcome {
        self.transaction(|m| {
            m.write_checkpoint();
            if m.prune_if_expired()? {
                Ok(())
            } else {
                Err(Revert::of(Errors::Rollup__NothingToPrune {
                    provenTip: u(m.rollup.proven_tip),
                    pendingTip: u(m.rollup.pending_tip),
                }))
            }
        })
    }

    /// Whether `prune()` would prune now (the `canPrune` view).
    pub fn can_prune(&self) -> bool {
        let proven = self.rollup.proven_tip;
        if self.rollup.pending_tip == proven {
            return false;
        }
        let epoch = self.params.epoch_of(self.rollup.block(proven + 1).slot);
        self.current_slot() > self.params.proof_deadline(epoch)
    }

    /// The oldest unproven epoch, if any block is unproven.
    pub fn oldest_unproven_epoch(&self) -> Option<u64> {
        let proven = self.rollup.proven_tip;
        (self.rollup.pending_tip > proven)
            .then(|| self.params.epoch_of(self.rollup.block(proven + 1).slot))
    }

    fn append_block(
        &mut self,
        sender: Address,
        args: &ProposeArgs,
        number: u64,
        backup: bool,
    ) -> Outcome<[U256; K]> {
        let header = &args.header;
        if header.blockNumber != u(number) {
            return Err(Revert::of(Errors::Rollup__InvalidBlockNumber {
                expected: u(number),
                actual: header.blockNumber,
            }));
        }
        let parent = self.rollup.block(number - 1).state_root;
        if header.prevStateRoot != parent {
            return Err(Revert::of(Errors::Rollup__InvalidParent {
                expected: parent,
                actual: header.prevStateRoot,
            }));
        }
        let new_root = U256::from_be_bytes(header.newStateRoot.0);
        if new_root >= FIELD_MODULUS {
            return Err(Revert::of(Errors::Rollup__NotAFieldElement {
                value: new_root,
            }));
        }
        if header.dataHash >= FIELD_MODULUS {
            return Err(Revert::of(Errors::Rollup__NotAFieldElement {
                value: header.dataHash,
            }));
        }
        if header.totalFees > MAX_FEES {
            return Err(Revert::of(Errors::Rollup__FeesTooLarge {
                maximum: MAX_FEES,
                actual: header.totalFees,
            }));
        }
        if args.data.len() > self.params.max_data_bytes {
            return Err(Revert::of(Errors::Rollup__DataTooLarge {
                maximum: U256::from(self.params.max_data_bytes),
                actual: U256::from(args.data.len()),
            }));
        }
        check_data_encoding(&args.data)?;
        let parent_cursor = self.rollup.block(number - 1).inbox_cursor;
        let inbox_cursor =
            self.inbox
                .check_messages(self.now, parent_cursor, &message_words(&args.data))?;
        let inputs = public_inputs(args).expect("data hash checked above");
        let slot: u64 = header.slot.saturating_to();
        self.rollup.blocks.insert(
            number,
            BlockLog {
                state_root: header.newStateRoot,
                public_inputs_hash: hash_words(&inputs),
                proposer: sender,
                slot,
                backup,
                inbox_cursor,
            },
        );
        if number > self.rollup.pending_tip {
            self.rollup.pending_tip = number;
            let log = self
                .rollup
                .epochs
                .entry(self.params.epoch_of(slot))
                .or_default();
            if log.block_count == 0 {
                log.first_block = number;
            }
            log.block_count += 1;
        }
        Ok(inputs)
    }

    /// Prunes every unproven block once the oldest unproven epoch is past its proof deadline.
    fn prune_if_expired(&mut self) -> Outcome<bool> {
        let proven = self.rollup.proven_tip;
        let pending = self.rollup.pending_tip;
        if pending == proven {
            return Ok(false);
        }
        let epoch = self.params.epoch_of(self.rollup.block(proven + 1).slot);
        if self.current_slot() <= self.params.proof_deadline(epoch) {
            return Ok(false);
        }
        self.rollup.pending_tip = proven;
        self.punish_missed_proof(epoch, proven + 1, pending)?;
        let last_epoch = self.params.epoch_of(self.rollup.block(pending).slot);
        for e in epoch..=last_epoch {
            self.rollup.epochs.remove(&e);
            let claim = self.rollup.claim(e);
            if e != epoch && claim.status == ClaimStatus::Claimed {
                self.rollup.claims.get_mut(&e).expect("claimed").status = ClaimStatus::Cancelled;
                self.escrow.release_bond(claim.prover, claim.bond_amount)?;
            }
        }
        Ok(true)
    }

    fn punish_missed_proof(&mut self, epoch: u64, from: u64, to: u64) -> Outcome {
        let claim = self.rollup.claim(epoch);
        let (pool, escrow, staking) = (
            self.addresses.pool,
            self.addresses.escrow,
            self.addresses.staking,
        );
        if claim.status == ClaimStatus::Claimed {
            self.rollup.claims.get_mut(&epoch).expect("claimed").status = ClaimStatus::Slashed;
            let bond = claim.bond_amount;
            let log = self.rollup.epoch_log(epoch);
            let count = u128::from(log.block_count);
            let unproven = u128::from(log.first_block + u64::from(log.block_count) - from);
            let slashed = (bond * unproven).div_ceil(count);
            let share = slashed / u128::from(to - from + 1);
            self.escrow
                .slash_bond(&mut self.token, claim.prover, slashed, pool, escrow)?;
            self.escrow.release_bond(claim.prover, bond - slashed)?;
            if share == 0 {
                return Ok(());
            }
            for n in from..=to {
                let proposer = self.rollup.block(n).proposer;
                self.pool.credit(&self.token, pool, proposer, share, 0)?;
            }
        } else if self.params.unproven_block_penalty > 0 && !self.rollup.block(from).backup {
            let proposer = self.rollup.block(from).proposer;
            let penalty = self.params.unproven_block_penalty;
            self.staking.slash(
                &mut self.token,
                &self.params,
                self.now,
                proposer,
                penalty,
                pool,
                staking,
            )?;
        }
        Ok(())
    }

    /// Pays a proof: releases the inbox deposits consumed up to the last proven block into the
    /// pool's fee funds (when its blocks consumed any); then `payee` gets, in one credit, the
    /// prover cut (at `bps`) of every proven block's reward and, apart, of its fees, plus the
    /// submission reward when the proof completes its epoch; then each block's proposer gets the
    /// rest of its block's reward and fees. Reverts as the pool does when the fees exceed the fee
    /// funds.
    fn pay_proof(
        &mut self,
        payee: Address,
        bps: u128,
        complete: bool,
        first: u64,
        inputs: &[U256],
    ) -> Outcome {
        let pool = self.addresses.pool;
        let count = (inputs.len() / K) as u64;
        self.release_fees(first, first + count - 1)?;
        let reward = self.params.block_reward;
        let reward_cut = reward * bps / u128::from(BASIS_POINTS);
        let submission = match complete {
            true => self.params.proof_submission_reward,
            false => 0,
        };
        let payee_reward = submission + reward_cut * u128::from(count);
        let fees: Vec<u128> = inputs
            .chunks(K)
            .map(|row| (row[2] >> 128usize).saturating_to())
            .collect();
        let payee_fees: u128 = fees
            .iter()
            .map(|f| f * bps / u128::from(BASIS_POINTS))
            .sum();
        self.pool
            .credit(&self.token, pool, payee, payee_reward, payee_fees)?;
        for (i, fee) in fees.into_iter().enumerate() {
            let proposer = self.rollup.block(first + i as u64).proposer;
            let fee_share = fee - fee * bps / u128::from(BASIS_POINTS);
            self.pool
                .credit(&self.token, pool, proposer, reward - reward_cut, fee_share)?;
        }
        Ok(())
    }

    /// Releases the inbox deposits consumed by blocks `first..=last` into the pool's fee funds
    /// (`_releaseFees`: when they consumed any).
    pub(super) fn release_fees(&mut self, first: u64, last: u64) -> Outcome {
        let (pool, inbox) = (self.addresses.pool, self.addresses.inbox);
        let cursor = self.rollup.block(last).inbox_cursor;
        if cursor > self.rollup.block(first - 1).inbox_cursor {
            let released = self.inbox.release(&mut self.token, cursor, inbox, pool)?;
            self.pool.add_fee_funds(released);
        }
        Ok(())
    }

    /// Checks a submission's rows; returns the first block, the last one they prove, and the
    /// epoch's last block.
    pub(super) fn check_epoch_inputs(
        &self,
        epoch: u64,
        inputs: &[U256],
    ) -> Outcome<(u64, u64, u64)> {
        let first = self.rollup.proven_tip + 1;
        if first > self.rollup.pending_tip {
            return Err(Revert::of(Errors::Rollup__NothingToProve {
                epoch: u(epoch),
            }));
        }
        let oldest = self.params.epoch_of(self.rollup.block(first).slot);
        if oldest != epoch {
            return Err(Revert::of(Errors::Rollup__InvalidEpochToProve {
                expected: u(oldest),
                actual: u(epoch),
            }));
        }
        let current = self.current_epoch();
        if current <= epoch {
            return Err(Revert::of(Errors::Rollup__EpochNotEnded {
                epoch: u(epoch),
                currentEpoch: u(current),
            }));
        }
        let deadline = self.params.proof_deadline(epoch);
        let slot = self.current_slot();
        if slot > deadline {
            return Err(Revert::of(Errors::Rollup__ProofWindowClosed {
                epoch: u(epoch),
                deadlineSlot: u(deadline),
                currentSlot: u(slot),
            }));
        }
        let log = self.rollup.epoch_log(epoch);
        let last = log.first_block + u64::from(log.block_count) - 1;
        let max_rows = last - first + 1;
        let words = inputs.len();
        if words == 0 || !words.is_multiple_of(K) || (words / K) as u64 > max_rows {
            return Err(Revert::of(Errors::Rollup__InvalidPublicInputsLength {
                rowWords: U256::from(K),
                maxRows: U256::from(max_rows),
                actualWords: U256::from(words),
            }));
        }
        let to = first + (words / K) as u64 - 1;
        for (n, row) in (first..=to).zip(inputs.chunks(K)) {
            let expected = self.rollup.block(n).public_inputs_hash;
            let actual = hash_words(row);
            if actual != expected {
                return Err(Revert::of(Errors::Rollup__PublicInputsMismatch {
                    blockNumber: u(n),
                    expected,
                    actual,
                }));
            }
        }
        Ok((first, to, last))
    }

    fn has_unproven_blocks(&self, epoch: u64) -> bool {
        let log = self.rollup.epoch_log(epoch);
        log.block_count > 0
            && log.first_block + u64::from(log.block_count) - 1 > self.rollup.proven_tip
    }

    /// Counts the previous slot's vote, now final.
    fn settle_pending_vote(&mut self) {
        let Some((payload, slot)) = self.rollup.pending_vote.take() else {
            return;
        };
        if payload == Address::ZERO {
            return;
        }
        let round = slot / self.params.vote_round_size;
        let votes = self.rollup.votes.entry((round, payload)).or_default();
        *votes += 1;
        if *votes == self.params.vote_quorum && !self.rollup.signalled.contains_key(&round) {
            self.rollup.signalled.insert(round, payload);
        }
    }

    /// The EIP-712 digest of a quote under the rollup's domain.
    pub fn quote_digest(&self, signed: &SignedEpochProofQuote) -> B256 {
        let domain = eip712_domain! {
            name: "FernetRollup",
            version: "1",
            chain_id: self.chain_id,
            verifying_contract: self.addresses.rollup,
        };
        signed.quote.eip712_signing_hash(&domain)
    }

    /// What OpenZeppelin's `ECDSA.tryRecover` returns: the signer, or zero for a malformed or
    /// malleable signature.
    fn recover_quote_signer(&self, signed: &SignedEpochProofQuote) -> Address {
        try_recover(self.quote_digest(signed), &signed.signature).unwrap_or(Address::ZERO)
    }
}

/// OpenZeppelin's `ECDSA.tryRecover(digest, signature)`: the signer, or `None` for a signature
/// that is not 65 bytes, has a malleable `s`, or does not recover (`ecrecover` returns zero, as
/// for a `v` other than 27 or 28).
pub(crate) fn try_recover(digest: B256, bytes: &[u8]) -> Option<Address> {
    if bytes.len() != 65 {
        return None;
    }
    let r = U256::from_be_slice(&bytes[..32]);
    let s = U256::from_be_slice(&bytes[32..64]);
    let v = bytes[64];
    if s > SECP256K1_HALF_ORDER || (v != 27 && v != 28) {
        return None;
    }
    Signature::new(r, s, v == 28)
        .recover_address_from_prehash(&digest)
        .ok()
        .filter(|signer| *signer != Address::ZERO)
}
