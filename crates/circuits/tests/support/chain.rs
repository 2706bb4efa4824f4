//! A real anvil, the solc shim and a minimal JSON-RPC client: just enough to deploy a generated
//! verifier and call it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eyre::{bail, eyre, Context, Result};
use fernet_circuits::proof_system::evm::{self, Word};
use fernet_circuits::verifier_build::{compile_verifier, default_solc_shim};
use fernet_circuits::verifier_gen::{generate_solidity_verifier, VerifierKind};
use serde_json::{json, Value};
use sha3::{Digest, Keccak256};

/// The repository root (two levels above this crate).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// An anvil process on a free local port, killed on drop.
pub(crate) struct Anvil {
    child: Child,
    /// The node's JSON-RPC client.
    pub(crate) rpc: Rpc,
}

impl Anvil {
    /// Starts anvil from the repository's npm install and waits until it answers.
    pub(crate) fn spawn() -> Result<Self> {
        let bin = repo_root().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
        for _attempt in 0..3 {
            // Another process may take the port between this probe and anvil's bind: retry.
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let mut child = Command::new(&bin)
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--silent",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .wrap_err_with(|| format!("spawning {}", bin.display()))?;
            let rpc = Rpc::new(format!("http://127.0.0.1:{port}"));
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline && child.try_wait()?.is_none() {
                if rpc.request("eth_chainId", json!([])).is_ok() {
                    return Ok(Self { child, rpc });
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        bail!("anvil did not start")
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON-RPC error object (a revert carries its data).
#[derive(Debug)]
pub(crate) struct RpcError {
    /// The error message.
    pub(crate) message: String,
    /// The revert data, hex, when the call reverted.
    pub(crate) data: Option<String>,
}

/// A minimal blocking JSON-RPC client.
pub(crate) struct Rpc {
    url: String,
    agent: ureq::Agent,
}

impl Rpc {
    fn new(url: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Self { url, agent }
    }

    /// Sends one request; the outer error is transport, the inner one the node's answer.
    pub(crate) fn request(&self, method: &str, params: Value) -> Result<Result<Value, RpcError>> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let reply: Value = self
            .agent
            .post(&self.url)
            .send_json(&body)?
            .body_mut()
            .read_json()?;
        if let Some(error) = reply.get("error") {
            return Ok(Err(RpcError {
                message: error["message"].as_str().unwrap_or_default().to_owned(),
                data: error.get("data").and_then(Value::as_str).map(str::to_owned),
            }));
        }
        Ok(Ok(reply["result"].clone()))
    }

    /// The first unlocked dev account.
    fn sender(&self) -> Result<String> {
        let accounts = self
            .request("eth_accounts", json!([]))?
            .map_err(|e| eyre!("{e:?}"))?;
        accounts[0]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| eyre!("no dev account"))
    }

    /// Deploys `bytecode` and returns the contract address.
    pub(crate) fn deploy(&self, bytecode: &str) -> Result<String> {
        let receipt =
            self.transact(json!({"from": self.sender()?, "data": bytecode, "gas": "0x1c9c380"}))?;
        receipt["contractAddress"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| eyre!("no address"))
    }

    /// Sends `calldata` to `to` in a real transaction and returns the gas it used.
    pub(crate) fn gas_used(&self, to: &str, calldata: &[u8]) -> Result<u64> {
        let data = format!("0x{}", hex::encode(calldata));
        let receipt = self.transact(
            json!({"from": self.sender()?, "to": to, "data": data, "gas": "0x1c9c380"}),
        )?;
        parse_quantity(&receipt["gasUsed"])
    }

    /// Sends a transaction from the dev account, waits for its receipt and checks it succeeded.
    fn transact(&self, tx: Value) -> Result<Value> {
        let hash = self
            .request("eth_sendTransaction", json!([tx]))?
            .map_err(|e| eyre!("{e:?}"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let receipt = loop {
            let receipt = self
                .request("eth_getTransactionReceipt", json!([hash]))?
                .map_err(|e| eyre!("{e:?}"))?;
            if !receipt.is_null() || Instant::now() > deadline {
                break receipt;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if receipt["status"] != "0x1" {
            bail!("transaction failed: {receipt}");
        }
        Ok(receipt)
    }

    /// `eth_call` of `calldata` on `to`: the return data, or the node's error (a revert).
    pub(crate) fn call(&self, to: &str, calldata: &[u8]) -> Result<Result<Vec<u8>, RpcError>> {
        let tx = json!({"to": to, "data": format!("0x{}", hex::encode(calldata))});
        Ok(match self.request("eth_call", json!([tx, "latest"]))? {
            Ok(value) => Ok(decode_hex(value.as_str().unwrap_or_default())?),
            Err(error) => Err(error),
        })
    }

    /// `eth_estimateGas` of `calldata` on `to`, from the dev account.
    pub(crate) fn estimate_gas(&self, to: &str, calldata: &[u8]) -> Result<u64> {
        let tx = json!({"from": self.sender()?, "to": to, "data": format!("0x{}", hex::encode(calldata))});
        let gas = self
            .request("eth_estimateGas", json!([tx]))?
            .map_err(|e| eyre!("{e:?}"))?;
        parse_quantity(&gas)
    }
}

/// Parses a JSON-RPC quantity (`"0x..."`).
fn parse_quantity(value: &Value) -> Result<u64> {
    let text = value
        .as_str()
        .ok_or_else(|| eyre!("not a quantity: {value}"))?;
    Ok(u64::from_str_radix(text.trim_start_matches("0x"), 16)?)
}

/// Decodes `0x`-prefixed hex.
pub(crate) fn decode_hex(text: &str) -> Result<Vec<u8>> {
    Ok(hex::decode(text.trim_start_matches("0x"))?)
}

/// The 4-byte selector of a function or error signature.
pub(crate) fn selector(signature: &str) -> [u8; 4] {
    Keccak256::digest(signature.as_bytes())[..4]
        .try_into()
        .expect("4 bytes")
}

/// ABI-encodes `name(bytes,uint256[])` calls (`verifyProof` and `verifyBatch`).
pub(crate) fn encode_bytes_and_words(function: &str, bytes: &[u8], words: &[Word]) -> Vec<u8> {
    let padded = bytes.len().div_ceil(32) * 32;
    let mut data = selector(&format!("{function}(bytes,uint256[])")).to_vec();
    data.extend(u256(0x40));
    data.extend(u256(0x40 + 32 + padded));
    data.extend(u256(bytes.len()));
    data.extend(bytes);
    data.resize(data.len() + padded - bytes.len(), 0);
    data.extend(u256(words.len()));
    for word in words {
        data.extend(word);
    }
    data
}

/// Deploys the verifier generated for `keys` and returns its address.
pub(crate) fn deploy_verifier(
    rpc: &Rpc,
    vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>,
) -> Result<String> {
    let source = generate_solidity_verifier(vk, VerifierKind::Block);
    let code = compile_verifier(&source, VerifierKind::Block, &default_solc_shim())?;
    rpc.deploy(&format!("0x{}", hex::encode(code)))
}

/// Calls `verifyProof`/`verifyBatch` and decodes the returned bool.
pub(crate) fn call_verify(
    rpc: &Rpc,
    verifier: &str,
    function: &str,
    proofs: &[u8],
    inputs: &[ark_bn254::Fr],
) -> Result<Result<bool, RpcError>> {
    let calldata = encode_bytes_and_words(function, proofs, &evm::public_inputs_to_words(inputs));
    Ok(match rpc.call(verifier, &calldata)? {
        Ok(ret) if ret.len() == 32 && ret[..31] == [0; 31] && ret[31] <= 1 => Ok(ret[31] == 1),
        Ok(ret) => bail!("unexpected return data {}", hex::encode(ret)),
        Err(error) => Err(error),
    })
}

/// A big-endian word of a small number.
pub(crate) fn u256(value: usize) -> Word {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&(value as u64).to_be_bytes());
    word
}
