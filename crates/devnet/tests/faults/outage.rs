//! Scenario 5: the services lose L1 for about 21 s: the devnet's L1 gate is closed from 3 s
//! before epoch `F+4` starts until 2 s before its second slot, so the first slot's proposal and
//! the claim of the previous epoch fall in the outage. Every process must survive it, the
//! sequencers must propose again, and the epoch the outage hit (`F+4`, whose second slot is
//! after it) must be proven in its window, as must the first epoch with a block proposed after
//! the outage.

use std::time::Instant;

use eyre::{ensure, eyre};

use fernet_devnet::history::Proposal;

use crate::{broker::read_metric, run::Run};

/// The node's counter of failed L1 head polls (its follower only asks L1 on a new head, so it
/// never fails while L1 is cut off: the head poller does).
const ERRORS_METRIC: &str = fernet_l1::HEAD_POLL_ERRORS_TOTAL;
/// Seconds before the epoch's first slot the gate closes.
const CLOSE_BEFORE: f64 = 3.0;
/// Seconds before the epoch's second slot the gate opens again.
const OPEN_BEFORE: f64 = 2.0;

/// What the scenario did.
#[derive(Debug)]
pub(crate) struct Outage {
    /// The epoch whose start the outage hit.
    pub(crate) epoch: u64,
    /// The latest L1 block when the gate opened again.
    reopened_at: u64,
    seconds: f64,
    /// The slots the outage overlapped: nobody could propose in them.
    pub(crate) slots: Vec<u64>,
}

/// Closes the L1 gate around the start of `epoch`, then opens it again.
pub(crate) async fn inject(run: &mut Run<'_>, epoch: u64) -> eyre::Result<Outage> {
    run.require_proven(epoch).await?;
    let first = run.first_slot(epoch);
    let close_at = run.l1.clock.slot_start(first) as f64 - CLOSE_BEFORE;
    let open_at = run.l1.clock.slot_start(first + 1) as f64 - OPEN_BEFORE;
    run.wait_until_time(close_at, "S5: the outage to start")
        .await?;
    let node_url = run.devnet.urls().node.clone();
    let errors_before = read_metric(&run.http, &node_url, ERRORS_METRIC).await?;
    run.devnet
        .l1_gate()
        .ok_or_else(|| eyre!("S5: the devnet runs without an L1 gate"))?
        .close();
    let closed = Instant::now();
    run.say(format!(
        "S5: L1 gate closed: the services lose L1 (epoch {epoch} is about to start)"
    ));
    run.wait_until_time(open_at, "S5: the end of the outage")
        .await?;
    let errors_during = read_metric(&run.http, &node_url, ERRORS_METRIC).await?;
    run.devnet
        .l1_gate()
        .ok_or_else(|| eyre!("S5: the devnet runs without an L1 gate"))?
        .open();
    let seconds = closed.elapsed().as_secs_f64();
    ensure!(
        errors_during > errors_before,
        "S5: the node's L1 head poll never failed during the outage: the gate did not cut L1"
    );
    let reopened_at = run.l1_block().await?;
    run.say(format!(
        "S5: L1 gate open again after {seconds:.1} s; the node's follower failed {} times meanwhile",
        errors_during - errors_before
    ));
    Ok(Outage {
        epoch,
        reopened_at,
        seconds,
        slots: vec![first - 1, first],
    })
}

/// The first proposal after the gate opened again.
pub(crate) fn first_proposal_after(run: &Run<'_>, outage: &Outage) -> Option<Proposal> {
    run.history
        .proposals()
        .iter()
        .find(|p| p.l1_block > outage.reopened_at)
        .copied()
}

/// The sequencers proposed again and the first epoch with a block proposed after the outage was
/// proven in its window; prints how long recovery took.
pub(crate) async fn check(run: &Run<'_>, outage: &Outage) -> eyre::Result<()> {
    let hit = run
        .proven_in_window(outage.epoch, "S5: the outage's")
        .await?;
    ensure!(
        run.history
            .canonical_proposals()
            .any(|p| run.l1.clock.epoch_of(p.slot) == outage.epoch
                && p.l1_block > outage.reopened_at),
        "S5: epoch {} got no block after the outage",
        outage.epoch
    );
    run.say(format!(
        "S5: the outage's epoch {} was proven {} s after its end",
        outage.epoch,
        run.proof_delay(outage.epoch, &hit)
    ));
    let proposal = first_proposal_after(run, outage)
        .ok_or_else(|| eyre!("S5: no block was proposed after the outage"))?;
    let epoch = run.l1.clock.epoch_of(proposal.slot);
    let proven = run.proven_in_window(epoch, "S5").await?;
    run.say(format!(
        "S5: ok: after the {:.1} s outage, block {} was proposed in slot {} by {}, and epoch \
         {epoch} was proven {} s after its end",
        outage.seconds,
        proposal.block,
        proposal.slot,
        run.name(proposal.proposer),
        run.proof_delay(epoch, &proven)
    ));
    Ok(())
}
