//! Compiles the L1 contracts for the `sol!` bindings of `src/lib.rs`, so a fresh clone builds
//! without a prior `forge build`.
//!
//! The contracts under foundry.toml's `src` are compiled with foundry-compilers (forge's own
//! compiler driver) and the pinned solc (`script/solc`, installed by `script/setup.sh`), with the
//! settings foundry.toml gives forge (optimizer, EVM version, metadata, remappings): the bytecode
//! is the bytes `forge build` writes to `out/` (`tests/it/forge.rs` compares them, so a setting
//! added to foundry.toml but not read here shows up as a failure). Everything is compiled in memory and written to
//! `OUT_DIR` only, so the build never races a concurrent `forge build` over `out/`, and it reruns
//! only when a contract, foundry.toml or the toolchain lock changes.
//!
//! Each bound artifact is written to `OUT_DIR` trimmed to `abi`, `bytecode` and
//! `deployedBytecode`. The copy replaces the internal type of user-defined value types (`Slot`,
//! `Epoch`: declared at file level in `TimeLib.sol`) by their underlying type: `sol!` places
//! file-level value types in the contract's own namespace, where the structs of the interface
//! libraries (`IRollup.BlockHeader`) cannot see them, and the bindings would not compile.

use std::{
    fs,
    path::{Path, PathBuf},
    str::FromStr,
};

use foundry_compilers::{
    artifacts::{
        output_selection::OutputSelection, remappings::Remapping, BytecodeHash, BytecodeObject,
        EvmVersion, Optimizer, Settings, SettingsMetadata,
    },
    solc::{Solc, SolcCompiler, SolcSettings, SOLC_EXTENSIONS},
    utils::source_files,
    ConfigurableArtifacts, ProjectBuilder, ProjectPathsConfig,
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Every artifact `src/lib.rs` binds, as `<Source>.sol/<Contract>` (keep in sync).
const ARTIFACTS: &[&str] = &[
    "Rollup.sol/Rollup",
    "CommitteeRollup.sol/CommitteeRollup",
    "Staking.sol/Staking",
    "ProverEscrow.sol/ProverEscrow",
    "RewardPool.sol/RewardPool",
    "FeeInbox.sol/FeeInbox",
    "DevnetToken.sol/DevnetToken",
    "BlockProofVerifier.sol/BlockProofVerifier",
    "ChunkProofVerifier.sol/ChunkProofVerifier",
    "IRollup.sol/IRollup",
    "ICommitteeRollup.sol/ICommitteeRollup",
    "IStaking.sol/IStaking",
    "IProverEscrow.sol/IProverEscrow",
    "IRewardPool.sol/IRewardPool",
    "IFeeInbox.sol/IFeeInbox",
    "IProofVerifier.sol/IProofVerifier",
    "IClock.sol/IClock",
    "Errors.sol/Errors",
];

/// The part of foundry.toml's `[profile.default]` that decides what solc is given.
#[derive(Deserialize)]
struct ForgeProfile {
    src: String,
    libs: Vec<String>,
    solc: String,
    optimizer: bool,
    optimizer_runs: usize,
    evm_version: String,
    bytecode_hash: String,
    cbor_metadata: bool,
    #[serde(default)]
    via_ir: bool,
    remappings: Vec<String>,
}

/// foundry.toml, reduced to the default profile.
#[derive(Deserialize)]
struct ForgeConfig {
    profile: Profiles,
}

/// foundry.toml's `[profile.*]` tables.
#[derive(Deserialize)]
struct Profiles {
    default: ForgeProfile,
}

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let root = Path::new(&manifest_dir)
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists");

    let config_path = root.join("foundry.toml");
    let config: ForgeConfig = toml::from_str(
        &fs::read_to_string(&config_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", config_path.display())),
    )
    .unwrap_or_else(|e| panic!("{} is not a forge config: {e}", config_path.display()));
    let profile = config.profile.default;
    let sources = root.join(&profile.src);
    let solc_path = root.join(&profile.solc);

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", config_path.display());
    // The toolchain (solc, OpenZeppelin) is pinned by the npm lock file that script/setup.sh installs.
    println!(
        "cargo:rerun-if-changed={}",
        root.join("package-lock.json").display()
    );
    println!("cargo:rerun-if-changed={}", solc_path.display());
    // A directory: cargo reruns when any file below it changes.
    println!("cargo:rerun-if-changed={}", sources.display());

    let solc_js = root.join("node_modules/solc");
    if !solc_js.is_dir() {
        panic!(
            "fernet-bindings compiles the contracts with the pinned solc, which is not installed \
             ({} is missing). Install the toolchain first, from the repository root:\n  \
             script/setup.sh",
            solc_js.display()
        );
    }
    let solc = Solc::new(&solc_path).unwrap_or_else(|e| {
        panic!(
            "cannot run the pinned solc {} ({e}); rerun script/setup.sh",
            solc_path.display()
        )
    });

    let remappings = profile
        .remappings
        .iter()
        .map(|text| {
            Remapping::from_str(text)
                .unwrap_or_else(|e| panic!("foundry.toml remapping {text:?}: {e}"))
        })
        .collect::<Vec<_>>();
    let paths = ProjectPathsConfig::builder()
        .root(&root)
        .sources(&sources)
        .libs(profile.libs.iter().map(|lib| root.join(lib)))
        .remappings(remappings.clone())
        .artifacts(out_dir.join("artifacts"))
        .cache(out_dir.join("solidity-files-cache.json"))
        .build_with_root(&root);
    let settings = Settings {
        optimizer: Optimizer {
            enabled: Some(profile.optimizer),
            runs: Some(profile.optimizer_runs),
            details: None,
        },
        metadata: Some(SettingsMetadata {
            use_literal_content: None,
            bytecode_hash: Some(
                BytecodeHash::from_str(&profile.bytecode_hash)
                    .unwrap_or_else(|e| panic!("foundry.toml bytecode_hash: {e}")),
            ),
            cbor_metadata: Some(profile.cbor_metadata),
        }),
        evm_version: Some(
            EvmVersion::from_str(&profile.evm_version)
                .unwrap_or_else(|e| panic!("foundry.toml evm_version: {e}")),
        ),
        via_ir: Some(profile.via_ir),
        remappings,
        output_selection: OutputSelection::common_output_selection(
            ["abi", "evm.bytecode", "evm.deployedBytecode"].map(String::from),
        ),
        ..Settings::default()
    };
    let project = ProjectBuilder::<SolcCompiler, ConfigurableArtifacts>::new(Default::default())
        .paths(paths)
        .settings(SolcSettings {
            settings,
            ..SolcSettings::default()
        })
        .ephemeral()
        .no_artifacts()
        .offline()
        .build(SolcCompiler::Specific(solc))
        .expect("the contracts project is well formed");
    let output = project
        .compile_files(source_files(&sources, SOLC_EXTENSIONS))
        .unwrap_or_else(|e| panic!("solc could not compile {}: {e}", sources.display()));
    if output.has_compiler_errors() {
        panic!("the contracts do not compile:\n{output}");
    }
    let output = output.into_output();

    for artifact in ARTIFACTS {
        let (file, name) = artifact.split_once('/').expect("<Source>.sol/<Contract>");
        let mut found = output
            .contracts_with_files_iter()
            .filter(|(path, contract, _)| *contract == name && path.ends_with(file));
        let (_, _, contract) = found
            .next()
            .unwrap_or_else(|| panic!("solc output has no {artifact}"));
        assert!(found.next().is_none(), "{artifact} is ambiguous");

        let mut abi = serde_json::to_value(contract.abi.as_ref().expect("abi is selected"))
            .expect("an ABI serializes");
        erase_value_types(&mut abi);
        let mut trimmed = Map::new();
        trimmed.insert("abi".into(), abi);
        let evm = contract.evm.as_ref().expect("bytecode is selected");
        let bytecodes = [
            ("bytecode", evm.bytecode.as_ref()),
            (
                "deployedBytecode",
                evm.deployed_bytecode
                    .as_ref()
                    .and_then(|deployed| deployed.bytecode.as_ref()),
            ),
        ];
        for (key, bytecode) in bytecodes {
            let object = match bytecode.map(|bytecode| &bytecode.object) {
                Some(BytecodeObject::Bytecode(bytes)) => bytes.to_string(),
                Some(BytecodeObject::Unlinked(_)) => {
                    panic!("{artifact} needs linking: the suite has no external libraries")
                }
                None => panic!("solc output has no {key} for {artifact}"),
            };
            let mut wrapped = Map::new();
            wrapped.insert("object".into(), Value::String(object));
            trimmed.insert(key.into(), Value::Object(wrapped));
        }
        let target = out_dir.join(format!("{name}.json"));
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
