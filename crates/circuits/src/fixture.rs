//! JSON fixtures of real proofs for the forge tests of a generated verifier.
//!
//! Keys are camelCase and in alphabetical order at every level, so forge's `vm.parseJson` can
//! decode a whole object into a Solidity struct whose fields are declared in the same order.
//! Every word is a `0x`-prefixed 32-byte hex string.

use std::path::Path;

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, VerifyingKey};
use serde::Serialize;

use crate::proof_system::evm;
use crate::{Error, Groth16Bn254, ProofSystem, Result};

/// The whole fixture file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifierFixture {
    /// Every proof's bytes concatenated, the `proofs` argument of `verifyBatch`.
    pub batch_proofs: String,
    /// Every proof's inputs concatenated, the `publicInputs` argument of `verifyBatch`.
    pub batch_public_inputs: Vec<String>,
    /// K, what `numPublicInputs()` returns.
    pub num_public_inputs: usize,
    /// The proofs one by one.
    pub proofs: Vec<ProofFixture>,
    /// What `verificationKeyHash()` returns.
    pub verification_key_hash: String,
}

/// One proof with its public inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofFixture {
    /// The 256 proof bytes, the `proof` argument of `verifyProof`.
    pub proof: String,
    /// The same proof as its 8 words.
    pub proof_words: Vec<String>,
    /// The public inputs, the `publicInputs` argument of `verifyProof`.
    pub public_inputs: Vec<String>,
}

impl VerifierFixture {
    /// Builds the fixture of `proofs` (each with its public inputs) under `vk`.
    ///
    /// The proofs are not verified here, so fixtures of invalid proofs can be made too; the
    /// input counts must match the key.
    pub fn new(vk: &VerifyingKey<Bn254>, proofs: &[(Proof<Bn254>, Vec<Fr>)]) -> Result<Self> {
        if proofs.is_empty() {
            return Err(Error::EmptyFixture);
        }
        let expected = Groth16Bn254::num_public_inputs(vk);
        let mut fixtures = Vec::with_capacity(proofs.len());
        let mut batch_proofs = Vec::with_capacity(proofs.len() * fernet_state::PROOF_BYTES);
        let mut batch_public_inputs = Vec::with_capacity(proofs.len() * expected);
        for (proof, inputs) in proofs {
            if inputs.len() != expected {
                return Err(Error::InputCount {
                    expected,
                    actual: inputs.len(),
                });
            }
            let bytes = evm::proof_to_bytes(proof);
            batch_proofs.extend_from_slice(&bytes);
            let public_inputs: Vec<String> = evm::public_inputs_to_words(inputs)
                .iter()
                .map(evm::word_to_hex)
                .collect();
            batch_public_inputs.extend(public_inputs.iter().cloned());
            fixtures.push(ProofFixture {
                proof: format!("0x{}", hex::encode(bytes)),
                proof_words: evm::proof_to_words(proof)
                    .iter()
                    .map(evm::word_to_hex)
                    .collect(),
                public_inputs,
            });
        }
        Ok(Self {
            batch_proofs: format!("0x{}", hex::encode(batch_proofs)),
            batch_public_inputs,
            num_public_inputs: expected,
            proofs: fixtures,
            verification_key_hash: evm::word_to_hex(&evm::verifying_key_hash(vk)),
        })
    }

    /// The fixture as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String> {
        let mut json = serde_json::to_string_pretty(self)?;
        json.push('\n');
        Ok(json)
    }
}

/// Writes the fixture of `proofs` under `vk` to `path` (see [`VerifierFixture::new`]),
/// creating the parent directory if needed.
pub fn write_fixture(
    path: &Path,
    vk: &VerifyingKey<Bn254>,
    proofs: &[(Proof<Bn254>, Vec<Fr>)],
) -> Result<()> {
    let json = VerifierFixture::new(vk, proofs)?.to_json()?;
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error)?;
    }
    std::fs::write(path, json).map_err(io_error)
}
