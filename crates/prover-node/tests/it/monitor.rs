//! The epoch monitor end to end on anvil, with real proofs: a sequencer proposes an epoch, the
//! monitor proves it speculatively through a real broker and in-process agent, quotes for it
//! (into its embedded node's pool, from which p2p publishes it), the sequencer claims the quote, and the monitor submits the
//! epoch proof before its deadline. Two real Groth16 proofs: about 50 s on two cores.

use std::{sync::Arc, time::Duration};

use alloy::primitives::U256;
use fernet_bindings::IRollup;
use fernet_broker::{Agent, AgentConfig, BlockKeys, BrokerConfig, BrokerServer};
use fernet_node::{Node, NodeConfig};
use fernet_primitives::TokenAmount;
use fernet_prover_node::{
    bond::BondManager,
    delivery::QuoteDelivery,
    l1::{Claim, RollupView},
    metrics::Metrics,
    monitor::{EpochMonitor, MonitorParts, MonitorSettings},
    orchestrator::Orchestrator,
    quote::QuoteSigner,
    quote_provider::{FixedQuoteProvider, QuoteTerms},
    submit::ProofSubmitter,
};
use fernet_state::{BlockBody, Fr, TxEffect, WorldState};

use crate::{warp, Suite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proves_a_claimed_epoch_with_real_proofs() -> eyre::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(fernet_primitives::logging::filter_directives(
            "info,fernet_prover_node=debug",
        ))
        .with_test_writer()
        .try_init();
    let suite = Suite::deploy().await?;
    let l1 = &suite.l1;
    let d = &l1.deployment;
    let clock = l1.clock;
    let reader = l1.provider.clone();

    // The prover gets tokens; the sequencer (anvil's first account, the deployer) registers.
    let prover = suite.prover();
    suite
        .fund(prover.address(), TokenAmount::tokens(100).0)
        .await?;
    let (sequencer, epoch) = suite.register_sequencer().await?;
    let seq_provider = l1.signing_provider(sequencer.clone());

    // The sequencer proposes one block in each slot of `epoch`.
    let mut state = WorldState::new(d.state_config)?;
    let first_slot = clock.epoch_first_slot(epoch);
    let slots: Vec<u64> = (first_slot..first_slot + clock.epoch_duration).collect();
    for (i, &slot) in slots.iter().enumerate() {
        let number = i as u64 + 1;
        let txs = (0..2)
            // Free txs: no deposit in the inbox to pay a fee from.
            .map(|t| TxEffect::new(0, [0; 20], &[Fr::from(number * 10 + t + 1)], &[], None))
            .collect::<Result<Vec<_>, _>>()?;
        let body = BlockBody {
            coinbase: Some([0x11; 20]),
            messages: Vec::new(),
            txs,
        };
        suite
            .propose(&sequencer, &mut state, number, slot, body)
            .await?;
    }
    let last_slot = *slots.last().expect("an epoch has slots");
    let proposal_window = d.parameters.rollup.proposal_window;
    warp(&reader, clock.slot_start(last_slot) + proposal_window).await?;

    // The prover side: embedded follower, broker, in-process agent, monitor.
    let dir = tempfile::tempdir()?;
    let node = Node::start(NodeConfig {
        rpc_url: suite.anvil.endpoint_url(),
        l1_chain_id: None,
        deployment_file: Some(suite.deployment_file()),
        data_dir: dir.path().join("node"),
        rpc_listen: None,
        p2p: None,
        base_fee: 1,
        pool_max_txs: fernet_node::pool::DEFAULT_POOL_MAX_TXS,
        polling_interval: Duration::from_millis(100),
        l1: fernet_l1::L1Options::default(),
    })
    .await?;
    let broker = BrokerServer::start(BrokerConfig {
        port: 0,
        data_dir: dir.path().join("broker"),
        ..BrokerConfig::default()
    })
    .await?;
    let client = broker.client();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let agent = Agent::new(
        client.clone(),
        AgentConfig {
            poll_interval: Duration::from_millis(100),
            ..AgentConfig::default()
        },
        Arc::new(BlockKeys::from_default_cache()),
    );
    let agent = tokio::spawn(agent.run(stopped));

    let sender = l1.tx_sender(prover.clone())?;
    let bond = d.parameters.rollup.minimum_prover_bond.0;
    let metrics = Arc::new(Metrics::default());
    let mut monitor = EpochMonitor::new(MonitorParts {
        view: RollupView::connect(l1).await?,
        quotes: FixedQuoteProvider::new(QuoteTerms {
            basis_point_fee: 300,
            bond_amount: bond,
        }),
        signer: QuoteSigner::new(prover.clone(), l1.chain_id, d.rollup.address),
        delivery: QuoteDelivery::new(node.pool.clone(), node.network.clone()),
        bonds: BondManager::new(
            sender.clone(),
            d.prover_escrow.address,
            d.token.address,
            bond * U256::from(2),
            bond * U256::from(4),
        ),
        submitter: ProofSubmitter::new(d.rollup.address, sender),
        orchestrator: Orchestrator::new(node.chain.clone(), client, prover.address()),
        settings: MonitorSettings {
            prover: prover.address(),
            startup_bond: bond,
            open_proving: false,
            polling_interval: Duration::from_millis(200),
        },
        metrics: metrics.clone(),
    });

    // Speculative proving while the epoch is still running (L1 time stands still: no blocks).
    let blocks = slots.len() as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1_800);
    while metrics
        .counter("prover_node_block_proofs_received_total")
        .unwrap_or_default()
        < blocks
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "proofs never arrived"
        );
        monitor.tick().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        metrics.counter("prover_node_jobs_enqueued_total"),
        Some(blocks)
    );
    assert_eq!(metrics.counter("prover_node_quotes_sent_total"), Some(0));

    // The epoch ends: inside its claim window the monitor quotes, once.
    let claim_slot = clock.epoch_first_slot(epoch + 1);
    warp(&reader, clock.slot_start(claim_slot) + 1).await?;
    monitor.tick().await?;
    let pooled = node.pool.quotes(epoch);
    assert_eq!(pooled.len(), 1, "one quote in the embedded node's pool");
    let quote = pooled[0].clone();
    assert_eq!(quote.quote.epoch_to_prove, epoch);
    assert_eq!(quote.quote.prover, prover.address());
    assert_eq!(quote.quote.basis_point_fee, 300);
    assert_eq!(
        quote.quote.valid_until_slot,
        claim_slot + d.parameters.rollup.claim_window_slots - 1
    );
    monitor.tick().await?;
    assert_eq!(
        metrics.counter("prover_node_quotes_sent_total"),
        Some(1),
        "quoted twice"
    );
    let escrow = fernet_bindings::ProverEscrow::new(d.prover_escrow.address, reader.clone());
    assert_eq!(
        escrow.freeBalanceOf(prover.address()).call().await?,
        bond * U256::from(4)
    );

    // The sequencer claims it; the monitor sees its claim and submits the proof.
    IRollup::new(d.rollup.address, seq_provider)
        .claimEpochProofRight(quote.to_sol())
        .send()
        .await?
        .get_receipt()
        .await?;
    let view = RollupView::connect(l1).await?;
    assert!(
        matches!(view.claim(epoch).await?, Claim::Claimed { prover: p, .. } if p == prover.address())
    );
    monitor.tick().await?;
    assert_eq!(metrics.counter("prover_node_epochs_claimed_total"), Some(1));
    assert_eq!(
        metrics.counter("prover_node_epoch_proofs_submitted_total"),
        Some(1)
    );
    let reader_rollup = IRollup::new(d.rollup.address, reader.clone());
    assert_eq!(reader_rollup.provenTip().call().await?, U256::from(blocks));
    assert_eq!(view.claim(epoch).await?, Claim::Settled);
    assert_eq!(
        escrow.freeBalanceOf(prover.address()).call().await?,
        bond * U256::from(4),
        "the bond is released"
    );
    // Nothing left to do: no second submission.
    monitor.tick().await?;
    assert_eq!(
        metrics.counter("prover_node_epoch_proofs_submitted_total"),
        Some(1)
    );
    assert_eq!(metrics.counter("prover_node_failures_total"), Some(0));

    stop.send(true)?;
    agent.await??;
    broker.shutdown().await?;
    node.shutdown().await?;
    Ok(())
}
