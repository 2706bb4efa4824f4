//! Prepares the forge artifacts in `out/` for the `sol!` bindings of `src/lib.rs`.
//!
//! Fails early, with the fix, when an artifact is missing (`forge build` was not run), reruns
//! whenever `forge build` rewrites one, and writes a trimmed copy of each (`abi`, `bytecode`,
//! `deployedBytecode`) to `OUT_DIR`. The copy replaces the internal type of user-defined value
//! types (`Slot`, `Epoch`: declared at file level in `TimeLib.sol`) by their underlying type:
//! `sol!` places file-level value types in the contract's own namespace, where the structs of the
//! interface libraries (`IRollup.BlockHeader`) cannot see them, and the bindings would not compile.

use std::{fs, path::Path};

use serde_json::{Map, Value};

/// Every artifact `src/lib.rs` binds, as `<Source>.sol/<Contract>` under `out/` (keep in sync).
const ARTIFACTS: &[&str] = &[
    "Rollup.sol/Rollup",
    "Staking.sol/Staking",
    "ProverEscrow.sol/ProverEscrow",
    "RewardPool.sol/RewardPool",
    "FeeInbox.sol/FeeInbox",
    "DevnetToken.sol/DevnetToken",
    "BlockProofVerifier.sol/BlockProofVerifier",
    "IRollup.sol/IRollup",
    "IStaking.sol/IStaking",
    "IProverEscrow.sol/IProverEscrow",
    "IRewardPool.sol/IRewardPool",
    "IFeeInbox.sol/IFeeInbox",
    "IProofVerifier.sol/IProofVerifier",
    "IClock.sol/IClock",
    "Errors.sol/Errors",
];

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let forge_out = Path::new(&manifest_dir).join("../../out");
    println!("cargo:rerun-if-changed=build.rs");

    let missing: Vec<String> = ARTIFACTS
        .iter()
        .map(|artifact| forge_out.join(format!("{artifact}.json")))
        .filter(|path| !path.is_file())
        .map(|path| path.display().to_string())
        .collect();
    if !missing.is_empty() {
        panic!(
            "fernet-bindings is generated from the forge artifacts in out/, and these are missing:\n  \
             {}\nBuild the contracts first, from the repository root:\n  \
             script/setup.sh && source script/env.sh && forge build",
            missing.join("\n  ")
        );
    }

    for artifact in ARTIFACTS {
        let source = forge_out.join(format!("{artifact}.json"));
        println!("cargo:rerun-if-changed={}", source.display());
        let text = fs::read_to_string(&source)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", source.display()));
        let mut abi = json
            .get("abi")
            .cloned()
            .unwrap_or_else(|| panic!("{} has no `abi`: rerun forge build", source.display()));
        erase_value_types(&mut abi);
        let mut trimmed = Map::new();
        trimmed.insert("abi".into(), abi);
        for key in ["bytecode", "deployedBytecode"] {
            if let Some(value) = json.get(key) {
                trimmed.insert(key.into(), value.clone());
            }
        }
        let name = artifact.rsplit('/').next().expect("artifact has a name");
        let target = Path::new(&out_dir).join(format!("{name}.json"));
        fs::write(&target, Value::Object(trimmed).to_string())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
    }
}

/// Sets the internal type of every user-defined value type parameter to its ABI type.
fn erase_value_types(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(erase_value_types),
        Value::Object(object) => {
            let abi_type = object
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let (Some(abi_type), Some(Value::String(internal))) =
                (abi_type, object.get_mut("internalType"))
            {
                let named = ["struct ", "enum ", "contract "]
                    .iter()
                    .any(|prefix| internal.starts_with(prefix));
                if !named {
                    *internal = abi_type;
                }
            }
            object.values_mut().for_each(erase_value_types);
        }
        _ => {}
    }
}
