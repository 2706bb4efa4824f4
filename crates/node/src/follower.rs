//! The L1 follower: reads the rollup's events and folds them into the chain, step by step.
//!
//! A step runs on each new L1 head the process's head poller ([`L1Time`]) publishes. It checks
//! that the last processed L1 block still has the hash it had (reorg check), reads the rollup's
//! logs from the cursor on (`eth_getLogs` over at most [`MAX_LOG_RANGE`] blocks), fetches the
//! calldata of each `BlockProposed` transaction (a direct `propose` / `proposeWithProof` call),
//! applies the events to the chain, reconciles the pool, and commits events, cursor and pool
//! changes in one store write transaction.
//!
//! **Requests per L1 block.** In the common case, one new head whose parent is the cursor, a step
//! costs one request: `eth_getLogs` by the head's block hash (the head's `parentHash` is the reorg
//! check, and logs read by block hash are that block's by construction). The cursor's header is
//! read only when the head does not extend it, and the `finalized` block every
//! [`FINALIZED_REFRESH_BLOCKS`] blocks. A step without a new head costs nothing.
//!
//! **Reorgs.** Every event is stored with its L1 block number and hash, and the store remembers
//! the hash of every L1 block with events and of the cursor. When the cursor's block changed hash
//! (or vanished), the follower walks the L1 blocks with events from the highest down and takes
//! the first whose hash is unchanged as the common ancestor (the deployment block's parent when
//! none is; no event lies between it and the cursor, so nothing is lost by rolling back to it):
//! it deletes the events above it, rebuilds the chain from the rest (from the persisted
//! checkpoint at the proven tip when it still stands, see [`rebuild`]) off the chain lock, swaps
//! it in ([`swap_in`]), reconciles the pool (transactions of vanished blocks come back) and
//! resumes reading after the ancestor.
//!
//! **Canonical logs.** Every log's `blockHash` must be the hash of the header the follower reads
//! for its block number ([`check_canonical`]); a log of a replaced block fails the step, nothing
//! of it is folded, and the next step's reorg check rolls back what changed.
//!
//! **Blocking work** (folding events, which applies blocks, and store writes) runs on the
//! blocking pool (`blocking::run`), never on a runtime worker.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    primitives::{Bytes, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::{SolEventInterface, SolInterface},
};
use fernet_bindings::{
    ICommitteeRollup::ICommitteeRollupCalls,
    IRollup::{IRollupCalls, IRollupEvents},
};
use fernet_l1::{Head, L1Time};
use fernet_state::{TxEffect, WorldState};
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

use crate::{
    blocking,
    chain::{fr_to_b256, ChainEvent, ChainHandle, ChainState, EventRecord},
    metrics::Metrics,
    pool::{PoolHandle, PoolState, QuoteRules},
    store::{Checkpoint, Cursor, StepWrite, Store},
    Error, Result, L1,
};

/// Most L1 blocks one `eth_getLogs` request covers.
pub const MAX_LOG_RANGE: u64 = 1_000;

/// How many L1 blocks pass between two reads of the `finalized` block (it moves by whole L1
/// epochs of 32 blocks; the finalized stage lags by at most this many blocks more).
pub const FINALIZED_REFRESH_BLOCKS: u64 = 8;

/// Applies one step's `write.events` to the chain, sets the L1 position `(synced block,
/// timestamp, finalized block)`, reconciles the pool and commits the step; blocking (run it
/// through `blocking::run`). Returns the write as committed.
pub fn fold_step(
    pool: &PoolHandle,
    chain: &ChainHandle,
    store: &Store,
    rules: &QuoteRules,
    mut write: StepWrite,
    (synced, timestamp, finalized): (u64, u64, u64),
) -> Result<StepWrite> {
    let mut pool = pool.lock();
    let mut chain = chain.write();
    let (before, proven_before) = if write.events.is_empty() {
        (HashMap::new(), chain.proven_tip())
    } else {
        (chain.tx_effects(), chain.proven_tip())
    };
    for record in &write.events {
        chain.apply(record);
    }
    chain.set_l1_position(synced, timestamp, finalized);
    pool.reconcile(&before, &chain, rules, &mut write);
    let proven = chain.proven_tip();
    if proven > proven_before {
        if let (Some(last), Some(state)) = (write.events.last(), chain.state_after(proven)) {
            write.checkpoint = Some(Checkpoint {
                position: (last.l1_block, last.log_index),
                block: proven,
                state: state.to_checkpoint(),
            });
        }
    }
    store.commit(&write)?;
    Ok(write)
}

/// Rebuilds the chain `events` define: from `checkpoint` when there is a usable one (only the
/// blocks above it are applied), otherwise from `genesis`. Blocking.
pub fn rebuild(
    genesis: &WorldState,
    clock: fernet_primitives::Clock,
    events: &[EventRecord],
    checkpoint: Option<&Checkpoint>,
) -> ChainState {
    let restored = checkpoint.and_then(|checkpoint| {
        let state = match WorldState::from_checkpoint(*genesis.config(), &checkpoint.state) {
            Ok(state) if state.block_number() == checkpoint.block => state,
            Ok(state) => {
                warn!(
                    recorded = checkpoint.block,
                    decoded = state.block_number(),
                    "checkpoint of another block: replaying from genesis"
                );
                return None;
            }
            Err(error) => {
                warn!(%error, "unreadable checkpoint: replaying from genesis");
                return None;
            }
        };
        let chain = ChainState::restore(state, clock, events, checkpoint.position)?;
        // The checkpoint must be the state the proven block claims.
        let claimed = chain.block(checkpoint.block).map(|block| block.state_root);
        let actual = chain
            .state_after(checkpoint.block)
            .map(|s| fr_to_b256(&s.state_root()));
        if checkpoint.block > 0 && claimed != actual {
            warn!(
                ?claimed,
                ?actual,
                "checkpoint state root mismatch: replaying from genesis"
            );
            return None;
        }
        Some(chain)
    });
    restored.unwrap_or_else(|| replay(genesis, clock, events))
}

/// Swaps `replayed` (a chain rebuilt off the lock, synced to L1 block `synced`) in for the
/// chain after a reorg, reconciles the pool and commits `write`; blocking. Returns how long the
/// chain lock was held.
pub fn swap_in(
    pool: &PoolHandle,
    chain: &ChainHandle,
    store: &Store,
    rules: &QuoteRules,
    mut replayed: ChainState,
    mut write: StepWrite,
    synced: u64,
) -> Result<Duration> {
    let mut pool = pool.lock();
    let mut chain = chain.write();
    let locked = Instant::now();
    let before: HashMap<B256, (u64, TxEffect)> = chain.tx_effects();
    replayed.set_l1_position(synced, chain.l1_timestamp(), chain.finalized_l1_block());
    let old = std::mem::replace(&mut *chain, replayed);
    pool.reconcile(&before, &chain, rules, &mut write);
    store.commit(&write)?;
    let held = locked.elapsed();
    drop(chain);
    drop(pool);
    // Freeing the old chain's states is not the readers' problem either.
    drop(old);
    Ok(held)
}

/// Fails with [`Error::NonCanonicalLog`] unless every log's `blockHash` is the canonical hash
/// of its block (`canonical`, from the headers read for those numbers): a log of a block an L1
/// reorg replaced must never be folded into the chain (the step is retried, and the reorg
/// check rolls back what changed).
pub fn check_canonical(logs: &[Log], canonical: &HashMap<u64, B256>) -> Result<()> {
    for log in logs {
        let (Some(block), Some(hash)) = (log.block_number, log.block_hash) else {
            return Err(Error::NonCanonicalLog {
                block: log.block_number.unwrap_or_default(),
                log_hash: log.block_hash,
                canonical: None,
            });
        };
        let expected = canonical.get(&block).copied();
        if expected != Some(hash) {
            return Err(Error::NonCanonicalLog {
                block,
                log_hash: Some(hash),
                canonical: expected,
            });
        }
    }
    Ok(())
}

/// Rebuilds the chain by replaying `events` from `genesis`.
pub fn replay(
    genesis: &WorldState,
    clock: fernet_primitives::Clock,
    events: &[EventRecord],
) -> ChainState {
    let mut chain = ChainState::new(genesis.clone(), clock);
    for record in events {
        chain.apply(record);
    }
    chain
}

/// The follower task's state.
pub struct Follower {
    l1: Arc<L1>,
    time: L1Time,
    chain: ChainHandle,
    pool: PoolHandle,
    store: Arc<Store>,
    genesis: WorldState,
    cursor: Cursor,
    /// The `finalized` block last read, and the head number it was read at.
    finalized: Option<(u64, u64)>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl Follower {
    /// A follower of the heads `time` publishes, resuming at `cursor` (`None`: from the
    /// rollup's deployment block).
    pub fn new(
        l1: Arc<L1>,
        time: L1Time,
        chain: ChainHandle,
        pool: PoolHandle,
        genesis: WorldState,
        cursor: Option<Cursor>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let start = Cursor {
            number: l1.deployment.deploy_block.saturating_sub(1),
            hash: B256::ZERO,
        };
        Self {
            store: pool.store().clone(),
            l1,
            time,
            chain,
            pool,
            genesis,
            cursor: cursor.unwrap_or(start),
            finalized: None,
            metrics,
        }
    }

    /// Runs a step on every new L1 head (at once while behind; after `retry` when a step
    /// failed; and when `wake` is notified, a proposal hint, after asking the head poller for a
    /// fresh head) until `shutdown` turns true.
    pub async fn run(
        mut self,
        retry: Duration,
        mut shutdown: watch::Receiver<bool>,
        wake: Arc<tokio::sync::Notify>,
    ) {
        let mut heads = self.time.subscribe();
        loop {
            heads.mark_unchanged();
            let (caught_up, failed) = match self.step().await {
                Ok(caught_up) => (caught_up, false),
                Err(error) => {
                    self.metrics.follower_errors.increment(1);
                    warn!(%error, "follower step failed; retrying");
                    if matches!(error, Error::Store { .. } | Error::Corrupt { .. }) {
                        if let Err(error) = self.reload().await {
                            error!(%error, "reloading the store failed");
                        }
                    }
                    (true, true)
                }
            };
            self.chain.bump();
            if caught_up {
                tokio::select! {
                    changed = heads.changed() => {
                        if changed.is_err() {
                            tokio::time::sleep(retry).await;
                        }
                    }
                    () = tokio::time::sleep(retry), if failed => {}
                    () = wake.notified() => self.time.poll_now(),
                    _ = shutdown.changed() => {}
                }
            }
            if *shutdown.borrow() {
                debug!("follower stopped");
                return;
            }
        }
    }

    /// Rebuilds chain and pool from the store (after a failed commit left memory ahead of it),
    /// off the runtime and off the locks, then swaps them in.
    async fn reload(&mut self) -> Result<()> {
        let (store, genesis, clock) = (self.store.clone(), self.genesis.clone(), self.l1.clock);
        let rules = self.pool.rules();
        let (pool, chain) = (self.pool.clone(), self.chain.clone());
        let cursor = blocking::run("follower-reload", move || {
            let loaded = store.load()?;
            let mut state =
                PoolState::from_loaded(loaded.pool, loaded.dropped, loaded.quotes, rules.chain_id);
            let checkpoint = store.checkpoint()?;
            let replayed = rebuild(&genesis, clock, &loaded.events, checkpoint.as_ref());
            let mut pool = pool.lock();
            state.set_max_txs(pool.max_txs());
            *chain.write() = replayed;
            *pool = state;
            Ok(loaded.cursor)
        })
        .await?;
        if let Some(cursor) = cursor {
            self.cursor = cursor;
        }
        Ok(())
    }

    async fn block_header(&self, tag: BlockNumberOrTag) -> Result<Option<(u64, B256, u64)>> {
        let block = self
            .l1
            .provider
            .get_block_by_number(tag)
            .await
            .map_err(Error::l1(format!("eth_getBlockByNumber {tag}")))?;
        Ok(block.map(|b| (b.header.number, b.header.hash, b.header.timestamp)))
    }

    /// The `finalized` block number, read again once the head moved
    /// [`FINALIZED_REFRESH_BLOCKS`] past the last read. Not every node serves the tag before the
    /// merge/finality: that reads as nothing finalized.
    async fn finalized(&mut self, head: u64) -> u64 {
        if let Some((finalized, read_at)) = self.finalized {
            if head < read_at + FINALIZED_REFRESH_BLOCKS && head >= read_at {
                return finalized;
            }
        }
        let finalized = self
            .block_header(BlockNumberOrTag::Finalized)
            .await
            .ok()
            .flatten()
            .map_or(0, |(number, _, _)| number);
        self.finalized = Some((finalized, head));
        finalized
    }

    /// Whether `head` is the cursor's block or its child: then the cursor is still canonical
    /// (as far as this head tells) without reading its header.
    fn extends_cursor(&self, head: &Head) -> bool {
        (head.number == self.cursor.number && head.hash == self.cursor.hash)
            || (head.number == self.cursor.number + 1 && head.parent_hash == self.cursor.hash)
    }

    /// One step; returns whether the follower has caught up with the L1 head.
    pub async fn step(&mut self) -> Result<bool> {
        let head = self.time.latest();
        let (head_number, head_hash, head_time) = (head.number, head.hash, head.timestamp);
        let finalized = self.finalized(head_number).await;
        if self.cursor.hash != B256::ZERO && !self.extends_cursor(&head) {
            let now = self
                .block_header(BlockNumberOrTag::Number(self.cursor.number))
                .await?;
            if now.map(|(_, hash, _)| hash) != Some(self.cursor.hash) {
                self.handle_reorg().await?;
                return Ok(false);
            }
        }
        let head = head_number;
        if head <= self.cursor.number {
            self.chain
                .write()
                .set_l1_position(self.cursor.number, head_time, finalized);
            return Ok(true);
        }
        let from = self.cursor.number + 1;
        let to = head.min(from + MAX_LOG_RANGE - 1);
        let to_hash = if to == head {
            head_hash
        } else {
            match self.block_header(BlockNumberOrTag::Number(to)).await? {
                Some((_, hash, _)) => hash,
                None => return Ok(false),
            }
        };
        let filter = Filter::new().address(self.l1.deployment.rollup.address);
        // A single block is read by its hash: its logs are then that block's, canonical or not
        // (the next head's parent hash tells).
        let filter = if from == head {
            filter.at_block_hash(head_hash)
        } else {
            filter.from_block(from).to_block(to)
        };
        let logs = self
            .l1
            .provider
            .get_logs(&filter)
            .await
            .map_err(Error::l1(format!("eth_getLogs {from}..={to}")))?;
        let canonical = self.canonical_hashes(&logs, to, to_hash).await?;
        check_canonical(&logs, &canonical)?;
        let mut records = Vec::new();
        for log in &logs {
            if let Some(record) = self.decode(log).await? {
                records.push(record);
            }
        }
        records.sort_by_key(|r| (r.l1_block, r.log_index));
        let cursor = Cursor {
            number: to,
            hash: to_hash,
        };
        let write = StepWrite {
            l1_hashes: records
                .iter()
                .map(|r| (r.l1_block, r.l1_block_hash))
                .collect(),
            cursor: Some(cursor),
            events: records,
            ..StepWrite::default()
        };
        let (pool, chain, store, rules) = (
            self.pool.clone(),
            self.chain.clone(),
            self.store.clone(),
            self.rules(),
        );
        let write = blocking::run("follower-fold", move || {
            fold_step(
                &pool,
                &chain,
                &store,
                &rules,
                write,
                (to, head_time, finalized),
            )
        })
        .await?;
        self.cursor = cursor;
        if !write.events.is_empty() {
            debug!(from, to, events = write.events.len(), "followed L1");
        }
        Ok(to == head)
    }

    /// The canonical hash of every L1 block that holds one of `logs`, from its header (`to`'s
    /// is known: `to_hash`).
    async fn canonical_hashes(
        &self,
        logs: &[Log],
        to: u64,
        to_hash: B256,
    ) -> Result<HashMap<u64, B256>> {
        let mut hashes = HashMap::from([(to, to_hash)]);
        for number in logs.iter().filter_map(|log| log.block_number) {
            if hashes.contains_key(&number) {
                continue;
            }
            let hash = self
                .block_header(BlockNumberOrTag::Number(number))
                .await?
                .map(|(_, hash, _)| hash)
                .ok_or(Error::NonCanonicalLog {
                    block: number,
                    log_hash: None,
                    canonical: None,
                })?;
            hashes.insert(number, hash);
        }
        Ok(hashes)
    }

    fn rules(&self) -> QuoteRules {
        self.pool.rules()
    }

    /// Rolls back to the highest remembered L1 block that is still canonical.
    async fn handle_reorg(&mut self) -> Result<()> {
        let mut ancestor = Cursor {
            number: self.l1.deployment.deploy_block.saturating_sub(1),
            hash: B256::ZERO,
        };
        for (number, hash) in self.store.l1_hashes_desc()? {
            if number < ancestor.number {
                break;
            }
            let now = self.block_header(BlockNumberOrTag::Number(number)).await?;
            if now.map(|(_, h, _)| h) == Some(hash) {
                ancestor = Cursor { number, hash };
                break;
            }
        }
        warn!(
            cursor = self.cursor.number,
            ancestor = ancestor.number,
            "L1 reorg: dropping everything read above the common ancestor"
        );
        self.metrics.reorgs.increment(1);
        let store = self.store.clone();
        let (genesis, clock) = (self.genesis.clone(), self.l1.clock);
        let last = ancestor.number;
        // The new chain is built off the lock (the old one keeps serving reads), then swapped in.
        let replayed = blocking::run("reorg-replay", move || {
            let events = store.events_up_to(last)?;
            let checkpoint = store
                .checkpoint()?
                .filter(|checkpoint| checkpoint.position.0 <= last);
            Ok(rebuild(&genesis, clock, &events, checkpoint.as_ref()))
        })
        .await?;
        let write = StepWrite {
            rollback_above: Some(ancestor.number),
            cursor: Some(ancestor),
            ..StepWrite::default()
        };
        let (pool, chain, store, rules) = (
            self.pool.clone(),
            self.chain.clone(),
            self.store.clone(),
            self.rules(),
        );
        let held = blocking::run("reorg-swap", move || {
            swap_in(
                &pool,
                &chain,
                &store,
                &rules,
                replayed,
                write,
                ancestor.number,
            )
        })
        .await?;
        self.cursor = ancestor;
        info!(
            pending = self.chain.pending_tip(),
            proven = self.chain.proven_tip(),
            lock_held_ms = held.as_secs_f64() * 1e3,
            "chain rebuilt after the reorg"
        );
        Ok(())
    }

    /// Decodes one rollup log into a record (`None` for events the chain does not use).
    async fn decode(&self, log: &Log) -> Result<Option<EventRecord>> {
        let Ok(decoded) = IRollupEvents::decode_log(&log.inner) else {
            return Ok(None);
        };
        let small = |value: U256| value.saturating_to::<u64>();
        let event = match decoded.data {
            IRollupEvents::BlockProposed(e) => {
                let number = small(e.blockNumber);
                let l1_tx = log.transaction_hash.unwrap_or_default();
                let data = self.proposal_data(l1_tx, number).await?;
                ChainEvent::BlockProposed {
                    number,
                    slot: small(e.slot),
                    proposer: e.proposer,
                    state_root: e.stateRoot,
                    backup: e.backup,
                    data,
                }
            }
            IRollupEvents::EpochProven(e) => ChainEvent::EpochProven {
                epoch: small(e.epoch),
                from: small(e.fromBlock),
                to: small(e.toBlock),
            },
            IRollupEvents::BlocksPruned(e) => ChainEvent::BlocksPruned {
                epoch: small(e.epoch),
                from: small(e.fromBlock),
                to: small(e.toBlock),
            },
            IRollupEvents::EpochProofRightClaimed(e) => ChainEvent::EpochProofRightClaimed {
                epoch: small(e.epoch),
                prover: e.prover,
                claimant: e.claimant,
                bond_amount: e.bondAmount,
                basis_point_fee: e.basisPointFee.saturating_to(),
            },
            IRollupEvents::EpochProofClaimReplaced(e) => ChainEvent::EpochProofClaimReplaced {
                epoch: small(e.epoch),
                replaced_prover: e.replacedProver,
                prover: e.prover,
                replaced_fee: e.replacedFee.saturating_to(),
                basis_point_fee: e.basisPointFee.saturating_to(),
            },
            IRollupEvents::ProverSlashed(e) => ChainEvent::ProverSlashed {
                epoch: small(e.epoch),
            },
            IRollupEvents::ClaimCancelled(e) => ChainEvent::ClaimCancelled {
                epoch: small(e.epoch),
            },
            _ => return Ok(None),
        };
        Ok(Some(EventRecord {
            l1_block: log.block_number.unwrap_or_default(),
            l1_block_hash: log.block_hash.unwrap_or_default(),
            log_index: log.log_index.unwrap_or_default(),
            l1_tx: log.transaction_hash.unwrap_or_default(),
            event,
        }))
    }

    /// The block data of the proposal of block `number` in L1 transaction `l1_tx`.
    async fn proposal_data(&self, l1_tx: B256, number: u64) -> Result<Option<Bytes>> {
        let tx = self
            .l1
            .provider
            .get_transaction_by_hash(l1_tx)
            .await
            .map_err(Error::l1(format!("eth_getTransactionByHash {l1_tx}")))?;
        let Some(tx) = tx else {
            warn!(%l1_tx, number, "proposing transaction not found");
            return Ok(None);
        };
        if tx.to() != Some(self.l1.deployment.rollup.address) {
            let error = Error::UndecodableProposal { tx: l1_tx, number };
            error!(%error, "block data unavailable");
            return Ok(None);
        }
        let (proposed, data) = match IRollupCalls::abi_decode(tx.input()) {
            Ok(IRollupCalls::propose(call)) => (call.args.header.blockNumber, call.args.data),
            Ok(IRollupCalls::proposeWithProof(call)) => {
                (call.args.header.blockNumber, call.args.data)
            }
            // The committee mode's proposals (ICommitteeRollup extends IRollup).
            _ => match ICommitteeRollupCalls::abi_decode(tx.input()) {
                Ok(ICommitteeRollupCalls::proposeWithSignoffs(call)) => {
                    (call.args.header.blockNumber, call.args.data)
                }
                _ => {
                    let error = Error::UndecodableProposal { tx: l1_tx, number };
                    error!(%error, "block data unavailable");
                    return Ok(None);
                }
            },
        };
        if proposed != U256::from(number) {
            error!(%l1_tx, number, header = %proposed, "calldata proposes another block number");
            return Ok(None);
        }
        Ok(Some(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(block: u64, hash: B256) -> Log {
        Log {
            block_number: Some(block),
            block_hash: Some(hash),
            ..Log::default()
        }
    }

    /// Attack (issue 12, "Node": logs are not checked against the canonical chain): an L1
    /// reorg races `eth_getLogs`, which answers a log of the replaced block 7. The step refuses
    /// it (nothing is folded, the step is retried) instead of folding an event that never
    /// happened on the canonical chain.
    #[test]
    fn a_log_of_a_replaced_block_is_refused() {
        let (canonical_7, orphan_7) = (B256::repeat_byte(7), B256::repeat_byte(0x77));
        let canonical = HashMap::from([(5, B256::repeat_byte(5)), (7, canonical_7)]);
        let good = [log(5, B256::repeat_byte(5)), log(7, canonical_7)];
        check_canonical(&good, &canonical).unwrap();

        let forked = [log(5, B256::repeat_byte(5)), log(7, orphan_7)];
        let err = check_canonical(&forked, &canonical).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonCanonicalLog { block: 7, log_hash: Some(h), canonical: Some(c) }
                    if h == orphan_7 && c == canonical_7
            ),
            "{err}"
        );
        assert!(err.to_string().contains("L1 reorg under way"), "{err}");

        // A log of a block the node has no header for, or one without a block hash (pending).
        assert!(matches!(
            check_canonical(&[log(9, canonical_7)], &canonical),
            Err(Error::NonCanonicalLog {
                block: 9,
                canonical: None,
                ..
            })
        ));
        let pending = Log {
            block_number: Some(5),
            ..Log::default()
        };
        assert!(check_canonical(&[pending], &canonical).is_err());
    }
}
