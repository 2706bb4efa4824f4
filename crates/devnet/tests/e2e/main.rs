//! End to end: the devnet runs the protocol on a real anvil with real processes and real
//! proofs, and four scenarios hold in one run (a run costs minutes of proving, so the
//! scenarios share it, each on its own epochs):
//!
//! - (a) epochs `F`, `F+1`, `F+2` (`F`: the first epoch with blocks) are claimed and proven on
//!   L1 inside their windows, a transaction sent to the node reaches "proven", and rewards land
//!   at the provers, proposers and submitters;
//! - (b) two of the six registered staker keys are offline (the other four held by two
//!   sequencer processes, two keys each): in every slot where an offline one ranks first, the
//!   block comes from the highest-ranked live one; the reduced scale report over the epochs from
//!   `F+1` on has its shape (docs/scale.md);
//! - (c) epoch `F+3` is claimed with a zero-fee quote (nothing undercuts it in the claim auction)
//!   of a prover that never proves: the run prunes exactly once, that epoch right after its
//!   deadline; its prover's whole bond is slashed (pro rata to the unproven blocks: all of them)
//!   and no stake is; and the chain regrows from the pruned height in the next epoch, which is
//!   claimed and proven in its window;
//! - (d) nobody quotes epoch `F+6` (the quote provider refuses it): it stays unclaimed and is
//!   proven by open proving;
//! - (e) fees are real money: a user deposits into the L1 fee inbox, the deposit reaches its
//!   L2 fee balance, its transaction's fee is debited from it, and once the block is proven
//!   the block's proposer and the epoch's prover are paid that fee out of the released
//!   deposits (the traffic process pays its fees the same way, epoch after epoch); fees paid
//!   never exceed the deposits released;
//! - (f) the provers prove blocks as chunk proofs (`PROVER_BLOCK_PROOFS=chunks`, chunks of 2
//!   txs): every epoch proof lands through `submitSplitEpochProof`, and blocks of more than one
//!   chunk are proven with their chunks chained on L1. (The fault-injection run proves whole
//!   blocks, so both paths run end to end.)

#[path = "../support/ports.rs"]
mod ports;
mod quote_server;

use ports::{free_port_range, target_dir};
use std::time::{Duration, Instant};

use alloy::{
    consensus::Transaction as _,
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use eyre::{bail, ensure, eyre, WrapErr};
use fernet_bindings::{DevnetToken, FeeInbox, IRewardPool, IRollup, ProverEscrow, RewardPool};
use fernet_devnet::{Devnet, DevnetOptions, History, Role, ScaleRecorder, ScaleReport, L1};
use fernet_node::{
    deposit::{deposit, wait_for_balance},
    NodeClient, Stage, Tx,
};
use fernet_primitives::quote::Quote;
use fernet_state::{Fr, TxEffect};
use quote_server::Refusals;

/// `IRollup.ClaimStatus` values.
const CLAIM_NONE: u8 = 0;
const CLAIM_SLASHED: u8 = 3;
/// Staker keys of the run: four live in two processes, two offline.
const STAKERS: usize = 6;
/// Epochs after `F` of each scenario.
const ROGUE_OFFSET: u64 = 3;
const OPEN_OFFSET: u64 = 6;
/// The whole run must finish within this (first proofs need keys, registration and the
/// snapshot lag: about 2 epochs; then 8 epochs of 60 s).
const RUN_TIMEOUT: Duration = Duration::from_secs(20 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_proves_epochs_survives_offline_sequencers_withheld_proofs_and_missing_quotes(
) -> eyre::Result<()> {
    let refusals = Refusals::default();
    let quote_url = quote_server::spawn(refusals.clone()).await?;
    let base = free_port_range(16)?;
    let data = tempfile::tempdir()?;
    let options = DevnetOptions {
        // The reduced scale run (docs/scale.md) rides on this devnet: six staker keys in two
        // sequencer processes (keystores, registered by the devnet), two of the keys offline.
        sequencers: 2,
        stakers: Some(STAKERS),
        offline_sequencers: 2,
        provers: 2,
        agents: 1,
        anvil_port: base,
        node_port: base + 1,
        broker_port: base + 2,
        sequencer_base_port: base + 4,
        prover_base_port: base + 8,
        // The p2p ports: the node at base + 10, then the sequencers, backup proposer, provers.
        p2p_base_port: base + 10,
        // Scenario (b) checks who proposed each slot among the ranked sequencers; backup mode
        // has its own scenario in the fault-injection run.
        backup_proposer: false,
        traffic_interval: Duration::from_secs(5),
        data_dir: data.path().join("devnet"),
        deployments_dir: data.path().join("deployments"),
        deploy_config: fernet_devnet::workspace_root().join("deployments/devnet.toml"),
        bin_dir: Some(target_dir().join("debug")),
        quote_provider_url: Some(quote_url),
        // (f) Chunk proofs, chained on L1.
        extra_env: [(
            Role::Prover,
            vec![("PROVER_BLOCK_PROOFS".to_owned(), "chunks".to_owned())],
        )]
        .into(),
        ..DevnetOptions::default()
    };
    let mut devnet = Devnet::start(options)
        .await
        .wrap_err("starting the devnet")?;
    let result = run_scenarios(&mut devnet, &refusals).await;
    if result.is_err() {
        eprintln!("logs are in {}", devnet.data_dir().display());
        devnet.print_log_tails(15);
    }
    devnet.stop();
    result
}

async fn run_scenarios(devnet: &mut Devnet, refusals: &Refusals) -> eyre::Result<()> {
    let l1 = devnet.l1().clone();
    let node = NodeClient::new(devnet.urls().node.parse()?);
    let rogue = devnet.accounts().traffic.clone();
    let offline: Vec<Address> = devnet
        .accounts()
        .offline_sequencers
        .iter()
        .map(|a| a.address)
        .collect();
    let honest_provers: Vec<Address> = devnet
        .accounts()
        .provers
        .iter()
        .map(|a| a.address)
        .collect();

    // (e) The user (the traffic account) deposits fee money before any block exists; the first
    // block consumes the deposit, and the user's transaction pays its fee from it.
    let user = rogue.address;
    let queued = deposit(
        &l1.wallet(&rogue),
        user,
        l1.deployment().fee_inbox.address,
        user,
        U256::from(USER_DEPOSIT),
    )
    .await
    .wrap_err("(e) the user's fee deposit")?;
    let bond = U256::from(10u64) * U256::from(10u64).pow(U256::from(18u64));
    let rogue_escrow_before = deposit_rogue_bond(&l1, &rogue, bond).await?;
    let balance = wait_for_balance(&node, user, USER_DEPOSIT, RUN_TIMEOUT / 2).await?;
    ensure!(
        balance >= USER_DEPOSIT,
        "(e) deposit {} never reached the user's L2 fee balance ({balance})",
        queued.index
    );
    // Every sequencer's node judges the gossiped transaction against its own view: one that has
    // not yet seen the deposit ignores it (the payer cannot pay there), so the transaction is
    // sent once they all have.
    for url in &devnet.urls().sequencers {
        let sequencer_node = NodeClient::new(url.parse()?);
        let seen = wait_for_balance(&sequencer_node, user, USER_DEPOSIT, RUN_TIMEOUT / 2).await?;
        ensure!(
            seen >= USER_DEPOSIT,
            "(e) the sequencer node {url} never saw deposit {} ({seen})",
            queued.index
        );
    }
    let refused = node
        .send_transaction(&user_tx(user, balance as u64 + 1))
        .await
        .err()
        .ok_or_else(|| eyre!("(e) the node took a fee above the payer's balance"))?;
    ensure!(
        refused.to_string().contains("cannot pay fee"),
        "(e) unexpected refusal: {refused}"
    );
    let user_tx_hash = node.send_transaction(&user_tx(user, USER_FEE)).await?;
    let sent_at = Instant::now();
    let mut stage_times: Vec<(Stage, Duration)> = Vec::new();

    let started = Instant::now();
    let mut history = History::default();
    let mut rogue_quoted = false;
    let mut first_epoch = None;
    let mut scale: Option<ScaleRecorder> = None;
    loop {
        devnet.check()?;
        history.update(&l1).await?;
        let stage = node.transaction_status(user_tx_hash).await?.stage;
        if stage_times.last().is_none_or(|(last, _)| *last != stage) {
            stage_times.push((stage, sent_at.elapsed()));
        }
        if first_epoch.is_none() {
            first_epoch = history.first_epoch(&l1);
            if let Some(f) = first_epoch {
                refusals.refuse(f + ROGUE_OFFSET);
                refusals.refuse(f + OPEN_OFFSET);
                eprintln!("first epoch with blocks: {f}");
            }
        }
        if let Some(f) = first_epoch {
            let (_, timestamp) = l1.latest().await?;
            let epoch = l1.clock.epoch_of(l1.clock.slot_at(timestamp));
            if scale.is_none() && epoch > f {
                // The scale window: whole epochs from F+1 to the end of the run.
                let from = (f + 1) * l1.deployment().parameters.staking.epoch_duration;
                scale = Some(ScaleRecorder::start(devnet, from).await?);
            }
            let rogue_epoch = f + ROGUE_OFFSET;
            if !rogue_quoted && epoch == rogue_epoch {
                let quote = Quote {
                    prover: rogue.address,
                    epoch_to_prove: rogue_epoch,
                    valid_until_slot: l1
                        .rollup()
                        .claimDeadline(U256::from(rogue_epoch))
                        .call()
                        .await?
                        .saturating_to(),
                    bond_amount: bond,
                    rollup_address: l1.deployment().rollup.address,
                    basis_point_fee: 0,
                };
                let signed = quote.sign(&rogue.signer, l1.deployment().chain_id)?;
                ensure!(
                    node.send_epoch_proof_quote(&signed).await?,
                    "the node refused the rogue quote"
                );
                rogue_quoted = true;
                eprintln!("rogue prover quoted epoch {rogue_epoch}");
            }
            if history.proven(f + OPEN_OFFSET).is_some() {
                break;
            }
        }
        if started.elapsed() > RUN_TIMEOUT {
            bail!("the run did not finish in {RUN_TIMEOUT:?}: {history:#?}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let f = first_epoch.ok_or_else(|| eyre!("no epoch"))?;
    eprintln!("run finished in {:?}: {history:#?}", started.elapsed());
    let scale = scale.ok_or_else(|| eyre!("the scale window never started"))?;
    let (_, now) = l1.latest().await?;
    let epoch_slots = l1.deployment().parameters.staking.epoch_duration;
    let to_slot = l1.clock.epoch_of(l1.clock.slot_at(now)) * epoch_slots;
    let report = scale.finish(devnet, &history, to_slot).await?;
    eprint!("{report}");

    print_timings(&l1, &history, &stage_times);
    check_epochs_proven(&l1, &history, f, &honest_provers).await?;
    check_user_tx(&node, user_tx_hash).await?;
    check_offline_sequencers_replaced(&l1, &history, &offline).await?;
    check_withheld_proof(
        &l1,
        &history,
        f + ROGUE_OFFSET,
        rogue.address,
        bond,
        rogue_escrow_before,
        &honest_provers,
    )
    .await?;
    check_open_proving(&l1, &history, f + OPEN_OFFSET, &honest_provers).await?;
    check_fees_paid_from_deposits(&l1, &node, &history, user_tx_hash, queued.index).await?;
    check_scale_report(&report)?;
    check_chunk_proofs(&l1, &history).await?;
    // How the rewards spread over the stakers (compared with the committee mode's run in
    // docs/protocol.md).
    let stakers: Vec<Address> = devnet
        .accounts()
        .sequencers
        .iter()
        .chain(&devnet.accounts().offline_sequencers)
        .map(|a| a.address)
        .collect();
    let spread = fernet_devnet::RewardSpread::read(&l1, &stakers).await?;
    eprintln!(
        "quote mode, rewards after {} proven epochs: {spread}",
        history.proven_epochs().count()
    );
    Ok(())
}

/// (f) Every epoch proof of the run came through `submitSplitEpochProof` with the blocks in
/// chunks (none proven whole), its roots between the chunks, one proof per chunk; some block
/// was proven in more than one chunk.
async fn check_chunk_proofs(l1: &L1, history: &History) -> eyre::Result<()> {
    let mut proofs = 0;
    let mut multi_chunk_blocks = 0;
    for (epoch, proven) in history.proofs() {
        let tx = l1
            .provider()
            .get_transaction_by_hash(proven.tx_hash)
            .await?
            .ok_or_else(|| eyre!("(f) no transaction {}", proven.tx_hash))?;
        let input = tx.inner.input();
        let call = IRollup::submitSplitEpochProofCall::abi_decode(input).map_err(|error| {
            eyre!("(f) epoch {epoch} was not proven by submitSplitEpochProof: {error}")
        })?;
        let counts: Vec<u64> = call
            .split
            .chunkCounts
            .iter()
            .map(|c| c.saturating_to())
            .collect();
        ensure!(
            counts.iter().all(|&count| count >= 1),
            "(f) epoch {epoch}: a block proven whole ({counts:?})"
        );
        let chunks: u64 = counts.iter().sum();
        ensure!(
            call.split.intermediateRoots.len() as u64 == chunks - counts.len() as u64
                && call.proofs.len() as u64 == chunks * 256,
            "(f) epoch {epoch}: {chunks} chunks, {} roots, {} proof bytes",
            call.split.intermediateRoots.len(),
            call.proofs.len()
        );
        multi_chunk_blocks += counts.iter().filter(|&&count| count > 1).count();
        proofs += 1;
    }
    ensure!(proofs > 0, "(f) no epoch proof");
    ensure!(
        multi_chunk_blocks > 0,
        "(f) no block was proven in more than one chunk"
    );
    eprintln!("(f) {proofs} epoch proofs as chunks, {multi_chunk_blocks} blocks of several chunks");
    Ok(())
}

/// The reduced scale report (docs/scale.md) has its shape: at least 3 whole epochs, the key
/// counts of the run, most slots proposed by their best live key (the target of 99 % is for the
/// full run; a slow CI machine may lose a slot), and for each sequencer process its keys, its L1
/// calls per slot (`fernet_l1_requests_total`), CPU and memory; the sequencers' latency histogram
/// was read.
fn check_scale_report(report: &ScaleReport) -> eyre::Result<()> {
    ensure!(
        report.epochs >= 3,
        "scale: {} epochs measured",
        report.epochs
    );
    ensure!(
        (report.stakers, report.live, report.processes) == (STAKERS, STAKERS - 2, 2),
        "scale: {} stakers, {} live, {} processes",
        report.stakers,
        report.live,
        report.processes
    );
    ensure!(
        report.slots > 0 && report.share >= 0.75,
        "scale: the best live staker proposed {} of {} slots: {:?}",
        report.best_live_proposed,
        report.slots,
        report.misses
    );
    ensure!(
        report.latency_p50.is_some() && report.l1_latency_p50.is_some(),
        "scale: no proposal latency measured"
    );
    for name in ["sequencer-1", "sequencer-2"] {
        let process = report
            .per_process
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| eyre!("scale: {name} is not in the report"))?;
        ensure!(
            process.keys == 2
                && process.l1_calls_per_slot.is_some_and(|calls| calls > 0.0)
                && process.cpu_percent > 0.0
                && process.rss_mib > 0.0,
            "scale: {name}: {process:?}"
        );
    }
    Ok(())
}

/// What the user deposits, and its transaction's fee (base units).
const USER_DEPOSIT: u128 = 1_000_000;
const USER_FEE: u64 = 400_000;

/// A fresh transaction of `payer` paying `fee`.
fn user_tx(payer: Address, fee: u64) -> Tx {
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let effect = TxEffect::new(
        fee,
        payer.into_array(),
        &[Fr::from(unique)],
        &[Fr::from(unique + 1)],
        None,
    )
    .expect("a valid tx");
    Tx::from_effect(&effect)
}

/// (e) The user's deposit was released to the pool with its proven block, the proposer of the
/// user's block and the prover of its epoch were credited fees (`FeesCredited`), the proposer
/// at least its share of the user's fee, and every fee credited came out of released deposits.
async fn check_fees_paid_from_deposits(
    l1: &L1,
    node: &NodeClient,
    history: &History,
    user_tx: alloy::primitives::B256,
    deposit_index: u64,
) -> eyre::Result<()> {
    let inbox = FeeInbox::new(l1.deployment().fee_inbox.address, l1.provider().clone());
    let released: u64 = inbox.releasedCursor().call().await?.saturating_to();
    ensure!(
        released > deposit_index,
        "(e) deposit {deposit_index} not released (cursor {released})"
    );
    let filter = Filter::new()
        .address(l1.deployment().reward_pool.address)
        .event_signature(IRewardPool::FeesCredited::SIGNATURE_HASH)
        .from_block(l1.deployment().deploy_block);
    let mut credited: std::collections::HashMap<Address, U256> = Default::default();
    for log in l1.provider().get_logs(&filter).await? {
        let event = IRewardPool::FeesCredited::decode_log(&log.inner)?;
        *credited.entry(event.account).or_default() += event.amount;
    }
    let total: U256 = credited.values().copied().sum();
    ensure!(total > U256::ZERO, "(e) no fee was ever credited");
    let filter = Filter::new()
        .address(l1.deployment().fee_inbox.address)
        .event_signature(fernet_bindings::IFeeInbox::DepositsReleased::SIGNATURE_HASH)
        .from_block(l1.deployment().deploy_block);
    let mut released_amount = U256::ZERO;
    for log in l1.provider().get_logs(&filter).await? {
        released_amount +=
            fernet_bindings::IFeeInbox::DepositsReleased::decode_log(&log.inner)?.amount;
    }
    let pool = RewardPool::new(l1.deployment().reward_pool.address, l1.provider().clone());
    let unpaid = pool.feeFunds().call().await?;
    ensure!(
        total + unpaid == released_amount,
        "(e) fees credited {total} + fee funds {unpaid} != deposits released {released_amount}"
    );

    let status = node.transaction_status(user_tx).await?;
    let block = status
        .block_number
        .ok_or_else(|| eyre!("(e) the user transaction has no block"))?;
    let proposal = history
        .canonical_proposals()
        .find(|p| p.block == block)
        .ok_or_else(|| eyre!("(e) no proposal of block {block}"))?;
    let epoch = l1.clock.epoch_of(proposal.slot);
    let proof = history
        .proven(epoch)
        .ok_or_else(|| eyre!("(e) epoch {epoch} of the user's block was not proven"))?;
    let bps = history.claim(epoch).map_or(
        l1.deployment()
            .parameters
            .rollup
            .open_proving_basis_point_fee,
        |claim| claim.basis_point_fee,
    );
    let proposer_share = U256::from(u128::from(USER_FEE) * u128::from(10_000 - bps) / 10_000);
    let proposer_fees = credited
        .get(&proposal.proposer)
        .copied()
        .unwrap_or_default();
    ensure!(
        proposer_fees >= proposer_share,
        "(e) proposer {} of block {block} was credited {proposer_fees} in fees, less than its share {proposer_share} of the user's fee",
        proposal.proposer
    );
    if bps > 0 {
        ensure!(
            credited
                .get(&proof.prover)
                .is_some_and(|fees| !fees.is_zero()),
            "(e) prover {} of epoch {epoch} (fee {bps} bps) was credited no fees",
            proof.prover
        );
    }
    eprintln!(
        "fees: {total} credited out of {released_amount} released deposits, user block {block} by {} in epoch {epoch}",
        proposal.proposer
    );
    Ok(())
}

/// Funds nothing new (the devnet funded the account) but deposits `bond` into the escrow for
/// the rogue prover; returns its escrow balance after the deposit.
async fn deposit_rogue_bond(
    l1: &L1,
    rogue: &fernet_devnet::Account,
    bond: U256,
) -> eyre::Result<U256> {
    let wallet = l1.wallet(rogue);
    let escrow_address = l1.deployment().prover_escrow.address;
    let token = DevnetToken::new(l1.deployment().token.address, wallet.clone());
    token
        .approve(escrow_address, bond)
        .send()
        .await?
        .get_receipt()
        .await?;
    let escrow = ProverEscrow::new(escrow_address, wallet);
    let receipt = escrow
        .deposit(rogue.address, bond)
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "the rogue deposit reverted");
    Ok(escrow.freeBalanceOf(rogue.address).call().await?)
}

/// Prints the measured timings docs/devnet.md records: the user transaction's stages, when in
/// its slot each block landed, and how long after its epoch's end each proof landed.
fn print_timings(l1: &L1, history: &History, stages: &[(Stage, Duration)]) {
    eprintln!("timings: user transaction, time from sending to each stage:");
    for (stage, elapsed) in stages {
        eprintln!("  {stage:?}: {:.1} s", elapsed.as_secs_f64());
    }
    let mut offsets: Vec<u64> = Vec::new();
    for proposal in history.canonical_proposals() {
        offsets.push(
            proposal
                .timestamp
                .saturating_sub(l1.clock.slot_start(proposal.slot)),
        );
    }
    offsets.sort_unstable();
    if let (Some(min), Some(max)) = (offsets.first(), offsets.last()) {
        eprintln!(
            "timings: proposal landed {min}-{max} s into its slot (median {} s, {} slots)",
            offsets[offsets.len() / 2],
            offsets.len()
        );
    }
    for (epoch, proven) in history.proven_epochs() {
        let epoch_slots = l1.deployment().parameters.staking.epoch_duration;
        let end = l1.clock.slot_start((epoch + 1) * epoch_slots);
        eprintln!(
            "timings: epoch {epoch} proof landed {} s after the epoch ended",
            proven.timestamp.saturating_sub(end)
        );
    }
}

/// (a) Epochs F..F+2 are claimed by honest provers, proven inside their windows, and paid.
async fn check_epochs_proven(
    l1: &L1,
    history: &History,
    f: u64,
    honest: &[Address],
) -> eyre::Result<()> {
    let pool = RewardPool::new(l1.deployment().reward_pool.address, l1.provider().clone());
    for epoch in f..f + 3 {
        let proven = history
            .proven(epoch)
            .ok_or_else(|| eyre!("(a) epoch {epoch} was not proven"))?;
        let claim = history
            .claim(epoch)
            .ok_or_else(|| eyre!("(a) epoch {epoch} was proven without a claim"))?;
        ensure!(
            honest.contains(&claim.prover) && proven.prover == claim.prover,
            "(a) epoch {epoch}: claimed by {}, proven for {}",
            claim.prover,
            proven.prover
        );
        let deadline: u64 = l1
            .rollup()
            .proofDeadline(U256::from(epoch))
            .call()
            .await?
            .saturating_to();
        let proof_slot = l1.clock.slot_at(proven.timestamp);
        ensure!(
            proof_slot <= deadline,
            "(a) epoch {epoch} proven in slot {proof_slot}, after its deadline {deadline}"
        );
        for account in [proven.prover, proven.submitter] {
            let owed = pool.owed(account).call().await?;
            ensure!(
                owed > U256::ZERO,
                "(a) nothing owed to {account} after epoch {epoch}"
            );
        }
        let proposer = history
            .canonical_proposals()
            .find(|p| p.block == proven.to_block)
            .ok_or_else(|| eyre!("(a) no proposal of block {}", proven.to_block))?
            .proposer;
        ensure!(
            pool.owed(proposer).call().await? > U256::ZERO,
            "(a) nothing owed to proposer {proposer}"
        );
    }
    Ok(())
}

/// (a) The transaction sent at the start reached "proven" (or beyond).
async fn check_user_tx(node: &NodeClient, hash: alloy::primitives::B256) -> eyre::Result<()> {
    let status = node.transaction_status(hash).await?;
    ensure!(
        status.stage.reached(Stage::Proven),
        "(a) the user transaction {hash} is only {:?}",
        status.stage
    );
    Ok(())
}

/// (b) In every slot whose top-ranked sequencer is offline, the block comes from the
/// highest-ranked online one; at least one such slot happened.
async fn check_offline_sequencers_replaced(
    l1: &L1,
    history: &History,
    offline: &[Address],
) -> eyre::Result<()> {
    let mut covered = 0;
    for proposal in history.canonical_proposals() {
        let ranking = l1.ranking(proposal.slot).await?;
        let Some(top) = ranking.first() else { continue };
        if !offline.contains(top) {
            continue;
        }
        let expected = ranking
            .iter()
            .find(|s| !offline.contains(s))
            .ok_or_else(|| eyre!("(b) slot {}: nobody online", proposal.slot))?;
        ensure!(
            proposal.proposer == *expected,
            "(b) slot {}: top {top} offline, expected {expected}, got {}",
            proposal.slot,
            proposal.proposer
        );
        covered += 1;
    }
    ensure!(
        covered > 0,
        "(b) no slot had an offline top-ranked sequencer"
    );
    eprintln!(
        "(b) {covered} slots had an offline top-ranked sequencer; the next live rank proposed"
    );
    Ok(())
}

/// (c) The withheld proof is punished exactly as the rules prescribe, and the chain recovers.
///
/// The rogue prover's zero fee cannot be undercut in the claim auction (the honest provers do
/// not quote this epoch anyway) and it proves no block, so: the run prunes exactly once, epoch
/// `epoch` at the first slot after its deadline, from its first block; the pro-rata slash takes
/// the rogue prover's whole bond and no stake is slashed (a claimed epoch slashes its prover, not
/// a proposer), in that prune and in the whole run ([`History::prune_penalty`] also checks the
/// cancelled later claims); the escrow lost the bond; and the chain recovered: the first block
/// proposed after the prune reuses the pruned height, and its epoch (named here, not the epoch
/// the run waits for) is proven inside its window by a claimed honest prover.
async fn check_withheld_proof(
    l1: &L1,
    history: &History,
    epoch: u64,
    rogue: Address,
    bond: U256,
    escrow_before: U256,
    honest: &[Address],
) -> eyre::Result<()> {
    let claim = history
        .claim(epoch)
        .ok_or_else(|| eyre!("(c) epoch {epoch} was never claimed"))?;
    ensure!(
        claim.prover == rogue,
        "(c) epoch {epoch} claimed by {} instead of the rogue prover",
        claim.prover
    );
    let prunes = history.prunes();
    ensure!(
        prunes.len() == 1 && prunes[0].0 == epoch,
        "(c) expected exactly one prune, of epoch {epoch}; the run pruned {prunes:?}"
    );
    let penalty = history.prune_penalty(l1, epoch).await?;
    let slash = penalty
        .prover_slash
        .ok_or_else(|| eyre!("(c) the rogue prover of epoch {epoch} was not slashed"))?;
    ensure!(
        slash.prover == rogue && slash.bond == bond,
        "(c) wrong slash {slash:?}: expected the rogue's whole bond {bond}"
    );
    ensure!(
        history.slashes().len() == 1,
        "(c) expected one prover slash in the run, found {:?}",
        history.slashes()
    );
    ensure!(
        history.stake_slashes().is_empty(),
        "(c) a claimed epoch's prune slashes no stake, and no other epoch was pruned; found {:?}",
        history.stake_slashes()
    );
    let first_block = l1
        .rollup()
        .epochLog(U256::from(epoch))
        .block((penalty.prune.l1_block - 1).into())
        .call()
        .await?
        .firstBlock;
    ensure!(
        penalty.prune.from_block == first_block,
        "(c) the prune started at block {}, not at the withheld epoch's first block {first_block}",
        penalty.prune.from_block
    );
    let deadline: u64 = l1
        .rollup()
        .proofDeadline(U256::from(epoch))
        .call()
        .await?
        .saturating_to();
    let (_, prune_time) = block_time(l1, penalty.prune.l1_block).await?;
    let prune_slot = l1.clock.slot_at(prune_time);
    ensure!(
        prune_slot == deadline + 1,
        "(c) epoch {epoch} (deadline slot {deadline}) was pruned in slot {prune_slot}, not in the \
         first slot after its deadline"
    );
    let escrow = ProverEscrow::new(l1.deployment().prover_escrow.address, l1.provider().clone());
    let account = escrow.accountOf(rogue).call().await?;
    ensure!(
        U256::from(account.free) + bond == escrow_before && account.locked == 0,
        "(c) escrow of the rogue prover: {} before, {:?} after",
        escrow_before,
        account
    );
    let claim_status = l1.claim_of(epoch).await?.status;
    ensure!(
        claim_status == CLAIM_SLASHED,
        "(c) claim status {claim_status:?}, expected Slashed"
    );

    // Recovery, checked on its own: the loop only waits for the open-proving epoch.
    let regrown = history
        .canonical_proposals()
        .find(|p| p.l1_block >= penalty.prune.l1_block && p.block == penalty.prune.from_block)
        .ok_or_else(|| {
            eyre!(
                "(c) block {} was never proposed again after the prune",
                penalty.prune.from_block
            )
        })?;
    let recovered = l1.clock.epoch_of(regrown.slot);
    ensure!(
        recovered == l1.clock.epoch_of(deadline + 1),
        "(c) the chain regrew from block {} only in epoch {recovered}, not in the epoch of the \
         prune ({})",
        regrown.block,
        l1.clock.epoch_of(deadline + 1)
    );
    let proven = history
        .proven(recovered)
        .ok_or_else(|| eyre!("(c) epoch {recovered}, the first after the prune, was not proven"))?;
    let recovered_deadline: u64 = l1
        .rollup()
        .proofDeadline(U256::from(recovered))
        .call()
        .await?
        .saturating_to();
    let (_, proof_time) = block_time(l1, proven.l1_block).await?;
    ensure!(
        l1.clock.slot_at(proof_time) <= recovered_deadline,
        "(c) epoch {recovered} proven after its deadline slot {recovered_deadline}"
    );
    let recovered_claim = history.claim(recovered).ok_or_else(|| {
        eyre!("(c) epoch {recovered}, the first after the prune, was not claimed")
    })?;
    ensure!(
        honest.contains(&recovered_claim.prover) && proven.prover == recovered_claim.prover,
        "(c) epoch {recovered} claimed by {}, proven for {}",
        recovered_claim.prover,
        proven.prover
    );
    eprintln!(
        "(c) epoch {epoch} pruned in slot {prune_slot} (blocks {}-{}), rogue bond {bond} slashed, \
         no stake slashed, claims cancelled {:?}; block {} proposed again in slot {}, epoch \
         {recovered} proven",
        penalty.prune.from_block,
        penalty.prune.to_block,
        penalty.cancelled,
        regrown.block,
        regrown.slot
    );
    Ok(())
}

/// The number and timestamp of L1 block `number`.
async fn block_time(l1: &L1, number: u64) -> eyre::Result<(u64, u64)> {
    let block = l1
        .provider()
        .get_block_by_number(number.into())
        .await?
        .ok_or_else(|| eyre!("no L1 block {number}"))?;
    Ok((block.header.number, block.header.timestamp))
}

/// (d) The unquoted epoch stayed unclaimed and an honest prover proved it anyway.
async fn check_open_proving(
    l1: &L1,
    history: &History,
    epoch: u64,
    honest: &[Address],
) -> eyre::Result<()> {
    ensure!(
        history.claim(epoch).is_none(),
        "(d) epoch {epoch} was claimed"
    );
    let proven = history
        .proven(epoch)
        .ok_or_else(|| eyre!("(d) epoch {epoch} was not proven"))?;
    ensure!(
        honest.contains(&proven.submitter) && proven.prover == proven.submitter,
        "(d) epoch {epoch} proven by {} for {}",
        proven.submitter,
        proven.prover
    );
    let status = l1.claim_of(epoch).await?.status;
    ensure!(
        status == CLAIM_NONE,
        "(d) claim status {status:?}, expected None"
    );
    Ok(())
}
