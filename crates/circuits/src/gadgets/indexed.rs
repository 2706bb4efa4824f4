//! One write to an indexed Merkle tree (nullifier or public data), in the fixed shape of
//! `fernet_state::IndexedWriteWitness`: first the low leaf is rewritten, then the new leaf.
//!
//! With `exists = (low.key == key)`:
//! * insertion (`!exists`): `low.key < key` and (`key < low.next_key` or `low.next_key == 0`),
//!   comparing keys as integers in `[0, r)`; the low leaf is re-pointed to `(next_index, key)`
//!   and the new leaf `(key, [value,] low.next_index, low.next_key)` is written into the empty
//!   slot `next_index`, which then advances by one;
//! * update in place (`exists`, public data only): the low leaf's value becomes `value`, and
//!   the second write rewrites that leaf unchanged;
//! * padding (`key == 0`): `exists` holds with the genesis leaf, and the value must be 0, so
//!   both writes rewrite leaf 0 unchanged.
//!
//! A public data write either sets the value ([`WriteValue::Set`]) or reads, modifies and
//! writes it ([`WriteValue::Add`], the fee balances): the new value is `old + delta` with
//! `old = exists ? low.value : 0`, range-checked, so a debit larger than the balance wraps
//! around `r` and fails the range check.
//!
//! For the nullifier tree `exists` must equal `key == 0`: a non-zero nullifier that is already
//! in the tree (a double spend) makes the constraint system unsatisfiable.

use ark_bn254::Fr;
use ark_ff::AdditiveGroup;
use ark_r1cs_std::{
    alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, prelude::Boolean, select::CondSelectGadget,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use fernet_state::{NullifierWitness, PublicDataWitness};

use super::{
    linear::Linear,
    merkle::root_from_path,
    num::{alloc_uint, canonical_bits, decompose, is_less_than},
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
    /// Siblings of the low leaf's path.
    pub low_siblings: Vec<Fr>,
    /// Siblings of the second write's path (after the first write).
    pub new_siblings: Vec<Fr>,
}

impl From<&NullifierWitness> for IndexedWriteHint {
    fn from(w: &NullifierWitness) -> Self {
        Self {
            low_key: w.low_leaf.value,
            low_value: None,
            low_next_index: w.low_leaf.next_index,
            low_next_key: w.low_leaf.next_value,
            low_index: w.low_leaf_index,
            low_siblings: w.low_leaf_update.path.siblings.clone(),
            new_siblings: w.new_leaf_update.path.siblings.clone(),
        }
    }
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

/// A tree's root and next free leaf index, as circuit variables.
#[derive(Clone, Debug)]
pub struct TreeVars {
    /// The Merkle root.
    pub root: FpVar<Fr>,
    /// The first free leaf index.
    pub next_index: FpVar<Fr>,
}

/// The key (with its canonical bits) and, for public data, the value of one write.
#[derive(Clone, Copy, Debug)]
pub struct WriteInput<'a> {
    /// The key (nullifier, or public data key); 0 for a padding slot.
    pub key: &'a FpVar<Fr>,
    /// The key's canonical little-endian bits.
    pub key_bits: &'a [Boolean<Fr>],
    /// What happens to the leaf's value.
    pub value: WriteValue<'a>,
}

/// What a write does with the value of the leaf.
#[derive(Clone, Copy, Debug)]
pub enum WriteValue<'a> {
    /// Nullifier tree: leaves carry no value.
    None,
    /// Public data: the value becomes this.
    Set(&'a FpVar<Fr>),
    /// Public data, read-modify-write: the value becomes `old + delta` (`old` is the stored
    /// value, 0 for a new key), which must be below `2^bits`.
    Add {
        /// The change (negative for a debit).
        delta: &'a Linear,
        /// Bits the new value is range-checked to.
        bits: usize,
    },
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
    let has_value = !matches!(input.value, WriteValue::None);
    if hint.low_siblings.len() != depth
        || hint.new_siblings.len() != depth
        || hint.low_value.is_some() != has_value
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
    let low_siblings = hint
        .low_siblings
        .iter()
        .map(|s| witness(*s))
        .collect::<Result<Vec<_>, _>>()?;
    let new_siblings = hint
        .new_siblings
        .iter()
        .map(|s| witness(*s))
        .collect::<Result<Vec<_>, _>>()?;

    // The low leaf is in the tree.
    let low_hash = low.hash(cs)?;
    root_from_path(cs, &low_hash, &low_index_bits, &low_siblings)?.enforce_equal(&tree.root)?;

    // Which kind of write this is.
    let zero = FpVar::Constant(Fr::ZERO);
    let is_padding = input.key.is_eq(&zero)?;
    let exists = low.key.is_eq(input.key)?;
    let inserted = !&exists;
    let value = match (input.value, &low.value) {
        (WriteValue::None, _) => {
            exists.enforce_equal(&is_padding)?;
            None
        }
        (WriteValue::Set(value), _) => Some(value.clone()),
        (WriteValue::Add { delta, bits }, Some(stored)) => {
            let old = exists.select(stored, &zero)?;
            let new = Linear::from_var(&old).add(delta);
            decompose(cs, &new, bits)?;
            Some(new.to_var(cs)?)
        }
        (WriteValue::Add { .. }, None) => return Err(SynthesisError::Unsatisfiable),
    };
    if let Some(value) = &value {
        value.conditional_enforce_equal(&zero, &is_padding)?;
    }

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
