//! Export: a verified ceremony's keys as the project's key files, their manifest, and the
//! Solidity verifiers generated from them.
//!
//! Output layout: `<out>/<circuit id>/ceremony-keys.bin` and `<out>/ceremony.json`, written by
//! [`CeremonyManifest::export`] (keys compressed, validated on load), and
//! `<out>/verifier/{Block,Chunk}ProofVerifier.sol`. The committed `contracts/verifier/` (pinned
//! to the insecure devnet keys) is never written.

use std::path::{Path, PathBuf};

use ark_bn254::Bn254;
use ark_groth16::{ProvingKey, VerifyingKey};
use fernet_circuits::{
    ceremony_manifest::{CeremonyManifest, ExportedCircuit},
    keys::KeyPair,
    verifier_gen::generate_solidity_verifier,
    Groth16Bn254,
};

use crate::{
    ceremony_dir::CeremonyDir,
    phase2::params::{write_atomically, FixedPart, Params},
    transcript::Hash32,
    Error, Result,
};

/// The directory of generated verifiers inside an export directory.
pub const VERIFIER_DIR: &str = "verifier";

/// The Groth16 proving key of a fixed part and its params: the two halves joined.
pub fn proving_key(fixed: &FixedPart, params: &Params) -> ProvingKey<Bn254> {
    ProvingKey {
        vk: VerifyingKey {
            alpha_g1: fixed.alpha_g1,
            beta_g2: fixed.beta_g2,
            gamma_g2: fixed.gamma_g2,
            delta_g2: params.delta_g2,
            gamma_abc_g1: fixed.gamma_abc_g1.clone(),
        },
        beta_g1: fixed.beta_g1,
        delta_g1: params.delta_g1,
        a_query: fixed.a_query.clone(),
        b_g1_query: fixed.b_g1_query.clone(),
        b_g2_query: fixed.b_g2_query.clone(),
        h_query: params.h_query.clone(),
        l_query: params.l_query.clone(),
    }
}

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The manifest (also written as `<out>/ceremony.json`).
    pub manifest: CeremonyManifest,
    /// The transcript hash that names the keys.
    pub transcript_hash: Hash32,
    /// The generated verifiers' files.
    pub verifiers: Vec<PathBuf>,
}

/// Verifies the ceremony in `ceremony` and exports its keys, manifest and verifiers to `out`.
pub fn export(ceremony: &CeremonyDir, out: &Path) -> Result<Exported> {
    let verifier_dir = out.join(VERIFIER_DIR);
    refuse_committed_verifiers(&verifier_dir)?;
    let (transcript, finals) = ceremony.verify(None)?;
    let keys: Vec<KeyPair<Groth16Bn254>> = finals
        .iter()
        .map(|final_circuit| {
            let proving_key = proving_key(&final_circuit.fixed, &final_circuit.params);
            let verifying_key = proving_key.vk.clone();
            KeyPair::new(proving_key, verifying_key)
        })
        .collect();
    let circuits: Vec<ExportedCircuit<'_>> = finals
        .iter()
        .zip(&keys)
        .map(|(final_circuit, keys)| ExportedCircuit {
            id: &final_circuit.entry.id,
            digest: final_circuit.entry.digest.0,
            keys,
        })
        .collect();
    let manifest = CeremonyManifest::export(out, transcript.transcript_hash.0, &circuits)?;
    std::fs::create_dir_all(&verifier_dir).map_err(|source| Error::Io {
        path: verifier_dir.clone(),
        source,
    })?;
    let mut verifiers = Vec::with_capacity(finals.len());
    for (final_circuit, keys) in finals.iter().zip(&keys) {
        let kind = final_circuit.circuit.verifier_kind();
        let source = generate_solidity_verifier(&keys.verifying_key, kind);
        let verifier_path = verifier_dir.join(format!("{}.sol", kind.contract_name()));
        write_atomically(&verifier_path, source.as_bytes())?;
        verifiers.push(verifier_path);
    }
    Ok(Exported {
        manifest,
        transcript_hash: transcript.transcript_hash,
        verifiers,
    })
}

/// Refuses to write into the repository's `contracts/verifier/`, whose verifiers belong to the
/// insecure devnet keys and are pinned by a test.
fn refuse_committed_verifiers(verifier_dir: &Path) -> Result<()> {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/verifier");
    let same = match (verifier_dir.canonicalize(), committed.canonicalize()) {
        (Ok(target), Ok(committed)) => target == committed,
        _ => false,
    };
    if same {
        return Err(Error::ProtectedPath {
            path: verifier_dir.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_verifiers_are_never_overwritten() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/verifier");
        assert!(matches!(
            refuse_committed_verifiers(&committed),
            Err(Error::ProtectedPath { .. })
        ));
        let elsewhere = tempfile::tempdir().unwrap();
        refuse_committed_verifiers(&elsewhere.path().join(VERIFIER_DIR)).unwrap();
    }
}
