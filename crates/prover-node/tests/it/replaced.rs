//! The claim auction from the prover's side, on anvil: a prover node proving its claimed epoch
//! stops (no more witnesses read, no job) once a cheaper quote of another prover replaces its
//! claim, and its bond is free again. No proof is made: the witness source only counts calls.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use alloy::{primitives::U256, signers::local::PrivateKeySigner};
use fernet_bindings::{DevnetToken, IRollup, ProverEscrow};
use fernet_broker_api::BrokerClient;
use fernet_primitives::quote::Quote;
use fernet_prover_node::{
    bond::BondManager,
    delivery::QuoteDelivery,
    l1::RollupView,
    metrics::Metrics,
    monitor::{EpochMonitor, MonitorParts, MonitorSettings},
    orchestrator::{Orchestrator, WitnessSource},
    quote::QuoteSigner,
    quote_provider::{FixedQuoteProvider, QuoteTerms},
    submit::ProofSubmitter,
    Error,
};
use fernet_state::{BlockBody, BlockWitness, Fr, TxEffect, WorldState};

use crate::{warp, Suite};

/// Anvil's third key: the prover whose cheaper quote replaces the claim.
const CHEAPER_PROVER_KEY: &str =
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

/// Counts the witnesses the orchestrator asks for, and has none (so no job is ever enqueued):
/// while the monitor proves an epoch, every tick asks again.
#[derive(Debug, Clone, Default)]
struct CountingWitnesses(Arc<AtomicUsize>);

impl WitnessSource for CountingWitnesses {
    fn witness(&self, number: u64) -> fernet_prover_node::Result<BlockWitness> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(Error::Witness {
            block: number,
            source: Box::new(fernet_node::Error::NoSuchBlock { number, tip: 0 }),
        })
    }

    fn chunk_witnesses(
        &self,
        number: u64,
        _chunk_txs: usize,
    ) -> fernet_prover_node::Result<Vec<BlockWitness>> {
        self.witness(number).map(|witness| vec![witness])
    }
}

/// Funds `prover` and deposits `amount` into its escrow.
async fn deposit(suite: &Suite, prover: &PrivateKeySigner, amount: U256) -> eyre::Result<()> {
    let d = &suite.l1.deployment;
    suite.fund(prover.address(), amount).await?;
    let wallet = suite.l1.signing_provider(prover.clone());
    DevnetToken::new(d.token.address, wallet.clone())
        .approve(d.prover_escrow.address, amount)
        .send()
        .await?
        .get_receipt()
        .await?;
    let receipt = ProverEscrow::new(d.prover_escrow.address, wallet)
        .deposit(prover.address(), amount)
        .send()
        .await?
        .get_receipt()
        .await?;
    eyre::ensure!(receipt.status(), "deposit reverted");
    Ok(())
}

#[tokio::test]
async fn a_prover_whose_claim_is_replaced_stops_proving_the_epoch() -> eyre::Result<()> {
    let suite = Suite::deploy().await?;
    let l1 = &suite.l1;
    let d = &l1.deployment;
    let clock = l1.clock;
    let reader = l1.provider.clone();
    let bond = d.parameters.rollup.minimum_prover_bond.0;
    let (prover, cheaper): (PrivateKeySigner, PrivateKeySigner) =
        (suite.prover(), CHEAPER_PROVER_KEY.parse()?);
    deposit(&suite, &prover, bond).await?;
    deposit(&suite, &cheaper, bond).await?;

    // The deployer registers as the sequencer and proposes one block in its first epoch.
    let (sequencer, epoch) = suite.register_sequencer().await?;
    let slot = clock.epoch_first_slot(epoch);
    // A free tx (no deposit in the inbox to pay a fee from).
    let body = BlockBody {
        coinbase: None,
        messages: Vec::new(),
        txs: vec![TxEffect::new(0, [0; 20], &[Fr::from(7u64)], &[], None)?],
    };
    let mut state = WorldState::new(d.state_config)?;
    suite.propose(&sequencer, &mut state, 1, slot, body).await?;
    let rollup = IRollup::new(d.rollup.address, l1.signing_provider(sequencer.clone()));

    // The claim window of `epoch` opens; the sequencer claims `prover`'s quote at 3 %.
    let claim_slot = clock.epoch_first_slot(epoch + 1);
    warp(&reader, clock.slot_start(claim_slot) + 1).await?;
    let quote = |fee: u32, key: &PrivateKeySigner| {
        Quote {
            prover: key.address(),
            epoch_to_prove: epoch,
            valid_until_slot: claim_slot,
            bond_amount: bond,
            rollup_address: d.rollup.address,
            basis_point_fee: fee,
        }
        .sign(key, l1.chain_id)
    };
    rollup
        .claimEpochProofRight(quote(300, &prover)?.to_sol())
        .send()
        .await?
        .get_receipt()
        .await?;

    let witnesses = CountingWitnesses::default();
    let metrics = Arc::new(Metrics::default());
    let sender = l1.tx_sender(prover.clone())?;
    let mut monitor = EpochMonitor::new(MonitorParts {
        view: RollupView::connect(l1).await?,
        quotes: FixedQuoteProvider::new(QuoteTerms {
            basis_point_fee: 300,
            bond_amount: bond,
        }),
        signer: QuoteSigner::new(prover.clone(), l1.chain_id, d.rollup.address),
        delivery: QuoteDelivery::none(),
        bonds: BondManager::new(
            sender.clone(),
            d.prover_escrow.address,
            d.token.address,
            bond,
            bond,
        ),
        submitter: ProofSubmitter::new(d.rollup.address, sender),
        // Never called: no witness, no job.
        orchestrator: Orchestrator::new(
            witnesses.clone(),
            BrokerClient::new("http://127.0.0.1:1", "unused-token-0123456789"),
            prover.address(),
        ),
        settings: MonitorSettings {
            prover: prover.address(),
            startup_bond: bond,
            open_proving: false,
            polling_interval: Duration::from_millis(100),
        },
        metrics: metrics.clone(),
    });
    monitor.tick().await?;
    monitor.tick().await?;
    assert_eq!(metrics.counter("prover_node_epochs_claimed_total"), Some(1));
    let asked = witnesses.0.load(Ordering::SeqCst);
    assert!(
        asked >= 2,
        "the claimed epoch is being proven ({asked} witness reads)"
    );

    // A strictly cheaper quote of another prover replaces the claim; the old bond is released.
    rollup
        .claimEpochProofRight(quote(200, &cheaper)?.to_sol())
        .send()
        .await?
        .get_receipt()
        .await?;
    let claim = IRollup::new(d.rollup.address, reader.clone())
        .claimOf(U256::from(epoch))
        .call()
        .await?;
    assert_eq!(
        (claim.prover, claim.basisPointFee),
        (cheaper.address(), 200)
    );
    let escrow = ProverEscrow::new(d.prover_escrow.address, reader);
    assert_eq!(escrow.freeBalanceOf(prover.address()).call().await?, bond);

    for _ in 0..3 {
        monitor.tick().await?;
    }
    assert_eq!(
        metrics.counter("prover_node_claims_replaced_total"),
        Some(1)
    );
    assert_eq!(
        witnesses.0.load(Ordering::SeqCst),
        asked,
        "the replaced prover went on proving the epoch"
    );
    assert_eq!(
        metrics.counter("prover_node_epoch_proofs_submitted_total"),
        Some(0)
    );
    Ok(())
}
