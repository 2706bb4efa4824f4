//! Fault injection with real processes: one devnet run (real anvil, real proofs) in which six
//! faults hit the services one after the other, each on its own epochs (`F`: the first epoch
//! with blocks). The proving pool runs across hosts: two broker replicas on one PostgreSQL
//! database and four agents, each in a network namespace of its own (the test needs root).
//!
//! 1. `F`: a broker replica is killed (SIGKILL) mid-job, PostgreSQL is restarted and an agent's
//!    host is cut off the network for 20 s: the epoch is proven in its window and no job is lost,
//!    stored twice, accepted twice or held by two agents at once ([`pool`]);
//! 2. `F+1`: an agent is killed mid-job and restarted: the job is retried once its lease
//!    expires and the epoch is proven in its window ([`agent_kill`]);
//! 3. `F+2`: a prover node (claimed for the epoch while it is down) and a sequencer are killed
//!    and restarted: the prover proves its epoch, the sequencer proposes again ([`restarts`]);
//! 4. `F+3`: an L1 reorg drops a proposal: the node matches L1 again within a slot, the dropped
//!    proposer proposes again and `F+3` itself is proven in its window ([`reorg`]);
//! 5. `F+4`: the services lose L1 for ~21 s behind the devnet's L1 gate: every process survives,
//!    the sequencers propose again and `F+4` is proven in its window ([`outage`]);
//! 6. `F+5`: every staked sequencer is down for the whole epoch: the backup proposer fills the
//!    empty slots with proven blocks (backup mode), the epoch is proven, the sequencers come
//!    back ([`backup`]).
//!
//! Each of `F` to `F+5` must be proven in its window (the run fails as soon as one is past its
//! deadline unproven). Across the run, no epoch is claimed again but by a strictly cheaper quote
//! (the claim auction), nothing is pruned, no claimed prover and no staker is slashed, no claim
//! is cancelled, and no process dies unexpectedly.

mod agent_kill;
mod backup;
mod broker;
mod logs;
mod outage;
mod pool;
#[path = "../support/ports.rs"]
mod ports;
mod reorg;
mod restarts;
mod run;
mod turns;

use ports::{free_port_range, target_dir};
use std::{collections::BTreeMap, time::Instant};

use eyre::{bail, ensure, WrapErr};
use fernet_devnet::{BrokerStore, Devnet, DevnetOptions, Role};
use run::Run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_survives_crashes_restarts_an_l1_reorg_and_an_l1_outage() -> eyre::Result<()> {
    let started = Instant::now();
    let base = free_port_range(18)?;
    let data = tempfile::tempdir()?;
    let lease_ms = agent_kill::LEASE.as_millis().to_string();
    let options = DevnetOptions {
        sequencers: 2,
        provers: 2,
        agents: 4,
        anvil_port: base,
        node_port: base + 1,
        // The replicas at base + 16 and base + 17 (each on a host of its own).
        broker_port: base + 16,
        broker_store: BrokerStore::Postgres,
        broker_replicas: 2,
        network_namespaces: true,
        sequencer_base_port: base + 4,
        prover_base_port: base + 8,
        // The p2p ports: the node at base + 10, then the sequencers, backup proposer, provers.
        p2p_base_port: base + 10,
        backup_proposer_port: base + 3,
        data_dir: data.path().join("devnet"),
        deployments_dir: data.path().join("deployments"),
        deploy_config: fernet_devnet::workspace_root().join("deployments/devnet.toml"),
        bin_dir: Some(target_dir().join("debug")),
        extra_env: BTreeMap::from([(
            Role::Broker,
            vec![("PROVER_BROKER_JOB_TIMEOUT_MS".to_owned(), lease_ms)],
        )]),
        l1_gate: true,
        ..DevnetOptions::default()
    };
    let mut devnet = Devnet::start(options)
        .await
        .wrap_err("starting the devnet")?;
    eprintln!(
        "devnet up in {:.1} s (logs in {})",
        started.elapsed().as_secs_f64(),
        devnet.data_dir().display()
    );
    let result = run_scenarios(&mut devnet).await;
    if result.is_err() {
        devnet.print_log_tails(25);
    }
    devnet.stop();
    if result.is_err() {
        eprintln!("logs kept in {}", data.keep().display());
    }
    eprintln!(
        "timings: the whole run took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    result
}

async fn run_scenarios(devnet: &mut Devnet) -> eyre::Result<()> {
    let mut run = Run::new(devnet)?;
    let f = loop {
        if let Some(epoch) = run.history.first_epoch(&run.l1) {
            break epoch;
        }
        run.tick("the first block").await?;
    };
    run.say(format!("first epoch with blocks: {f}"));

    let s1 = pool::inject(&mut run, f).await?;
    let s2 = agent_kill::inject(&mut run, f + 1).await?;
    agent_kill::wait_for_retry(&mut run, &s2).await?;
    let s3 = restarts::inject(&mut run, f + 2).await?;
    let s4 = reorg::inject(&mut run, f + 3).await?;
    let s5 = outage::inject(&mut run, f + 4).await?;
    let s6 = backup::inject(&mut run, f + 5).await?;

    // Nobody could propose in the outage's slots, and no staker was up in the backup epoch's.
    let down: Vec<u64> = s5.slots.iter().chain(&s6.slots).copied().collect();
    let mut after_outage = None;
    let mut turns = turns::Turns::default();
    loop {
        restarts::ensure_sequencer_not_stuck(&run, &s3, &mut turns, &down).await?;
        reorg::ensure_victim_not_stuck(&run, &s4, &mut turns, &down).await?;
        if after_outage.is_none() {
            if let Some(proposal) = outage::first_proposal_after(&run, &s5) {
                let epoch = run.l1.clock.epoch_of(proposal.slot);
                run.require_proven(epoch).await?;
                after_outage = Some(epoch);
            }
        }
        let missing: Vec<String> = [
            (
                (f..f + 3).all(|e| run.history.proven(e).is_some()),
                format!("the proofs of epochs {f} to {}", f + 2),
            ),
            (
                restarts::sequencer_proposed_again(&run, &s3),
                "a proposal of the restarted sequencer".to_owned(),
            ),
            (
                reorg::victim_proposed_again(&run, &s4),
                "a new proposal of the sequencer whose block was reorganised away".to_owned(),
            ),
            (
                reorg::epoch_proven(&run, &s4),
                format!("the proof of the reorganised epoch {}", f + 3),
            ),
            (
                run.history.proven(s5.epoch).is_some(),
                format!("the proof of the outage's epoch {}", s5.epoch),
            ),
            (
                after_outage.is_some_and(|e| run.history.proven(e).is_some()),
                "the proof of the first epoch with a block after the outage".to_owned(),
            ),
            (
                run.history.proven(f + 5).is_some(),
                format!("the proof of the backup epoch {}", f + 5),
            ),
            (
                backup::sequencers_proposed_again(&run, &s6),
                "a proposal of the sequencers after they came back".to_owned(),
            ),
        ]
        .into_iter()
        .filter(|(done, _)| !done)
        .map(|(_, what)| what)
        .collect();
        if missing.is_empty() {
            break;
        }
        run.tick(&missing.join(", ")).await?;
    }
    run.say("every scenario played out; checking");

    print_proof_timings(&run);
    print_slots(&run, run.first_slot(f)).await?;
    pool::check(&run, &s1).await?;
    agent_kill::check(&run, &s2).await?;
    restarts::check(&run, &s3).await?;
    reorg::check(&run, &s4).await?;
    outage::check(&run, &s5).await?;
    backup::check(&run, &s6).await?;
    check_claims(&run).await?;
    run.devnet.check()?;
    run.say(format!(
        "ok: every process is alive; {:.0} s from the devnet start",
        run.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// When each proof landed after its epoch's end.
fn print_proof_timings(run: &Run<'_>) {
    for (epoch, proven) in run.history.proven_epochs() {
        eprintln!(
            "timings: epoch {epoch} (blocks {}-{}) proven by {} {} s after the epoch ended",
            proven.from_block,
            proven.to_block,
            run.name(proven.submitter),
            run.proof_delay(epoch, proven)
        );
    }
}

/// Who ranked first in each slot from `first` on, and which blocks the final chain holds.
async fn print_slots(run: &Run<'_>, first: u64) -> eyre::Result<()> {
    let current = run.slot().await?;
    for slot in first..current {
        let ranking = run.l1.ranking(slot).await?;
        let top = ranking
            .first()
            .map_or("nobody".to_owned(), |a| run.name(*a));
        let blocks: Vec<String> = run
            .history
            .proposals()
            .iter()
            .filter(|p| p.slot == slot)
            .map(|p| {
                let place = match ranking.iter().position(|a| *a == p.proposer) {
                    _ if p.backup => "backup mode".to_owned(),
                    Some(rank) => format!("rank {}", rank + 1),
                    None => "not ranked".to_owned(),
                };
                format!("block {} by {} ({place})", p.block, run.name(p.proposer))
            })
            .collect();
        eprintln!(
            "slots: {slot} (epoch {}) top-ranked {top}: {}",
            run.l1.clock.epoch_of(slot),
            if blocks.is_empty() {
                "no block".to_owned()
            } else {
                blocks.join(", ")
            }
        );
    }
    Ok(())
}

/// On the final L1 chain, every claim after an epoch's first replaced a claim with a strictly
/// cheaper quote (the claim auction: a second claim needs an `EpochProofClaimReplaced`), nothing
/// was pruned, no claimed prover was slashed, not even in part (every fault was survived without
/// losing a proof; a slash is pro rata to the unproven blocks, so any slash means a block was
/// lost), no staker was slashed (an unclaimed epoch pruned) and no claim was cancelled.
async fn check_claims(run: &Run<'_>) -> eyre::Result<()> {
    if let Some((epoch, prune)) = run.history.prunes().first() {
        bail!("epoch {epoch} was pruned: {prune:?}");
    }
    if let Some((epoch, slash)) = run.history.slashes().first() {
        bail!(
            "{} was slashed {} for epoch {epoch}",
            run.name(slash.prover),
            slash.bond
        );
    }
    if let Some(slash) = run.history.stake_slashes().first() {
        bail!(
            "staker {} was slashed {} (in L1 block {})",
            run.name(slash.staker),
            slash.amount,
            slash.l1_block
        );
    }
    if let Some((epoch, cancelled)) = run.history.cancellations().first() {
        bail!(
            "the claim of epoch {epoch} by {} was cancelled",
            run.name(cancelled.prover)
        );
    }
    let claimed = run.history.claimed_epochs();
    ensure!(!claimed.is_empty(), "no epoch was ever claimed");
    for &epoch in &claimed {
        let claims: Vec<_> = run.history.claims_of(epoch).collect();
        let replacements: Vec<_> = run
            .history
            .replacements()
            .iter()
            .filter(|(e, _)| *e == epoch)
            .map(|(_, replacement)| replacement)
            .collect();
        ensure!(
            claims.len() == replacements.len() + 1,
            "epoch {epoch}: {} claims but {} replacements: {claims:?}",
            claims.len(),
            replacements.len()
        );
        for (pair, replacement) in claims.windows(2).zip(&replacements) {
            ensure!(
                replacement.replaced_prover == pair[0].prover
                    && replacement.prover == pair[1].prover
                    && pair[1].basis_point_fee < pair[0].basis_point_fee,
                "epoch {epoch}: replacement {replacement:?} of {:?} by {:?} is not strictly cheaper",
                pair[0],
                pair[1]
            );
        }
    }
    let replaced = run.history.replacements().len();
    run.say(format!(
        "no epoch claimed twice without a cheaper quote ({} claimed epochs: {claimed:?}; {replaced} \
         replacements)",
        claimed.len(),
    ));
    Ok(())
}
