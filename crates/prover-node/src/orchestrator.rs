//! The orchestrator: turns an epoch's blocks into independent proof jobs on the broker, polls
//! them, checks every result, and hands back the epoch proof once all blocks are proven.
//!
//! A block is proven whole, or split into chunk proofs that agents prove in parallel
//! ([`BlockSplit`]); L1 chains a split block's chunks root to root (`submitSplitEpochProof`).
//!
//! Every job names the prover's L1 address as its payee (the last public input: L1 verifies
//! with the claimant or the submitter there, so a copied proof pays its prover or fails).
//! Job ids are `keccak256(kind, input)`, so enqueueing a witness again returns the same job:
//! a restarted prover node, or two prover nodes of the same prover sharing a broker, never
//! prove a block twice.
//! Jobs are keyed by the block's L1 commitment: a block replaced in its slot, or re-proposed
//! after a prune, is a new job.
//! A job that failed for good (its attempts used up) is reported and queued again on the broker
//! with a new generation of attempts (`broker_retryJob`), so an epoch never dead-ends on it.
//! The pending jobs of an epoch the prover no longer proves, or of a replaced block, are
//! withdrawn from the broker's queue (`broker_cancelJob`): the broker hands out the lowest epoch
//! first, so they would otherwise come before every live epoch's jobs.

use std::{collections::BTreeMap, future::Future};

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use fernet_broker_api::{
    BlockProofResult, BrokerClient, JobId, JobKind, JobStatus as BrokerJobStatus,
};
use fernet_state::{BlockWitness, COMMITTED_PUBLIC_INPUTS, NUM_PUBLIC_INPUTS, PROOF_BYTES};
use tracing::debug;

use crate::{Error, Result};

/// The view of an L2 block the orchestrator needs: its number, slot and what L1 committed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvableBlock {
    /// Height.
    pub number: u64,
    /// Slot it was proposed in.
    pub slot: u64,
    /// `keccak256` of its six public inputs, stored by the rollup at proposal time.
    pub commitment: B256,
}

/// What became of a job, as far as the orchestrator cares: the broker's [`JobStatus`] with
/// the decoded result or failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Queued or being proven.
    Pending,
    /// Proven, with its result.
    Proven(BlockProofResult),
    /// Failed for good, with the broker's error.
    Failed(String),
    /// The broker does not know the job (its store was reset): enqueue it again.
    Unknown,
}

/// The circuit witnesses of the pending chain (the embedded node's world state).
pub trait WitnessSource: Send + Sync {
    /// The witness of block `number`, or why it is not available (not synced yet, not kept).
    fn witness(&self, number: u64) -> Result<BlockWitness>;

    /// The witnesses of block `number` proven as chunks of `chunk_txs` tx slots, in order.
    fn chunk_witnesses(&self, number: u64, chunk_txs: usize) -> Result<Vec<BlockWitness>>;
}

impl WitnessSource for fernet_node::ChainHandle {
    fn witness(&self, number: u64) -> Result<BlockWitness> {
        fernet_node::ChainHandle::witness(self, number).map_err(|error| Error::Witness {
            block: number,
            source: Box::new(error),
        })
    }

    fn chunk_witnesses(&self, number: u64, chunk_txs: usize) -> Result<Vec<BlockWitness>> {
        fernet_node::ChainHandle::chunk_witnesses(self, number, chunk_txs).map_err(|error| {
            Error::Witness {
                block: number,
                source: Box::new(error),
            }
        })
    }
}

/// How the orchestrator proves a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockSplit {
    /// One proof of the whole block (the block circuit).
    #[default]
    Whole,
    /// `max(1, ceil(txs / chunk_txs))` chunk proofs (the chunk circuit of the deployment's
    /// chunk size), proven in parallel: a block's latency is one chunk's with enough agents,
    /// and a block with at most `chunk_txs` txs costs one chunk proof, smaller than the block
    /// circuit's.
    Chunks {
        /// Tx slots per chunk: the deployment's `StateConfig::chunk_txs`.
        chunk_txs: usize,
    },
}

/// The proving broker, as the orchestrator uses it.
pub trait ProvingBroker: Send + Sync {
    /// Enqueues a `block` job of `epoch` with the serialized witness `input`; returns its id
    /// (the same id for the same input).
    fn enqueue_block(
        &self,
        epoch: u64,
        input: Vec<u8>,
    ) -> impl Future<Output = Result<B256>> + Send;

    /// The status of job `id`.
    fn job_status(&self, id: B256) -> impl Future<Output = Result<JobOutcome>> + Send;

    /// Queues the failed job `id` again with a new generation of attempts.
    fn retry(&self, id: B256) -> impl Future<Output = Result<()>> + Send;

    /// Withdraws job `id` if it is still queued (nobody needs its proof any more); a job being
    /// proven, finished or unknown is left as it is.
    fn cancel(&self, id: B256) -> impl Future<Output = Result<()>> + Send;
}

impl ProvingBroker for BrokerClient {
    async fn enqueue_block(&self, epoch: u64, input: Vec<u8>) -> Result<B256> {
        let enqueued = self
            .enqueue_job(JobKind::Block, epoch, &input)
            .await
            .map_err(|source| Error::Broker {
                context: format!("broker_enqueueJob(block, epoch {epoch})"),
                source,
            })?;
        Ok(B256::from(enqueued.id.0))
    }

    async fn job_status(&self, id: B256) -> Result<JobOutcome> {
        let job = self
            .get_job(JobId(id.0))
            .await
            .map_err(|source| Error::Broker {
                context: format!("broker_getJob({id})"),
                source,
            })?;
        let Some(job) = job else {
            return Ok(JobOutcome::Unknown);
        };
        Ok(match job.status {
            BrokerJobStatus::Proven => match job.block_result() {
                Ok(Some(result)) => JobOutcome::Proven(BlockProofResult {
                    proof: result.proof,
                    public_inputs: result.public_inputs,
                }),
                Ok(None) => JobOutcome::Failed("proven without a result".into()),
                Err(reason) => JobOutcome::Failed(format!("malformed result: {reason}")),
            },
            BrokerJobStatus::Failed => {
                JobOutcome::Failed(job.error.unwrap_or_else(|| "no error given".into()))
            }
            BrokerJobStatus::Queued | BrokerJobStatus::Proving => JobOutcome::Pending,
        })
    }

    async fn retry(&self, id: B256) -> Result<()> {
        let job = self
            .retry_job(JobId(id.0))
            .await
            .map_err(|source| Error::Broker {
                context: format!("broker_retryJob({id})"),
                source,
            })?;
        debug!(%id, generation = job.generation, status = %job.status, "job retried");
        Ok(())
    }

    async fn cancel(&self, id: B256) -> Result<()> {
        let job = self
            .cancel_job(JobId(id.0))
            .await
            .map_err(|source| Error::Broker {
                context: format!("broker_cancelJob({id})"),
                source,
            })?;
        debug!(%id, status = ?job.map(|job| job.status), "job cancelled");
        Ok(())
    }
}

/// `keccak256` of the six committed 32-byte words (no payee): the commitment the rollup
/// stores per block.
pub fn commitment_of(words: &[[u8; 32]; COMMITTED_PUBLIC_INPUTS]) -> B256 {
    keccak256(words.concat())
}

/// The six words L1 committed to for `block`, from the witnesses of its parts (in order): the
/// first part's first root and the last part's last root, and the block's globals and data words,
/// which every part carries; [`Error::CommitmentMismatch`] unless they hash to the block's L1
/// commitment.
pub(crate) fn checked_committed_words(
    block: &ProvableBlock,
    witnesses: &[BlockWitness],
) -> Result<[[u8; 32]; COMMITTED_PUBLIC_INPUTS]> {
    let (Some(first), Some(last)) = (witnesses.first(), witnesses.last()) else {
        return Err(Error::CommitmentMismatch {
            block: block.number,
            expected: block.commitment,
            actual: B256::ZERO,
        });
    };
    let mut committed = first.public_inputs.committed_u256_be_words();
    committed[1] = last.public_inputs.committed_u256_be_words()[1];
    let actual = commitment_of(&committed);
    if actual != block.commitment {
        return Err(Error::CommitmentMismatch {
            block: block.number,
            expected: block.commitment,
            actual,
        });
    }
    Ok(committed)
}

/// How an epoch proof's blocks are split, as `submitSplitEpochProof` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProofSplit {
    /// Per block: 0 when proven whole, else its number of chunks.
    pub chunk_counts: Vec<U256>,
    /// For each split block in order, the state roots between its chunks.
    pub intermediate_roots: Vec<U256>,
}

/// The proof of every block of an epoch, in the shape `submitEpochProof` (or, with a split,
/// `submitSplitEpochProof`) takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochProof {
    /// The epoch.
    pub epoch: u64,
    /// Its first block.
    pub first_block: u64,
    /// Its last block.
    pub last_block: u64,
    /// The six committed words per block, in block order (L1 appends the payee itself).
    pub public_inputs: Vec<U256>,
    /// `None` when every block is proven whole.
    pub split: Option<ProofSplit>,
    /// The 256-byte proofs, concatenated: the whole blocks' in block order, then every chunk's
    /// in block and chunk order.
    pub proofs: Bytes,
}

/// What one [`Orchestrator::advance`] saw of an epoch.
#[derive(Debug, Default)]
pub struct EpochStatus {
    /// Blocks given (the final ones).
    pub blocks: usize,
    /// Of these, blocks with their jobs.
    pub enqueued: usize,
    /// Of these, blocks with every proof checked.
    pub proven: usize,
    /// Blocks with a wrong result (never submitted).
    pub failed: usize,
    /// Jobs that had failed for good and were queued again by this call.
    pub retried: usize,
    /// Jobs enqueued by this call (one per block, or one per chunk).
    pub newly_enqueued: usize,
    /// Proofs received by this call.
    pub newly_proven: usize,
    /// Why blocks could not be enqueued or proven (missing witness, commitment mismatch, failed
    /// job, wrong result).
    pub problems: Vec<Error>,
}

/// The state of one block's job.
#[derive(Debug, Clone)]
enum JobState {
    Pending,
    Proven(Vec<u8>),
    Failed,
}

/// One proof job (a whole block, or one chunk) and what the orchestrator expects of it.
#[derive(Debug, Clone)]
struct PartJob {
    /// The public inputs the proof must have: the committed words (a chunk's own roots), our
    /// payee, the chunk word.
    inputs: [[u8; 32]; NUM_PUBLIC_INPUTS],
    job: B256,
    state: JobState,
}

/// One block's jobs.
#[derive(Debug, Clone)]
struct BlockJob {
    commitment: B256,
    /// The six words L1 committed to.
    committed: [[u8; 32]; COMMITTED_PUBLIC_INPUTS],
    tx_count: u64,
    total_fees: u128,
    /// Whether the block is proven as chunks (even a single one: the chunk circuit).
    chunked: bool,
    /// The whole block's job, or its chunks' in order.
    parts: Vec<PartJob>,
}

impl BlockJob {
    /// The block's proofs once every part is proven.
    fn proofs(&self) -> Option<Vec<&[u8]>> {
        self.parts
            .iter()
            .map(|part| match &part.state {
                JobState::Proven(proof) => Some(proof.as_slice()),
                _ => None,
            })
            .collect()
    }
}

/// Totals of an epoch's blocks, for the quote request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochSummary {
    /// Transactions in the epoch.
    pub tx_count: u64,
    /// Sum of their fees.
    pub total_fees: u128,
}

/// Enqueues and tracks the proof jobs of the epochs the prover may prove.
#[derive(Debug)]
pub struct Orchestrator<W, B> {
    witnesses: W,
    broker: B,
    payee: Address,
    split: BlockSplit,
    epochs: BTreeMap<u64, BTreeMap<u64, BlockJob>>,
    /// Pending jobs nobody needs any more (their epoch was dropped, their block replaced), to
    /// withdraw from the broker's queue ([`Self::cancel_abandoned`]).
    abandoned: Vec<B256>,
}

impl<W: WitnessSource, B: ProvingBroker> Orchestrator<W, B> {
    /// An orchestrator reading witnesses from `witnesses` and proving whole blocks on `broker`,
    /// every proof for `payee` (the prover's L1 address: it claims epochs and submits their
    /// proofs).
    pub fn new(witnesses: W, broker: B, payee: Address) -> Self {
        Self {
            witnesses,
            broker,
            payee,
            split: BlockSplit::Whole,
            epochs: BTreeMap::new(),
            abandoned: Vec::new(),
        }
    }

    /// This orchestrator proving the blocks it has no jobs for yet as `split` says.
    pub fn with_split(mut self, split: BlockSplit) -> Self {
        self.split = split;
        self
    }

    /// The witnesses of block `number`'s proofs, each naming our payee.
    fn part_witnesses(&self, number: u64) -> Result<Vec<BlockWitness>> {
        let witnesses = match self.split {
            BlockSplit::Whole => vec![self.witnesses.witness(number)?],
            BlockSplit::Chunks { chunk_txs } => {
                self.witnesses.chunk_witnesses(number, chunk_txs)?
            }
        };
        let payee = self.payee.into_array();
        Ok(witnesses
            .into_iter()
            .map(|witness| witness.with_payee(payee))
            .collect())
    }

    /// Enqueues a job for every given block of `epoch` that has none (or whose commitment
    /// changed), after checking that its witness hashes to the L1 commitment, then polls the
    /// pending jobs and checks each result against the witness's public inputs with our payee.
    /// `blocks` are the blocks that can no longer be replaced; jobs of blocks not among them
    /// are dropped.
    pub async fn advance(&mut self, epoch: u64, blocks: &[ProvableBlock]) -> Result<EpochStatus> {
        let mut status = EpochStatus {
            blocks: blocks.len(),
            ..EpochStatus::default()
        };
        // Taken out while the broker is called (enqueueing reads `self`), and put back whatever
        // the calls return: a broker error keeps the jobs tracked.
        let mut jobs = self.epochs.remove(&epoch).unwrap_or_default();
        let replaced: Vec<u64> = jobs
            .iter()
            .filter(|(number, job)| {
                !blocks
                    .iter()
                    .any(|block| block.number == **number && block.commitment == job.commitment)
            })
            .map(|(number, _)| *number)
            .collect();
        for number in replaced {
            if let Some(job) = jobs.remove(&number) {
                self.abandon(&job);
            }
        }
        let advanced = self
            .advance_jobs(epoch, blocks, &mut jobs, &mut status)
            .await;
        self.epochs.insert(epoch, jobs);
        advanced.map(|()| status)
    }

    /// [`Self::advance`] on `jobs`, the epoch's tracked jobs.
    async fn advance_jobs(
        &self,
        epoch: u64,
        blocks: &[ProvableBlock],
        jobs: &mut BTreeMap<u64, BlockJob>,
        status: &mut EpochStatus,
    ) -> Result<()> {
        for block in blocks {
            if jobs.contains_key(&block.number) {
                continue;
            }
            match self.enqueue(epoch, block).await {
                Ok(Some(job)) => {
                    status.newly_enqueued += job.parts.len();
                    jobs.insert(block.number, job);
                }
                Ok(None) => {}
                Err(error @ (Error::Witness { .. } | Error::CommitmentMismatch { .. })) => {
                    status.problems.push(error)
                }
                Err(error) => return Err(error),
            }
        }
        let mut lost = Vec::new();
        for (&number, job) in jobs.iter_mut() {
            for part in &mut job.parts {
                if !matches!(part.state, JobState::Pending) {
                    continue;
                }
                match self.broker.job_status(part.job).await? {
                    JobOutcome::Pending => {}
                    JobOutcome::Unknown => lost.push(number),
                    JobOutcome::Proven(result) => match check_result(number, part, result) {
                        Ok(proof) => {
                            part.state = JobState::Proven(proof);
                            status.newly_proven += 1;
                        }
                        Err(error) => {
                            part.state = JobState::Failed;
                            status.problems.push(error);
                        }
                    },
                    JobOutcome::Failed(reason) => {
                        status.problems.push(Error::JobFailed {
                            block: number,
                            job: part.job,
                            reason,
                        });
                        // A new generation of attempts: the epoch never dead-ends on a failed job.
                        self.broker.retry(part.job).await?;
                        status.retried += 1;
                    }
                }
            }
        }
        for number in lost {
            debug!(
                epoch,
                block = number,
                "the broker lost a job: enqueueing the block again"
            );
            jobs.remove(&number);
        }
        status.enqueued = jobs.len();
        for job in jobs.values() {
            if job
                .parts
                .iter()
                .any(|part| matches!(part.state, JobState::Failed))
            {
                status.failed += 1;
            } else if job.proofs().is_some() {
                status.proven += 1;
            }
        }
        Ok(())
    }

    /// Enqueues the jobs of `block` after checking that its witness matches the L1 commitment
    /// ([`Error::Witness`] or [`Error::CommitmentMismatch`] otherwise).
    async fn enqueue(&self, epoch: u64, block: &ProvableBlock) -> Result<Option<BlockJob>> {
        let witnesses = self.part_witnesses(block.number)?;
        let Some(first) = witnesses.first() else {
            return Ok(None);
        };
        let committed = checked_committed_words(block, &witnesses)?;
        let mut parts = Vec::with_capacity(witnesses.len());
        for witness in &witnesses {
            let job = self.broker.enqueue_block(epoch, witness.to_bytes()).await?;
            debug!(epoch, block = block.number, chunk = witness.part.index, %job, "job enqueued");
            parts.push(PartJob {
                inputs: witness.public_inputs.to_u256_be_words(),
                job,
                state: JobState::Pending,
            });
        }
        Ok(Some(BlockJob {
            commitment: block.commitment,
            committed,
            tx_count: first.num_txs as u64,
            total_fees: first.public_inputs.total_fees(),
            chunked: matches!(self.split, BlockSplit::Chunks { .. }),
            parts,
        }))
    }

    /// The transaction count and fees of `blocks` of `epoch`, once every one of them has a job
    /// (so its witness matched its L1 commitment).
    pub fn summary(&self, epoch: u64, blocks: &[ProvableBlock]) -> Option<EpochSummary> {
        let jobs = self.epochs.get(&epoch)?;
        blocks.iter().try_fold(
            EpochSummary {
                tx_count: 0,
                total_fees: 0,
            },
            |sum, block| {
                let job = jobs
                    .get(&block.number)
                    .filter(|job| job.commitment == block.commitment)?;
                Some(EpochSummary {
                    tx_count: sum.tx_count + job.tx_count,
                    total_fees: sum.total_fees.saturating_add(job.total_fees),
                })
            },
        )
    }

    /// The epoch proof of `blocks` (all of `epoch`'s unproven blocks, in order), once every one
    /// is proven: whole blocks' proofs first, then the chunks', with the split when a block is
    /// chunked.
    pub fn epoch_proof(&self, epoch: u64, blocks: &[ProvableBlock]) -> Option<EpochProof> {
        let jobs = self.epochs.get(&epoch)?;
        let first_block = blocks.first()?.number;
        let last_block = blocks.last()?.number;
        let mut public_inputs = Vec::with_capacity(blocks.len() * COMMITTED_PUBLIC_INPUTS);
        let mut whole_proofs = Vec::with_capacity(blocks.len() * PROOF_BYTES);
        let mut chunk_proofs = Vec::new();
        let mut split = ProofSplit::default();
        for block in blocks {
            let job = jobs
                .get(&block.number)
                .filter(|job| job.commitment == block.commitment)?;
            let proofs = job.proofs()?;
            public_inputs.extend(job.committed.iter().map(|word| U256::from_be_bytes(*word)));
            if !job.chunked {
                split.chunk_counts.push(U256::ZERO);
                whole_proofs.extend(proofs.concat());
                continue;
            }
            split.chunk_counts.push(U256::from(job.parts.len()));
            let (_, between) = job.parts.split_last()?;
            split.intermediate_roots.extend(
                between
                    .iter()
                    .map(|part| U256::from_be_bytes(part.inputs[1])),
            );
            chunk_proofs.extend(proofs.concat());
        }
        let chunked = split.chunk_counts.iter().any(|count| !count.is_zero());
        whole_proofs.extend(chunk_proofs);
        Some(EpochProof {
            epoch,
            first_block,
            last_block,
            public_inputs,
            split: chunked.then_some(split),
            proofs: whole_proofs.into(),
        })
    }

    /// Forgets the jobs of `epoch` (another prover claimed it, or it is proven or pruned); its
    /// pending jobs are withdrawn by the next [`Self::cancel_abandoned`].
    pub fn forget(&mut self, epoch: u64) {
        for job in self
            .epochs
            .remove(&epoch)
            .into_iter()
            .flat_map(BTreeMap::into_values)
        {
            self.abandon(&job);
        }
    }

    /// Keeps only the epochs for which `keep` holds (see [`Self::forget`]).
    pub fn retain(&mut self, mut keep: impl FnMut(u64) -> bool) {
        let dropped: Vec<u64> = self.epochs().filter(|epoch| !keep(*epoch)).collect();
        for epoch in dropped {
            self.forget(epoch);
        }
    }

    /// Notes the pending parts of a block nobody needs a proof of any more.
    fn abandon(&mut self, job: &BlockJob) {
        self.abandoned.extend(
            job.parts
                .iter()
                .filter(|part| matches!(part.state, JobState::Pending))
                .map(|part| part.job),
        );
    }

    /// Withdraws the abandoned jobs from the broker's queue, so that no agent spends a proof on
    /// them (in take order, a stale epoch's jobs would come before a live one's). Returns how
    /// many were withdrawn; those the broker could not be asked about are kept for the next
    /// call.
    pub async fn cancel_abandoned(&mut self) -> usize {
        let mut withdrawn = 0;
        let mut kept = Vec::new();
        for id in std::mem::take(&mut self.abandoned) {
            match self.broker.cancel(id).await {
                Ok(()) => withdrawn += 1,
                Err(error) => {
                    debug!(%id, %error, "cannot cancel an abandoned job: retried next tick");
                    kept.push(id);
                }
            }
        }
        self.abandoned = kept;
        withdrawn
    }

    /// The epochs with tracked jobs.
    pub fn epochs(&self) -> impl Iterator<Item = u64> + '_ {
        self.epochs.keys().copied()
    }
}

/// Checks a result against the part's expected inputs; returns the proof.
fn check_result(number: u64, job: &PartJob, result: BlockProofResult) -> Result<Vec<u8>> {
    if result.proof.len() != PROOF_BYTES {
        return Err(Error::WrongProofLength {
            block: number,
            job: job.job,
            expected: PROOF_BYTES,
            actual: result.proof.len(),
        });
    }
    if result.public_inputs.as_slice() != job.inputs.as_slice() {
        return Err(Error::WrongPublicInputs {
            block: number,
            job: job.job,
        });
    }
    Ok(result.proof)
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    };

    use fernet_state::{
        apply_block, apply_block_in_chunks, Block, BlockBody, L1ToL2Message, StateConfig, TxEffect,
        WorldState,
    };

    use fernet_broker_api::ClientError;

    use super::*;

    /// The prover node's address in these tests.
    const PAYEE: Address = Address::repeat_byte(0x77);
    /// The fee payer of the test blocks' txs (block `n` deposits for it first).
    const PAYER: [u8; 20] = [0x66; 20];

    /// Witnesses of a small chain: block `n` at slot `7 + n` with `min(n, 3)` transactions;
    /// `variant` changes every block's coinbase (another chain with the same numbers).
    struct Chain {
        blocks: Vec<Block>,
        witnesses: Vec<BlockWitness>,
    }

    impl Chain {
        fn new(blocks: u64) -> Self {
            Self::variant(blocks, 0)
        }

        fn variant(blocks: u64, variant: u8) -> Self {
            let mut state = WorldState::new(StateConfig::devnet()).unwrap();
            let blocks: Vec<Block> = (1..=blocks)
                .map(|number| {
                    let txs = (0..number.min(3))
                        .map(|t| {
                            let nullifier = fernet_state::Fr::from(number * 100 + t + 1);
                            TxEffect::new(10 + t, PAYER, &[nullifier], &[], None).unwrap()
                        })
                        .collect();
                    Block {
                        number,
                        slot: 7 + number,
                        body: BlockBody {
                            coinbase: Some([variant + 1; 20]),
                            messages: vec![L1ToL2Message {
                                recipient: PAYER,
                                amount: 100,
                            }],
                            txs,
                        },
                    }
                })
                .collect();
            let witnesses = blocks
                .iter()
                .map(|block| apply_block(&mut state, block).unwrap())
                .collect();
            Self { blocks, witnesses }
        }

        fn block(&self, number: u64) -> ProvableBlock {
            let witness = &self.witnesses[number as usize - 1];
            ProvableBlock {
                number,
                slot: witness.slot,
                commitment: commitment_of(&witness.public_inputs.committed_u256_be_words()),
            }
        }
    }

    impl WitnessSource for Chain {
        fn witness(&self, number: u64) -> Result<BlockWitness> {
            self.witnesses
                .get(number as usize - 1)
                .cloned()
                .ok_or_else(|| Error::Witness {
                    block: number,
                    source: Box::new(fernet_node::Error::NoSuchBlock {
                        number,
                        tip: self.witnesses.len() as u64,
                    }),
                })
        }

        fn chunk_witnesses(&self, number: u64, chunk_txs: usize) -> Result<Vec<BlockWitness>> {
            self.witness(number)?;
            let mut state = WorldState::new(StateConfig::devnet()).unwrap();
            for block in &self.blocks[..number as usize - 1] {
                apply_block(&mut state, block).unwrap();
            }
            Ok(
                apply_block_in_chunks(&mut state, &self.blocks[number as usize - 1], chunk_txs)
                    .unwrap(),
            )
        }
    }

    /// An in-memory broker: ids are the keccak of the input, results are set by the test.
    #[derive(Default)]
    struct FakeBroker {
        jobs: Mutex<BTreeMap<B256, (Vec<u8>, JobOutcome)>>,
        enqueues: AtomicUsize,
        retries: AtomicUsize,
        cancels: AtomicUsize,
    }

    impl FakeBroker {
        /// Proves every pending job correctly (the inputs of the witness it was given).
        fn prove_all(&self) {
            for (input, status) in self.jobs.lock().unwrap().values_mut() {
                if *status == JobOutcome::Pending {
                    let witness = BlockWitness::from_bytes(input).unwrap();
                    *status = JobOutcome::Proven(BlockProofResult {
                        proof: vec![witness.block_number as u8; PROOF_BYTES],
                        public_inputs: witness.public_inputs.to_u256_be_words().to_vec(),
                    });
                }
            }
        }

        fn set(&self, block: u64, status: impl Fn(&BlockWitness) -> JobOutcome) {
            for (input, job) in self.jobs.lock().unwrap().values_mut() {
                let witness = BlockWitness::from_bytes(input).unwrap();
                if witness.block_number == block {
                    *job = status(&witness);
                }
            }
        }
    }

    impl ProvingBroker for &FakeBroker {
        async fn enqueue_block(&self, _epoch: u64, input: Vec<u8>) -> Result<B256> {
            self.enqueues.fetch_add(1, Ordering::Relaxed);
            let id = keccak256([b"block".as_slice(), &input].concat());
            self.jobs
                .lock()
                .unwrap()
                .entry(id)
                .or_insert((input, JobOutcome::Pending));
            Ok(id)
        }

        async fn job_status(&self, id: B256) -> Result<JobOutcome> {
            self.jobs
                .lock()
                .unwrap()
                .get(&id)
                .map(|(_, status)| status.clone())
                .ok_or(Error::Broker {
                    context: format!("broker_getJob({id})"),
                    source: ClientError::JobNotFound(JobId(id.0)),
                })
        }

        async fn retry(&self, id: B256) -> Result<()> {
            self.retries.fetch_add(1, Ordering::Relaxed);
            if let Some((_, status)) = self.jobs.lock().unwrap().get_mut(&id) {
                if matches!(status, JobOutcome::Failed(_)) {
                    *status = JobOutcome::Pending;
                }
            }
            Ok(())
        }

        async fn cancel(&self, id: B256) -> Result<()> {
            self.cancels.fetch_add(1, Ordering::Relaxed);
            if let Some((_, status)) = self.jobs.lock().unwrap().get_mut(&id) {
                if *status == JobOutcome::Pending {
                    *status = JobOutcome::Failed("cancelled".into());
                }
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn proves_an_epoch_block_by_block_and_assembles_it_in_order() {
        let chain = Chain::new(4);
        let broker = FakeBroker::default();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        let blocks: Vec<_> = (1..=4).map(|n| orchestrator.witnesses.block(n)).collect();

        // Speculative start: only the first two blocks are final yet.
        let status = orchestrator.advance(2, &blocks[..2]).await.unwrap();
        assert_eq!(
            (status.enqueued, status.proven, status.newly_enqueued),
            (2, 0, 2)
        );
        assert!(orchestrator.summary(2, &blocks).is_none());
        let status = orchestrator.advance(2, &blocks).await.unwrap();
        assert_eq!((status.enqueued, status.newly_enqueued), (4, 2));
        assert!(status.problems.is_empty(), "{:?}", status.problems);
        assert_eq!(
            orchestrator.summary(2, &blocks),
            Some(EpochSummary {
                tx_count: 1 + 2 + 3 + 3,
                total_fees: 10 + 21 + 33 + 33,
            })
        );
        assert!(orchestrator.epoch_proof(2, &blocks).is_none());

        broker.prove_all();
        let status = orchestrator.advance(2, &blocks).await.unwrap();
        assert_eq!(
            (status.proven, status.newly_proven, status.newly_enqueued),
            (4, 4, 0)
        );
        let proof = orchestrator.epoch_proof(2, &blocks).unwrap();
        assert_eq!(
            (proof.epoch, proof.first_block, proof.last_block),
            (2, 1, 4)
        );
        assert_eq!(proof.public_inputs.len(), 24);
        assert_eq!(proof.proofs.len(), 4 * PROOF_BYTES);
        assert_eq!(proof.proofs[0], 1);
        assert_eq!(proof.proofs[3 * PROOF_BYTES], 4);
        let words = orchestrator.witnesses.witnesses[2]
            .public_inputs
            .to_u256_be_words();
        assert_eq!(proof.public_inputs[12], U256::from_be_bytes(words[0]));
        assert_eq!(broker.enqueues.load(Ordering::Relaxed), 4);
    }

    /// Blocks of 1, 2, 3 and 3 txs proven as chunks of 2: 1, 1, 2 and 2 chunk jobs, proven in
    /// any order, assembled in the split layout L1 takes (no whole block, chunk proofs in block
    /// and chunk order, the roots between the chunks of blocks 3 and 4).
    #[tokio::test]
    async fn proves_an_epoch_in_chunks_and_assembles_the_split() {
        let chain = Chain::new(4);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=4).map(|n| chain.block(n)).collect();
        let split = BlockSplit::Chunks { chunk_txs: 2 };
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE).with_split(split);
        let status = orchestrator.advance(2, &blocks).await.unwrap();
        assert!(status.problems.is_empty(), "{:?}", status.problems);
        assert_eq!((status.enqueued, status.newly_enqueued), (4, 1 + 1 + 2 + 2));
        assert_eq!(
            orchestrator.summary(2, &blocks),
            Some(EpochSummary {
                tx_count: 1 + 2 + 3 + 3,
                total_fees: 10 + 21 + 33 + 33,
            })
        );
        // Only block 3's second chunk is proven: nothing to submit yet.
        broker.set(3, |witness| match witness.part.index {
            1 => JobOutcome::Proven(BlockProofResult {
                proof: vec![3; PROOF_BYTES],
                public_inputs: witness.public_inputs.to_u256_be_words().to_vec(),
            }),
            _ => JobOutcome::Pending,
        });
        let status = orchestrator.advance(2, &blocks).await.unwrap();
        assert_eq!((status.proven, status.newly_proven), (0, 1));
        assert!(orchestrator.epoch_proof(2, &blocks).is_none());

        broker.prove_all();
        let status = orchestrator.advance(2, &blocks).await.unwrap();
        assert_eq!((status.proven, status.newly_proven), (4, 5));
        let proof = orchestrator.epoch_proof(2, &blocks).unwrap();
        let split = proof.split.expect("a split proof");
        assert_eq!(split.chunk_counts, [1, 1, 2, 2].map(U256::from));
        let chunks = |n: u64| orchestrator.witnesses.chunk_witnesses(n, 2).unwrap();
        let root_after_first =
            |n| U256::from_be_bytes(chunks(n)[0].public_inputs.to_u256_be_words()[1]);
        assert_eq!(
            split.intermediate_roots,
            [root_after_first(3), root_after_first(4)]
        );
        let order: Vec<u8> = proof.proofs.chunks(PROOF_BYTES).map(|p| p[0]).collect();
        assert_eq!(order, [1, 2, 3, 3, 4, 4]);
        // The committed words are the blocks', not the chunks'.
        let committed = orchestrator.witnesses.witnesses[2]
            .public_inputs
            .committed_u256_be_words()
            .map(U256::from_be_bytes);
        assert_eq!(proof.public_inputs[12..18], committed);
        for witness in chunks(3) {
            assert_eq!(
                witness.public_inputs.payee(),
                [0; 20],
                "the source names no payee"
            );
        }
        for (input, _) in broker.jobs.lock().unwrap().values() {
            let witness = BlockWitness::from_bytes(input).unwrap();
            assert_eq!(witness.public_inputs.payee(), PAYEE.into_array());
        }
    }

    /// A broker call that fails while jobs are polled leaves them tracked: the next call polls
    /// them again instead of enqueueing the epoch anew.
    #[tokio::test]
    async fn a_broker_error_keeps_the_jobs_tracked() {
        let chain = Chain::new(2);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=2).map(|n| chain.block(n)).collect();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        orchestrator.advance(1, &blocks).await.unwrap();
        let jobs = std::mem::take(&mut *broker.jobs.lock().unwrap());
        let error = orchestrator.advance(1, &blocks).await.unwrap_err();
        assert!(matches!(error, Error::Broker { .. }), "{error}");
        *broker.jobs.lock().unwrap() = jobs;
        broker.prove_all();
        let status = orchestrator.advance(1, &blocks).await.unwrap();
        assert_eq!((status.newly_enqueued, status.proven), (0, 2));
        assert_eq!(broker.enqueues.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn whole_blocks_make_no_split() {
        let chain = Chain::new(2);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=2).map(|n| chain.block(n)).collect();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        orchestrator.advance(1, &blocks).await.unwrap();
        broker.prove_all();
        orchestrator.advance(1, &blocks).await.unwrap();
        assert_eq!(orchestrator.epoch_proof(1, &blocks).unwrap().split, None);
    }

    #[tokio::test]
    async fn re_enqueueing_after_a_restart_reuses_the_jobs() {
        let broker = FakeBroker::default();
        let chain = Chain::new(2);
        let blocks: Vec<_> = (1..=2).map(|n| chain.block(n)).collect();
        let mut first = Orchestrator::new(chain, &broker, PAYEE);
        first.advance(1, &blocks).await.unwrap();
        broker.prove_all();

        // A fresh orchestrator (a restart) enqueues again and finds the proofs at once.
        let mut second = Orchestrator::new(Chain::new(2), &broker, PAYEE);
        let status = second.advance(1, &blocks).await.unwrap();
        assert_eq!((status.newly_enqueued, status.proven), (2, 2));
        assert_eq!(broker.jobs.lock().unwrap().len(), 2);
        assert!(second.epoch_proof(1, &blocks).is_some());
    }

    /// Attack (issue 10, finding 2): an agent (or a broker shared with another prover) returns a
    /// proof made for another payee. It would fail on L1 when we submit it, so it is refused
    /// here; the jobs we enqueue name our address, and the epoch proof carries the committed
    /// words only (L1 appends the payee).
    #[tokio::test]
    async fn jobs_name_our_payee_and_proofs_for_another_are_refused() {
        let chain = Chain::new(2);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=2).map(|n| chain.block(n)).collect();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        orchestrator.advance(1, &blocks).await.unwrap();
        for (input, _) in broker.jobs.lock().unwrap().values() {
            let witness = BlockWitness::from_bytes(input).unwrap();
            assert_eq!(witness.public_inputs.payee(), PAYEE.into_array());
        }
        broker.prove_all();
        broker.set(2, |witness| {
            let theirs = witness.clone().with_payee([0x99; 20]);
            JobOutcome::Proven(BlockProofResult {
                proof: vec![2; PROOF_BYTES],
                public_inputs: theirs.public_inputs.to_u256_be_words().to_vec(),
            })
        });
        let status = orchestrator.advance(1, &blocks).await.unwrap();
        assert_eq!((status.proven, status.failed), (1, 1));
        assert!(matches!(
            status.problems[..],
            [Error::WrongPublicInputs { block: 2, .. }]
        ));
        assert!(orchestrator.epoch_proof(1, &blocks).is_none());
        assert!(orchestrator
            .epoch_proof(1, &blocks[..1])
            .is_some_and(|proof| {
                let committed = orchestrator.witnesses.witnesses[0]
                    .public_inputs
                    .committed_u256_be_words()
                    .map(U256::from_be_bytes);
                proof.public_inputs == committed
            }));

        // Another prover's node on the same broker enqueues other jobs for the same blocks.
        let mut other = Orchestrator::new(Chain::new(2), &broker, Address::repeat_byte(0x99));
        let status = other.advance(1, &blocks).await.unwrap();
        assert_eq!((status.newly_enqueued, status.proven), (2, 0));
        assert_eq!(broker.jobs.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn refuses_blocks_whose_witness_differs_from_l1() {
        let chain = Chain::new(2);
        let broker = FakeBroker::default();
        let mut blocks: Vec<_> = (1..=2).map(|n| chain.block(n)).collect();
        blocks[1].commitment = B256::repeat_byte(7);
        blocks.push(ProvableBlock {
            number: 3,
            slot: 10,
            commitment: B256::ZERO,
        });
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        let status = orchestrator.advance(1, &blocks).await.unwrap();
        assert_eq!(status.enqueued, 1);
        assert_eq!(status.problems.len(), 2);
        assert!(matches!(
            &status.problems[0],
            Error::CommitmentMismatch { block: 2, expected, .. } if *expected == B256::repeat_byte(7)
        ));
        assert!(matches!(
            status.problems[1],
            Error::Witness { block: 3, .. }
        ));
        assert!(orchestrator.summary(1, &blocks).is_none());
    }

    #[tokio::test]
    async fn a_replaced_block_is_a_new_job() {
        let chain = Chain::new(2);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=2).map(|n| chain.block(n)).collect();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        orchestrator.advance(1, &blocks).await.unwrap();
        broker.prove_all();
        orchestrator.advance(1, &blocks).await.unwrap();

        // Blocks 1 and 2 changed on L1 (a prune and new proposals): the node follows.
        let other = Chain::variant(2, 9);
        let replaced = vec![other.block(1), other.block(2)];
        orchestrator.witnesses = other;
        let status = orchestrator.advance(1, &replaced).await.unwrap();
        assert_eq!((status.newly_enqueued, status.proven), (2, 0));
        assert!(orchestrator.epoch_proof(1, &replaced).is_none());
        broker.prove_all();
        orchestrator.advance(1, &replaced).await.unwrap();
        let proof = orchestrator.epoch_proof(1, &replaced).unwrap();
        assert_eq!(proof.public_inputs.len(), 12);
    }

    #[tokio::test]
    async fn wrong_or_failed_results_are_reported_and_never_submitted() {
        let chain = Chain::new(3);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=3).map(|n| chain.block(n)).collect();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        orchestrator.advance(1, &blocks).await.unwrap();
        broker.prove_all();
        broker.set(1, |witness| {
            let mut inputs = witness.public_inputs.to_u256_be_words().to_vec();
            inputs[5][31] ^= 1;
            JobOutcome::Proven(BlockProofResult {
                proof: vec![0; PROOF_BYTES],
                public_inputs: inputs,
            })
        });
        broker.set(2, |_| JobOutcome::Failed("out of retries".into()));
        broker.set(3, |witness| {
            JobOutcome::Proven(BlockProofResult {
                proof: vec![0; 255],
                public_inputs: witness.public_inputs.to_u256_be_words().to_vec(),
            })
        });
        let status = orchestrator.advance(1, &blocks).await.unwrap();
        assert_eq!((status.proven, status.failed, status.retried), (0, 2, 1));
        assert!(matches!(
            status.problems[0],
            Error::WrongPublicInputs { block: 1, .. }
        ));
        assert!(matches!(
            &status.problems[1],
            Error::JobFailed { block: 2, reason, .. } if reason == "out of retries"
        ));
        assert!(matches!(
            status.problems[2],
            Error::WrongProofLength {
                block: 3,
                actual: 255,
                ..
            }
        ));
        assert!(orchestrator.epoch_proof(1, &blocks).is_none());
        // Wrong results are not polled again; the failed job was queued again.
        let status = orchestrator.advance(1, &blocks).await.unwrap();
        assert!(status.problems.is_empty());
        assert_eq!((status.failed, status.retried), (2, 0));
        orchestrator.forget(1);
        assert_eq!(orchestrator.epochs().count(), 0);
    }

    /// Issue 15's CI failure: an epoch the prover dropped (claimed by another prover) kept its
    /// queued jobs on the broker, which a lone agent then proved before the live epoch's. Its
    /// pending jobs are now withdrawn; proven ones and other epochs' are left alone.
    #[tokio::test]
    async fn a_dropped_epoch_withdraws_its_pending_jobs_from_the_broker() {
        let chain = Chain::new(4);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=4).map(|n| chain.block(n)).collect();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        orchestrator.advance(1, &blocks[..2]).await.unwrap();
        broker.prove_all();
        orchestrator.advance(1, &blocks[..3]).await.unwrap();
        orchestrator.advance(2, &blocks[3..]).await.unwrap();
        let outcome = |n: u64| {
            let jobs = broker.jobs.lock().unwrap();
            let (_, outcome) = jobs
                .values()
                .find(|(input, _)| BlockWitness::from_bytes(input).unwrap().block_number == n)
                .unwrap();
            outcome.clone()
        };

        orchestrator.retain(|epoch| epoch != 1);
        assert_eq!(orchestrator.cancel_abandoned().await, 1, "block 3's job");
        assert_eq!(outcome(3), JobOutcome::Failed("cancelled".into()));
        assert!(
            matches!(outcome(1), JobOutcome::Proven(_)),
            "proven: left alone"
        );
        assert_eq!(outcome(4), JobOutcome::Pending, "another epoch: left alone");
        assert_eq!(orchestrator.cancel_abandoned().await, 0, "withdrawn once");

        orchestrator.forget(2);
        assert_eq!(orchestrator.cancel_abandoned().await, 1);
        assert_eq!(outcome(4), JobOutcome::Failed("cancelled".into()));
        assert_eq!(broker.cancels.load(Ordering::Relaxed), 2);
    }

    /// Attack (issue 12, proof integrity): a job that used up its attempts stayed failed, so
    /// the claimed epoch could never be proven (and the prover lost its bond). The orchestrator
    /// now queues it again with a new generation of attempts, and the epoch is proven.
    #[tokio::test]
    async fn a_job_failed_for_good_is_retried_and_proven() {
        let chain = Chain::new(2);
        let broker = FakeBroker::default();
        let blocks: Vec<_> = (1..=2).map(|n| chain.block(n)).collect();
        let mut orchestrator = Orchestrator::new(chain, &broker, PAYEE);
        orchestrator.advance(1, &blocks).await.unwrap();
        broker.prove_all();
        broker.set(2, |_| JobOutcome::Failed("lease expired 3 times".into()));
        let status = orchestrator.advance(1, &blocks).await.unwrap();
        assert!(matches!(
            &status.problems[..],
            [Error::JobFailed { block: 2, reason, .. }] if reason == "lease expired 3 times"
        ));
        assert_eq!((status.proven, status.failed, status.retried), (1, 0, 1));
        assert_eq!(broker.retries.load(Ordering::Relaxed), 1);

        broker.prove_all();
        let status = orchestrator.advance(1, &blocks).await.unwrap();
        assert_eq!((status.proven, status.newly_proven), (2, 1));
        assert!(orchestrator.epoch_proof(1, &blocks).is_some());
        assert_eq!(broker.enqueues.load(Ordering::Relaxed), 2, "the same job");
    }
}
