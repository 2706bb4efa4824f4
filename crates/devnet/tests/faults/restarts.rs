//! Scenario 3: a sequencer and a prover node are killed and restarted; they must recover from
//! their stores and L1.
//!
//! The test signs a quote for epoch `F+2` in the name of `prover-1` with a zero fee, so the
//! claim is deterministic (the sequencers claim the cheapest quote), then kills `prover-1` and
//! one sequencer just before the epoch ends. Once the claim naming `prover-1` is on L1 both are
//! restarted: the restarted prover node must find its claim on L1 and prove the epoch itself
//! inside the window, and the restarted sequencer must propose again.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use eyre::{ensure, eyre};
use fernet_devnet::{prover_name, sequencer_name};
use fernet_primitives::quote::Quote;

use crate::{run::Run, turns::Turns};

/// How long before the epoch's end both processes are killed.
const KILL_BEFORE_END: Duration = Duration::from_secs(3);

/// What the scenario did.
#[derive(Debug)]
pub(crate) struct Restarts {
    epoch: u64,
    prover: Address,
    prover_name: String,
    sequencer: Address,
    sequencer_name: String,
    /// The latest L1 block once both were restarted.
    restarted_at: u64,
    /// The slot they were restarted in.
    restart_slot: u64,
}

/// Quotes `epoch` for `prover-1`, kills it and a sequencer before the epoch ends, waits for the
/// claim, restarts both.
pub(crate) async fn inject(run: &mut Run<'_>, epoch: u64) -> eyre::Result<Restarts> {
    run.require_proven(epoch).await?;
    run.wait_for_slot(run.first_slot(epoch), "S3: the epoch to start")
        .await?;
    let prover = run.devnet.accounts().provers[0].clone();
    let prover_name = prover_name(0);
    let rollup = run.l1.rollup();
    let quote = Quote {
        prover: prover.address,
        epoch_to_prove: epoch,
        valid_until_slot: rollup
            .claimDeadline(U256::from(epoch))
            .call()
            .await?
            .saturating_to(),
        bond_amount: rollup.config().call().await?.minimumProverBond,
        rollup_address: run.l1.deployment().rollup.address,
        basis_point_fee: 0,
    };
    let signed = quote.sign(&prover.signer, run.l1.deployment().chain_id)?;
    ensure!(
        run.node.send_epoch_proof_quote(&signed).await?,
        "S3: the node refused the quote of {prover_name}"
    );
    run.say(format!(
        "S3: quote for epoch {epoch} sent in the name of {prover_name} at a zero fee"
    ));

    // The sequencer that does not rank first in the claim slot, so that the claim is not delayed.
    let claim_slot = run.first_slot(epoch + 1);
    let sequencers = run.devnet.accounts().sequencers.clone();
    let top = run
        .l1
        .ranking(claim_slot)
        .await
        .ok()
        .and_then(|r| r.first().copied());
    let index = sequencers
        .iter()
        .position(|s| Some(s.address) != top)
        .ok_or_else(|| eyre!("S3: no sequencer besides the top-ranked one"))?;
    let sequencer = sequencers[index].address;
    let sequencer_name = sequencer_name(index);

    let end = run.l1.clock.slot_start(claim_slot) as f64 - KILL_BEFORE_END.as_secs_f64();
    run.wait_until_time(end, "S3: the end of the epoch").await?;
    run.devnet.kill(&prover_name)?;
    run.devnet.kill(&sequencer_name)?;
    let killed = Instant::now();
    run.say(format!(
        "S3: {prover_name} and {sequencer_name} killed (SIGKILL) {} s before epoch {epoch} ends",
        KILL_BEFORE_END.as_secs()
    ));

    // The claim window is an auction: a claim of another quote may still be replaced by the
    // zero-fee one until the window closes, so wait for the zero-fee claim or the window's end.
    let claim_deadline: u64 = rollup
        .claimDeadline(U256::from(epoch))
        .call()
        .await?
        .saturating_to();
    let claim = loop {
        if let Some(claim) = run.history.claim(epoch) {
            if claim.prover == prover.address || run.slot().await? > claim_deadline {
                break *claim;
            }
        }
        run.tick(&format!("S3: the claim of epoch {epoch}")).await?;
    };
    ensure!(
        claim.prover == prover.address,
        "S3: epoch {epoch} claimed for {} instead of {prover_name}'s zero-fee quote",
        run.name(claim.prover)
    );
    run.say(format!(
        "S3: epoch {epoch} claimed for {prover_name} while it is down; restarting both"
    ));
    run.devnet.restart(&prover_name).await?;
    run.devnet.restart(&sequencer_name).await?;
    let restarted_at = run.l1_block().await?;
    let restart_slot = run.slot().await?;
    run.say(format!(
        "S3: {prover_name} and {sequencer_name} restarted and healthy, {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    ));
    Ok(Restarts {
        epoch,
        prover: prover.address,
        prover_name,
        sequencer,
        sequencer_name,
        restarted_at,
        restart_slot,
    })
}

/// Fails once the restarted sequencer missed its turns after its restart (the slots in `skip`
/// aside).
pub(crate) async fn ensure_sequencer_not_stuck(
    run: &Run<'_>,
    restarts: &Restarts,
    turns: &mut Turns,
    skip: &[u64],
) -> eyre::Result<()> {
    let who = format!("S3: the restarted {}", restarts.sequencer_name);
    let restarted_at = restarts.restarted_at;
    turns
        .ensure_not_stuck(
            run,
            restarts.sequencer,
            restarts.restart_slot,
            skip,
            |p| p.l1_block > restarted_at,
            &who,
        )
        .await
}

/// Whether the restarted sequencer proposed a block after its restart.
pub(crate) fn sequencer_proposed_again(run: &Run<'_>, restarts: &Restarts) -> bool {
    run.history
        .proposals()
        .iter()
        .any(|p| p.proposer == restarts.sequencer && p.l1_block > restarts.restarted_at)
}

/// The restarted prover proved its claimed epoch in the window; the restarted sequencer
/// proposed again.
pub(crate) async fn check(run: &Run<'_>, restarts: &Restarts) -> eyre::Result<()> {
    let epoch = restarts.epoch;
    let proven = run.proven_in_window(epoch, "S3").await?;
    ensure!(
        proven.prover == restarts.prover && proven.submitter == restarts.prover,
        "S3: epoch {epoch} proven for {} by {}, expected {}",
        run.name(proven.prover),
        run.name(proven.submitter),
        restarts.prover_name
    );
    ensure!(
        proven.l1_block > restarts.restarted_at,
        "S3: epoch {epoch} proven in L1 block {}, before the restart ({})",
        proven.l1_block,
        restarts.restarted_at
    );
    let proposal = run
        .history
        .proposals()
        .iter()
        .find(|p| p.proposer == restarts.sequencer && p.l1_block > restarts.restarted_at)
        .ok_or_else(|| {
            eyre!(
                "S3: {} never proposed after its restart",
                restarts.sequencer_name
            )
        })?;
    run.say(format!(
        "S3: ok: the restarted {} proved epoch {epoch} {} s after its end; the restarted {} \
         proposed block {} in slot {}",
        restarts.prover_name,
        run.proof_delay(epoch, &proven),
        restarts.sequencer_name,
        proposal.block,
        proposal.slot
    ));
    Ok(())
}
