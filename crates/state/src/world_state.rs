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
            note_hash_tree: NoteHashTree::new(config.note_tree_depth, config.note_subtree_height()),
            nullifier_tree: NullifierTree::new(config.nullifier_tree_depth),
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

    #[test]
    fn genesis_root_is_deterministic_and_depends_on_depths() {
        let a = WorldState::new(StateConfig::devnet()).unwrap();
        let b = WorldState::new(StateConfig::devnet()).unwrap();
        assert_eq!(a.state_root(), b.state_root());
        let snapshot = a.snapshot();
        assert_eq!(snapshot.note_hash_tree.next_index, 0);
        assert_eq!(snapshot.nullifier_tree.next_index, 1);
        assert_eq!(snapshot.public_data_tree.next_index, 1);
        let deeper = StateConfig {
            note_tree_depth: 17,
            ..StateConfig::devnet()
        };
        assert_ne!(
            WorldState::new(deeper).unwrap().state_root(),
            a.state_root()
        );
    }
}
