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
    verifier_gen::{generate_solidity_verifier, VERIFIER_CONTRACT_NAME},
    Error, Result,
};

/// The repository root of the workspace this crate was built in.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the generated verifier is committed: `contracts/verifier/BlockProofVerifier.sol`.
pub fn default_verifier_path() -> PathBuf {
    repo_root().join(format!("contracts/verifier/{VERIFIER_CONTRACT_NAME}.sol"))
}

/// Where the epoch fixture is committed: `test/fixtures/epoch.json`.
pub fn default_fixture_path() -> PathBuf {
    repo_root().join("test/fixtures/epoch.json")
}

/// The Solidity verifier of the block circuit of `config` under its **INSECURE** devnet keys
/// (from `cache`, set up if missing).
pub fn devnet_verifier_source(
    cache: &KeyCache,
    config: StateConfig,
    progress: Option<&MultiProgress>,
) -> Result<String> {
    let keys = devnet_keys(cache, config, config.max_txs_per_block, progress)?;
    Ok(generate_solidity_verifier(&keys.verifying_key))
}

/// Writes [`devnet_verifier_source`] to `out`, creating its directory.
pub fn write_devnet_verifier(
    cache: &KeyCache,
    config: StateConfig,
    out: &Path,
    progress: Option<&MultiProgress>,
) -> Result<()> {
    let source = devnet_verifier_source(cache, config, progress)?;
    write_file(out, source.as_bytes())
}

/// Proves the devnet epoch fixture with the devnet keys of `config` (proof randomness from
/// `seed`, so the output is reproducible) and writes it to `out`.
pub fn write_epoch_fixture(
    cache: &KeyCache,
    config: StateConfig,
    seed: u64,
    out: &Path,
    progress: Option<&MultiProgress>,
) -> Result<EpochFixture> {
    let keys = devnet_keys(cache, config, config.max_txs_per_block, progress)?;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let fixture = build_epoch_fixture(config, &keys, &mut rng)?;
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
