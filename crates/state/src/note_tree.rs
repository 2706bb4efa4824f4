//! Append-only note-hash tree. A block appends its note hashes as one subtree: padded with
//! zero leaves to `2^subtree_height` (`subtree_height` even: a power of four, one node of the
//! arity-4 tree) and written at the next aligned subtree position, so the circuit proves one
//! path of `(depth - subtree_height) / 2` sibling triples per block instead of one full path
//! per note. Leaves are the note hashes themselves; an empty leaf is 0.

use ark_ff::AdditiveGroup;

use crate::{
    error::Error,
    field::Fr,
    merkle::{MerkleUpdate, SparseMerkleTree},
    Result,
};

const TREE: &str = "note hash tree";

/// The note-hash tree and the position of its next free subtree.
#[derive(Debug, Clone)]
pub struct NoteHashTree {
    tree: SparseMerkleTree,
    subtree_height: usize,
    next_index: u64,
}

impl NoteHashTree {
    /// An empty tree of `depth` that grows by subtrees of `2^subtree_height` leaves.
    pub fn new(depth: usize, subtree_height: usize) -> Self {
        Self {
            tree: SparseMerkleTree::new(depth),
            subtree_height,
            next_index: 0,
        }
    }

    /// A tree rebuilt from a checkpoint: its Merkle tree and next free index.
    pub(crate) fn from_parts(
        tree: SparseMerkleTree,
        subtree_height: usize,
        next_index: u64,
    ) -> Self {
        Self {
            tree,
            subtree_height,
            next_index,
        }
    }

    /// Current root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// First free leaf index; always a multiple of `2^subtree_height`.
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Height of the subtree one block appends.
    pub fn subtree_height(&self) -> usize {
        self.subtree_height
    }

    /// The underlying Merkle tree (for membership paths of notes).
    pub fn tree(&self) -> &SparseMerkleTree {
        &self.tree
    }

    /// Fails with [`Error::TreeFull`] unless one more block subtree fits.
    pub fn check_capacity(&self) -> Result<()> {
        self.check_room(self.next_index, 1u64 << self.subtree_height)
    }

    fn check_room(&self, from: u64, needed: u64) -> Result<()> {
        let capacity = self.tree.capacity();
        if capacity.saturating_sub(from) < needed {
            return Err(Error::TreeFull {
                tree: TREE,
                next_index: self.next_index,
                needed,
                capacity,
            });
        }
        Ok(())
    }

    /// Appends `note_hashes` (zero-padded to `2^height`) as the subtree of that height at
    /// `start` (aligned, at or after `next_index`: a block's subtree, or one chunk's part of
    /// it) and returns the witness: a write at `height`, index `start >> height`, from the
    /// empty subtree root to the subtree's root. `next_index` becomes `start + 2^height`.
    pub fn append_subtree(
        &mut self,
        start: u64,
        height: usize,
        note_hashes: &[Fr],
    ) -> Result<MerkleUpdate> {
        let size = 1usize << height;
        if note_hashes.len() > size {
            return Err(Error::SubtreeSize {
                height,
                expected: size,
                actual: note_hashes.len(),
            });
        }
        if start < self.next_index || !start.is_multiple_of(size as u64) {
            return Err(Error::BatchPosition {
                tree: TREE,
                start,
                next_index: self.next_index,
                height,
            });
        }
        self.check_room(start, size as u64)?;
        let mut leaves = note_hashes.to_vec();
        leaves.resize(size, Fr::ZERO);
        let update = self.tree.update_subtree(height, start >> height, &leaves)?;
        self.next_index = start + size as u64;
        Ok(update)
    }

    /// Moves the next index to `end`, past a block subtree its chunks did not fill.
    pub fn close_subtree(&mut self, end: u64) -> Result<()> {
        self.check_room(self.next_index, end.saturating_sub(self.next_index))?;
        self.next_index = self.next_index.max(end);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::tests::dense_root;

    #[test]
    fn appends_padded_aligned_subtrees() {
        let mut tree = NoteHashTree::new(6, 2);
        let first = tree
            .append_subtree(0, 2, &[Fr::from(1u64), Fr::from(2u64)])
            .unwrap();
        let second = tree.append_subtree(4, 2, &[Fr::from(3u64)]).unwrap();
        assert_eq!((first.index, second.index, tree.next_index()), (0, 1, 8));
        let leaves = [1u64, 2, 0, 0, 3].map(Fr::from);
        assert_eq!(tree.root(), dense_root(6, &leaves));
        assert_eq!(second.old_root, first.new_root);
        assert_eq!(second.path.compute_root(second.new_node, 1), tree.root());
        assert_eq!(second.old_node, tree.tree().zero_hash(2));
    }

    #[test]
    fn rejects_oversized_batch_and_full_tree() {
        let mut tree = NoteHashTree::new(4, 2);
        assert_eq!(
            tree.append_subtree(0, 2, &[Fr::from(1u64); 5]),
            Err(Error::SubtreeSize {
                height: 2,
                expected: 4,
                actual: 5
            })
        );
        for start in [0, 4, 8] {
            tree.append_subtree(start, 2, &[]).unwrap();
        }
        tree.append_subtree(12, 2, &[Fr::from(1u64)]).unwrap();
        assert_eq!(
            tree.append_subtree(16, 2, &[]),
            Err(Error::TreeFull {
                tree: TREE,
                next_index: 16,
                needed: 4,
                capacity: 16
            })
        );
    }

    #[test]
    fn chunk_parts_fill_a_block_subtree_in_order_and_close_it() {
        let mut tree = NoteHashTree::new(6, 4);
        // Two parts of 4 leaves of the block subtree of 16 at 0, then the close.
        tree.append_subtree(0, 2, &[Fr::from(1u64)]).unwrap();
        tree.append_subtree(4, 2, &[Fr::from(2u64)]).unwrap();
        assert_eq!(
            tree.append_subtree(0, 2, &[Fr::from(3u64)]),
            Err(Error::BatchPosition {
                tree: TREE,
                start: 0,
                next_index: 8,
                height: 2
            })
        );
        assert_eq!(
            tree.append_subtree(10, 2, &[]).unwrap_err(),
            Error::BatchPosition {
                tree: TREE,
                start: 10,
                next_index: 8,
                height: 2
            }
        );
        tree.close_subtree(16).unwrap();
        assert_eq!(tree.next_index(), 16);
        let mut whole = NoteHashTree::new(6, 4);
        let leaves = [1u64, 0, 0, 0, 2].map(Fr::from);
        whole.append_subtree(0, 4, &leaves).unwrap();
        assert_eq!((whole.root(), whole.next_index()), (tree.root(), 16));
    }
}
