//! Scenario 2: the first agent is killed with SIGKILL in the middle of a job of epoch `F+1` (it
//! holds the lease) and restarted at once. The brokers must take the job back when its lease
//! runs out (the lease is shortened for the devnet, see `LEASE`) and hand it out again, to any
//! agent: the job is proven on its second attempt and the epoch inside its proof window.

use std::time::{Duration, Instant};

use fernet_broker_api::CANCELLED;
use fernet_devnet::agent_name;

use crate::{broker::Job, run::Run};

/// The broker's lease (`PROVER_BROKER_JOB_TIMEOUT_MS`): the default 60 s would push the retried
/// job past the 40 s proof window; 12 s still leaves three heartbeats (every lease / 3) per lease.
pub(crate) const LEASE: Duration = Duration::from_secs(12);

/// How long the agent works on the job before it is killed.
const INTO_THE_JOB: Duration = Duration::from_secs(2);

/// What the scenario did.
#[derive(Debug)]
pub(crate) struct AgentKill {
    epoch: u64,
    job: String,
    killed: Instant,
}

/// Kills the agent while it proves a job of `epoch`, then restarts it.
pub(crate) async fn inject(run: &mut Run<'_>, epoch: u64) -> eyre::Result<AgentKill> {
    run.require_proven(epoch).await?;
    let agent = agent_name(0);
    let mut seen: Option<(String, Instant)> = None;
    let job = loop {
        if let Some(id) = run.broker.started_by(0, epoch).last().cloned() {
            let proving = run
                .broker
                .job(&id)
                .await?
                .is_some_and(|j| j.status == "proving");
            match &seen {
                Some((known, since)) if *known == id && proving => {
                    if since.elapsed() >= INTO_THE_JOB {
                        break id;
                    }
                }
                _ if proving => seen = Some((id, Instant::now())),
                _ => seen = None,
            }
        }
        run.tick(&format!("S2: the agent to be into a job of epoch {epoch}"))
            .await?;
    };
    run.devnet.kill(&agent)?;
    let killed = Instant::now();
    run.say(format!(
        "S2: {agent} killed (SIGKILL) {:.1} s into job {job} of epoch {epoch}",
        INTO_THE_JOB.as_secs_f64()
    ));
    run.devnet.restart(&agent).await?;
    run.say(format!("S2: {agent} restarted"));
    Ok(AgentKill { epoch, job, killed })
}

/// Whether the killed job was withdrawn by its prover node (the job of the prover that lost the
/// epoch's claim, cancelled between its lease's expiry and its next take).
fn withdrawn(job: &Job) -> bool {
    job.status == "failed" && job.error.as_deref() == Some(CANCELLED)
}

/// Ticks until the killed job was handed out again (or withdrawn: see [`withdrawn`]); prints
/// after how long.
pub(crate) async fn wait_for_retry(run: &mut Run<'_>, kill: &AgentKill) -> eyre::Result<()> {
    while run.broker.times_started(kill.epoch, &kill.job) < 2 {
        if run
            .broker
            .job(&kill.job)
            .await?
            .as_ref()
            .is_some_and(withdrawn)
        {
            run.say(format!(
                "S2: job {} withdrawn by its prover node after its lease expired (the other \
                 prover claimed epoch {})",
                kill.job, kill.epoch
            ));
            return Ok(());
        }
        run.tick(&format!("S2: job {} to be retried", kill.job))
            .await?;
    }
    run.say(format!(
        "S2: job {} handed out again {:.1} s after the kill (lease {} s)",
        kill.job,
        kill.killed.elapsed().as_secs_f64(),
        LEASE.as_secs()
    ));
    Ok(())
}

/// The killed job was retried after its lease expired and proven once; the epoch was proven in
/// its window.
pub(crate) async fn check(run: &Run<'_>, kill: &AgentKill) -> eyre::Result<()> {
    let epoch = kill.epoch;
    let proven = run.proven_in_window(epoch, "S2").await?;
    let blocks = proven.to_block - proven.from_block + 1;
    let jobs = run
        .broker
        .check_epoch_jobs(epoch, proven.prover, blocks, "S2")
        .await?;
    // The killed job may be the other prover's (both prove the epoch's blocks, each for itself).
    let killed = run
        .broker
        .job(&kill.job)
        .await?
        .ok_or_else(|| eyre::eyre!("S2: the broker lost job {} of epoch {epoch}", kill.job))?;
    if withdrawn(&killed) {
        eyre::ensure!(
            jobs.iter().all(|(id, _)| *id != kill.job),
            "S2: the killed job {} of the prover whose proof landed was withdrawn",
            kill.job
        );
    } else {
        eyre::ensure!(
            killed.attempts == 2,
            "S2: the killed job {} was handed out {} times (expected 2: the killed attempt, then \
             the retry)",
            kill.job,
            killed.attempts
        );
    }
    eyre::ensure!(
        run.broker.times_expired(&kill.job) == 1,
        "S2: the broker logged {} lease expiries for job {} (expected 1)",
        run.broker.times_expired(&kill.job),
        kill.job
    );
    for (id, job) in &jobs {
        eyre::ensure!(
            *id == kill.job || job.attempts == 1,
            "S2: job {id} of epoch {epoch} was handed out {} times",
            job.attempts
        );
        eyre::ensure!(
            run.broker.times_proven_by_agents(id) == 1,
            "S2: the agents finished {} proofs of job {id} of epoch {epoch} (expected 1: the \
             killed attempt never finished)",
            run.broker.times_proven_by_agents(id)
        );
    }
    let outcome = if withdrawn(&killed) {
        "withdrawn by the prover that lost the claim"
    } else {
        "retried and proven on attempt 2"
    };
    run.say(format!(
        "S2: ok: job {} {outcome} after its lease expired; epoch {epoch} proven {} s after its \
         end",
        kill.job,
        run.proof_delay(epoch, &proven)
    ));
    Ok(())
}
