//! Scenario 1: the broker is killed with SIGKILL while the agent proves a job of epoch `F`, and
//! restarted a few seconds later. Its redb store must keep every job: epoch `F` is proven in its
//! window, each of its jobs was stored once, handed out once, proven once by the agent and
//! accepted once.

use std::time::{Duration, Instant};

use crate::run::Run;

/// How long the broker stays dead.
const DOWNTIME: Duration = Duration::from_secs(3);

/// What the scenario did.
#[derive(Debug)]
pub(crate) struct BrokerKill {
    epoch: u64,
    job: String,
}

/// Kills the broker while the agent proves a job of `epoch`, then restarts it.
pub(crate) async fn inject(run: &mut Run<'_>, epoch: u64) -> eyre::Result<BrokerKill> {
    run.require_proven(epoch).await?;
    let job = loop {
        if let Some(id) = run.broker.started(epoch).first().cloned() {
            let proving = run
                .broker
                .job(&id)
                .await?
                .is_some_and(|j| j.status == "proving");
            if proving {
                break id;
            }
        }
        run.tick(&format!("S1: the agent to prove a job of epoch {epoch}"))
            .await?;
    };
    run.devnet.kill("broker")?;
    let killed = Instant::now();
    run.say(format!(
        "S1: broker killed (SIGKILL) while the agent proves job {job} of epoch {epoch}"
    ));
    tokio::time::sleep(DOWNTIME).await;
    run.devnet.restart("broker").await?;
    run.say(format!(
        "S1: broker restarted and healthy, {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    ));
    Ok(BrokerKill { epoch, job })
}

/// The epoch was proven in its window; no job was lost, repeated or proven twice.
pub(crate) async fn check(run: &Run<'_>, kill: &BrokerKill) -> eyre::Result<()> {
    let epoch = kill.epoch;
    let proven = run.proven_in_window(epoch, "S1").await?;
    let blocks = proven.to_block - proven.from_block + 1;
    let jobs = run
        .broker
        .check_epoch_jobs(epoch, proven.prover, blocks, "S1")
        .await?;
    // The job proving at the kill may be the other prover's (both prove the epoch's blocks, each
    // for itself): it survived the restart all the same.
    let killed = run
        .broker
        .job(&kill.job)
        .await?
        .ok_or_else(|| eyre::eyre!("S1: the broker lost job {} of epoch {epoch}", kill.job))?;
    for (id, job) in jobs
        .iter()
        .map(|(id, job)| (id, job))
        .chain([(&kill.job, &killed)])
    {
        eyre::ensure!(
            job.attempts == 1,
            "S1: job {id} of epoch {epoch} was handed out {} times (expected once: leases survive \
             a broker restart)",
            job.attempts
        );
    }
    run.say(format!(
        "S1: ok: epoch {epoch} proven {} s after its end (window {} s); its {blocks} jobs were \
         stored, handed out, proven and accepted once each",
        run.proof_delay(epoch, &proven),
        proof_window_seconds(run)
    ));
    Ok(())
}

/// The proof window in seconds.
pub(crate) fn proof_window_seconds(run: &Run<'_>) -> u64 {
    let parameters = &run.l1.deployment().parameters;
    parameters.rollup.proof_window_slots * parameters.staking.slot_duration
}
