//! Chunk proofs: the devnet chain's blocks proven as chunks of 2 tx slots, each chunk a
//! statement from one intermediate state root to the next, bound to its chunk word.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use fernet_circuits::{
    block::{
        epoch::{chain_witnesses, devnet_chain},
        prover::{default_key_cache_dir, devnet_keys, prove_block, verify_block},
        BlockCircuit,
    },
    keys::{KeyCache, KeyPair},
    Error, Groth16Bn254,
};
use fernet_state::{
    apply_block_in_chunks, BlockWitness, StateConfig, WorldState, NUM_PUBLIC_INPUTS,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::block::with_inputs;

/// Tx slots per chunk on the devnet (blocks of 4).
const CHUNK_TXS: usize = 2;

/// The devnet chunk keys, set up (or loaded from the shared cache) once per test binary.
fn chunk_keys() -> &'static KeyPair<Groth16Bn254> {
    static KEYS: OnceLock<KeyPair<Groth16Bn254>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let cache = KeyCache::new(default_key_cache_dir());
        devnet_keys(&cache, StateConfig::devnet(), CHUNK_TXS, None).expect("chunk keys")
    })
}

/// The devnet chain applied as chunks: per block, its chunks' witnesses.
fn chain_chunks() -> Vec<Vec<BlockWitness>> {
    let mut state = WorldState::new(StateConfig::devnet()).unwrap();
    devnet_chain()
        .iter()
        .map(|block| apply_block_in_chunks(&mut state, block, CHUNK_TXS).unwrap())
        .collect()
}

fn satisfied(witness: &BlockWitness) -> bool {
    BlockCircuit::new(witness.clone())
        .unwrap()
        .is_satisfied()
        .unwrap()
}

#[test]
fn every_chunk_satisfies_the_circuit_and_the_chunks_chain_to_their_block() {
    let (_, blocks) = chain_witnesses(StateConfig::devnet()).unwrap();
    let chunked = chain_chunks();
    for (block, chunks) in blocks.iter().zip(&chunked) {
        assert_eq!(chunks.len(), block.num_txs.div_ceil(CHUNK_TXS).max(1));
        let mut root = block.public_inputs.prev_state_root();
        for chunk in chunks {
            assert!(
                satisfied(chunk),
                "block {} chunk {}",
                block.block_number,
                chunk.part.index
            );
            assert_eq!(chunk.public_inputs.prev_state_root(), root);
            root = chunk.public_inputs.new_state_root();
        }
        assert_eq!(root, block.public_inputs.new_state_root());
    }
    // A chunk of half the block costs less than the block: its writes are half, the data
    // binding is the whole block's.
    let block = BlockCircuit::new(blocks[1].clone())
        .unwrap()
        .constraint_report()
        .unwrap();
    let chunk = BlockCircuit::new(chunked[1][0].clone())
        .unwrap()
        .constraint_report()
        .unwrap();
    assert!(
        chunk.total < block.total,
        "chunk {chunk:?}, block {block:?}"
    );
    assert_eq!(chunk.data_encoding, block.data_encoding);
    assert!(chunk.nullifier_tree < block.nullifier_tree);
    assert!(
        block.chunk < chunk.chunk,
        "the whole block's word is a constant"
    );
}

#[test]
fn the_last_chunk_must_cover_every_real_tx() {
    // Block 4 has 3 txs: chunks [0, 2) and [2, 4). Chunk 0 claiming to be the last, with
    // the block subtrees closed after it as a last chunk closes them, is consistent in every
    // write but leaves tx 2 unapplied.
    let chunks = &chain_chunks()[3];
    assert_eq!(chunks.len(), 2);
    let mut forged = chunks[0].clone();
    forged.part.is_last = true;
    let size = 1u64 << forged.config.block_subtree_height();
    for tree in [
        &mut forged.new_state.note_hash_tree,
        &mut forged.new_state.nullifier_tree,
        &mut forged.new_state.public_data_tree,
    ] {
        tree.next_index += size;
    }
    // Rebuilt as a whole block's inputs: chunk 0, the last.
    let root = forged.new_state.state_root();
    let forged = with_inputs(&forged, |p| p.1 = root);
    assert_eq!(forged.public_inputs.chunk_word(), 1 << 8);
    assert!(!satisfied(&forged));
    // Control: the same chunk as the last of a block whose txs it covers (block 1: 2 txs).
    let only = &chain_chunks()[0];
    assert_eq!(only.len(), 1);
    assert!(only[0].part.is_last && satisfied(&only[0]));
}

#[test]
fn a_chunk_index_outside_the_block_is_rejected() {
    let mut witness = chain_chunks()[1][1].clone();
    witness.part.index = 2;
    assert!(matches!(
        BlockCircuit::new(witness),
        Err(Error::WitnessShape {
            item: "chunk index",
            ..
        })
    ));
}

#[test]
fn chunk_proofs_verify_and_are_bound_to_their_word_and_payee() {
    let keys = chunk_keys();
    let mut rng = ChaCha20Rng::seed_from_u64(44);
    let payee = [0x77; 20];
    let chunks = chain_chunks().swap_remove(1);
    assert_eq!(chunks.len(), 2);
    for chunk in chunks {
        let (proof, inputs) = prove_block(keys, chunk.with_payee(payee), &mut rng).unwrap();
        assert!(verify_block(&keys.verifying_key, &inputs, &proof).unwrap());
        let word = NUM_PUBLIC_INPUTS - 1;
        let index_bit = Fr::ONE;
        let last_bit = Fr::from(256u64);
        let is_first = inputs[word] == Fr::ZERO;
        let mut attempts = vec![
            (
                "another chunk's index",
                word,
                if is_first { index_bit } else { -index_bit },
            ),
            (
                "the other last flag",
                word,
                if is_first { last_bit } else { -last_bit },
            ),
            ("another payee", NUM_PUBLIC_INPUTS - 2, Fr::ONE),
        ];
        attempts.push(("another previous root", 0, Fr::ONE));
        for (what, position, delta) in attempts {
            let mut wrong = inputs;
            wrong[position] += delta;
            assert!(
                !verify_block(&keys.verifying_key, &wrong, &proof).unwrap(),
                "a chunk proof verified with {what}"
            );
        }
    }
}
