//! Scenario 4: an L1 reorg. Once the proposal of the second slot of epoch `F+3` is on L1 and
//! the node has it, `anvil_rollback` drops the L1 blocks from the one holding it. The node must
//! notice, roll back and match L1 again within the next slot; the sequencer whose proposal
//! vanished must propose again, and the reorganised epoch itself must be proven in its window,
//! by a proof accepted after the reorg.

use std::time::Instant;

use alloy::{primitives::TxHash, providers::Provider};
use eyre::{bail, ensure, eyre};

use fernet_devnet::history::Proposal;

use crate::{broker::read_metric, run::Run, turns::Turns};

/// The node's counter of handled reorgs.
const REORGS_METRIC: &str = "fernet_node_l1_reorgs_total";

/// What the scenario did.
#[derive(Debug)]
pub(crate) struct Reorg {
    epoch: u64,
    dropped: Proposal,
    /// The first L1 block the rollback removed.
    from_l1_block: u64,
    depth: u64,
}

/// Rolls L1 back past the proposal of the epoch's second slot, then waits until the node
/// matches L1 again.
pub(crate) async fn inject(run: &mut Run<'_>, epoch: u64) -> eyre::Result<Reorg> {
    run.require_proven(epoch).await?;
    let slot = run.first_slot(epoch) + 1;
    let dropped = loop {
        let proposal = run
            .history
            .proposals()
            .iter()
            .rev()
            .find(|p| p.slot == slot)
            .copied();
        if let Some(proposal) = proposal {
            let seen = run.node.block_number().await?.pending >= proposal.block;
            if seen && run.l1_block().await? > proposal.l1_block {
                break proposal;
            }
        }
        if run.slot().await? > slot {
            bail!("S4: slot {slot} ended without a proposal to reorganise away");
        }
        run.tick(&format!("S4: the proposal of slot {slot}"))
            .await?;
    };
    let node_url = run.devnet.urls().node.clone();
    let reorgs_before = read_metric(&run.http, &node_url, REORGS_METRIC).await?;
    let latest = run.l1_block().await?;
    let depth = latest - dropped.l1_block + 1;
    let _: serde_json::Value = run
        .l1
        .provider()
        .raw_request("anvil_rollback".into(), [depth])
        .await?;
    // anvil rolls its clock back with the blocks (the next ones would be stamped `depth`
    // seconds behind the wall clock, and every proposal made at its slot's start would land in
    // the previous slot); an L1 reorg does not move time: put the clock back (rounded up, as
    // anvil counts whole seconds and must not lag).
    let now = super::run::unix_now().ceil() as u64;
    let _: serde_json::Value = run
        .l1
        .provider()
        .raw_request("evm_setTime".into(), [now])
        .await?;
    // (The history notices the reorg at its next update and reads the new blocks again.)
    let rolled_back = Instant::now();
    run.say(format!(
        "S4: L1 rolled back {depth} blocks (from L1 block {}): block {} of slot {slot} by {} is gone",
        dropped.l1_block,
        dropped.block,
        run.name(dropped.proposer)
    ));

    // The node must match L1 again before the next slot ends.
    loop {
        let reorgs = read_metric(&run.http, &node_url, REORGS_METRIC).await?;
        if reorgs > reorgs_before && node_matches_l1(run).await? {
            break;
        }
        if run.slot().await? > slot + 1 {
            bail!(
                "S4: the node did not match L1 again by the end of slot {}",
                slot + 1
            );
        }
        run.tick("S4: the node to follow the reorg").await?;
    }
    run.say(format!(
        "S4: the node rolled back and matches L1 again, {:.1} s after the reorg",
        rolled_back.elapsed().as_secs_f64()
    ));
    Ok(Reorg {
        epoch,
        dropped,
        from_l1_block: dropped.l1_block,
        depth,
    })
}

/// Whether the node's pending tip is L1's, with the same state root and proposer.
async fn node_matches_l1(run: &Run<'_>) -> eyre::Result<bool> {
    let tip = run.l1.pending_tip().await?;
    if run.node.block_number().await?.pending != tip {
        return Ok(false);
    }
    if tip == 0 {
        return Ok(true);
    }
    let Some(block) = run.node.block(tip).await? else {
        return Ok(false);
    };
    let log = run.l1.block_log(tip).await?;
    Ok(block.state_root == log.stateRoot && block.proposer == log.proposer)
}

/// Fails once the sequencer whose proposal was dropped missed its turns after the reorg (the
/// slots in `skip` aside).
pub(crate) async fn ensure_victim_not_stuck(
    run: &Run<'_>,
    reorg: &Reorg,
    turns: &mut Turns,
    skip: &[u64],
) -> eyre::Result<()> {
    let dropped = reorg.dropped;
    let who = format!(
        "S4: {} (its block {} was reorganised away)",
        run.name(dropped.proposer),
        dropped.block
    );
    turns
        .ensure_not_stuck(
            run,
            dropped.proposer,
            dropped.slot,
            skip,
            |p| p.tx_hash != dropped.tx_hash,
            &who,
        )
        .await
}

/// Whether the sequencer whose proposal was dropped proposed again (a new proposal, not its old
/// transaction mined again).
pub(crate) fn victim_proposed_again(run: &Run<'_>, reorg: &Reorg) -> bool {
    run.history.proposals().iter().any(|p| {
        p.proposer == reorg.dropped.proposer
            && p.slot > reorg.dropped.slot
            && p.tx_hash != reorg.dropped.tx_hash
    })
}

/// Whether the reorganised epoch was proven (after the reorg: its proof came later).
pub(crate) fn epoch_proven(run: &Run<'_>, reorg: &Reorg) -> bool {
    run.history.proven(reorg.epoch).is_some()
}

/// The chain went on after the reorg: the dropped proposer proposed again, the pending tip
/// passed the dropped block, and the reorganised epoch itself was proven in its window by a
/// proof accepted after the reorg that covers the dropped block's number.
pub(crate) async fn check(run: &Run<'_>, reorg: &Reorg) -> eyre::Result<()> {
    let again = run
        .history
        .proposals()
        .iter()
        .find(|p| {
            p.proposer == reorg.dropped.proposer
                && p.slot > reorg.dropped.slot
                && p.tx_hash != reorg.dropped.tx_hash
        })
        .ok_or_else(|| {
            eyre!(
                "S4: {} never proposed again after its proposal was reorganised away",
                run.name(reorg.dropped.proposer)
            )
        })?;
    let tip = run.l1.pending_tip().await?;
    ensure!(
        tip >= reorg.dropped.block,
        "S4: the pending tip {tip} never passed the dropped block {}",
        reorg.dropped.block
    );
    let epoch = reorg.epoch;
    let proven = run.proven_in_window(epoch, "S4: the reorganised").await?;
    ensure!(
        proven.l1_block >= reorg.from_l1_block,
        "S4: epoch {epoch} was proven in L1 block {}, before the reorg from L1 block {}",
        proven.l1_block,
        reorg.from_l1_block
    );
    ensure!(
        run.history.proofs().any(|(e, p)| e == epoch
            && p.from_block <= reorg.dropped.block
            && reorg.dropped.block <= p.to_block),
        "S4: no proof of epoch {epoch} covers block {}, the number of the dropped block",
        reorg.dropped.block
    );
    let came_back = came_back(run, reorg.dropped.tx_hash).await?;
    run.say(format!(
        "S4: ok: {} proposed again (block {} in slot {}); epoch {epoch} proven after the reorg; \
         pending tip {tip}; the dropped proposal transaction {} (depth {})",
        run.name(again.proposer),
        again.block,
        again.slot,
        if came_back {
            "was mined again"
        } else {
            "never came back"
        },
        reorg.depth
    ));
    Ok(())
}

/// Whether transaction `hash` is on the L1 chain now.
async fn came_back(run: &Run<'_>, hash: TxHash) -> eyre::Result<bool> {
    Ok(run
        .l1
        .provider()
        .get_transaction_receipt(hash)
        .await?
        .is_some())
}
