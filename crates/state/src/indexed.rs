//! Indexed Merkle tree (Aztec): leaves form a linked list sorted by key, so non-membership of
//! a key is proven by one "low leaf" whose key is below it and whose successor is above it
//! (or is the end of the list, `next_key = 0`). Index 0 holds the all-zero genesis leaf, so
//! key 0 is reserved and every key has a low leaf. Empty slots are the zero leaf value 0.
//!
//! The leaves and the key index are persistent collections ([`imbl::Vector`],
//! [`imbl::OrdMap`]), like the Merkle nodes: a clone is O(1) and shares them with the original
//! until one of the two is written.

use ark_ff::AdditiveGroup;
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};

use crate::{
    error::Error,
    field::Fr,
    merkle::{MerkleUpdate, SparseMerkleTree},
    Result,
};

/// A leaf of an indexed tree: a sorted-list node with a key, its hash being the tree leaf.
pub trait IndexedLeaf: Clone + std::fmt::Debug + PartialEq + Eq {
    /// The all-zero leaf stored at index 0 of a new tree.
    fn genesis() -> Self;
    /// The key the list is sorted by.
    fn key(&self) -> Fr;
    /// Index of the leaf with the next larger key (0 at the end of the list).
    fn next_index(&self) -> u64;
    /// The next larger key (0 at the end of the list).
    fn next_key(&self) -> Fr;
    /// Points the leaf to a new successor.
    fn set_next(&mut self, next_index: u64, next_key: Fr);
    /// Takes the payload (what is neither the key nor the successor) of `from`: the value of
    /// a public data leaf; nothing for a nullifier.
    fn set_payload(&mut self, from: &Self);
    /// The tree leaf value: the Poseidon hash of the preimage.
    fn hash(&self) -> Fr;
}

/// Witness of one write to an indexed tree, in a fixed shape for every kind of write: first
/// `low_leaf_update` rewrites the low leaf, then `new_leaf_update` writes `new_leaf`.
///
/// * Insertion (`inserted`): `low_leaf` is the preimage of the predecessor before the write
///   (`low.key < key` and `key < low.next_key` or `low.next_key = 0`); the update points it
///   to `(new_leaf_index, key)`; `new_leaf` takes the low leaf's old successor and is written
///   into the empty slot `new_leaf_index` (`new_leaf_update.old_node = 0`).
/// * Update in place (not `inserted`): `low_leaf` is the leaf holding the key; its update
///   writes `new_leaf` at `low_leaf_index`; `new_leaf_update` rewrites that same leaf
///   unchanged.
/// * No-op (padding): both updates rewrite leaf 0 unchanged.
///
/// Every `MerkleUpdate` is a real, verifiable write, so a circuit can check both paths
/// unconditionally; `new_leaf_update.new_node == new_leaf.hash()` always holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedWriteWitness<L> {
    /// Preimage of the low leaf (or of the updated leaf) before the write.
    pub low_leaf: L,
    /// Index of `low_leaf`.
    pub low_leaf_index: u64,
    /// The write of the low leaf.
    pub low_leaf_update: MerkleUpdate,
    /// Preimage of the leaf written last.
    pub new_leaf: L,
    /// Index of `new_leaf`.
    pub new_leaf_index: u64,
    /// The write of `new_leaf`, made on the tree after `low_leaf_update`.
    pub new_leaf_update: MerkleUpdate,
    /// Whether a new leaf was inserted (the tree's next index advanced by one).
    pub inserted: bool,
}

// ark-serialize's derive adds no bounds on type parameters, so the generic witness gets
// hand-written impls: the fields in declaration order, as the derive would write them.
impl<L: CanonicalSerialize> CanonicalSerialize for IndexedWriteWitness<L> {
    fn serialize_with_mode<W: Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.low_leaf.serialize_with_mode(&mut writer, compress)?;
        self.low_leaf_index
            .serialize_with_mode(&mut writer, compress)?;
        self.low_leaf_update
            .serialize_with_mode(&mut writer, compress)?;
        self.new_leaf.serialize_with_mode(&mut writer, compress)?;
        self.new_leaf_index
            .serialize_with_mode(&mut writer, compress)?;
        self.new_leaf_update
            .serialize_with_mode(&mut writer, compress)?;
        self.inserted.serialize_with_mode(&mut writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.low_leaf.serialized_size(compress)
            + self.low_leaf_index.serialized_size(compress)
            + self.low_leaf_update.serialized_size(compress)
            + self.new_leaf.serialized_size(compress)
            + self.new_leaf_index.serialized_size(compress)
            + self.new_leaf_update.serialized_size(compress)
            + self.inserted.serialized_size(compress)
    }
}

impl<L: Valid> Valid for IndexedWriteWitness<L> {
    fn check(&self) -> Result<(), SerializationError> {
        self.low_leaf.check()?;
        self.low_leaf_update.check()?;
        self.new_leaf.check()?;
        self.new_leaf_update.check()
    }
}

impl<L: CanonicalDeserialize> CanonicalDeserialize for IndexedWriteWitness<L> {
    fn deserialize_with_mode<R: Read>(
        mut reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(Self {
            low_leaf: L::deserialize_with_mode(&mut reader, compress, validate)?,
            low_leaf_index: u64::deserialize_with_mode(&mut reader, compress, validate)?,
            low_leaf_update: MerkleUpdate::deserialize_with_mode(&mut reader, compress, validate)?,
            new_leaf: L::deserialize_with_mode(&mut reader, compress, validate)?,
            new_leaf_index: u64::deserialize_with_mode(&mut reader, compress, validate)?,
            new_leaf_update: MerkleUpdate::deserialize_with_mode(&mut reader, compress, validate)?,
            inserted: bool::deserialize_with_mode(&mut reader, compress, validate)?,
        })
    }
}

impl<L> IndexedWriteWitness<L> {
    /// Root before the write.
    pub fn old_root(&self) -> Fr {
        self.low_leaf_update.old_root
    }

    /// Root after the write.
    pub fn new_root(&self) -> Fr {
        self.new_leaf_update.new_root
    }
}

/// One slot of a batch write ([`IndexedTree::write_batch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSlot<L> {
    /// Preimage of the low leaf before this slot's insertion (the genesis leaf for an empty
    /// slot).
    pub low_leaf: L,
    /// Its index: in the tree, or (pending) its slot in the batch.
    pub low_leaf_index: u64,
    /// Whether the low leaf is a leaf of the same batch, inserted by an earlier slot.
    pub pending: bool,
    /// The Merkle write of the low leaf re-pointed to the new key; for a pending low leaf or
    /// an empty slot, leaf 0 rewritten unchanged.
    pub low_leaf_update: MerkleUpdate,
}

/// Witness of a batch insertion: per slot its low leaf, then the subtree write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInsertion<L> {
    /// One per slot, in slot order.
    pub slots: Vec<BatchSlot<L>>,
    /// The write of the batch's subtree (from the empty subtree to the final batch leaves).
    pub subtree_update: MerkleUpdate,
}

/// An indexed Merkle tree over leaves of type `L`. `Clone` is O(1) and shares the storage
/// with the original (see the module docs).
#[derive(Debug, Clone)]
pub struct IndexedTree<L> {
    name: &'static str,
    tree: SparseMerkleTree,
    /// Leaf preimages by index; `None` is an empty slot inside a batch's subtree.
    leaves: imbl::Vector<Option<L>>,
    by_key: imbl::OrdMap<Fr, u64>,
}

impl<L: IndexedLeaf> IndexedTree<L> {
    /// A tree of `depth` holding only the genesis leaf at index 0; `name` labels errors.
    pub fn new(name: &'static str, depth: usize) -> Self {
        let mut tree = SparseMerkleTree::new(depth);
        let genesis = L::genesis();
        tree.update_subtree(0, 0, &[genesis.hash()])
            .expect("index 0 exists in every tree of depth >= 0");
        Self {
            name,
            tree,
            by_key: imbl::OrdMap::unit(genesis.key(), 0),
            leaves: imbl::Vector::unit(Some(genesis)),
        }
    }

    /// A tree rebuilt from a checkpoint's `tree` and `leaves` ([`Self::leaves`]).
    pub(crate) fn from_parts(
        name: &'static str,
        tree: SparseMerkleTree,
        leaves: Vec<Option<L>>,
    ) -> Self {
        let by_key = (0u64..)
            .zip(&leaves)
            .filter_map(|(index, leaf)| leaf.as_ref().map(|leaf| (leaf.key(), index)))
            .collect();
        Self {
            name,
            tree,
            leaves: leaves.into(),
            by_key,
        }
    }

    /// Every leaf preimage by index (`None` for an empty slot of a batch).
    pub(crate) fn leaves(&self) -> Vec<Option<L>> {
        self.leaves.iter().cloned().collect()
    }

    /// Current root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// First free leaf index (the number of leaf slots, genesis and empty batch slots
    /// included).
    pub fn next_index(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// The underlying Merkle tree.
    pub fn tree(&self) -> &SparseMerkleTree {
        &self.tree
    }

    /// Preimage of the leaf at `index`, if written.
    pub fn leaf(&self, index: u64) -> Option<&L> {
        self.leaves.get(usize::try_from(index).ok()?)?.as_ref()
    }

    /// Index of the leaf holding `key`.
    pub fn find(&self, key: &Fr) -> Option<u64> {
        self.by_key.get(key).copied()
    }

    /// Index of the leaf with the largest key strictly below `key` (`None` only for key 0).
    pub fn low_leaf_index(&self, key: &Fr) -> Option<u64> {
        self.by_key
            .range(..*key)
            .next_back()
            .map(|(_, index)| *index)
    }

    /// Fails with [`Error::TreeFull`] unless `needed` more leaves fit.
    pub fn check_capacity(&self, needed: u64) -> Result<()> {
        let capacity = self.tree.capacity();
        let next_index = self.next_index();
        if capacity - next_index < needed {
            return Err(Error::TreeFull {
                tree: self.name,
                next_index,
                needed,
                capacity,
            });
        }
        Ok(())
    }

    /// Inserts `leaf` (its successor fields are overwritten) after its low leaf.
    pub fn insert(&mut self, mut leaf: L) -> Result<IndexedWriteWitness<L>> {
        let key = leaf.key();
        if key == Fr::ZERO {
            return Err(Error::ReservedKey { tree: self.name });
        }
        if self.find(&key).is_some() {
            return Err(Error::KeyExists {
                tree: self.name,
                key,
            });
        }
        self.check_capacity(1)?;
        let low_leaf_index = self
            .low_leaf_index(&key)
            .expect("genesis key 0 is below every key");
        let new_leaf_index = self.next_index();
        let low_leaf = self.existing(low_leaf_index)?;
        leaf.set_next(low_leaf.next_index(), low_leaf.next_key());
        let mut low_after = low_leaf.clone();
        low_after.set_next(new_leaf_index, key);
        let low_leaf_update = self
            .tree
            .update_subtree(0, low_leaf_index, &[low_after.hash()])?;
        let new_leaf_update = self
            .tree
            .update_subtree(0, new_leaf_index, &[leaf.hash()])?;
        self.leaves.set(low_leaf_index as usize, Some(low_after));
        self.leaves.push_back(Some(leaf.clone()));
        self.by_key.insert(key, new_leaf_index);
        Ok(IndexedWriteWitness {
            low_leaf,
            low_leaf_index,
            low_leaf_update,
            new_leaf: leaf,
            new_leaf_index,
            new_leaf_update,
            inserted: true,
        })
    }

    /// Changes the payload of the leaf at `index` in place; `change` must keep its key and
    /// successor, which is checked.
    ///
    /// # Panics
    /// If `change` alters the key or the successor of the leaf.
    pub fn update(
        &mut self,
        index: u64,
        change: impl FnOnce(&mut L),
    ) -> Result<IndexedWriteWitness<L>> {
        let low_leaf = self.existing(index)?;
        let (new_leaf, low_leaf_update) = self.rewrite(index, change)?;
        let new_leaf_update = self.tree.update_subtree(0, index, &[new_leaf.hash()])?;
        Ok(IndexedWriteWitness {
            low_leaf,
            low_leaf_index: index,
            low_leaf_update,
            new_leaf,
            new_leaf_index: index,
            new_leaf_update,
            inserted: false,
        })
    }

    /// Changes the payload of the leaf at `index` in place with a single Merkle write;
    /// returns the leaf after the change and the write. `change` must keep the key and the
    /// successor, which is checked.
    ///
    /// # Panics
    /// If `change` alters the key or the successor of the leaf.
    pub fn rewrite(
        &mut self,
        index: u64,
        change: impl FnOnce(&mut L),
    ) -> Result<(L, MerkleUpdate)> {
        let old = self.existing(index)?;
        let mut new_leaf = old.clone();
        change(&mut new_leaf);
        assert_eq!(
            (new_leaf.key(), new_leaf.next_index(), new_leaf.next_key()),
            (old.key(), old.next_index(), old.next_key()),
            "an in-place update keeps the key and the list links"
        );
        let update = self.tree.update_subtree(0, index, &[new_leaf.hash()])?;
        self.leaves.set(index as usize, Some(new_leaf.clone()));
        Ok((new_leaf, update))
    }

    fn existing(&self, index: u64) -> Result<L> {
        self.leaf(index).cloned().ok_or(Error::IndexOutOfRange {
            index,
            height: 0,
            depth: self.tree.depth(),
        })
    }

    /// Leaves the slots up to `next_index` empty (`None`), so the next batch starts there.
    pub(crate) fn skip_to(&mut self, next_index: u64) {
        while self.next_index() < next_index {
            self.leaves.push_back(None);
        }
    }

    /// The first index at or after `next_index` aligned to `2^height`: where the next batch
    /// subtree of that height starts.
    pub fn batch_start(&self, height: usize) -> u64 {
        self.next_index().next_multiple_of(1 << height)
    }

    /// Moves `next_index` to `end` (the slots in between stay empty): closes a block's batch
    /// subtree whose parts did not fill it.
    pub fn close_batch(&mut self, end: u64) -> Result<()> {
        self.check_capacity(end.saturating_sub(self.next_index()))?;
        self.skip_to(end);
        Ok(())
    }

    /// Writes `new_leaves` (key 0: an empty slot) as one batch: each new key is inserted into
    /// slot `w` of the subtree of `2^height` slots at `start` (aligned, at or after
    /// `next_index`; the slots in between stay empty), linked in order behind its low leaf,
    /// which is either a leaf of the tree (rewritten in the tree, one Merkle write) or a leaf
    /// of this batch written by an earlier slot (pending: changed in the batch, the Merkle
    /// write is an unchanged rewrite of leaf 0). With `updates`, a key that already has a leaf
    /// (in the tree or earlier in the batch) takes the payload of `new_leaves[w]` in place
    /// ([`IndexedLeaf::set_payload`]) and its slot stays empty; without, it is an error. Then
    /// the subtree of the final batch leaves replaces the empty subtree, inserted or not, and
    /// `next_index` becomes `start + 2^height`: every block takes its subtree, so where a
    /// block's leaves go never depends on what its other parts insert.
    ///
    /// Fails, changing nothing, on a key the batch may not write again, on a batch that does
    /// not fit, or on a `start` that is not an aligned index at or after `next_index`.
    pub fn write_batch(
        &mut self,
        start: u64,
        height: usize,
        new_leaves: &[L],
        updates: bool,
    ) -> Result<BatchInsertion<L>> {
        let size = 1u64 << height;
        if new_leaves.len() as u64 > size {
            return Err(Error::SubtreeSize {
                height,
                expected: size as usize,
                actual: new_leaves.len(),
            });
        }
        let next_index = self.next_index();
        if start < next_index || !start.is_multiple_of(size) {
            return Err(Error::BatchPosition {
                tree: self.name,
                start,
                next_index,
                height,
            });
        }
        self.check_capacity(start - next_index + size)?;
        let mut seen = std::collections::HashSet::new();
        for leaf in new_leaves.iter().filter(|leaf| leaf.key() != Fr::ZERO) {
            let known = self.find(&leaf.key()).is_some() || !seen.insert(leaf.key());
            if known && !updates {
                return Err(Error::KeyExists {
                    tree: self.name,
                    key: leaf.key(),
                });
            }
        }
        let mut pending: Vec<Option<L>> = vec![None; size as usize];
        let mut slots = Vec::with_capacity(new_leaves.len());
        for (w, leaf) in (0u64..).zip(new_leaves) {
            let key = leaf.key();
            if key == Fr::ZERO {
                slots.push(self.untouched_slot());
                continue;
            }
            let existing = self.find(&key);
            let low_index = existing.unwrap_or_else(|| {
                self.low_leaf_index(&key)
                    .expect("genesis key 0 is below every key")
            });
            let low = if low_index >= start {
                pending[(low_index - start) as usize]
                    .clone()
                    .expect("a pending key has a leaf")
            } else {
                self.existing(low_index)?
            };
            let mut low_after = low.clone();
            if existing.is_some() {
                low_after.set_payload(leaf);
            } else {
                let mut new_leaf = leaf.clone();
                new_leaf.set_next(low.next_index(), low.next_key());
                low_after.set_next(start + w, key);
                pending[w as usize] = Some(new_leaf);
                self.by_key.insert(key, start + w);
            }
            let slot = if low_index >= start {
                let k = low_index - start;
                pending[k as usize] = Some(low_after);
                BatchSlot {
                    low_leaf: low,
                    low_leaf_index: k,
                    pending: true,
                    low_leaf_update: self.untouched_slot().low_leaf_update,
                }
            } else {
                let low_leaf_update =
                    self.tree
                        .update_subtree(0, low_index, &[low_after.hash()])?;
                self.leaves.set(low_index as usize, Some(low_after));
                BatchSlot {
                    low_leaf: low,
                    low_leaf_index: low_index,
                    pending: false,
                    low_leaf_update,
                }
            };
            slots.push(slot);
        }
        let hashes: Vec<Fr> = pending
            .iter()
            .map(|leaf| leaf.as_ref().map_or(Fr::ZERO, L::hash))
            .collect();
        self.skip_to(start);
        self.leaves.extend(pending);
        let subtree_update = self.tree.update_subtree(height, start >> height, &hashes)?;
        Ok(BatchInsertion {
            slots,
            subtree_update,
        })
    }

    /// The slot witness of an empty batch slot: the genesis leaf, rewritten unchanged.
    fn untouched_slot(&mut self) -> BatchSlot<L> {
        let (low_leaf, low_leaf_update) = self.rewrite(0, |_| {}).expect("leaf 0 always exists");
        BatchSlot {
            low_leaf,
            low_leaf_index: 0,
            pending: false,
            low_leaf_update,
        }
    }

    /// The witness of a write that changes nothing (a padding slot): leaf 0 rewritten twice.
    pub fn noop(&mut self) -> IndexedWriteWitness<L> {
        self.update(0, |_| {}).expect("leaf 0 always exists")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{merkle::tests::dense_root, poseidon};

    /// A minimal leaf type to test the generic tree.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct TestLeaf {
        key: Fr,
        payload: Fr,
        next_index: u64,
        next_key: Fr,
    }

    impl IndexedLeaf for TestLeaf {
        fn genesis() -> Self {
            Self {
                key: Fr::ZERO,
                payload: Fr::ZERO,
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
        fn set_payload(&mut self, from: &Self) {
            self.payload = from.payload;
        }
        fn hash(&self) -> Fr {
            poseidon::hash([
                self.key,
                self.payload,
                Fr::from(self.next_index),
                self.next_key,
            ])
        }
    }

    fn leaf(key: u64) -> TestLeaf {
        TestLeaf {
            key: Fr::from(key),
            payload: Fr::from(key * 10),
            ..TestLeaf::genesis()
        }
    }

    /// Checks both updates of a witness against their roots and each other.
    pub(crate) fn assert_witness_consistent<L: IndexedLeaf>(w: &IndexedWriteWitness<L>) {
        let low = &w.low_leaf_update;
        let new = &w.new_leaf_update;
        assert_eq!(low.old_node, w.low_leaf.hash());
        assert_eq!(
            low.path.compute_root(low.old_node, w.low_leaf_index),
            low.old_root
        );
        assert_eq!(
            low.path.compute_root(low.new_node, w.low_leaf_index),
            low.new_root
        );
        assert_eq!(new.old_root, low.new_root);
        assert_eq!(
            new.path.compute_root(new.old_node, w.new_leaf_index),
            new.old_root
        );
        assert_eq!(
            new.path.compute_root(new.new_node, w.new_leaf_index),
            new.new_root
        );
        assert_eq!(new.new_node, w.new_leaf.hash());
        if w.inserted {
            assert_eq!(new.old_node, Fr::ZERO);
            assert!(w.low_leaf.key() < w.new_leaf.key());
            assert!(w.low_leaf.next_key() > w.new_leaf.key() || w.low_leaf.next_key() == Fr::ZERO);
        }
    }

    #[test]
    fn inserts_keep_sorted_links_and_match_dense_root() {
        let mut tree = IndexedTree::<TestLeaf>::new("test tree", 4);
        for key in [30u64, 10, 20, 40] {
            let witness = tree.insert(leaf(key)).unwrap();
            assert_witness_consistent(&witness);
            assert_eq!(witness.new_root(), tree.root());
        }
        // Walk the list from genesis: keys come out sorted.
        let mut keys = vec![];
        let mut at = tree.leaf(0).unwrap();
        while at.next_key != Fr::ZERO {
            keys.push(at.next_key);
            at = tree.leaf(at.next_index).unwrap();
        }
        assert_eq!(keys, [10u64, 20, 30, 40].map(Fr::from));
        let hashes: Vec<Fr> = (0..5).map(|i| tree.leaf(i).unwrap().hash()).collect();
        assert_eq!(tree.root(), dense_root(4, &hashes));
    }

    #[test]
    fn update_and_noop_witnesses_are_valid() {
        let mut tree = IndexedTree::<TestLeaf>::new("test tree", 4);
        tree.insert(leaf(5)).unwrap();
        let before = tree.root();
        let noop = tree.noop();
        assert_witness_consistent(&noop);
        assert_eq!((noop.old_root(), noop.new_root()), (before, before));
        let update = tree.update(1, |l| l.payload = Fr::from(99u64)).unwrap();
        assert_witness_consistent(&update);
        assert!(!update.inserted);
        assert_eq!(tree.leaf(1).unwrap().payload, Fr::from(99u64));
        assert_eq!(update.new_root(), tree.root());
    }

    #[test]
    fn rejects_reserved_duplicate_and_overflow() {
        let mut tree = IndexedTree::<TestLeaf>::new("test tree", 2);
        assert_eq!(
            tree.insert(leaf(0)),
            Err(Error::ReservedKey { tree: "test tree" })
        );
        tree.insert(leaf(7)).unwrap();
        assert_eq!(
            tree.insert(leaf(7)),
            Err(Error::KeyExists {
                tree: "test tree",
                key: Fr::from(7u64)
            })
        );
        tree.insert(leaf(8)).unwrap();
        tree.insert(leaf(9)).unwrap();
        assert_eq!(
            tree.insert(leaf(10)),
            Err(Error::TreeFull {
                tree: "test tree",
                next_index: 4,
                needed: 1,
                capacity: 4
            })
        );
    }
}
