//! The L2 chain as the rollup's events define it, and the world state along it.
//!
//! [`ChainState`] folds the rollup's events ([`EventRecord`], in L1 order) into the pending
//! chain (blocks `1..=pendingTip` with decoded bodies), the proven tip, the claims per epoch and
//! the world states after every block from the proven tip on. It is a pure function of the event
//! log, which is what makes restarts (replay the stored log) and L1 reorgs (truncate the log,
//! replay) simple and correct; [`ChainState::restore`] replays it from a checkpoint of the world
//! state at the proven tip, applying only the blocks above it. [`ChainHandle`] shares it between the follower and readers.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use alloy::primitives::{Address, Bytes, B256, U256};
use fernet_state::{
    apply_block, apply_block_in_chunks, decode_block_data, fr_to_be_bytes, Block, BlockBody,
    BlockWitness, Fr, TxEffect, WorldState,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tracing::{error, info, warn};

use fernet_primitives::Clock;

use crate::{tx::tx_hash, Error, Result};

/// One rollup event the follower read, with where it was on L1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    /// L1 block number.
    pub l1_block: u64,
    /// L1 block hash (checked for reorgs).
    pub l1_block_hash: B256,
    /// Position of the log in its L1 block.
    pub log_index: u64,
    /// The L1 transaction that emitted it.
    pub l1_tx: B256,
    /// The event.
    pub event: ChainEvent,
}

/// The rollup events the chain is made of (`IRollup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ChainEvent {
    /// `BlockProposed`: a block appended, or replacing the tip in its slot (same number).
    BlockProposed {
        /// Block number.
        number: u64,
        /// Its slot.
        slot: u64,
        /// Who proposed it.
        proposer: Address,
        /// The state root its header claims.
        state_root: B256,
        /// Whether it came from backup mode (with a proof).
        backup: bool,
        /// Its data, from the proposing transaction's calldata; `None` when that transaction
        /// is not a direct `propose` / `proposeWithProof` call.
        data: Option<Bytes>,
    },
    /// `EpochProven`: blocks `from..=to` are proven (a prefix of the epoch's unproven blocks, or
    /// all of them).
    EpochProven {
        /// The epoch.
        epoch: u64,
        /// First proven block.
        from: u64,
        /// Last proven block (the new proven tip).
        to: u64,
    },
    /// `BlocksPruned`: blocks `from..=to` are gone.
    BlocksPruned {
        /// The epoch that missed its proof window.
        epoch: u64,
        /// First pruned block.
        from: u64,
        /// Last pruned block.
        to: u64,
    },
    /// `EpochProofClaimReplaced`: a strictly cheaper quote replaced the claim of `epoch` (its
    /// `EpochProofRightClaimed` follows).
    EpochProofClaimReplaced {
        /// The epoch.
        epoch: u64,
        /// The prover whose claim was replaced (its bond released).
        replaced_prover: Address,
        /// The prover of the new claim.
        prover: Address,
        /// The replaced claim's fee, in basis points.
        replaced_fee: u32,
        /// The new claim's fee, in basis points.
        basis_point_fee: u32,
    },
    /// `EpochProofRightClaimed`: a first claim, or the new claim after a replacement.
    EpochProofRightClaimed {
        /// The claimed epoch.
        epoch: u64,
        /// The prover of the quote.
        prover: Address,
        /// The sequencer that claimed.
        claimant: Address,
        /// The locked bond.
        bond_amount: U256,
        /// The prover's share, in basis points.
        basis_point_fee: u32,
    },
    /// `ProverSlashed`: the claim of `epoch` missed its proof (its bond slashed pro rata to the
    /// unproven blocks).
    ProverSlashed {
        /// The epoch.
        epoch: u64,
    },
    /// `ClaimCancelled`: the claim of `epoch` was dropped by an earlier prune.
    ClaimCancelled {
        /// The epoch.
        epoch: u64,
    },
}

/// A block of the pending chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2Block {
    /// Height.
    pub number: u64,
    /// Slot it was proposed in.
    pub slot: u64,
    /// Its proposer (sequencer or backup submitter).
    pub proposer: Address,
    /// The decoded body (empty when the data could not be read or decoded).
    pub body: BlockBody,
    /// The published data (empty when the proposing transaction could not be decoded).
    pub data: Bytes,
    /// The state root its header claims.
    pub state_root: B256,
    /// Whether it came from backup mode.
    pub backup: bool,
    /// L1 block of its `BlockProposed` event.
    pub l1_block: u64,
    /// L1 transaction that proposed it.
    pub l1_tx: B256,
    /// Hashes of its transactions, in order.
    pub tx_hashes: Vec<B256>,
    /// Why the block is invalid (data unreadable, application failed, state root mismatch,
    /// invalid parent); `None` when applying it to its parent's state gives its state root.
    pub invalid: Option<String>,
    /// L1 block of the `EpochProven` event that proved it, once proven.
    pub proven_l1_block: Option<u64>,
}

impl L2Block {
    /// Whether the block applies to its parent's state and gives the claimed state root.
    pub fn is_valid(&self) -> bool {
        self.invalid.is_none()
    }

    /// The effect of the transaction with `hash`, if the block has it.
    pub fn tx(&self, hash: &B256) -> Option<&TxEffect> {
        let index = self.tx_hashes.iter().position(|h| h == hash)?;
        self.body.txs.get(index)
    }
}

/// Where a claim is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClaimStatus {
    /// Claimed, proof outstanding.
    Claimed,
    /// Proven, bond released.
    Proven,
    /// The proof was missed, bond slashed.
    Slashed,
    /// Dropped by an earlier epoch's prune, bond released.
    Cancelled,
}

/// A prover commitment for one epoch (`EpochProofRightClaimed` and what followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// The epoch.
    pub epoch: u64,
    /// The committed prover.
    pub prover: Address,
    /// The sequencer that claimed.
    pub claimant: Address,
    /// The bond.
    pub bond_amount: U256,
    /// The prover's share in basis points.
    pub basis_point_fee: u32,
    /// Where the claim is.
    pub status: ClaimStatus,
}

/// The 32-byte word of a field element.
pub fn fr_to_b256(value: &Fr) -> B256 {
    B256::from(fr_to_be_bytes(value))
}

/// The chain folded from the event log, plus what the follower learnt about L1.
#[derive(Debug, Clone)]
pub struct ChainState {
    clock: Clock,
    blocks: BTreeMap<u64, L2Block>,
    /// World state after block `n`, for `n` in `proven_tip..=pending_tip`; each shares every
    /// tree node its block did not write with the one below it (a diff over it; O(1) clones).
    states: BTreeMap<u64, WorldState>,
    proven_tip: u64,
    claims: BTreeMap<u64, ClaimRecord>,
    tx_index: HashMap<B256, u64>,
    synced_l1_block: u64,
    l1_timestamp: u64,
    finalized_l1_block: u64,
    /// While restoring from a checkpoint: fold blocks without computing their states.
    skeleton: bool,
}

impl ChainState {
    /// The chain at genesis: no block, `genesis` as the state after block 0.
    pub fn new(genesis: WorldState, clock: Clock) -> Self {
        Self {
            clock,
            blocks: BTreeMap::new(),
            states: BTreeMap::from([(0, genesis)]),
            proven_tip: 0,
            claims: BTreeMap::new(),
            tx_index: HashMap::new(),
            synced_l1_block: 0,
            l1_timestamp: 0,
            finalized_l1_block: 0,
            skeleton: false,
        }
    }

    /// The chain `events` define, rebuilt from `checkpoint`: the world state after block
    /// `checkpoint.block_number()`, the proven tip once the events up to `position` (an
    /// `(l1 block, log index)` key) are folded. Those events are folded without computing any
    /// state, the states of the blocks above the checkpoint are then computed from it, and the
    /// events after `position` are folded as usual: no block at or below the checkpoint is
    /// applied again. `None` when the events do not lead to the checkpoint's block as the proven
    /// tip (the caller replays from genesis).
    pub fn restore(
        checkpoint: WorldState,
        clock: Clock,
        events: &[EventRecord],
        position: (u64, u64),
    ) -> Option<Self> {
        let base = checkpoint.block_number();
        let mut chain = Self::new(checkpoint, clock);
        let (_, checkpoint) = chain.states.pop_first()?;
        chain.skeleton = true;
        let split = events.partition_point(|e| (e.l1_block, e.log_index) <= position);
        for record in &events[..split] {
            chain.apply(record);
        }
        chain.skeleton = false;
        if chain.proven_tip != base {
            warn!(
                checkpoint = base,
                proven = chain.proven_tip,
                "the checkpoint is not at the proven tip its events give: replaying from genesis"
            );
            return None;
        }
        chain.states.insert(base, checkpoint);
        chain.recompute_above(base);
        for record in &events[split..] {
            chain.apply(record);
        }
        Some(chain)
    }

    /// Applies one event.
    pub fn apply(&mut self, record: &EventRecord) {
        match &record.event {
            ChainEvent::BlockProposed {
                number,
                slot,
                proposer,
                state_root,
                backup,
                data,
            } => self.propose(
                record,
                *number,
                *slot,
                *proposer,
                *state_root,
                *backup,
                data.clone(),
            ),
            ChainEvent::EpochProven { epoch, from, to } => {
                for block in self.blocks.range_mut(from..=to).map(|(_, block)| block) {
                    block.proven_l1_block = Some(record.l1_block);
                }
                if *to > self.pending_tip() {
                    error!(
                        to,
                        pending = self.pending_tip(),
                        "EpochProven beyond the pending tip"
                    );
                }
                self.proven_tip = (*to).min(self.pending_tip());
                self.states = self.states.split_off(&self.proven_tip);
                // A proof may cover a prefix of the epoch: the claim stays open until the
                // epoch's last pending block is proven.
                let complete = self
                    .blocks
                    .get(&(self.proven_tip + 1))
                    .is_none_or(|next| self.clock.epoch_of(next.slot) != *epoch);
                if complete {
                    if let Some(claim) = self.claims.get_mut(epoch) {
                        claim.status = ClaimStatus::Proven;
                    }
                    info!(epoch, from, to, "epoch proven");
                } else {
                    info!(epoch, from, to, "epoch proven in part");
                }
            }
            ChainEvent::BlocksPruned { epoch, from, to } => {
                warn!(epoch, from, to, "blocks pruned");
                self.truncate(*from);
            }
            ChainEvent::EpochProofClaimReplaced {
                epoch,
                replaced_prover,
                prover,
                replaced_fee,
                basis_point_fee,
            } => {
                info!(epoch, %replaced_prover, %prover, replaced_fee, basis_point_fee, "epoch claim replaced by a cheaper quote");
                match self.claims.get(epoch) {
                    Some(claim)
                        if claim.prover == *replaced_prover
                            && claim.status == ClaimStatus::Claimed => {}
                    other => error!(
                        epoch,
                        %replaced_prover,
                        known = ?other.map(|claim| (claim.prover, claim.status)),
                        "a replaced claim the chain does not hold"
                    ),
                }
            }
            ChainEvent::EpochProofRightClaimed {
                epoch,
                prover,
                claimant,
                bond_amount,
                basis_point_fee,
            } => {
                info!(epoch, %prover, %claimant, "epoch claimed");
                self.claims.insert(
                    *epoch,
                    ClaimRecord {
                        epoch: *epoch,
                        prover: *prover,
                        claimant: *claimant,
                        bond_amount: *bond_amount,
                        basis_point_fee: *basis_point_fee,
                        status: ClaimStatus::Claimed,
                    },
                );
            }
            ChainEvent::ProverSlashed { epoch } => {
                self.set_claim_status(*epoch, ClaimStatus::Slashed)
            }
            ChainEvent::ClaimCancelled { epoch } => {
                self.set_claim_status(*epoch, ClaimStatus::Cancelled)
            }
        }
    }

    fn set_claim_status(&mut self, epoch: u64, status: ClaimStatus) {
        match self.claims.get_mut(&epoch) {
            Some(claim) => claim.status = status,
            None => error!(
                epoch,
                ?status,
                "claim status change for an epoch without a claim"
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn propose(
        &mut self,
        record: &EventRecord,
        number: u64,
        slot: u64,
        proposer: Address,
        state_root: B256,
        backup: bool,
        data: Option<Bytes>,
    ) {
        let pending = self.pending_tip();
        if number <= self.proven_tip || number > pending + 1 {
            error!(
                number,
                pending,
                proven = self.proven_tip,
                "BlockProposed out of sequence: ignored"
            );
            return;
        }
        if number <= pending {
            info!(number, slot, %proposer, "block replaced");
            self.truncate(number);
        }
        let (body, undecodable) = match data.as_deref().map(|data| decode_block_data(data)) {
            Some(Ok(body)) => (body, None),
            Some(Err(source)) => (
                BlockBody::default(),
                Some(format!("data does not decode: {source}")),
            ),
            None => (
                BlockBody::default(),
                Some("the proposing L1 transaction is not a direct propose call".to_owned()),
            ),
        };
        let tx_hashes: Vec<B256> = body.txs.iter().map(tx_hash).collect();
        for hash in &tx_hashes {
            self.tx_index.insert(*hash, number);
        }
        self.blocks.insert(
            number,
            L2Block {
                number,
                slot,
                proposer,
                body,
                data: data.unwrap_or_default(),
                state_root,
                backup,
                l1_block: record.l1_block,
                l1_tx: record.l1_tx,
                tx_hashes,
                invalid: undecodable,
                proven_l1_block: None,
            },
        );
        // Restoring from a checkpoint: states are computed once the checkpoint is reached.
        if !self.skeleton {
            self.compute_state(number);
        }
    }

    /// Applies block `number` (on the chain) to the state after its parent, records the state
    /// and marks the block invalid when it does not apply, gives another state root than its
    /// header claims, or has an invalid parent.
    fn compute_state(&mut self, number: u64) {
        let Some(parent) = self.states.get(&(number - 1)) else {
            error!(number, "no state for the parent block: ignored");
            self.truncate(number);
            return;
        };
        let mut state = parent.clone();
        let parent_valid = self.blocks.get(&(number - 1)).is_none_or(L2Block::is_valid);
        let Some(block) = self.blocks.get_mut(&number) else {
            return;
        };
        if block.invalid.is_none() {
            let applied = Block {
                number,
                slot: block.slot,
                body: block.body.clone(),
            };
            let state_root = block.state_root;
            block.invalid = match apply_block(&mut state, &applied) {
                Err(source) => Some(format!("does not apply to its parent's state: {source}")),
                Ok(_) if fr_to_b256(&state.state_root()) != state_root => Some(format!(
                    "state root mismatch: the header claims {state_root}, applying the block gives {}",
                    fr_to_b256(&state.state_root())
                )),
                Ok(_) if !parent_valid => Some("its parent is invalid".to_owned()),
                Ok(_) => None,
            };
        }
        let (slot, proposer) = (block.slot, block.proposer);
        match &block.invalid {
            Some(reason) => {
                error!(number, slot, %proposer, l1_tx = %block.l1_tx, reason, "INVALID BLOCK: kept, marked invalid")
            }
            None => {
                info!(number, slot, %proposer, txs = block.body.txs.len(), state_root = %block.state_root, "block proposed")
            }
        }
        self.states.insert(number, state);
    }

    /// Computes the states of the blocks above `base` (whose state is kept), lowest first.
    fn recompute_above(&mut self, base: u64) {
        let numbers: Vec<u64> = self.blocks.range(base + 1..).map(|(n, _)| *n).collect();
        for number in numbers {
            self.compute_state(number);
        }
    }

    /// Drops blocks `from..` (never below the proven tip) and their states.
    fn truncate(&mut self, from: u64) {
        let from = from.max(self.proven_tip + 1);
        for (_, block) in self.blocks.split_off(&from) {
            for hash in &block.tx_hashes {
                if self.tx_index.get(hash) == Some(&block.number) {
                    self.tx_index.remove(hash);
                }
            }
        }
        self.states.split_off(&from);
    }

    /// Records the L1 position the chain is synced to.
    pub fn set_l1_position(&mut self, synced_block: u64, timestamp: u64, finalized_block: u64) {
        self.synced_l1_block = synced_block;
        self.l1_timestamp = timestamp;
        self.finalized_l1_block = finalized_block;
    }

    /// Height of the pending tip (0: no block).
    pub fn pending_tip(&self) -> u64 {
        self.blocks
            .last_key_value()
            .map_or(self.proven_tip, |(n, _)| *n)
    }

    /// Height of the proven tip.
    pub fn proven_tip(&self) -> u64 {
        self.proven_tip
    }

    /// The highest block whose proof landed in a finalized L1 block.
    pub fn finalized_tip(&self) -> u64 {
        self.blocks
            .range(..=self.proven_tip)
            .rev()
            .find(|(_, block)| {
                block
                    .proven_l1_block
                    .is_some_and(|b| b <= self.finalized_l1_block)
            })
            .map_or(0, |(n, _)| *n)
    }

    /// Block `n` of the pending chain.
    pub fn block(&self, n: u64) -> Option<&L2Block> {
        self.blocks.get(&n)
    }

    /// Every block, lowest first.
    pub fn blocks(&self) -> impl Iterator<Item = &L2Block> {
        self.blocks.values()
    }

    /// The state after block `n`, for `n` in `[provenTip, pendingTip]`.
    pub fn state_after(&self, n: u64) -> Option<&WorldState> {
        self.states.get(&n)
    }

    /// The state at the pending tip.
    pub fn tip_state(&self) -> &WorldState {
        self.states
            .last_key_value()
            .map(|(_, state)| state)
            .expect("the state at the proven tip is always kept")
    }

    /// Whether `nullifier` is in the nullifier tree at the pending tip.
    pub fn is_spent(&self, nullifier: &Fr) -> bool {
        self.tip_state().nullifier_tree().contains(nullifier)
    }

    /// The block number holding the transaction `hash`.
    pub fn tx_block(&self, hash: &B256) -> Option<u64> {
        self.tx_index.get(hash).copied()
    }

    /// Every transaction on the pending chain with its block and effect.
    pub fn tx_effects(&self) -> HashMap<B256, (u64, TxEffect)> {
        self.blocks
            .values()
            .flat_map(|block| {
                block
                    .tx_hashes
                    .iter()
                    .zip(&block.body.txs)
                    .map(move |(hash, tx)| (*hash, (block.number, *tx)))
            })
            .collect()
    }

    /// The claim of `epoch`.
    pub fn claim(&self, epoch: u64) -> Option<&ClaimRecord> {
        self.claims.get(&epoch)
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Last L1 block the follower processed.
    pub fn synced_l1_block(&self) -> u64 {
        self.synced_l1_block
    }

    /// Timestamp of the latest L1 block the follower saw.
    pub fn l1_timestamp(&self) -> u64 {
        self.l1_timestamp
    }

    /// The L1 `finalized` block number the follower saw last.
    pub fn finalized_l1_block(&self) -> u64 {
        self.finalized_l1_block
    }
}

struct Shared {
    state: RwLock<ChainState>,
    steps: watch::Sender<u64>,
}

/// A cheap-to-clone, thread-safe view of the chain the follower maintains.
#[derive(Clone)]
pub struct ChainHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ChainHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.read();
        f.debug_struct("ChainHandle")
            .field("pending_tip", &state.pending_tip())
            .field("proven_tip", &state.proven_tip())
            .field("synced_l1_block", &state.synced_l1_block())
            .finish()
    }
}

impl ChainHandle {
    /// Shares `state`.
    pub fn new(state: ChainState) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: RwLock::new(state),
                steps: watch::channel(0).0,
            }),
        }
    }

    /// Read access to the whole chain (hold it briefly: the follower waits for it).
    pub fn read(&self) -> RwLockReadGuard<'_, ChainState> {
        self.shared
            .state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, ChainState> {
        self.shared
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells subscribers that a follower step finished.
    pub(crate) fn bump(&self) {
        self.shared
            .steps
            .send_modify(|steps| *steps = steps.wrapping_add(1));
    }

    /// Height of the pending tip.
    pub fn pending_tip(&self) -> u64 {
        self.read().pending_tip()
    }

    /// Height of the proven tip.
    pub fn proven_tip(&self) -> u64 {
        self.read().proven_tip()
    }

    /// Block `n` of the pending chain.
    pub fn block(&self, n: u64) -> Option<L2Block> {
        self.read().block(n).cloned()
    }

    /// The blocks of `epoch` on the pending chain, lowest first.
    pub fn blocks_of_epoch(&self, epoch: u64) -> Vec<L2Block> {
        let state = self.read();
        let clock = *state.clock();
        state
            .blocks()
            .filter(|block| clock.epoch_of(block.slot) == epoch)
            .cloned()
            .collect()
    }

    /// The world state after block `n`, for `n` in `[provenTip, pendingTip]`.
    pub fn state_after(&self, n: u64) -> Option<WorldState> {
        self.read().state_after(n).cloned()
    }

    /// The state root at the pending tip (as this node computes it).
    pub fn tip_state_root(&self) -> B256 {
        fr_to_b256(&self.read().tip_state().state_root())
    }

    /// The circuit witness of block `n`: block `n` applied to the state after `n - 1`.
    pub fn witness(&self, n: u64) -> Result<BlockWitness> {
        let (block, mut state) = self.block_on_parent(n)?;
        Ok(apply_block(&mut state, &block)?)
    }

    /// The circuit witnesses of block `n` proven as chunks of `chunk_txs` tx slots
    /// (`max(1, ceil(txs / chunk_txs))` of them, in order; see
    /// [`fernet_state::apply_block_in_chunks`]), replayed on its parent's state like
    /// [`Self::witness`].
    pub fn chunk_witnesses(&self, n: u64, chunk_txs: usize) -> Result<Vec<BlockWitness>> {
        let (block, mut state) = self.block_on_parent(n)?;
        Ok(apply_block_in_chunks(&mut state, &block, chunk_txs)?)
    }

    /// Block `n` and a copy of its parent's state.
    fn block_on_parent(&self, n: u64) -> Result<(Block, WorldState)> {
        let chain = self.read();
        let block = chain.block(n).cloned().ok_or(Error::NoSuchBlock {
            number: n,
            tip: chain.pending_tip(),
        })?;
        let state = chain
            .state_after(n - 1)
            .cloned()
            .ok_or(Error::StateNotKept {
                number: n - 1,
                proven: chain.proven_tip(),
            })?;
        let block = Block {
            number: block.number,
            slot: block.slot,
            body: block.body,
        };
        Ok((block, state))
    }

    /// The claim of `epoch`.
    pub fn claim(&self, epoch: u64) -> Option<ClaimRecord> {
        self.read().claim(epoch).cloned()
    }

    /// Last L1 block the follower processed.
    pub fn synced_l1_block(&self) -> u64 {
        self.read().synced_l1_block()
    }

    /// Whether `nullifier` is spent at the pending tip.
    pub fn is_spent(&self, nullifier: &Fr) -> bool {
        self.read().is_spent(nullifier)
    }

    /// The L2 fee balance of `account` at the pending tip.
    pub fn fee_balance(&self, account: &Address) -> u128 {
        self.read().tip_state().fee_balance(&account.into_array())
    }

    /// The clock.
    pub fn clock(&self) -> Clock {
        *self.read().clock()
    }

    /// A receiver whose value bumps after every follower step.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.steps.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use fernet_state::StateConfig;

    use super::*;

    const CLOCK: Clock = Clock {
        genesis_time: 0,
        slot_duration: 8,
        epoch_duration: 4,
    };

    /// A tx with a zero fee (no balance needed) and a payer.
    fn tx(nullifier: u64) -> TxEffect {
        TxEffect::new(
            0,
            [0xaa; 20],
            &[Fr::from(nullifier)],
            &[Fr::from(nullifier + 1000)],
            None,
        )
        .unwrap()
    }

    /// A proposal of `txs` on top of `parent`, with the root a correct proposer would claim.
    fn proposal(
        parent: &mut WorldState,
        number: u64,
        slot: u64,
        txs: Vec<TxEffect>,
        l1: u64,
    ) -> EventRecord {
        let body = BlockBody {
            coinbase: None,
            messages: Vec::new(),
            txs,
        };
        apply_block(
            parent,
            &Block {
                number,
                slot,
                body: body.clone(),
            },
        )
        .unwrap();
        EventRecord {
            l1_block: l1,
            l1_block_hash: B256::with_last_byte(l1 as u8),
            log_index: 0,
            l1_tx: B256::with_last_byte(number as u8),
            event: ChainEvent::BlockProposed {
                number,
                slot,
                proposer: Address::with_last_byte(1),
                state_root: fr_to_b256(&parent.state_root()),
                backup: false,
                data: Some(fernet_state::encode_block_data(&body).unwrap().into()),
            },
        }
    }

    fn event(l1: u64, event: ChainEvent) -> EventRecord {
        EventRecord {
            l1_block: l1,
            l1_block_hash: B256::ZERO,
            log_index: 1,
            l1_tx: B256::ZERO,
            event,
        }
    }

    #[test]
    fn follows_proposals_replacements_proofs_and_prunes() {
        let genesis = WorldState::new(StateConfig::devnet()).unwrap();
        let mut chain = ChainState::new(genesis.clone(), CLOCK);
        let mut world = genesis.clone();
        chain.apply(&proposal(&mut world, 1, 1, vec![tx(1)], 10));
        let after_one = world.clone();
        chain.apply(&proposal(&mut world, 2, 2, vec![tx(2)], 11));
        assert_eq!(chain.pending_tip(), 2);
        assert!(chain.block(2).unwrap().is_valid());
        assert_eq!(
            fr_to_b256(&chain.tip_state().state_root()),
            fr_to_b256(&world.state_root())
        );
        let hash2 = tx_hash(&tx(2));
        assert_eq!(chain.tx_block(&hash2), Some(2));

        // A higher-scoring proposal replaces block 2 in its slot.
        let mut replacement = after_one.clone();
        chain.apply(&proposal(&mut replacement, 2, 2, vec![tx(3)], 12));
        assert_eq!(chain.pending_tip(), 2);
        assert_eq!(chain.tx_block(&hash2), None);
        assert_eq!(chain.tx_block(&tx_hash(&tx(3))), Some(2));
        assert!(chain.is_spent(&Fr::from(3u64)));
        assert!(!chain.is_spent(&Fr::from(2u64)));

        // Claim and proof of epoch 0 (slots 0..4).
        chain.apply(&event(
            13,
            ChainEvent::EpochProofRightClaimed {
                epoch: 0,
                prover: Address::with_last_byte(2),
                claimant: Address::with_last_byte(1),
                bond_amount: U256::from(10),
                basis_point_fee: 100,
            },
        ));
        assert_eq!(chain.claim(0).unwrap().status, ClaimStatus::Claimed);
        chain.apply(&event(
            14,
            ChainEvent::EpochProven {
                epoch: 0,
                from: 1,
                to: 2,
            },
        ));
        assert_eq!(chain.proven_tip(), 2);
        assert_eq!(chain.claim(0).unwrap().status, ClaimStatus::Proven);
        assert!(
            chain.state_after(1).is_none(),
            "states below the proven tip are dropped"
        );
        assert!(chain.state_after(2).is_some());
        assert_eq!(chain.finalized_tip(), 0);
        chain.set_l1_position(20, 0, 14);
        assert_eq!(chain.finalized_tip(), 2);

        // Blocks 3 and 4, then a prune back to the proven tip.
        let mut world = replacement;
        chain.apply(&proposal(&mut world, 3, 5, vec![tx(4)], 15));
        chain.apply(&proposal(&mut world, 4, 6, vec![tx(5)], 16));
        assert_eq!(chain.pending_tip(), 4);
        chain.apply(&event(
            17,
            ChainEvent::BlocksPruned {
                epoch: 1,
                from: 3,
                to: 4,
            },
        ));
        assert_eq!(chain.pending_tip(), 2);
        assert!(!chain.is_spent(&Fr::from(4u64)));
        assert_eq!(chain.tx_block(&tx_hash(&tx(4))), None);
        // A prune never goes below the proven tip.
        chain.apply(&event(
            18,
            ChainEvent::BlocksPruned {
                epoch: 0,
                from: 1,
                to: 2,
            },
        ));
        assert_eq!(chain.pending_tip(), 2);
    }

    /// Attack (issue 12, "Node": it replays from genesis on every restart and reorg): the
    /// chain restored from a checkpoint at the proven tip equals the one replayed from genesis,
    /// and no block at or below the checkpoint is applied again (a checkpoint whose state is
    /// not the one its events lead to is refused, and the caller replays from genesis).
    #[test]
    fn a_chain_restored_from_its_checkpoint_equals_the_replayed_one() {
        let genesis = WorldState::new(StateConfig::devnet()).unwrap();
        let mut world = genesis.clone();
        let mut events = Vec::new();
        for number in 1..=6 {
            events.push(proposal(
                &mut world,
                number,
                number,
                vec![tx(number)],
                10 + number,
            ));
        }
        events.push(event(
            17,
            ChainEvent::EpochProven {
                epoch: 0,
                from: 1,
                to: 3,
            },
        ));
        let position = (17, 1);
        // After the checkpoint: block 6 replaced, then block 7.
        let mut replacement = {
            let mut chain = ChainState::new(genesis.clone(), CLOCK);
            for record in &events {
                chain.apply(record);
            }
            chain.state_after(5).unwrap().clone()
        };
        events.push(proposal(&mut replacement, 6, 7, vec![tx(60)], 18));
        events.push(proposal(&mut replacement, 7, 8, vec![tx(70)], 19));

        let full = crate::follower::replay(&genesis, CLOCK, &events);
        let checkpoint = {
            let mut chain = ChainState::new(genesis.clone(), CLOCK);
            for record in events.iter().take(7) {
                chain.apply(record);
            }
            assert_eq!(chain.proven_tip(), 3);
            chain.state_after(3).unwrap().clone()
        };
        let restored = ChainState::restore(checkpoint, CLOCK, &events, position).unwrap();
        assert_eq!((restored.pending_tip(), restored.proven_tip()), (7, 3));
        for n in 1..=7 {
            assert_eq!(restored.block(n), full.block(n), "block {n}");
        }
        for n in 3..=7 {
            assert_eq!(
                restored.state_after(n).map(WorldState::state_root),
                full.state_after(n).map(WorldState::state_root),
                "state after {n}"
            );
        }
        assert!(restored.blocks().all(L2Block::is_valid));
        assert_eq!(restored.tx_block(&tx_hash(&tx(60))), Some(6));
        assert_eq!(restored.tx_block(&tx_hash(&tx(6))), None);

        // A checkpoint of another block than the proven tip its events give is refused.
        let wrong = full.state_after(4).unwrap().clone();
        assert!(ChainState::restore(wrong, CLOCK, &events, position).is_none());
    }

    #[test]
    fn a_replaced_claim_stays_open_until_its_epoch_is_proven_to_the_end() {
        let genesis = WorldState::new(StateConfig::devnet()).unwrap();
        let mut chain = ChainState::new(genesis.clone(), CLOCK);
        let mut world = genesis;
        // Blocks 1..=3 in epoch 0 (slots 1..=3), block 4 in epoch 1.
        for (number, slot) in [(1, 1), (2, 2), (3, 3), (4, 5)] {
            chain.apply(&proposal(
                &mut world,
                number,
                slot,
                vec![tx(number)],
                10 + number,
            ));
        }
        let (first, cheaper) = (Address::with_last_byte(2), Address::with_last_byte(3));
        let claim = |prover: Address, fee: u32| ChainEvent::EpochProofRightClaimed {
            epoch: 0,
            prover,
            claimant: Address::with_last_byte(1),
            bond_amount: U256::from(10),
            basis_point_fee: fee,
        };
        chain.apply(&event(20, claim(first, 300)));
        chain.apply(&event(
            21,
            ChainEvent::EpochProofClaimReplaced {
                epoch: 0,
                replaced_prover: first,
                prover: cheaper,
                replaced_fee: 300,
                basis_point_fee: 200,
            },
        ));
        chain.apply(&event(21, claim(cheaper, 200)));
        let record = chain.claim(0).unwrap();
        assert_eq!((record.prover, record.basis_point_fee), (cheaper, 200));
        assert_eq!(record.status, ClaimStatus::Claimed);

        // A prefix proof (blocks 1 and 2 of 1..=3) leaves the claim open.
        let proven = |from, to| ChainEvent::EpochProven { epoch: 0, from, to };
        chain.apply(&event(22, proven(1, 2)));
        assert_eq!(chain.proven_tip(), 2);
        assert_eq!(chain.claim(0).unwrap().status, ClaimStatus::Claimed);
        assert!(chain.block(3).unwrap().proven_l1_block.is_none());
        // The rest of the epoch completes it, though block 4 (epoch 1) stays unproven.
        chain.apply(&event(23, proven(3, 3)));
        assert_eq!(chain.proven_tip(), 3);
        assert_eq!(chain.claim(0).unwrap().status, ClaimStatus::Proven);
        assert_eq!(chain.block(3).unwrap().proven_l1_block, Some(23));
    }

    #[test]
    fn a_wrong_state_root_is_kept_marked_invalid_and_taints_its_children() {
        let genesis = WorldState::new(StateConfig::devnet()).unwrap();
        let mut chain = ChainState::new(genesis.clone(), CLOCK);
        let mut world = genesis;
        let mut bad = proposal(&mut world, 1, 1, vec![tx(1)], 10);
        if let ChainEvent::BlockProposed { state_root, .. } = &mut bad.event {
            *state_root = B256::with_last_byte(7);
        }
        chain.apply(&bad);
        let block = chain.block(1).unwrap();
        assert!(
            block
                .invalid
                .as_deref()
                .unwrap()
                .contains("state root mismatch"),
            "{:?}",
            block.invalid
        );
        chain.apply(&proposal(&mut world, 2, 2, vec![tx(2)], 11));
        assert_eq!(
            chain.block(2).unwrap().invalid.as_deref(),
            Some("its parent is invalid")
        );

        let mut undecodable = proposal(&mut world, 3, 3, vec![], 12);
        if let ChainEvent::BlockProposed { data, .. } = &mut undecodable.event {
            *data = Some(Bytes::from_static(&[9, 9]));
        }
        chain.apply(&undecodable);
        assert!(chain
            .block(3)
            .unwrap()
            .invalid
            .as_deref()
            .unwrap()
            .contains("does not decode"));
        assert_eq!(chain.pending_tip(), 3);
    }

    #[test]
    fn handle_serves_witnesses_and_epochs() {
        let genesis = WorldState::new(StateConfig::devnet()).unwrap();
        let mut world = genesis.clone();
        let mut chain = ChainState::new(genesis, CLOCK);
        chain.apply(&proposal(&mut world, 1, 3, vec![tx(1)], 10));
        chain.apply(&proposal(&mut world, 2, 4, vec![tx(2)], 11));
        let handle = ChainHandle::new(chain);
        let witness = handle.witness(2).unwrap();
        assert_eq!(witness.block_number, 2);
        assert_eq!(
            fr_to_b256(&witness.new_state.state_root()),
            handle.tip_state_root()
        );
        assert_eq!(handle.blocks_of_epoch(0).len(), 1);
        assert_eq!(handle.blocks_of_epoch(1)[0].number, 2);
        assert!(matches!(
            handle.witness(3),
            Err(Error::NoSuchBlock { number: 3, tip: 2 })
        ));
        // Block 2 (one tx) as chunks of 2: one chunk, the last, from the parent's root to the
        // block's.
        let chunks = handle.chunk_witnesses(2, 2).unwrap();
        assert_eq!(chunks.len(), 1);
        assert!(chunks[0].part.is_last && chunks[0].part.txs == 2);
        assert_eq!(
            chunks[0].public_inputs.prev_state_root(),
            witness.public_inputs.prev_state_root()
        );
        assert_eq!(
            chunks[0].public_inputs.new_state_root(),
            witness.public_inputs.new_state_root()
        );
        assert!(matches!(
            handle.chunk_witnesses(2, 3),
            Err(Error::State(error))
                if matches!(*error, fernet_state::Error::InvalidChunkSize { txs: 3, .. })
        ));
        let steps = handle.subscribe();
        handle.bump();
        assert!(steps.has_changed().unwrap());
    }
}
