//! anvil + deploy + funding + offline registrations, and the monitor on a real proposal.

use std::time::Duration;

use alloy::primitives::{Address, U256};
use fernet_bindings::{rollup::IRollup, ContractResultExt, Rollup};
use fernet_devnet::{Devnet, DevnetOptions, Error, Monitor};
use fernet_primitives::TokenAmount;
use fernet_state::{
    apply_block, data_hash, encode_block_data, fr_to_be_bytes, Block, BlockBody, Fr, StateConfig,
    TxEffect, WorldState,
};

use super::free_port;

/// Short slots and one-slot epochs, so a registered sequencer can propose within seconds (the
/// proposal and backup windows share the slot, as the rollup requires).
fn fast(options: DevnetOptions) -> DevnetOptions {
    let overrides = [
        ("SLOT_DURATION", "4"),
        ("EPOCH_DURATION", "1"),
        ("PROPOSAL_WINDOW", "3"),
        ("BACKUP_WINDOW", "1"),
        ("CLAIM_WINDOW_SLOTS", "1"),
        ("PROOF_WINDOW_SLOTS", "2"),
    ];
    DevnetOptions {
        deploy_overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..options
    }
}

#[tokio::test]
async fn l1_side_funds_registers_and_reports_a_real_proposal() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let options = fast(DevnetOptions {
        offline_sequencers: 2,
        provers: 1,
        ..DevnetOptions::l1_only(dir.path(), free_port())
    });
    let mut devnet = Devnet::start(options).await?;
    assert!(devnet.process_names().is_empty());
    assert!(devnet.log_path("anvil").is_file());
    assert_eq!(
        devnet.deployment_path(),
        dir.path().join("deployments/31337.json")
    );
    let params = &devnet.deployment().parameters;
    assert_eq!(params.staking.slot_duration, 4);
    assert_eq!(params.staking.epoch_duration, 1);

    // Funding: the offline sequencers staked the minimum out of their funding.
    let l1 = devnet.l1().clone();
    let accounts = devnet.accounts().clone();
    let funding = TokenAmount::tokens(fernet_devnet::SEQUENCER_FUNDING_TOKENS).0;
    let stake = TokenAmount::tokens(100).0;
    for sequencer in &accounts.offline_sequencers {
        assert_eq!(l1.token_balance(sequencer.address).await?, funding - stake);
        let info = l1
            .staking()
            .stakerInfo(sequencer.address)
            .call()
            .await
            .decoded("stakerInfo")?;
        assert_eq!(U256::from(info.stake), stake);
    }
    assert_eq!(
        l1.token_balance(accounts.provers[0].address).await?,
        TokenAmount::tokens(fernet_devnet::PROVER_FUNDING_TOKENS).0
    );
    assert_eq!(
        l1.token_balance(accounts.traffic.address).await?,
        TokenAmount::tokens(fernet_devnet::TRAFFIC_FUNDING_TOKENS).0
    );

    // Wait until the first offline sequencer may propose, in a slot with time left to land.
    let proposer = accounts.offline_sequencers[0].clone();
    let activation = l1
        .staking()
        .stakerInfo(proposer.address)
        .call()
        .await
        .decoded("stakerInfo")?
        .activationEpoch;
    let activation = u64::from(activation);
    let timing = l1.clone();
    let state = devnet
        .wait_until("the proposer's activation", Duration::from_secs(60), |s| {
            s.epoch >= activation && s.timestamp + 2 < timing.clock.slot_start(s.slot + 1)
        })
        .await?;
    assert_eq!(state.pending_tip, 0);
    let slot = state.slot;

    // A real block: one transaction applied to the genesis state.
    let config = StateConfig::devnet();
    let mut world = WorldState::new(config)?;
    let prev_root = world.state_root();
    // A free tx: no deposit waits in the inbox to pay a fee from (fees: the e2e scenario).
    let tx = TxEffect::new(0, [0; 20], &[Fr::from(11u64)], &[Fr::from(12u64)], None)?;
    let body = BlockBody {
        coinbase: Some(proposer.address.into_array()),
        messages: Vec::new(),
        txs: vec![tx],
    };
    let block = Block {
        number: 1,
        slot,
        body: body.clone(),
    };
    apply_block(&mut world, &block)?;
    let data = encode_block_data(&body)?;
    let hash = data_hash(&data, config.max_data_chunks)?;
    let args = IRollup::ProposeArgs {
        header: IRollup::BlockHeader {
            blockNumber: U256::from(1),
            slot: U256::from(slot),
            prevStateRoot: fr_to_be_bytes(&prev_root).into(),
            newStateRoot: fr_to_be_bytes(&world.state_root()).into(),
            totalFees: U256::from(body.total_fees()),
            dataHash: U256::from_be_bytes(fr_to_be_bytes(&hash)),
        },
        data: data.into(),
        upgradePayload: Address::ZERO,
    };
    let rollup = Rollup::new(devnet.deployment().rollup.address, l1.wallet(&proposer));
    let receipt = rollup
        .propose(args)
        .send()
        .await
        .decoded("propose")?
        .get_receipt()
        .await?;
    assert!(receipt.status());

    // The monitor reports the registrations, then the block with its rank and tx count.
    let mut monitor = Monitor::starting_at(l1.clone(), 0).with_names(devnet.account_names());
    let mut registrations = 0;
    let report = monitor
        .next_matching("the proposal's slot", Duration::from_secs(60), |report| {
            registrations += report.registrations.len();
            assert!(report.block.is_none() || report.slot == slot, "{report}");
            report.slot == slot
        })
        .await?;
    assert_eq!(registrations, 2);
    let block = report.block.clone().expect("the proposal");
    assert_eq!(block.number, 1);
    assert_eq!(block.proposer, proposer.address);
    assert_eq!(block.txs, Some(1));
    assert_eq!(block.ranked, 2);
    let rank = block.rank.expect("ranked");
    assert_eq!(
        report.to_string(),
        format!(
            "slot {slot} epoch {slot} | block #1 by offline-sequencer-1 (rank {rank} of 2) 1 txs | proven tip #0"
        )
    );
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["block"]["txs"], 1);
    assert_eq!(json["pendingTip"], 1);
    assert_eq!(l1.pending_tip().await?, 1);
    assert_eq!(l1.block_log(1).await?.proposer, proposer.address);
    assert_eq!(l1.claim_of(slot).await?.prover, Address::ZERO);

    devnet.stop();
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", devnet.options().anvil_port)).is_ok(),
        "anvil's port is free after stop"
    );
    Ok(())
}

#[tokio::test]
async fn refuses_a_taken_port_naming_it() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let port = taken.local_addr()?.port();
    match Devnet::start(DevnetOptions::l1_only(dir.path(), port)).await {
        Err(Error::PortInUse { port: p, what }) => {
            assert_eq!((p, what.as_str()), (port, "anvil"));
        }
        other => panic!("expected PortInUse, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn registering_many_stakers_reuses_a_few_connections() -> eyre::Result<()> {
    // Attack (issue 12, full scale run): every account's provider had its own HTTP client, so
    // registering 1,000 stakers opened a connection each and left about 2,900 sockets in
    // TIME_WAIT, inside the ephemeral port range where the devnet's p2p ports lie: twice the
    // node then failed to bind 40400 ("Address already in use").
    const STAKERS: usize = 4 * fernet_devnet::l1::REGISTRATION_CONCURRENCY;
    let dir = tempfile::tempdir()?;
    let port = free_port();
    let devnet = Devnet::start(DevnetOptions {
        offline_sequencers: STAKERS,
        ..DevnetOptions::l1_only(dir.path(), port)
    })
    .await?;
    let staking = fernet_bindings::Staking::new(
        devnet.deployment().staking.address,
        devnet.l1().provider().clone(),
    );
    let registered = staking
        .stakerCount()
        .call()
        .await
        .decoded("Staking.stakerCount")?;
    assert_eq!(registered, U256::from(STAKERS));
    // Connections closed on the client's side wait in TIME_WAIT for a minute: those are the
    // churn. Pooled connections stay open and are reused.
    let states = client_sockets_to(port)?;
    let closed = states.get(TCP_TIME_WAIT).copied().unwrap_or(0);
    assert!(
        closed <= fernet_devnet::l1::REGISTRATION_CONCURRENCY,
        "{closed} connections to anvil closed while registering {STAKERS} stakers (sockets by TCP state: {states:?})"
    );
    Ok(())
}

/// `TIME_WAIT` in `/proc/net/tcp`'s state column.
const TCP_TIME_WAIT: &str = "06";

/// Sockets on this host whose remote end is `127.0.0.1:port` (any state, `TIME_WAIT` included),
/// from `/proc/net/tcp`: the connections clients opened to it lately, by TCP state (hex code).
fn client_sockets_to(port: u16) -> eyre::Result<std::collections::BTreeMap<String, usize>> {
    let table = std::fs::read_to_string("/proc/net/tcp")?;
    let remote = format!("0100007F:{port:04X}");
    let mut states = std::collections::BTreeMap::new();
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(2) == Some(&remote.as_str()) {
            *states.entry(fields[3].to_owned()).or_insert(0) += 1;
        }
    }
    Ok(states)
}
