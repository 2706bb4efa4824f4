//! The block circuit: one Groth16 statement per block (or per chunk of a block) that the state
//! transition recorded by `fernet_state::apply_block` (`apply_block_in_chunks`) is valid and
//! bound to the data the proposal published.
//!
//! Public inputs, in the order of `fernet_state::BlockPublicInputs` (shared with Solidity):
//! `[prevStateRoot, newStateRoot, globals, h, z, y, payee, chunk]` with
//! `globals = blockNumber + slot * 2^64 + totalFees * 2^128` and `chunk = index + isLast *
//! 2^8`: `2^8` for a whole block; a chunk of `k` tx slots has the states before and after it
//! as its roots and writes only tx slots `[index * k, (index + 1) * k)` (see [`part`]). The
//! circuit
//!
//! 1. opens `prevStateRoot` into the three tree snapshots (width-7 Poseidon);
//! 2. allocates the message and tx slots, enforces the tx slot rules and zero padding, and
//!    rebuilds the v2 data encoding from the bits of the words ([`data`]);
//! 3. proves `h` (Poseidon chain over `[byteLength, chunks...]`) and `y = sum d_i z^i` for
//!    the public `z` the L1 contract derived;
//! 4. sums the fees (each range-checked to 64 bits) into `globals` with the 64-bit block
//!    number and slot;
//! 5. replays, in the native order, the fee credit of every message slot (the first chunk
//!    only), then the fee debit of each of its tx slots, the app write batch, the nullifier
//!    batch and the note-hash append, each the part of its block subtree that the tx slots own
//!    ([`crate::gadgets`]). A fee balance is a public data leaf under key
//!    `2^252 + payer` written read-modify-write and range-checked to 128 bits, so a fee above
//!    the payer's balance makes the block unprovable; app keys are below `2^252`;
//! 6. closes the new snapshots into `newStateRoot`;
//! 7. range-checks `payee` to 160 bits: the proof is bound to the address it pays (a public
//!    input no constraint uses would not be bound by Groth16 at all).
//!
//! The witness is `fernet_state::BlockWitness`, produced by the native `apply_block`: there
//! is no second implementation of block application.

mod data;
pub mod epoch;
mod part;
pub mod prover;
pub mod sizing;
pub mod tools;

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, prelude::Boolean, GR1CSVar};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, SynthesisError,
};
use fernet_state::{
    apply_block_in_chunks, Block, BlockWitness, PublicDataWitness, SparseMerkleTree, StateConfig,
    StateSnapshot, WorldState, FEE_BALANCE_BITS, LEVEL_BITS, MESSAGES_PER_BLOCK, NUM_PUBLIC_INPUTS,
    PAYEE_BITS, TREE_SLOTS_PER_TX,
};
use serde::Serialize;

use crate::{
    gadgets::{
        indexed::{
            batch_write, debit_existing, indexed_write, BatchHint, BatchInput, BatchPlacement,
            DebitHint, IndexedWriteHint, TreeVars, WriteInput,
        },
        linear::Linear,
        merkle::{alloc_siblings, root_from_path, subtree_root},
        num::alloc_uint,
        poseidon,
    },
    Error, Result,
};
use part::PartVars;

/// Bits of the block number and of the slot in `globals`.
const HEADER_FIELD_BITS: usize = 64;

/// The block circuit for one [`BlockWitness`].
#[derive(Clone, Debug)]
pub struct BlockCircuit {
    witness: BlockWitness,
}

/// Constraints per component of the block circuit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConstraintReport {
    /// Opening `prevStateRoot` and closing `newStateRoot` (two width-7 Poseidon hashes).
    pub state_roots: usize,
    /// Tx slot allocation, slot rules, padding, and the bit decompositions of every word.
    pub data_encoding: usize,
    /// The Poseidon chain `h` over the chunks.
    pub data_hash: usize,
    /// The evaluation `y` at `z`.
    pub data_evaluation: usize,
    /// Fees, block number and slot packed into `globals`.
    pub globals: usize,
    /// The nullifier batch (two slots per tx slot written).
    pub nullifier_tree: usize,
    /// The app write batch (one write per tx slot written).
    pub public_data_tree: usize,
    /// Every fee balance write: the credits of the message slots and the debits of the tx
    /// slots written.
    pub fee_balances: usize,
    /// The note-hash subtree root and its append.
    pub note_hash_tree: usize,
    /// The payee's 160-bit range check.
    pub payee: usize,
    /// The chunk word, a chunk's selection of its tx slots and the last chunk's coverage check.
    pub chunk: usize,
    /// All constraints.
    pub total: usize,
}

impl BlockCircuit {
    /// The circuit proving `witness`, after checking it has the shape of its config and part.
    pub fn new(witness: BlockWitness) -> Result<Self> {
        let config = witness.config;
        let max = config.max_txs_per_block;
        let part = witness.part;
        let height = config.chunk_height(part.txs)?;
        if part.tx_range().end > max {
            return Err(Error::WitnessShape {
                item: "chunk index",
                expected: max / part.txs,
                actual: part.index,
            });
        }
        let shapes = [
            ("txs", witness.txs.len(), max),
            ("messages", witness.messages.len(), MESSAGES_PER_BLOCK),
            (
                "fee credit witnesses",
                witness.fee_credits.len(),
                MESSAGES_PER_BLOCK,
            ),
            ("fee debit witnesses", witness.fee_debits.len(), part.txs),
            (
                "nullifier witnesses",
                witness.nullifiers.slots.len(),
                TREE_SLOTS_PER_TX * part.txs,
            ),
            (
                "nullifier subtree path",
                witness.nullifiers.subtree_update.path.siblings.len(),
                (config.nullifier_tree_depth - height) / LEVEL_BITS,
            ),
            (
                "public data witnesses",
                witness.public_data_writes.slots.len(),
                TREE_SLOTS_PER_TX * part.txs,
            ),
            (
                "public data subtree path",
                witness
                    .public_data_writes
                    .subtree_update
                    .path
                    .siblings
                    .len(),
                (config.public_data_tree_depth - height) / LEVEL_BITS,
            ),
            (
                "data chunks",
                witness.data_chunks.len(),
                config.max_data_chunks,
            ),
            (
                "note subtree path",
                witness.note_hash_append.path.siblings.len(),
                (config.note_tree_depth - height) / LEVEL_BITS,
            ),
        ];
        for (item, actual, expected) in shapes {
            if actual != expected {
                return Err(Error::WitnessShape {
                    item,
                    expected,
                    actual,
                });
            }
        }
        Ok(Self { witness })
    }

    /// A circuit of the shape of `config` and chunks of `txs` tx slots (`max_txs_per_block`:
    /// the whole block) for the setup: the witness of an empty block on the genesis state
    /// (the setup ignores the values, so any valid witness of the shape does).
    pub fn blank(config: StateConfig, txs: usize) -> Result<Self> {
        let mut state = WorldState::new(config)?;
        let block = Block {
            number: 1,
            ..Block::default()
        };
        let mut parts = apply_block_in_chunks(&mut state, &block, txs)?;
        Self::new(parts.pop().expect("an empty block is one chunk"))
    }

    /// The configuration the circuit is shaped for.
    pub fn config(&self) -> StateConfig {
        self.witness.config
    }

    /// The witness.
    pub fn witness(&self) -> &BlockWitness {
        &self.witness
    }

    /// The eight public inputs the proof is checked against.
    pub fn public_inputs(&self) -> [Fr; NUM_PUBLIC_INPUTS] {
        self.witness.public_inputs.to_field_elements()
    }

    /// Synthesizes the circuit into a fresh constraint system and reports the constraints of
    /// each component.
    pub fn constraint_report(self) -> Result<ConstraintReport> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let mut report = ConstraintReport::default();
        self.synthesize(&cs, &mut report)?;
        report.total = cs.num_constraints();
        Ok(report)
    }

    /// Synthesizes into `cs` (with the witness assigned) and tells whether every constraint
    /// holds: what a proof of this circuit would need.
    pub fn is_satisfied(self) -> Result<bool> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        self.synthesize(&cs, &mut ConstraintReport::default())?;
        Ok(cs.is_satisfied()?)
    }

    fn synthesize(
        self,
        cs: &ConstraintSystemRef<Fr>,
        report: &mut ConstraintReport,
    ) -> Result<(), SynthesisError> {
        let w = self.witness;
        let config = w.config;
        let mut mark = cs.num_constraints();
        let mut section = |cs: &ConstraintSystemRef<Fr>| {
            let now = cs.num_constraints();
            let spent = now - mark;
            mark = now;
            spent
        };

        let inputs = w
            .public_inputs
            .to_field_elements()
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let [prev_root, new_root, globals, h, z, y, payee, chunk_word]: [FpVar<Fr>;
            NUM_PUBLIC_INPUTS] = inputs
            .try_into()
            .map_err(|_| SynthesisError::Unsatisfiable)?;

        // 1. The previous state.
        let prev = SnapshotVars::alloc(cs, &config, &w.prev_state)?;
        prev.state_root(cs)?.enforce_equal(&prev_root)?;
        report.state_roots += section(cs);

        // 2-3. The data and its fingerprint.
        let (txs, num_txs) = data::alloc_txs(cs, &w.txs, w.num_txs)?;
        let messages = data::alloc_messages(cs, &w.messages)?;
        let chunks = data::encode_chunks(
            cs,
            &config,
            &messages,
            data::num_messages(&w.messages),
            &txs,
            &num_txs,
            w.coinbase.unwrap_or_default(),
        )?;
        report.data_encoding += section(cs);
        let hash = data::data_hash(cs, &data::byte_length(&num_txs), &chunks)?;
        data::bind(cs, &hash, &h)?;
        report.data_hash += section(cs);
        let evaluation = data::evaluation(cs, &chunks, &Linear::from_var(&z))?;
        data::bind(cs, &evaluation, &y)?;
        report.data_evaluation += section(cs);

        // 4. Globals.
        let block_number = alloc_uint(cs, Some(Fr::from(w.block_number)), HEADER_FIELD_BITS)?;
        let slot = alloc_uint(cs, Some(Fr::from(w.slot)), HEADER_FIELD_BITS)?;
        let total_fees = txs
            .iter()
            .fold(Linear::constant(Fr::ZERO), |acc, tx| acc.add(&tx.fee));
        let two_64 = Fr::from(2u64).pow([64]);
        let packed = Linear::from_bits_le(&block_number)
            .add_scaled(two_64, &Linear::from_bits_le(&slot))
            .add_scaled(two_64 * two_64, &total_fees);
        data::bind(cs, &packed, &globals)?;
        report.globals += section(cs);

        // The part: which tx slots this proof writes.
        let part = PartVars::alloc(cs, &config, w.part, &chunk_word)?;
        let window = part.select_txs(cs, &txs)?;
        part.enforce_covers_real_txs(cs, &txs)?;
        report.chunk += section(cs);

        // 5. The writes, in the native order: the credits (first chunk); the debits of the tx
        // slots; their app writes, nullifiers and note hashes, each one part subtree.
        let height = config
            .chunk_height(w.part.txs)
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        let block_height = config.block_subtree_height();
        let mut public_data_tree = prev.public_data_tree.clone();
        let fee_write = |tree: &TreeVars,
                         key: &data::FieldWord,
                         delta: &Linear,
                         witness: &PublicDataWitness| {
            let input = WriteInput {
                key: &key.var,
                key_bits: &key.bits,
                delta,
                bits: FEE_BALANCE_BITS as usize,
            };
            let hint = IndexedWriteHint::from(witness);
            indexed_write(cs, config.public_data_tree_depth, tree, input, &hint)
        };
        for (message, witness) in messages.iter().zip(&w.fee_credits) {
            let (key, amount) = part.first_chunk_credit(cs, message)?;
            public_data_tree = fee_write(&public_data_tree, &key, &amount, witness)?;
            report.fee_balances += section(cs);
        }
        for (tx, debit) in window.iter().zip(&w.fee_debits) {
            public_data_tree = debit_existing(
                cs,
                config.public_data_tree_depth,
                &public_data_tree,
                &tx.balance_key,
                &tx.fee,
                FEE_BALANCE_BITS as usize,
                &DebitHint::from(debit),
            )?;
            report.fee_balances += section(cs);
        }
        let placement = BatchPlacement {
            block_height,
            part: &part.index_bits,
            closes: &part.is_last,
        };
        let empty = FpVar::Constant(Fr::ZERO);
        let writes: Vec<BatchInput<'_>> = window
            .iter()
            .flat_map(|tx| {
                [
                    BatchInput {
                        key: &tx.public_key.var,
                        key_bits: &tx.public_key.bits,
                        value: Some(&tx.public_value),
                    },
                    BatchInput {
                        key: &empty,
                        key_bits: &[],
                        value: Some(&empty),
                    },
                ]
            })
            .collect();
        let public_data_tree = batch_write(
            cs,
            config.public_data_tree_depth,
            height,
            placement,
            &public_data_tree,
            &writes,
            &BatchHint::from(&w.public_data_writes),
        )?;
        report.public_data_tree += section(cs);

        let keys: Vec<BatchInput<'_>> = window
            .iter()
            .flat_map(|tx| {
                tx.nullifiers.iter().map(|nullifier| BatchInput {
                    key: &nullifier.var,
                    key_bits: &nullifier.bits,
                    value: None,
                })
            })
            .collect();
        let nullifier_tree = batch_write(
            cs,
            config.nullifier_tree_depth,
            height,
            placement,
            &prev.nullifier_tree,
            &keys,
            &BatchHint::from(&w.nullifiers),
        )?;
        report.nullifier_tree += section(cs);

        let mut leaves: Vec<FpVar<Fr>> = window
            .iter()
            .flat_map(|tx| tx.note_hashes.iter().cloned())
            .collect();
        leaves.resize(1 << height, FpVar::Constant(Fr::ZERO));
        let subtree = subtree_root(cs, &leaves)?;
        let empty_subtree = FpVar::Constant(SparseMerkleTree::new(height).root());
        let siblings = alloc_siblings(cs, &w.note_hash_append.path.siblings)?;
        let position: Vec<Boolean<Fr>> = part
            .index_bits
            .iter()
            .chain(&prev.note_subtree_index)
            .cloned()
            .collect();
        root_from_path(cs, &empty_subtree, &position, &siblings)?
            .enforce_equal(&prev.note_hash_tree.root)?;
        let note_hash_tree = TreeVars {
            root: root_from_path(cs, &subtree, &position, &siblings)?,
            next_index: Linear::from_var(&prev.note_hash_tree.next_index)
                .add_scaled(
                    Fr::from(1u64 << block_height),
                    &Linear::from_bool(&part.is_last),
                )
                .to_var(cs)?,
        };
        report.note_hash_tree += section(cs);

        // 6. The new state.
        let new_state = [note_hash_tree, nullifier_tree, public_data_tree];
        snapshot_root(cs, &new_state)?.enforce_equal(&new_root)?;
        report.state_roots += section(cs);

        // 7. The payee.
        bind_payee(cs, &payee)?;
        report.payee += section(cs);
        Ok(())
    }
}

/// Enforces `payee < 2^160` (an L1 address): the payee recomposed from 160 witness bits. This
/// is the constraint that binds the payee input to the proof.
fn bind_payee(cs: &ConstraintSystemRef<Fr>, payee: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let bits = alloc_uint(cs, payee.value().ok(), PAYEE_BITS)?;
    data::bind(cs, &Linear::from_bits_le(&bits), payee)
}

impl ConstraintSynthesizer<Fr> for BlockCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(&cs, &mut ConstraintReport::default())
    }
}

/// The three tree snapshots of a state, as variables.
struct SnapshotVars {
    note_hash_tree: TreeVars,
    /// `noteNextIndex >> block_subtree_height` in little-endian bits: the position of the
    /// block's subtree, range-checked so the tree has room for it.
    note_subtree_index: Vec<ark_r1cs_std::prelude::Boolean<Fr>>,
    nullifier_tree: TreeVars,
    public_data_tree: TreeVars,
}

impl SnapshotVars {
    fn alloc(
        cs: &ConstraintSystemRef<Fr>,
        config: &StateConfig,
        snapshot: &StateSnapshot,
    ) -> Result<Self, SynthesisError> {
        let height = config.block_subtree_height();
        let note = snapshot.note_hash_tree;
        let note_subtree_index = alloc_uint(
            cs,
            Some(Fr::from(note.next_index >> height)),
            config.note_tree_depth - height,
        )?;
        let note_next_index = Linear::from_bits_le(&note_subtree_index)
            .scale(Fr::from(1u64 << height))
            .to_var(cs)?;
        let tree = |t: fernet_state::TreeSnapshot| -> Result<TreeVars, SynthesisError> {
            Ok(TreeVars {
                root: FpVar::new_witness(cs.clone(), || Ok(t.root))?,
                next_index: FpVar::new_witness(cs.clone(), || Ok(Fr::from(t.next_index)))?,
            })
        };
        Ok(Self {
            note_hash_tree: TreeVars {
                root: FpVar::new_witness(cs.clone(), || Ok(note.root))?,
                next_index: note_next_index,
            },
            note_subtree_index,
            nullifier_tree: tree(snapshot.nullifier_tree)?,
            public_data_tree: tree(snapshot.public_data_tree)?,
        })
    }

    fn state_root(&self, cs: &ConstraintSystemRef<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        snapshot_root(
            cs,
            &[
                self.note_hash_tree.clone(),
                self.nullifier_tree.clone(),
                self.public_data_tree.clone(),
            ],
        )
    }
}

/// `Poseidon(noteRoot, noteNextIndex, nullifierRoot, nullifierNextIndex, publicDataRoot,
/// publicDataNextIndex)`, as `StateSnapshot::state_root`.
fn snapshot_root(
    cs: &ConstraintSystemRef<Fr>,
    trees: &[TreeVars; 3],
) -> Result<FpVar<Fr>, SynthesisError> {
    let inputs: Vec<FpVar<Fr>> = trees
        .iter()
        .flat_map(|t| [t.root.clone(), t.next_index.clone()])
        .collect();
    poseidon::hash(cs, &inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `bind_payee` holds for a public input of `value`, and its cost.
    fn payee_check(value: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let payee = FpVar::new_input(cs.clone(), || Ok(value)).unwrap();
        bind_payee(&cs, &payee).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn payee_is_range_checked_to_160_bits() {
        let two_160 = Fr::from(2u64).pow([160]);
        assert_eq!(payee_check(Fr::ZERO), (true, PAYEE_BITS + 1));
        assert_eq!(payee_check(two_160 - Fr::ONE), (true, PAYEE_BITS + 1));
        // Attack (issue 10, finding 2): a payee input that is no address (2^160 and above,
        // e.g. an address plus 2^160, or r - 1) cannot be proven.
        for bad in [two_160, two_160 + Fr::from(7u64), -Fr::ONE] {
            assert!(!payee_check(bad).0, "{bad} accepted as a payee");
        }
    }
}
