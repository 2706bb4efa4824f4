//! Measures the node's state handling at scale (issue 12 targets: a restart at 10,000 blocks
//! healthy within 5 s; a 1-block L1 reorg never blocks RPC for more than 100 ms).
//!
//! `cargo run --release -p fernet-node --example state_bench -- [blocks]` (default 10,000)
//! builds a chain of `blocks` one-transaction blocks (the devnet's block size, 4 txs, with
//! trees deep enough for 10,000 blocks) with the proven tip two epochs behind the pending tip,
//! stores its event log and the checkpoint at the proven tip in a fresh store (as the follower
//! does), then prints:
//! - the cost of applying one block (what a replay from genesis pays per block);
//! - restart: opening the store, loading it and rebuilding the chain from the checkpoint (what
//!   `Node::start` does before it serves);
//! - reorg: rebuilding the chain without the last L1 block's events (off the lock), the time
//!   the chain lock is held to swap it in, and the longest a reader waited for the lock
//!   meanwhile;
//! - memory: resident set size before and after.
//!
//! `cargo run --release -p fernet-node --example state_bench -- unproven [kept] [base]` (defaults
//! 80 and 2,000) measures the unproven blocks alone: it applies `base` full blocks (4
//! transactions of one nullifier and one note each), then `kept` more, each on a clone of the
//! state below it, all kept as the chain keeps one state per unproven block, and prints the time
//! per block (clone included) and the resident memory the kept states add, in total and per
//! block.
//!
//! It prints figures; it asserts nothing about them.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use alloy::primitives::{Address, B256};
use fernet_node::{
    chain::{fr_to_b256, ChainEvent, ChainHandle, EventRecord},
    follower::{rebuild, swap_in},
    pool::{PoolHandle, PoolState, QuoteRules, DEFAULT_POOL_MAX_TXS},
    store::{Checkpoint, StepWrite, Store},
};
use fernet_primitives::Clock;
use fernet_state::{
    apply_block, encode_block_data, Block, BlockBody, Fr, StateConfig, TxEffect, WorldState,
};

/// Blocks per epoch (one block per slot).
const EPOCH: u64 = 32;

fn main() -> eyre::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--help" || a == "-h") {
        println!("usage: state_bench [blocks] | state_bench unproven [kept] [base] (see the file's docs)");
        return Ok(());
    }
    if args.first().is_some_and(|a| a == "unproven") {
        let number = |i: usize, default: u64| -> eyre::Result<u64> {
            Ok(args
                .get(i)
                .map(|n| n.parse())
                .transpose()?
                .unwrap_or(default))
        };
        return unproven(number(1, 80)?, number(2, 2_000)?);
    }
    let blocks: u64 = args
        .first()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(10_000);
    let clock = Clock {
        genesis_time: 0,
        slot_duration: 12,
        epoch_duration: EPOCH,
    };
    // The devnet's block size with trees deep enough for 10,000 blocks of 16 note slots and
    // 16 nullifier slots (arity-4 trees: even depths).
    let config = StateConfig {
        note_tree_depth: 18,
        nullifier_tree_depth: 18,
        ..StateConfig::devnet()
    };
    let genesis = WorldState::new(config)?;
    let rss_start = rss_kib();

    let started = Instant::now();
    let (events, checkpoint) = chain_events(&genesis, blocks)?;
    let built = started.elapsed();
    println!(
        "built {blocks} blocks ({} events) in {:.2} s: {:.2} ms per block applied (a replay from genesis pays this per block)",
        events.len(),
        built.as_secs_f64(),
        built.as_secs_f64() * 1e3 / blocks as f64
    );
    let dir = tempfile::tempdir()?;
    {
        let store = Store::open(dir.path())?;
        for chunk in events.chunks(1_000) {
            store.commit(&StepWrite {
                events: chunk.to_vec(),
                l1_hashes: chunk
                    .iter()
                    .map(|e| (e.l1_block, e.l1_block_hash))
                    .collect(),
                ..StepWrite::default()
            })?;
        }
        store.commit(&StepWrite {
            checkpoint: Some(checkpoint),
            ..StepWrite::default()
        })?;
    }

    // Restart: open, load, rebuild.
    let started = Instant::now();
    let store = Arc::new(Store::open(dir.path())?);
    let loaded = store.load()?;
    let checkpoint = store.checkpoint()?;
    let loaded_in = started.elapsed();
    let chain = rebuild(&genesis, clock, &loaded.events, checkpoint.as_ref());
    let restart = started.elapsed();
    println!(
        "restart at {} blocks (proven {}): {:.3} s (store load {:.3} s)",
        chain.pending_tip(),
        chain.proven_tip(),
        restart.as_secs_f64(),
        loaded_in.as_secs_f64()
    );
    let rss_chain = rss_kib();

    // A 1-block reorg: the last L1 block's events vanish.
    let chain = ChainHandle::new(chain);
    let rules = QuoteRules {
        chain_id: 31_337,
        rollup: Address::ZERO,
        claim_window_slots: 2,
        max_prover_fee_bps: 5_000,
    };
    let pool = PoolHandle::new(
        PoolState::default(),
        store.clone(),
        chain.clone(),
        1,
        DEFAULT_POOL_MAX_TXS,
        rules,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (chain, stop) = (chain.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut longest = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let tip = chain.read().pending_tip();
                longest = longest.max(asked.elapsed());
                std::hint::black_box(tip);
                std::thread::sleep(Duration::from_micros(200));
            }
            longest
        })
    };
    let last_l1 = events.last().map_or(0, |e| e.l1_block);
    let started = Instant::now();
    let kept = store.events_up_to(last_l1 - 1)?;
    let checkpoint = store.checkpoint()?;
    let replayed = rebuild(&genesis, clock, &kept, checkpoint.as_ref());
    let rebuilt = started.elapsed();
    let write = StepWrite {
        rollback_above: Some(last_l1 - 1),
        ..StepWrite::default()
    };
    let held = swap_in(&pool, &chain, &store, &rules, replayed, write, last_l1 - 1)?;
    stop.store(true, Ordering::Relaxed);
    let longest_read = reader.join().expect("reader thread");
    println!(
        "1-block reorg: rebuilt off the lock in {:.3} s, chain lock held {:.3} ms, longest reader wait {:.3} ms (pending now {})",
        rebuilt.as_secs_f64(),
        held.as_secs_f64() * 1e3,
        longest_read.as_secs_f64() * 1e3,
        chain.pending_tip()
    );
    println!(
        "memory: RSS {} MiB at start, {} MiB with the chain ({} unproven blocks' states kept)",
        rss_start / 1024,
        rss_chain / 1024,
        chain.pending_tip() - chain.proven_tip()
    );
    Ok(())
}

/// The events of `blocks` one-transaction blocks, one per L1 block, with an `EpochProven`
/// for each epoch two epochs behind, and the checkpoint the follower writes at the last one.
fn chain_events(genesis: &WorldState, blocks: u64) -> eyre::Result<(Vec<EventRecord>, Checkpoint)> {
    let mut world = genesis.clone();
    let mut events = Vec::new();
    let mut proven = 0;
    let mut recent = std::collections::BTreeMap::new();
    let mut checkpoint = Checkpoint {
        position: (0, 0),
        block: 0,
        state: genesis.to_checkpoint(),
    };
    for number in 1..=blocks {
        let tx = TxEffect::new(
            0,
            [0xaa; 20],
            &[Fr::from(number)],
            &[Fr::from(number + 1_000_000)],
            None,
        )?;
        let body = BlockBody {
            coinbase: None,
            messages: Vec::new(),
            txs: vec![tx],
        };
        apply_block(
            &mut world,
            &Block {
                number,
                slot: number,
                body: body.clone(),
            },
        )?;
        events.push(EventRecord {
            l1_block: number,
            l1_block_hash: B256::from(alloy::primitives::U256::from(number)),
            log_index: 0,
            l1_tx: B256::ZERO,
            event: ChainEvent::BlockProposed {
                number,
                slot: number,
                proposer: Address::with_last_byte(1),
                state_root: fr_to_b256(&world.state_root()),
                backup: false,
                data: Some(encode_block_data(&body)?.into()),
            },
        });
        // At each epoch's end, prove the epoch two back.
        if number % EPOCH == 0 && number >= 3 * EPOCH {
            let epoch = number / EPOCH - 3;
            events.push(EventRecord {
                l1_block: number,
                l1_block_hash: B256::from(alloy::primitives::U256::from(number)),
                log_index: 1,
                l1_tx: B256::ZERO,
                event: ChainEvent::EpochProven {
                    epoch,
                    from: proven + 1,
                    to: (epoch + 1) * EPOCH - 1,
                },
            });
            proven = (epoch + 1) * EPOCH - 1;
            let state: &WorldState = recent.get(&proven).expect("kept");
            checkpoint = Checkpoint {
                position: (number, 1),
                block: proven,
                state: state.to_checkpoint(),
            };
        }
        recent.insert(number, world.clone());
        recent.retain(|n, _| *n + 4 * EPOCH > number);
    }
    Ok((events, checkpoint))
}

/// The `unproven` mode (see the module docs): `base` full blocks, then `kept` blocks each
/// applied to a clone of the state below it, every state kept.
fn unproven(kept: u64, base: u64) -> eyre::Result<()> {
    let config = StateConfig {
        note_tree_depth: 18,
        nullifier_tree_depth: 18,
        ..StateConfig::devnet()
    };
    let block = |number: u64| -> eyre::Result<Block> {
        let txs = (0..config.max_txs_per_block as u64)
            .map(|tx| {
                let id = number * 16 + tx;
                TxEffect::new(
                    0,
                    [0xaa; 20],
                    &[Fr::from(id)],
                    &[Fr::from(id + (1 << 40))],
                    None,
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(Block {
            number,
            slot: number,
            body: BlockBody {
                coinbase: None,
                messages: Vec::new(),
                txs,
            },
        })
    };
    let mut state = WorldState::new(config)?;
    let started = Instant::now();
    for number in 1..=base {
        apply_block(&mut state, &block(number)?)?;
    }
    let based = started.elapsed();
    let blocks: Vec<Block> = (base + 1..=base + kept)
        .map(block)
        .collect::<eyre::Result<_>>()?;
    let rss_base = rss_kib();
    let mut states = vec![state];
    let started = Instant::now();
    for block in &blocks {
        let mut next = states.last().expect("the base state").clone();
        apply_block(&mut next, block)?;
        states.push(next);
    }
    let applied = started.elapsed();
    let added = rss_kib().saturating_sub(rss_base);
    println!(
        "base: {base} blocks of {} txs in {:.2} s ({:.2} ms per block), RSS {} MiB",
        config.max_txs_per_block,
        based.as_secs_f64(),
        based.as_secs_f64() * 1e3 / base.max(1) as f64,
        rss_base / 1024
    );
    println!(
        "{kept} unproven blocks kept: {:.2} ms per block (clone + apply), RSS +{} MiB ({} KiB per block)",
        applied.as_secs_f64() * 1e3 / kept.max(1) as f64,
        added / 1024,
        added / kept.max(1)
    );
    std::hint::black_box(&states);
    Ok(())
}

/// Resident set size of this process, KiB (0 when `/proc` is not there).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
