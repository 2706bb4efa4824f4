//! The indexed nullifier tree: a nullifier can be inserted once, never twice (no double
//! spend). Leaf preimage `(value, next_index, next_value)`, leaf hash
//! `Poseidon(value, next_index, next_value)`.

use ark_ff::AdditiveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{
    error::Error,
    field::Fr,
    indexed::{IndexedLeaf, IndexedTree, IndexedWriteWitness},
    merkle::SparseMerkleTree,
    poseidon, Result,
};

const TREE: &str = "nullifier tree";

/// A nullifier leaf preimage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct NullifierLeaf {
    /// The nullifier.
    pub value: Fr,
    /// Index of the leaf with the next larger nullifier (0 at the end).
    pub next_index: u64,
    /// The next larger nullifier (0 at the end).
    pub next_value: Fr,
}

impl IndexedLeaf for NullifierLeaf {
    fn genesis() -> Self {
        Self {
            value: Fr::ZERO,
            next_index: 0,
            next_value: Fr::ZERO,
        }
    }

    fn key(&self) -> Fr {
        self.value
    }

    fn next_index(&self) -> u64 {
        self.next_index
    }

    fn next_key(&self) -> Fr {
        self.next_value
    }

    fn set_next(&mut self, next_index: u64, next_key: Fr) {
        self.next_index = next_index;
        self.next_value = next_key;
    }

    fn hash(&self) -> Fr {
        poseidon::hash([self.value, Fr::from(self.next_index), self.next_value])
    }
}

/// Witness of one nullifier slot: an insertion, or a no-op for a padding slot.
pub type NullifierWitness = IndexedWriteWitness<NullifierLeaf>;

/// The nullifier tree.
#[derive(Debug, Clone)]
pub struct NullifierTree {
    inner: IndexedTree<NullifierLeaf>,
}

impl NullifierTree {
    /// A tree rebuilt from a checkpoint's Merkle tree and leaves.
    pub(crate) fn from_parts(tree: SparseMerkleTree, leaves: Vec<NullifierLeaf>) -> Self {
        Self {
            inner: IndexedTree::from_parts(TREE, tree, leaves),
        }
    }

    /// A tree of `depth` holding the genesis leaf.
    pub fn new(depth: usize) -> Self {
        Self {
            inner: IndexedTree::new(TREE, depth),
        }
    }

    /// The indexed tree (roots, leaves, low-leaf lookups).
    pub fn inner(&self) -> &IndexedTree<NullifierLeaf> {
        &self.inner
    }

    /// Whether `nullifier` has been inserted.
    pub fn contains(&self, nullifier: &Fr) -> bool {
        *nullifier != Fr::ZERO && self.inner.find(nullifier).is_some()
    }

    /// Inserts a new nullifier; [`Error::NullifierExists`] if it is already there.
    pub fn insert(&mut self, nullifier: Fr) -> Result<NullifierWitness> {
        if self.contains(&nullifier) {
            return Err(Error::NullifierExists { nullifier });
        }
        self.inner.insert(NullifierLeaf {
            value: nullifier,
            ..NullifierLeaf::genesis()
        })
    }

    /// Witness of an empty nullifier slot: nothing changes.
    pub fn noop(&mut self) -> NullifierWitness {
        self.inner.noop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indexed::tests::assert_witness_consistent;

    #[test]
    fn double_spend_is_rejected() {
        let mut tree = NullifierTree::new(8);
        let n = Fr::from(1234u64);
        let witness = tree.insert(n).unwrap();
        assert_witness_consistent(&witness);
        assert!(tree.contains(&n));
        let root = tree.inner().root();
        assert_eq!(tree.insert(n), Err(Error::NullifierExists { nullifier: n }));
        assert_eq!(tree.inner().root(), root);
        assert_eq!(
            tree.insert(Fr::ZERO),
            Err(Error::ReservedKey { tree: TREE })
        );
    }

    #[test]
    fn low_leaf_is_the_predecessor() {
        let mut tree = NullifierTree::new(8);
        tree.insert(Fr::from(100u64)).unwrap();
        tree.insert(Fr::from(300u64)).unwrap();
        let witness = tree.insert(Fr::from(200u64)).unwrap();
        assert_eq!(
            witness.low_leaf,
            NullifierLeaf {
                value: Fr::from(100u64),
                next_index: 2,
                next_value: Fr::from(300u64)
            }
        );
        assert_eq!(
            witness.new_leaf,
            NullifierLeaf {
                value: Fr::from(200u64),
                next_index: 2,
                next_value: Fr::from(300u64)
            }
        );
        assert_eq!((witness.low_leaf_index, witness.new_leaf_index), (1, 3));
        assert_witness_consistent(&witness);
    }
}
