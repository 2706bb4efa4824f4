//! Sizes of the state and of a block, shared by the native code and the circuit.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use serde::{Deserialize, Serialize};

use crate::{
    encoding::{BLOCK_DATA_HEADER_BYTES, TX_EFFECT_BYTES},
    error::Error,
    fingerprint::CHUNK_BYTES,
    merkle::LEVEL_BITS,
    tx::{MAX_NOTE_HASHES_PER_TX, MAX_NULLIFIERS_PER_TX, MAX_PUBLIC_DATA_WRITES_PER_TX},
    Result,
};

/// Largest tree depth: leaf indices are `u64`, depths are even.
pub const MAX_TREE_DEPTH: usize = 62;

/// 31-byte chunks of the encoding of a block with `max_txs` transactions.
pub const fn required_data_chunks(max_txs: usize) -> usize {
    (BLOCK_DATA_HEADER_BYTES + max_txs * TX_EFFECT_BYTES).div_ceil(CHUNK_BYTES)
}

/// Leaf slots a tx slot owns in each tree's block subtree: as many as its note hashes and its
/// nullifiers (its one app write takes the first of its two public data slots). One stride in
/// all three trees makes a chunk of consecutive txs one aligned part of every block subtree.
pub const TREE_SLOTS_PER_TX: usize = MAX_NOTE_HASHES_PER_TX;

const _: () = assert!(MAX_NULLIFIERS_PER_TX == TREE_SLOTS_PER_TX);
const _: () = assert!(MAX_PUBLIC_DATA_WRITES_PER_TX <= TREE_SLOTS_PER_TX);

/// Bits of the smallest power of four holding `slots` leaves.
const fn block_subtree_height(slots: usize) -> usize {
    let bits = slots.next_power_of_two().trailing_zeros() as usize;
    bits.next_multiple_of(LEVEL_BITS)
}

/// Tree depths and block limits. A circuit is built for one configuration; the genesis state
/// root depends on the depths.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    CanonicalSerialize,
    CanonicalDeserialize,
)]
pub struct StateConfig {
    /// Depth of the append-only note-hash tree.
    pub note_tree_depth: usize,
    /// Depth of the indexed nullifier tree.
    pub nullifier_tree_depth: usize,
    /// Depth of the indexed public data tree.
    pub public_data_tree_depth: usize,
    /// Transactions a block holds at most (the circuit's tx slots).
    pub max_txs_per_block: usize,
    /// 31-byte chunks the data hash covers (at least [`required_data_chunks`]).
    pub max_data_chunks: usize,
}

impl StateConfig {
    /// Small blocks for a local devnet and tests: 4 txs per block and trees of depth 16. Each
    /// block takes an aligned subtree of 16 note slots and of 16 nullifier slots (and at least
    /// 4 public data slots), so the trees hold 4096 blocks: 34 hours of 30 s slots.
    pub const fn devnet() -> Self {
        Self {
            note_tree_depth: 16,
            nullifier_tree_depth: 16,
            public_data_tree_depth: 16,
            max_txs_per_block: 4,
            max_data_chunks: required_data_chunks(4),
        }
    }

    /// Production sizes: 32 txs per block and trees of depth 32.
    pub const fn production() -> Self {
        Self {
            note_tree_depth: 32,
            nullifier_tree_depth: 32,
            public_data_tree_depth: 32,
            max_txs_per_block: 32,
            max_data_chunks: required_data_chunks(32),
        }
    }

    /// Height in bits of the subtree a block takes in each tree: `log2` of
    /// `TREE_SLOTS_PER_TX * max_txs_per_block` rounded up to a power of four, so it is one
    /// node of the arity-4 trees (16 slots for 4 txs, 64 for 32). Tx slot `i` owns slots
    /// `2i` and `2i + 1` of it in every tree: its two note hashes, its two nullifiers, its app
    /// write and an unused slot.
    pub const fn block_subtree_height(&self) -> usize {
        block_subtree_height(self.max_txs_per_block * TREE_SLOTS_PER_TX)
    }

    /// Height in bits of the part of each block subtree that a chunk of `txs` tx slots
    /// writes: the block subtree's for the whole block (`txs = max_txs_per_block`), else
    /// `log2(TREE_SLOTS_PER_TX * txs)`. [`Error::InvalidChunkSize`] unless `txs` divides
    /// `max_txs_per_block` and the part is one node of the trees (a power of four: 2, 8 or
    /// 32 txs).
    pub fn chunk_height(&self, txs: usize) -> Result<usize> {
        if txs == self.max_txs_per_block {
            return Ok(self.block_subtree_height());
        }
        let slots = txs * TREE_SLOTS_PER_TX;
        let whole_node =
            slots.is_power_of_two() && (slots.trailing_zeros() as usize).is_multiple_of(LEVEL_BITS);
        if txs == 0 || !self.max_txs_per_block.is_multiple_of(txs) || !whole_node {
            return Err(Error::InvalidChunkSize {
                txs,
                max_txs: self.max_txs_per_block,
            });
        }
        Ok(slots.trailing_zeros() as usize)
    }

    /// The chunk size the deployment's chunk circuit proves: the largest valid size (see
    /// [`chunk_height`](Self::chunk_height)) up to a quarter of the block, so a full block
    /// splits into at least four chunks; the smallest valid size when none is that small. 2 for
    /// the devnet's 4-tx blocks, 8 for production's 32. [`Error::InvalidChunkSize`] when the
    /// block has no chunk size but itself.
    pub fn chunk_txs(&self) -> Result<usize> {
        let valid: Vec<usize> = (1..self.max_txs_per_block)
            .filter(|&txs| self.chunk_height(txs).is_ok())
            .collect();
        let quarter = self.max_txs_per_block / 4;
        valid
            .iter()
            .rev()
            .find(|&&txs| txs <= quarter)
            .or(valid.first())
            .copied()
            .ok_or(Error::InvalidChunkSize {
                txs: 0,
                max_txs: self.max_txs_per_block,
            })
    }

    /// Checks that the depths are usable (in `1..=MAX_TREE_DEPTH` and even: the trees have 4
    /// children per node and a depth counts bits of the leaf index) and a full block fits the
    /// data budget.
    pub fn validate(&self) -> Result<()> {
        for (tree, depth) in [
            ("note_tree_depth", self.note_tree_depth),
            ("nullifier_tree_depth", self.nullifier_tree_depth),
            ("public_data_tree_depth", self.public_data_tree_depth),
        ] {
            if !(1..=MAX_TREE_DEPTH).contains(&depth) {
                return Err(Error::InvalidTreeDepth {
                    tree,
                    depth,
                    max: MAX_TREE_DEPTH,
                });
            }
            if !depth.is_multiple_of(LEVEL_BITS) {
                return Err(Error::OddTreeDepth { tree, depth });
            }
        }
        if self.max_txs_per_block == 0 {
            return Err(Error::ZeroMaxTxs);
        }
        let subtree_height = self.block_subtree_height();
        if subtree_height > self.note_tree_depth {
            return Err(Error::NoteSubtreeTooHigh {
                subtree_height,
                depth: self.note_tree_depth,
            });
        }
        // The genesis leaf fills the first batch subtree: a second one must fit.
        for (tree, batch_height, depth) in [
            (
                "nullifier_tree_depth",
                subtree_height,
                self.nullifier_tree_depth,
            ),
            (
                "public_data_tree_depth",
                subtree_height,
                self.public_data_tree_depth,
            ),
        ] {
            if batch_height >= depth {
                return Err(Error::BatchTooHigh {
                    tree,
                    batch_height,
                    depth,
                });
            }
        }
        let required = required_data_chunks(self.max_txs_per_block);
        if self.max_data_chunks < required {
            return Err(Error::TooFewDataChunks {
                max_data_chunks: self.max_data_chunks,
                required,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_whole_nodes_that_divide_the_block() {
        let production = StateConfig::production();
        assert_eq!(production.chunk_height(2), Ok(2));
        assert_eq!(production.chunk_height(8), Ok(4));
        assert_eq!(production.chunk_height(32), Ok(6));
        let devnet = StateConfig::devnet();
        assert_eq!(devnet.chunk_height(2), Ok(2));
        assert_eq!(devnet.chunk_height(4), Ok(4));
        let odd = StateConfig {
            max_txs_per_block: 3,
            ..devnet
        };
        assert_eq!(odd.chunk_height(3), Ok(4));
        for (config, txs) in [
            (production, 0),
            (production, 4),
            (production, 16),
            (devnet, 1),
            (devnet, 8),
            (production, 64),
        ] {
            assert_eq!(
                config.chunk_height(txs),
                Err(Error::InvalidChunkSize {
                    txs,
                    max_txs: config.max_txs_per_block
                })
            );
        }
    }

    #[test]
    fn the_chunk_size_splits_a_full_block_in_at_least_four_when_it_can() {
        assert_eq!(StateConfig::production().chunk_txs(), Ok(8));
        assert_eq!(StateConfig::devnet().chunk_txs(), Ok(2));
        let big = StateConfig {
            max_txs_per_block: 128,
            ..StateConfig::production()
        };
        assert_eq!(big.chunk_txs(), Ok(32));
        let odd = StateConfig {
            max_txs_per_block: 3,
            ..StateConfig::devnet()
        };
        assert_eq!(
            odd.chunk_txs(),
            Err(Error::InvalidChunkSize { txs: 0, max_txs: 3 })
        );
    }

    #[test]
    fn presets_are_valid() {
        let devnet = StateConfig::devnet();
        devnet.validate().unwrap();
        assert_eq!(devnet.block_subtree_height(), 4);
        assert_eq!(devnet.max_data_chunks, 34);
        let production = StateConfig::production();
        production.validate().unwrap();
        assert_eq!(production.block_subtree_height(), 6);
        assert_eq!(production.max_data_chunks, 237);
    }

    #[test]
    fn rejects_bad_sizes() {
        let bad = StateConfig {
            nullifier_tree_depth: 0,
            ..StateConfig::devnet()
        };
        assert_eq!(
            bad.validate(),
            Err(Error::InvalidTreeDepth {
                tree: "nullifier_tree_depth",
                depth: 0,
                max: 62
            })
        );
        let odd = StateConfig {
            public_data_tree_depth: 11,
            ..StateConfig::devnet()
        };
        assert_eq!(
            odd.validate(),
            Err(Error::OddTreeDepth {
                tree: "public_data_tree_depth",
                depth: 11
            })
        );
        let bad = StateConfig {
            max_txs_per_block: 0,
            ..StateConfig::devnet()
        };
        assert_eq!(bad.validate(), Err(Error::ZeroMaxTxs));
        let bad = StateConfig {
            note_tree_depth: 2,
            ..StateConfig::devnet()
        };
        assert_eq!(
            bad.validate(),
            Err(Error::NoteSubtreeTooHigh {
                subtree_height: 4,
                depth: 2
            })
        );
        let bad = StateConfig {
            nullifier_tree_depth: 4,
            ..StateConfig::devnet()
        };
        assert_eq!(
            bad.validate(),
            Err(Error::BatchTooHigh {
                tree: "nullifier_tree_depth",
                batch_height: 4,
                depth: 4
            })
        );
        let bad = StateConfig {
            max_data_chunks: 33,
            ..StateConfig::devnet()
        };
        assert_eq!(
            bad.validate(),
            Err(Error::TooFewDataChunks {
                max_data_chunks: 33,
                required: 34
            })
        );
    }

    #[test]
    fn serde_round_trip() {
        let json = serde_json::to_string(&StateConfig::production()).unwrap();
        assert_eq!(
            serde_json::from_str::<StateConfig>(&json).unwrap(),
            StateConfig::production()
        );
    }
}
