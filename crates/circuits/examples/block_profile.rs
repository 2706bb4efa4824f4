//! One-shot profile of the block circuit for `docs/proving.md`: constraints per component,
//! witness generation, setup (or key load), constraint matrices, proving and native verification
//! times for a full block of `--txs` reference transactions at devnet or production depths, or
//! (`--chunk-txs K`) for the first chunk of K tx slots of that block. Run it under
//! `/usr/bin/time -v` for the peak memory.

use std::time::Instant;

use fernet_circuits::{
    block::{
        prover::{default_key_cache_dir, devnet_keys, prove_block, verify_block},
        sizing::{full_block_chunks, with_max_txs},
        BlockCircuit,
    },
    keys::KeyCache,
    Groth16Bn254, ProofSystem,
};
use fernet_state::StateConfig;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn main() -> eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut txs = 4;
    let mut production = false;
    let mut constraints_only = false;
    let mut repeat = 1usize;
    let mut chunk_txs = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--txs" => txs = args.next().ok_or_else(|| eyre::eyre!("--txs N"))?.parse()?,
            "--chunk-txs" => {
                chunk_txs = Some(
                    args.next()
                        .ok_or_else(|| eyre::eyre!("--chunk-txs K"))?
                        .parse()?,
                )
            }
            "--production" => production = true,
            "--constraints-only" => constraints_only = true,
            "--repeat" => {
                repeat = args
                    .next()
                    .ok_or_else(|| eyre::eyre!("--repeat N"))?
                    .parse()?
            }
            other => eyre::bail!(
                "usage: block_profile [--txs N] [--chunk-txs K] [--production] \
                 [--constraints-only] [--repeat N], got {other}"
            ),
        }
    }
    let base = if production {
        StateConfig::production()
    } else {
        StateConfig::devnet()
    };
    let config = with_max_txs(base, txs);
    let proven_txs = chunk_txs.unwrap_or(txs);
    let started = Instant::now();
    let chunks = full_block_chunks(config, proven_txs)?;
    let witness_time = started.elapsed();
    let count = chunks.len();
    // The first chunk: it also credits the block's deposits.
    let witness = chunks
        .into_iter()
        .next()
        .ok_or_else(|| eyre::eyre!("no chunk"))?;
    let report = BlockCircuit::new(witness.clone())?.constraint_report()?;
    eprintln!("config: {config:?}");
    eprintln!("proof: tx slots 0..{proven_txs} of {txs} (chunk 0 of {count})");
    eprintln!("constraints: {}", serde_json::to_string(&report)?);
    eprintln!("constraints per tx: {}", report.total / proven_txs);
    eprintln!("witness generation: {witness_time:.2?}");
    if constraints_only {
        return Ok(());
    }
    let started = Instant::now();
    let keys = devnet_keys(
        &KeyCache::new(default_key_cache_dir()),
        config,
        proven_txs,
        None,
    )?;
    eprintln!(
        "keys (setup or cached load, constraint matrices built): {:.2?}",
        started.elapsed()
    );
    let started = Instant::now();
    let matrices = Groth16Bn254::constraints(BlockCircuit::blank(config, proven_txs)?)?;
    eprintln!(
        "constraint matrices (built again for this figure): {:.2?}, {} constraints, {} non-zero entries",
        started.elapsed(),
        matrices.num_constraints(),
        matrices.num_nonzero()
    );
    drop(matrices);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    // `--repeat N` proves N times and reports each (the fastest is the least disturbed).
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let cpu_before = cpu_seconds();
        let (proof, inputs) = prove_block(&keys, witness.clone(), &mut rng)?;
        let prove_time = started.elapsed();
        if let Some((before, after)) = cpu_before.zip(cpu_seconds()) {
            // CPU time is steadier than wall time on a shared machine.
            eprintln!("prove cpu time (all threads): {:.2}s", after - before);
        }
        eprintln!(
            "prove: {prove_time:.2?} ({:.2} tx/s, {:.0} constraints/s)",
            proven_txs as f64 / prove_time.as_secs_f64(),
            report.total as f64 / prove_time.as_secs_f64()
        );
        last = Some((proof, inputs));
    }
    let (proof, inputs) = last.ok_or_else(|| eyre::eyre!("no proof"))?;
    let started = Instant::now();
    assert!(verify_block(&keys.verifying_key, &inputs, &proof)?);
    eprintln!("verify: {:.2?}", started.elapsed());
    Ok(())
}

/// User plus system CPU time of this process so far, in seconds, from `/proc/self/stat`
/// (Linux; `None` elsewhere). Assumes the usual 100 clock ticks per second.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}
