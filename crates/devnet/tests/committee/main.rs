//! End to end, the committee mode (seed 004): a devnet deployed with `provingMode = committee`,
//! eight staker keys in four sequencer processes, real proofs, and in one run:
//!
//! - every proposal lands with the sign-offs of its slot's committee (`proposeWithSignoffs`)
//!   and at least three epochs are proven by committee epoch proofs made of the members' chunk
//!   proofs, each chunk paying its assigned signer;
//! - a silent member (its key never signs off) is slashed `inactivityPenalty` once it missed
//!   `inactivityLimit` proven blocks, reported by a prover node, and never signs a block;
//! - a withholding proposer (its key never sends its blocks to the committee) never lands a block:
//!   its slots go to the next rank, or to backup mode.
//!
//! At the end the run prints how the rewards spread over the stakers (docs/protocol.md, "The
//! committee mode against the quote mode").

#[path = "../support/ports.rs"]
mod ports;

use std::time::{Duration, Instant};

use alloy::{
    consensus::Transaction as _,
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use eyre::{bail, ensure, eyre, WrapErr};
use fernet_bindings::ICommitteeRollup;
use fernet_devnet::{Account, Devnet, DevnetOptions, History, RewardSpread, Role};
use ports::{free_port_range, target_dir};

/// Staker keys of the run, all live, two per sequencer process.
const STAKERS: usize = 8;
/// Epochs that must be proven after the first epoch with blocks.
const PROVEN_EPOCHS: u64 = 3;
/// The whole run must finish within this.
const RUN_TIMEOUT: Duration = Duration::from_secs(16 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committee_devnet_signs_off_proves_epochs_and_slashes_a_silent_member() -> eyre::Result<()>
{
    // Staker keys are accounts 1..=8 of the devnet mnemonic.
    let withholding = Account::derive(7)?.address;
    let silent = Account::derive(8)?.address;
    let base = free_port_range(16)?;
    let data = tempfile::tempdir()?;
    let options = DevnetOptions {
        sequencers: 4,
        stakers: Some(STAKERS),
        provers: 2,
        agents: 1,
        anvil_port: base,
        node_port: base + 1,
        broker_port: base + 2,
        backup_proposer_port: base + 3,
        sequencer_base_port: base + 4,
        prover_base_port: base + 8,
        p2p_base_port: base + 10,
        traffic_interval: Duration::from_secs(5),
        data_dir: data.path().join("devnet"),
        deployments_dir: data.path().join("deployments"),
        deploy_config: fernet_devnet::workspace_root().join("deployments/devnet.toml"),
        // Committees of 6 of the 8 stakers on average (the proposer left out): the silent member
        // is elected in most slots, so its misses add up within a few epochs.
        deploy_overrides: vec![
            ("PROVING_MODE".to_owned(), "committee".to_owned()),
            ("COMMITTEE_SIZE".to_owned(), "6".to_owned()),
            ("SEQUENCER_BONUS_BPS".to_owned(), "500".to_owned()),
        ],
        bin_dir: Some(target_dir().join("debug")),
        extra_env: [(
            Role::Sequencer,
            vec![
                ("SEQ_SILENT_MEMBERS".to_owned(), silent.to_string()),
                (
                    "SEQ_WITHHOLDING_PROPOSERS".to_owned(),
                    withholding.to_string(),
                ),
            ],
        )]
        .into(),
        ..DevnetOptions::default()
    };
    let mut devnet = Devnet::start(options)
        .await
        .wrap_err("starting the committee devnet")?;
    let result = run(&mut devnet, silent, withholding).await;
    if result.is_err() {
        eprintln!("logs are in {}", devnet.data_dir().display());
        devnet.print_log_tails(15);
    }
    devnet.stop();
    result
}

async fn run(devnet: &mut Devnet, silent: Address, withholding: Address) -> eyre::Result<()> {
    let l1 = devnet.l1().clone();
    let deployment = l1.deployment().clone();
    let committee = deployment
        .parameters
        .committee
        .clone()
        .ok_or_else(|| eyre!("the devnet was not deployed in the committee mode"))?;
    let started = Instant::now();
    let mut history = History::default();
    let mut first_epoch = None;
    let slashed = loop {
        devnet.check()?;
        history.update(&l1).await?;
        if first_epoch.is_none() {
            first_epoch = history.first_epoch(&l1);
        }
        let slashes = committee_slashes(&l1, deployment.rollup.address).await?;
        if let Some(f) = first_epoch {
            let proven = (f..f + PROVEN_EPOCHS).all(|e| history.proven(e).is_some());
            if proven && !slashes.is_empty() {
                break slashes;
            }
        }
        if started.elapsed() > RUN_TIMEOUT {
            bail!(
                "the run did not finish in {RUN_TIMEOUT:?} (first epoch {first_epoch:?}, slashes {slashes:?}): {history:#?}"
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let f = first_epoch.ok_or_else(|| eyre!("no epoch"))?;
    eprintln!("run finished in {:?}: {history:#?}", started.elapsed());

    // Every ranked proposal carried its committee's sign-offs, and the proofs were committee
    // proofs: each proven epoch's proof is a `submitCommitteeEpochProof` transaction.
    let signed = signed_blocks(&l1, deployment.rollup.address).await?;
    for proposal in history.canonical_proposals() {
        ensure!(
            proposal.backup || signed.iter().any(|(block, _)| *block == proposal.block),
            "block {} of slot {} has no sign-off event",
            proposal.block,
            proposal.slot
        );
    }
    for e in f..f + PROVEN_EPOCHS {
        let proven = history
            .proven(e)
            .ok_or_else(|| eyre!("epoch {e} not proven"))?;
        let tx = l1
            .provider()
            .get_transaction_by_hash(proven.tx_hash)
            .await?
            .ok_or_else(|| eyre!("proof transaction {} not found", proven.tx_hash))?;
        let selector = &tx.input()[..4];
        ensure!(
            selector == ICommitteeRollup::submitCommitteeEpochProofCall::SELECTOR,
            "epoch {e} was not proven by a committee epoch proof"
        );
        let receipt = l1
            .provider()
            .get_transaction_receipt(proven.tx_hash)
            .await?
            .ok_or_else(|| eyre!("no receipt of {}", proven.tx_hash))?;
        let epoch_end = l1.clock.slot_start(l1.clock.epoch_first_slot(e + 1));
        eprintln!(
            "epoch {e}: blocks {}..={} proven by a committee proof {} s after the epoch ended, {} gas",
            proven.from_block,
            proven.to_block,
            proven.timestamp.saturating_sub(epoch_end),
            receipt.gas_used
        );
    }
    let mut proposal_gas = Vec::new();
    for proposal in history.canonical_proposals().filter(|p| !p.backup) {
        if let Some(receipt) = l1
            .provider()
            .get_transaction_receipt(proposal.tx_hash)
            .await?
        {
            proposal_gas.push(receipt.gas_used);
        }
    }
    eprintln!("proposeWithSignoffs gas: {proposal_gas:?}");

    // The silent member never signed, and was slashed once it missed the limit.
    ensure!(
        signed.iter().all(|(_, signers)| !signers.contains(&silent)),
        "the silent member signed a block"
    );
    let (staker, from, to, amount) = slashed[0];
    ensure!(
        staker == silent,
        "slashed {staker}, not the silent member {silent}"
    );
    ensure!(
        amount == committee.inactivity_penalty.0,
        "slashed {amount}, not the inactivity penalty"
    );
    eprintln!("silent member {silent} slashed {amount} for blocks {from}..={to}");
    let stake = l1.staking().stakerInfo(silent).call().await?.stake;
    ensure!(
        U256::from(stake) == deployment.parameters.staking.minimum_stake.0 - amount,
        "the silent member's stake is {stake}"
    );

    // The withholding proposer never landed a block.
    ensure!(
        history
            .canonical_proposals()
            .all(|proposal| proposal.proposer != withholding),
        "the withholding proposer landed a block"
    );
    let mut first_ranked = 0;
    for proposal in history.canonical_proposals() {
        if l1.ranking(proposal.slot).await?.first() == Some(&withholding) {
            first_ranked += 1;
            eprintln!(
                "slot {}: the withholding proposer ranked first; block {} came from {}{}",
                proposal.slot,
                proposal.block,
                proposal.proposer,
                if proposal.backup {
                    " (backup mode)"
                } else {
                    ""
                }
            );
        }
    }
    eprintln!("the withholding proposer ranked first in {first_ranked} slot(s) with a block");

    // How the rewards spread over the stakers.
    let stakers: Vec<Address> = devnet
        .accounts()
        .sequencers
        .iter()
        .map(|a| a.address)
        .collect();
    let spread = RewardSpread::read(&l1, &stakers).await?;
    eprintln!(
        "committee mode, rewards after {} proven epochs: {spread}",
        history.proven_epochs().count()
    );
    ensure!(
        spread.paid() > 1,
        "the rewards reached only {} staker(s)",
        spread.paid()
    );
    Ok(())
}

/// Every `CommitteeMemberSlashed(staker, fromBlock, toBlock, amount)` so far.
async fn committee_slashes(
    l1: &fernet_devnet::L1,
    rollup: Address,
) -> eyre::Result<Vec<(Address, u64, u64, U256)>> {
    let filter = Filter::new()
        .address(rollup)
        .event_signature(ICommitteeRollup::CommitteeMemberSlashed::SIGNATURE_HASH)
        .from_block(0);
    let logs = l1.provider().get_logs(&filter).await?;
    logs.iter()
        .map(|log| {
            let event = ICommitteeRollup::CommitteeMemberSlashed::decode_log(&log.inner)?.data;
            Ok((
                event.staker,
                event.fromBlock.saturating_to(),
                event.toBlock.saturating_to(),
                event.amount,
            ))
        })
        .collect()
}

/// Every `BlockSignedOff(blockNumber, slot, signers)` so far.
async fn signed_blocks(
    l1: &fernet_devnet::L1,
    rollup: Address,
) -> eyre::Result<Vec<(u64, Vec<Address>)>> {
    let filter = Filter::new()
        .address(rollup)
        .event_signature(ICommitteeRollup::BlockSignedOff::SIGNATURE_HASH)
        .from_block(0);
    let logs = l1.provider().get_logs(&filter).await?;
    logs.iter()
        .map(|log| {
            let event = ICommitteeRollup::BlockSignedOff::decode_log(&log.inner)?.data;
            Ok((event.blockNumber.saturating_to(), event.signers))
        })
        .collect()
}
