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

    /// Fails with [`Error::TreeFull`] unless one more subtree fits.
    pub fn check_capacity(&self) -> Result<()> {
        let needed = 1u64 << self.subtree_height;
        let capacity = self.tree.capacity();
        if capacity - self.next_index < needed {
            return Err(Error::TreeFull {
                tree: TREE,
                next_index: self.next_index,
                needed,
                capacity,
            });
        }
        Ok(())
    }

    /// Appends `note_hashes` (at most `2^subtree_height`, zero-padded) as the next subtree
    /// and returns the witness: a write at height `subtree_height`, index
    /// `next_index >> subtree_height`, from the empty subtree root to the subtree's root.
    pub fn append_subtree(&mut self, note_hashes: &[Fr]) -> Result<MerkleUpdate> {
        self.check_capacity()?;
        let size = 1usize << self.subtree_height;
        if note_hashes.len() > size {
            return Err(Error::SubtreeSize {
                height: self.subtree_height,
                expected: size,
                actual: note_hashes.len(),
            });
        }
        let mut leaves = note_hashes.to_vec();
        leaves.resize(size, Fr::ZERO);
        let update = self.tree.update_subtree(
            self.subtree_height,
            self.next_index >> self.subtree_height,
            &leaves,
        )?;
        self.next_index += size as u64;
        Ok(update)
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
            .append_subtree(&[Fr::from(1u64), Fr::from(2u64)])
            .unwrap();
        let second = tree.append_subtree(&[Fr::from(3u64)]).unwrap();
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
            tree.append_subtree(&[Fr::from(1u64); 5]),
            Err(Error::SubtreeSize {
                height: 2,
                expected: 4,
                actual: 5
            })
        );
        for _ in 0..3 {
            tree.append_subtree(&[]).unwrap();
        }
        tree.append_subtree(&[Fr::from(1u64)]).unwrap();
        assert_eq!(
            tree.append_subtree(&[]),
            Err(Error::TreeFull {
                tree: TREE,
                next_index: 16,
                needed: 4,
                capacity: 16
            })
        );
    }
}
