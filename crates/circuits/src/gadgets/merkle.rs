//! Merkle gadgets over the Poseidon node hash `parent = Poseidon(left, right)` of
//! `fernet_state::SparseMerkleTree`.

use ark_bn254::Fr;
use ark_r1cs_std::{fields::fp::FpVar, prelude::Boolean, select::CondSelectGadget};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::{linear::Linear, poseidon};

/// The root above `node` at position `index_bits` (little-endian, one per level) along
/// `siblings` (bottom-up): bit `k` set means the node is the right child at step `k`, as in
/// `MerklePath::compute_root`. Costs one hash and one selection per level.
///
/// # Panics
/// If `index_bits` and `siblings` differ in length.
///
/// # Errors
/// Only errors of the constraint system.
pub fn root_from_path(
    cs: &ConstraintSystemRef<Fr>,
    node: &FpVar<Fr>,
    index_bits: &[Boolean<Fr>],
    siblings: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    assert_eq!(index_bits.len(), siblings.len(), "one index bit per level");
    let mut acc = node.clone();
    for (bit, sibling) in index_bits.iter().zip(siblings) {
        let left = FpVar::conditionally_select(bit, sibling, &acc)?;
        // right = acc + sibling - left, free.
        let right = Linear::from_var(&acc)
            .add(&Linear::from_var(sibling))
            .sub(&Linear::from_var(&left));
        let hashed = poseidon::hash_linear(cs, &[Linear::from_var(&left), right])?;
        acc = hashed.to_var(cs)?;
    }
    Ok(acc)
}

/// The root of the complete tree over `leaves` (a power of two of them), level by level as
/// `SparseMerkleTree::update_subtree` hashes a subtree.
///
/// # Panics
/// If the number of leaves is not a power of two.
///
/// # Errors
/// Only errors of the constraint system.
pub fn subtree_root(
    cs: &ConstraintSystemRef<Fr>,
    leaves: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    assert!(leaves.len().is_power_of_two(), "a subtree has 2^h leaves");
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| poseidon::hash(cs, pair))
            .collect::<Result<_, _>>()?;
    }
    Ok(level.swap_remove(0))
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use fernet_state::SparseMerkleTree;

    use super::*;

    #[test]
    fn path_and_subtree_roots_match_the_native_tree() {
        let mut tree = SparseMerkleTree::new(6);
        tree.update_subtree(0, 9, &[Fr::from(99u64)]).unwrap();
        let leaves: Vec<Fr> = (1..=4).map(Fr::from).collect();
        let update = tree.update_subtree(2, 5, &leaves).unwrap();

        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf_vars: Vec<FpVar<Fr>> = leaves
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let node = subtree_root(&cs, &leaf_vars).unwrap();
        assert_eq!(node.value().unwrap(), update.new_node);
        let bits: Vec<Boolean<Fr>> = (0..4)
            .map(|k| Boolean::new_witness(cs.clone(), || Ok((5u64 >> k) & 1 == 1)).unwrap())
            .collect();
        let siblings: Vec<FpVar<Fr>> = update
            .path
            .siblings
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let root = root_from_path(&cs, &node, &bits, &siblings).unwrap();
        assert_eq!(root.value().unwrap(), update.new_root);
        assert!(cs.is_satisfied().unwrap());
    }
}
