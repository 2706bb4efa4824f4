//! One-shot profile of the block circuit for `docs/proving.md`: constraints per component,
//! witness generation, setup (or key load), proving and native verification times for a full
//! block of `--txs` reference transactions at devnet or production depths. Run it under
//! `/usr/bin/time -v` for the peak memory.

use std::time::Instant;

use fernet_circuits::{
    block::{
        prover::{default_key_cache_dir, devnet_keys, prove_block, verify_block},
        sizing::{full_block_witness, with_max_txs},
        BlockCircuit,
    },
    keys::KeyCache,
};
use fernet_state::StateConfig;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn main() -> eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut txs = 4;
    let mut production = false;
    let mut constraints_only = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--txs" => txs = args.next().ok_or_else(|| eyre::eyre!("--txs N"))?.parse()?,
            "--production" => production = true,
            "--constraints-only" => constraints_only = true,
            other => eyre::bail!(
                "usage: block_profile [--txs N] [--production] [--constraints-only], got {other}"
            ),
        }
    }
    let base = if production {
        StateConfig::production()
    } else {
        StateConfig::devnet()
    };
    let config = with_max_txs(base, txs);
    let started = Instant::now();
    let witness = full_block_witness(config)?;
    let witness_time = started.elapsed();
    let report = BlockCircuit::new(witness.clone())?.constraint_report()?;
    eprintln!("config: {config:?}");
    eprintln!("constraints: {}", serde_json::to_string(&report)?);
    eprintln!("constraints per tx: {}", report.total / txs);
    eprintln!("witness generation: {witness_time:.2?}");
    if constraints_only {
        return Ok(());
    }
    let started = Instant::now();
    let keys = devnet_keys(&KeyCache::new(default_key_cache_dir()), config, None)?;
    eprintln!("keys (setup or cached load): {:.2?}", started.elapsed());
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let started = Instant::now();
    let (proof, inputs) = prove_block(&keys, witness, &mut rng)?;
    let prove_time = started.elapsed();
    eprintln!(
        "prove: {prove_time:.2?} ({:.2} tx/s)",
        txs as f64 / prove_time.as_secs_f64()
    );
    let started = Instant::now();
    assert!(verify_block(&keys.verifying_key, &inputs, &proof)?);
    eprintln!("verify: {:.2?}", started.elapsed());
    Ok(())
}
