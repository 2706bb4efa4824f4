//! `gen-verifier`: writes the Solidity verifiers of the devnet block circuit and its chunks.

use std::path::PathBuf;

use clap::Parser;
use eyre::WrapErr;
use fernet_circuits::{
    block::{prover::default_key_cache_dir, tools},
    keys::KeyCache,
};
use fernet_state::StateConfig;
use indicatif::MultiProgress;

/// Generates `contracts/verifier/BlockProofVerifier.sol` and `ChunkProofVerifier.sol` from the
/// verifying keys of the devnet block circuit (depths 16/16/16, 4 txs, 34 data chunks) and of
/// its chunk of 2 txs.
///
/// The keys come from the deterministic, INSECURE devnet setup (public toxic waste), cached
/// on disk, so every run on every machine writes the same file. Never use it on a real chain.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Output directory.
    #[arg(long, default_value_os_t = tools::default_verifier_dir())]
    out: PathBuf,
    /// Key cache directory (created if missing; the first run takes a while).
    #[arg(long, env = "FERNET_KEY_CACHE", default_value_os_t = default_key_cache_dir())]
    key_cache: PathBuf,
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let progress = MultiProgress::new();
    let written = tools::write_devnet_verifiers(
        &KeyCache::new(&args.key_cache),
        StateConfig::devnet(),
        &args.out,
        Some(&progress),
    )
    .wrap_err("generating the devnet verifiers")?;
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
