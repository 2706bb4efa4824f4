//! Test support (feature `testing`): a ceremony export directory of tiny keys, made in
//! milliseconds, filed under the ids of a configuration's block and chunk circuits.
//!
//! The keys are those of a circuit with the block circuit's public inputs and a handful of
//! constraints, from the insecure deterministic setup: they cannot prove a block, but loading
//! them, checking their manifest and generating verifiers from them work as with a real
//! ceremony's keys, at a fraction of the cost.

use std::path::Path;

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, Variable};
use fernet_state::{StateConfig, NUM_PUBLIC_INPUTS};

use crate::{
    block::prover::circuit_id,
    ceremony_manifest::{CeremonyManifest, ExportedCircuit},
    keys::insecure_devnet_setup,
    proof_system::R1csMatrices,
    Groth16Bn254, Result,
};

/// The block circuit's public inputs, each constrained `repeat` times by `x · 1 = x` (`repeat`
/// tells the block's keys from the chunk's).
#[derive(Clone, Copy)]
struct TinyCircuit {
    repeat: usize,
}

impl ConstraintSynthesizer<Fr> for TinyCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> ark_relations::gr1cs::Result<()> {
        for _ in 0..NUM_PUBLIC_INPUTS {
            let input = cs.new_input_variable(|| Ok(Fr::from(0u64)))?;
            for _ in 0..self.repeat {
                cs.enforce_r1cs_constraint(
                    || input.into(),
                    || Variable::One.into(),
                    || input.into(),
                )?;
            }
        }
        Ok(())
    }
}

/// Writes an export directory at `dir` named by `transcript_hash`, holding tiny keys (see the
/// module docs) for the block circuit of `config` and its chunk circuit, and returns its
/// manifest.
pub fn export_tiny_ceremony_keys(
    dir: &Path,
    transcript_hash: [u8; 32],
    config: StateConfig,
) -> Result<CeremonyManifest> {
    let sizes = [config.max_txs_per_block, config.chunk_txs()?];
    let mut circuits = Vec::with_capacity(sizes.len());
    for txs in sizes {
        let circuit = TinyCircuit { repeat: txs };
        let keys = insecure_devnet_setup::<Groth16Bn254, _>(circuit)?;
        let digest = R1csMatrices::build(circuit)?.digest();
        circuits.push((circuit_id(&config, txs)?.cache_key(), digest, keys));
    }
    let exported: Vec<ExportedCircuit<'_>> = circuits
        .iter()
        .map(|(id, digest, keys)| ExportedCircuit {
            id,
            digest: *digest,
            keys,
        })
        .collect();
    CeremonyManifest::export(dir, transcript_hash, &exported)
}
