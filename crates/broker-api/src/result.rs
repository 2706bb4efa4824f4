//! The result of a `block` job: the EVM encoding of the Groth16 proof the L1 verifier takes,
//! and the public inputs it proves.

use fernet_state::{fr_from_be_bytes, NUM_PUBLIC_INPUTS, PROOF_BYTES};
use serde::Serialize;
use serde_json::Value;

use crate::hex;

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
    /// Decodes and checks the shape of a result: 256 proof bytes and seven canonical public
    /// inputs (the broker also checks the proof's points are on the curve, and that the inputs
    /// are the job's). The error names the offending field.
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
}
