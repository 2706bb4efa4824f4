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
    merkle::{MerkleUpdate, SparseMerkleTree},
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

    fn set_payload(&mut self, from: &Self) {
        self.value = from.value;
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

/// Witness of a write that can only change the value of an existing leaf (a fee debit): one
/// Merkle write of `leaf` at `leaf_index` to its preimage with `new_value`. When nothing is
/// written (no payer, or a payer without a balance leaf paying a zero fee) it rewrites leaf 0
/// unchanged, so a circuit checks the same shape in every case.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PublicDataUpdateWitness {
    /// Preimage of the leaf before the write.
    pub leaf: PublicDataLeaf,
    /// Its index.
    pub leaf_index: u64,
    /// Its value after the write.
    pub new_value: Fr,
    /// The write (old and new node, path, roots).
    pub update: MerkleUpdate,
}

impl PublicDataUpdateWitness {
    /// Root before the write.
    pub fn old_root(&self) -> Fr {
        self.update.old_root
    }

    /// Root after the write.
    pub fn new_root(&self) -> Fr {
        self.update.new_root
    }

    /// Whether the write changed the leaf of `key` (false for the leaf-0 rewrite of a write
    /// that changes nothing).
    pub fn wrote(&self, key: &Fr) -> bool {
        self.leaf.key == *key && *key != Fr::ZERO
    }
}

/// Witness of one app write slot of a block's batch ([`PublicDataTree::write_batch`]).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PublicDataSlotWitness {
    /// Preimage of the low leaf (or of the leaf updated in place) before the slot's write
    /// (genesis for an empty slot).
    pub low_leaf: PublicDataLeaf,
    /// Its index: in the tree, or (pending) its slot in the batch.
    pub low_leaf_index: u64,
    /// Whether that leaf was inserted by an earlier slot of the same batch.
    pub pending: bool,
    /// The Merkle write of that leaf (leaf 0 rewritten unchanged when pending or empty).
    pub low_leaf_update: MerkleUpdate,
}

/// Witness of a block's app writes: one slot witness per write slot, then the write of the
/// batch subtree holding the new keys.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PublicDataBatchWitness {
    /// One per write slot, in slot order.
    pub slots: Vec<PublicDataSlotWitness>,
    /// The subtree write (empty subtree to the batch's new leaves).
    pub subtree_update: MerkleUpdate,
}

/// The public data tree.
#[derive(Debug, Clone)]
pub struct PublicDataTree {
    inner: IndexedTree<PublicDataLeaf>,
}

impl PublicDataTree {
    /// A tree rebuilt from a checkpoint's Merkle tree and leaves.
    pub(crate) fn from_parts(tree: SparseMerkleTree, leaves: Vec<Option<PublicDataLeaf>>) -> Self {
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

    /// Writes app writes `(key, value)` (key 0: an empty slot) as one batch of
    /// `2^batch_height` slots at `start` (see [`IndexedTree::write_batch`]): a block's, or one
    /// chunk's part of it. A known key is updated in place, a new key inserted into its slot
    /// of the batch subtree.
    pub fn write_batch(
        &mut self,
        start: u64,
        batch_height: usize,
        writes: &[(Fr, Fr)],
    ) -> Result<PublicDataBatchWitness> {
        let leaves: Vec<PublicDataLeaf> = writes
            .iter()
            .map(|(key, value)| PublicDataLeaf {
                key: *key,
                value: *value,
                ..PublicDataLeaf::genesis()
            })
            .collect();
        let batch = self.inner.write_batch(start, batch_height, &leaves, true)?;
        Ok(PublicDataBatchWitness {
            slots: batch
                .slots
                .into_iter()
                .map(|slot| PublicDataSlotWitness {
                    low_leaf: slot.low_leaf,
                    low_leaf_index: slot.low_leaf_index,
                    pending: slot.pending,
                    low_leaf_update: slot.low_leaf_update,
                })
                .collect(),
            subtree_update: batch.subtree_update,
        })
    }

    /// Moves the next index to `end`, past a block subtree its chunks did not fill.
    pub fn close_batch(&mut self, end: u64) -> Result<()> {
        self.inner.close_batch(end)
    }

    /// Sets the value of `key` if it has a leaf (one Merkle write); otherwise writes nothing
    /// and returns the unchanged rewrite of leaf 0 ([`Self::untouched`]).
    pub fn update_existing(&mut self, key: Fr, value: Fr) -> Result<PublicDataUpdateWitness> {
        match self.inner.find(&key).filter(|_| key != Fr::ZERO) {
            Some(index) => {
                let leaf = *self.inner.leaf(index).expect("a found key has a leaf");
                let (_, update) = self.inner.rewrite(index, |leaf| leaf.value = value)?;
                Ok(PublicDataUpdateWitness {
                    leaf,
                    leaf_index: index,
                    new_value: value,
                    update,
                })
            }
            None => Ok(self.untouched()),
        }
    }

    /// The update witness of a write that changes nothing: leaf 0 rewritten unchanged.
    pub fn untouched(&mut self) -> PublicDataUpdateWitness {
        let leaf = *self.inner.leaf(0).expect("leaf 0 always exists");
        let (_, update) = self.inner.rewrite(0, |_| {}).expect("leaf 0 always exists");
        PublicDataUpdateWitness {
            leaf,
            leaf_index: 0,
            new_value: leaf.value,
            update,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::merkle::tests::dense_root;

    /// Replays an app write batch as the circuit does, from the tree snapshot `(root,
    /// next_index)` before it: each slot's leaf (in the tree, proven by its path, or a batch
    /// leaf) is updated in place when it holds the key, else is the low leaf of the key, which
    /// lies in its gap, is re-pointed and the new leaf takes the slot; then, if any key was
    /// new, the batch subtree at `start` replaces the empty one (an empty subtree when no key
    /// was new).
    pub(crate) fn replay_write_batch(
        root: Fr,
        start: u64,
        batch_height: usize,
        writes: &[(Fr, Fr)],
        witness: &PublicDataBatchWitness,
    ) -> (Fr, u64) {
        assert_eq!(witness.slots.len(), writes.len());
        let size = 1usize << batch_height;
        let mut root = root;
        let mut pending: Vec<Option<PublicDataLeaf>> = vec![None; size];
        for (w, ((key, value), slot)) in writes.iter().zip(&witness.slots).enumerate() {
            let update = &slot.low_leaf_update;
            let index = update.index;
            assert_eq!(update.path.compute_root(update.old_node, index), root);
            let low = slot.low_leaf;
            let exists = low.key == *key;
            if *key == Fr::ZERO {
                assert!(exists && *value == Fr::ZERO && low.value == Fr::ZERO);
                assert_eq!(update.old_node, low.hash());
                assert_eq!(update.new_node, update.old_node);
                continue;
            }
            let low_after = if exists {
                PublicDataLeaf {
                    value: *value,
                    ..low
                }
            } else {
                assert!(low.key < *key);
                assert!(*key < low.next_key || low.next_key == Fr::ZERO);
                pending[w] = Some(PublicDataLeaf {
                    key: *key,
                    value: *value,
                    next_index: low.next_index,
                    next_key: low.next_key,
                });
                PublicDataLeaf {
                    next_index: start + w as u64,
                    next_key: *key,
                    ..low
                }
            };
            if slot.pending {
                let k = slot.low_leaf_index as usize;
                assert!(k < w);
                assert_eq!(pending[k], Some(low));
                pending[k] = Some(low_after);
                assert_eq!(update.new_node, update.old_node);
            } else {
                assert_eq!(index, slot.low_leaf_index);
                assert_eq!(update.old_node, low.hash());
                assert_eq!(update.new_node, low_after.hash());
                root = update.path.compute_root(update.new_node, index);
            }
        }
        let subtree = &witness.subtree_update;
        let empty = SparseMerkleTree::new(batch_height).root();
        assert_eq!(subtree.index << batch_height, start);
        assert_eq!(subtree.path.compute_root(empty, subtree.index), root);
        let leaves: Vec<Fr> = pending
            .iter()
            .map(|leaf| leaf.map_or(Fr::ZERO, |leaf| leaf.hash()))
            .collect();
        assert_eq!(subtree.new_node, dense_root(batch_height, &leaves));
        let root = subtree.path.compute_root(subtree.new_node, subtree.index);
        (root, start + size as u64)
    }

    #[test]
    fn a_batch_inserts_updates_and_reads_pending_leaves() {
        let mut tree = PublicDataTree::new(8);
        tree.write(Fr::from(50u64), Fr::from(5u64)).unwrap();
        let (root, next) = (tree.inner().root(), tree.inner().next_index());
        assert_eq!(next, 2);
        let fr = |n: u64| Fr::from(n);
        // 30 (new, low: genesis), 50 (known, in place), 40 (new, low: 30, pending), 30 again
        // (update of a pending leaf), an empty slot.
        let writes = [
            (fr(30), fr(1)),
            (fr(50), fr(2)),
            (fr(40), fr(3)),
            (fr(30), fr(4)),
            (Fr::ZERO, Fr::ZERO),
        ];
        let start = tree.inner().batch_start(4);
        assert_eq!(start, 16);
        let witness = tree.write_batch(start, 4, &writes).unwrap();
        assert_eq!(
            witness.slots.iter().map(|s| s.pending).collect::<Vec<_>>(),
            [false, false, true, true, false]
        );
        assert_eq!(
            replay_write_batch(root, start, 4, &writes, &witness),
            (tree.inner().root(), 32)
        );
        assert_eq!(
            [30, 40, 50].map(|k| tree.read(&fr(k))),
            [fr(4), fr(3), fr(2)]
        );
        // Only updates: the batch still takes its (empty) subtree.
        let (root, next) = (tree.inner().root(), tree.inner().next_index());
        assert_eq!(next, 32);
        let writes = [(fr(40), fr(9))];
        let witness = tree.write_batch(next, 4, &writes).unwrap();
        assert_eq!(
            replay_write_batch(root, next, 4, &writes, &witness),
            (tree.inner().root(), 48)
        );
        assert_eq!(tree.read(&fr(40)), fr(9));
    }
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
