//! The indexed nullifier tree: a nullifier can be inserted once, never twice (no double
//! spend). Leaf preimage `(value, next_index, next_value)`, leaf hash
//! `Poseidon(value, next_index, next_value)`.

use ark_ff::AdditiveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{
    error::Error,
    field::Fr,
    indexed::{IndexedLeaf, IndexedTree},
    merkle::{MerkleUpdate, SparseMerkleTree},
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

    fn set_payload(&mut self, _from: &Self) {}

    fn hash(&self) -> Fr {
        poseidon::hash([self.value, Fr::from(self.next_index), self.next_value])
    }
}

/// Witness of one nullifier slot of a block's batch ([`NullifierTree::insert_batch`]).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct NullifierSlotWitness {
    /// Preimage of the low leaf before the slot's insertion (genesis for an empty slot).
    pub low_leaf: NullifierLeaf,
    /// Its index: in the tree, or (pending) its slot in the batch.
    pub low_leaf_index: u64,
    /// Whether the low leaf was inserted by an earlier slot of the same batch.
    pub pending: bool,
    /// The Merkle write of the low leaf (leaf 0 rewritten unchanged when pending or empty).
    pub low_leaf_update: MerkleUpdate,
}

/// Witness of a block's nullifier batch: one slot witness per nullifier slot, then the write
/// of the batch subtree at the tree's next index.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct NullifierWitness {
    /// One per nullifier slot, in slot order.
    pub slots: Vec<NullifierSlotWitness>,
    /// The subtree write (empty subtree to the batch's leaves).
    pub subtree_update: MerkleUpdate,
}

/// The nullifier tree.
#[derive(Debug, Clone)]
pub struct NullifierTree {
    inner: IndexedTree<NullifierLeaf>,
}

impl NullifierTree {
    /// A tree rebuilt from a checkpoint's Merkle tree and leaves.
    pub(crate) fn from_parts(tree: SparseMerkleTree, leaves: Vec<Option<NullifierLeaf>>) -> Self {
        Self {
            inner: IndexedTree::from_parts(TREE, tree, leaves),
        }
    }

    /// A tree of `depth` holding the genesis leaf, whose batches are subtrees of
    /// `2^batch_height` slots: the first batch starts at `2^batch_height` (the rest of the
    /// first subtree stays empty).
    pub fn new(depth: usize, batch_height: usize) -> Self {
        let mut inner = IndexedTree::new(TREE, depth);
        inner.skip_to(1 << batch_height);
        Self { inner }
    }

    /// The indexed tree (roots, leaves, low-leaf lookups).
    pub fn inner(&self) -> &IndexedTree<NullifierLeaf> {
        &self.inner
    }

    /// Moves the next index to `end`, past a block subtree its chunks did not fill.
    pub fn close_batch(&mut self, end: u64) -> Result<()> {
        self.inner.close_batch(end)
    }

    /// Whether `nullifier` has been inserted.
    pub fn contains(&self, nullifier: &Fr) -> bool {
        *nullifier != Fr::ZERO && self.inner.find(nullifier).is_some()
    }

    /// Inserts nullifiers (0: an empty slot) as one subtree of `2^batch_height` slots at
    /// `start` (see [`IndexedTree::write_batch`]): a block's, or one chunk's part of it; slot
    /// `w` is leaf `start + w`. [`Error::NullifierExists`] (and nothing written) if a
    /// nullifier is already in the tree or twice in the batch.
    pub fn insert_batch(
        &mut self,
        start: u64,
        batch_height: usize,
        nullifiers: &[Fr],
    ) -> Result<NullifierWitness> {
        let leaves: Vec<NullifierLeaf> = nullifiers
            .iter()
            .map(|value| NullifierLeaf {
                value: *value,
                ..NullifierLeaf::genesis()
            })
            .collect();
        let batch = self
            .inner
            .write_batch(start, batch_height, &leaves, false)
            .map_err(|error| match error {
                Error::KeyExists { key, .. } => Error::NullifierExists { nullifier: key },
                other => other,
            })?;
        Ok(NullifierWitness {
            slots: batch
                .slots
                .into_iter()
                .map(|slot| NullifierSlotWitness {
                    low_leaf: slot.low_leaf,
                    low_leaf_index: slot.low_leaf_index,
                    pending: slot.pending,
                    low_leaf_update: slot.low_leaf_update,
                })
                .collect(),
            subtree_update: batch.subtree_update,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::merkle::tests::dense_root;

    /// Replays a batch witness as the circuit does, from the tree snapshot `(root,
    /// next_index)` before it: every tree low leaf is proven by its path and rewritten, a
    /// pending low leaf is read from and written to the batch, each key lies in its low
    /// leaf's gap, then the batch subtree at `start` replaces the empty one. Returns the
    /// snapshot after.
    pub(crate) fn replay_batch(
        root: Fr,
        start: u64,
        batch_height: usize,
        nullifiers: &[Fr],
        witness: &NullifierWitness,
    ) -> (Fr, u64) {
        assert_eq!(witness.slots.len(), nullifiers.len());
        let size = 1usize << batch_height;
        let mut root = root;
        let mut pending: Vec<Option<NullifierLeaf>> = vec![None; size];
        for (w, (key, slot)) in nullifiers.iter().zip(&witness.slots).enumerate() {
            let update = &slot.low_leaf_update;
            let index = update.index;
            assert_eq!(update.path.compute_root(update.old_node, index), root);
            let low = slot.low_leaf;
            if *key == Fr::ZERO {
                assert_eq!(low.value, Fr::ZERO);
                assert_eq!(update.old_node, low.hash());
                assert_eq!(update.new_node, update.old_node);
                continue;
            }
            assert!(low.value < *key);
            assert!(*key < low.next_value || low.next_value == Fr::ZERO);
            let low_after = NullifierLeaf {
                next_index: start + w as u64,
                next_value: *key,
                ..low
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
            pending[w] = Some(NullifierLeaf {
                value: *key,
                next_index: low.next_index,
                next_value: low.next_value,
            });
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

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    #[test]
    fn batches_link_tree_and_pending_low_leaves_and_match_the_witness() {
        let mut tree = NullifierTree::new(8, 2);
        assert_eq!(tree.inner().next_index(), 4);
        let mut snapshot = (tree.inner().root(), 4);
        // Batch 1: 300 (low: genesis, in the tree), 100 (low: genesis again), 200 (low: 100,
        // pending), an empty slot.
        let first = [fr(300), fr(100), fr(200), Fr::ZERO];
        let witness = tree.insert_batch(4, 2, &first).unwrap();
        assert_eq!(
            witness.slots.iter().map(|s| s.pending).collect::<Vec<_>>(),
            [false, false, true, false]
        );
        snapshot = replay_batch(snapshot.0, snapshot.1, 2, &first, &witness);
        assert_eq!(snapshot, (tree.inner().root(), 8));
        // Batch 2: 250 (low: 200 of batch 1, in the tree now), 260 (low: 250, pending).
        let second = [fr(250), fr(260)];
        let witness = tree.insert_batch(8, 2, &second).unwrap();
        snapshot = replay_batch(snapshot.0, snapshot.1, 2, &second, &witness);
        assert_eq!(snapshot, (tree.inner().root(), 12));
        // The list is sorted and the root is the dense root of the slots.
        let leaf = |value: u64, next_index: u64, next_value: u64| {
            NullifierLeaf {
                value: fr(value),
                next_index,
                next_value: fr(next_value),
            }
            .hash()
        };
        let mut leaves = vec![Fr::ZERO; 12];
        leaves[0] = leaf(0, 5, 100);
        leaves[4] = leaf(300, 0, 0);
        leaves[5] = leaf(100, 6, 200);
        leaves[6] = leaf(200, 8, 250);
        leaves[8] = leaf(250, 9, 260);
        leaves[9] = leaf(260, 4, 300);
        assert_eq!(tree.inner().root(), dense_root(8, &leaves));
    }

    #[test]
    fn an_empty_batch_still_takes_its_subtree() {
        let mut tree = NullifierTree::new(4, 2);
        let root = tree.inner().root();
        let witness = tree.insert_batch(4, 2, &[Fr::ZERO; 4]).unwrap();
        assert_eq!((tree.inner().root(), tree.inner().next_index()), (root, 8));
        assert_eq!(
            replay_batch(root, 4, 2, &[Fr::ZERO; 4], &witness),
            (root, 8)
        );
        for start in [8, 12] {
            tree.insert_batch(start, 2, &[fr(start)]).unwrap();
        }
        assert_eq!(tree.inner().next_index(), 16);
        assert_eq!(
            tree.insert_batch(16, 2, &[]),
            Err(Error::TreeFull {
                tree: TREE,
                next_index: 16,
                needed: 4,
                capacity: 16
            })
        );
        // A batch goes at an aligned index at or after the next one.
        let mut tree = NullifierTree::new(6, 2);
        for start in [0, 6] {
            assert_eq!(
                tree.insert_batch(start, 2, &[fr(1)]),
                Err(Error::BatchPosition {
                    tree: TREE,
                    start,
                    next_index: 4,
                    height: 2
                })
            );
        }
        tree.insert_batch(12, 2, &[fr(1)]).unwrap();
        assert_eq!(tree.inner().next_index(), 16);
    }

    #[test]
    fn double_spend_is_rejected_in_the_tree_and_in_the_batch() {
        let mut tree = NullifierTree::new(8, 2);
        let n = fr(1234);
        tree.insert_batch(4, 2, &[n]).unwrap();
        assert!(tree.contains(&n));
        let root = tree.inner().root();
        assert_eq!(
            tree.insert_batch(8, 2, &[fr(5), n]),
            Err(Error::NullifierExists { nullifier: n })
        );
        assert_eq!(
            tree.insert_batch(8, 2, &[fr(5), fr(6), fr(5)]),
            Err(Error::NullifierExists { nullifier: fr(5) })
        );
        assert_eq!(tree.inner().root(), root);
        assert!(!tree.contains(&fr(5)));
    }
}
