//! The verifier generated from ceremony keys accepts their proofs on a real anvil.

use fernet_ceremony::export::VERIFIER_DIR;
use fernet_circuits::{
    keys::load_key_pair,
    proof_system::evm,
    verifier_build::{compile_verifier, default_solc_shim},
    verifier_gen::VerifierKind,
    Groth16Bn254,
};

use crate::{
    chain::{call_verify, Anvil},
    export::{exported_test_ceremony, prove},
};

#[test]
fn ceremony_keys_verify_on_anvil() {
    let (dir, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let exported = exported_test_ceremony(dir.path(), out.path());
    let entry = &exported.manifest.circuits[0];
    let keys = load_key_pair::<Groth16Bn254>(&out.path().join(&entry.key_file)).unwrap();

    let kind = VerifierKind::Block;
    let source = std::fs::read_to_string(
        out.path()
            .join(VERIFIER_DIR)
            .join(format!("{}.sol", kind.contract_name())),
    )
    .unwrap();
    assert!(source.contains(&evm::word_to_hex(&entry.verification_key_hash)));
    let code = compile_verifier(&source, kind, &default_solc_shim()).unwrap();

    let anvil = Anvil::spawn().unwrap();
    let verifier = anvil
        .rpc
        .deploy(&format!("0x{}", hex::encode(code)))
        .unwrap();
    let (proof, inputs) = prove(&keys, 7, 11);
    let bytes = evm::proof_to_bytes(&proof);
    let verifies = |inputs: &[ark_bn254::Fr]| {
        call_verify(&anvil.rpc, &verifier, "verifyProof", &bytes, inputs)
            .unwrap()
            .unwrap()
    };
    assert!(verifies(&inputs));
    let mut wrong = inputs;
    wrong[0] += ark_bn254::Fr::from(1u64);
    assert!(!verifies(&wrong));
}
