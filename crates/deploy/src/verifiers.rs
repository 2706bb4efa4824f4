//! The two Groth16 verifiers a deployment deploys: the block circuit's and its chunk's, for the
//! state configuration of the deployment, and where their keys come from.
//!
//! With a ceremony's export ([`VerifierSources::ceremony_keys`]), both are generated from the
//! ceremony's verifying keys (each key file checked against the export's manifest) and the
//! deployment records the ceremony's transcript hash. Without, the keys are the **insecure**
//! devnet setup's: the devnet configuration deploys the committed verifiers
//! (`contracts/verifier/`, compiled into the bindings; the `fernet-circuits` tests check that
//! they are what the generator makes of the devnet keys), any other configuration, such as the
//! testnet preset's production sizes, gets verifiers generated from its own keys (from the key
//! cache, set up there when missing: minutes at production sizes). Generated verifiers are
//! compiled by the repository's pinned solc. Either way the agents' keys then match the
//! deployment's key hashes.

use std::path::{Path, PathBuf};

use alloy::primitives::{Bytes, B256};
use fernet_bindings::{BlockProofVerifier, ChunkProofVerifier};
use fernet_circuits::{
    block::{prover::BlockKeySource, tools::proof_txs},
    keys::KeyCache,
    proof_system::evm,
    verifier_build::compile_verifier,
    verifier_gen::{generate_solidity_verifier, VerifierKind},
};
use fernet_state::StateConfig;
use tracing::info;

use crate::{Error, Result};

/// Where the verifiers' keys come from, and the compiler of generated verifiers.
#[derive(Debug, Clone)]
pub struct VerifierSources {
    /// The key cache holding (or receiving) the insecure devnet keys of a non-devnet
    /// configuration (unused with [`Self::ceremony_keys`]).
    pub key_cache: PathBuf,
    /// A directory written by `fernet-ceremony export` (`--ceremony-keys`,
    /// `FERNET_CEREMONY_KEYS`): the verifiers are generated from its keys. `None`: the insecure
    /// devnet keys.
    pub ceremony_keys: Option<PathBuf>,
    /// The solc shim (`script/solc-shim.js`).
    pub solc_shim: PathBuf,
}

impl Default for VerifierSources {
    fn default() -> Self {
        Self {
            key_cache: fernet_circuits::block::prover::default_key_cache_dir(),
            ceremony_keys: None,
            solc_shim: fernet_circuits::verifier_build::default_solc_shim(),
        }
    }
}

/// One verifier to deploy.
#[derive(Debug, Clone)]
pub struct VerifierCode {
    /// Which verifier.
    pub kind: VerifierKind,
    /// The tx slots each of its proofs covers: the block's, or a chunk's (the committee mode's
    /// `chunkTxs`).
    pub txs: usize,
    /// Its creation code.
    pub init_code: Bytes,
    /// The key hash it reports, when deploy generated it (the committed devnet verifiers report
    /// the devnet keys' hashes, read back after deployment).
    pub key_hash: Option<B256>,
}

impl VerifierSources {
    /// The keys the verifiers are made from: the ceremony export's (its manifest read now,
    /// [`Error::CeremonyKeys`] when it cannot be), else the insecure devnet keys of the cache.
    pub fn key_source(&self) -> Result<BlockKeySource> {
        match &self.ceremony_keys {
            Some(dir) => {
                BlockKeySource::ceremony(dir).map_err(|source| Error::CeremonyKeys { source })
            }
            None => Ok(BlockKeySource::InsecureDevnet(KeyCache::new(
                &self.key_cache,
            ))),
        }
    }
}

/// The block and chunk verifiers of `config` for the keys of `source`, in that order.
pub fn verifier_code(
    config: StateConfig,
    source: &BlockKeySource,
    solc_shim: &Path,
) -> Result<[VerifierCode; 2]> {
    if matches!(source, BlockKeySource::InsecureDevnet(_)) && config == StateConfig::devnet() {
        let txs =
            |kind| proof_txs(&config, kind).map_err(|source| Error::Verifier { kind, source });
        return Ok([
            committed(
                VerifierKind::Block,
                txs(VerifierKind::Block)?,
                BlockProofVerifier::BYTECODE.clone(),
            ),
            committed(
                VerifierKind::Chunk,
                txs(VerifierKind::Chunk)?,
                ChunkProofVerifier::BYTECODE.clone(),
            ),
        ]);
    }
    let generate = |kind| generated(config, kind, source, solc_shim);
    Ok([
        generate(VerifierKind::Block)?,
        generate(VerifierKind::Chunk)?,
    ])
}

fn committed(kind: VerifierKind, txs: usize, init_code: Bytes) -> VerifierCode {
    VerifierCode {
        kind,
        txs,
        init_code,
        key_hash: None,
    }
}

fn generated(
    config: StateConfig,
    kind: VerifierKind,
    source: &BlockKeySource,
    shim: &Path,
) -> Result<VerifierCode> {
    let circuit = |source| Error::Verifier { kind, source };
    let txs = proof_txs(&config, kind).map_err(circuit)?;
    info!(
        verifier = kind.contract_name(),
        txs,
        keys = %source,
        "generating the verifier from the configuration's keys"
    );
    let keys = source.keys(config, txs).map_err(circuit)?;
    let source = generate_solidity_verifier(&keys.verifying_key, kind);
    let init_code = compile_verifier(&source, kind, shim).map_err(circuit)?;
    Ok(VerifierCode {
        kind,
        txs,
        init_code: init_code.into(),
        key_hash: Some(B256::from(evm::verifying_key_hash(&keys.verifying_key))),
    })
}
