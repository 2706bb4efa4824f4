//! The public data tree: a key-value store kept as an indexed tree, so keys are arbitrary
//! field elements (no key-to-index collisions) and a depth of 32-40 suffices. Leaf preimage
//! `(key, value, next_index, next_key)`, leaf hash `Poseidon(key, value, next_index,
//! next_key)`. A write to a known key updates its leaf in place; a write to a new key
//! inserts a leaf. Unwritten keys read as 0; key 0 is reserved (it means "no write").

use ark_ff::AdditiveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{
    field::Fr,
    indexed::{IndexedLeaf, IndexedTree, IndexedWriteWitness},
    merkle::SparseMerkleTree,
    poseidon, Result,
};

const TREE: &str = "public data tree";

/// A public data leaf preimage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PublicDataLeaf {
    /// Storage key.
    pub key: Fr,
    /// Stored value.
    pub value: Fr,
    /// Index of the leaf with the next larger key (0 at the end).
    pub next_index: u64,
    /// The next larger key (0 at the end).
    pub next_key: Fr,
}

impl IndexedLeaf for PublicDataLeaf {
    fn genesis() -> Self {
        Self {
            key: Fr::ZERO,
            value: Fr::ZERO,
            next_index: 0,
            next_key: Fr::ZERO,
        }
    }

    fn key(&self) -> Fr {
        self.key
    }

    fn next_index(&self) -> u64 {
        self.next_index
    }

    fn next_key(&self) -> Fr {
        self.next_key
    }

    fn set_next(&mut self, next_index: u64, next_key: Fr) {
        self.next_index = next_index;
        self.next_key = next_key;
    }

    fn hash(&self) -> Fr {
        poseidon::hash([
            self.key,
            self.value,
            Fr::from(self.next_index),
            self.next_key,
        ])
    }
}

/// Witness of one public data slot: an update in place, an insertion, or a no-op.
pub type PublicDataWitness = IndexedWriteWitness<PublicDataLeaf>;

/// The public data tree.
#[derive(Debug, Clone)]
pub struct PublicDataTree {
    inner: IndexedTree<PublicDataLeaf>,
}

impl PublicDataTree {
    /// A tree rebuilt from a checkpoint's Merkle tree and leaves.
    pub(crate) fn from_parts(tree: SparseMerkleTree, leaves: Vec<PublicDataLeaf>) -> Self {
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
    pub fn inner(&self) -> &IndexedTree<PublicDataLeaf> {
        &self.inner
    }

    /// Value stored under `key` (0 if never written).
    pub fn read(&self, key: &Fr) -> Fr {
        self.inner
            .find(key)
            .and_then(|index| self.inner.leaf(index))
            .map_or(Fr::ZERO, |leaf| leaf.value)
    }

    /// Writes `value` under `key`: in place if the key has a leaf, else by insertion.
    pub fn write(&mut self, key: Fr, value: Fr) -> Result<PublicDataWitness> {
        match self.inner.find(&key).filter(|_| key != Fr::ZERO) {
            Some(index) => self.inner.update(index, |leaf| leaf.value = value),
            None => self.inner.insert(PublicDataLeaf {
                key,
                value,
                ..PublicDataLeaf::genesis()
            }),
        }
    }

    /// Witness of an empty write slot: nothing changes.
    pub fn noop(&mut self) -> PublicDataWitness {
        self.inner.noop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{error::Error, indexed::tests::assert_witness_consistent};

    #[test]
    fn write_inserts_then_updates_in_place() {
        let mut tree = PublicDataTree::new(8);
        let key = Fr::from(77u64);
        assert_eq!(tree.read(&key), Fr::ZERO);
        let insert = tree.write(key, Fr::from(1u64)).unwrap();
        assert!(insert.inserted);
        assert_witness_consistent(&insert);
        let update = tree.write(key, Fr::from(2u64)).unwrap();
        assert!(!update.inserted);
        assert_witness_consistent(&update);
        assert_eq!(update.low_leaf.value, Fr::from(1u64));
        assert_eq!(update.new_leaf.value, Fr::from(2u64));
        assert_eq!(tree.read(&key), Fr::from(2u64));
        assert_eq!(tree.inner().next_index(), 2);
        assert_eq!(
            tree.write(Fr::ZERO, Fr::from(1u64)),
            Err(Error::ReservedKey { tree: TREE })
        );
    }
}
