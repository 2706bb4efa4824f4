//! The build script compiles the contracts itself; its bytecode must be what `forge build` writes
//! to `out/`, since the devnet, the model and the forge tests all deploy forge's bytes and
//! `deploy` deploys the bindings'.

use std::path::{Path, PathBuf};

use alloy::primitives::Bytes;
use serde_json::Value;

/// The forge artifact `out/<name>.sol/<name>.json`'s `bytecode` and `deployedBytecode`.
fn forge_bytecode(name: &str) -> (Bytes, Bytes) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../out")
        .join(format!("{name}.sol/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): this test compares against `forge build`'s output, run it first",
            path.display()
        )
    });
    let json: Value = serde_json::from_str(&text).expect("a forge artifact is JSON");
    let object = |key: &str| -> Bytes {
        json[key]["object"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no {key}.object", path.display()))
            .parse()
            .expect("bytecode is hex")
    };
    (object("bytecode"), object("deployedBytecode"))
}

#[test]
fn bytecode_is_forges() {
    let bound = [
        (
            "Rollup",
            &fernet_bindings::Rollup::BYTECODE,
            &fernet_bindings::Rollup::DEPLOYED_BYTECODE,
        ),
        (
            "Staking",
            &fernet_bindings::Staking::BYTECODE,
            &fernet_bindings::Staking::DEPLOYED_BYTECODE,
        ),
        (
            "ProverEscrow",
            &fernet_bindings::ProverEscrow::BYTECODE,
            &fernet_bindings::ProverEscrow::DEPLOYED_BYTECODE,
        ),
        (
            "RewardPool",
            &fernet_bindings::RewardPool::BYTECODE,
            &fernet_bindings::RewardPool::DEPLOYED_BYTECODE,
        ),
        (
            "FeeInbox",
            &fernet_bindings::FeeInbox::BYTECODE,
            &fernet_bindings::FeeInbox::DEPLOYED_BYTECODE,
        ),
        (
            "DevnetToken",
            &fernet_bindings::DevnetToken::BYTECODE,
            &fernet_bindings::DevnetToken::DEPLOYED_BYTECODE,
        ),
        (
            "BlockProofVerifier",
            &fernet_bindings::BlockProofVerifier::BYTECODE,
            &fernet_bindings::BlockProofVerifier::DEPLOYED_BYTECODE,
        ),
    ];
    for (name, bytecode, deployed) in bound {
        let (forge, forge_deployed) = forge_bytecode(name);
        assert!(!bytecode.is_empty(), "{name} has no bytecode");
        // Compared as slices, and without printing tens of kilobytes of hex on a mismatch.
        assert!(
            bytecode[..] == forge[..],
            "{name}: creation bytecode differs from forge's"
        );
        assert!(
            deployed[..] == forge_deployed[..],
            "{name}: runtime bytecode differs from forge's"
        );
    }
}
