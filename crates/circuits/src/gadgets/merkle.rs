//! Merkle gadgets over the arity-4 node hash `parent = Poseidon(c0, c1, c2, c3)` (width 5) of
//! `fernet_state::SparseMerkleTree`: a level consumes 2 bits of the index.

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, prelude::Boolean};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use fernet_state::{ARITY, LEVEL_BITS};

use super::{
    linear::{mul, Linear},
    poseidon,
};

/// Constraints [`place`] spends per level.
pub const PLACE_CONSTRAINTS: usize = 5;

/// The four children of a node whose child number `b0 + 2 b1` is `node` and whose other
/// children are `siblings` in order, as `fernet_state::merkle::place`. Five constraints:
/// `u = b0 ? s0 : node`, `c0 = b1 ? s0 : u`, `c1 = b1 ? s1 : (node + s0 - u)`,
/// `w = b0 ? node : s2`, `c3 = b1 ? w : s2`, and `c2` is the sum of the four inputs minus
/// `c0 + c1 + c3` (free).
fn place(
    cs: &ConstraintSystemRef<Fr>,
    node: &Linear,
    b0: &Boolean<Fr>,
    b1: &Boolean<Fr>,
    siblings: &[Linear; ARITY - 1],
) -> Result<[Linear; ARITY], SynthesisError> {
    let [s0, s1, s2] = siblings;
    let (b0, b1) = (Linear::from_bool(b0), Linear::from_bool(b1));
    // select(bit, a, b) = b + bit * (a - b): one constraint.
    let select = |bit: &Linear, a: &Linear, b: &Linear| -> Result<Linear, SynthesisError> {
        Ok(b.add(&mul(cs, bit, &a.sub(b))?))
    };
    let u = select(&b0, s0, node)?;
    let c0 = select(&b1, s0, &u)?;
    let v = node.add(s0).sub(&u);
    let c1 = select(&b1, s1, &v)?;
    let w = select(&b0, node, s2)?;
    let c3 = select(&b1, &w, s2)?;
    let c2 = node.add(s0).add(s1).add(s2).sub(&c0).sub(&c1).sub(&c3);
    Ok([c0, c1, c2, c3])
}

/// The root above `node` at position `index_bits` (little-endian, two per level) along the
/// sibling triples `siblings` (bottom-up): at step `k` the node is child
/// `bit[2k] + 2 bit[2k + 1]` of its parent, as in `MerklePath::compute_root`. Costs one width-5
/// hash (300 constraints) and [`PLACE_CONSTRAINTS`] per level.
///
/// # Panics
/// If `index_bits` does not hold two bits per level of `siblings`.
///
/// # Errors
/// Only errors of the constraint system.
pub fn root_from_path(
    cs: &ConstraintSystemRef<Fr>,
    node: &FpVar<Fr>,
    index_bits: &[Boolean<Fr>],
    siblings: &[[FpVar<Fr>; ARITY - 1]],
) -> Result<FpVar<Fr>, SynthesisError> {
    assert_eq!(
        index_bits.len(),
        LEVEL_BITS * siblings.len(),
        "two index bits per level"
    );
    let mut acc = Linear::from_var(node);
    for (bits, triple) in index_bits.chunks(LEVEL_BITS).zip(siblings) {
        let triple = [0, 1, 2].map(|j| Linear::from_var(&triple[j]));
        let children = place(cs, &acc, &bits[0], &bits[1], &triple)?;
        acc = poseidon::hash_linear(cs, &children)?;
    }
    acc.to_var(cs)
}

/// Allocates the sibling triples of a path as witnesses.
///
/// # Errors
/// Only errors of the constraint system.
pub fn alloc_siblings(
    cs: &ConstraintSystemRef<Fr>,
    siblings: &[[Fr; ARITY - 1]],
) -> Result<Vec<[FpVar<Fr>; ARITY - 1]>, SynthesisError> {
    siblings
        .iter()
        .map(|triple| {
            let [a, b, c] = *triple;
            Ok([
                FpVar::new_witness(cs.clone(), || Ok(a))?,
                FpVar::new_witness(cs.clone(), || Ok(b))?,
                FpVar::new_witness(cs.clone(), || Ok(c))?,
            ])
        })
        .collect()
}

/// The root of the complete arity-4 tree over `leaves` (a power of four of them), level by
/// level as `SparseMerkleTree::update_subtree` hashes a subtree.
///
/// # Panics
/// If the number of leaves is not a power of four.
///
/// # Errors
/// Only errors of the constraint system.
pub fn subtree_root(
    cs: &ConstraintSystemRef<Fr>,
    leaves: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    assert!(
        leaves.len().is_power_of_two() && leaves.len().trailing_zeros().is_multiple_of(2),
        "a subtree has 4^k leaves"
    );
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(ARITY)
            .map(|children| poseidon::hash(cs, children))
            .collect::<Result<_, _>>()?;
    }
    Ok(level.swap_remove(0))
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use fernet_state::SparseMerkleTree;

    use super::*;

    fn witness(cs: &ConstraintSystemRef<Fr>, x: Fr) -> FpVar<Fr> {
        FpVar::new_witness(cs.clone(), || Ok(x)).unwrap()
    }

    fn triples(cs: &ConstraintSystemRef<Fr>, path: &[[Fr; 3]]) -> Vec<[FpVar<Fr>; 3]> {
        path.iter().map(|t| t.map(|x| witness(cs, x))).collect()
    }

    fn bits(cs: &ConstraintSystemRef<Fr>, index: u64, n: usize) -> Vec<Boolean<Fr>> {
        (0..n)
            .map(|k| Boolean::new_witness(cs.clone(), || Ok((index >> k) & 1 == 1)).unwrap())
            .collect()
    }

    #[test]
    fn path_and_subtree_roots_match_the_native_tree() {
        let mut tree = SparseMerkleTree::new(6);
        tree.update_subtree(0, 9, &[Fr::from(99u64)]).unwrap();
        let leaves: Vec<Fr> = (1..=4).map(Fr::from).collect();
        let update = tree.update_subtree(2, 5, &leaves).unwrap();

        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf_vars: Vec<FpVar<Fr>> = leaves.iter().map(|x| witness(&cs, *x)).collect();
        let node = subtree_root(&cs, &leaf_vars).unwrap();
        assert_eq!(node.value().unwrap(), update.new_node);
        let bits = bits(&cs, 5, 4);
        let siblings = triples(&cs, &update.path.siblings);
        let root = root_from_path(&cs, &node, &bits, &siblings).unwrap();
        assert_eq!(root.value().unwrap(), update.new_root);
        assert!(cs.is_satisfied().unwrap());
    }

    /// Every position of the node among its siblings, at every level, against the native
    /// path, at the documented cost per level.
    #[test]
    fn every_position_matches_the_native_path_at_the_documented_cost() {
        let depth = 6;
        let mut tree = SparseMerkleTree::new(depth);
        for index in 0..64u64 {
            tree.update_subtree(0, index, &[Fr::from(index * 7 + 1)])
                .unwrap();
        }
        for index in [0u64, 1, 2, 3, 4, 27, 38, 45, 63] {
            let update = tree
                .update_subtree(0, index, &[Fr::from(1000 + index)])
                .unwrap();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let node = witness(&cs, update.new_node);
            let bits = bits(&cs, index, depth);
            let siblings = triples(&cs, &update.path.siblings);
            let before = cs.num_constraints();
            let root = root_from_path(&cs, &node, &bits, &siblings).unwrap();
            let cost = cs.num_constraints() - before;
            assert_eq!(root.value().unwrap(), update.new_root, "index {index}");
            assert_eq!(root.value().unwrap(), tree.root());
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(cost, depth / 2 * (300 + PLACE_CONSTRAINTS));
        }
    }

    /// A path with the wrong position does not reach the root: the placement is bound to
    /// the index bits.
    #[test]
    fn a_wrong_position_gives_another_root() {
        let mut tree = SparseMerkleTree::new(4);
        for index in 0..16u64 {
            tree.update_subtree(0, index, &[Fr::from(index + 1)])
                .unwrap();
        }
        let path = tree.path(0, 6).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let node = witness(&cs, Fr::from(7u64));
        let siblings = triples(&cs, &path.siblings);
        for wrong in [2u64, 5, 7, 14] {
            let bits = bits(&cs, wrong, 4);
            let root = root_from_path(&cs, &node, &bits, &siblings).unwrap();
            assert_ne!(root.value().unwrap(), tree.root(), "position {wrong}");
        }
    }
}
