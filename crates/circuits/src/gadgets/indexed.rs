//! Writes to the indexed Merkle trees (nullifier and public data).
//!
//! * [`indexed_write`]: one read-modify-write of a fee balance (a deposit's credit), in the
//!   fixed shape of `fernet_state::IndexedWriteWitness`: first the low leaf is rewritten, then
//!   the new leaf. With `exists = (low.key == key)`: an insertion (`!exists`) needs
//!   `low.key < key` and (`key < low.next_key` or `low.next_key == 0`), comparing keys as
//!   integers in `[0, r)`; the low leaf is re-pointed to `(next_index, key)` and the new leaf
//!   `(key, value, low.next_index, low.next_key)` is written into the empty slot `next_index`,
//!   which then advances by one; an update in place (`exists`) sets the low leaf's value and
//!   the second write rewrites that leaf unchanged; padding (`key == 0`) finds the genesis
//!   leaf, whose value must stay 0. The new value is `old + delta` with
//!   `old = exists ? low.value : 0`, range-checked.
//! * [`debit_existing`]: a fee debit, one Merkle update of the payer's existing leaf.
//! * [`batch_write`]: a block's nullifiers or app writes as one batch subtree, with the low
//!   leaves read from the tree or from the batch itself.

use ark_bn254::Fr;
use ark_ff::AdditiveGroup;
use ark_r1cs_std::{
    alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, prelude::Boolean, select::CondSelectGadget,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use fernet_state::{
    MerkleUpdate, NullifierWitness, PublicDataBatchWitness, PublicDataUpdateWitness,
    PublicDataWitness, SparseMerkleTree, LEVEL_BITS,
};

use super::{
    linear::{enforce_equal, mul, Linear},
    merkle::{alloc_siblings, root_from_path, subtree_root},
    num::{alloc_uint, canonical_bits, decompose, is_less_than, non_canonical_bits},
    poseidon,
};

/// The native values a write needs besides its key and value: the low leaf and both paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedWriteHint {
    /// Key of the low leaf (or of the leaf updated in place).
    pub low_key: Fr,
    /// Value of the low leaf (public data only).
    pub low_value: Option<Fr>,
    /// Successor index of the low leaf before the write.
    pub low_next_index: u64,
    /// Successor key of the low leaf before the write.
    pub low_next_key: Fr,
    /// Leaf index of the low leaf.
    pub low_index: u64,
    /// Sibling triples of the low leaf's path.
    pub low_siblings: Vec<[Fr; 3]>,
    /// Sibling triples of the second write's path (after the first write).
    pub new_siblings: Vec<[Fr; 3]>,
}

impl From<&PublicDataWitness> for IndexedWriteHint {
    fn from(w: &PublicDataWitness) -> Self {
        Self {
            low_key: w.low_leaf.key,
            low_value: Some(w.low_leaf.value),
            low_next_index: w.low_leaf.next_index,
            low_next_key: w.low_leaf.next_key,
            low_index: w.low_leaf_index,
            low_siblings: w.low_leaf_update.path.siblings.clone(),
            new_siblings: w.new_leaf_update.path.siblings.clone(),
        }
    }
}

/// The native values of a debit ([`debit_existing`]): the leaf it reads and its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebitHint {
    /// Key of the leaf.
    pub key: Fr,
    /// Its value before the debit.
    pub value: Fr,
    /// Its successor index.
    pub next_index: u64,
    /// Its successor key.
    pub next_key: Fr,
    /// Its leaf index.
    pub index: u64,
    /// Sibling triples of its path.
    pub siblings: Vec<[Fr; 3]>,
}

impl From<&PublicDataUpdateWitness> for DebitHint {
    fn from(w: &PublicDataUpdateWitness) -> Self {
        Self {
            key: w.leaf.key,
            value: w.leaf.value,
            next_index: w.leaf.next_index,
            next_key: w.leaf.next_key,
            index: w.leaf_index,
            siblings: w.update.path.siblings.clone(),
        }
    }
}

/// Subtracts `amount` from the value stored under `key` (a fee balance) with one Merkle
/// update, as `fernet_state::PublicDataTree::update_existing`: no insertion path, since a
/// debit never creates a leaf.
///
/// The hint's leaf must be in the tree. With `exists = (leaf.key == key)` (keys are unique in
/// an indexed tree, so this is the leaf of `key`), its value becomes `value - amount`, which is
/// range-checked to `bits` bits: a debit above the balance wraps around `r` and fails. Without
/// a leaf for `key` (`!exists`) the amount must be 0, and then the rewrite of whatever leaf the
/// hint names changes nothing, so no non-membership proof is needed. Key 0 (no payer) finds
/// the genesis leaf, whose value must stay 0, so its amount is 0 too.
///
/// # Errors
/// [`SynthesisError::Unsatisfiable`] if the hint does not fit the depth; otherwise only errors
/// of the constraint system.
pub fn debit_existing(
    cs: &ConstraintSystemRef<Fr>,
    depth: usize,
    tree: &TreeVars,
    key: &FpVar<Fr>,
    amount: &Linear,
    bits: usize,
    hint: &DebitHint,
) -> Result<TreeVars, SynthesisError> {
    if hint.siblings.len() * LEVEL_BITS != depth {
        return Err(SynthesisError::Unsatisfiable);
    }
    let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
    let leaf = LeafVars {
        key: witness(hint.key)?,
        value: Some(witness(hint.value)?),
        next_index: witness(Fr::from(hint.next_index))?,
        next_key: witness(hint.next_key)?,
    };
    let index_bits = alloc_uint(cs, Some(Fr::from(hint.index)), depth)?;
    let siblings = alloc_siblings(cs, &hint.siblings)?;
    root_from_path(cs, &leaf.hash(cs)?, &index_bits, &siblings)?.enforce_equal(&tree.root)?;

    let zero = FpVar::Constant(Fr::ZERO);
    let exists = leaf.key.is_eq(key)?;
    let amount_var = amount.to_var(cs)?;
    amount_var.conditional_enforce_equal(&zero, &!&exists)?;
    let old = leaf.value.clone().expect("a public data leaf has a value");
    let new = Linear::from_var(&old).sub(amount).to_var(cs)?;
    decompose(cs, &Linear::from_var(&exists.select(&new, &zero)?), bits)?;
    new.conditional_enforce_equal(&zero, &key.is_eq(&zero)?)?;
    let after = LeafVars {
        value: Some(new),
        ..leaf
    };
    let root = root_from_path(cs, &after.hash(cs)?, &index_bits, &siblings)?;
    Ok(TreeVars {
        root,
        next_index: tree.next_index.clone(),
    })
}

/// A tree's root and next free leaf index, as circuit variables.
#[derive(Clone, Debug)]
pub struct TreeVars {
    /// The Merkle root.
    pub root: FpVar<Fr>,
    /// The first free leaf index.
    pub next_index: FpVar<Fr>,
}

/// One read-modify-write of a public data leaf: the key (with its canonical bits) and the
/// change; the value becomes `old + delta` (`old` is the stored value, 0 for a new key), which
/// must be below `2^bits`.
#[derive(Clone, Copy, Debug)]
pub struct WriteInput<'a> {
    /// The key; 0 for a padding slot.
    pub key: &'a FpVar<Fr>,
    /// The key's canonical little-endian bits.
    pub key_bits: &'a [Boolean<Fr>],
    /// The change of the value.
    pub delta: &'a Linear,
    /// Bits the new value is range-checked to.
    pub bits: usize,
}

/// A leaf preimage in the circuit.
struct LeafVars {
    key: FpVar<Fr>,
    value: Option<FpVar<Fr>>,
    next_index: FpVar<Fr>,
    next_key: FpVar<Fr>,
}

impl LeafVars {
    /// `Poseidon(key, [value,] next_index, next_key)`.
    fn hash(&self, cs: &ConstraintSystemRef<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        let mut inputs = vec![self.key.clone()];
        inputs.extend(self.value.clone());
        inputs.push(self.next_index.clone());
        inputs.push(self.next_key.clone());
        poseidon::hash(cs, &inputs)
    }
}

/// Applies one write to `tree` (of `depth` levels) and returns the tree after it.
///
/// # Errors
/// [`SynthesisError::Unsatisfiable`] if the hint does not fit the depth or the tree kind;
/// otherwise only errors of the constraint system (a dishonest write leaves it unsatisfied).
pub fn indexed_write(
    cs: &ConstraintSystemRef<Fr>,
    depth: usize,
    tree: &TreeVars,
    input: WriteInput<'_>,
    hint: &IndexedWriteHint,
) -> Result<TreeVars, SynthesisError> {
    if hint.low_siblings.len() * LEVEL_BITS != depth
        || hint.new_siblings.len() * LEVEL_BITS != depth
        || hint.low_value.is_none()
    {
        return Err(SynthesisError::Unsatisfiable);
    }
    let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
    let low = LeafVars {
        key: witness(hint.low_key)?,
        value: hint.low_value.map(witness).transpose()?,
        next_index: witness(Fr::from(hint.low_next_index))?,
        next_key: witness(hint.low_next_key)?,
    };
    let low_index_bits = alloc_uint(cs, Some(Fr::from(hint.low_index)), depth)?;
    let low_index = Linear::from_bits_le(&low_index_bits).to_var(cs)?;
    let low_siblings = alloc_siblings(cs, &hint.low_siblings)?;
    let new_siblings = alloc_siblings(cs, &hint.new_siblings)?;

    // The low leaf is in the tree.
    let low_hash = low.hash(cs)?;
    root_from_path(cs, &low_hash, &low_index_bits, &low_siblings)?.enforce_equal(&tree.root)?;

    // Which kind of write this is.
    let zero = FpVar::Constant(Fr::ZERO);
    let is_padding = input.key.is_eq(&zero)?;
    let exists = low.key.is_eq(input.key)?;
    let inserted = !&exists;
    let stored = low.value.as_ref().expect("checked above");
    let old = exists.select(stored, &zero)?;
    let new = Linear::from_var(&old).add(input.delta);
    decompose(cs, &new, input.bits)?;
    let new = new.to_var(cs)?;
    new.conditional_enforce_equal(&zero, &is_padding)?;
    let value = Some(new);

    // An insertion sits strictly between the low leaf and its successor.
    let low_key_bits = canonical_bits(&low.key)?;
    let next_key_bits = canonical_bits(&low.next_key)?;
    let above_low = is_less_than(cs, &low_key_bits, input.key_bits)?;
    let below_next = is_less_than(cs, input.key_bits, &next_key_bits)?;
    let next_is_end = low.next_key.is_eq(&zero)?;
    let in_range = &above_low & &(&below_next | &next_is_end);
    in_range.conditional_enforce_equal(&Boolean::TRUE, &inserted)?;

    // First write: the low leaf, re-pointed (insertion) or with its new value (update).
    let select = |a: &FpVar<Fr>, b: &FpVar<Fr>| FpVar::conditionally_select(&inserted, a, b);
    let low_after = LeafVars {
        key: low.key.clone(),
        value: match (&low.value, &value) {
            (Some(old), Some(new)) => Some(select(old, new)?),
            _ => None,
        },
        next_index: select(&tree.next_index, &low.next_index)?,
        next_key: select(input.key, &low.next_key)?,
    };
    let low_after_hash = low_after.hash(cs)?;
    let middle_root = root_from_path(cs, &low_after_hash, &low_index_bits, &low_siblings)?;

    // Second write: the new leaf into the empty slot at next_index, or the updated leaf
    // rewritten unchanged.
    let new_leaf = LeafVars {
        key: input.key.clone(),
        value,
        next_index: low.next_index.clone(),
        next_key: low.next_key.clone(),
    };
    let new_hash = new_leaf.hash(cs)?;
    let index = select(&tree.next_index, &low_index)?;
    let index_bits = decompose(cs, &Linear::from_var(&index), depth)?;
    let old_node = select(&zero, &low_after_hash)?;
    let new_node = select(&new_hash, &low_after_hash)?;
    root_from_path(cs, &old_node, &index_bits, &new_siblings)?.enforce_equal(&middle_root)?;
    let root = root_from_path(cs, &new_node, &index_bits, &new_siblings)?;
    let next_index = Linear::from_var(&tree.next_index)
        .add(&Linear::from_bool(&inserted))
        .to_var(cs)?;
    Ok(TreeVars { root, next_index })
}

/// The native values of one slot of a batch write ([`batch_write`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSlotHint {
    /// Key of the low leaf (or of the leaf updated in place).
    pub low_key: Fr,
    /// Its value (public data only).
    pub low_value: Option<Fr>,
    /// Its successor index before the slot.
    pub low_next_index: u64,
    /// Its successor key before the slot.
    pub low_next_key: Fr,
    /// Whether it is a leaf of the batch.
    pub pending: bool,
    /// Its slot in the batch, when pending.
    pub pending_slot: u64,
    /// Leaf index of the tree write (the low leaf's, or 0 when pending or empty).
    pub tree_index: u64,
    /// The node the tree write rewrites unchanged when pending.
    pub tree_node: Fr,
    /// Sibling triples of the tree write.
    pub siblings: Vec<[Fr; 3]>,
}

/// The native values of a batch write ([`batch_write`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchHint {
    /// One per slot.
    pub slots: Vec<BatchSlotHint>,
    /// Position of the batch subtree (its first leaf index `>> batch_height`).
    pub subtree_index: u64,
    /// Sibling triples of the subtree write.
    pub subtree_siblings: Vec<[Fr; 3]>,
}

/// The slot hint of a native batch slot witness.
fn slot_hint(
    (low_key, low_value, low_next_index, low_next_key): (Fr, Option<Fr>, u64, Fr),
    pending: bool,
    low_leaf_index: u64,
    update: &MerkleUpdate,
) -> BatchSlotHint {
    BatchSlotHint {
        low_key,
        low_value,
        low_next_index,
        low_next_key,
        pending,
        pending_slot: if pending { low_leaf_index } else { 0 },
        tree_index: update.index,
        tree_node: update.old_node,
        siblings: update.path.siblings.clone(),
    }
}

impl From<&NullifierWitness> for BatchHint {
    fn from(w: &NullifierWitness) -> Self {
        Self {
            slots: w
                .slots
                .iter()
                .map(|slot| {
                    let l = slot.low_leaf;
                    slot_hint(
                        (l.value, None, l.next_index, l.next_value),
                        slot.pending,
                        slot.low_leaf_index,
                        &slot.low_leaf_update,
                    )
                })
                .collect(),
            subtree_index: w.subtree_update.index,
            subtree_siblings: w.subtree_update.path.siblings.clone(),
        }
    }
}

impl From<&PublicDataBatchWitness> for BatchHint {
    fn from(w: &PublicDataBatchWitness) -> Self {
        Self {
            slots: w
                .slots
                .iter()
                .map(|slot| {
                    let l = slot.low_leaf;
                    slot_hint(
                        (l.key, Some(l.value), l.next_index, l.next_key),
                        slot.pending,
                        slot.low_leaf_index,
                        &slot.low_leaf_update,
                    )
                })
                .collect(),
            subtree_index: w.subtree_update.index,
            subtree_siblings: w.subtree_update.path.siblings.clone(),
        }
    }
}

/// One slot of a batch write: the key (with its canonical bits) and, for public data, the
/// value it sets.
#[derive(Clone, Copy, Debug)]
pub struct BatchInput<'a> {
    /// The key; 0 for an empty slot (a constant 0 costs no constraint).
    pub key: &'a FpVar<Fr>,
    /// Its canonical little-endian bits.
    pub key_bits: &'a [Boolean<Fr>],
    /// The value (public data), `None` for a nullifier.
    pub value: Option<&'a FpVar<Fr>>,
}

/// Where a batch goes: a part of its block's subtree of `2^block_height` slots, the first
/// aligned one at or after the tree's next index.
#[derive(Clone, Copy, Debug)]
pub struct BatchPlacement<'a> {
    /// Height of the block subtree.
    pub block_height: usize,
    /// Little-endian bits of the batch's index among the block subtree's parts (none when the
    /// batch is the whole block subtree).
    pub part: &'a [Boolean<Fr>],
    /// Whether the batch closes the block: `next_index` moves past the block subtree, else it
    /// stays at the block subtree's start.
    pub closes: &'a Boolean<Fr>,
}

/// Writes one batch into an indexed tree, as `fernet_state::IndexedTree::write_batch` (a
/// block's or a chunk's nullifiers, or its app public data writes): per slot one low-leaf
/// write (two Merkle paths sharing their siblings) instead of an indexed insertion's four, and
/// one subtree write.
///
/// The block subtree starts at the first aligned index `blockStart >= next_index`
/// (`blockStart - next_index < 2^block_height`, range-checked); the batch is its part
/// `placement.part` of `2^batch_height` slots, at `start`. Slot `w` with key `x` names a leaf
/// `L`, either a leaf of the tree (proven by its path against the current root, rewritten
/// with the same path) or, `pending`, the current value of the batch leaf of an earlier slot
/// `k < w` (selected by a one-hot vector and changed in the batch; its Merkle write is then an
/// unchanged node, and its key must be non-zero, so it is never an empty slot). With
/// `exists = (L.key == x)`:
/// * `!exists` (insertion): `L.key < x < L.next_key` (or `L.next_key = 0`) as integers; `L` is
///   re-pointed to `(start + w, x)` and the new leaf `(x, [value,] L.next_index, L.next_key)`
///   takes slot `w`;
/// * `exists` (public data): `L` is the leaf of `x` (keys are unique), its value becomes
///   `value` in place, and slot `w` stays empty;
/// * nullifiers: `exists` must equal `x == 0`, so a nullifier already in the tree or earlier
///   in the batch cannot be inserted again (**no double spend**: the tree leaves and the batch
///   leaves always form one sorted list and a key in it lies in no gap); key 0 names the
///   genesis leaf and changes nothing;
/// * key 0 (empty slot): the value must be 0, so nothing changes.
///
/// Finally the subtree at `start` (position range-checked, so the tree has room) must be
/// empty and is replaced by the batch leaves' subtree (empty slots are the empty leaf 0),
/// inserted or not, and `next_index` becomes `blockStart + 2^block_height` if the batch
/// closes the block, else `blockStart`.
///
/// # Errors
/// [`SynthesisError::Unsatisfiable`] if the hint does not fit the shape; otherwise only
/// errors of the constraint system.
pub fn batch_write(
    cs: &ConstraintSystemRef<Fr>,
    depth: usize,
    batch_height: usize,
    placement: BatchPlacement<'_>,
    tree: &TreeVars,
    inputs: &[BatchInput<'_>],
    hint: &BatchHint,
) -> Result<TreeVars, SynthesisError> {
    let size = 1usize << batch_height;
    let has_value = inputs.first().is_some_and(|input| input.value.is_some());
    if hint.slots.len() != inputs.len()
        || inputs.len() > size
        || batch_height + placement.part.len() != placement.block_height
        || placement.block_height > depth
        || hint.subtree_siblings.len() * LEVEL_BITS + batch_height != depth
        || hint.slots.iter().any(|slot| {
            slot.siblings.len() * LEVEL_BITS != depth || slot.low_value.is_some() != has_value
        })
        || inputs
            .iter()
            .any(|input| input.value.is_some() != has_value)
    {
        return Err(SynthesisError::Unsatisfiable);
    }
    let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
    let zero = FpVar::Constant(Fr::ZERO);
    let block_size = Fr::from(1u64 << placement.block_height);
    let block_position = alloc_uint(
        cs,
        Some(Fr::from(hint.subtree_index >> placement.part.len())),
        depth - placement.block_height,
    )?;
    let block_start = Linear::from_bits_le(&block_position).scale(block_size);
    let position: Vec<Boolean<Fr>> = placement
        .part
        .iter()
        .chain(&block_position)
        .cloned()
        .collect();
    let start = Linear::from_bits_le(&position)
        .scale(Fr::from(size as u64))
        .to_var(cs)?;
    let mut root = tree.root.clone();
    // `None`: a constant empty slot, which no constraint touches.
    let mut batch: Vec<Option<BatchLeaf>> = Vec::with_capacity(inputs.len());
    for (w, (input, slot)) in inputs.iter().zip(&hint.slots).enumerate() {
        if matches!(input.key, FpVar::Constant(key) if *key == Fr::ZERO) {
            batch.push(None);
            continue;
        }
        let low = LeafVars {
            key: witness(slot.low_key)?,
            value: slot.low_value.map(witness).transpose()?,
            next_index: witness(Fr::from(slot.low_next_index))?,
            next_key: witness(slot.low_next_key)?,
        };
        let pending = Boolean::new_witness(cs.clone(), || Ok(slot.pending))?;
        let is_padding = input.key.is_eq(&zero)?;
        let exists = low.key.is_eq(input.key)?;
        let inserted = !&exists;
        match input.value {
            None => exists.enforce_equal(&is_padding)?,
            Some(value) => value.conditional_enforce_equal(&zero, &is_padding)?,
        }
        // The low key's bits need not be canonical: `low.key + r` is above every key, so it
        // cannot pass `low.key < key`. The successor's must be (`key < next_key`).
        let low_key_bits = non_canonical_bits(&low.key)?;
        let next_key_bits = canonical_bits(&low.next_key)?;
        let above_low = is_less_than(cs, &low_key_bits, input.key_bits)?;
        let below_next = is_less_than(cs, input.key_bits, &next_key_bits)?;
        let next_is_end = low.next_key.is_eq(&zero)?;
        let in_range = &above_low & &(&below_next | &next_is_end);
        in_range.conditional_enforce_equal(&Boolean::TRUE, &inserted)?;
        (&pending & &low.key.is_eq(&zero)?).enforce_equal(&Boolean::FALSE)?;

        // A pending leaf is the current value of one earlier batch leaf:
        // sum_k e_k * (batch[k].f - low.f) = 0 for each field f, with one e_k set (pending)
        // or none.
        let candidates: Vec<(Boolean<Fr>, usize)> = batch
            .iter()
            .enumerate()
            .filter(|(_, leaf)| leaf.is_some())
            .map(|(k, _)| {
                let chosen = Boolean::new_witness(cs.clone(), || {
                    Ok(slot.pending && slot.pending_slot == k as u64)
                })?;
                Ok((chosen, k))
            })
            .collect::<Result<_, SynthesisError>>()?;
        let chosen = candidates
            .iter()
            .fold(Linear::constant(Fr::ZERO), |acc, (e, _)| {
                acc.add(&Linear::from_bool(e))
            });
        enforce_equal(cs, &chosen, &Linear::from_bool(&pending))?;
        let low_fields = fields(&low);
        for (f, low_field) in low_fields.iter().enumerate() {
            let mut sum = Linear::constant(Fr::ZERO);
            for (e, k) in &candidates {
                let leaf = batch[*k].as_ref().expect("a candidate holds a leaf");
                let diff =
                    Linear::from_var(fields(&leaf.leaf)[f]).sub(&Linear::from_var(low_field));
                sum = sum.add(&mul(cs, &Linear::from_bool(e), &diff)?);
            }
            enforce_equal(cs, &sum, &Linear::constant(Fr::ZERO))?;
        }

        // The leaf after the slot: re-pointed to the new key, or with its new value.
        let offset = Linear::from_var(&start)
            .add_constant(Fr::from(w as u64))
            .to_var(cs)?;
        let low_after = LeafVars {
            key: low.key.clone(),
            value: match (&low.value, input.value) {
                (Some(old), Some(new)) => Some(exists.select(new, old)?),
                _ => None,
            },
            next_index: inserted.select(&offset, &low.next_index)?,
            next_key: inserted.select(input.key, &low.next_key)?,
        };
        // Its Merkle write, an unchanged node when the leaf is pending.
        let tree_node = witness(slot.tree_node)?;
        let old_node = pending.select(&tree_node, &low.hash(cs)?)?;
        let new_node = pending.select(&tree_node, &low_after.hash(cs)?)?;
        let index_bits = alloc_uint(cs, Some(Fr::from(slot.tree_index)), depth)?;
        let siblings = alloc_siblings(cs, &slot.siblings)?;
        root_from_path(cs, &old_node, &index_bits, &siblings)?.enforce_equal(&root)?;
        root = root_from_path(cs, &new_node, &index_bits, &siblings)?;
        // The chosen batch leaf takes the new value and successor (its key stays).
        let after_fields = fields(&low_after);
        for (e, k) in &candidates {
            let leaf = batch[*k].as_mut().expect("a candidate holds a leaf");
            let mut updated = vec![leaf.leaf.key.clone()];
            for (old, new) in fields(&leaf.leaf).iter().zip(&after_fields).skip(1) {
                updated.push(e.select(*new, *old)?);
            }
            leaf.leaf = from_fields(updated);
        }
        let new_leaf = LeafVars {
            key: input.key.clone(),
            value: input.value.map(|v| inserted.select(v, &zero)).transpose()?,
            next_index: inserted.select(&low.next_index, &zero)?,
            next_key: inserted.select(&low.next_key, &zero)?,
        };
        batch.push(Some(BatchLeaf {
            leaf: new_leaf,
            real: inserted,
        }));
    }

    // The batch subtree over the empty one.
    let mut leaves = batch
        .iter()
        .map(|leaf| match leaf {
            None => Ok(zero.clone()),
            Some(leaf) => leaf.real.select(&leaf.leaf.hash(cs)?, &zero),
        })
        .collect::<Result<Vec<_>, _>>()?;
    leaves.resize(size, zero.clone());
    let subtree = subtree_root(cs, &leaves)?;
    // 0 <= blockStart - next_index < 2^block_height.
    let gap = block_start.sub(&Linear::from_var(&tree.next_index));
    decompose(cs, &gap, placement.block_height)?;
    let siblings = alloc_siblings(cs, &hint.subtree_siblings)?;
    let empty = FpVar::Constant(SparseMerkleTree::new(batch_height).root());
    root_from_path(cs, &empty, &position, &siblings)?.enforce_equal(&root)?;
    Ok(TreeVars {
        root: root_from_path(cs, &subtree, &position, &siblings)?,
        next_index: block_start
            .add_scaled(block_size, &Linear::from_bool(placement.closes))
            .to_var(cs)?,
    })
}

/// A leaf of the batch being built, and whether its slot holds one (an empty slot is the
/// empty leaf 0).
struct BatchLeaf {
    leaf: LeafVars,
    real: Boolean<Fr>,
}

/// The fields of a leaf preimage: `key, [value,] next_index, next_key`.
fn fields(leaf: &LeafVars) -> Vec<&FpVar<Fr>> {
    let mut out = vec![&leaf.key];
    out.extend(leaf.value.as_ref());
    out.push(&leaf.next_index);
    out.push(&leaf.next_key);
    out
}

/// The leaf of [`fields`].
fn from_fields(mut fields: Vec<FpVar<Fr>>) -> LeafVars {
    let next_key = fields.pop().expect("four or three fields");
    let next_index = fields.pop().expect("four or three fields");
    let value = (fields.len() == 2).then(|| fields.pop().expect("a value"));
    LeafVars {
        key: fields.pop().expect("a key"),
        value,
        next_index,
        next_key,
    }
}
