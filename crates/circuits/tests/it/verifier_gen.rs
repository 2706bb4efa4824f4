//! The generated Solidity source: deterministic, complete, and committed up to date.

use fernet_circuits::proof_system::evm;
use fernet_circuits::verifier_gen::{generate_solidity_verifier, VerifierKind, GENERATED_HEADER};

use crate::support::circuit::keys;

#[test]
fn generated_source_is_deterministic_and_carries_the_key() {
    let keys3 = keys(3);
    let source = generate_solidity_verifier(&keys3.verifying_key, VerifierKind::Block);
    assert_eq!(
        source,
        generate_solidity_verifier(&keys(3).verifying_key, VerifierKind::Block)
    );
    assert_eq!(source.lines().next(), Some(GENERATED_HEADER));
    assert!(source.contains(&format!(
        "contract {} is IProofVerifier",
        VerifierKind::Block.contract_name()
    )));
    assert!(source.contains("uint256 internal constant NUM_PUBLIC_INPUTS = 3;"));
    let hash = evm::word_to_hex(&evm::verifying_key_hash(&keys3.verifying_key));
    assert!(source.contains(&format!("bytes32 internal constant VK_HASH = {hash};")));
    assert!(source.contains("IC_3_Y") && !source.contains("IC_4_X"));
    assert!(!source.contains("{{"));
    assert_ne!(
        source,
        generate_solidity_verifier(&keys(2).verifying_key, VerifierKind::Block)
    );
}
