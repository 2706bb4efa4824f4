//! The committee mode (`CommitteeRollup`, seed 004): each epoch's set size recorded with its
//! randomness checkpoint, slot committees (the members scoring below the epoch's threshold),
//! proposals with the committee's EIP-712 sign-offs, committee epoch proofs (every block in
//! chunks, each chunk paying its assigned signer, any signer from the takeover slot, a backup
//! block's chunks the sender) with their payments, and the inactivity slash.
//!
//! Written from `ICommitteeRollup`'s NatSpec; every check reverts with the contract's error and
//! arguments, in the contract's order.

use std::collections::BTreeMap;

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    sol,
    sol_types::{eip712_domain, Panic, PanicKind, SolStruct},
};
use fernet_bindings::{errors::Errors, IRollup::ProposeArgs};
use fernet_primitives::BASIS_POINTS;
use fernet_state::{BLOCK_DATA_HEADER_BYTES, PROOF_BYTES, TX_EFFECT_BYTES};

use super::{
    rollup::{
        batch_accepted, check_split_shape, invalid_proof, score, split_rows, try_recover, u,
        Circuit, EpochSplit, ProofOracle, K,
    },
    Model,
};
use crate::{
    params::CommitteeParams,
    reverts::{Outcome, Revert},
};

sol! {
    /// `SignoffLib`'s EIP-712 struct: `Signoff(uint256 blockNumber,uint256 slot,bytes32
    /// publicInputsHash)`.
    struct Signoff {
        uint256 blockNumber;
        uint256 slot;
        bytes32 publicInputsHash;
    }
}

/// The committee mode's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committee {
    /// Each epoch's member count, recorded with its randomness checkpoint (`_committeeSetSize`).
    pub set_sizes: BTreeMap<u64, u64>,
    /// Each block's signers in sign-off order, as last written (stale for a pruned number that a
    /// backup block reused, as the contract's hash is).
    pub signers: BTreeMap<u64, Vec<Address>>,
    /// Each signed block's chunk count, fixed at its sign-off (stale like `signers`).
    pub chunk_counts: BTreeMap<u64, u64>,
    /// The slot up to which each staker's duty is settled (`_settledSlot`).
    pub settled: BTreeMap<Address, u64>,
}

/// `ICommitteeRollup.CommitteeProof`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitteeProof {
    /// Each block's chunk count and the roots between its chunks.
    pub split: EpochSplit,
    /// Each block's signers, concatenated in block order.
    pub signers: Vec<Address>,
    /// Per block, how many of `signers` are its own.
    pub signer_counts: Vec<U256>,
    /// Per chunk, the index among its block's signers of the prover it pays.
    pub provers: Vec<U256>,
    /// Every chunk proof, 256 bytes each.
    pub proofs: Bytes,
}

/// keccak256 of `signers` as 32-byte words followed by `chunk_count`
/// (`abi.encodePacked(address[], uint256)`), zero for no signers.
pub fn signers_hash(signers: &[Address], chunk_count: U256) -> B256 {
    if signers.is_empty() {
        return B256::ZERO;
    }
    let mut packed = Vec::with_capacity(32 * (signers.len() + 1));
    for signer in signers {
        packed.extend_from_slice(B256::left_padding_from(signer.as_slice()).as_slice());
    }
    packed.extend_from_slice(&chunk_count.to_be_bytes::<32>());
    keccak256(packed)
}

/// `_chunkCount`: the chunks of a block of `tx_count` txs, `max(1, ceil(tx_count / chunk_txs))`.
fn chunk_count(tx_count: u64, chunk_txs: u64) -> u64 {
    tx_count.div_ceil(chunk_txs).max(1)
}

/// What a call of a committee entry point on the quote mode's `Rollup` returns: it has no such
/// function and no fallback, so it reverts without data.
fn no_such_function() -> Revert {
    Revert(Bytes::new())
}

/// Checked arithmetic's revert (`Panic(0x11)`).
fn overflow() -> Revert {
    Revert::of(Panic::from(PanicKind::UnderOverflow))
}

fn share(amount: U256, bps: u128) -> U256 {
    amount * U256::from(bps) / U256::from(BASIS_POINTS)
}

impl Model {
    /// The committee parameters (the committee mode).
    pub fn committee_params(&self) -> Option<&CommitteeParams> {
        self.params.committee.as_ref()
    }

    fn committee_config(&self) -> CommitteeParams {
        self.params
            .committee
            .clone()
            .expect("a committee entry point of the committee mode")
    }

    /// `committeeSetSize(epoch)`: the count recorded with the epoch's checkpoint, else (none, or
    /// an empty set) staking's `memberCount(epoch)`.
    pub fn committee_set_size(&self, epoch: u64) -> u64 {
        match self.committee.set_sizes.get(&epoch) {
            Some(&members) if members != 0 => members,
            _ => self.staking.member_count(epoch),
        }
    }

    /// `committeeThreshold(epoch)`: `type(uint256).max / setSize * committeeSize`, the maximum
    /// while the set is no larger than the committee, 0 for an empty set (and in the quote mode,
    /// which has no committees).
    pub fn committee_threshold(&self, epoch: u64) -> U256 {
        let Some(size) = self.committee_params().map(|c| c.committee_size) else {
            return U256::ZERO;
        };
        match self.committee_set_size(epoch) {
            0 => U256::ZERO,
            members if members <= size => U256::MAX,
            members => U256::MAX / U256::from(members) * U256::from(size),
        }
    }

    /// `scoreOf(slot, staker)`: `keccak256(seed, slot, staker)` under the slot's epoch's seed.
    pub fn score_of(&self, slot: u64, staker: Address) -> U256 {
        score(self.seed(self.params.epoch_of(slot)), slot, staker)
    }

    /// `isCommitteeMember(slot, staker)`: a member of the slot's epoch scoring below its
    /// threshold.
    pub fn is_committee_member(&self, slot: u64, staker: Address) -> bool {
        let epoch = self.params.epoch_of(slot);
        self.score_of(slot, staker) < self.committee_threshold(epoch)
            && self.staking.is_member(staker, epoch)
    }

    /// `signoffDigest(blockNumber, slot, publicInputsHash)`: the EIP-712 digest under the
    /// rollup's domain ("FernetRollup", "1", chain id, rollup).
    pub fn signoff_digest(&self, block_number: u64, slot: u64, public_inputs_hash: B256) -> B256 {
        let domain = eip712_domain! {
            name: "FernetRollup",
            version: "1",
            chain_id: self.chain_id,
            verifying_contract: self.addresses.rollup,
        };
        Signoff {
            blockNumber: u(block_number),
            slot: u(slot),
            publicInputsHash: public_inputs_hash,
        }
        .eip712_signing_hash(&domain)
    }

    /// `signersHashOf(blockNumber)`: the hash of the block's signers and chunk count, zero for a
    /// backup block.
    pub fn signers_hash_of(&self, block_number: u64) -> B256 {
        if self.rollup.block(block_number).backup {
            return B256::ZERO;
        }
        let count = self.committee.chunk_counts.get(&block_number).copied();
        self.committee
            .signers
            .get(&block_number)
            .map_or(B256::ZERO, |signers| {
                signers_hash(signers, U256::from(count.unwrap_or_default()))
            })
    }

    /// `settledDutySlot(staker)`.
    pub fn settled_duty_slot(&self, staker: Address) -> u64 {
        self.committee.settled.get(&staker).copied().unwrap_or(0)
    }

    /// Whether block `number` (proven or not) is a miss of `staker` now: a block of a slot whose
    /// committee it was in, not a backup block, not its own, after its settled slot.
    pub fn is_miss(&self, staker: Address, number: u64) -> bool {
        let block = self.rollup.block(number);
        self.is_committee_member(block.slot, staker)
            && !block.backup
            && block.proposer != staker
            && block.slot > self.settled_duty_slot(staker)
    }

    /// `rollup.proposeWithSignoffs(args, signoffs)` by `sender`.
    pub fn propose_with_signoffs(
        &mut self,
        sender: Address,
        args: &ProposeArgs,
        signoffs: &[Bytes],
    ) -> Outcome {
        if self.params.committee.is_none() {
            return Err(no_such_function());
        }
        self.transaction(|m| {
            let number = m.propose_block(sender, args)?;
            m.check_signoffs(sender, number, args.header.slot.saturating_to(), signoffs)?;
            let txs = (args.data.len() - BLOCK_DATA_HEADER_BYTES) / TX_EFFECT_BYTES;
            let count = chunk_count(txs as u64, m.committee_config().chunk_txs);
            m.committee.chunk_counts.insert(number, count);
            Ok(())
        })
    }

    /// `_checkSignoffs`: the quorum, then per sign-off its signature, not the proposer's,
    /// ascending scores, in the committee; records the signers and settles their duty.
    fn check_signoffs(
        &mut self,
        sender: Address,
        number: u64,
        slot: u64,
        signoffs: &[Bytes],
    ) -> Outcome {
        let quorum = self.committee_config().signoff_quorum;
        let count = signoffs.len();
        if (count as u64) < quorum {
            return Err(Revert::of(Errors::Rollup__TooFewSignoffs {
                blockNumber: u(number),
                quorum: u(quorum),
                signoffs: U256::from(count),
            }));
        }
        let epoch = self.params.epoch_of(slot);
        let seed = self.seed(epoch);
        let threshold = self.committee_threshold(epoch);
        let digest =
            self.signoff_digest(number, slot, self.rollup.block(number).public_inputs_hash);
        let mut signers = Vec::with_capacity(count);
        let mut previous = U256::ZERO;
        for (i, signoff) in signoffs.iter().enumerate() {
            let Some(signer) = try_recover(digest, signoff) else {
                return Err(Revert::of(Errors::Rollup__InvalidSignoff {
                    blockNumber: u(number),
                    index: U256::from(i),
                }));
            };
            if signer == sender {
                return Err(Revert::of(Errors::Rollup__ProposerSignedOff {
                    blockNumber: u(number),
                    proposer: signer,
                }));
            }
            let signer_score = score(seed, slot, signer);
            if i > 0 && signer_score <= previous {
                return Err(Revert::of(Errors::Rollup__SignoffsNotAscending {
                    blockNumber: u(number),
                    index: U256::from(i),
                    previousScore: previous,
                    score: signer_score,
                }));
            }
            if signer_score >= threshold || !self.staking.is_member(signer, epoch) {
                return Err(Revert::of(Errors::Rollup__NotInCommittee {
                    slot: u(slot),
                    staker: signer,
                    score: signer_score,
                    threshold,
                }));
            }
            previous = signer_score;
            signers.push(signer);
            self.committee.settled.insert(signer, slot);
        }
        self.committee.signers.insert(number, signers);
        Ok(())
    }

    /// `rollup.submitCommitteeEpochProof(epoch, inputs, proof)` by `sender`.
    pub fn submit_committee_epoch_proof(
        &mut self,
        sender: Address,
        epoch: u64,
        inputs: &[U256],
        proof: &CommitteeProof,
        oracle: &dyn ProofOracle,
    ) -> Outcome {
        if self.params.committee.is_none() {
            return Err(no_such_function());
        }
        self.transaction(|m| {
            m.write_checkpoint();
            let (first, to, last) = m.check_epoch_inputs(epoch, inputs)?;
            let payees = m.verify_committee_proof(sender, epoch, first, inputs, proof, oracle)?;
            m.rollup.proven_tip = to;
            m.pay_committee(sender, first, inputs, proof, &payees, to == last)
        })
    }

    /// `_verifyCommitteeProof`: no block whole, the split's shape, the chunk payees, then the
    /// chunk proofs against rows naming each chunk's payee; returns the payees.
    fn verify_committee_proof(
        &self,
        sender: Address,
        epoch: u64,
        first: u64,
        inputs: &[U256],
        proof: &CommitteeProof,
        oracle: &dyn ProofOracle,
    ) -> Outcome<Vec<Address>> {
        for (n, count) in (first..).zip(&proof.split.chunk_counts) {
            if count.is_zero() {
                return Err(Revert::of(Errors::Rollup__WholeBlockInCommitteeMode {
                    blockNumber: u(n),
                }));
            }
        }
        let blocks = inputs.len() / K;
        check_split_shape(first, blocks, &proof.split)?;
        let payees = self.chunk_payees(sender, epoch, first, proof)?;
        let (_, mut rows) = split_rows(inputs, &proof.split, Address::ZERO);
        for (row, payee) in rows.iter_mut().zip(&payees) {
            row[K] = U256::from_be_slice(payee.as_slice());
        }
        let expected = rows.len() * PROOF_BYTES;
        if proof.proofs.len() != expected {
            return Err(Revert::of(Errors::Rollup__InvalidProofsLength {
                expected: U256::from(expected),
                actual: U256::from(proof.proofs.len()),
            }));
        }
        if !batch_accepted(oracle, Circuit::Chunk, &proof.proofs, &rows) {
            return Err(invalid_proof(first, first + blocks as u64 - 1));
        }
        Ok(payees)
    }

    /// `_chunkPayees`: the lengths, then per block its signers against its sign-off hash and
    /// each chunk's prover index against the assignment (chunk j of k signers: signer j mod k,
    /// any signer from the takeover slot; a backup block's chunks pay the sender).
    fn chunk_payees(
        &self,
        sender: Address,
        epoch: u64,
        first: u64,
        proof: &CommitteeProof,
    ) -> Outcome<Vec<Address>> {
        let blocks = proof.split.chunk_counts.len();
        if proof.signer_counts.len() != blocks {
            return Err(Revert::of(Errors::Rollup__InvalidSignerCountsLength {
                expected: U256::from(blocks),
                actual: U256::from(proof.signer_counts.len()),
            }));
        }
        let (mut chunks, mut signer_total) = (U256::ZERO, U256::ZERO);
        for (count, signers) in proof.split.chunk_counts.iter().zip(&proof.signer_counts) {
            chunks = chunks.checked_add(*count).ok_or_else(overflow)?;
            signer_total = signer_total.checked_add(*signers).ok_or_else(overflow)?;
        }
        if U256::from(proof.signers.len()) != signer_total {
            return Err(Revert::of(Errors::Rollup__InvalidSignersLength {
                expected: signer_total,
                actual: U256::from(proof.signers.len()),
            }));
        }
        if U256::from(proof.provers.len()) != chunks {
            return Err(Revert::of(Errors::Rollup__InvalidProversLength {
                expected: chunks,
                actual: U256::from(proof.provers.len()),
            }));
        }
        let takeover_slot =
            self.params.first_slot(epoch + 1) + self.committee_config().takeover_slots;
        let takeover = self.current_slot() >= takeover_slot;
        let mut payees = Vec::new();
        let (mut signer_at, mut chunk_at) = (0usize, 0usize);
        for (n, (count, signer_count)) in
            (first..).zip(proof.split.chunk_counts.iter().zip(&proof.signer_counts))
        {
            let signer_end = signer_at + signer_count.saturating_to::<usize>();
            let chunk_end = chunk_at + count.saturating_to::<usize>();
            let signers = &proof.signers[signer_at..signer_end];
            let expected = self.signers_hash_of(n);
            let actual = signers_hash(signers, *count);
            if actual != expected {
                return Err(Revert::of(Errors::Rollup__SignersMismatch {
                    blockNumber: u(n),
                    expected,
                    actual,
                }));
            }
            let k = signers.len();
            for (j, prover) in proof.provers[chunk_at..chunk_end].iter().enumerate() {
                if k == 0 {
                    payees.push(sender);
                    continue;
                }
                let assigned = j % k;
                if *prover >= U256::from(k) || (*prover != U256::from(assigned) && !takeover) {
                    return Err(Revert::of(Errors::Rollup__ChunkNotAssigned {
                        blockNumber: u(n),
                        chunk: U256::from(j),
                        prover: *prover,
                        assigned: U256::from(assigned),
                        takeoverSlot: u(takeover_slot),
                    }));
                }
                payees.push(signers[prover.saturating_to::<usize>()]);
            }
            signer_at = signer_end;
            chunk_at = chunk_end;
        }
        Ok(payees)
    }

    /// `_payCommittee`: releases the consumed deposits, pays each block (its proposer, then its
    /// chunks' payees), then the sender the submission reward when the proof completes the
    /// epoch.
    fn pay_committee(
        &mut self,
        sender: Address,
        first: u64,
        inputs: &[U256],
        proof: &CommitteeProof,
        payees: &[Address],
        complete: bool,
    ) -> Outcome {
        let count = (inputs.len() / K) as u64;
        self.release_fees(first, first + count - 1)?;
        let mut chunk_at = 0;
        for (i, row) in inputs.chunks(K).enumerate() {
            let chunks = proof.split.chunk_counts[i].saturating_to::<usize>();
            let fees = row[2] >> 128usize;
            let signers = proof.signer_counts[i].saturating_to::<u64>();
            self.pay_block(
                first + i as u64,
                fees,
                signers,
                &payees[chunk_at..chunk_at + chunks],
            )?;
            chunk_at += chunks;
        }
        let submission = self.params.proof_submission_reward;
        if complete && submission != 0 {
            let pool = self.addresses.pool;
            self.pool.credit(&self.token, pool, sender, submission, 0)?;
        }
        Ok(())
    }

    /// `_payBlock`: the proposer `base + bonus * min(signers, committeeSize)` basis points of
    /// the block's reward and fees plus the rounding dust, each chunk an equal share of the rest
    /// (consecutive chunks of one payee in one credit).
    fn pay_block(&mut self, number: u64, fees: U256, signers: u64, payees: &[Address]) -> Outcome {
        let c = self.committee_config();
        let bps = c.sequencer_base_bps
            + c.sequencer_bonus_bps * u128::from(signers.min(c.committee_size));
        let chunks = U256::from(payees.len());
        let reward = U256::from(self.params.block_reward);
        let chunk_reward = (reward - share(reward, bps)) / chunks;
        let chunk_fees = (fees - share(fees, bps)) / chunks;
        let pool = self.addresses.pool;
        let proposer = self.rollup.block(number).proposer;
        self.pool.credit(
            &self.token,
            pool,
            proposer,
            (reward - chunk_reward * chunks).saturating_to(),
            (fees - chunk_fees * chunks).saturating_to(),
        )?;
        let mut run = 0u64;
        for (j, payee) in payees.iter().enumerate() {
            run += 1;
            if payees.get(j + 1) != Some(payee) {
                let run_words = U256::from(run);
                self.pool.credit(
                    &self.token,
                    pool,
                    *payee,
                    (chunk_reward * run_words).saturating_to(),
                    (chunk_fees * run_words).saturating_to(),
                )?;
                run = 0;
            }
        }
        Ok(())
    }

    /// `rollup.slashInactive(staker, blockNumbers)` by anyone.
    pub fn slash_inactive(&mut self, staker: Address, block_numbers: &[U256]) -> Outcome {
        if self.params.committee.is_none() {
            return Err(no_such_function());
        }
        self.transaction(|m| {
            m.write_checkpoint();
            let last_slot = m.check_misses(staker, block_numbers)?;
            m.committee.settled.insert(staker, last_slot);
            let penalty = m.committee_config().inactivity_penalty;
            let (pool, staking) = (m.addresses.pool, m.addresses.staking);
            m.staking.slash(
                &mut m.token,
                &m.params,
                m.now,
                staker,
                penalty,
                pool,
                staking,
            )?;
            Ok(())
        })
    }

    /// `_checkMisses`: exactly `inactivityLimit` proven blocks, ascending, each a miss of
    /// `staker`; returns the last one's slot.
    fn check_misses(&self, staker: Address, block_numbers: &[U256]) -> Outcome<u64> {
        let limit = self.committee_config().inactivity_limit;
        if block_numbers.len() as u64 != limit {
            return Err(Revert::of(Errors::Rollup__InvalidMissCount {
                limit: u(limit),
                count: U256::from(block_numbers.len()),
            }));
        }
        let settled = self.settled_duty_slot(staker);
        let proven = self.rollup.proven_tip;
        let mut previous = U256::ZERO;
        let mut last_slot = 0;
        for &number in block_numbers {
            if number <= previous || number > u(proven) {
                return Err(Revert::of(Errors::Rollup__InvalidMissedBlock {
                    blockNumber: number,
                    previous,
                    provenTip: u(proven),
                }));
            }
            let n: u64 = number.saturating_to();
            last_slot = self.rollup.block(n).slot;
            if !self.is_miss(staker, n) {
                return Err(Revert::of(Errors::Rollup__NotAMiss {
                    staker,
                    blockNumber: number,
                    settledSlot: u(settled),
                }));
            }
            previous = number;
        }
        Ok(last_slot)
    }
}
