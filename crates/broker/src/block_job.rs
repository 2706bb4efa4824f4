//! The `block` job proves a whole block or one chunk of it: its input is a [`BlockWitness`] (`BlockWitness::to_bytes`) that names its
//! payee (`BlockWitness::with_payee`; the payee is part of the input, so of the job id), its
//! result a [`BlockProofResult`], the EVM encoding of the Groth16 proof the L1 verifier takes.

use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use fernet_broker_api::{hex, BlockProofResult, JobId};
use fernet_circuits::{
    block::prover::verify_block,
    proof_system::evm::{proof_from_bytes, proof_to_bytes, verifying_key_hash},
};
use fernet_state::{fr_to_be_bytes, BlockWitness, NUM_PUBLIC_INPUTS};
use serde_json::Value;

use crate::{
    error::{Error, Result},
    keys::VerifyingKeys,
};

/// The result of `proof` over `inputs`, as an agent delivers it.
pub fn block_proof_result(
    proof: &Proof<Bn254>,
    inputs: &[Fr; NUM_PUBLIC_INPUTS],
) -> BlockProofResult {
    BlockProofResult {
        proof: proof_to_bytes(proof).to_vec(),
        public_inputs: inputs.iter().map(fr_to_be_bytes).collect(),
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

/// Checks that `result` proves the statement of the witness `input`: well formed, with the
/// witness's public inputs ([`Error::InvalidResult`] otherwise), and a proof that verifies
/// natively against the verifying key of the witness's configuration and proof size
/// ([`Error::InvalidProof`] otherwise; a few milliseconds).
pub(crate) fn check_result(
    id: JobId,
    input: &[u8],
    result: &Value,
    keys: &dyn VerifyingKeys,
) -> Result<()> {
    let invalid = |reason: String| Error::InvalidResult { id, reason };
    let decoded = BlockProofResult::from_json(result).map_err(invalid)?;
    let proof =
        proof_from_bytes(&decoded.proof).map_err(|e| invalid(format!("result.proof: {e}")))?;
    let witness = decode_input(input)?;
    let expected = witness.public_inputs.to_u256_be_words();
    if decoded.public_inputs != expected {
        return Err(invalid(format!(
            "result.publicInputs do not match the job's witness (block {}, new state root {})",
            witness.block_number,
            hex::encode(&expected[1])
        )));
    }
    let vk = keys.verifying_key(&witness.config, witness.part.txs)?;
    if !verify_block(&vk, &witness.public_inputs.to_field_elements(), &proof)? {
        return Err(Error::InvalidProof {
            id,
            vk_hash: hex::encode(&verifying_key_hash(&vk)),
        });
    }
    Ok(())
}
