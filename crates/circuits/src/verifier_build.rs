//! Compiles a generated verifier with the repository's pinned solc, as forge would.
//!
//! A deployment whose state configuration is not the devnet's cannot use the committed
//! verifiers: it deploys verifiers generated from its own keys, compiled here. The compiler is
//! the npm solc behind `script/solc-shim.js` (installed by `script/setup.sh`, run by `node`) with
//! the settings foundry.toml gives forge (optimizer 200 runs, cancun, no metadata hash, no CBOR),
//! so the creation code is byte for byte what `forge build` makes of the same source.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use serde_json::{json, Value};

use crate::{verifier_gen::VerifierKind, Error, Result};

/// The interface every generated verifier implements, as the generator's import names it.
const INTERFACE_PATH: &str = "contracts/interfaces/IProofVerifier.sol";

/// The solc shim of the workspace this crate was built in.
pub fn default_solc_shim() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../script/solc-shim.js")
}

/// The creation code of the `kind` verifier whose generated Solidity is `source`, compiled by
/// the solc shim at `shim` (see [`default_solc_shim`]); the interface is read from the shim's
/// repository.
pub fn compile_verifier(source: &str, kind: VerifierKind, shim: &Path) -> Result<Vec<u8>> {
    let contract = kind.contract_name();
    let fail = |reason: String| Error::Compile { contract, reason };
    let root = shim
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| fail(format!("{} is not in a repository", shim.display())))?;
    let interface_file = root.join(INTERFACE_PATH);
    let interface = std::fs::read_to_string(&interface_file).map_err(|source| Error::Io {
        path: interface_file,
        source,
    })?;
    let file = format!("contracts/verifier/{contract}.sol");
    let input = json!({
        "language": "Solidity",
        "sources": {
            INTERFACE_PATH: {"content": interface},
            file.clone(): {"content": source},
        },
        "settings": {
            "optimizer": {"enabled": true, "runs": 200},
            "evmVersion": "cancun",
            "metadata": {"bytecodeHash": "none", "appendCBOR": false},
            "outputSelection": {"*": {"*": ["evm.bytecode.object"]}},
        },
    });
    let mut child = Command::new("node")
        .arg(shim)
        .arg("--standard-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("running node {}: {e}", shim.display())))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.to_string().as_bytes())
        .map_err(|e| fail(format!("writing solc's input: {e}")))?;
    let output = child
        .wait_with_output()
        .map_err(|e| fail(format!("waiting for solc: {e}")))?;
    if !output.status.success() {
        return Err(fail(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    let output: Value = serde_json::from_slice(&output.stdout)?;
    let errors: Vec<String> = output["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["severity"] == "error")
        .map(|e| e["formattedMessage"].as_str().unwrap_or("?").to_owned())
        .collect();
    if !errors.is_empty() {
        return Err(fail(errors.join("\n")));
    }
    let object = output["contracts"][&file][contract]["evm"]["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| fail("solc returned no bytecode".into()))?;
    hex::decode(object).map_err(|e| fail(format!("solc returned bad hex: {e}")))
}
