//! What the `gen-verifier` and `gen-fixtures` binaries do, as library functions.

use std::path::{Path, PathBuf};

use fernet_state::StateConfig;
use indicatif::MultiProgress;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::{
    epoch::{build_epoch_fixture, EpochFixture},
    prover::devnet_keys,
};
use crate::{
    keys::KeyCache,
    verifier_gen::{generate_solidity_verifier, VerifierKind},
    Error, Result,
};

/// The repository root of the workspace this crate was built in.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the generated verifiers are committed: `contracts/verifier/`.
pub fn default_verifier_dir() -> PathBuf {
    repo_root().join("contracts/verifier")
}

/// The file of the `kind` verifier in `dir`: its contract name with `.sol`.
pub fn verifier_path(dir: &Path, kind: VerifierKind) -> PathBuf {
    dir.join(format!("{}.sol", kind.contract_name()))
}

/// The tx slots per proof of the `kind` circuit of `config`: the whole block, or
/// [`StateConfig::chunk_txs`].
pub fn proof_txs(config: &StateConfig, kind: VerifierKind) -> Result<usize> {
    Ok(match kind {
        VerifierKind::Block => config.max_txs_per_block,
        VerifierKind::Chunk => config.chunk_txs()?,
    })
}

/// Where the epoch fixture is committed: `test/fixtures/epoch.json`.
pub fn default_fixture_path() -> PathBuf {
    repo_root().join("test/fixtures/epoch.json")
}

/// The Solidity `kind` verifier of the block circuit of `config` under its **INSECURE** devnet
/// keys (from `cache`, set up if missing).
pub fn devnet_verifier_source(
    cache: &KeyCache,
    config: StateConfig,
    kind: VerifierKind,
    progress: Option<&MultiProgress>,
) -> Result<String> {
    let keys = devnet_keys(cache, config, proof_txs(&config, kind)?, progress)?;
    Ok(generate_solidity_verifier(&keys.verifying_key, kind))
}

/// Writes both [`devnet_verifier_source`]s into `dir` (see [`verifier_path`]), creating it.
pub fn write_devnet_verifiers(
    cache: &KeyCache,
    config: StateConfig,
    dir: &Path,
    progress: Option<&MultiProgress>,
) -> Result<Vec<PathBuf>> {
    VerifierKind::ALL
        .into_iter()
        .map(|kind| {
            let source = devnet_verifier_source(cache, config, kind, progress)?;
            let path = verifier_path(dir, kind);
            write_file(&path, source.as_bytes())?;
            Ok(path)
        })
        .collect()
}

/// Proves the devnet epoch fixture with the devnet keys of `config`, whole-block and chunk
/// (proof randomness from `seed`, so the output is reproducible), and writes it to `out`.
pub fn write_epoch_fixture(
    cache: &KeyCache,
    config: StateConfig,
    seed: u64,
    out: &Path,
    progress: Option<&MultiProgress>,
) -> Result<EpochFixture> {
    let keys = devnet_keys(cache, config, config.max_txs_per_block, progress)?;
    let chunk_keys = devnet_keys(cache, config, config.chunk_txs()?, progress)?;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let fixture = build_epoch_fixture(config, &keys, &chunk_keys, &mut rng)?;
    fixture.write(out)?;
    Ok(fixture)
}

/// Writes `contents` to `path`, creating its directory.
pub(crate) fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error)?;
    }
    std::fs::write(path, contents).map_err(io_error)
}
