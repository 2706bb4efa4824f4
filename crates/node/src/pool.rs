//! The transaction pool and the quote pool, persisted in the store.
//!
//! A transaction enters the pool when it is well formed, pays at least `L2_BASE_FEE`, is not
//! already pooled, and none of its nullifiers is spent at the pending tip or used by another
//! pooled transaction. The follower removes transactions once a block includes them (or spends
//! one of their nullifiers) and brings them back when that block is pruned, replaced or reorged
//! away. Quotes enter when they name this rollup, are still claimable and are signed by their
//! prover.
//!
//! The pool holds at most `max_txs` transactions (`--pool-max-txs`, `P2P_MAX_TX_POOL_COUNT`):
//! when it is full, a newcomer that pays more than the cheapest pooled transaction evicts it
//! (the evicted one is reported dropped, with the reason), and one that pays no more is refused
//! with [`PoolError::PoolFull`].

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
};

use alloy::primitives::{Address, B256};
use fernet_primitives::{QuoteError, SignedQuote};
use fernet_state::{Fr, TxEffect};

use crate::{
    chain::{fr_to_b256, ChainHandle, ChainState},
    store::{StepWrite, Store},
    tx::{tx_hash, Tx, TxShapeError},
    Result,
};

/// Why the pool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The transaction is malformed.
    #[error("malformed transaction: {0}")]
    Malformed(#[from] TxShapeError),
    /// The fee is below the node's base fee.
    #[error("fee {fee} is below the base fee {base_fee}")]
    FeeTooLow {
        /// The transaction's fee.
        fee: u64,
        /// `L2_BASE_FEE`.
        base_fee: u128,
    },
    /// A nullifier is already in the nullifier tree at the pending tip.
    #[error("nullifier {nullifier} is already spent on L2")]
    NullifierSpent {
        /// The nullifier.
        nullifier: B256,
    },
    /// Another pooled transaction uses the nullifier.
    #[error("nullifier {nullifier} is already used by pooled transaction {other}")]
    NullifierInPool {
        /// The nullifier.
        nullifier: B256,
        /// The pooled transaction.
        other: B256,
    },
    /// The same transaction is already pooled.
    #[error("transaction {0} is already in the pool")]
    Duplicate(B256),
    /// The pool is full and the transaction pays no more than the cheapest pooled one.
    #[error(
        "the pool is full ({max_txs} transactions): fee {fee} must exceed the lowest pooled fee {lowest}"
    )]
    PoolFull {
        /// The pool's capacity (`P2P_MAX_TX_POOL_COUNT`).
        max_txs: usize,
        /// The transaction's fee.
        fee: u64,
        /// The lowest fee in the pool.
        lowest: u64,
    },
    /// The payer's L2 fee balance at the pending tip, less the fees of its pooled transactions,
    /// does not cover the fee (deposit through the L1 fee inbox first: `fernet deposit`).
    #[error(
        "payer {payer} cannot pay fee {fee}: fee balance {balance} at the pending tip, {pooled} already owed by its pooled transactions"
    )]
    InsufficientFeeBalance {
        /// The payer.
        payer: Address,
        /// Its fee balance at the pending tip.
        balance: u128,
        /// Fees of the payer's transactions already in the pool.
        pooled: u128,
        /// The transaction's fee.
        fee: u64,
    },
}

/// A pooled transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTx {
    /// Its hash.
    pub hash: B256,
    /// As sent.
    pub tx: Tx,
    /// Its effect.
    pub effect: TxEffect,
}

/// What the pool needs to know about the node to judge quotes.
#[derive(Debug, Clone, Copy)]
pub struct QuoteRules {
    /// The L1 chain id (EIP-712 domain).
    pub chain_id: u64,
    /// The rollup quotes must name.
    pub rollup: Address,
    /// Slots at the start of epoch N+1 in which N can be claimed.
    pub claim_window_slots: u64,
    /// `maxProverFeeBps`: a quote asking more can never be claimed.
    pub max_prover_fee_bps: u64,
}

/// Default capacity of the transaction pool (`P2P_MAX_TX_POOL_COUNT`).
pub const DEFAULT_POOL_MAX_TXS: usize = 10_000;

/// The pools' content.
#[derive(Debug)]
pub struct PoolState {
    txs: HashMap<B256, PooledTx>,
    by_nullifier: HashMap<Fr, B256>,
    /// `(fee, hash)` of every pooled transaction: the first is the next to evict.
    by_fee: BTreeSet<(u64, B256)>,
    max_txs: usize,
    dropped: HashMap<B256, String>,
    quotes: BTreeMap<u64, BTreeMap<B256, SignedQuote>>,
}

impl Default for PoolState {
    fn default() -> Self {
        Self {
            txs: HashMap::new(),
            by_nullifier: HashMap::new(),
            by_fee: BTreeSet::new(),
            max_txs: DEFAULT_POOL_MAX_TXS,
            dropped: HashMap::new(),
            quotes: BTreeMap::new(),
        }
    }
}

impl PoolState {
    /// Rebuilds the pools from the store's content.
    pub fn from_loaded(
        pool: Vec<Tx>,
        dropped: HashMap<B256, String>,
        quotes: Vec<SignedQuote>,
        chain_id: u64,
    ) -> Self {
        let mut state = Self {
            dropped,
            ..Self::default()
        };
        for tx in pool {
            if let Ok(effect) = tx.effect() {
                state.insert(PooledTx {
                    hash: tx_hash(&effect),
                    tx,
                    effect,
                });
            }
        }
        for quote in quotes {
            let digest = quote.quote.digest(chain_id);
            state
                .quotes
                .entry(quote.quote.epoch_to_prove)
                .or_default()
                .insert(digest, quote);
        }
        state
    }

    fn insert(&mut self, pooled: PooledTx) {
        for nullifier in pooled.effect.nullifiers() {
            self.by_nullifier.insert(nullifier, pooled.hash);
        }
        self.by_fee.insert((pooled.effect.fee, pooled.hash));
        self.txs.insert(pooled.hash, pooled);
    }

    fn remove(&mut self, hash: &B256) -> Option<PooledTx> {
        let pooled = self.txs.remove(hash)?;
        for nullifier in pooled.effect.nullifiers() {
            self.by_nullifier.remove(&nullifier);
        }
        self.by_fee.remove(&(pooled.effect.fee, pooled.hash));
        Some(pooled)
    }

    /// The pool's capacity.
    pub fn max_txs(&self) -> usize {
        self.max_txs
    }

    /// Sets the pool's capacity (at least 1); the next reconcile evicts what is over it.
    pub fn set_max_txs(&mut self, max_txs: usize) {
        self.max_txs = max_txs.max(1);
    }

    /// `(fee, hash)` of the cheapest pooled transaction: the next to evict.
    fn lowest(&self) -> Option<(u64, B256)> {
        self.by_fee.first().copied()
    }

    /// Evicts the cheapest transactions until at most `keep` are pooled, recording each in
    /// `write` as dropped with `reason(evicted_fee)`.
    fn evict_down_to(
        &mut self,
        keep: usize,
        write: &mut StepWrite,
        reason: impl Fn(u64) -> String,
    ) {
        while self.txs.len() > keep {
            let Some((fee, hash)) = self.lowest() else {
                return;
            };
            self.remove(&hash);
            let reason = reason(fee);
            tracing::info!(%hash, fee, reason, "tx evicted from the full pool");
            write.pool_remove.push(hash);
            write.dropped_insert.push((hash, reason.clone()));
            self.dropped.insert(hash, reason);
        }
    }

    /// Fees of the pooled transactions that `payer` pays.
    fn pooled_fees_of(&self, payer: &fernet_state::Address) -> u128 {
        self.txs
            .values()
            .filter(|pooled| pooled.effect.payer == *payer)
            .map(|pooled| u128::from(pooled.effect.fee))
            .sum()
    }

    /// Refuses `effect` when its payer's balance at the pending tip, less what its pooled
    /// transactions already owe, does not cover the fee.
    fn check_fee_balance(&self, effect: &TxEffect, chain: &ChainState) -> Option<PoolError> {
        if effect.fee == 0 {
            return None;
        }
        let balance = chain.tip_state().fee_balance(&effect.payer);
        let pooled = self.pooled_fees_of(&effect.payer);
        (balance < pooled + u128::from(effect.fee)).then(|| PoolError::InsufficientFeeBalance {
            payer: Address::from(effect.payer),
            balance,
            pooled,
            fee: effect.fee,
        })
    }

    /// The first reason `effect` cannot enter the pool given the chain (nullifiers only).
    fn conflict(&self, effect: &TxEffect, chain: &ChainState) -> Option<PoolError> {
        effect.nullifiers().find_map(|nullifier| {
            if chain.is_spent(&nullifier) {
                Some(PoolError::NullifierSpent {
                    nullifier: fr_to_b256(&nullifier),
                })
            } else {
                self.by_nullifier
                    .get(&nullifier)
                    .map(|other| PoolError::NullifierInPool {
                        nullifier: fr_to_b256(&nullifier),
                        other: *other,
                    })
            }
        })
    }

    /// Whether `hash` is pooled.
    pub fn contains(&self, hash: &B256) -> bool {
        self.txs.contains_key(hash)
    }

    /// Why `hash` was dropped, if it was.
    pub fn dropped(&self, hash: &B256) -> Option<&str> {
        self.dropped.get(hash).map(String::as_str)
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Brings the pool in line with the chain after a follower step: transactions that left the
    /// chain (`before` minus the chain's) come back if still valid, otherwise they are dropped;
    /// included ones leave; pooled ones whose nullifier got spent are dropped; quotes whose claim
    /// window has passed leave. The changes are added to `write`.
    pub fn reconcile(
        &mut self,
        before: &HashMap<B256, (u64, TxEffect)>,
        chain: &ChainState,
        rules: &QuoteRules,
        write: &mut StepWrite,
    ) {
        for (hash, (number, effect)) in before {
            if chain.tx_block(hash).is_some() || self.contains(hash) {
                continue;
            }
            match self.conflict(effect, chain) {
                None => {
                    tracing::info!(%hash, block = number, "tx back in the pool: its block left the chain");
                    let pooled = PooledTx {
                        hash: *hash,
                        tx: Tx::from_effect(effect),
                        effect: *effect,
                    };
                    write.pool_insert.push((*hash, pooled.tx.clone()));
                    if self.dropped.remove(hash).is_some() {
                        write.dropped_remove.push(*hash);
                    }
                    self.insert(pooled);
                }
                Some(reason) => {
                    let reason = format!(
                        "block {number} left the chain and the tx is no longer valid: {reason}"
                    );
                    write.dropped_insert.push((*hash, reason.clone()));
                    self.dropped.insert(*hash, reason);
                }
            }
        }
        let spent: Vec<(B256, String)> = self
            .txs
            .values()
            .filter_map(|pooled| {
                if chain.tx_block(&pooled.hash).is_some() {
                    return Some((pooled.hash, String::new()));
                }
                pooled
                    .effect
                    .nullifiers()
                    .find(|n| chain.is_spent(n))
                    .map(|n| {
                        (
                            pooled.hash,
                            format!(
                                "nullifier {} was spent by another transaction",
                                fr_to_b256(&n)
                            ),
                        )
                    })
            })
            .collect();
        for (hash, reason) in spent {
            self.remove(&hash);
            write.pool_remove.push(hash);
            if !reason.is_empty() {
                write.dropped_insert.push((hash, reason.clone()));
                self.dropped.insert(hash, reason);
            }
        }
        let included: Vec<B256> = self
            .dropped
            .keys()
            .filter(|hash| chain.tx_block(hash).is_some())
            .copied()
            .collect();
        for hash in included {
            self.dropped.remove(&hash);
            write.dropped_remove.push(hash);
        }
        // Transactions back from vanished blocks may overfill the pool: the cheapest leave.
        let max_txs = self.max_txs;
        self.evict_down_to(max_txs, write, |fee| {
            format!(
                "evicted: the pool is full ({max_txs} transactions) and fee {fee} is the lowest"
            )
        });
        let current_slot = chain.clock().slot_at(chain.l1_timestamp());
        let expired: Vec<u64> = self
            .quotes
            .keys()
            .copied()
            .filter(|epoch| claim_deadline(chain, rules, *epoch) < current_slot)
            .collect();
        for epoch in expired {
            for digest in self
                .quotes
                .remove(&epoch)
                .into_iter()
                .flat_map(|q| q.into_keys())
            {
                write.quote_remove.push((epoch, digest));
            }
        }
    }
}

/// Last slot in which `epoch` can be claimed.
fn claim_deadline(chain: &ChainState, rules: &QuoteRules, epoch: u64) -> u64 {
    chain
        .clock()
        .epoch_first_slot(epoch.saturating_add(1))
        .saturating_add(rules.claim_window_slots.saturating_sub(1))
}

struct Inner {
    state: Mutex<PoolState>,
    store: Arc<Store>,
    chain: ChainHandle,
    base_fee: u128,
    rules: QuoteRules,
}

/// A cheap-to-clone handle on the pools.
#[derive(Clone)]
pub struct PoolHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PoolHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolHandle")
            .field("txs", &self.len())
            .field("base_fee", &self.inner.base_fee)
            .finish()
    }
}

impl PoolHandle {
    /// A pool over `state` holding at most `max_txs` transactions (at least 1), persisted in
    /// `store`, judged against `chain`.
    pub fn new(
        mut state: PoolState,
        store: Arc<Store>,
        chain: ChainHandle,
        base_fee: u128,
        max_txs: usize,
        rules: QuoteRules,
    ) -> Self {
        state.set_max_txs(max_txs);
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                store,
                chain,
                base_fee,
                rules,
            }),
        }
    }

    /// Locks the pools (lock order: the pool first, then the chain).
    pub(crate) fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The lowest fee accepted.
    pub fn base_fee(&self) -> u128 {
        self.inner.base_fee
    }

    /// The quote rules.
    pub fn rules(&self) -> QuoteRules {
        self.inner.rules
    }

    /// Checks `tx` and pools it; returns its hash.
    pub fn add_tx(&self, tx: Tx) -> Result<B256> {
        let effect = tx.effect().map_err(PoolError::from)?;
        if u128::from(effect.fee) < self.inner.base_fee {
            return Err(PoolError::FeeTooLow {
                fee: effect.fee,
                base_fee: self.inner.base_fee,
            }
            .into());
        }
        let hash = tx_hash(&effect);
        let mut state = self.lock();
        if state.contains(&hash) {
            return Err(PoolError::Duplicate(hash).into());
        }
        {
            let chain = self.inner.chain.read();
            if let Some(refusal) = state
                .conflict(&effect, &chain)
                .or_else(|| state.check_fee_balance(&effect, &chain))
            {
                return Err(refusal.into());
            }
        }
        let max_txs = state.max_txs;
        if state.len() >= max_txs {
            if let Some((lowest, _)) = state.lowest().filter(|(lowest, _)| effect.fee <= *lowest) {
                return Err(PoolError::PoolFull {
                    max_txs,
                    fee: effect.fee,
                    lowest,
                }
                .into());
            }
        }
        let mut write = StepWrite {
            pool_insert: vec![(hash, tx.clone())],
            ..StepWrite::default()
        };
        if state.dropped.contains_key(&hash) {
            write.dropped_remove.push(hash);
        }
        // Commit first, then change memory: evict into a copy of the decision only.
        let mut evicted = Vec::new();
        {
            let mut count = state.len();
            let mut cheapest = state.by_fee.iter();
            while count >= max_txs {
                let Some((fee, old)) = cheapest.next() else {
                    break;
                };
                let reason = format!(
                    "evicted: the pool is full ({max_txs} transactions) and {hash} pays fee {} > {fee}",
                    effect.fee
                );
                write.pool_remove.push(*old);
                write.dropped_insert.push((*old, reason.clone()));
                evicted.push((*old, reason));
                count -= 1;
            }
        }
        self.inner.store.commit(&write)?;
        for (old, reason) in evicted {
            tracing::info!(%old, by = %hash, reason, "tx evicted from the full pool");
            state.remove(&old);
            state.dropped.insert(old, reason);
        }
        state.dropped.remove(&hash);
        state.insert(PooledTx { hash, tx, effect });
        Ok(hash)
    }

    /// [`Self::add_tx`] on the blocking pool (it writes the store): what async callers use.
    pub async fn submit_tx(&self, tx: Tx) -> Result<B256> {
        let pool = self.clone();
        crate::blocking::run("pool-add-tx", move || pool.add_tx(tx)).await
    }

    /// [`Self::add_quote`] on the blocking pool (it writes the store): what async callers use.
    pub async fn submit_quote(&self, quote: SignedQuote) -> Result<bool> {
        let pool = self.clone();
        crate::blocking::run("pool-add-quote", move || pool.add_quote(quote)).await
    }

    /// Removes transactions from the pool (a sequencer that dropped them); returns how many left.
    pub fn remove(&self, hashes: &[B256]) -> Result<usize> {
        let mut state = self.lock();
        let present: Vec<B256> = hashes
            .iter()
            .filter(|h| state.contains(h))
            .copied()
            .collect();
        self.inner.store.commit(&StepWrite {
            pool_remove: present.clone(),
            ..StepWrite::default()
        })?;
        for hash in &present {
            state.remove(hash);
        }
        Ok(present.len())
    }

    /// Up to `limit` pooled transactions, highest fee first (then by hash), skipping any that
    /// conflicts with one already chosen or is no longer valid at the pending tip.
    pub fn pending(&self, limit: usize) -> Vec<PooledTx> {
        let state = self.lock();
        let chain = self.inner.chain.read();
        let mut txs: Vec<&PooledTx> = state.txs.values().collect();
        txs.sort_by(|a, b| b.effect.fee.cmp(&a.effect.fee).then(a.hash.cmp(&b.hash)));
        let mut used = HashSet::new();
        let mut chosen = Vec::new();
        for pooled in txs {
            if chosen.len() >= limit {
                break;
            }
            let nullifiers: Vec<Fr> = pooled.effect.nullifiers().collect();
            if nullifiers
                .iter()
                .any(|n| used.contains(n) || chain.is_spent(n))
            {
                continue;
            }
            used.extend(nullifiers);
            chosen.push(pooled.clone());
        }
        chosen
    }

    /// The pooled transaction `hash`.
    pub fn get(&self, hash: &B256) -> Option<PooledTx> {
        self.lock().txs.get(hash).cloned()
    }

    /// Whether `hash` is pooled.
    pub fn contains(&self, hash: &B256) -> bool {
        self.lock().contains(hash)
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no transaction is pooled.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Checks and stores a quote; `Ok(true)` when it is new, `Ok(false)` when already known.
    pub fn add_quote(&self, quote: SignedQuote) -> Result<bool> {
        let rules = self.inner.rules;
        let q = &quote.quote;
        if q.rollup_address != rules.rollup {
            return Err(QuoteError::WrongRollup {
                expected: rules.rollup,
                quoted: q.rollup_address,
            }
            .into());
        }
        if u64::from(q.basis_point_fee) > rules.max_prover_fee_bps {
            return Err(QuoteError::InvalidBasisPointFee {
                maximum: rules.max_prover_fee_bps,
                fee: q.basis_point_fee,
            }
            .into());
        }
        {
            let chain = self.inner.chain.read();
            let current_slot = chain.clock().slot_at(chain.l1_timestamp());
            let last_slot =
                claim_deadline(&chain, &rules, q.epoch_to_prove).min(q.valid_until_slot);
            if current_slot > last_slot {
                return Err(QuoteError::Expired {
                    epoch: q.epoch_to_prove,
                    last_slot,
                    current_slot,
                }
                .into());
            }
        }
        quote.verify_signature(rules.chain_id)?;
        let digest = q.digest(rules.chain_id);
        let epoch = q.epoch_to_prove;
        let mut state = self.lock();
        if state
            .quotes
            .get(&epoch)
            .is_some_and(|quotes| quotes.contains_key(&digest))
        {
            return Ok(false);
        }
        self.inner.store.commit(&StepWrite {
            quote_insert: vec![((epoch, digest), quote.clone())],
            ..StepWrite::default()
        })?;
        state.quotes.entry(epoch).or_default().insert(digest, quote);
        Ok(true)
    }

    /// The quotes for `epoch`.
    pub fn quotes(&self, epoch: u64) -> Vec<SignedQuote> {
        self.lock()
            .quotes
            .get(&epoch)
            .map(|quotes| quotes.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Why `hash` was dropped, if it was.
    pub fn dropped_reason(&self, hash: &B256) -> Option<String> {
        self.lock().dropped(hash).map(str::to_owned)
    }

    /// The store.
    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }
}

#[cfg(test)]
mod tests {
    use alloy::{primitives::U256, signers::local::PrivateKeySigner};
    use fernet_state::{apply_block, Block, BlockBody, L1ToL2Message, StateConfig, WorldState};
    use serde_json::json;

    use fernet_primitives::{Clock, Quote};

    use super::*;
    use crate::{
        chain::{ChainEvent, ChainState, EventRecord},
        Error,
    };

    const CLOCK: Clock = Clock {
        genesis_time: 0,
        slot_duration: 8,
        epoch_duration: 4,
    };
    const CHAIN_ID: u64 = 31_337;
    /// The payer of the fixture's transactions.
    const PAYER: [u8; 20] = [0xaa; 20];
    /// What block 1 of every fixture deposits for `PAYER`.
    const FUNDING: u128 = 100;

    fn rules() -> QuoteRules {
        QuoteRules {
            chain_id: CHAIN_ID,
            rollup: Address::with_last_byte(0xaa),
            claim_window_slots: 2,
            max_prover_fee_bps: 5_000,
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        pool: PoolHandle,
        chain: ChainHandle,
    }

    fn fixture(base_fee: u128) -> Fixture {
        fixture_with_cap(base_fee, DEFAULT_POOL_MAX_TXS)
    }

    fn fixture_with_cap(base_fee: u128, max_txs: usize) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let genesis = WorldState::new(StateConfig::devnet()).unwrap();
        let chain = ChainHandle::new(ChainState::new(genesis, CLOCK));
        let pool = PoolHandle::new(
            PoolState::default(),
            store,
            chain.clone(),
            base_fee,
            max_txs,
            rules(),
        );
        let fixture = Fixture {
            _dir: dir,
            pool,
            chain,
        };
        // Block 1 consumes a deposit of FUNDING for PAYER.
        let deposit = L1ToL2Message {
            recipient: PAYER,
            amount: FUNDING,
        };
        include(&fixture, 1, &[deposit], &[]);
        fixture
    }

    fn tx(fee: u64, nullifiers: &[u64]) -> Tx {
        let nullifiers: Vec<String> = nullifiers.iter().map(|n| format!("0x{n:x}")).collect();
        serde_json::from_value(json!({
            "fee": fee.to_string(),
            "payer": Address::from(PAYER),
            "nullifiers": nullifiers,
        }))
        .unwrap()
    }

    /// Proposes a block consuming `messages` with `txs` on the fixture's chain and reconciles
    /// the pool.
    fn include(f: &Fixture, number: u64, messages: &[L1ToL2Message], txs: &[Tx]) -> StepWrite {
        let body = BlockBody {
            coinbase: None,
            messages: messages.to_vec(),
            txs: txs.iter().map(|t| t.effect().unwrap()).collect(),
        };
        let mut state = f.chain.state_after(number - 1).unwrap();
        apply_block(
            &mut state,
            &Block {
                number,
                slot: number,
                body: body.clone(),
            },
        )
        .unwrap();
        let record = EventRecord {
            l1_block: number,
            l1_block_hash: B256::ZERO,
            log_index: 0,
            l1_tx: B256::ZERO,
            event: ChainEvent::BlockProposed {
                number,
                slot: number,
                proposer: Address::ZERO,
                state_root: fr_to_b256(&state.state_root()),
                backup: false,
                data: Some(fernet_state::encode_block_data(&body).unwrap().into()),
            },
        };
        step(f, &record)
    }

    fn step(f: &Fixture, record: &EventRecord) -> StepWrite {
        let mut pool = f.pool.lock();
        let mut chain = f.chain.write();
        let before = chain.tx_effects();
        chain.apply(record);
        let mut write = StepWrite::default();
        pool.reconcile(&before, &chain, &rules(), &mut write);
        write
    }

    #[test]
    fn rejects_malformed_low_fee_duplicate_and_conflicting_txs() {
        let f = fixture(10);
        let err = f.pool.add_tx(tx(9, &[1])).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Pool(PoolError::FeeTooLow {
                    fee: 9,
                    base_fee: 10
                })
            ),
            "{err}"
        );
        assert_eq!(err.to_string(), "fee 9 is below the base fee 10");
        let err = f.pool.add_tx(tx(10, &[])).unwrap_err();
        assert!(matches!(err, Error::Pool(PoolError::Malformed(_))), "{err}");

        let hash = f.pool.add_tx(tx(10, &[1])).unwrap();
        assert_eq!(hash, tx_hash(&tx(10, &[1]).effect().unwrap()));
        let err = f.pool.add_tx(tx(10, &[1])).unwrap_err();
        assert!(
            matches!(err, Error::Pool(PoolError::Duplicate(h)) if h == hash),
            "{err}"
        );
        let err = f.pool.add_tx(tx(11, &[2, 1])).unwrap_err();
        assert!(
            matches!(err, Error::Pool(PoolError::NullifierInPool { other, .. }) if other == hash),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains("0x0000000000000000000000000000000000000000000000000000000000000001"));
        assert_eq!(f.pool.len(), 1);
    }

    #[test]
    fn refuses_a_tx_its_payer_cannot_pay_counting_pooled_fees() {
        let f = fixture(1);
        // FUNDING = 100: 60 pooled, then 40 more fits exactly, then 1 more does not.
        f.pool.add_tx(tx(60, &[1])).unwrap();
        f.pool.add_tx(tx(40, &[2])).unwrap();
        let err = f.pool.add_tx(tx(1, &[3])).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Pool(PoolError::InsufficientFeeBalance {
                    balance: 100,
                    pooled: 100,
                    fee: 1,
                    ..
                })
            ),
            "{err}"
        );
        assert!(err.to_string().contains("fee balance 100"), "{err}");
        // A payer that never deposited cannot pay at all.
        let mut stranger = tx(5, &[4]);
        stranger.payer = Address::repeat_byte(0xbb);
        let err = f.pool.add_tx(stranger).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Pool(PoolError::InsufficientFeeBalance {
                    balance: 0,
                    pooled: 0,
                    fee: 5,
                    ..
                })
            ),
            "{err}"
        );
        assert_eq!(f.pool.len(), 2);
    }

    /// Attack (issue 12, "Node": the pool has no cap): a spammer fills the pool with cheap
    /// transactions. The pool holds `max_txs`; a better-paying newcomer evicts the cheapest
    /// (reported dropped), one paying no more than the cheapest is refused with the numbers.
    #[test]
    fn a_full_pool_evicts_the_cheapest_and_refuses_a_cheaper_newcomer() {
        let f = fixture_with_cap(1, 3);
        let cheap = f.pool.add_tx(tx(2, &[1])).unwrap();
        f.pool.add_tx(tx(5, &[2])).unwrap();
        f.pool.add_tx(tx(7, &[3])).unwrap();
        assert_eq!(f.pool.len(), 3);

        let err = f.pool.add_tx(tx(2, &[4])).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Pool(PoolError::PoolFull {
                    max_txs: 3,
                    fee: 2,
                    lowest: 2
                })
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "the pool is full (3 transactions): fee 2 must exceed the lowest pooled fee 2"
        );
        assert_eq!(f.pool.len(), 3);

        let better = f.pool.add_tx(tx(3, &[5])).unwrap();
        assert_eq!(f.pool.len(), 3);
        assert!(f.pool.contains(&better));
        assert!(!f.pool.contains(&cheap));
        let reason = f.pool.dropped_reason(&cheap).unwrap();
        assert!(
            reason.contains("evicted") && reason.contains("pool is full"),
            "{reason}"
        );
        let fees: Vec<u64> = f.pool.pending(10).iter().map(|p| p.effect.fee).collect();
        assert_eq!(fees, vec![7, 5, 3]);
    }

    /// Attack (issue 12, "Node": the pool has no cap): transactions of a pruned block come
    /// back to a full pool; the pool stays within its cap by evicting the cheapest.
    #[test]
    fn transactions_back_from_a_pruned_block_do_not_overfill_the_pool() {
        let f = fixture_with_cap(1, 2);
        include(&f, 2, &[], &[tx(1, &[10]), tx(2, &[11])]);
        f.pool.add_tx(tx(8, &[1])).unwrap();
        f.pool.add_tx(tx(9, &[2])).unwrap();
        let prune = EventRecord {
            l1_block: 5,
            l1_block_hash: B256::ZERO,
            log_index: 0,
            l1_tx: B256::ZERO,
            event: ChainEvent::BlocksPruned {
                epoch: 0,
                from: 2,
                to: 2,
            },
        };
        let write = step(&f, &prune);
        assert_eq!(f.pool.len(), 2);
        let fees: Vec<u64> = f.pool.pending(10).iter().map(|p| p.effect.fee).collect();
        assert_eq!(fees, vec![9, 8]);
        assert_eq!(write.dropped_insert.len(), 2, "{write:?}");
    }

    #[test]
    fn pending_orders_by_fee_and_respects_the_limit() {
        let f = fixture(1);
        f.pool.add_tx(tx(5, &[1])).unwrap();
        f.pool.add_tx(tx(50, &[2])).unwrap();
        f.pool.add_tx(tx(7, &[3, 4])).unwrap();
        let fees: Vec<u64> = f.pool.pending(10).iter().map(|p| p.effect.fee).collect();
        assert_eq!(fees, vec![50, 7, 5]);
        assert_eq!(f.pool.pending(2).len(), 2);
        assert_eq!(f.pool.pending(0).len(), 0);
    }

    #[test]
    fn included_txs_leave_spent_ones_drop_and_pruned_ones_come_back() {
        let f = fixture(1);
        let a = f.pool.add_tx(tx(5, &[1])).unwrap();
        let b = f.pool.add_tx(tx(6, &[2])).unwrap();
        // Block 2 includes `a` and another tx spending `b`'s nullifier.
        let write = include(&f, 2, &[], &[tx(5, &[1]), tx(9, &[2, 3])]);
        assert_eq!(f.pool.len(), 0);
        assert!(write.pool_remove.contains(&a) && write.pool_remove.contains(&b));
        assert!(f
            .pool
            .dropped_reason(&b)
            .unwrap()
            .contains("spent by another transaction"));
        assert!(f.pool.dropped_reason(&a).is_none());
        let err = f.pool.add_tx(tx(5, &[1])).unwrap_err();
        assert!(
            matches!(err, Error::Pool(PoolError::NullifierSpent { .. })),
            "{err}"
        );

        // The block is pruned: its txs come back to the pool.
        let prune = EventRecord {
            l1_block: 5,
            l1_block_hash: B256::ZERO,
            log_index: 0,
            l1_tx: B256::ZERO,
            event: ChainEvent::BlocksPruned {
                epoch: 0,
                from: 2,
                to: 2,
            },
        };
        let write = step(&f, &prune);
        assert!(f.pool.contains(&a));
        let other = tx_hash(&tx(9, &[2, 3]).effect().unwrap());
        assert!(f.pool.contains(&other));
        assert_eq!(write.pool_insert.len(), 2);
        // `b` conflicts with the returned tx that shares its nullifier: it stays dropped.
        assert!(!f.pool.contains(&b));
    }

    #[test]
    fn quotes_need_this_rollup_a_live_epoch_and_the_provers_signature() {
        let f = fixture(1);
        let signer = PrivateKeySigner::random();
        let quote = |epoch: u64, rollup: Address| Quote {
            prover: signer.address(),
            epoch_to_prove: epoch,
            valid_until_slot: 100,
            bond_amount: U256::from(10u64),
            rollup_address: rollup,
            basis_point_fee: 100,
        };
        let good = quote(1, rules().rollup).sign(&signer, CHAIN_ID).unwrap();
        assert!(f.pool.add_quote(good.clone()).unwrap());
        assert!(
            !f.pool.add_quote(good.clone()).unwrap(),
            "a known quote is not new"
        );
        assert_eq!(f.pool.quotes(1), vec![good]);
        assert!(f.pool.quotes(2).is_empty());

        let wrong = quote(1, Address::with_last_byte(1))
            .sign(&signer, CHAIN_ID)
            .unwrap();
        assert!(matches!(
            f.pool.add_quote(wrong),
            Err(Error::Quote(QuoteError::WrongRollup { .. }))
        ));
        let mut greedy = quote(2, rules().rollup);
        greedy.basis_point_fee = 5_001;
        let greedy = greedy.sign(&signer, CHAIN_ID).unwrap();
        assert!(matches!(
            f.pool.add_quote(greedy),
            Err(Error::Quote(QuoteError::InvalidBasisPointFee {
                maximum: 5_000,
                fee: 5_001
            }))
        ));
        let forged = quote(2, rules().rollup)
            .sign(&PrivateKeySigner::random(), CHAIN_ID)
            .unwrap();
        assert!(matches!(
            f.pool.add_quote(forged),
            Err(Error::Quote(QuoteError::BadSignature { .. }))
        ));

        // At slot 10 (epoch 2), epoch 1's claim window (slots 8 and 9) has closed.
        f.chain.write().set_l1_position(1, CLOCK.slot_start(10), 0);
        let late = quote(1, rules().rollup).sign(&signer, CHAIN_ID);
        let mut late = late.unwrap();
        late.quote.valid_until_slot = 99;
        let late = late.quote.sign(&signer, CHAIN_ID).unwrap();
        let err = f.pool.add_quote(late).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Quote(QuoteError::Expired {
                    epoch: 1,
                    last_slot: 9,
                    current_slot: 10
                })
            ),
            "{err}"
        );
    }
}
