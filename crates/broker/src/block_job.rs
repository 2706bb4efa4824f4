//! The `block` job: its input is a [`BlockWitness`] (`BlockWitness::to_bytes`) that names its
//! payee (`BlockWitness::with_payee`; the payee is part of the input, so of the job id), its
//! result a [`BlockProofResult`], the EVM encoding of the Groth16 proof the L1 verifier takes.

use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use fernet_circuits::proof_system::evm::{proof_from_bytes, proof_to_bytes};
use fernet_state::PROOF_BYTES;
use fernet_state::{fr_from_be_bytes, fr_to_be_bytes, BlockWitness, NUM_PUBLIC_INPUTS};
use serde::Serialize;
use serde_json::Value;

use crate::{
    error::{Error, Result},
    hex,
    job::JobId,
};

/// A proven block: `{ "proof": "0x<256 bytes>", "publicInputs": ["0x…" × 7] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockProofResult {
    /// The 8 EVM words `verifyProof` takes (`fernet_circuits::proof_system::evm`).
    #[serde(with = "hex::bytes")]
    pub proof: Vec<u8>,
    /// The seven public inputs as 32-byte big-endian words, in circuit order (the payee last).
    #[serde(with = "hex::words")]
    pub public_inputs: Vec<[u8; 32]>,
}

impl BlockProofResult {
    /// The result of `proof` over `inputs`.
    pub fn new(proof: &Proof<Bn254>, inputs: &[Fr; NUM_PUBLIC_INPUTS]) -> Self {
        Self {
            proof: proof_to_bytes(proof).to_vec(),
            public_inputs: inputs.iter().map(fr_to_be_bytes).collect(),
        }
    }

    /// Decodes and checks a result: 256 proof bytes whose points are on the curve and in the
    /// subgroup, and seven canonical public inputs. The error names the offending field.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("result.{name}: expected a 0x hex string"))
        };
        let proof = hex::decode(field("proof")?).map_err(|e| format!("result.proof: {e}"))?;
        if proof.len() != PROOF_BYTES {
            return Err(format!(
                "result.proof: expected {PROOF_BYTES} bytes, got {}",
                proof.len()
            ));
        }
        proof_from_bytes(&proof).map_err(|e| format!("result.proof: {e}"))?;
        let words = value
            .get("publicInputs")
            .and_then(Value::as_array)
            .ok_or("result.publicInputs: expected an array of 0x words")?;
        if words.len() != NUM_PUBLIC_INPUTS {
            return Err(format!(
                "result.publicInputs: expected {NUM_PUBLIC_INPUTS} words, got {}",
                words.len()
            ));
        }
        let public_inputs = words
            .iter()
            .enumerate()
            .map(|(index, word)| {
                let name = format!("result.publicInputs[{index}]");
                let word = word
                    .as_str()
                    .ok_or_else(|| format!("{name}: expected a 0x hex string"))
                    .and_then(|text| hex::decode_word(text).map_err(|e| format!("{name}: {e}")))?;
                fr_from_be_bytes(&word)
                    .map(|_| word)
                    .ok_or_else(|| format!("{name}: not below the BN254 scalar modulus"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            proof,
            public_inputs,
        })
    }

    /// The result as the JSON the broker stores.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "proof": hex::encode(&self.proof),
            "publicInputs": self.public_inputs.iter().map(|w| hex::encode(w)).collect::<Vec<_>>(),
        })
    }

    /// The proof as arkworks points.
    pub fn proof(&self) -> Result<Proof<Bn254>> {
        Ok(proof_from_bytes(&self.proof)?)
    }

    /// The public inputs as field elements (`None` for a word `>= r` or the wrong count).
    pub fn public_inputs(&self) -> Option<[Fr; NUM_PUBLIC_INPUTS]> {
        let inputs: Vec<Fr> = self
            .public_inputs
            .iter()
            .map(fr_from_be_bytes)
            .collect::<Option<_>>()?;
        inputs.try_into().ok()
    }
}

/// Decodes a block job's input: a witness that names its payee (a proof for the zero address
/// could never be used on L1).
pub(crate) fn decode_input(input: &[u8]) -> Result<BlockWitness> {
    let invalid = |reason: String| Error::InvalidInput {
        kind: "block",
        reason,
    };
    let witness = BlockWitness::from_bytes(input).map_err(|error| invalid(error.to_string()))?;
    if witness.public_inputs.payee() == [0; 20] {
        return Err(invalid(
            "the witness names no payee (the zero address)".into(),
        ));
    }
    Ok(witness)
}

/// Checks that `result` is a well-formed block proof result for the statement of the witness
/// `input`: its public inputs are the witness's. (Whether the proof verifies needs the
/// verifying key: the agent checks it before completing, L1 checks it again.)
pub(crate) fn check_result(id: JobId, input: &[u8], result: &Value) -> Result<()> {
    let invalid = |reason: String| Error::InvalidResult { id, reason };
    let decoded = BlockProofResult::from_json(result).map_err(invalid)?;
    let witness = decode_input(input)?;
    let expected = witness.public_inputs.to_u256_be_words();
    if decoded.public_inputs != expected {
        return Err(invalid(format!(
            "result.publicInputs do not match the job's witness (block {}, new state root {})",
            witness.block_number,
            hex::encode(&expected[1])
        )));
    }
    Ok(())
}
