//! A world state as bytes, for the node's persisted checkpoint at the proven tip: the
//! non-empty Merkle nodes and the leaf preimages of the three trees, so that loading it costs
//! no hashing (a restart replays only the blocks after it). Encoded with ark-serialize
//! (compressed); the configuration is not in it: the loader passes its own, and the depths and
//! indices are checked against it.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{
    config::StateConfig, error::Error, merkle::SparseMerkleTree, note_tree::NoteHashTree,
    nullifier_tree::NullifierTree, public_data_tree::PublicDataTree, NullifierLeaf, PublicDataLeaf,
    Result, WorldState,
};

/// Version of the checkpoint encoding.
const CHECKPOINT_VERSION: u8 = 2;

/// What a checkpoint holds, in encoding order.
#[derive(CanonicalSerialize, CanonicalDeserialize)]
struct Parts {
    version: u8,
    block_number: u64,
    last_slot: Option<u64>,
    note_next_index: u64,
    note_nodes: Vec<(u64, u64, crate::Fr)>,
    nullifier_leaves: Vec<Option<NullifierLeaf>>,
    nullifier_nodes: Vec<(u64, u64, crate::Fr)>,
    public_data_leaves: Vec<Option<PublicDataLeaf>>,
    public_data_nodes: Vec<(u64, u64, crate::Fr)>,
}

fn bad(reason: impl ToString) -> Error {
    Error::BadCheckpoint {
        reason: reason.to_string(),
    }
}

impl WorldState {
    /// The state as checkpoint bytes ([`Self::from_checkpoint`] reads them back).
    pub fn to_checkpoint(&self) -> Vec<u8> {
        let parts = Parts {
            version: CHECKPOINT_VERSION,
            block_number: self.block_number,
            last_slot: self.last_slot,
            note_next_index: self.note_hash_tree.next_index(),
            note_nodes: self.note_hash_tree.tree().nodes(),
            nullifier_leaves: self.nullifier_tree.inner().leaves(),
            nullifier_nodes: self.nullifier_tree.inner().tree().nodes(),
            public_data_leaves: self.public_data_tree.inner().leaves(),
            public_data_nodes: self.public_data_tree.inner().tree().nodes(),
        };
        let mut bytes = Vec::with_capacity(parts.compressed_size());
        parts
            .serialize_compressed(&mut bytes)
            .expect("writing to a Vec cannot fail");
        bytes
    }

    /// The state `bytes` ([`Self::to_checkpoint`]) hold, for `config`. The caller checks the
    /// state root against the one it expects.
    pub fn from_checkpoint(config: StateConfig, bytes: &[u8]) -> Result<Self> {
        config.validate()?;
        let mut reader = bytes;
        let parts = Parts::deserialize_compressed(&mut reader).map_err(bad)?;
        if !reader.is_empty() {
            return Err(bad(format!("{} trailing bytes", reader.len())));
        }
        if parts.version != CHECKPOINT_VERSION {
            return Err(bad(format!(
                "version {} (this node reads {CHECKPOINT_VERSION})",
                parts.version
            )));
        }
        let subtree_height = config.block_subtree_height();
        if parts.note_next_index % (1u64 << subtree_height) != 0 {
            return Err(bad(format!(
                "note tree next index {} is not a subtree boundary",
                parts.note_next_index
            )));
        }
        if parts.nullifier_leaves.is_empty() || parts.public_data_leaves.is_empty() {
            return Err(bad("an indexed tree without its genesis leaf"));
        }
        let note_tree = SparseMerkleTree::from_nodes(config.note_tree_depth, parts.note_nodes)?;
        let nullifier_tree =
            SparseMerkleTree::from_nodes(config.nullifier_tree_depth, parts.nullifier_nodes)?;
        let public_data_tree =
            SparseMerkleTree::from_nodes(config.public_data_tree_depth, parts.public_data_nodes)?;
        Ok(Self {
            note_hash_tree: NoteHashTree::from_parts(
                note_tree,
                subtree_height,
                parts.note_next_index,
            ),
            nullifier_tree: NullifierTree::from_parts(nullifier_tree, parts.nullifier_leaves),
            public_data_tree: PublicDataTree::from_parts(
                public_data_tree,
                parts.public_data_leaves,
            ),
            config,
            block_number: parts.block_number,
            last_slot: parts.last_slot,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{apply_block, Block, BlockBody, Fr, TxEffect};

    #[test]
    fn a_checkpoint_round_trips_and_keeps_applying_blocks() {
        let config = StateConfig::devnet();
        let mut state = WorldState::new(config).unwrap();
        let block = |number: u64| Block {
            number,
            slot: number,
            body: BlockBody {
                coinbase: None,
                messages: Vec::new(),
                txs: vec![TxEffect::new(
                    0,
                    [0xaa; 20],
                    &[Fr::from(number)],
                    &[Fr::from(number + 100)],
                    None,
                )
                .unwrap()],
            },
        };
        for number in 1..=3 {
            apply_block(&mut state, &block(number)).unwrap();
        }
        let bytes = state.to_checkpoint();
        let mut loaded = WorldState::from_checkpoint(config, &bytes).unwrap();
        assert_eq!(loaded.state_root(), state.state_root());
        assert_eq!(loaded.block_number(), 3);
        assert!(loaded.nullifier_tree().contains(&Fr::from(2u64)));
        // The loaded state goes on exactly as the original.
        apply_block(&mut state, &block(4)).unwrap();
        apply_block(&mut loaded, &block(4)).unwrap();
        assert_eq!(loaded.state_root(), state.state_root());

        assert!(matches!(
            WorldState::from_checkpoint(config, &bytes[..bytes.len() - 1]),
            Err(Error::BadCheckpoint { .. })
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            WorldState::from_checkpoint(config, &longer),
            Err(Error::BadCheckpoint { .. })
        ));
    }
}
