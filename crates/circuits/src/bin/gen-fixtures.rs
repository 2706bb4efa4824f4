//! `gen-fixtures`: proves the devnet epoch fixture for the forge tests.

use std::path::PathBuf;

use clap::Parser;
use eyre::WrapErr;
use fernet_circuits::{
    block::{prover::default_key_cache_dir, tools},
    keys::KeyCache,
};
use fernet_state::StateConfig;
use indicatif::MultiProgress;

/// Builds a devnet chain of blocks 1-4 (slots 8-11, one 4-slot epoch) plus a backup-mode
/// block 5 (slot 13) on the empty devnet state, consuming ten fee inbox deposits and paying
/// fees from them, proves each block with the INSECURE devnet keys (the epoch's blocks for the
/// payee `EPOCH_PAYEE`, the backup block for `BACKUP_PAYEE`, anvil's accounts 4 and 6), and
/// writes `test/fixtures/epoch.json`: the genesis state root, the deposits to make before
/// block 1 (in inbox order), the epoch's payee and `submitEpochProof` inputs, and per block
/// its header fields, inbox cursor, data, committed public inputs, payee, verifier inputs and
/// proof.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Output file.
    #[arg(long, default_value_os_t = tools::default_fixture_path())]
    out: PathBuf,
    /// Key cache directory (created if missing; the first run takes a while).
    #[arg(long, env = "FERNET_KEY_CACHE", default_value_os_t = default_key_cache_dir())]
    key_cache: PathBuf,
    /// Seed of the proofs' randomness (the same seed gives the same file).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let progress = MultiProgress::new();
    let fixture = tools::write_epoch_fixture(
        &KeyCache::new(&args.key_cache),
        StateConfig::devnet(),
        args.seed,
        &args.out,
        Some(&progress),
    )
    .wrap_err("proving the devnet epoch fixture")?;
    eprintln!(
        "wrote {} ({} epoch blocks and a backup block)",
        args.out.display(),
        fixture.blocks.len()
    );
    Ok(())
}
