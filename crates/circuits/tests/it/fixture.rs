//! Fixture JSON for forge tests.

use fernet_circuits::fixture::{write_fixture, VerifierFixture};
use fernet_circuits::proof_system::evm;
use fernet_circuits::Error;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;

use crate::support::circuit::{keys, prove};

#[test]
fn fixture_holds_proofs_inputs_and_key_hash() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let keys = keys(2);
    let vk = &keys.verifying_key;
    let proofs: Vec<_> = (0..3).map(|_| prove(&keys, &mut rng)).collect();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixtures/verifier.json");
    write_fixture(&path, vk, &proofs).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        VerifierFixture::new(vk, &proofs)
            .unwrap()
            .to_json()
            .unwrap()
    );

    let json: Value = serde_json::from_str(&text).unwrap();
    let keys_in_order: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys_in_order,
        [
            "batchProofs",
            "batchPublicInputs",
            "numPublicInputs",
            "proofs",
            "verificationKeyHash"
        ]
    );
    assert_eq!(json["numPublicInputs"], 2);
    assert_eq!(
        json["verificationKeyHash"],
        evm::word_to_hex(&evm::verifying_key_hash(vk))
    );
    assert_eq!(json["batchPublicInputs"].as_array().unwrap().len(), 6);
    let batch = json["batchProofs"].as_str().unwrap();
    assert_eq!(batch.len(), 2 + 3 * 512);

    let first = &json["proofs"][0];
    let proof_hex = first["proof"].as_str().unwrap();
    assert_eq!(
        proof_hex,
        format!("0x{}", hex::encode(evm::proof_to_bytes(&proofs[0].0)))
    );
    assert!(batch.starts_with(proof_hex));
    assert_eq!(
        first["proofWords"][2],
        evm::word_to_hex(&evm::proof_to_words(&proofs[0].0)[2])
    );
    assert_eq!(
        first["publicInputs"][1],
        evm::word_to_hex(&evm::public_inputs_to_words(&proofs[0].1)[1])
    );

    assert!(matches!(
        VerifierFixture::new(vk, &[]),
        Err(Error::EmptyFixture)
    ));
    let mut short = proofs[0].clone();
    short.1.pop();
    assert!(matches!(
        VerifierFixture::new(vk, &[short]),
        Err(Error::InputCount {
            expected: 2,
            actual: 1
        })
    ));
}
