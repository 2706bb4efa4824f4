//! The init code of every contract the harness deploys.

use std::path::{Path, PathBuf};

use alloy::{primitives::Bytes, sol_types::SolValue};

use crate::error::{Error, Result};

/// Which proof verifier the rollup is deployed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifierKind {
    /// `test/helpers/CommitmentVerifier.sol`: accepts a proof whose first word is keccak256 of
    /// its domain ("block" or "chunk") and its public inputs. Lets random schedules prove any block; the Groth16 verifier and the
    /// circuit have their own tests with real proofs, and [`VerifierKind::Groth16`] runs the
    /// fixture chain through the real one.
    Commitment,
    /// The generated Groth16 `BlockProofVerifier` and `ChunkProofVerifier` (real proofs, BN254
    /// precompiles).
    Groth16,
}

/// The commitment double's domain for whole-block proofs.
pub(crate) const BLOCK_DOMAIN: &str = "block";
/// The commitment double's domain for chunk proofs.
pub(crate) const CHUNK_DOMAIN: &str = "chunk";

/// Init code of the suite, read from the forge artifacts.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// `DevnetToken`.
    pub token: Bytes,
    /// `Staking`.
    pub staking: Bytes,
    /// `ProverEscrow`.
    pub escrow: Bytes,
    /// `RewardPool`.
    pub pool: Bytes,
    /// `FeeInbox`.
    pub inbox: Bytes,
    /// `Rollup`.
    pub rollup: Bytes,
    /// The block verifier chosen (init code with its constructor arguments).
    pub verifier: Bytes,
    /// The chunk verifier chosen (init code with its constructor arguments).
    pub chunk_verifier: Bytes,
}

/// The repository root (this crate lives in `crates/model`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Artifacts {
    /// The suite's init code (compiled into the bindings), with `verifier`'s read from `out/`
    /// (the commitment double is a test helper, built by `forge build` but not bound).
    pub fn load(verifier: VerifierKind) -> Result<Self> {
        let (verifier, chunk_verifier) = match verifier {
            VerifierKind::Groth16 => (
                fernet_bindings::BlockProofVerifier::BYTECODE.clone(),
                fernet_bindings::ChunkProofVerifier::BYTECODE.clone(),
            ),
            VerifierKind::Commitment => {
                let code = read_bytecode(
                    &workspace_root().join("out/CommitmentVerifier.sol/CommitmentVerifier.json"),
                )?;
                let with_domain = |domain: &str| -> Bytes {
                    [code.as_ref(), &(domain.to_owned(),).abi_encode_params()]
                        .concat()
                        .into()
                };
                (with_domain(BLOCK_DOMAIN), with_domain(CHUNK_DOMAIN))
            }
        };
        Ok(Self {
            token: fernet_bindings::DevnetToken::BYTECODE.clone(),
            staking: fernet_bindings::Staking::BYTECODE.clone(),
            escrow: fernet_bindings::ProverEscrow::BYTECODE.clone(),
            pool: fernet_bindings::RewardPool::BYTECODE.clone(),
            inbox: fernet_bindings::FeeInbox::BYTECODE.clone(),
            rollup: fernet_bindings::Rollup::BYTECODE.clone(),
            verifier,
            chunk_verifier,
        })
    }
}

impl Artifacts {
    /// `CommitteeRollup`'s init code, read from `out/` (run `forge build` first).
    pub fn committee_rollup() -> Result<Bytes> {
        read_bytecode(&workspace_root().join("out/CommitteeRollup.sol/CommitteeRollup.json"))
    }
}

/// The `bytecode.object` of a forge artifact.
fn read_bytecode(path: &Path) -> Result<Bytes> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Artifact {
        path: path.to_path_buf(),
        reason: format!("{source} (run `forge build` first)"),
    })?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Artifact {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let hex = json["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| Error::Artifact {
            path: path.to_path_buf(),
            reason: "no bytecode.object".into(),
        })?;
    hex.parse().map_err(|e| Error::Artifact {
        path: path.to_path_buf(),
        reason: format!("bytecode is not hex: {e}"),
    })
}
