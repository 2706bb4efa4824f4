//! Native L2 state of the Fernet rollup and the block application a Groth16 circuit proves.
//!
//! The state is Aztec-shaped: an append-only note-hash tree, an indexed nullifier tree (no
//! double spend) and an indexed public data tree, all Poseidon Merkle trees over BN254 `Fr`
//! with circomlib parameters. [`apply_block`] checks a [`Block`], updates the
//! [`WorldState`] (fee balances included: each block credits the L1 deposits it consumes and
//! debits every fee, see [`fee_balance_key`]) and returns a [`BlockWitness`] with every path
//! and intermediate root the block circuit needs; the witness is recorded by the very code
//! that updates the trees.
//! [`encode_block_data`] gives the bytes a proposer publishes on L1 and
//! [`DataFingerprint`] the `(h, z, y)` commitment the L1 contract derives from them;
//! [`BlockPublicInputs`] lays out the seven public inputs shared with the Solidity rollup (six
//! committed at proposal time, then the payee the proof pays).

mod apply;
mod block;
mod checkpoint;
mod codec;
mod config;
mod encoding;
mod error;
mod fees;
mod field;
mod fingerprint;
mod indexed;
mod merkle;
#[cfg(test)]
mod node_js;
mod note_tree;
mod nullifier_tree;
pub mod poseidon;
mod public_data_tree;
mod public_inputs;
mod tx;
mod world_state;

pub use apply::{apply_block, apply_block_in_chunks, BlockPart, BlockWitness};
pub use block::{Address, Block, BlockBody};
pub use config::{required_data_chunks, StateConfig, MAX_TREE_DEPTH, TREE_SLOTS_PER_TX};
pub use encoding::{
    decode_block_data, encode_block_data, encode_message, encode_tx_effect,
    BLOCK_DATA_HEADER_BYTES, BLOCK_DATA_VERSION, MESSAGE_BYTES, TX_EFFECT_BYTES,
};
pub use error::{Error, MessageError, Result, TxError};
pub use fees::{
    fee_balance_key, L1ToL2Message, APP_KEY_BITS, FEE_BALANCE_BITS, FEE_BALANCE_KEY_OFFSET,
    MAX_DEPOSIT_BITS, MESSAGES_PER_BLOCK,
};
pub use field::{fr_from_be_bytes, fr_to_be_bytes, Fr};
pub use fingerprint::{
    data_challenge, data_chunks, data_evaluation, data_hash, DataFingerprint, CHUNK_BYTES,
};
pub use indexed::{IndexedLeaf, IndexedTree, IndexedWriteWitness};
pub use merkle::{MerklePath, MerkleUpdate, SparseMerkleTree, ARITY, LEVEL_BITS};
pub use note_tree::NoteHashTree;
pub use nullifier_tree::{NullifierLeaf, NullifierSlotWitness, NullifierTree, NullifierWitness};
pub use public_data_tree::{
    PublicDataBatchWitness, PublicDataLeaf, PublicDataSlotWitness, PublicDataTree,
    PublicDataUpdateWitness, PublicDataWitness,
};
pub use public_inputs::{
    chunk_word, pack_globals, BlockPublicInputs, CHUNK_INDEX_BITS, COMMITTED_PUBLIC_INPUTS,
    MAX_TOTAL_FEES_BITS, NUM_PUBLIC_INPUTS, PAYEE_BITS, PROOF_BYTES, WHOLE_BLOCK_CHUNK_WORD,
};
pub use tx::{
    PublicDataWrite, TxEffect, MAX_NOTE_HASHES_PER_TX, MAX_NULLIFIERS_PER_TX,
    MAX_PUBLIC_DATA_WRITES_PER_TX,
};
pub use world_state::{StateSnapshot, TreeSnapshot, WorldState};
