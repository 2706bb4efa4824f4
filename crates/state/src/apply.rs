//! Native block application: checks a block against the state, applies it, and records the
//! witness the block circuit consumes.
//!
//! Order of writes (the circuit follows it): for each of the `max_txs_per_block` tx slots
//! (padding slots are all-zero effects), nullifier slot 0, nullifier slot 1, then the public
//! data write slot; after all tx slots, the note-hash subtree append. Note slot `j` of tx
//! slot `i` is leaf `2i + j` of the appended subtree (fixed positions, zeros for empty
//! slots, zero-padded to `2^note_subtree_height`).

use std::collections::HashSet;

use ark_ff::AdditiveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{
    block::{Address, Block},
    config::StateConfig,
    encoding::encode_block_data,
    error::Error,
    field::Fr,
    fingerprint::{data_chunks, DataFingerprint},
    merkle::MerkleUpdate,
    nullifier_tree::NullifierWitness,
    public_data_tree::PublicDataWitness,
    public_inputs::BlockPublicInputs,
    tx::TxEffect,
    world_state::{StateSnapshot, WorldState},
    Result,
};

/// Everything the block circuit needs, in application order.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BlockWitness {
    /// The configuration (depths, slots) the witness is shaped for.
    pub config: StateConfig,
    /// Block number.
    pub block_number: u64,
    /// Slot.
    pub slot: u64,
    /// Coinbase, if any.
    pub coinbase: Option<Address>,
    /// Real transactions in the block; `txs[num_txs..]` are padding.
    pub num_txs: usize,
    /// Tx effects padded with `TxEffect::default()` to `max_txs_per_block`.
    pub txs: Vec<TxEffect>,
    /// Tree snapshots before the block.
    pub prev_state: StateSnapshot,
    /// Tree snapshots after the block.
    pub new_state: StateSnapshot,
    /// One witness per nullifier slot (`2 * max_txs_per_block`, tx-major), chained: each
    /// starts from the root the previous one ends at.
    pub nullifiers: Vec<NullifierWitness>,
    /// One witness per public data slot (`max_txs_per_block`), chained likewise.
    pub public_data_writes: Vec<PublicDataWitness>,
    /// The note-hash subtree append (height `note_subtree_height`).
    pub note_hash_append: MerkleUpdate,
    /// The published block data.
    pub data: Vec<u8>,
    /// Its chunks `d_i`, zero-padded to `max_data_chunks`.
    pub data_chunks: Vec<Fr>,
    /// The public inputs. `apply_block` leaves the payee unset (the zero address): a block
    /// is the same whoever proves it, so the prover names itself with
    /// [`BlockWitness::with_payee`].
    pub public_inputs: BlockPublicInputs,
}

impl BlockWitness {
    /// The same witness for a proof that pays `payee` (the public input `[6]`): one witness
    /// can be proven for any payee.
    pub fn with_payee(self, payee: Address) -> Self {
        Self {
            public_inputs: self.public_inputs.with_payee(payee),
            ..self
        }
    }
}

/// Checks `block` against `state`, applies it, and returns its witness. On error the state
/// is unchanged: every check runs before the first write.
pub fn apply_block(state: &mut WorldState, block: &Block) -> Result<BlockWitness> {
    let config = state.config;
    let expected = state.block_number + 1;
    if block.number != expected {
        return Err(Error::UnexpectedBlockNumber {
            expected,
            actual: block.number,
        });
    }
    if let Some(previous) = state.last_slot.filter(|previous| block.slot <= *previous) {
        return Err(Error::SlotNotIncreasing {
            previous,
            actual: block.slot,
        });
    }
    let body = &block.body;
    if body.txs.len() > config.max_txs_per_block {
        return Err(Error::TooManyTxs {
            count: body.txs.len(),
            max: config.max_txs_per_block,
        });
    }
    let data = encode_block_data(body)?;
    let fingerprint = DataFingerprint::compute(&data, config.max_data_chunks)?;
    check_against_state(state, &body.txs)?;

    let prev_state = state.snapshot();
    let mut txs = body.txs.clone();
    txs.resize(config.max_txs_per_block, TxEffect::default());
    let mut nullifiers = Vec::with_capacity(txs.len() * 2);
    let mut public_data_writes = Vec::with_capacity(txs.len());
    for tx in &txs {
        for nullifier in tx.nullifiers {
            nullifiers.push(if nullifier == Fr::ZERO {
                state.nullifier_tree.noop()
            } else {
                state.nullifier_tree.insert(nullifier)?
            });
        }
        public_data_writes.push(match tx.public_data_write() {
            None => state.public_data_tree.noop(),
            Some(write) => state.public_data_tree.write(write.key, write.value)?,
        });
    }
    let note_leaves: Vec<Fr> = txs.iter().flat_map(|tx| tx.note_hashes).collect();
    let note_hash_append = state.note_hash_tree.append_subtree(&note_leaves)?;
    let new_state = state.snapshot();
    state.block_number = block.number;
    state.last_slot = Some(block.slot);

    let public_inputs = BlockPublicInputs::new(
        prev_state.state_root(),
        new_state.state_root(),
        block.number,
        block.slot,
        body.total_fees(),
        fingerprint,
    )?;
    let mut chunks = data_chunks(&data);
    chunks.resize(config.max_data_chunks, Fr::ZERO);
    Ok(BlockWitness {
        config,
        block_number: block.number,
        slot: block.slot,
        coinbase: body.coinbase,
        num_txs: body.txs.len(),
        txs,
        prev_state,
        new_state,
        nullifiers,
        public_data_writes,
        note_hash_append,
        data,
        data_chunks: chunks,
        public_inputs,
    })
}

/// The checks that need the state: no nullifier spent before, and room in every tree.
fn check_against_state(state: &WorldState, txs: &[TxEffect]) -> Result<()> {
    let mut nullifier_count = 0u64;
    for nullifier in txs.iter().flat_map(TxEffect::nullifiers) {
        if state.nullifier_tree.contains(&nullifier) {
            return Err(Error::NullifierExists { nullifier });
        }
        nullifier_count += 1;
    }
    state
        .nullifier_tree
        .inner()
        .check_capacity(nullifier_count)?;
    let public_data = state.public_data_tree.inner();
    let new_keys: HashSet<Fr> = txs
        .iter()
        .filter_map(TxEffect::public_data_write)
        .map(|write| write.key)
        .filter(|key| public_data.find(key).is_none())
        .collect();
    public_data.check_capacity(new_keys.len() as u64)?;
    state.note_hash_tree.check_capacity()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::{
        encoding::decode_block_data, indexed::tests::assert_witness_consistent,
        merkle::tests::dense_root, poseidon, tx::PublicDataWrite, BlockBody,
    };

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    fn config() -> StateConfig {
        StateConfig {
            note_tree_depth: 8,
            nullifier_tree_depth: 8,
            public_data_tree_depth: 8,
            max_txs_per_block: 3,
            max_data_chunks: crate::config::required_data_chunks(3),
        }
    }

    fn block(number: u64, txs: Vec<TxEffect>) -> Block {
        Block {
            number,
            slot: number * 2,
            body: BlockBody {
                coinbase: Some([7; 20]),
                txs,
            },
        }
    }

    fn tx(fee: u64, nullifiers: &[u64], notes: &[u64], write: Option<(u64, u64)>) -> TxEffect {
        let n: Vec<Fr> = nullifiers.iter().copied().map(fr).collect();
        let c: Vec<Fr> = notes.iter().copied().map(fr).collect();
        let w = write.map(|(key, value)| PublicDataWrite {
            key: fr(key),
            value: fr(value),
        });
        TxEffect::new(fee, &n, &c, w).unwrap()
    }

    /// Replays the witness as the circuit does: every path verifies, the roots chain from
    /// the previous snapshot to the new one, and the public inputs match.
    fn check_witness(w: &BlockWitness) {
        let max = w.config.max_txs_per_block;
        assert_eq!(
            (w.txs.len(), w.nullifiers.len(), w.public_data_writes.len()),
            (max, 2 * max, max)
        );
        let mut nullifier = w.prev_state.nullifier_tree;
        let mut public_data = w.prev_state.public_data_tree;
        for (i, tx) in w.txs.iter().enumerate() {
            for (j, value) in tx.nullifiers.iter().enumerate() {
                let slot = &w.nullifiers[2 * i + j];
                assert_witness_consistent(slot);
                assert_eq!(slot.old_root(), nullifier.root);
                assert_eq!(slot.inserted, *value != Fr::ZERO);
                if slot.inserted {
                    assert_eq!(slot.new_leaf.value, *value);
                    assert_eq!(slot.new_leaf_index, nullifier.next_index);
                    nullifier.next_index += 1;
                } else {
                    assert_eq!(slot.new_root(), slot.old_root());
                }
                nullifier.root = slot.new_root();
            }
            let slot = &w.public_data_writes[i];
            assert_witness_consistent(slot);
            assert_eq!(slot.old_root(), public_data.root);
            let write = tx.public_data_write;
            if write.key != Fr::ZERO {
                assert_eq!(
                    (slot.new_leaf.key, slot.new_leaf.value),
                    (write.key, write.value)
                );
            }
            if slot.inserted {
                assert_eq!(slot.new_leaf_index, public_data.next_index);
                public_data.next_index += 1;
            }
            public_data.root = slot.new_root();
        }
        assert_eq!(nullifier, w.new_state.nullifier_tree);
        assert_eq!(public_data, w.new_state.public_data_tree);

        let append = &w.note_hash_append;
        let height = w.config.note_subtree_height();
        let mut leaves: Vec<Fr> = w.txs.iter().flat_map(|tx| tx.note_hashes).collect();
        leaves.resize(1 << height, Fr::ZERO);
        assert_eq!(append.new_node, dense_root(height, &leaves));
        assert_eq!(
            append.index << height,
            w.prev_state.note_hash_tree.next_index
        );
        assert_eq!(
            append.path.compute_root(append.old_node, append.index),
            w.prev_state.note_hash_tree.root
        );
        assert_eq!(
            append.path.compute_root(append.new_node, append.index),
            w.new_state.note_hash_tree.root
        );

        let inputs = &w.public_inputs;
        assert_eq!(inputs.prev_state_root(), w.prev_state.state_root());
        assert_eq!(inputs.new_state_root(), w.new_state.state_root());
        assert_eq!(
            inputs.fingerprint(),
            DataFingerprint::compute(&w.data, w.config.max_data_chunks).unwrap()
        );
        assert_eq!(w.data_chunks.len(), w.config.max_data_chunks);
        assert_eq!(decode_block_data(&w.data).unwrap().txs, w.txs[..w.num_txs]);
    }

    /// Roots of the three trees recomputed from scratch from the applied blocks: dense
    /// Merkle trees, indexed leaves linked by sorting.
    fn scratch_snapshot(config: &StateConfig, blocks: &[Block]) -> StateSnapshot {
        let subtree = 1usize << config.note_subtree_height();
        let mut notes = vec![];
        let mut nullifiers = vec![Fr::ZERO];
        let mut keys = vec![Fr::ZERO];
        let mut values = BTreeMap::from([(Fr::ZERO, Fr::ZERO)]);
        for block in blocks {
            let mut leaves: Vec<Fr> = block
                .body
                .txs
                .iter()
                .flat_map(|tx| tx.note_hashes)
                .collect();
            leaves.resize(subtree, Fr::ZERO);
            notes.extend(leaves);
            for tx in &block.body.txs {
                nullifiers.extend(tx.nullifiers());
                if let Some(write) = tx.public_data_write() {
                    if values.insert(write.key, write.value).is_none() {
                        keys.push(write.key);
                    }
                }
            }
        }
        let linked = |keys: &[Fr], leaf: &dyn Fn(Fr, u64, Fr) -> Fr| -> Vec<Fr> {
            keys.iter()
                .map(|key| {
                    let next = keys
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| *k > key)
                        .min_by_key(|(_, k)| **k);
                    let (next_index, next_key) =
                        next.map_or((0, Fr::ZERO), |(i, k)| (i as u64, *k));
                    leaf(*key, next_index, next_key)
                })
                .collect()
        };
        let nullifier_leaves = linked(&nullifiers, &|v, i, n| poseidon::hash([v, fr(i), n]));
        let public_leaves = linked(&keys, &|k, i, n| poseidon::hash([k, values[&k], fr(i), n]));
        StateSnapshot {
            note_hash_tree: crate::TreeSnapshot {
                root: dense_root(config.note_tree_depth, &notes),
                next_index: notes.len() as u64,
            },
            nullifier_tree: crate::TreeSnapshot {
                root: dense_root(config.nullifier_tree_depth, &nullifier_leaves),
                next_index: nullifiers.len() as u64,
            },
            public_data_tree: crate::TreeSnapshot {
                root: dense_root(config.public_data_tree_depth, &public_leaves),
                next_index: keys.len() as u64,
            },
        }
    }

    #[test]
    fn applies_blocks_and_matches_scratch_roots() {
        let mut state = WorldState::new(config()).unwrap();
        let genesis = state.state_root();
        let blocks = [
            block(
                1,
                vec![
                    tx(5, &[10, 20], &[1, 2], Some((3, 4))),
                    tx(6, &[15], &[7], Some((3, 8))),
                ],
            ),
            block(2, vec![]),
            block(
                3,
                vec![
                    tx(1, &[5], &[], Some((9, 1))),
                    tx(0, &[30, 25], &[4], None),
                    tx(2, &[12], &[], Some((3, 0))),
                ],
            ),
        ];
        let mut prev_root = genesis;
        for (i, b) in blocks.iter().enumerate() {
            let witness = apply_block(&mut state, b).unwrap();
            check_witness(&witness);
            assert_eq!(witness.public_inputs.prev_state_root(), prev_root);
            prev_root = witness.public_inputs.new_state_root();
            assert_eq!(state.snapshot(), scratch_snapshot(&config(), &blocks[..=i]));
        }
        assert_eq!(state.public_data_tree().read(&fr(3)), Fr::ZERO);
        assert_eq!(state.public_data_tree().read(&fr(9)), fr(1));
        assert_eq!(state.block_number(), 3);
        assert_eq!(state.last_slot(), Some(6));
    }

    #[test]
    fn witness_of_first_block_carries_totals_and_padding() {
        let mut state = WorldState::new(config()).unwrap();
        let witness = apply_block(
            &mut state,
            &block(1, vec![tx(5, &[10], &[1], None), tx(7, &[11], &[], None)]),
        )
        .unwrap();
        assert_eq!(witness.public_inputs.total_fees(), 12);
        assert_eq!(witness.num_txs, 2);
        assert_eq!(witness.txs[2], TxEffect::default());
        assert!(!witness.nullifiers[1].inserted && !witness.nullifiers[5].inserted);
        assert_eq!(
            witness.public_inputs.to_field_elements()[2],
            crate::pack_globals(1, 2, 12).unwrap()
        );
    }

    #[test]
    fn with_payee_names_the_payee_and_changes_nothing_else() {
        let mut state = WorldState::new(config()).unwrap();
        let witness = apply_block(&mut state, &block(1, vec![tx(5, &[10], &[1], None)])).unwrap();
        assert_eq!(
            witness.public_inputs.payee(),
            [0; 20],
            "apply_block names no payee"
        );
        let paid = witness.clone().with_payee([0x42; 20]);
        assert_eq!(paid.public_inputs.payee(), [0x42; 20]);
        assert_eq!(
            paid.public_inputs.committed_u256_be_words(),
            witness.public_inputs.committed_u256_be_words()
        );
        let mut unpaid = paid.clone();
        unpaid.public_inputs = witness.public_inputs;
        assert_eq!(unpaid, witness, "only the payee differs");
        assert_ne!(
            paid.to_bytes(),
            witness.to_bytes(),
            "the payee is serialized"
        );
    }

    #[test]
    fn rejects_double_spend_and_leaves_state_unchanged() {
        let mut state = WorldState::new(config()).unwrap();
        apply_block(&mut state, &block(1, vec![tx(0, &[10], &[], None)])).unwrap();
        let root = state.state_root();
        let spend_again = block(
            2,
            vec![tx(0, &[11], &[1], Some((1, 1))), tx(0, &[10], &[], None)],
        );
        assert_eq!(
            apply_block(&mut state, &spend_again),
            Err(Error::NullifierExists { nullifier: fr(10) })
        );
        let twice_in_block = block(
            2,
            vec![tx(0, &[11], &[], None), tx(0, &[12, 11], &[], None)],
        );
        assert_eq!(
            apply_block(&mut state, &twice_in_block),
            Err(Error::DuplicateNullifier {
                nullifier: fr(11),
                first_tx: 0,
                second_tx: 1
            })
        );
        assert_eq!(state.state_root(), root);
        assert_eq!(state.block_number(), 1);
    }

    #[test]
    fn rejects_wrong_position_and_limits() {
        let mut state = WorldState::new(config()).unwrap();
        assert_eq!(
            apply_block(&mut state, &block(2, vec![])),
            Err(Error::UnexpectedBlockNumber {
                expected: 1,
                actual: 2
            })
        );
        apply_block(&mut state, &block(1, vec![])).unwrap();
        let same_slot = Block {
            slot: 2,
            ..block(2, vec![])
        };
        assert_eq!(
            apply_block(&mut state, &same_slot),
            Err(Error::SlotNotIncreasing {
                previous: 2,
                actual: 2
            })
        );
        let full = block(2, (1..=4).map(|n| tx(0, &[n], &[], None)).collect());
        assert_eq!(
            apply_block(&mut state, &full),
            Err(Error::TooManyTxs { count: 4, max: 3 })
        );
    }

    #[test]
    fn rejects_block_that_overflows_a_tree() {
        let small = StateConfig {
            nullifier_tree_depth: 2,
            ..config()
        };
        let mut state = WorldState::new(small).unwrap();
        let b = block(
            1,
            vec![tx(0, &[1, 2], &[], None), tx(0, &[3, 4], &[], None)],
        );
        assert_eq!(
            apply_block(&mut state, &b),
            Err(Error::TreeFull {
                tree: "nullifier tree",
                next_index: 1,
                needed: 4,
                capacity: 4
            })
        );
        assert_eq!(state.block_number(), 0);
    }

    fn arb_tx() -> impl Strategy<Value = TxEffect> {
        (
            0u64..1000,
            prop::collection::vec(1u64..40, 1..=2),
            prop::collection::vec(1u64..1000, 0..=2),
            prop::option::of((1u64..8, 0u64..5)),
        )
            .prop_map(|(fee, mut nullifiers, notes, write)| {
                nullifiers.dedup();
                tx(fee, &nullifiers, &notes, write)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Random blocks (some double-spending, so rejected) keep the native trees equal to
        /// a from-scratch recomputation, and every witness replays.
        #[test]
        fn random_blocks_match_scratch_recomputation(
            blocks in prop::collection::vec(prop::collection::vec(arb_tx(), 0..=3), 1..5)
        ) {
            let config = config();
            let mut state = WorldState::new(config).unwrap();
            let mut applied: Vec<Block> = vec![];
            for txs in blocks {
                let candidate = block(state.block_number() + 1, txs);
                let before = state.snapshot();
                match apply_block(&mut state, &candidate) {
                    Ok(witness) => {
                        check_witness(&witness);
                        applied.push(candidate);
                    }
                    Err(Error::NullifierExists { .. } | Error::DuplicateNullifier { .. }) => {
                        prop_assert_eq!(state.snapshot(), before);
                    }
                    Err(other) => prop_assert!(false, "unexpected error {other}"),
                }
                prop_assert_eq!(state.snapshot(), scratch_snapshot(&config, &applied));
            }
        }
    }
}
