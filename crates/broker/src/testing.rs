//! Test inputs: real block witnesses and well-formed (not valid) results for them.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_groth16::Proof;
use fernet_state::{
    apply_block, Block, BlockBody, L1ToL2Message, StateConfig, TxEffect, WorldState,
};
use serde_json::Value;

use crate::block_job::{block_proof_result, decode_input};

/// The payee test witnesses name.
pub(crate) const PAYEE: [u8; 20] = [0x5e; 20];

/// The witness bytes of a one-tx devnet block on genesis, for [`PAYEE`]; `seed` makes it
/// unique.
pub(crate) fn witness_bytes(seed: u64) -> Vec<u8> {
    let mut state = WorldState::new(StateConfig::devnet()).unwrap();
    let payer = [0xfe; 20];
    let tx = TxEffect::new(seed, payer, &[Fr::from(seed + 1)], &[], None).unwrap();
    let block = Block {
        number: 1,
        slot: 1,
        body: BlockBody {
            coinbase: None,
            messages: vec![L1ToL2Message {
                recipient: payer,
                amount: u128::from(seed) + 1,
            }],
            txs: vec![tx],
        },
    };
    apply_block(&mut state, &block)
        .unwrap()
        .with_payee(PAYEE)
        .to_bytes()
}

/// A result with the witness's public inputs and a "proof" of curve generators times `k`:
/// the right shape, not a valid proof.
pub(crate) fn fake_result(input: &[u8], k: u64) -> Value {
    let inputs = decode_input(input)
        .unwrap()
        .public_inputs
        .to_field_elements();
    let g1 = (G1Affine::generator() * Fr::from(k)).into();
    let proof = Proof {
        a: g1,
        b: G2Affine::generator(),
        c: g1,
    };
    block_proof_result(&proof, &inputs).to_json()
}
