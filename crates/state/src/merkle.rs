//! Sparse Poseidon Merkle tree: only non-empty nodes are stored, empty subtrees are read from
//! precomputed zero hashes, so a depth-40 tree costs memory only for what was written.
//!
//! Node hashing: `parent = Poseidon(left, right)`; an empty leaf is `0` and the empty
//! subtree of height `k + 1` is `Poseidon(zero_k, zero_k)`. Every write goes through
//! [`SparseMerkleTree::update_subtree`], which returns the [`MerkleUpdate`] witness it used
//! to recompute the root.
//!
//! The nodes live in a persistent B-tree ([`imbl::OrdMap`]) keyed by `(height, index)`:
//! cloning a tree is O(1) and shares every node with the original; a write then copies only
//! the few B-tree nodes on its way, so a clone that diverges by one block costs memory for that
//! block's writes only. Ordered keys keep a block's writes (siblings, consecutive leaves, the
//! few nodes near the root) in the same B-tree nodes: a third of the copying a hash trie
//! (`imbl::HashMap`) needed, at the same block-apply speed.

use std::sync::Arc;

use ark_ff::AdditiveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{error::Error, field::Fr, poseidon, Result};

/// Sibling path of a node, bottom-up: `siblings[k]` is the sibling at level `height + k`,
/// where `height` is the level of the node the path starts from (0 for a leaf).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MerklePath {
    /// Sibling hashes from the node's level up to just below the root.
    pub siblings: Vec<Fr>,
}

impl MerklePath {
    /// Root obtained by hashing `node` at position `index` (counted at its own level) up the
    /// path; bit `k` of `index` set means the node is the right child at step `k`.
    pub fn compute_root(&self, node: Fr, index: u64) -> Fr {
        self.siblings
            .iter()
            .enumerate()
            .fold(node, |acc, (k, sibling)| {
                if (index >> k) & 1 == 1 {
                    poseidon::hash([*sibling, acc])
                } else {
                    poseidon::hash([acc, *sibling])
                }
            })
    }
}

/// Witness of one write: the node at `(height, index)` changes from `old_node` to
/// `new_node`, and `path` proves both `old_node` under `old_root` and `new_node` under
/// `new_root` (the siblings do not change).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MerkleUpdate {
    /// Level of the written node: 0 for a leaf, `h` for a subtree of `2^h` leaves.
    pub height: usize,
    /// Position of the node at its level.
    pub index: u64,
    /// Node value before the write (the leaf hash, or the subtree root).
    pub old_node: Fr,
    /// Node value after the write.
    pub new_node: Fr,
    /// Siblings from level `height` up.
    pub path: MerklePath,
    /// Tree root before the write.
    pub old_root: Fr,
    /// Tree root after the write.
    pub new_root: Fr,
}

/// A Poseidon Merkle tree of fixed depth with sparse node storage. `Clone` is O(1): the
/// clone shares its nodes with the original until either is written (see the module docs).
#[derive(Debug, Clone)]
pub struct SparseMerkleTree {
    depth: usize,
    zero_hashes: Arc<[Fr]>,
    nodes: imbl::OrdMap<(usize, u64), Fr>,
}

impl SparseMerkleTree {
    /// An empty tree of `depth` levels above the leaves (`2^depth` leaves, all zero).
    pub fn new(depth: usize) -> Self {
        let mut zero_hashes = Vec::with_capacity(depth + 1);
        zero_hashes.push(Fr::ZERO);
        for level in 0..depth {
            let below = zero_hashes[level];
            zero_hashes.push(poseidon::hash([below, below]));
        }
        Self {
            depth,
            zero_hashes: zero_hashes.into(),
            nodes: imbl::OrdMap::new(),
        }
    }

    /// A tree of `depth` with the non-empty `nodes` `(height, index, value)` a checkpoint
    /// recorded ([`Self::nodes`]).
    pub(crate) fn from_nodes(depth: usize, nodes: Vec<(u64, u64, Fr)>) -> Result<Self> {
        let mut tree = Self::new(depth);
        for (height, index, value) in nodes {
            let height = usize::try_from(height).unwrap_or(usize::MAX);
            tree.check_index(height, index)?;
            tree.nodes.insert((height, index), value);
        }
        Ok(tree)
    }

    /// The non-empty nodes `(height, index, value)`, by height, then index.
    pub(crate) fn nodes(&self) -> Vec<(u64, u64, Fr)> {
        self.nodes
            .iter()
            .map(|(&(height, index), value)| (height as u64, index, *value))
            .collect()
    }

    /// Number of levels above the leaves.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves, `2^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    /// Roots of the empty subtrees, indexed by height (`zero_hashes()[0] = 0`).
    pub fn zero_hashes(&self) -> &[Fr] {
        &self.zero_hashes
    }

    /// Current root.
    pub fn root(&self) -> Fr {
        self.node(self.depth, 0)
    }

    /// Node at `(height, index)`; empty nodes read as the zero hash of their level.
    pub fn node(&self, height: usize, index: u64) -> Fr {
        self.nodes
            .get(&(height, index))
            .copied()
            .unwrap_or(self.zero_hashes[height])
    }

    /// Sibling path of the node at `(height, index)`.
    pub fn path(&self, height: usize, index: u64) -> Result<MerklePath> {
        self.check_index(height, index)?;
        let siblings =
            (height..self.depth).map(|level| self.node(level, (index >> (level - height)) ^ 1));
        Ok(MerklePath {
            siblings: siblings.collect(),
        })
    }

    /// Replaces the `2^height` leaves of the subtree at `(height, index)` and returns the
    /// witness of the write. A single leaf is the subtree of height 0.
    pub fn update_subtree(
        &mut self,
        height: usize,
        index: u64,
        leaves: &[Fr],
    ) -> Result<MerkleUpdate> {
        self.check_index(height, index)?;
        let expected = 1usize << height;
        if leaves.len() != expected {
            return Err(Error::SubtreeSize {
                height,
                expected,
                actual: leaves.len(),
            });
        }
        let old_root = self.root();
        let old_node = self.node(height, index);
        let first_leaf = index << height;
        for (offset, leaf) in (0u64..).zip(leaves) {
            self.set_node(0, first_leaf + offset, *leaf);
        }
        for level in 1..=height {
            let first = index << (height - level);
            for position in first..first + (1u64 << (height - level)) {
                self.rehash(level, position);
            }
        }
        let new_node = self.node(height, index);
        let path = self.path(height, index)?;
        let mut position = index;
        for level in height + 1..=self.depth {
            position >>= 1;
            self.rehash(level, position);
        }
        Ok(MerkleUpdate {
            height,
            index,
            old_node,
            new_node,
            path,
            old_root,
            new_root: self.root(),
        })
    }

    fn rehash(&mut self, level: usize, position: u64) {
        let left = self.node(level - 1, position << 1);
        let right = self.node(level - 1, (position << 1) | 1);
        self.set_node(level, position, poseidon::hash([left, right]));
    }

    fn set_node(&mut self, level: usize, position: u64, value: Fr) {
        if value == self.zero_hashes[level] {
            self.nodes.remove(&(level, position));
        } else {
            self.nodes.insert((level, position), value);
        }
    }

    fn check_index(&self, height: usize, index: u64) -> Result<()> {
        if height > self.depth || index >= 1u64 << (self.depth - height) {
            return Err(Error::IndexOutOfRange {
                index,
                height,
                depth: self.depth,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Root of a dense list of leaves padded with zeros, computed level by level: the
    /// from-scratch reference the sparse tree is checked against.
    pub(crate) fn dense_root(depth: usize, leaves: &[Fr]) -> Fr {
        let mut level: Vec<Fr> = leaves.to_vec();
        level.resize(1 << depth, Fr::ZERO);
        for _ in 0..depth {
            level = level
                .chunks(2)
                .map(|pair| poseidon::hash([pair[0], pair[1]]))
                .collect();
        }
        level[0]
    }

    #[test]
    fn empty_root_is_zero_hash() {
        let tree = SparseMerkleTree::new(6);
        assert_eq!(tree.root(), dense_root(6, &[]));
        assert_eq!(tree.root(), tree.zero_hashes()[6]);
    }

    #[test]
    fn leaf_updates_match_dense_recomputation_and_witness() {
        let depth = 5;
        let mut tree = SparseMerkleTree::new(depth);
        let mut leaves = vec![Fr::ZERO; 1 << depth];
        for (step, index) in [3u64, 0, 31, 3, 17].into_iter().enumerate() {
            let value = Fr::from(step as u64 + 11);
            let update = tree.update_subtree(0, index, &[value]).unwrap();
            assert_eq!(update.old_node, leaves[index as usize]);
            leaves[index as usize] = value;
            assert_eq!(tree.root(), dense_root(depth, &leaves));
            assert_eq!(
                update.path.compute_root(update.old_node, index),
                update.old_root
            );
            assert_eq!(
                update.path.compute_root(update.new_node, index),
                update.new_root
            );
            assert_eq!(update.new_root, tree.root());
        }
    }

    #[test]
    fn subtree_update_matches_dense_recomputation() {
        let depth = 6;
        let mut tree = SparseMerkleTree::new(depth);
        let leaves: Vec<Fr> = (1..=4).map(Fr::from).collect();
        let update = tree.update_subtree(2, 5, &leaves).unwrap();
        let mut dense = vec![Fr::ZERO; 1 << depth];
        dense[20..24].copy_from_slice(&leaves);
        assert_eq!(tree.root(), dense_root(depth, &dense));
        assert_eq!(update.new_node, dense_root(2, &leaves));
        assert_eq!(update.old_node, tree.zero_hashes()[2]);
        assert_eq!(update.path.siblings.len(), depth - 2);
        assert_eq!(
            update.path.compute_root(update.old_node, 5),
            update.old_root
        );
        assert_eq!(
            update.path.compute_root(update.new_node, 5),
            update.new_root
        );
    }

    #[test]
    fn writing_zero_keeps_storage_sparse() {
        let mut tree = SparseMerkleTree::new(32);
        let empty = tree.root();
        tree.update_subtree(0, 1 << 31, &[Fr::from(9u64)]).unwrap();
        assert_ne!(tree.root(), empty);
        tree.update_subtree(0, 1 << 31, &[Fr::ZERO]).unwrap();
        assert_eq!(tree.root(), empty);
        assert!(tree.nodes.is_empty());
    }

    #[test]
    fn rejects_bad_index_and_size() {
        let mut tree = SparseMerkleTree::new(3);
        assert_eq!(
            tree.update_subtree(0, 8, &[Fr::ZERO]),
            Err(Error::IndexOutOfRange {
                index: 8,
                height: 0,
                depth: 3
            })
        );
        assert_eq!(
            tree.update_subtree(1, 0, &[Fr::ZERO]),
            Err(Error::SubtreeSize {
                height: 1,
                expected: 2,
                actual: 1
            })
        );
    }
}
