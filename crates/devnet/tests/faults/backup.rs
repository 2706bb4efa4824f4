//! Scenario 6: every staked sequencer is down for a whole epoch (`F+5`): all are killed
//! (SIGKILL) a second before it starts and restarted once the proposal window of its last slot
//! has closed. Nobody elected can propose, so the devnet's backup proposer (an unstaked
//! `fernet-sequencer --backup-only`) must fill the empty slots in backup mode, each block with
//! its own proof verified on submission; the epoch must be proven in its window, and the
//! sequencers must propose again once they are back.

use std::time::Instant;

use alloy::primitives::Address;
use eyre::{ensure, eyre};
use fernet_devnet::{history::Proposal, sequencer_name};

use crate::run::Run;

/// Seconds before the epoch's first slot the sequencers are killed.
const KILL_BEFORE: f64 = 1.0;
/// Seconds after the last slot's proposal window closes they are restarted.
const RESTART_AFTER_WINDOW: f64 = 1.0;

/// What the scenario did.
#[derive(Debug)]
pub(crate) struct Backup {
    epoch: u64,
    backup_proposer: Address,
    /// The slots every staked sequencer was down for.
    pub(crate) slots: Vec<u64>,
    /// The latest L1 block once they were all restarted.
    restarted_at: u64,
}

/// Kills every sequencer for the whole of `epoch`, then restarts them.
pub(crate) async fn inject(run: &mut Run<'_>, epoch: u64) -> eyre::Result<Backup> {
    run.require_proven(epoch).await?;
    let first = run.first_slot(epoch);
    let slots: Vec<u64> = (first..run.first_slot(epoch + 1)).collect();
    let last = *slots
        .last()
        .ok_or_else(|| eyre!("S6: an epoch without slots"))?;
    let proposal_window: u64 = run
        .l1
        .rollup()
        .config()
        .call()
        .await?
        .proposalWindow
        .saturating_to();
    let names: Vec<String> = (0..run.devnet.accounts().sequencers.len())
        .map(sequencer_name)
        .collect();

    let kill_at = run.l1.clock.slot_start(first) as f64 - KILL_BEFORE;
    run.wait_until_time(kill_at, "S6: the epoch to start")
        .await?;
    for name in &names {
        run.devnet.kill(name)?;
    }
    let killed = Instant::now();
    run.say(format!(
        "S6: every staked sequencer ({}) killed (SIGKILL) before epoch {epoch}: slots {slots:?} \
         are left to backup mode",
        names.join(", ")
    ));

    let restart_at =
        (run.l1.clock.slot_start(last) + proposal_window) as f64 + RESTART_AFTER_WINDOW;
    run.wait_until_time(restart_at, "S6: the last slot's proposal window to close")
        .await?;
    for name in &names {
        run.devnet.restart(name).await?;
    }
    let restarted_at = run.l1_block().await?;
    run.say(format!(
        "S6: the sequencers are back after {:.1} s",
        killed.elapsed().as_secs_f64()
    ));
    Ok(Backup {
        epoch,
        backup_proposer: run.devnet.accounts().backup_proposer.address,
        slots,
        restarted_at,
    })
}

/// The blocks proposed in the slots the sequencers were down for.
fn proposals_while_down<'r>(run: &'r Run<'_>, backup: &Backup) -> Vec<&'r Proposal> {
    run.history
        .proposals()
        .iter()
        .filter(|p| backup.slots.contains(&p.slot))
        .collect()
}

/// Whether a sequencer proposed (outside backup mode) after the restart.
pub(crate) fn sequencers_proposed_again(run: &Run<'_>, backup: &Backup) -> bool {
    run.history
        .proposals()
        .iter()
        .any(|p| !p.backup && p.l1_block > backup.restarted_at)
}

/// Every block of the down slots came from the backup proposer in backup mode, at least one
/// did, the epoch was proven in its window, and the sequencers proposed again.
pub(crate) async fn check(run: &Run<'_>, backup: &Backup) -> eyre::Result<()> {
    let blocks = proposals_while_down(run, backup);
    ensure!(
        !blocks.is_empty(),
        "S6: no backup block filled slots {:?} while every sequencer was down",
        backup.slots
    );
    for block in &blocks {
        ensure!(
            block.backup && block.proposer == backup.backup_proposer,
            "S6: block {} of slot {} came from {} (backup: {}) while every sequencer was down",
            block.block,
            block.slot,
            run.name(block.proposer),
            block.backup
        );
    }
    let proven = run.proven_in_window(backup.epoch, "S6").await?;
    ensure!(
        sequencers_proposed_again(run, backup),
        "S6: no sequencer proposed after the restart"
    );
    let filled: Vec<u64> = blocks.iter().map(|b| b.slot).collect();
    run.say(format!(
        "S6: ok: the backup proposer filled slots {filled:?} of {:?} with proven blocks {:?}; \
         epoch {} proven {} s after its end; the sequencers propose again",
        backup.slots,
        blocks.iter().map(|b| b.block).collect::<Vec<_>>(),
        backup.epoch,
        run.proof_delay(backup.epoch, &proven)
    ));
    Ok(())
}
