//! The committee mode's prover (seed 004): proves the chunks assigned to the committee members
//! this node proves for, publishes them, gathers everyone's chunk proofs, submits each ended
//! epoch's committee proof, and reports members silent for `inactivityLimit` blocks.
//!
//! Chunk `j` of a block with `k` signers is assigned to signer `j mod k` (the signers in their
//! sign-off order, lowest score first); from `takeoverSlots` into the epoch's proof window any
//! signer may prove it, and this node then proves an orphaned chunk for one of its own members
//! among the block's signers. A backup block has no signers: its chunks pay the submitter, so
//! this node proves them for its own address. Every chunk proof is checked before it is used:
//! ours against the public inputs we asked for, a peer's with the deployed chunk verifier.

use std::collections::{BTreeMap, BTreeSet};

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::DynProvider,
};
use fernet_bindings::{
    i_committee_rollup::{ICommitteeRollup::CommitteeProof, IRollup::EpochSplit},
    ChunkProofVerifier, Committees, ContractResultExt, ICommitteeRollup,
};
use fernet_l1::TxSender;
use fernet_node::{
    committee::{ChunkProofMessage, CommitteeMessage},
    Network,
};
use fernet_state::{BlockWitness, NUM_PUBLIC_INPUTS};
use tokio::sync::{broadcast, broadcast::error::TryRecvError, watch};
use tracing::{debug, info, warn};

use crate::{
    l1::{RollupView, Snapshot},
    orchestrator::{checked_committed_words, JobOutcome, ProvingBroker, WitnessSource},
    Error, Result,
};

/// One chunk of a tracked block.
#[derive(Debug, Clone)]
struct Chunk {
    /// Its witness, with no payee yet.
    witness: BlockWitness,
    /// Our job: its id and the signer index it pays.
    job: Option<(B256, usize)>,
    /// Its proof and the signer index it pays (`0` for a backup block's).
    proof: Option<(usize, Vec<u8>)>,
}

/// A block of the unproven chain, with its signers and chunks.
#[derive(Debug, Clone)]
struct Tracked {
    number: u64,
    commitment: B256,
    slot: u64,
    proposer: Address,
    backup: bool,
    /// The sign-off order (empty for a backup block).
    signers: Vec<Address>,
    /// The six committed words.
    committed: [[u8; 32]; 6],
    chunks: Vec<Chunk>,
}

impl Tracked {
    /// The public inputs of chunk `chunk` proven for `payee`.
    fn inputs(&self, chunk: usize, payee: Address) -> [[u8; 32]; NUM_PUBLIC_INPUTS] {
        self.chunks[chunk]
            .witness
            .public_inputs
            .with_payee(payee.into_array())
            .to_u256_be_words()
    }

    /// Who proves chunk `chunk` for its payee, if it is ours ([`our_prover`]).
    fn our_prover(
        &self,
        chunk: usize,
        members: &[Address],
        own: Address,
        takeover: bool,
    ) -> Option<(usize, Address)> {
        our_prover(&self.signers, self.backup, chunk, members, own, takeover)
    }
}

/// Who proves chunk `chunk` of a block signed by `signers` (a backup block if `backup`), as the
/// signer index it pays and its payee, when it is ours: the assigned signer (`chunk mod k`) when
/// it is one of `members`; else, from the takeover on, the first of `members` among the signers;
/// a backup block's chunks are `own`'s (the submitter is paid for them).
fn our_prover(
    signers: &[Address],
    backup: bool,
    chunk: usize,
    members: &[Address],
    own: Address,
    takeover: bool,
) -> Option<(usize, Address)> {
    if backup {
        return Some((0, own));
    }
    let k = signers.len();
    if k == 0 {
        return None;
    }
    let assigned = chunk % k;
    if members.contains(&signers[assigned]) {
        return Some((assigned, signers[assigned]));
    }
    if !takeover {
        return None;
    }
    signers
        .iter()
        .position(|signer| members.contains(signer))
        .map(|index| (index, signers[index]))
}

/// What drives the committee prover.
#[derive(Debug)]
pub struct CommitteeParts<W, B> {
    /// Reads the rollup.
    pub view: RollupView,
    /// The chain's witnesses.
    pub witnesses: W,
    /// Proves.
    pub broker: B,
    /// Sends proofs and inactivity reports (its address is paid for backup blocks' chunks).
    pub sender: TxSender,
    /// The committee members this node proves for (their addresses are the payees).
    pub members: Vec<Address>,
    /// Tx slots per chunk (the deployment's chunk size).
    pub chunk_txs: usize,
    /// The deployed chunk verifier (checks peers' proofs).
    pub chunk_verifier: Address,
    /// The staking contract (the committees' member sets).
    pub staking: Address,
    /// The rollup's deployment block (where sign-off events start).
    pub deploy_block: u64,
    /// Publishes our chunk proofs.
    pub network: Network,
    /// `takeoverSlots` and `inactivityLimit`.
    pub takeover_slots: u64,
    /// Misses that make a member slashable.
    pub inactivity_limit: usize,
    /// Tick period.
    pub polling_interval: std::time::Duration,
}

/// The committee mode's prover loop.
#[derive(Debug)]
pub struct CommitteeProver<W, B> {
    parts: CommitteeParts<W, B>,
    rollup: ICommitteeRollup::ICommitteeRollupInstance<DynProvider>,
    committees: Committees<DynProvider>,
    blocks: BTreeMap<u64, Tracked>,
    /// Blocks proven since the misses were last counted, lowest first.
    proven: Vec<Tracked>,
    /// Per member, the proven blocks it missed since its last sign-off, lowest first.
    misses: BTreeMap<Address, Vec<u64>>,
    /// Epochs whose proof this node sent.
    submitted: BTreeSet<u64>,
    /// Ticks so far.
    ticks: u64,
    /// The tick at which each epoch's proof was first complete here.
    ready_at: BTreeMap<u64, u64>,
    /// Ticks this node waits after a proof is complete before sending it (0 to 3, from its
    /// address).
    stagger: u64,
}

impl<W: WitnessSource, B: ProvingBroker> CommitteeProver<W, B> {
    /// A prover over `parts`.
    pub fn new(parts: CommitteeParts<W, B>) -> Self {
        let sender_byte = parts.sender.address().0[19];
        let provider = parts.view.rollup().provider().clone();
        let rollup_address = *parts.view.rollup().address();
        let clock = parts.view.windows().clock;
        let committees = Committees::new(
            provider.clone(),
            rollup_address,
            parts.staking,
            clock.epoch_duration,
        );
        Self {
            rollup: ICommitteeRollup::new(rollup_address, provider),
            committees,
            parts,
            blocks: BTreeMap::new(),
            proven: Vec::new(),
            misses: BTreeMap::new(),
            submitted: BTreeSet::new(),
            ticks: 0,
            ready_at: BTreeMap::new(),
            stagger: u64::from(sender_byte % 4),
        }
    }

    /// Ticks every polling interval until `shutdown` turns true.
    pub async fn run(
        mut self,
        mut feed: broadcast::Receiver<CommitteeMessage>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut interval = tokio::time::interval(self.parts.polling_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !*shutdown.borrow() {
            tokio::select! {
                _ = interval.tick() => {
                    if let Err(error) = self.tick(&mut feed).await {
                        warn!(%error, "committee prover tick failed");
                    }
                }
                _ = shutdown.changed() => {}
            }
        }
    }

    /// One round: track new blocks, prove ours, take peers' proofs, submit, report misses.
    async fn tick(&mut self, feed: &mut broadcast::Receiver<CommitteeMessage>) -> Result<()> {
        self.ticks += 1;
        let snapshot = self.parts.view.snapshot().await?;
        self.track(&snapshot).await?;
        self.prove_ours(&snapshot).await?;
        self.take_peer_proofs(feed).await;
        self.submit(&snapshot).await?;
        self.report_misses().await
    }

    /// Starts tracking the final unproven blocks (their signers from the sign-off event whose
    /// hash L1 recorded, their chunks from the node's witnesses); drops what is proven, pruned or
    /// replaced.
    async fn track(&mut self, snapshot: &Snapshot) -> Result<()> {
        let windows = *self.parts.view.windows();
        let tracked = std::mem::take(&mut self.blocks);
        for (number, block) in tracked {
            if snapshot
                .unproven
                .iter()
                .any(|b| b.number == number && b.commitment == block.commitment)
            {
                self.blocks.insert(number, block);
            } else if number <= snapshot.proven_tip {
                // Proven (a pruned or replaced block is dropped): its misses count.
                self.proven.push(block);
            }
        }
        for block in &snapshot.unproven {
            if self.blocks.contains_key(&block.number)
                || !windows.is_final(block.slot, snapshot.timestamp)
            {
                continue;
            }
            let log = self
                .rollup
                .blockLog(U256::from(block.number))
                .call()
                .await
                .decoded("CommitteeRollup.blockLog")?;
            let (signers, fixed_chunks) = if log.backup {
                (Vec::new(), None)
            } else {
                let (signers, chunks) = self.signers_of(block.number).await?;
                (signers, Some(chunks))
            };
            let witnesses = match self
                .parts
                .witnesses
                .chunk_witnesses(block.number, self.parts.chunk_txs)
            {
                Ok(witnesses) => witnesses,
                Err(error) => {
                    debug!(block = block.number, %error, "no witness yet");
                    continue;
                }
            };
            if witnesses.is_empty() {
                continue;
            }
            if let Some(fixed) = fixed_chunks.filter(|fixed| *fixed != witnesses.len() as u64) {
                return Err(Error::Config {
                    name: "chunk_txs",
                    reason: format!(
                        "block {} was signed off as {fixed} chunks; chunks of {} txs make {}",
                        block.number,
                        self.parts.chunk_txs,
                        witnesses.len()
                    ),
                });
            }
            let committed = checked_committed_words(block, &witnesses)?;
            debug!(
                block = block.number,
                chunks = witnesses.len(),
                signers = signers.len(),
                backup = log.backup,
                "tracking"
            );
            self.blocks.insert(
                block.number,
                Tracked {
                    number: block.number,
                    commitment: block.commitment,
                    slot: block.slot,
                    proposer: log.proposer,
                    backup: log.backup,
                    signers,
                    committed,
                    chunks: witnesses
                        .into_iter()
                        .map(|witness| Chunk {
                            witness,
                            job: None,
                            proof: None,
                        })
                        .collect(),
                },
            );
        }
        Ok(())
    }

    /// The signers and chunk count of block `number`: those of the `BlockSignedOff` event that
    /// hash to what L1 recorded (a replaced or re-proposed block emitted others).
    async fn signers_of(&self, number: u64) -> Result<(Vec<Address>, u64)> {
        let recorded = self
            .rollup
            .signersHashOf(U256::from(number))
            .call()
            .await
            .decoded("CommitteeRollup.signersHashOf")?;
        let events = self
            .rollup
            .BlockSignedOff_filter()
            .topic1(U256::from(number))
            .from_block(self.parts.deploy_block)
            .query()
            .await
            .map_err(|source| Error::Rpc {
                context: format!("eth_getLogs(BlockSignedOff {number})"),
                source: alloy::transports::TransportErrorKind::custom_str(&source.to_string()),
            })?;
        events
            .into_iter()
            .map(|(event, _)| (event.signers, event.chunkCount.saturating_to::<u64>()))
            .rev()
            .find(|(signers, chunks)| signers_hash(signers, *chunks) == recorded)
            .ok_or_else(|| Error::Config {
                name: "signers",
                reason: format!("no BlockSignedOff event of block {number} hashes to {recorded}"),
            })
    }

    /// Enqueues our chunks and polls our jobs; publishes each proof that checks out.
    async fn prove_ours(&mut self, snapshot: &Snapshot) -> Result<()> {
        let windows = *self.parts.view.windows();
        let own = self.parts.sender.address();
        let numbers: Vec<u64> = self.blocks.keys().copied().collect();
        for number in numbers {
            let tracked = &self.blocks[&number];
            let epoch = windows.clock.epoch_of(tracked.slot);
            let takeover = snapshot.slot
                >= windows
                    .clock
                    .epoch_first_slot(epoch + 1)
                    .saturating_add(self.parts.takeover_slots);
            for chunk in 0..tracked.chunks.len() {
                let tracked = &self.blocks[&number];
                let part = &tracked.chunks[chunk];
                if part.proof.is_some() || part.job.is_some() {
                    continue;
                }
                let Some((index, payee)) =
                    tracked.our_prover(chunk, &self.parts.members, own, takeover)
                else {
                    continue;
                };
                let witness = part.witness.clone().with_payee(payee.into_array());
                let job = self
                    .parts
                    .broker
                    .enqueue_block(epoch, witness.to_bytes())
                    .await?;
                info!(block = number, chunk, %payee, %job, "chunk job enqueued");
                if let Some(tracked) = self.blocks.get_mut(&number) {
                    tracked.chunks[chunk].job = Some((job, index));
                }
            }
        }
        let mut done = Vec::new();
        for (&number, tracked) in &self.blocks {
            for (chunk, part) in tracked.chunks.iter().enumerate() {
                let (Some((job, index)), None) = (part.job, &part.proof) else {
                    continue;
                };
                match self.parts.broker.job_status(job).await? {
                    JobOutcome::Proven(result) => done.push((number, chunk, index, result)),
                    JobOutcome::Failed(reason) => {
                        warn!(block = number, chunk, %reason, "chunk job failed: retrying");
                        self.parts.broker.retry(job).await?;
                    }
                    JobOutcome::Pending | JobOutcome::Unknown => {}
                }
            }
        }
        for (number, chunk, index, result) in done {
            let Some(tracked) = self.blocks.get_mut(&number) else {
                continue;
            };
            let payee = if tracked.backup {
                own
            } else {
                tracked.signers[index]
            };
            if result.public_inputs.as_slice() != tracked.inputs(chunk, payee).as_slice() {
                warn!(
                    block = number,
                    chunk, "our chunk proof has other public inputs: dropped"
                );
                tracked.chunks[chunk].job = None;
                continue;
            }
            let message = ChunkProofMessage {
                block_number: number,
                commitment: tracked.commitment,
                chunk: chunk as u32,
                chunks: tracked.chunks.len() as u32,
                from_root: B256::from(tracked.inputs(chunk, payee)[0]),
                to_root: B256::from(tracked.inputs(chunk, payee)[1]),
                prover_index: index as u32,
                payee,
                proof: Bytes::from(result.proof.clone()),
            };
            tracked.chunks[chunk].proof = Some((index, result.proof));
            info!(block = number, chunk, %payee, "chunk proven");
            if !tracked.backup {
                self.parts.network.chunk_proof(&message);
            }
        }
        Ok(())
    }

    /// Takes the peers' chunk proofs that fit a tracked block and verify with the chunk verifier.
    async fn take_peer_proofs(&mut self, feed: &mut broadcast::Receiver<CommitteeMessage>) {
        loop {
            let message = match feed.try_recv() {
                Ok(CommitteeMessage::ChunkProof(message)) => message,
                Ok(_) => continue,
                Err(TryRecvError::Lagged(missed)) => {
                    warn!(missed, "committee feed lagged");
                    continue;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            };
            let number = message.block_number;
            let chunk = message.chunk as usize;
            let index = message.prover_index as usize;
            let Some(tracked) = self.blocks.get(&number) else {
                continue;
            };
            if tracked.commitment != message.commitment
                || tracked.chunks.len() != message.chunks as usize
                || tracked
                    .chunks
                    .get(chunk)
                    .is_none_or(|part| part.proof.is_some())
                || tracked.signers.get(index) != Some(&message.payee)
            {
                continue;
            }
            let inputs = tracked.inputs(chunk, message.payee);
            let verifier = ChunkProofVerifier::new(
                self.parts.chunk_verifier,
                self.parts.view.rollup().provider().clone(),
            );
            let words: Vec<U256> = inputs.iter().map(|w| U256::from_be_bytes(*w)).collect();
            match verifier
                .verifyProof(message.proof.clone(), words)
                .call()
                .await
            {
                Ok(true) => {
                    debug!(block = number, chunk, payee = %message.payee, "peer's chunk proof taken");
                    if let Some(tracked) = self.blocks.get_mut(&number) {
                        tracked.chunks[chunk].proof = Some((index, message.proof.to_vec()));
                    }
                }
                Ok(false) | Err(_) => {
                    warn!(block = number, chunk, payee = %message.payee, "peer's chunk proof does not verify: dropped")
                }
            }
        }
    }

    /// Submits the oldest unproven epoch once it ended and every chunk of its blocks is proven.
    async fn submit(&mut self, snapshot: &Snapshot) -> Result<()> {
        let windows = *self.parts.view.windows();
        let Some(first) = snapshot.unproven.first() else {
            return Ok(());
        };
        let epoch = windows.clock.epoch_of(first.slot);
        if snapshot.epoch <= epoch || self.submitted.contains(&epoch) {
            return Ok(());
        }
        let blocks: Vec<_> = snapshot
            .unproven
            .iter()
            .take_while(|b| windows.clock.epoch_of(b.slot) == epoch)
            .collect();
        let mut public_inputs = Vec::new();
        let mut proof = CommitteeProof {
            split: EpochSplit {
                chunkCounts: Vec::new(),
                intermediateRoots: Vec::new(),
            },
            signers: Vec::new(),
            signerCounts: Vec::new(),
            provers: Vec::new(),
            proofs: Bytes::new(),
        };
        let mut proofs = Vec::new();
        for block in &blocks {
            let Some(tracked) = self.blocks.get(&block.number) else {
                return Ok(());
            };
            let mut chunk_proofs = Vec::new();
            for part in &tracked.chunks {
                let Some((index, bytes)) = &part.proof else {
                    return Ok(());
                };
                chunk_proofs.push((*index, bytes.clone()));
            }
            public_inputs.extend(tracked.committed.iter().map(|w| U256::from_be_bytes(*w)));
            proof
                .split
                .chunkCounts
                .push(U256::from(tracked.chunks.len()));
            let (_, between) = tracked.chunks.split_last().expect("a block has a chunk");
            proof.split.intermediateRoots.extend(
                between.iter().map(|part| {
                    U256::from_be_bytes(part.witness.public_inputs.to_u256_be_words()[1])
                }),
            );
            proof.signers.extend(tracked.signers.iter().copied());
            proof.signerCounts.push(U256::from(tracked.signers.len()));
            for (index, bytes) in chunk_proofs {
                proof.provers.push(U256::from(index));
                proofs.extend(bytes);
            }
        }
        proof.proofs = Bytes::from(proofs);
        let proven_tip: u64 = self
            .rollup
            .provenTip()
            .call()
            .await
            .decoded("CommitteeRollup.provenTip")?
            .saturating_to();
        let last = blocks.last().map_or(0, |b| b.number);
        if proven_tip >= last {
            self.submitted.insert(epoch);
            return Ok(());
        }
        // Every prover node holds the same proof once the chunks are gossiped: each waits its own
        // number of ticks (from its address) before it sends, so they rarely send together.
        let ready = *self.ready_at.entry(epoch).or_insert(self.ticks);
        if self.ticks < ready + self.stagger {
            return Ok(());
        }
        let call = self
            .rollup
            .submitCommitteeEpochProof(U256::from(epoch), public_inputs, proof);
        let context = format!("submitCommitteeEpochProof(epoch {epoch}, blocks ..={last})");
        let sent = match self.parts.sender.send_call(call, context).await {
            Ok(pending) => pending.receipt().await.map_err(Error::from),
            Err(error) => Err(Error::from(error)),
        };
        match sent {
            Ok(receipt) => {
                info!(epoch, blocks = blocks.len(), tx = %receipt.transaction_hash, gas = receipt.gas_used, "committee epoch proof submitted");
                self.submitted.insert(epoch);
            }
            // Another node's proof may have landed first: the next tick reads the proven tip.
            Err(error) => warn!(epoch, %error, "committee epoch proof not submitted"),
        }
        Ok(())
    }

    /// Counts the misses of every member in the newly proven signed blocks, and reports each
    /// member with `inactivityLimit` of them (`slashInactive`; a report L1 refuses, because the
    /// member signed off a later block or someone reported it first, clears its misses).
    async fn report_misses(&mut self) -> Result<()> {
        let clock = self.parts.view.windows().clock;
        for block in std::mem::take(&mut self.proven) {
            if block.backup {
                continue;
            }
            let committee = self.committees.epoch(clock.epoch_of(block.slot)).await?;
            for member in &committee.members {
                if *member == block.proposer {
                    continue;
                }
                let misses = self.misses.entry(*member).or_default();
                if block.signers.contains(member) {
                    misses.clear();
                } else if committee.is_member(block.slot, *member) {
                    misses.push(block.number);
                }
            }
        }
        let limit = self.parts.inactivity_limit;
        let silent: Vec<(Address, Vec<U256>)> = self
            .misses
            .iter()
            .filter(|(_, misses)| misses.len() >= limit && limit > 0)
            .map(|(member, misses)| {
                (
                    *member,
                    misses[..limit].iter().map(|n| U256::from(*n)).collect(),
                )
            })
            .collect();
        for (member, blocks) in silent {
            let call = self.rollup.slashInactive(member, blocks.clone());
            let context = format!("slashInactive({member})");
            match self.parts.sender.send_call(call, context).await {
                Ok(pending) => {
                    let receipt = pending.receipt().await?;
                    info!(%member, blocks = ?blocks, tx = %receipt.transaction_hash, "silent committee member reported");
                    if let Some(misses) = self.misses.get_mut(&member) {
                        misses.drain(..limit);
                    }
                }
                Err(error) => {
                    info!(%member, %error, "inactivity report refused: its misses are cleared");
                    self.misses.remove(&member);
                }
            }
        }
        Ok(())
    }
}

/// `keccak256` of `signers` as 32-byte words followed by `chunk_count`, as the rollup records
/// them (`abi.encodePacked(signers, chunkCount)`).
fn signers_hash(signers: &[Address], chunk_count: u64) -> B256 {
    let words: Vec<u8> = signers
        .iter()
        .flat_map(|signer| B256::left_padding_from(signer.as_slice()).0)
        .chain(U256::from(chunk_count).to_be_bytes::<32>())
        .collect();
    keccak256(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_go_to_their_assigned_signer_then_to_any_of_ours_after_the_takeover() {
        let [a, b, c] = [1u8, 2, 3].map(Address::repeat_byte);
        let own = Address::repeat_byte(9);
        let signers = [a, b, c];
        // We prove for b: chunks 1 and 4 are b's (j mod 3 == 1).
        for chunk in 0..6 {
            let ours = our_prover(&signers, false, chunk, &[b], own, false);
            assert_eq!(ours, (chunk % 3 == 1).then_some((1, b)), "chunk {chunk}");
        }
        // After the takeover, b proves every chunk, still paid as itself.
        for chunk in 0..6 {
            assert_eq!(
                our_prover(&signers, false, chunk, &[b], own, true),
                Some((1, b))
            );
        }
        // Not a signer: nothing, even after the takeover.
        assert_eq!(our_prover(&signers, false, 0, &[own], own, true), None);
        // A backup block's chunks pay the submitter.
        assert_eq!(our_prover(&[], true, 3, &[b], own, false), Some((0, own)));
        assert_eq!(our_prover(&[], false, 0, &[b], own, true), None);
    }

    #[test]
    fn the_signers_hash_is_keccak_of_their_words_and_the_chunk_count() {
        let signers = [Address::repeat_byte(1), Address::repeat_byte(2)];
        let mut words = [0u8; 96];
        words[12..32].copy_from_slice(signers[0].as_slice());
        words[44..64].copy_from_slice(signers[1].as_slice());
        words[95] = 3;
        assert_eq!(signers_hash(&signers, 3), keccak256(words));
        assert_ne!(signers_hash(&signers, 4), keccak256(words));
    }
}
