//! Exported ceremony keys are the project's key files: they prove and verify natively, and the
//! manifest pins them.

use std::path::Path;

use ark_bn254::Fr;
use fernet_ceremony::{
    circuit::TestCircuit,
    export::{export, Exported},
    phase2::params::keccak,
};
use fernet_circuits::{
    ceremony_manifest::{CeremonyManifest, CEREMONY_MANIFEST_FILE},
    keys::{load_key_pair, KeyPair},
    proof_system::evm::verifying_key_hash,
    Groth16Bn254, ProofSystem,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::phase2::{beacon_value, test_ceremony};

/// A finished test ceremony (two contributions and the beacon) exported to `out`.
pub(crate) fn exported_test_ceremony(dir: &Path, out: &Path) -> Exported {
    let ceremony = test_ceremony(dir, 2);
    ceremony.beacon(beacon_value(0x17), None).unwrap();
    export(&ceremony, out).unwrap()
}

/// A proof of the test circuit for the witness `(a, b)` and its public inputs.
pub(crate) fn prove(
    keys: &KeyPair<Groth16Bn254>,
    a: u64,
    b: u64,
) -> (ark_groth16::Proof<ark_bn254::Bn254>, [Fr; 8]) {
    let mut rng = ChaCha20Rng::seed_from_u64(a ^ b);
    let (a, b) = (Fr::from(a), Fr::from(b));
    let proof = keys
        .prove(
            TestCircuit::new(a, b),
            || Ok(TestCircuit::blank()),
            &mut rng,
        )
        .unwrap();
    (proof, TestCircuit::public_inputs(a, b))
}

#[test]
fn exported_keys_prove_and_verify_natively() {
    let (dir, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let exported = exported_test_ceremony(dir.path(), out.path());
    let transcript = fernet_ceremony::ceremony_dir::CeremonyDir::new(dir.path())
        .transcript()
        .unwrap();
    assert_eq!(exported.transcript_hash, transcript.transcript_hash);

    let manifest = CeremonyManifest::read(&out.path().join(CEREMONY_MANIFEST_FILE)).unwrap();
    assert_eq!(manifest, exported.manifest);
    assert_eq!(manifest.transcript_hash, transcript.transcript_hash.0);
    let [entry] = manifest.circuits.as_slice() else {
        panic!("one circuit expected: {manifest:?}");
    };
    assert_eq!(entry.id, transcript.circuits[0].id);
    assert_eq!(entry.digest, transcript.circuits[0].digest.0);
    let key_path = out.path().join(&entry.key_file);
    assert_eq!(
        entry.key_file_keccak,
        keccak(&std::fs::read(&key_path).unwrap())
    );

    let keys = load_key_pair::<Groth16Bn254>(&key_path).unwrap();
    assert_eq!(
        entry.verification_key_hash,
        verifying_key_hash(&keys.verifying_key)
    );
    let (proof, inputs) = prove(&keys, 3, 5);
    assert!(Groth16Bn254::verify(&keys.verifying_key, &inputs, &proof).unwrap());
    let mut wrong = inputs;
    wrong[7] += Fr::from(1u64);
    assert!(!Groth16Bn254::verify(&keys.verifying_key, &wrong, &proof).unwrap());
    assert_eq!(exported.verifiers.len(), 1);
    assert!(exported.verifiers[0].ends_with("verifier/BlockProofVerifier.sol"));
}
