//! End to end: the generated verifier compiled with the repository's solc, deployed on a real
//! anvil, fed real proofs and malformed input.

use ark_bn254::Fr;
use ark_ff::PrimeField;
use fernet_circuits::proof_system::evm::{self, Word};
use fernet_state::PROOF_BYTES;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::support::chain::{call_verify, deploy_verifier, selector, u256, Anvil, Rpc};
use crate::support::circuit::{keys, prove};

/// The revert data of `signature` with `args`.
fn revert_data(signature: &str, args: &[Word]) -> String {
    format!(
        "0x{}{}",
        hex::encode(selector(signature)),
        hex::encode(args.concat())
    )
}

/// Calls `function` and expects it to revert with exactly `expected` data.
fn assert_reverts(
    rpc: &Rpc,
    verifier: &str,
    function: &str,
    proofs: &[u8],
    inputs: &[Fr],
    expected: String,
) {
    let outcome = call_verify(rpc, verifier, function, proofs, inputs).unwrap();
    let error = outcome.expect_err("expected a revert");
    assert_eq!(
        error.data.as_deref(),
        Some(expected.as_str()),
        "{}",
        error.message
    );
}

/// Calls `function` and expects it to return (not revert).
fn verifies(rpc: &Rpc, verifier: &str, function: &str, proofs: &[u8], inputs: &[Fr]) -> bool {
    let outcome = call_verify(rpc, verifier, function, proofs, inputs).unwrap();
    outcome.unwrap_or_else(|e| panic!("{function} reverted: {} {:?}", e.message, e.data))
}

/// Calls a `name()` getter returning one word.
fn get_word(rpc: &Rpc, verifier: &str, name: &str) -> Vec<u8> {
    rpc.call(verifier, &selector(&format!("{name}()")))
        .unwrap()
        .expect("getter reverted")
}

/// The scalar field modulus as a word.
fn r_word() -> Word {
    let mut word = [0u8; 32];
    word.copy_from_slice(&ark_ff::BigInteger::to_bytes_be(&Fr::MODULUS));
    word
}

#[test]
fn single_proofs_verify_on_chain_and_malformed_input_reverts() {
    let anvil = Anvil::spawn().unwrap();
    let rpc = &anvil.rpc;
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let keys = keys(1);
    let verifier = &deploy_verifier(rpc, &keys.verifying_key).unwrap();

    assert_eq!(get_word(rpc, verifier, "numPublicInputs"), u256(1));
    assert_eq!(
        get_word(rpc, verifier, "verificationKeyHash"),
        evm::verifying_key_hash(&keys.verifying_key)
    );

    let (proof, inputs) = prove(&keys, &mut rng);
    let bytes = evm::proof_to_bytes(&proof);
    let single = "verifyProof";
    assert!(verifies(rpc, verifier, single, &bytes, &inputs));

    // A valid proof for other inputs is rejected by the pairing check.
    let other = [inputs[0] + Fr::from(1u64)];
    assert!(!verifies(rpc, verifier, single, &bytes, &other));

    // A flipped bit anywhere: false, or a revert when the point leaves the curve or the field.
    for bit in [0, 8 * 31 + 7, 8 * 100, 8 * 255] {
        let mut flipped = bytes;
        flipped[bit / 8] ^= 1 << (bit % 8);
        let outcome = call_verify(rpc, verifier, single, &flipped, &inputs).unwrap();
        assert!(
            !matches!(outcome, Ok(true)),
            "bit {bit} flipped still verifies"
        );
    }

    // Point A off the curve: the pairing precompile fails and the verifier reverts.
    let mut off_curve = bytes;
    off_curve[63] ^= 1;
    let precompile_failed = "ProofVerifier__PrecompileFailed(uint256)";
    assert_reverts(
        rpc,
        verifier,
        single,
        &off_curve,
        &inputs,
        revert_data(precompile_failed, &[u256(8)]),
    );

    // A public input equal to r.
    let calldata = crate::support::chain::encode_bytes_and_words(single, &bytes, &[r_word()]);
    let error = rpc
        .call(verifier, &calldata)
        .unwrap()
        .expect_err("input r must revert");
    let not_in_field = "ProofVerifier__InputNotInField(uint256,uint256)";
    assert_eq!(
        error.data,
        Some(revert_data(not_in_field, &[u256(0), r_word()]))
    );

    // A coordinate >= q.
    let mut big = bytes;
    big[96..128].copy_from_slice(&[0xff; 32]);
    let coordinate = "ProofVerifier__CoordinateNotInField(uint256,uint256)";
    assert_reverts(
        rpc,
        verifier,
        single,
        &big,
        &inputs,
        revert_data(coordinate, &[u256(3), [0xff; 32]]),
    );

    // Wrong lengths.
    let count = "ProofVerifier__InvalidInputCount(uint256,uint256)";
    assert_reverts(
        rpc,
        verifier,
        single,
        &bytes,
        &[inputs[0], inputs[0]],
        revert_data(count, &[u256(1), u256(2)]),
    );
    assert_reverts(
        rpc,
        verifier,
        single,
        &bytes,
        &[],
        revert_data(count, &[u256(1), u256(0)]),
    );
    let length = "ProofVerifier__InvalidProofLength(uint256,uint256)";
    assert_reverts(
        rpc,
        verifier,
        single,
        &bytes[..255],
        &inputs,
        revert_data(length, &[u256(256), u256(255)]),
    );

    // The single-proof path stays near the precompile floor (one ecMul, one ecAdd, 4 pairs:
    // 187150 gas) and eth_estimateGas finds a limit at which it succeeds.
    let calldata = crate::support::chain::encode_bytes_and_words(
        single,
        &bytes,
        &evm::public_inputs_to_words(&inputs),
    );
    let calldata_gas: u64 = calldata.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum();
    let execution = rpc.gas_used(verifier, &calldata).unwrap() - 21_000 - calldata_gas;
    assert!(execution < 190_000, "verifyProof execution gas {execution}");
    let estimate = rpc.estimate_gas(verifier, &calldata).unwrap();
    assert!(
        estimate >= 21_000 + calldata_gas + execution,
        "estimate {estimate}"
    );
}

#[test]
fn batches_verify_on_chain_with_one_pairing_check() {
    let anvil = Anvil::spawn().unwrap();
    let rpc = &anvil.rpc;
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let keys = keys(3);
    let verifier = &deploy_verifier(rpc, &keys.verifying_key).unwrap();
    let batch = "verifyBatch";

    let proofs: Vec<_> = (0..4).map(|_| prove(&keys, &mut rng)).collect();
    let concat = |proofs: &[(ark_groth16::Proof<ark_bn254::Bn254>, Vec<Fr>)]| {
        let bytes: Vec<u8> = proofs
            .iter()
            .flat_map(|(p, _)| evm::proof_to_bytes(p))
            .collect();
        let inputs: Vec<Fr> = proofs.iter().flat_map(|(_, x)| x.clone()).collect();
        (bytes, inputs)
    };
    let (bytes, inputs) = concat(&proofs);
    assert!(verifies(rpc, verifier, batch, &bytes, &inputs));
    let (one, one_inputs) = concat(&proofs[..1]);
    assert!(verifies(rpc, verifier, batch, &one, &one_inputs));

    // One wrong input in the last proof, or two proofs swapped against their inputs: false.
    let mut wrong = inputs.clone();
    *wrong.last_mut().unwrap() += Fr::from(1u64);
    assert!(!verifies(rpc, verifier, batch, &bytes, &wrong));
    let mut swapped = bytes.clone();
    swapped[..PROOF_BYTES].copy_from_slice(&bytes[PROOF_BYTES..2 * PROOF_BYTES]);
    swapped[PROOF_BYTES..2 * PROOF_BYTES].copy_from_slice(&bytes[..PROOF_BYTES]);
    assert!(!verifies(rpc, verifier, batch, &swapped, &inputs));

    // C of proof 2 off the curve: its ecMul by r_2 fails, and the verifier reverts at once.
    let mut off_curve = bytes.clone();
    off_curve[2 * PROOF_BYTES + 255] ^= 1;
    let precompile_failed = "ProofVerifier__PrecompileFailed(uint256)";
    assert_reverts(
        rpc,
        verifier,
        batch,
        &off_curve,
        &inputs,
        revert_data(precompile_failed, &[u256(7)]),
    );

    // Input >= r in proof 3, reported at its index in the flattened inputs.
    let calldata = {
        let mut words = evm::public_inputs_to_words(&inputs);
        words[10] = r_word();
        crate::support::chain::encode_bytes_and_words(batch, &bytes, &words)
    };
    let error = rpc
        .call(verifier, &calldata)
        .unwrap()
        .expect_err("input r must revert");
    let not_in_field = "ProofVerifier__InputNotInField(uint256,uint256)";
    assert_eq!(
        error.data,
        Some(revert_data(not_in_field, &[u256(10), r_word()]))
    );

    // Malformed batches.
    assert_reverts(
        rpc,
        verifier,
        batch,
        &[],
        &[],
        revert_data("ProofVerifier__EmptyBatch()", &[]),
    );
    let length = "ProofVerifier__InvalidBatchLength(uint256)";
    assert_reverts(
        rpc,
        verifier,
        batch,
        &bytes[..1000],
        &inputs,
        revert_data(length, &[u256(1000)]),
    );
    let count = "ProofVerifier__InvalidInputCount(uint256,uint256)";
    assert_reverts(
        rpc,
        verifier,
        batch,
        &bytes,
        &inputs[..11],
        revert_data(count, &[u256(12), u256(11)]),
    );
}
