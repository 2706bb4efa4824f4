//! The world state: the three trees and the chain position, and the state root that
//! commits to them.
//!
//! `stateRoot = Poseidon(noteRoot, noteNextIndex, nullifierRoot, nullifierNextIndex,
//! publicDataRoot, publicDataNextIndex)` (width 7). The next indices are committed so the
//! circuit can only write new leaves where the native state does: the transition is a
//! function of the previous root and the block.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{
    block::Address,
    config::StateConfig,
    fees::{balance_from_fr, fee_balance_key},
    field::Fr,
    note_tree::NoteHashTree,
    nullifier_tree::NullifierTree,
    poseidon,
    public_data_tree::PublicDataTree,
    Result,
};

/// A tree's root and first free leaf index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TreeSnapshot {
    /// Merkle root.
    pub root: Fr,
    /// First free leaf index.
    pub next_index: u64,
}

/// Snapshots of the three trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct StateSnapshot {
    /// The append-only note-hash tree.
    pub note_hash_tree: TreeSnapshot,
    /// The indexed nullifier tree.
    pub nullifier_tree: TreeSnapshot,
    /// The indexed public data tree.
    pub public_data_tree: TreeSnapshot,
}

impl StateSnapshot {
    /// The state root, one field element (see the module docs).
    pub fn state_root(&self) -> Fr {
        let [a, b, c] = [
            self.note_hash_tree,
            self.nullifier_tree,
            self.public_data_tree,
        ];
        poseidon::hash([
            a.root,
            Fr::from(a.next_index),
            b.root,
            Fr::from(b.next_index),
            c.root,
            Fr::from(c.next_index),
        ])
    }
}

/// The L2 state after the last applied block. `Clone` it to keep a snapshot to return to
/// (e.g. the last proven block before a prune).
///
/// `Clone` does not copy the trees: it is O(1) and the clone shares every Merkle node, leaf
/// and key index entry with the original (persistent collections, see the tree modules). A
/// block applied to one of them copies only the storage its writes touch, so a chain of states,
/// one per block, costs the first state plus one diff per block.
#[derive(Debug, Clone)]
pub struct WorldState {
    pub(crate) config: StateConfig,
    pub(crate) note_hash_tree: NoteHashTree,
    pub(crate) nullifier_tree: NullifierTree,
    pub(crate) public_data_tree: PublicDataTree,
    pub(crate) block_number: u64,
    pub(crate) last_slot: Option<u64>,
}

impl WorldState {
    /// The genesis state (block number 0): empty note tree, indexed trees with their
    /// genesis leaf.
    pub fn new(config: StateConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            note_hash_tree: NoteHashTree::new(
                config.note_tree_depth,
                config.block_subtree_height(),
            ),
            nullifier_tree: NullifierTree::new(
                config.nullifier_tree_depth,
                config.block_subtree_height(),
            ),
            public_data_tree: PublicDataTree::new(config.public_data_tree_depth),
            config,
            block_number: 0,
            last_slot: None,
        })
    }

    /// The configuration the state was built for.
    pub fn config(&self) -> &StateConfig {
        &self.config
    }

    /// Number of the last applied block (0 at genesis).
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    /// Slot of the last applied block (`None` at genesis).
    pub fn last_slot(&self) -> Option<u64> {
        self.last_slot
    }

    /// Roots and next indices of the three trees.
    pub fn snapshot(&self) -> StateSnapshot {
        StateSnapshot {
            note_hash_tree: TreeSnapshot {
                root: self.note_hash_tree.root(),
                next_index: self.note_hash_tree.next_index(),
            },
            nullifier_tree: TreeSnapshot {
                root: self.nullifier_tree.inner().root(),
                next_index: self.nullifier_tree.inner().next_index(),
            },
            public_data_tree: TreeSnapshot {
                root: self.public_data_tree.inner().root(),
                next_index: self.public_data_tree.inner().next_index(),
            },
        }
    }

    /// The current state root.
    pub fn state_root(&self) -> Fr {
        self.snapshot().state_root()
    }

    /// The note-hash tree.
    pub fn note_hash_tree(&self) -> &NoteHashTree {
        &self.note_hash_tree
    }

    /// The nullifier tree.
    pub fn nullifier_tree(&self) -> &NullifierTree {
        &self.nullifier_tree
    }

    /// The public data tree.
    pub fn public_data_tree(&self) -> &PublicDataTree {
        &self.public_data_tree
    }

    /// `account`'s fee balance: its deposits credited minus the fees it paid (0 if none).
    pub fn fee_balance(&self, account: &Address) -> u128 {
        balance_from_fr(&self.public_data_tree.read(&fee_balance_key(account)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        apply_block, merkle::SparseMerkleTree, Block, BlockBody, NullifierLeaf, PublicDataLeaf,
        TxEffect,
    };
    use ark_ff::AdditiveGroup;

    #[test]
    fn genesis_root_is_deterministic_and_depends_on_depths() {
        let a = WorldState::new(StateConfig::devnet()).unwrap();
        let b = WorldState::new(StateConfig::devnet()).unwrap();
        assert_eq!(a.state_root(), b.state_root());
        let snapshot = a.snapshot();
        assert_eq!(snapshot.note_hash_tree.next_index, 0);
        // The genesis leaf and the empty rest of the first nullifier batch subtree.
        assert_eq!(snapshot.nullifier_tree.next_index, 16);
        assert_eq!(snapshot.public_data_tree.next_index, 1);
        let deeper = StateConfig {
            note_tree_depth: 18,
            ..StateConfig::devnet()
        };
        assert_ne!(
            WorldState::new(deeper).unwrap().state_root(),
            a.state_root()
        );
    }

    /// A tree of `depth` storing its first `leaves` leaves and every ancestor of them (the
    /// shape of a tree filled from the left) with arbitrary non-zero values: building it hashes
    /// nothing, and what the sharing test measures is storage, not hashes.
    fn filled_tree(depth: usize, leaves: u64) -> SparseMerkleTree {
        let mut nodes = Vec::new();
        let mut width = leaves;
        for height in (0..=depth as u64).step_by(2) {
            nodes.extend((0..width).map(|index| (height, index, Fr::from(index + 1))));
            width = width.div_ceil(4);
        }
        SparseMerkleTree::from_nodes(depth, nodes).unwrap()
    }

    /// A state holding `leaves` note hashes and `leaves` nullifiers (the even keys
    /// `2, 4, ..`, so odd nullifiers insert all over the list), sharing nothing with any other.
    fn large_state(config: StateConfig, leaves: u64) -> WorldState {
        let nullifiers = (0..leaves)
            .map(|index| {
                Some(NullifierLeaf {
                    value: Fr::from(2 * index),
                    next_index: if index + 1 < leaves { index + 1 } else { 0 },
                    next_value: if index + 1 < leaves {
                        Fr::from(2 * (index + 1))
                    } else {
                        Fr::ZERO
                    },
                })
            })
            .collect();
        WorldState {
            note_hash_tree: NoteHashTree::from_parts(
                filled_tree(config.note_tree_depth, leaves),
                config.block_subtree_height(),
                leaves,
            ),
            nullifier_tree: NullifierTree::from_parts(
                filled_tree(config.nullifier_tree_depth, leaves),
                nullifiers,
            ),
            public_data_tree: PublicDataTree::new(config.public_data_tree_depth),
            config,
            block_number: 0,
            last_slot: None,
        }
    }

    /// Heap bytes a deep copy of `state` allocates at the very least: one map entry per
    /// stored Merkle node, and per indexed-tree leaf its preimage and its key-index entry.
    fn deep_copy_lower_bound(state: &WorldState) -> usize {
        let node = size_of::<((usize, u64), Fr)>();
        let indexed = size_of::<(Fr, u64)>();
        let nullifiers = state.nullifier_tree.inner();
        let public_data = state.public_data_tree.inner();
        (state.note_hash_tree.tree().nodes().len()
            + nullifiers.tree().nodes().len()
            + public_data.tree().nodes().len())
            * node
            + nullifiers.leaves().len() * (size_of::<NullifierLeaf>() + indexed)
            + public_data.leaves().len() * (size_of::<PublicDataLeaf>() + indexed)
    }

    /// Issue 12 ("unproven blocks kept as diffs"): a clone of a large state allocates nothing
    /// that grows with the state, and applying a block to the clone copies only a small part of
    /// it, while the original stays as it was. A deep-copying `Clone` fails both bounds.
    #[test]
    fn a_clone_shares_storage_and_a_block_on_it_costs_a_diff() {
        let config = StateConfig {
            note_tree_depth: 20,
            nullifier_tree_depth: 20,
            ..StateConfig::devnet()
        };
        let leaves = 1 << 16;
        let original = large_state(config, leaves);
        let mut alone = large_state(config, leaves);
        let deep_copy = deep_copy_lower_bound(&original);
        let root_before = original.state_root();
        let spread = |tx: u64, slot: u64| Fr::from(2 * ((tx * 2 + slot) * leaves / 8) + 1);
        let block = Block {
            number: 1,
            slot: 1,
            body: BlockBody {
                coinbase: None,
                messages: Vec::new(),
                txs: (0..4)
                    .map(|tx| {
                        TxEffect::new(
                            0,
                            [0xaa; 20],
                            &[spread(tx, 0), spread(tx, 1)],
                            &[Fr::from(tx + 1), Fr::from(tx + 100)],
                            None,
                        )
                        .unwrap()
                    })
                    .collect(),
            },
        };

        let mut clone = None;
        let cloning = allocation_counter::measure(|| clone = Some(original.clone()));
        let mut clone = clone.unwrap();
        // O(1): at most the size of the struct itself, whatever the state holds.
        assert!(
            cloning.bytes_total <= size_of::<WorldState>() as u64,
            "clone allocated {} bytes (a deep copy allocates at least {deep_copy})",
            cloning.bytes_total
        );

        let on_clone = allocation_counter::measure(|| {
            apply_block(&mut clone, &block).unwrap();
        });
        let on_unshared = allocation_counter::measure(|| {
            apply_block(&mut alone, &block).unwrap();
        });
        // What the block costs on the clone beyond the same block on a state it owns alone
        // (the witness, the new nodes) is the copy-on-write of the shared storage it writes.
        let diff = on_clone.bytes_total.saturating_sub(on_unshared.bytes_total);
        assert!(
            diff < deep_copy as u64 / 32,
            "a block on the clone copied {diff} bytes, the whole state is at least {deep_copy}"
        );

        assert_eq!(clone.state_root(), alone.state_root());
        assert_ne!(clone.state_root(), root_before);
        assert_eq!(original.state_root(), root_before);
        assert!(clone.nullifier_tree().contains(&spread(0, 0)));
        assert!(!original.nullifier_tree().contains(&spread(0, 0)));
        assert_eq!(original.block_number(), 0);
        assert_eq!(original.note_hash_tree().next_index(), leaves);
    }
}
