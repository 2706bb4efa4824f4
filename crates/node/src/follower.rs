//! The L1 follower: polls the rollup's events and folds them into the chain, step by step.
//!
//! A step reads the L1 head (and the `finalized` block), checks that the last processed L1 block
//! still has the hash it had (reorg check), reads the rollup's logs from the cursor on
//! (`eth_getLogs` over at most [`MAX_LOG_RANGE`] blocks), fetches the calldata of each
//! `BlockProposed` transaction (a direct `propose` / `proposeWithProof` call), applies the events
//! to the chain, reconciles the pool, and commits events, cursor and pool changes in one store
//! write transaction.
//!
//! **Reorgs.** Every event is stored with its L1 block number and hash, and the store remembers
//! the hash of every L1 block with events and of the cursor. When the cursor's block changed hash
//! (or vanished), the follower walks the L1 blocks with events from the highest down and takes
//! the first whose hash is unchanged as the common ancestor (the deployment block's parent when
//! none is; no event lies between it and the cursor, so nothing is lost by rolling back to it):
//! it deletes the events above it, replays the rest from the genesis state, reconciles the
//! pool (transactions of vanished blocks come back) and resumes reading after the ancestor.
//! Replaying is linear in the chain's length, which is fine at devnet sizes and keeps one code
//! path for restarts and reorgs.

use std::{collections::HashMap, sync::Arc, time::Duration};

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    primitives::{Bytes, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::{SolEventInterface, SolInterface},
};
use fernet_bindings::IRollup::{IRollupCalls, IRollupEvents};
use fernet_state::{TxEffect, WorldState};
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

use crate::{
    chain::{ChainEvent, ChainHandle, ChainState, EventRecord},
    metrics::Metrics,
    pool::{PoolHandle, PoolState, QuoteRules},
    store::{Cursor, StepWrite, Store},
    Error, Result, L1,
};

/// Most L1 blocks one `eth_getLogs` request covers.
pub const MAX_LOG_RANGE: u64 = 1_000;

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
    chain: ChainHandle,
    pool: PoolHandle,
    store: Arc<Store>,
    genesis: WorldState,
    cursor: Cursor,
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
    /// A follower resuming at `cursor` (`None`: from the rollup's deployment block).
    pub fn new(
        l1: Arc<L1>,
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
            chain,
            pool,
            genesis,
            cursor: cursor.unwrap_or(start),
            metrics,
        }
    }

    /// Runs steps every `interval` (at once while behind, or when `wake` is notified: a
    /// proposal hint) until `shutdown` turns true.
    pub async fn run(
        mut self,
        interval: Duration,
        mut shutdown: watch::Receiver<bool>,
        wake: Arc<tokio::sync::Notify>,
    ) {
        loop {
            let caught_up = match self.step().await {
                Ok(caught_up) => caught_up,
                Err(error) => {
                    self.metrics.follower_errors.increment(1);
                    warn!(%error, "follower step failed; retrying");
                    if matches!(error, Error::Store { .. } | Error::Corrupt { .. }) {
                        if let Err(error) = self.reload() {
                            error!(%error, "reloading the store failed");
                        }
                    }
                    true
                }
            };
            self.chain.bump();
            if caught_up {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = wake.notified() => {}
                    _ = shutdown.changed() => {}
                }
            }
            if *shutdown.borrow() {
                debug!("follower stopped");
                return;
            }
        }
    }

    /// Rebuilds chain and pool from the store (after a failed commit left memory ahead of it).
    fn reload(&mut self) -> Result<()> {
        let loaded = self.store.load()?;
        let rules = self.pool.rules();
        let state =
            PoolState::from_loaded(loaded.pool, loaded.dropped, loaded.quotes, rules.chain_id);
        let mut pool = self.pool.lock();
        *self.chain.write() = replay(&self.genesis, self.l1.clock, &loaded.events);
        *pool = state;
        if let Some(cursor) = loaded.cursor {
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

    /// One step; returns whether the follower has caught up with the L1 head.
    pub async fn step(&mut self) -> Result<bool> {
        let Some((head, head_hash, head_time)) =
            self.block_header(BlockNumberOrTag::Latest).await?
        else {
            return Ok(true);
        };
        // Not every node serves the tag before the merge/finality: treat that as nothing finalized.
        let finalized = self
            .block_header(BlockNumberOrTag::Finalized)
            .await
            .ok()
            .flatten()
            .map_or(0, |(number, _, _)| number);
        if self.cursor.hash != B256::ZERO {
            let now = self
                .block_header(BlockNumberOrTag::Number(self.cursor.number))
                .await?;
            if now.map(|(_, hash, _)| hash) != Some(self.cursor.hash) {
                self.handle_reorg().await?;
                return Ok(false);
            }
        }
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
        let filter = Filter::new()
            .address(self.l1.deployment.rollup.address)
            .from_block(from)
            .to_block(to);
        let logs = self
            .l1
            .provider
            .get_logs(&filter)
            .await
            .map_err(Error::l1(format!("eth_getLogs {from}..={to}")))?;
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
        let mut write = StepWrite {
            l1_hashes: records
                .iter()
                .map(|r| (r.l1_block, r.l1_block_hash))
                .collect(),
            cursor: Some(cursor),
            ..StepWrite::default()
        };
        {
            let mut pool = self.pool.lock();
            let mut chain = self.chain.write();
            let before = if records.is_empty() {
                HashMap::new()
            } else {
                chain.tx_effects()
            };
            for record in &records {
                chain.apply(record);
            }
            chain.set_l1_position(to, head_time, finalized);
            pool.reconcile(&before, &chain, &self.rules(), &mut write);
            write.events = records;
            self.store.commit(&write)?;
        }
        self.cursor = cursor;
        if !write.events.is_empty() {
            debug!(from, to, events = write.events.len(), "followed L1");
        }
        Ok(to == head)
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
        let events = self.store.events_up_to(ancestor.number)?;
        let mut write = StepWrite {
            rollback_above: Some(ancestor.number),
            cursor: Some(ancestor),
            ..StepWrite::default()
        };
        {
            let mut pool = self.pool.lock();
            let mut chain = self.chain.write();
            let before: HashMap<B256, (u64, TxEffect)> = chain.tx_effects();
            let (timestamp, finalized) = (chain.l1_timestamp(), chain.finalized_l1_block());
            let mut replayed = replay(&self.genesis, self.l1.clock, &events);
            replayed.set_l1_position(ancestor.number, timestamp, finalized);
            *chain = replayed;
            pool.reconcile(&before, &chain, &self.rules(), &mut write);
            self.store.commit(&write)?;
        }
        self.cursor = ancestor;
        info!(
            pending = self.chain.pending_tip(),
            proven = self.chain.proven_tip(),
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
        let args = match IRollupCalls::abi_decode(tx.input()) {
            Ok(IRollupCalls::propose(call)) => call.args,
            Ok(IRollupCalls::proposeWithProof(call)) => call.args,
            _ => {
                let error = Error::UndecodableProposal { tx: l1_tx, number };
                error!(%error, "block data unavailable");
                return Ok(None);
            }
        };
        if args.header.blockNumber != U256::from(number) {
            error!(%l1_tx, number, header = %args.header.blockNumber, "calldata proposes another block number");
            return Ok(None);
        }
        Ok(Some(args.data))
    }
}
