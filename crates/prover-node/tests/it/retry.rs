//! The orchestrator over a real broker (no L1 needed): a block job whose attempts are used up
//! is queued again with a new generation of attempts and proven, so its epoch can be submitted.

use std::sync::Arc;

use alloy::primitives::Address;
use fernet_broker::{testing::TestKeys, BrokerConfig, BrokerServer, JobPolicy};
use fernet_broker_api::{JobId, JobStatus};
use fernet_prover_node::{
    orchestrator::{commitment_of, Orchestrator, ProvableBlock, WitnessSource},
    Error, Result,
};
use fernet_state::{
    apply_block, Block, BlockBody, BlockWitness, StateConfig, TxEffect, WorldState,
};

/// The prover of this test.
const PROVER: Address = Address::repeat_byte(0x77);

/// Witnesses of a one-block chain.
struct Witnesses(Vec<BlockWitness>);

impl WitnessSource for Witnesses {
    fn witness(&self, number: u64) -> Result<BlockWitness> {
        Ok(self.0[number as usize - 1].clone())
    }

    /// This test proves whole blocks only: the block's one witness.
    fn chunk_witnesses(&self, number: u64, _chunk_txs: usize) -> Result<Vec<BlockWitness>> {
        self.witness(number).map(|witness| vec![witness])
    }
}

/// Attack (issue 12, proof integrity): a job that used up its attempts could never be retried,
/// so a claimed epoch became unprovable and its prover lost the bond.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_failed_for_good_is_retried_and_proven() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let keys = Arc::new(TestKeys::new());
    let broker = BrokerServer::start(BrokerConfig {
        port: 0,
        data_dir: dir.path().to_path_buf(),
        policy: JobPolicy {
            max_attempts: 1,
            ..JobPolicy::default()
        },
        keys: keys.clone(),
        ..BrokerConfig::default()
    })
    .await?;
    let client = broker.client();

    let mut state = WorldState::new(StateConfig::devnet())?;
    let tx = TxEffect::new(0, [0; 20], &[fernet_state::Fr::from(5u64)], &[], None)?;
    let block = Block {
        number: 1,
        slot: 3,
        body: BlockBody {
            coinbase: None,
            messages: Vec::new(),
            txs: vec![tx],
        },
    };
    let witness = apply_block(&mut state, &block)?;
    let blocks = [ProvableBlock {
        number: 1,
        slot: 3,
        commitment: commitment_of(&witness.public_inputs.committed_u256_be_words()),
    }];
    let mut orchestrator = Orchestrator::new(Witnesses(vec![witness]), client.clone(), PROVER);
    assert_eq!(orchestrator.advance(1, &blocks).await?.newly_enqueued, 1);

    // The only attempt fails: the job is failed for good.
    let taken = client
        .take_job("agent", None)
        .await?
        .expect("the job is queued");
    client.fail_job("agent", taken.id, "prover crashed").await?;
    let failed = client.get_job(taken.id).await?.expect("known");
    assert_eq!(failed.status, JobStatus::Failed);

    // The orchestrator reports it and starts a new generation of attempts.
    let status = orchestrator.advance(1, &blocks).await?;
    assert!(
        matches!(&status.problems[..], [Error::JobFailed { block: 1, reason, .. }] if reason.contains("prover crashed")),
        "{:?}",
        status.problems
    );
    assert_eq!((status.retried, status.proven), (1, 0));
    let retried = client.get_job(taken.id).await?.expect("known");
    assert_eq!(
        (retried.status, retried.attempts, retried.generation),
        (JobStatus::Queued, 0, 1)
    );

    // An agent proves it this time; the epoch proof is ready.
    let again = client.take_job("agent", None).await?.expect("queued again");
    assert_eq!(again.id, taken.id);
    client
        .complete_job("agent", again.id, keys.result(&again.input, 1))
        .await?;
    let status = orchestrator.advance(1, &blocks).await?;
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    assert_eq!(status.proven, 1);
    let proof = orchestrator
        .epoch_proof(1, &blocks)
        .expect("every block proven");
    assert_eq!((proof.first_block, proof.last_block), (1, 1));
    assert_eq!(
        JobId::compute(fernet_broker_api::JobKind::Block, &again.input),
        taken.id
    );
    broker.shutdown().await?;
    Ok(())
}
