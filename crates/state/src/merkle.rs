//! Sparse arity-4 Poseidon Merkle tree: only non-empty nodes are stored, empty subtrees are
//! read from precomputed zero hashes, so a depth-40 tree costs memory only for what was
//! written.
//!
//! Node hashing: `parent = Poseidon(c0, c1, c2, c3)` (width 5, circomlib); an empty leaf is
//! `0` and the empty subtree of height `k + 2` is `Poseidon(z_k, z_k, z_k, z_k)`. Depths and
//! heights are counted in bits, as for a binary tree of the same capacity: a tree of depth `d`
//! has `2^d` leaves and `d / 2` levels of 4-ary nodes, so `d` (and every node height) must be
//! even. A node at height `h` covers `2^h` leaves; child `j` of the node `(h + 2, i)` is
//! `(h, 4i + j)`. Every write goes through [`SparseMerkleTree::update_subtree`], which returns
//! the [`MerkleUpdate`] witness it used to recompute the root.
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

/// Children of a node.
pub const ARITY: usize = 4;
/// Bits of a leaf index one level of the tree consumes (`log2` of [`ARITY`]).
pub const LEVEL_BITS: usize = 2;

/// The children of a node whose child number `position` (0..=3) is `node` and whose other
/// children are `siblings`, in order.
pub(crate) fn place(node: Fr, position: usize, siblings: &[Fr; ARITY - 1]) -> [Fr; ARITY] {
    let mut children = [Fr::ZERO; ARITY];
    let mut others = siblings.iter();
    for (j, child) in children.iter_mut().enumerate() {
        *child = if j == position {
            node
        } else {
            *others.next().expect("three siblings")
        };
    }
    children
}

/// `Poseidon(c0, c1, c2, c3)`, the parent of four nodes.
pub(crate) fn hash_children(children: [Fr; ARITY]) -> Fr {
    poseidon::hash(children)
}

/// Sibling path of a node, bottom-up: `siblings[k]` are the three other children of the
/// node's ancestor's parent at level `k` above the node, in child order.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MerklePath {
    /// Sibling triples from the node's level up to just below the root.
    pub siblings: Vec<[Fr; ARITY - 1]>,
}

impl MerklePath {
    /// Root obtained by hashing `node` at position `index` (counted at its own level) up the
    /// path: at step `k` the node is child `(index >> 2k) & 3` of its parent.
    pub fn compute_root(&self, node: Fr, index: u64) -> Fr {
        self.siblings
            .iter()
            .enumerate()
            .fold(node, |acc, (k, siblings)| {
                let position = ((index >> (LEVEL_BITS * k)) & 3) as usize;
                hash_children(place(acc, position, siblings))
            })
    }
}

/// Witness of one write: the node at `(height, index)` changes from `old_node` to
/// `new_node`, and `path` proves both `old_node` under `old_root` and `new_node` under
/// `new_root` (the siblings do not change).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MerkleUpdate {
    /// Height of the written node in bits: 0 for a leaf, `h` (even) for a subtree of `2^h`
    /// leaves.
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

/// An arity-4 Poseidon Merkle tree of fixed depth with sparse node storage. `Clone` is O(1):
/// the clone shares its nodes with the original until either is written (see the module
/// docs).
#[derive(Debug, Clone)]
pub struct SparseMerkleTree {
    depth: usize,
    /// Zero hashes by level (`zero_levels[k]` is the empty node of height `2k`).
    zero_levels: Arc<[Fr]>,
    nodes: imbl::OrdMap<(usize, u64), Fr>,
}

impl SparseMerkleTree {
    /// An empty tree of `depth` bits (`2^depth` leaves, all zero, `depth / 2` levels).
    ///
    /// # Panics
    /// If `depth` is odd (`StateConfig::validate` rejects odd depths with a typed error).
    pub fn new(depth: usize) -> Self {
        assert!(
            depth.is_multiple_of(LEVEL_BITS),
            "an arity-4 tree has an even depth, got {depth}"
        );
        let levels = depth / LEVEL_BITS;
        let mut zero_levels = Vec::with_capacity(levels + 1);
        zero_levels.push(Fr::ZERO);
        for level in 0..levels {
            let below = zero_levels[level];
            zero_levels.push(hash_children([below; ARITY]));
        }
        Self {
            depth,
            zero_levels: zero_levels.into(),
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

    /// Depth in bits (`2^depth` leaves).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves, `2^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    /// Root of the empty subtree of `height` bits (even; 0 is the empty leaf).
    ///
    /// # Panics
    /// If `height` is odd or above the depth.
    pub fn zero_hash(&self, height: usize) -> Fr {
        assert!(height.is_multiple_of(LEVEL_BITS), "odd height {height}");
        self.zero_levels[height / LEVEL_BITS]
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
            .unwrap_or(self.zero_levels[height / LEVEL_BITS])
    }

    /// Sibling path of the node at `(height, index)`.
    pub fn path(&self, height: usize, index: u64) -> Result<MerklePath> {
        self.check_index(height, index)?;
        let siblings = (height..self.depth).step_by(LEVEL_BITS).map(|level| {
            let position = index >> (level - height);
            let first = position & !3;
            let mut others = [Fr::ZERO; ARITY - 1];
            let mut k = 0;
            for child in first..first + ARITY as u64 {
                if child != position {
                    others[k] = self.node(level, child);
                    k += 1;
                }
            }
            others
        });
        Ok(MerklePath {
            siblings: siblings.collect(),
        })
    }

    /// Replaces the `2^height` leaves of the subtree at `(height, index)` (`height` even) and
    /// returns the witness of the write. A single leaf is the subtree of height 0.
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
        for level in (LEVEL_BITS..=height).step_by(LEVEL_BITS) {
            let first = index << (height - level);
            for position in first..first + (1u64 << (height - level)) {
                self.rehash(level, position);
            }
        }
        let new_node = self.node(height, index);
        let path = self.path(height, index)?;
        let mut position = index;
        for level in (height + LEVEL_BITS..=self.depth).step_by(LEVEL_BITS) {
            position >>= LEVEL_BITS;
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
        let first = position << LEVEL_BITS;
        let below = level - LEVEL_BITS;
        let children = [0, 1, 2, 3].map(|j| self.node(below, first + j));
        self.set_node(level, position, hash_children(children));
    }

    fn set_node(&mut self, level: usize, position: u64, value: Fr) {
        if value == self.zero_levels[level / LEVEL_BITS] {
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
        if !height.is_multiple_of(LEVEL_BITS) {
            return Err(Error::OddNodeHeight { height });
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
        for _ in 0..depth / LEVEL_BITS {
            level = level
                .chunks(ARITY)
                .map(|c| poseidon::hash([c[0], c[1], c[2], c[3]]))
                .collect();
        }
        level[0]
    }

    #[test]
    fn empty_root_is_zero_hash() {
        let tree = SparseMerkleTree::new(6);
        assert_eq!(tree.root(), dense_root(6, &[]));
        assert_eq!(tree.root(), tree.zero_hash(6));
    }

    #[test]
    fn place_puts_the_node_among_its_siblings() {
        let [a, b, c, n] = [1u64, 2, 3, 9].map(Fr::from);
        assert_eq!(place(n, 0, &[a, b, c]), [n, a, b, c]);
        assert_eq!(place(n, 1, &[a, b, c]), [a, n, b, c]);
        assert_eq!(place(n, 2, &[a, b, c]), [a, b, n, c]);
        assert_eq!(place(n, 3, &[a, b, c]), [a, b, c, n]);
    }

    #[test]
    fn leaf_updates_match_dense_recomputation_and_witness() {
        let depth = 6;
        let mut tree = SparseMerkleTree::new(depth);
        let mut leaves = vec![Fr::ZERO; 1 << depth];
        for (step, index) in [3u64, 0, 63, 3, 17, 42].into_iter().enumerate() {
            let value = Fr::from(step as u64 + 11);
            let update = tree.update_subtree(0, index, &[value]).unwrap();
            assert_eq!(update.old_node, leaves[index as usize]);
            leaves[index as usize] = value;
            assert_eq!(tree.root(), dense_root(depth, &leaves));
            assert_eq!(update.path.siblings.len(), depth / 2);
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
        assert_eq!(update.old_node, tree.zero_hash(2));
        assert_eq!(update.path.siblings.len(), (depth - 2) / 2);
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
    fn rejects_bad_index_height_and_size() {
        let mut tree = SparseMerkleTree::new(4);
        assert_eq!(
            tree.update_subtree(0, 16, &[Fr::ZERO]),
            Err(Error::IndexOutOfRange {
                index: 16,
                height: 0,
                depth: 4
            })
        );
        assert_eq!(
            tree.update_subtree(1, 0, &[Fr::ZERO; 2]),
            Err(Error::OddNodeHeight { height: 1 })
        );
        assert_eq!(
            tree.update_subtree(2, 0, &[Fr::ZERO]),
            Err(Error::SubtreeSize {
                height: 2,
                expected: 4,
                actual: 1
            })
        );
        assert_eq!(
            SparseMerkleTree::from_nodes(4, vec![(3, 0, Fr::from(1u64))]).unwrap_err(),
            Error::OddNodeHeight { height: 3 }
        );
    }

    #[test]
    #[should_panic(expected = "even depth")]
    fn odd_depth_panics() {
        SparseMerkleTree::new(5);
    }

    /// Cross-checks the arity-4 node hash and tree layout against circomlibjs (an
    /// independent Poseidon with the optimised constants) through `node`: the root of a
    /// depth-4 tree (16 leaves, two levels of `poseidon([c0, c1, c2, c3])`) with a few
    /// leaves set. `npm ci` at the repository root installs circomlibjs.
    #[test]
    fn tree_root_matches_circomlibjs_via_node() {
        let module = crate::node_js::module("circomlibjs");
        let writes = [(0u64, 5u64), (3, 7), (6, 11), (15, 13)];
        let mut tree = SparseMerkleTree::new(4);
        let mut leaves = vec!["\"0\"".to_owned(); 16];
        for (index, value) in writes {
            let value = -Fr::from(value);
            tree.update_subtree(0, index, &[value]).unwrap();
            leaves[index as usize] = format!("\"{value}\"");
        }
        let script = format!(
            "const {{ buildPoseidon }} = require({:?});\n\
             buildPoseidon().then((p) => {{\n\
               let level = [{}].map(BigInt);\n\
               while (level.length > 1) {{\n\
                 const up = [];\n\
                 for (let i = 0; i < level.length; i += 4) up.push(BigInt(p.F.toString(p(level.slice(i, i + 4)))));\n\
                 level = up;\n\
               }}\n\
               console.log(level[0].toString());\n\
             }});",
            module.display().to_string(),
            leaves.join(",")
        );
        let stdout = crate::node_js::run(&script);
        assert_eq!(stdout.trim(), tree.root().to_string());
    }
}
