//! Native block application: checks a block against the state, applies it, and records the
//! witness the block circuit consumes: of the whole block, or of each chunk of it.
//!
//! Order of writes (the circuit follows it): for each of the [`MESSAGES_PER_BLOCK`] message
//! slots, the credit of the deposit to its recipient's fee balance (an indexed write; unused
//! slots are public-data no-ops); then for each of the `max_txs_per_block` tx slots (padding
//! slots are all-zero effects) the fee debit from the payer's balance (one update of its
//! existing leaf; nothing is written without a payer, or for a payer without a balance leaf,
//! whose fee must then be 0); then the app writes as one batch (slot `2i` is tx slot `i`'s
//! write, slot `2i + 1` stays empty, see `PublicDataTree::write_batch`); then the nullifier
//! batch (slot `2i + j` is nullifier `j` of tx slot `i`, see `NullifierTree::insert_batch`);
//! then the note-hash subtree append (slot `2i + j` is note hash `j` of tx slot `i`). Each
//! of the three is one subtree of `2^block_subtree_height` slots at the first aligned index
//! of its tree, written even when empty, so where a tx's leaves go depends only on its slot.
//!
//! **Chunks.** [`apply_block_in_chunks`] applies the same block as chunks of `k` tx slots:
//! chunk `c` makes the credits (chunk 0 only), the debits of its tx slots, then writes its
//! slots `[2kc, 2k(c + 1))` of each block subtree as one part subtree. Debits touch only fee
//! balance leaves (keys from `2^252`) and app writes only app keys, so the order changes
//! nothing: the last chunk ends at the same state as [`apply_block`]. Between two chunks, a
//! snapshot's next indices are the block subtrees' starts ([`BlockPart`]); the last chunk
//! moves them past the subtrees.

use std::collections::{HashMap, HashSet};

use ark_ff::AdditiveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{
    block::{Address, Block, BlockBody},
    config::{StateConfig, TREE_SLOTS_PER_TX},
    encoding::encode_block_data,
    error::Error,
    fees::{fee_balance_key, L1ToL2Message, MESSAGES_PER_BLOCK},
    field::Fr,
    fingerprint::{data_chunks, DataFingerprint},
    merkle::MerkleUpdate,
    nullifier_tree::NullifierWitness,
    public_data_tree::{PublicDataBatchWitness, PublicDataUpdateWitness, PublicDataWitness},
    public_inputs::BlockPublicInputs,
    tx::TxEffect,
    world_state::{StateSnapshot, WorldState},
    Result,
};

/// Which tx slots of its block a witness covers: the whole block, or chunk `index` of
/// `txs` slots, `[index * txs, (index + 1) * txs)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BlockPart {
    /// Tx slots per chunk (`max_txs_per_block` for the whole block).
    pub txs: usize,
    /// The chunk's position in the block.
    pub index: usize,
    /// Whether it is the block's last chunk: it closes the block subtrees, and no real tx
    /// lies after it.
    pub is_last: bool,
}

impl BlockPart {
    /// The whole block of `config`.
    pub const fn whole(config: &StateConfig) -> Self {
        Self {
            txs: config.max_txs_per_block,
            index: 0,
            is_last: true,
        }
    }

    /// Whether this is a chunk (fewer tx slots than the block), not the whole block.
    pub const fn is_chunk(&self, config: &StateConfig) -> bool {
        self.txs < config.max_txs_per_block
    }

    /// The tx slots it covers.
    pub const fn tx_range(&self) -> std::ops::Range<usize> {
        self.index * self.txs..(self.index + 1) * self.txs
    }
}

/// Everything the block circuit needs, in application order: for the whole block, or for one
/// chunk of it ([`BlockPart`]).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BlockWitness {
    /// The configuration (depths, slots) the witness is shaped for.
    pub config: StateConfig,
    /// The tx slots whose writes the witness holds.
    pub part: BlockPart,
    /// Block number.
    pub block_number: u64,
    /// Slot.
    pub slot: u64,
    /// Coinbase, if any.
    pub coinbase: Option<Address>,
    /// The consumed L1 messages padded with `L1ToL2Message::default()` to
    /// [`MESSAGES_PER_BLOCK`].
    pub messages: Vec<L1ToL2Message>,
    /// Real transactions in the block; `txs[num_txs..]` are padding.
    pub num_txs: usize,
    /// The block's tx effects padded with `TxEffect::default()` to `max_txs_per_block`
    /// (all of them for a chunk too: the data binds the whole block).
    pub txs: Vec<TxEffect>,
    /// Tree snapshots before the part (before the block for the first).
    pub prev_state: StateSnapshot,
    /// Tree snapshots after the part (after the block for the last).
    pub new_state: StateSnapshot,
    /// One public data witness per message slot ([`MESSAGES_PER_BLOCK`]): the credit of the
    /// deposit to its recipient's fee balance (no-ops in every chunk but the first). The
    /// public data witnesses chain in apply order: credits, then the debits, then the batch
    /// of app writes.
    pub fee_credits: Vec<PublicDataWitness>,
    /// One update witness per tx slot of the part: the fee debit from the payer's balance,
    /// an update of its existing leaf (a payer without a balance leaf can only pay a zero
    /// fee, and then nothing is written).
    pub fee_debits: Vec<PublicDataUpdateWitness>,
    /// The nullifier batch of the part: one slot witness per nullifier slot (two per tx
    /// slot, tx-major), then the subtree write.
    pub nullifiers: NullifierWitness,
    /// The app writes of the part as one batch (two slots per tx slot, the second empty),
    /// after the fee debits: a known key updated in place, a new key inserted into the batch
    /// subtree.
    pub public_data_writes: PublicDataBatchWitness,
    /// The note-hash append of the part (two slots per tx slot).
    pub note_hash_append: MerkleUpdate,
    /// The published block data.
    pub data: Vec<u8>,
    /// Its chunks `d_i`, zero-padded to `max_data_chunks`.
    pub data_chunks: Vec<Fr>,
    /// The public inputs (of the part: its roots are the part's). `apply_block` leaves the
    /// payee unset (the zero address): a block is the same whoever proves it, so the prover
    /// names itself with [`BlockWitness::with_payee`].
    pub public_inputs: BlockPublicInputs,
}

impl BlockWitness {
    /// The same witness for a proof that pays `payee` (the public input `[6]`): one witness
    /// can be proven for any payee.
    pub fn with_payee(self, payee: Address) -> Self {
        Self {
            public_inputs: self.public_inputs.with_payee(payee),
            ..self
        }
    }
}

/// Checks `block` against `state`, applies it, and returns its witness. On error the state
/// is unchanged: every check runs before the first write.
pub fn apply_block(state: &mut WorldState, block: &Block) -> Result<BlockWitness> {
    let txs = state.config.max_txs_per_block;
    let mut parts = apply_block_in_chunks(state, block, txs)?;
    Ok(parts
        .pop()
        .expect("a block is one chunk of max_txs_per_block slots"))
}

/// Checks `block` against `state`, applies it as chunks of `chunk_txs` tx slots, and returns
/// the witness of each chunk: `ceil(txCount / chunk_txs)` of them, at least one (see the
/// module docs). The state after is the one [`apply_block`] gives. On error the state is
/// unchanged; [`Error::InvalidChunkSize`] for a chunk size that does not split the block.
pub fn apply_block_in_chunks(
    state: &mut WorldState,
    block: &Block,
    chunk_txs: usize,
) -> Result<Vec<BlockWitness>> {
    let config = state.config;
    let part_height = config.chunk_height(chunk_txs)?;
    let expected = state.block_number + 1;
    if block.number != expected {
        return Err(Error::UnexpectedBlockNumber {
            expected,
            actual: block.number,
        });
    }
    if let Some(previous) = state.last_slot.filter(|previous| block.slot <= *previous) {
        return Err(Error::SlotNotIncreasing {
            previous,
            actual: block.slot,
        });
    }
    let body = &block.body;
    if body.txs.len() > config.max_txs_per_block {
        return Err(Error::TooManyTxs {
            count: body.txs.len(),
            max: config.max_txs_per_block,
        });
    }
    let data = encode_block_data(body)?;
    let fingerprint = DataFingerprint::compute(&data, config.max_data_chunks)?;
    let balances = check_against_state(state, body)?;

    // Applied to a copy (O(1), shared storage) that replaces the state once every chunk is
    // written.
    let mut next = state.clone();
    let mut messages = body.messages.clone();
    messages.resize(MESSAGES_PER_BLOCK, L1ToL2Message::default());
    let mut txs = body.txs.clone();
    txs.resize(config.max_txs_per_block, TxEffect::default());
    let mut chunks = data_chunks(&data);
    chunks.resize(config.max_data_chunks, Fr::ZERO);
    let count = body.txs.len().div_ceil(chunk_txs).max(1);
    let mut starts = None;
    let mut prev_state = next.snapshot();
    let mut witnesses = Vec::with_capacity(count);
    for index in 0..count {
        let part = BlockPart {
            txs: chunk_txs,
            index,
            is_last: index + 1 == count,
        };
        let fee_credits = credit_deposits(&mut next, &messages, &balances, index == 0)?;
        let starts = *starts.get_or_insert_with(|| BlockStarts::of(&next));
        let writes = write_part(&mut next, &txs, &balances, part, part_height, &starts)?;
        let new_state = if part.is_last {
            starts.close(&mut next)?;
            next.snapshot()
        } else {
            starts.mid_block(&next)
        };
        let public_inputs = BlockPublicInputs::new(
            prev_state.state_root(),
            new_state.state_root(),
            block.number,
            block.slot,
            body.total_fees(),
            fingerprint,
        )?
        .with_chunk(index, part.is_last)?;
        witnesses.push(BlockWitness {
            config,
            part,
            block_number: block.number,
            slot: block.slot,
            coinbase: body.coinbase,
            messages: messages.clone(),
            num_txs: body.txs.len(),
            txs: txs.clone(),
            prev_state,
            new_state,
            fee_credits,
            fee_debits: writes.fee_debits,
            nullifiers: writes.nullifiers,
            public_data_writes: writes.public_data_writes,
            note_hash_append: writes.note_hash_append,
            data: data.clone(),
            data_chunks: chunks.clone(),
            public_inputs,
        });
        prev_state = new_state;
    }
    next.block_number = block.number;
    next.last_slot = Some(block.slot);
    *state = next;
    Ok(witnesses)
}

/// The credit of each message slot to its recipient's fee balance, or (`credit` false: every
/// chunk but the first) no-op witnesses.
fn credit_deposits(
    state: &mut WorldState,
    messages: &[L1ToL2Message],
    balances: &FeeBalances,
    credit: bool,
) -> Result<Vec<PublicDataWitness>> {
    messages
        .iter()
        .enumerate()
        .map(
            |(slot, message)| match balances.credits.get(slot).filter(|_| credit) {
                None => Ok(state.public_data_tree.noop()),
                Some(balance) => state
                    .public_data_tree
                    .write(fee_balance_key(&message.recipient), Fr::from(*balance)),
            },
        )
        .collect()
}

/// Where a block's subtrees start in the three trees: the first aligned index of each, after
/// the credits.
#[derive(Clone, Copy, Debug)]
struct BlockStarts {
    height: usize,
    notes: u64,
    nullifiers: u64,
    public_data: u64,
}

impl BlockStarts {
    fn of(state: &WorldState) -> Self {
        let height = state.config.block_subtree_height();
        Self {
            height,
            notes: state.note_hash_tree.next_index(),
            nullifiers: state.nullifier_tree.inner().batch_start(height),
            public_data: state.public_data_tree.inner().batch_start(height),
        }
    }

    /// The snapshot between two chunks: the roots, with the block subtrees' starts as next
    /// indices (what the chunk circuit carries from one chunk to the next).
    fn mid_block(&self, state: &WorldState) -> StateSnapshot {
        let mut snapshot = state.snapshot();
        snapshot.note_hash_tree.next_index = self.notes;
        snapshot.nullifier_tree.next_index = self.nullifiers;
        snapshot.public_data_tree.next_index = self.public_data;
        snapshot
    }

    /// Moves every tree's next index past its block subtree.
    fn close(&self, state: &mut WorldState) -> Result<()> {
        let size = 1u64 << self.height;
        state.note_hash_tree.close_subtree(self.notes + size)?;
        state.nullifier_tree.close_batch(self.nullifiers + size)?;
        state.public_data_tree.close_batch(self.public_data + size)
    }
}

/// The writes of one part of a block, in apply order after its credits.
struct PartWrites {
    fee_debits: Vec<PublicDataUpdateWitness>,
    public_data_writes: PublicDataBatchWitness,
    nullifiers: NullifierWitness,
    note_hash_append: MerkleUpdate,
}

/// Writes the tx slots of `part`: their debits, then their slots of the three block
/// subtrees as one part subtree each, at `2 * txs * index` into the block subtree.
fn write_part(
    state: &mut WorldState,
    txs: &[TxEffect],
    balances: &FeeBalances,
    part: BlockPart,
    height: usize,
    starts: &BlockStarts,
) -> Result<PartWrites> {
    let range = part.tx_range();
    let txs = &txs[range.clone()];
    let fee_debits = range
        .clone()
        .zip(txs)
        .map(|(i, tx)| match balances.debits.get(i).copied().flatten() {
            None => Ok(state.public_data_tree.untouched()),
            Some(balance) => state
                .public_data_tree
                .update_existing(fee_balance_key(&tx.payer), Fr::from(balance)),
        })
        .collect::<Result<Vec<_>>>()?;
    let offset = (range.start * TREE_SLOTS_PER_TX) as u64;
    let writes: Vec<(Fr, Fr)> = txs
        .iter()
        .flat_map(|tx| {
            [
                (tx.public_data_write.key, tx.public_data_write.value),
                (Fr::ZERO, Fr::ZERO),
            ]
        })
        .collect();
    let public_data_writes =
        state
            .public_data_tree
            .write_batch(starts.public_data + offset, height, &writes)?;
    let slots: Vec<Fr> = txs.iter().flat_map(|tx| tx.nullifiers).collect();
    let nullifiers =
        state
            .nullifier_tree
            .insert_batch(starts.nullifiers + offset, height, &slots)?;
    let leaves: Vec<Fr> = txs.iter().flat_map(|tx| tx.note_hashes).collect();
    let note_hash_append =
        state
            .note_hash_tree
            .append_subtree(starts.notes + offset, height, &leaves)?;
    Ok(PartWrites {
        fee_debits,
        public_data_writes,
        nullifiers,
        note_hash_append,
    })
}

/// The fee balances a block writes, in apply order.
struct FeeBalances {
    /// Per consumed message, its recipient's balance after the credit.
    credits: Vec<u128>,
    /// Per tx, its payer's balance after the debit (`None`: no payer, nothing written).
    debits: Vec<Option<u128>>,
}

/// The checks that need the state: every fee covered by its payer's balance at its point of
/// the block (credits first, then the debits in tx order), no nullifier spent before, and
/// room in every tree. Returns the balances to write.
fn check_against_state(state: &WorldState, body: &BlockBody) -> Result<FeeBalances> {
    let mut balances: HashMap<Address, u128> = HashMap::new();
    let mut credits = Vec::with_capacity(body.messages.len());
    for message in &body.messages {
        let balance = balances
            .entry(message.recipient)
            .or_insert_with(|| state.fee_balance(&message.recipient));
        *balance = balance
            .checked_add(message.amount)
            .ok_or(Error::FeeBalanceOverflow {
                recipient: message.recipient,
                balance: *balance,
                amount: message.amount,
            })?;
        credits.push(*balance);
    }
    let mut debits = Vec::with_capacity(body.txs.len());
    for (tx, effect) in body.txs.iter().enumerate() {
        if effect.payer == [0u8; 20] {
            debits.push(None);
            continue;
        }
        let balance = balances
            .entry(effect.payer)
            .or_insert_with(|| state.fee_balance(&effect.payer));
        *balance =
            balance
                .checked_sub(u128::from(effect.fee))
                .ok_or(Error::InsufficientFeeBalance {
                    tx,
                    payer: effect.payer,
                    balance: *balance,
                    fee: effect.fee,
                })?;
        debits.push(Some(*balance));
    }

    for nullifier in body.txs.iter().flat_map(TxEffect::nullifiers) {
        if state.nullifier_tree.contains(&nullifier) {
            return Err(Error::NullifierExists { nullifier });
        }
    }
    // Every block takes one subtree in each tree. A new credited fee balance is a leaf at the
    // next index before the public data subtree (a debit only updates an existing leaf).
    let height = state.config.block_subtree_height();
    let nullifiers = state.nullifier_tree.inner();
    nullifiers
        .check_capacity(nullifiers.batch_start(height) - nullifiers.next_index() + (1 << height))?;
    let public_data = state.public_data_tree.inner();
    let new_credits: HashSet<Fr> = body
        .messages
        .iter()
        .map(|message| fee_balance_key(&message.recipient))
        .filter(|key| public_data.find(key).is_none())
        .collect();
    let after_credits = public_data.next_index() + new_credits.len() as u64;
    let end = after_credits.next_multiple_of(1 << height) + (1 << height);
    public_data.check_capacity(end - public_data.next_index())?;
    state.note_hash_tree.check_capacity()?;
    Ok(FeeBalances { credits, debits })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::{
        encoding::decode_block_data, error::TxError, fees::balance_from_fr,
        indexed::tests::assert_witness_consistent, indexed::IndexedLeaf, merkle::tests::dense_root,
        nullifier_tree::tests::replay_batch, poseidon, public_data_tree::tests::replay_write_batch,
        tx::PublicDataWrite, BlockBody, PublicDataLeaf,
    };

    /// The payer of every fee-paying tx made by [`tx`].
    const PAYER: Address = [0xaa; 20];
    /// Another account.
    const OTHER: Address = [0xbb; 20];

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    fn config() -> StateConfig {
        StateConfig {
            note_tree_depth: 8,
            nullifier_tree_depth: 8,
            public_data_tree_depth: 8,
            max_txs_per_block: 3,
            max_data_chunks: crate::config::required_data_chunks(3),
        }
    }

    fn block(number: u64, txs: Vec<TxEffect>) -> Block {
        block_with(number, vec![], txs)
    }

    fn block_with(number: u64, messages: Vec<L1ToL2Message>, txs: Vec<TxEffect>) -> Block {
        Block {
            number,
            slot: number * 2,
            body: BlockBody {
                coinbase: Some([7; 20]),
                messages,
                txs,
            },
        }
    }

    fn deposit(recipient: Address, amount: u128) -> L1ToL2Message {
        L1ToL2Message { recipient, amount }
    }

    /// A tx paid by [`PAYER`] (no payer when the fee is zero).
    fn tx(fee: u64, nullifiers: &[u64], notes: &[u64], write: Option<(u64, u64)>) -> TxEffect {
        let payer = if fee == 0 { [0; 20] } else { PAYER };
        tx_from(payer, fee, nullifiers, notes, write)
    }

    fn tx_from(
        payer: Address,
        fee: u64,
        nullifiers: &[u64],
        notes: &[u64],
        write: Option<(u64, u64)>,
    ) -> TxEffect {
        let n: Vec<Fr> = nullifiers.iter().copied().map(fr).collect();
        let c: Vec<Fr> = notes.iter().copied().map(fr).collect();
        let w = write.map(|(key, value)| PublicDataWrite {
            key: fr(key),
            value: fr(value),
        });
        TxEffect::new(fee, payer, &n, &c, w).unwrap()
    }

    /// Checks one fee balance witness: a no-op without an account, else a write of `old +
    /// delta` under the account's key (`old` = 0 for a new leaf).
    fn check_fee_write(slot: &PublicDataWitness, account: Address, delta: i128) {
        if account == [0; 20] {
            assert_eq!(slot.new_root(), slot.old_root());
            assert!(!slot.inserted);
            return;
        }
        assert_eq!(slot.new_leaf.key, fee_balance_key(&account));
        let old = if slot.inserted {
            0
        } else {
            balance_from_fr(&slot.low_leaf.value)
        };
        let new = balance_from_fr(&slot.new_leaf.value);
        assert_eq!(new as i128, old as i128 + delta);
    }

    /// Checks one fee debit witness against the tree before it: one verified Merkle write of
    /// the payer's leaf to `old - fee`, or (no payer, or no leaf and a zero fee) a rewrite
    /// that changes nothing.
    fn check_fee_debit(
        debit: &PublicDataUpdateWitness,
        before: &crate::TreeSnapshot,
        tx: &TxEffect,
    ) {
        let update = &debit.update;
        assert_eq!(debit.old_root(), before.root);
        assert_eq!(update.old_node, debit.leaf.hash());
        assert_eq!(
            update.path.compute_root(update.old_node, debit.leaf_index),
            update.old_root
        );
        assert_eq!(
            update.path.compute_root(update.new_node, debit.leaf_index),
            update.new_root
        );
        let new_leaf = PublicDataLeaf {
            value: debit.new_value,
            ..debit.leaf
        };
        assert_eq!(update.new_node, new_leaf.hash());
        let key = fee_balance_key(&tx.payer);
        if debit.wrote(&key) {
            let old = balance_from_fr(&debit.leaf.value);
            assert_eq!(balance_from_fr(&debit.new_value), old - u128::from(tx.fee));
        } else {
            assert_eq!(tx.fee, 0);
            assert_eq!(debit.new_value, debit.leaf.value);
            assert_eq!(debit.new_root(), debit.old_root());
        }
    }

    /// Replays the witness as the circuit does: every path verifies, the roots chain from
    /// the previous snapshot to the new one, and the public inputs match. A chunk writes its
    /// slots of each block subtree (from the first aligned index, past the credits) and
    /// moves the next indices past the subtrees only if it is the last.
    fn check_witness(w: &BlockWitness) {
        let max = w.config.max_txs_per_block;
        let part = w.part;
        let range = part.tx_range();
        let height = w.config.chunk_height(part.txs).unwrap();
        let block_size = 1u64 << w.config.block_subtree_height();
        let offset = (range.start * TREE_SLOTS_PER_TX) as u64;
        assert_eq!(
            (
                w.txs.len(),
                w.nullifiers.slots.len(),
                w.public_data_writes.slots.len()
            ),
            (max, 2 * part.txs, 2 * part.txs)
        );
        assert_eq!(
            (w.messages.len(), w.fee_credits.len(), w.fee_debits.len()),
            (MESSAGES_PER_BLOCK, MESSAGES_PER_BLOCK, part.txs)
        );
        let block_end = |start: u64| {
            if part.is_last {
                start + block_size
            } else {
                start
            }
        };
        let mut public_data = w.prev_state.public_data_tree;
        let chain_public = |public_data: &mut crate::TreeSnapshot, slot: &PublicDataWitness| {
            assert_witness_consistent(slot);
            assert_eq!(slot.old_root(), public_data.root);
            if slot.inserted {
                assert_eq!(slot.new_leaf_index, public_data.next_index);
                public_data.next_index += 1;
            }
            public_data.root = slot.new_root();
        };
        for (message, slot) in w.messages.iter().zip(&w.fee_credits) {
            chain_public(&mut public_data, slot);
            if part.index == 0 {
                check_fee_write(slot, message.recipient, message.amount as i128);
            } else {
                assert_eq!(
                    slot.new_root(),
                    slot.old_root(),
                    "only the first chunk credits"
                );
            }
        }
        for (debit, tx) in w.fee_debits.iter().zip(&w.txs[range.clone()]) {
            check_fee_debit(debit, &public_data, tx);
            public_data.root = debit.new_root();
        }
        let writes: Vec<(Fr, Fr)> = w.txs[range.clone()]
            .iter()
            .flat_map(|tx| {
                [
                    (tx.public_data_write.key, tx.public_data_write.value),
                    (Fr::ZERO, Fr::ZERO),
                ]
            })
            .collect();
        let start = public_data.next_index.next_multiple_of(block_size);
        let (root, _) = replay_write_batch(
            public_data.root,
            start + offset,
            height,
            &writes,
            &w.public_data_writes,
        );
        public_data = crate::TreeSnapshot {
            root,
            next_index: block_end(start),
        };
        let prev = w.prev_state.nullifier_tree;
        let slots: Vec<Fr> = w.txs[range.clone()]
            .iter()
            .flat_map(|tx| tx.nullifiers)
            .collect();
        let (root, _) = replay_batch(
            prev.root,
            prev.next_index + offset,
            height,
            &slots,
            &w.nullifiers,
        );
        assert_eq!(
            crate::TreeSnapshot {
                root,
                next_index: block_end(prev.next_index)
            },
            w.new_state.nullifier_tree
        );
        assert_eq!(public_data, w.new_state.public_data_tree);

        let append = &w.note_hash_append;
        let notes = w.prev_state.note_hash_tree;
        let mut leaves: Vec<Fr> = w.txs[range.clone()]
            .iter()
            .flat_map(|tx| tx.note_hashes)
            .collect();
        leaves.resize(1 << height, Fr::ZERO);
        assert_eq!(append.new_node, dense_root(height, &leaves));
        assert_eq!(append.index << height, notes.next_index + offset);
        assert_eq!(
            append.path.compute_root(append.old_node, append.index),
            notes.root
        );
        assert_eq!(
            append.path.compute_root(append.new_node, append.index),
            w.new_state.note_hash_tree.root
        );
        assert_eq!(
            w.new_state.note_hash_tree.next_index,
            block_end(notes.next_index)
        );
        if part.is_last {
            assert!(w.num_txs <= range.end, "no real tx after the last chunk");
        }

        let inputs = &w.public_inputs;
        assert_eq!(inputs.prev_state_root(), w.prev_state.state_root());
        assert_eq!(inputs.new_state_root(), w.new_state.state_root());
        assert_eq!(
            inputs.fingerprint(),
            DataFingerprint::compute(&w.data, w.config.max_data_chunks).unwrap()
        );
        assert_eq!(w.data_chunks.len(), w.config.max_data_chunks);
        let body = decode_block_data(&w.data).unwrap();
        assert_eq!(body.txs, w.txs[..w.num_txs]);
        assert_eq!(body.messages, w.messages[..body.messages.len()]);
        assert!(w.messages[body.messages.len()..]
            .iter()
            .all(|m| *m == L1ToL2Message::default()));
    }

    /// Roots of the three trees recomputed from scratch from the applied blocks: dense
    /// Merkle trees, indexed leaves linked by sorting, fee balances as integers (credits,
    /// then per tx its debit before its app write).
    fn scratch_snapshot(config: &StateConfig, blocks: &[Block]) -> StateSnapshot {
        let subtree = 1usize << config.block_subtree_height();
        let mut notes = vec![];
        let batch = subtree;
        let mut nullifiers = vec![Fr::ZERO; batch];
        let mut keys = vec![Fr::ZERO];
        let mut values = BTreeMap::from([(Fr::ZERO, Fr::ZERO)]);
        for block in blocks {
            let mut leaves: Vec<Fr> = block
                .body
                .txs
                .iter()
                .flat_map(|tx| tx.note_hashes)
                .collect();
            leaves.resize(subtree, Fr::ZERO);
            notes.extend(leaves);
            let mut balances: BTreeMap<Address, u128> = BTreeMap::new();
            let mut balance_of = |account: Address, delta: i128| {
                let key = fee_balance_key(&account);
                let old = values.get(&key).map_or(0, balance_from_fr);
                let balance = balances.entry(account).or_insert(old);
                *balance = u128::try_from(*balance as i128 + delta).unwrap();
                (key, Fr::from(*balance))
            };
            let mut writes = vec![];
            for message in &block.body.messages {
                writes.push(balance_of(message.recipient, message.amount as i128));
            }
            for tx in &block.body.txs {
                let known = block.body.messages.iter().any(|m| m.recipient == tx.payer)
                    || values.contains_key(&fee_balance_key(&tx.payer));
                if tx.payer != [0; 20] && known {
                    writes.push(balance_of(tx.payer, -i128::from(tx.fee)));
                }
            }
            for (key, value) in writes {
                if values.insert(key, value).is_none() {
                    keys.push(key);
                }
            }
            // App writes: new keys into slot 2i of the block subtree at the next aligned
            // index, known keys in place; the subtree is taken even if empty.
            let start = keys.len().next_multiple_of(subtree);
            keys.resize(start + subtree, Fr::ZERO);
            for (i, tx) in block.body.txs.iter().enumerate() {
                if let Some(write) = tx.public_data_write() {
                    if values.insert(write.key, write.value).is_none() {
                        keys[start + 2 * i] = write.key;
                    }
                }
            }

            let mut slots: Vec<Fr> = block.body.txs.iter().flat_map(|tx| tx.nullifiers).collect();
            slots.resize(batch, Fr::ZERO);
            nullifiers.extend(slots);
        }
        let linked = |keys: &[Fr], leaf: &dyn Fn(Fr, u64, Fr) -> Fr| -> Vec<Fr> {
            keys.iter()
                .map(|key| {
                    let next = keys
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| *k > key)
                        .min_by_key(|(_, k)| **k);
                    let (next_index, next_key) =
                        next.map_or((0, Fr::ZERO), |(i, k)| (i as u64, *k));
                    leaf(*key, next_index, next_key)
                })
                .collect()
        };
        // Empty batch slots (key 0 past the genesis leaf) are empty leaves.
        let without_gaps = |leaves: Vec<Fr>, keys: &[Fr]| -> Vec<Fr> {
            leaves
                .into_iter()
                .zip(keys)
                .enumerate()
                .map(|(i, (leaf, key))| {
                    if i > 0 && *key == Fr::ZERO {
                        Fr::ZERO
                    } else {
                        leaf
                    }
                })
                .collect()
        };
        let nullifier_leaves = without_gaps(
            linked(&nullifiers, &|v, i, n| poseidon::hash([v, fr(i), n])),
            &nullifiers,
        );
        let public_leaves = without_gaps(
            linked(&keys, &|k, i, n| poseidon::hash([k, values[&k], fr(i), n])),
            &keys,
        );
        StateSnapshot {
            note_hash_tree: crate::TreeSnapshot {
                root: dense_root(config.note_tree_depth, &notes),
                next_index: notes.len() as u64,
            },
            nullifier_tree: crate::TreeSnapshot {
                root: dense_root(config.nullifier_tree_depth, &nullifier_leaves),
                next_index: nullifiers.len() as u64,
            },
            public_data_tree: crate::TreeSnapshot {
                root: dense_root(config.public_data_tree_depth, &public_leaves),
                next_index: keys.len() as u64,
            },
        }
    }

    #[test]
    fn applies_blocks_and_matches_scratch_roots() {
        let mut state = WorldState::new(config()).unwrap();
        let genesis = state.state_root();
        let blocks = [
            block_with(
                1,
                vec![deposit(PAYER, 20), deposit(OTHER, 3)],
                vec![
                    tx(5, &[10, 20], &[1, 2], Some((3, 4))),
                    tx(6, &[15], &[7], Some((3, 8))),
                ],
            ),
            block(2, vec![]),
            block_with(
                3,
                vec![deposit(OTHER, 4); 4],
                vec![
                    tx(1, &[5], &[], Some((9, 1))),
                    tx_from(OTHER, 19, &[30, 25], &[4], None),
                    tx(2, &[12], &[], Some((3, 0))),
                ],
            ),
        ];
        let mut prev_root = genesis;
        for (i, b) in blocks.iter().enumerate() {
            let witness = apply_block(&mut state, b).unwrap();
            check_witness(&witness);
            assert_eq!(witness.public_inputs.prev_state_root(), prev_root);
            prev_root = witness.public_inputs.new_state_root();
            assert_eq!(state.snapshot(), scratch_snapshot(&config(), &blocks[..=i]));
        }
        assert_eq!(state.public_data_tree().read(&fr(3)), Fr::ZERO);
        assert_eq!(state.public_data_tree().read(&fr(9)), fr(1));
        assert_eq!(state.fee_balance(&PAYER), 20 - 5 - 6 - 1 - 2);
        assert_eq!(state.fee_balance(&OTHER), 0);
        assert_eq!(state.fee_balance(&[0x01; 20]), 0);
        assert_eq!(state.block_number(), 3);
        assert_eq!(state.last_slot(), Some(6));
    }

    #[test]
    fn witness_of_first_block_carries_totals_and_padding() {
        let mut state = WorldState::new(config()).unwrap();
        let witness = apply_block(
            &mut state,
            &block_with(
                1,
                vec![deposit(PAYER, 12)],
                vec![tx(5, &[10], &[1], None), tx(7, &[11], &[], None)],
            ),
        )
        .unwrap();
        assert_eq!(witness.public_inputs.total_fees(), 12);
        assert_eq!(witness.num_txs, 2);
        assert_eq!(witness.txs[2], TxEffect::default());
        assert_eq!(witness.messages[0], deposit(PAYER, 12));
        assert_eq!(witness.messages[1..], [L1ToL2Message::default(); 3]);
        assert!(witness.fee_credits[0].inserted);
        let payer_key = fee_balance_key(&PAYER);
        assert!(witness.fee_debits[0].wrote(&payer_key) && witness.fee_debits[1].wrote(&payer_key));
        assert_eq!(
            witness.fee_debits[2].old_root(),
            witness.fee_debits[2].new_root()
        );
        assert_eq!(state.fee_balance(&PAYER), 0);
        let slots = &witness.nullifiers.slots;
        assert_eq!(
            slots[1].low_leaf_update.new_root,
            slots[1].low_leaf_update.old_root
        );
        assert_eq!(slots[1].low_leaf_index, 0);
        assert!(slots[2].pending, "11's low leaf is 10, inserted by slot 0");
        assert_eq!(
            witness.public_inputs.to_field_elements()[2],
            crate::pack_globals(1, 2, 12).unwrap()
        );
    }

    #[test]
    fn with_payee_names_the_payee_and_changes_nothing_else() {
        let mut state = WorldState::new(config()).unwrap();
        let witness = apply_block(
            &mut state,
            &block_with(1, vec![deposit(PAYER, 5)], vec![tx(5, &[10], &[1], None)]),
        )
        .unwrap();
        assert_eq!(
            witness.public_inputs.payee(),
            [0; 20],
            "apply_block names no payee"
        );
        let paid = witness.clone().with_payee([0x42; 20]);
        assert_eq!(paid.public_inputs.payee(), [0x42; 20]);
        assert_eq!(
            paid.public_inputs.committed_u256_be_words(),
            witness.public_inputs.committed_u256_be_words()
        );
        let mut unpaid = paid.clone();
        unpaid.public_inputs = witness.public_inputs;
        assert_eq!(unpaid, witness, "only the payee differs");
        assert_ne!(
            paid.to_bytes(),
            witness.to_bytes(),
            "the payee is serialized"
        );
    }

    #[test]
    fn rejects_double_spend_and_leaves_state_unchanged() {
        let mut state = WorldState::new(config()).unwrap();
        apply_block(&mut state, &block(1, vec![tx(0, &[10], &[], None)])).unwrap();
        let root = state.state_root();
        let spend_again = block(
            2,
            vec![tx(0, &[11], &[1], Some((1, 1))), tx(0, &[10], &[], None)],
        );
        assert_eq!(
            apply_block(&mut state, &spend_again),
            Err(Error::NullifierExists { nullifier: fr(10) })
        );
        let twice_in_block = block(
            2,
            vec![tx(0, &[11], &[], None), tx(0, &[12, 11], &[], None)],
        );
        assert_eq!(
            apply_block(&mut state, &twice_in_block),
            Err(Error::DuplicateNullifier {
                nullifier: fr(11),
                first_tx: 0,
                second_tx: 1
            })
        );
        assert_eq!(state.state_root(), root);
        assert_eq!(state.block_number(), 1);
    }

    #[test]
    fn rejects_wrong_position_and_limits() {
        let mut state = WorldState::new(config()).unwrap();
        assert_eq!(
            apply_block(&mut state, &block(2, vec![])),
            Err(Error::UnexpectedBlockNumber {
                expected: 1,
                actual: 2
            })
        );
        apply_block(&mut state, &block(1, vec![])).unwrap();
        let same_slot = Block {
            slot: 2,
            ..block(2, vec![])
        };
        assert_eq!(
            apply_block(&mut state, &same_slot),
            Err(Error::SlotNotIncreasing {
                previous: 2,
                actual: 2
            })
        );
        let full = block(2, (1..=4).map(|n| tx(0, &[n], &[], None)).collect());
        assert_eq!(
            apply_block(&mut state, &full),
            Err(Error::TooManyTxs { count: 4, max: 3 })
        );
    }

    #[test]
    fn rejects_block_that_overflows_a_tree() {
        // 64 nullifier slots: the genesis subtree and 3 block subtrees of 16.
        let small = StateConfig {
            nullifier_tree_depth: 6,
            ..config()
        };
        let mut state = WorldState::new(small).unwrap();
        for number in 1..=2 {
            let b = block(number, vec![tx(0, &[number], &[], None)]);
            apply_block(&mut state, &b).unwrap();
        }
        // An empty block takes its subtree too.
        apply_block(&mut state, &block(3, vec![])).unwrap();
        for b in [block(4, vec![]), block(4, vec![tx(0, &[9], &[], None)])] {
            assert_eq!(
                apply_block(&mut state, &b),
                Err(Error::TreeFull {
                    tree: "nullifier tree",
                    next_index: 64,
                    needed: 16,
                    capacity: 64
                })
            );
        }
        assert_eq!(state.block_number(), 3);
    }

    #[test]
    fn credits_come_before_debits_and_a_deposit_is_spendable_in_its_block() {
        let mut state = WorldState::new(config()).unwrap();
        // Block 1: PAYER's deposit pays its fee in the same block; OTHER only deposits.
        let first = block_with(
            1,
            vec![deposit(PAYER, 100), deposit(OTHER, 50), deposit(PAYER, 1)],
            vec![tx(101, &[1], &[], None)],
        );
        let witness = apply_block(&mut state, &first).unwrap();
        check_witness(&witness);
        assert_eq!(state.fee_balance(&PAYER), 0);
        assert_eq!(state.fee_balance(&OTHER), 50);
        // Block 2: no deposits, OTHER pays twice, a tx without payer pays nothing, and a
        // payer with no balance pays a zero fee (its zero balance is written).
        let second = block(
            2,
            vec![
                tx_from(OTHER, 20, &[2], &[], None),
                tx(0, &[3], &[], None),
                tx_from(OTHER, 30, &[4], &[], None),
            ],
        );
        let witness = apply_block(&mut state, &second).unwrap();
        check_witness(&witness);
        assert_eq!(witness.public_inputs.total_fees(), 50);
        assert_eq!(state.fee_balance(&OTHER), 0);
        let free = block(3, vec![tx_from([0xcc; 20], 0, &[5], &[], None)]);
        let witness = apply_block(&mut state, &free).unwrap();
        check_witness(&witness);
        // A payer without a balance leaf paying a zero fee writes nothing (no zero leaf).
        assert!(!witness.fee_debits[0].wrote(&fee_balance_key(&[0xcc; 20])));
        assert_eq!(
            witness.fee_debits[0].old_root(),
            witness.fee_debits[0].new_root()
        );
        assert_eq!(
            state
                .public_data_tree()
                .inner()
                .find(&fee_balance_key(&[0xcc; 20])),
            None
        );
        assert_eq!(state.fee_balance(&[0xcc; 20]), 0);
        let blocks = [first, second, free];
        assert_eq!(state.snapshot(), scratch_snapshot(&config(), &blocks));
    }

    #[test]
    fn rejects_a_short_balance_and_writes_nothing() {
        let mut state = WorldState::new(config()).unwrap();
        apply_block(&mut state, &block_with(1, vec![deposit(PAYER, 10)], vec![])).unwrap();
        let root = state.state_root();
        let short = block(2, vec![tx(11, &[1], &[2], Some((3, 4)))]);
        assert_eq!(
            apply_block(&mut state, &short),
            Err(Error::InsufficientFeeBalance {
                tx: 0,
                payer: PAYER,
                balance: 10,
                fee: 11
            })
        );
        // Nobody else's deposit pays for the payer, nor does a deposit of a later block.
        let others = block_with(2, vec![deposit(OTHER, 100)], vec![tx(11, &[1], &[], None)]);
        assert!(matches!(
            apply_block(&mut state, &others),
            Err(Error::InsufficientFeeBalance { balance: 10, .. })
        ));
        assert_eq!(state.state_root(), root);
        assert_eq!(state.block_number(), 1);
        assert_eq!(state.fee_balance(&PAYER), 10);
        assert_eq!(state.fee_balance(&OTHER), 0);
    }

    #[test]
    fn rejects_the_second_tx_of_a_payer_when_the_first_drained_it() {
        let mut state = WorldState::new(config()).unwrap();
        let root = state.state_root();
        let b = block_with(
            1,
            vec![deposit(PAYER, 100)],
            vec![tx(60, &[1], &[], None), tx(50, &[2], &[], None)],
        );
        assert_eq!(
            apply_block(&mut state, &b),
            Err(Error::InsufficientFeeBalance {
                tx: 1,
                payer: PAYER,
                balance: 40,
                fee: 50
            })
        );
        assert_eq!(state.state_root(), root);
        assert_eq!(state.block_number(), 0);
        assert_eq!(state.fee_balance(&PAYER), 0);
    }

    #[test]
    fn rejects_a_credit_that_overflows_a_balance() {
        let mut state = WorldState::new(config()).unwrap();
        let near_max = u128::MAX - 5;
        state
            .public_data_tree
            .write(fee_balance_key(&PAYER), Fr::from(near_max))
            .unwrap();
        let root = state.state_root();
        let b = block_with(1, vec![deposit(PAYER, 6)], vec![]);
        assert_eq!(
            apply_block(&mut state, &b),
            Err(Error::FeeBalanceOverflow {
                recipient: PAYER,
                balance: near_max,
                amount: 6
            })
        );
        assert_eq!(state.state_root(), root);
    }

    #[test]
    fn rejects_an_app_write_to_a_fee_balance_key() {
        let mut state = WorldState::new(config()).unwrap();
        let mut forged = tx(0, &[1], &[], None);
        forged.public_data_write = PublicDataWrite {
            key: fee_balance_key(&PAYER),
            value: fr(1_000_000),
        };
        assert_eq!(
            apply_block(&mut state, &block(1, vec![forged])),
            Err(Error::InvalidTx {
                index: 0,
                source: TxError::ReservedPublicDataKey
            })
        );
        assert_eq!(state.fee_balance(&PAYER), 0);
    }

    #[test]
    fn rejects_a_chunk_size_that_does_not_split_the_block() {
        let mut state = WorldState::new(config()).unwrap();
        let before = state.snapshot();
        let b = block(1, vec![tx(0, &[1], &[], None)]);
        assert_eq!(
            apply_block_in_chunks(&mut state, &b, 2),
            Err(Error::InvalidChunkSize { txs: 2, max_txs: 3 })
        );
        assert_eq!((state.snapshot(), state.block_number()), (before, 0));
        let chunks = apply_block_in_chunks(&mut state, &b, 3).unwrap();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].part, BlockPart::whole(&config()));
        assert_eq!(
            chunks[0].public_inputs.chunk_word(),
            crate::WHOLE_BLOCK_CHUNK_WORD
        );
    }

    #[test]
    fn capacity_counts_the_fee_balance_leaves() {
        // 64 public data leaves; 3 txs per block take block subtrees of 16 slots.
        let small = StateConfig {
            public_data_tree_depth: 6,
            ..config()
        };
        let mut state = WorldState::new(small).unwrap();
        let accounts = |seed: u8| (0..4).map(move |i| deposit([seed + i; 20], 1)).collect();
        // Genesis + 4 new balances (leaves 1-4), then the block subtree at the aligned index
        // 16 (leaves 16-31).
        apply_block(
            &mut state,
            &block_with(1, accounts(1), vec![tx(0, &[1], &[], Some((5, 5)))]),
        )
        .unwrap();
        assert_eq!(state.snapshot().public_data_tree.next_index, 32);
        // Another subtree (32-47), then one more (48-63) fills the tree.
        apply_block(&mut state, &block(2, vec![])).unwrap();
        let fits = block(3, vec![tx(0, &[2], &[], Some((6, 6)))]);
        let mut probe = state.clone();
        apply_block(&mut probe, &fits).unwrap();
        assert_eq!(probe.snapshot().public_data_tree.next_index, 64);
        // One balance more (48) and the subtree (64-79) no longer fits.
        let overflows = block_with(
            3,
            vec![deposit([0x40; 20], 1)],
            vec![tx(0, &[2], &[], Some((6, 6)))],
        );
        assert_eq!(
            apply_block(&mut state, &overflows),
            Err(Error::TreeFull {
                tree: "public data tree",
                next_index: 48,
                needed: 32,
                capacity: 64
            })
        );
        // A known balance needs no leaf.
        let known = block_with(
            3,
            vec![deposit([0x01; 20], 1)],
            vec![tx_from([0xcc; 20], 0, &[2], &[], Some((5, 7)))],
        );
        apply_block(&mut state, &known).unwrap();
        assert_eq!(state.snapshot().public_data_tree.next_index, 64);
    }

    /// Accounts the random blocks pay from and deposit to.
    const ACCOUNTS: [Address; 3] = [PAYER, OTHER, [0xcc; 20]];

    fn arb_tx() -> impl Strategy<Value = TxEffect> {
        (
            0u64..1000,
            prop::option::of(0usize..ACCOUNTS.len()),
            prop::collection::vec(1u64..40, 1..=2),
            prop::collection::vec(1u64..1000, 0..=2),
            prop::option::of((1u64..8, 0u64..5)),
        )
            .prop_map(|(fee, payer, mut nullifiers, notes, write)| {
                nullifiers.dedup();
                match payer {
                    Some(a) => tx_from(ACCOUNTS[a], fee, &nullifiers, &notes, write),
                    None => tx_from([0; 20], 0, &nullifiers, &notes, write),
                }
            })
    }

    fn arb_message() -> impl Strategy<Value = L1ToL2Message> {
        (0usize..ACCOUNTS.len(), 1u128..2000).prop_map(|(a, amount)| deposit(ACCOUNTS[a], amount))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Random blocks of deposits and fee-paying txs (some double-spending or short of
        /// balance, so rejected) keep the native trees equal to a from-scratch
        /// recomputation, and every witness replays.
        #[test]
        fn random_blocks_match_scratch_recomputation(
            blocks in prop::collection::vec(
                (
                    prop::collection::vec(arb_message(), 0..=MESSAGES_PER_BLOCK),
                    prop::collection::vec(arb_tx(), 0..=3),
                ),
                1..6,
            )
        ) {
            let config = config();
            let mut state = WorldState::new(config).unwrap();
            let mut applied: Vec<Block> = vec![];
            for (messages, txs) in blocks {
                let candidate = block_with(state.block_number() + 1, messages, txs);
                let before = state.snapshot();
                match apply_block(&mut state, &candidate) {
                    Ok(witness) => {
                        check_witness(&witness);
                        applied.push(candidate);
                    }
                    Err(
                        Error::NullifierExists { .. }
                        | Error::DuplicateNullifier { .. }
                        | Error::InsufficientFeeBalance { .. },
                    ) => {
                        prop_assert_eq!(state.snapshot(), before);
                    }
                    Err(other) => prop_assert!(false, "unexpected error {other}"),
                }
                prop_assert_eq!(state.snapshot(), scratch_snapshot(&config, &applied));
            }
        }

        /// Chunks of 2 txs end at the state the whole block gives, with roots chained from
        /// chunk to chunk, and fail exactly where the whole block fails.
        #[test]
        fn chunks_chain_to_the_whole_blocks_state(
            blocks in prop::collection::vec(
                (
                    prop::collection::vec(arb_message(), 0..=MESSAGES_PER_BLOCK),
                    prop::collection::vec(arb_tx(), 0..=4),
                ),
                1..6,
            )
        ) {
            let config = StateConfig {
                max_txs_per_block: 4,
                max_data_chunks: crate::config::required_data_chunks(4),
                ..config()
            };
            let mut whole = WorldState::new(config).unwrap();
            let mut chunked = whole.clone();
            for (messages, txs) in blocks {
                let candidate = block_with(whole.block_number() + 1, messages, txs);
                let before = chunked.snapshot();
                match (
                    apply_block(&mut whole, &candidate),
                    apply_block_in_chunks(&mut chunked, &candidate, 2),
                ) {
                    (Ok(block), Ok(chunks)) => {
                        prop_assert_eq!(chunks.len(), candidate.body.txs.len().div_ceil(2).max(1));
                        let mut root = block.public_inputs.prev_state_root();
                        for (index, chunk) in chunks.iter().enumerate() {
                            check_witness(chunk);
                            prop_assert_eq!(chunk.part.index, index);
                            prop_assert_eq!(chunk.public_inputs.prev_state_root(), root);
                            root = chunk.public_inputs.new_state_root();
                            prop_assert_eq!(chunk.public_inputs.globals(), block.public_inputs.globals());
                            prop_assert_eq!(
                                chunk.public_inputs.chunk_word(),
                                index as u64 + (u64::from(chunk.part.is_last) << 8)
                            );
                        }
                        prop_assert_eq!(root, block.public_inputs.new_state_root());
                        prop_assert!(chunks.last().unwrap().part.is_last);
                    }
                    (Err(a), Err(b)) => {
                        prop_assert_eq!(a, b);
                        prop_assert_eq!(chunked.snapshot(), before);
                    }
                    (a, b) => prop_assert!(false, "whole {a:?}, chunks {b:?}"),
                }
                prop_assert_eq!(chunked.snapshot(), whole.snapshot());
            }
        }
    }
}
