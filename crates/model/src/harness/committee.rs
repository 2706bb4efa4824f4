//! The committee mode's actions as concrete calls: sign-offs made with the cast's keys, committee
//! epoch proofs built from the signers the model recorded, inactivity reports from the misses the
//! model knows, and what those steps did beyond their outcome.

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    signers::{local::PrivateKeySigner, SignerSync},
};
use fernet_bindings::IRollup::ProposeArgs;

use super::{Call, Harness};
use crate::{
    action::{CommitteeProofChoice, MissReport, ProofChoice, SignoffChoice},
    model::{hash_words, public_inputs, split_rows, CommitteeProof, Model, K},
};

/// `key`'s 65-byte signature (`r || s || v`, v 27 or 28) of `digest`.
fn sign(key: &PrivateKeySigner, digest: B256) -> Bytes {
    let signature = key
        .sign_hash_sync(&digest)
        .expect("a local key signs any digest");
    Bytes::from(signature.as_bytes().to_vec())
}

/// The other signature of the same key and digest (`s` replaced by `n - s`, the parity
/// flipped): `ecrecover` accepts it, OpenZeppelin's `tryRecover` rejects its high `s`.
fn malleable(signature: &Bytes) -> Bytes {
    let order = U256::from_be_bytes(SECP256K1_ORDER);
    let s = U256::from_be_slice(&signature[32..64]);
    let mut bytes = signature.to_vec();
    bytes[32..64].copy_from_slice(&(order - s).to_be_bytes::<32>());
    bytes[64] = if bytes[64] == 27 { 28 } else { 27 };
    bytes.into()
}

/// The secp256k1 group order `n`.
const SECP256K1_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

impl Harness {
    /// The proven blocks that are misses of `staker` now, ascending (what a reporter finds in
    /// the L1 history: in the slot's committee, not a backup block, not its own, after its
    /// settled slot).
    pub fn misses(&self, staker: Address) -> Vec<u64> {
        let m = &self.model;
        (1..=m.rollup.proven_tip)
            .filter(|n| m.is_miss(staker, *n))
            .collect()
    }

    /// `keys` sorted by ascending score in `slot` (stable: a key listed twice stays adjacent).
    fn by_score(&self, slot: u64, keys: &mut [&PrivateKeySigner]) {
        keys.sort_by_cached_key(|key| self.model.score_of(slot, key.address()));
    }

    /// The sign-offs of `proposer`'s block `number` (`args`) that `choice` asks for.
    pub(super) fn signoffs(
        &self,
        proposer: Address,
        args: &ProposeArgs,
        number: u64,
        choice: SignoffChoice,
        pick: u8,
    ) -> Vec<Bytes> {
        let m = &self.model;
        let quorum = m
            .committee_params()
            .map_or(1, |c| c.signoff_quorum as usize);
        let slot: u64 = args.header.slot.saturating_to();
        let epoch = m.params.epoch_of(slot);
        let mut committee: Vec<&PrivateKeySigner> = self
            .sequencers
            .iter()
            .filter(|key| key.address() != proposer && m.is_committee_member(slot, key.address()))
            .collect();
        self.by_score(slot, &mut committee);
        // Sequencer `pick mod 8` stays silent (if there is one of that index), and with the
        // high bit of `pick` only a quorum signs (the lowest scores): both leave misses. The
        // silent member signs after all when the others fall short of the quorum.
        let silent = self
            .sequencers
            .get(usize::from(pick & 7))
            .map(PrivateKeySigner::address);
        let mut chosen: Vec<&PrivateKeySigner> = committee
            .iter()
            .filter(|key| Some(key.address()) != silent)
            .copied()
            .collect();
        if pick & 0x80 != 0 {
            chosen.truncate(quorum);
        }
        for key in &committee {
            if chosen.len() >= quorum {
                break;
            }
            if !chosen.iter().any(|c| c.address() == key.address()) {
                chosen.push(key);
            }
        }
        self.by_score(slot, &mut chosen);
        let mut keys = match choice {
            SignoffChoice::Everyone => committee.clone(),
            _ => chosen,
        };
        match choice {
            SignoffChoice::Valid
            | SignoffChoice::Everyone
            | SignoffChoice::OtherData
            | SignoffChoice::Malformed => {}
            SignoffChoice::TooFew => keys.truncate(quorum.saturating_sub(1)),
            SignoffChoice::Unsorted => {
                if keys.len() >= 2 {
                    keys.swap(0, 1);
                }
            }
            SignoffChoice::Duplicate => {
                if let Some(first) = keys.first().copied() {
                    keys.insert(1, first);
                }
            }
            SignoffChoice::NonMember => {
                let prover = &self.provers[usize::from(pick) % self.provers.len()];
                keys.push(prover);
                self.by_score(slot, &mut keys);
            }
            SignoffChoice::OutsideCommittee => {
                let outside: Vec<&PrivateKeySigner> = self
                    .sequencers
                    .iter()
                    .filter(|key| {
                        let a = key.address();
                        a != proposer
                            && m.staking.is_member(a, epoch)
                            && !m.is_committee_member(slot, a)
                    })
                    .collect();
                let key = match outside.is_empty() {
                    false => outside[usize::from(pick) % outside.len()],
                    true => &self.provers[usize::from(pick) % self.provers.len()],
                };
                keys.push(key);
                self.by_score(slot, &mut keys);
            }
            SignoffChoice::ByProposer => {
                let own = self.sequencers.iter().find(|key| key.address() == proposer);
                keys.extend(own);
                self.by_score(slot, &mut keys);
            }
        }
        let inputs_hash = public_inputs(args)
            .map(|inputs| hash_words(&inputs))
            .unwrap_or_default();
        let signed_hash = match choice {
            SignoffChoice::OtherData => inputs_hash ^ B256::with_last_byte(1),
            _ => inputs_hash,
        };
        let digest = m.signoff_digest(number, slot, signed_hash);
        let mut signoffs: Vec<Bytes> = keys.iter().map(|key| sign(key, digest)).collect();
        if choice == SignoffChoice::Malformed && !signoffs.is_empty() {
            let i = usize::from(pick) % signoffs.len();
            signoffs[i] = match pick & 0x40 {
                0 => signoffs[i].slice(..64),
                _ => malleable(&signoffs[i]),
            };
        }
        signoffs
    }

    /// The epoch, inputs and committee proof a submission by `sender` carries: the oldest
    /// unproven epoch's first `rows` unproven blocks (all for 0), each signed block in the chunk
    /// count its sign-off fixed, backup block `i` in `1 + (shape >> 2 (i mod 4)) & 3`, each chunk proven for the signer it pays (its
    /// assigned one, or shifted by `pick` for a takeover; the sender for a backup block's),
    /// altered as `choice` says.
    pub(super) fn committee_proof(
        &self,
        sender: Address,
        rows: u8,
        shape: u8,
        choice: CommitteeProofChoice,
        pick: u8,
    ) -> (u64, Vec<U256>, CommitteeProof) {
        let m = &self.model;
        let rows_choice = match choice {
            CommitteeProofChoice::TamperedInputs => ProofChoice::TamperedInputs,
            CommitteeProofChoice::WrongEpoch => ProofChoice::WrongEpoch,
            _ => ProofChoice::Valid,
        };
        let (epoch, inputs, _) = self.epoch_proof(sender, rows, rows_choice);
        let first = m.rollup.proven_tip + 1;
        let mut proof = CommitteeProof::default();
        let mut payees = Vec::new();
        let mut block_signers = Vec::new();
        let mut padded = choice != CommitteeProofChoice::PaddedChunks;
        for (i, block) in inputs.chunks(K).enumerate() {
            let n = first + i as u64;
            let signers = match m.rollup.block(n).backup {
                true => Vec::new(),
                false => m.committee.signers.get(&n).cloned().unwrap_or_default(),
            };
            let count = match signers.is_empty() {
                true => 1 + u64::from(shape >> (2 * (i % 4)) & 3),
                false => {
                    let fixed = m.committee.chunk_counts.get(&n).copied().unwrap_or(1);
                    fixed + u64::from(!std::mem::replace(&mut padded, true))
                }
            };
            proof.split.chunk_counts.push(U256::from(count));
            for j in 0..count - 1 {
                let root = self.proofs.intermediate_root(block, j);
                proof.split.intermediate_roots.push(root);
            }
            let k = signers.len();
            for j in 0..count as usize {
                let index = match (k, choice) {
                    (0, _) => 0,
                    (k, CommitteeProofChoice::Takeover) => (j + 1 + usize::from(pick)) % k,
                    (k, _) => j % k,
                };
                proof.provers.push(U256::from(index));
                payees.push(signers.get(index).copied().unwrap_or(sender));
            }
            proof.signer_counts.push(U256::from(k));
            proof.signers.extend_from_slice(&signers);
            block_signers.push(signers);
        }
        let (_, mut chunk_rows) = split_rows(&inputs, &proof.split, Address::ZERO);
        let mut proofs = Vec::with_capacity(chunk_rows.len() * 256);
        for (c, (row, payee)) in chunk_rows.iter_mut().zip(&payees).enumerate() {
            let payee = match (c, choice) {
                (0, CommitteeProofChoice::CopiedProof) => self.other_actor(*payee),
                _ => *payee,
            };
            row[K] = U256::from_be_slice(payee.as_slice());
            proofs.extend_from_slice(&self.proofs.chunk_proof_for(row));
        }
        let blocks = block_signers.len();
        let block = match blocks {
            0 => 0,
            blocks => usize::from(pick) % blocks,
        };
        match choice {
            CommitteeProofChoice::Valid
            | CommitteeProofChoice::Takeover
            | CommitteeProofChoice::CopiedProof
            | CommitteeProofChoice::TamperedInputs
            | CommitteeProofChoice::WrongEpoch
            | CommitteeProofChoice::PaddedChunks => {}
            CommitteeProofChoice::ProverPastSigners => {
                let mut chunk_at = 0;
                for (i, signers) in block_signers.iter().enumerate() {
                    if !signers.is_empty() {
                        proof.provers[chunk_at] = match pick & 1 {
                            0 => U256::from(signers.len()),
                            _ => U256::MAX,
                        };
                        break;
                    }
                    chunk_at += proof.split.chunk_counts[i].saturating_to::<usize>();
                }
            }
            CommitteeProofChoice::WrongSigners if blocks > 0 => {
                let at: usize = block_signers[..block].iter().map(Vec::len).sum();
                match block_signers[block].len() {
                    0 => {
                        proof.signers.insert(at, sender);
                        proof.signer_counts[block] += U256::from(1);
                    }
                    1 => proof.signers[at] = self.other_actor(proof.signers[at]),
                    _ => proof.signers.swap(at, at + 1),
                }
            }
            CommitteeProofChoice::WrongSigners => {}
            CommitteeProofChoice::WholeBlock => {
                if let Some(count) = proof.split.chunk_counts.get_mut(block) {
                    *count = U256::ZERO;
                }
            }
            CommitteeProofChoice::WrongLengths => match pick % 4 {
                0 => {
                    proof.signer_counts.pop();
                }
                1 => proof.signers.push(sender),
                2 => {
                    proof.provers.pop();
                }
                // The signer counts' sum overflows with a second block that has signers.
                _ => {
                    if let Some(count) = proof.signer_counts.first_mut() {
                        *count = U256::MAX;
                    }
                }
            },
            CommitteeProofChoice::MissingRoot => {
                if proof.split.intermediate_roots.pop().is_none() {
                    proof.split.intermediate_roots.push(U256::from(1));
                }
            }
            CommitteeProofChoice::MissingProof => {
                proofs.truncate(proofs.len().saturating_sub(256));
            }
        }
        proof.proofs = proofs.into();
        (epoch, inputs, proof)
    }

    /// The staker and blocks an inactivity report names: the first sequencer from `staker` on
    /// with at least `inactivityLimit` misses (else sequencer `staker`), its first misses topped
    /// up with the following block numbers, altered as `report` says.
    pub(super) fn inactivity_report(&self, staker: u8, report: MissReport) -> (Address, Vec<U256>) {
        let m = &self.model;
        let limit = m
            .committee_params()
            .map_or(1, |c| c.inactivity_limit as usize);
        let count = self.sequencers.len();
        let start = usize::from(staker) % count;
        let mut reported = None;
        for i in 0..count {
            let candidate = self.sequencers[(start + i) % count].address();
            let misses = self.misses(candidate);
            if misses.len() >= limit {
                reported = Some((candidate, misses));
                break;
            }
        }
        let (staker, misses) = reported.unwrap_or_else(|| {
            let staker = self.sequencers[start].address();
            (staker, self.misses(staker))
        });
        let mut blocks: Vec<u64> = misses.iter().take(limit).copied().collect();
        let mut next = blocks.last().map_or(1, |b| b + 1);
        while blocks.len() < limit {
            blocks.push(next);
            next += 1;
        }
        let proven = m.rollup.proven_tip;
        match report {
            MissReport::Valid => {}
            MissReport::TooFew => {
                blocks.pop();
            }
            MissReport::NotAMiss => {
                let other = (1..=proven)
                    .rev()
                    .find(|n| !m.is_miss(staker, *n) && !blocks.contains(n));
                if let Some(other) = other {
                    blocks.pop();
                    blocks.push(other);
                    blocks.sort_unstable();
                }
            }
            MissReport::Unproven => {
                if let Some(last) = blocks.last_mut() {
                    *last = (*last).max(proven + 1);
                }
            }
            MissReport::NotAscending => blocks.reverse(),
        }
        (staker, blocks.into_iter().map(U256::from).collect())
    }
}

/// What a successful committee-mode step did beyond its outcome, read from the model before and
/// after it.
pub(super) fn notes(before: &Model, after: &Model, call: &Call) -> Vec<&'static str> {
    let mut notes = Vec::new();
    let Some(c) = after.committee_params() else {
        return notes;
    };
    if after.committee.set_sizes.len() > before.committee.set_sizes.len() {
        notes.push("set size recorded with the checkpoint");
    }
    match call {
        Call::ProposeSigned(args, signoffs) => {
            let number: u64 = args.header.blockNumber.saturating_to();
            let slot: u64 = args.header.slot.saturating_to();
            if number <= before.rollup.pending_tip && before.rollup.block(number).slot == slot {
                notes.push("block and its signers replaced");
            }
            if after.committee_threshold(after.params.epoch_of(slot)) == U256::MAX {
                notes.push("the whole set is the committee");
            }
            if (signoffs.len() as u64) > c.signoff_quorum {
                notes.push("more sign-offs than the quorum");
            }
            let settled_again = after.committee.signers.get(&number).is_some_and(|signers| {
                signers
                    .iter()
                    .any(|s| before.committee.settled.contains_key(s))
            });
            if settled_again {
                notes.push("a signer's duty settled again");
            }
        }
        Call::ProveCommittee(_, _, proof) => {
            let first = before.rollup.proven_tip + 1;
            if (first..=after.rollup.proven_tip).any(|n| after.rollup.block(n).backup) {
                notes.push("a backup block's chunks paid the sender");
            }
            if proof.split.chunk_counts.iter().any(|c| *c > U256::from(1)) {
                notes.push("a block proven in several chunks");
            }
            let (mut signer_at, mut chunk_at) = (0, 0);
            let mut taken_over = false;
            for (count, k) in proof.split.chunk_counts.iter().zip(&proof.signer_counts) {
                let (count, k) = (count.saturating_to::<usize>(), k.saturating_to::<usize>());
                for j in 0..count {
                    taken_over |= k > 0 && proof.provers[chunk_at + j] != U256::from(j % k);
                }
                signer_at += k;
                chunk_at += count;
            }
            debug_assert_eq!(signer_at, proof.signers.len());
            if taken_over {
                notes.push("a chunk proven by another signer after the takeover slot");
            }
        }
        Call::SlashInactive(staker, _) => {
            let (old, new) = (before.staking.info(*staker), after.staking.info(*staker));
            if !old.exiting && new.exiting {
                notes.push("an inactivity slash forced an exit");
            }
            if new.stake == old.stake {
                notes.push("an inactivity slash of an empty stake");
            }
        }
        _ => {}
    }
    notes
}
