//! Scenario 1: the proving pool across hosts. The two broker replicas (on one PostgreSQL
//! database) and the four agents each run on a host of their own, a network namespace. While the
//! agents prove epoch `F`:
//!
//! - `broker-1`, the replica every client tries first, is killed with SIGKILL;
//! - PostgreSQL is restarted;
//! - the host of an agent proving a job is cut off the network for 20 s.
//!
//! The clients fail over to `broker-2`; `broker-1` comes back after the cut. Epoch `F` must be
//! proven in its window; each of its jobs is stored once, proven and accepted once, and handed
//! out again only after its lease expired (never to two agents at once): a job whose agent was
//! cut off past its lease goes to another agent, and the first agent's late result is refused.

use std::time::{Duration, Instant};

use eyre::{ensure, eyre};
use fernet_devnet::{agent_name, hosts::Hosts};

use crate::run::Run;

/// How long the agent's host stays cut off (longer than the devnet's 12 s lease).
const CUT_OFF: Duration = Duration::from_secs(20);

/// The replica killed: the first of every client's list.
const KILLED_REPLICA: &str = "broker-1";

/// What the scenario did.
#[derive(Debug)]
pub(crate) struct Pool {
    epoch: u64,
    /// The job the cut-off agent was proving.
    job: String,
    /// The cut-off agent (index from 0).
    agent: usize,
}

/// Kills a replica, restarts PostgreSQL and cuts off an agent's host while the agents prove
/// `epoch`; then reconnects the host and restarts the replica.
pub(crate) async fn inject(run: &mut Run<'_>, epoch: u64) -> eyre::Result<Pool> {
    run.require_proven(epoch).await?;
    let (agent, job) = loop {
        if let Some(found) = proving_job(run, epoch).await? {
            break found;
        }
        run.tick(&format!("S1: an agent to prove a job of epoch {epoch}"))
            .await?;
    };
    run.devnet.kill(KILLED_REPLICA)?;
    run.say(format!(
        "S1: {KILLED_REPLICA} killed (SIGKILL) while {} proves job {job} of epoch {epoch}",
        agent_name(agent)
    ));
    let restarting = Instant::now();
    run.devnet.restart_database().await?;
    run.say(format!(
        "S1: PostgreSQL restarted in {:.1} s",
        restarting.elapsed().as_secs_f64()
    ));
    let host = agent_name(agent);
    hosts(run)?.disconnect(&host)?;
    let cut = Instant::now();
    run.say(format!(
        "S1: {host}'s host cut off the network for {} s",
        CUT_OFF.as_secs()
    ));
    while cut.elapsed() < CUT_OFF {
        run.tick(&format!("S1: the end of {host}'s cut")).await?;
    }
    hosts(run)?.connect(&host)?;
    run.say(format!("S1: {host}'s host back on the network"));
    run.devnet.restart(KILLED_REPLICA).await?;
    run.say(format!("S1: {KILLED_REPLICA} restarted and healthy"));
    Ok(Pool { epoch, job, agent })
}

/// An agent and the job of `epoch` it is proving now, if any.
async fn proving_job(run: &Run<'_>, epoch: u64) -> eyre::Result<Option<(usize, String)>> {
    for agent in 0..run.devnet.options().agents {
        if let Some(id) = run.broker.started_by(agent, epoch).last() {
            let proving = run
                .broker
                .job(id)
                .await?
                .is_some_and(|job| job.status == "proving");
            if proving {
                return Ok(Some((agent, id.clone())));
            }
        }
    }
    Ok(None)
}

/// The devnet's hosts (the test runs with network namespaces).
fn hosts<'r>(run: &'r Run<'_>) -> eyre::Result<&'r Hosts> {
    run.devnet
        .hosts()
        .ok_or_else(|| eyre!("S1 needs the devnet's network namespaces"))
}

/// The epoch was proven in its window; no job was lost, accepted twice or held by two agents at
/// once; the clients failed over.
pub(crate) async fn check(run: &Run<'_>, pool: &Pool) -> eyre::Result<()> {
    let epoch = pool.epoch;
    let proven = run.proven_in_window(epoch, "S1").await?;
    let blocks = proven.to_block - proven.from_block + 1;
    let mut jobs = run
        .broker
        .check_epoch_jobs(epoch, proven.prover, blocks, "S1")
        .await?;
    // The cut-off agent's job may be the other prover's (both prove the epoch's blocks, each for
    // itself): it must have come through all the same.
    let cut = run
        .broker
        .job(&pool.job)
        .await?
        .ok_or_else(|| eyre!("S1: the brokers lost job {} of epoch {epoch}", pool.job))?;
    ensure!(
        cut.status == "proven" && run.broker.times_completed(&pool.job) == 1,
        "S1: the cut-off agent's job {} is {cut:?}, accepted {} times (expected proven, once)",
        pool.job,
        run.broker.times_completed(&pool.job)
    );
    if !jobs.iter().any(|(id, _)| *id == pool.job) {
        jobs.push((pool.job.clone(), cut));
    }
    for (id, job) in &jobs {
        let expired = run.broker.times_expired(id) as u64;
        ensure!(
            job.attempts == 1 + expired,
            "S1: job {id} of epoch {epoch} was handed out {} times but its lease expired {expired} \
             times: two agents held it at once",
            job.attempts
        );
    }
    let agents = run.devnet.options().agents;
    let failed_over = run.broker.agents_failed_over();
    ensure!(
        failed_over.len() + 1 >= agents,
        "S1: only agents {failed_over:?} of {agents} switched to the other broker replica"
    );
    run.say(format!(
        "S1: ok: epoch {epoch} proven {} s after its end (window {} s); its {blocks} jobs were \
         stored and accepted once each; the cut-off {}'s job {} was handed out {} times (lease \
         expired {} times), its proof finished {} times by the agents and accepted once; {} of \
         {agents} agents failed over to broker-2",
        run.proof_delay(epoch, &proven),
        proof_window_seconds(run),
        agent_name(pool.agent),
        pool.job,
        jobs.iter()
            .find(|(id, _)| *id == pool.job)
            .map_or(0, |(_, job)| job.attempts),
        run.broker.times_expired(&pool.job),
        run.broker.times_proven_by_agents(&pool.job),
        failed_over.len()
    ));
    Ok(())
}

/// The proof window in seconds.
pub(crate) fn proof_window_seconds(run: &Run<'_>) -> u64 {
    let parameters = &run.l1.deployment().parameters;
    parameters.rollup.proof_window_slots * parameters.staking.slot_duration
}
