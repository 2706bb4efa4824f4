//! Native proving and verification, and the (de)serializations of proofs and keys.

use ark_bn254::Fr;
use fernet_circuits::proof_system::evm;
use fernet_circuits::{Error, Groth16Bn254, ProofSystem};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::support::circuit::{keys, prove};

#[test]
fn proofs_verify_natively_and_bind_their_inputs() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for num_inputs in [0, 1, 3] {
        let keys = keys(num_inputs);
        let vk = &keys.verifying_key;
        assert_eq!(Groth16Bn254::num_public_inputs(vk), num_inputs);
        let (proof, inputs) = prove(&keys, &mut rng);
        assert!(
            Groth16Bn254::verify(vk, &inputs, &proof).unwrap(),
            "K = {num_inputs}"
        );

        if num_inputs > 0 {
            let mut wrong = inputs.clone();
            wrong[num_inputs - 1] += Fr::from(1u64);
            assert!(!Groth16Bn254::verify(vk, &wrong, &proof).unwrap());
        }
        let mut too_many = inputs.clone();
        too_many.push(Fr::from(0u64));
        assert!(matches!(
            Groth16Bn254::verify(vk, &too_many, &proof),
            Err(Error::InputCount { expected, actual }) if expected == num_inputs && actual == num_inputs + 1
        ));
    }
}

#[test]
fn compressed_serialization_round_trips_and_rejects_garbage() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let keys = keys(2);
    let (proof, inputs) = prove(&keys, &mut rng);

    let bytes = Groth16Bn254::serialize_proof(&proof).unwrap();
    assert_eq!(bytes.len(), 128, "compressed: 32 (A) + 64 (B) + 32 (C)");
    let decoded = Groth16Bn254::deserialize_proof(&bytes).unwrap();
    assert_eq!(decoded, proof);
    assert!(Groth16Bn254::verify(&keys.verifying_key, &inputs, &decoded).unwrap());

    let vk_bytes = Groth16Bn254::serialize_verifying_key(&keys.verifying_key).unwrap();
    assert_eq!(
        Groth16Bn254::deserialize_verifying_key(&vk_bytes).unwrap(),
        keys.verifying_key
    );

    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        Groth16Bn254::deserialize_proof(&trailing),
        Err(Error::Serialization(_))
    ));
    assert!(matches!(
        Groth16Bn254::deserialize_proof(&bytes[..100]),
        Err(Error::Serialization(_))
    ));
    let mut off_curve = bytes;
    off_curve[0] ^= 0x01;
    assert!(Groth16Bn254::deserialize_proof(&off_curve)
        .is_err_and(|e| matches!(e, Error::Serialization(_))));
}

#[test]
fn evm_encoding_round_trips() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let key_pair = keys(4);
    let vk = &key_pair.verifying_key;
    let (proof, inputs) = prove(&key_pair, &mut rng);

    let bytes = evm::proof_to_bytes(&proof);
    let words = evm::proof_to_words(&proof);
    assert_eq!(bytes.to_vec(), words.concat());
    let decoded = evm::proof_from_bytes(&bytes).unwrap();
    assert_eq!(decoded, proof);
    assert!(Groth16Bn254::verify(vk, &inputs, &decoded).unwrap());

    let input_words = evm::public_inputs_to_words(&inputs);
    assert_eq!(evm::public_inputs_from_words(&input_words).unwrap(), inputs);

    let vk_words = evm::verifying_key_to_words(vk);
    assert_eq!(vk_words.len(), 2 + 3 * 4 + 2 * (4 + 1));
    assert_eq!(vk_words[2..6], evm::g2_to_words(&vk.beta_g2));
    assert_eq!(
        evm::verifying_key_hash(vk),
        evm::verifying_key_hash(&key_pair.verifying_key.clone())
    );
    assert_ne!(
        evm::verifying_key_hash(vk),
        evm::verifying_key_hash(&keys(3).verifying_key)
    );
}
