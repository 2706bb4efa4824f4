//! Witness generation, proving and native verification of full blocks of 1, 4, 16 and 36
//! txs (devnet depths 16/16/16). Keys come from the on-disk devnet cache
//! (`$FERNET_KEY_CACHE`, default `target/fernet-keys`); the first run sets them up.
//!
//! `cargo bench -p fernet-circuits`, or `BLOCK_BENCH_TXS=1,4 cargo bench -p fernet-circuits`
//! for a subset.

#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fernet_circuits::{
    block::{
        prover::{default_key_cache_dir, devnet_keys, prove_block, verify_block},
        sizing::{full_block_witness, with_max_txs},
    },
    keys::KeyCache,
};
use fernet_state::StateConfig;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn sizes() -> Vec<usize> {
    std::env::var("BLOCK_BENCH_TXS")
        .ok()
        .map(|list| {
            list.split(',')
                .map(|n| n.trim().parse().expect("a tx count"))
                .collect()
        })
        .unwrap_or_else(|| vec![1, 4, 16, 36])
}

fn block(c: &mut Criterion) {
    let cache = KeyCache::new(default_key_cache_dir());
    let mut group = c.benchmark_group("block");
    group.sample_size(10);
    for txs in sizes() {
        let config = with_max_txs(StateConfig::devnet(), txs);
        let keys =
            devnet_keys(&cache, config, config.max_txs_per_block, None).expect("devnet keys");
        let witness = full_block_witness(config).expect("witness");
        let mut rng = ChaCha20Rng::seed_from_u64(txs as u64);
        group.bench_with_input(BenchmarkId::new("witness", txs), &config, |b, config| {
            b.iter(|| full_block_witness(*config).expect("witness"))
        });
        group.bench_with_input(BenchmarkId::new("prove", txs), &witness, |b, witness| {
            b.iter(|| prove_block(&keys, witness.clone(), &mut rng).expect("proof"))
        });
        let (proof, inputs) = prove_block(&keys, witness, &mut rng).expect("proof");
        group.bench_function(BenchmarkId::new("verify", txs), |b| {
            b.iter(|| assert!(verify_block(&keys.verifying_key, &inputs, &proof).expect("verify")))
        });
    }
    group.finish();
}

criterion_group!(benches, block);
criterion_main!(benches);
