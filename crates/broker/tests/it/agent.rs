//! A real agent, in-process, proving a real devnet block job end to end with the cached devnet
//! keys; an agent stopped mid-proof handing its job back; and a witness of a configuration the
//! agent has no keys for failing its job.

use std::{sync::Arc, time::Duration};

use fernet_broker::{Agent, AgentConfig, BlockKeys};
use fernet_broker_api::{BrokerClient, JobKind, JobStatus};
use fernet_circuits::{
    block::{
        prover::{default_key_cache_dir, verify_block},
        sizing::full_block_witness,
    },
    keys::KeyCache,
    proof_system::evm::proof_from_bytes,
};
use fernet_state::{fr_from_be_bytes, StateConfig, COMMITTED_PUBLIC_INPUTS, NUM_PUBLIC_INPUTS};
use tokio::sync::watch;

use crate::support::{policy, start_broker, PAYEE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_proves_a_devnet_block_job_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_broker(dir.path(), policy(10_000, 2)).await;
    let client = BrokerClient::new(server.url());
    let keys = Arc::new(BlockKeys::new(
        KeyCache::new(default_key_cache_dir()),
        vec![StateConfig::devnet()],
    ));
    let witness = full_block_witness(StateConfig::devnet())
        .unwrap()
        .with_payee(PAYEE);
    let expected_inputs = witness.public_inputs.to_field_elements();
    let job = client
        .enqueue_job(JobKind::Block, 1, &witness.to_bytes())
        .await
        .unwrap();
    // A witness of another configuration: refused without a setup, failed after 2 attempts.
    let other_config = StateConfig {
        note_tree_depth: 17,
        ..StateConfig::devnet()
    };
    let unsupported = client
        .enqueue_job(
            JobKind::Block,
            2,
            &full_block_witness(other_config)
                .unwrap()
                .with_payee(PAYEE)
                .to_bytes(),
        )
        .await
        .unwrap();

    let config = AgentConfig {
        agent_id: "test-agent".into(),
        concurrency: 1,
        poll_interval: Duration::from_millis(50),
        kinds: vec![JobKind::Block],
    };
    let start_agent = || {
        let (stop, shutdown) = watch::channel(false);
        let agent = Agent::new(client.clone(), config.clone(), Arc::clone(&keys));
        (stop, tokio::spawn(agent.run(shutdown)))
    };

    // Stopped while proving: the job goes back to the queue at once.
    let (stop, agent) = start_agent();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while client.get_job(job.id).await.unwrap().unwrap().status != JobStatus::Proving {
        assert!(tokio::time::Instant::now() < deadline, "never taken");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    agent.await.unwrap().unwrap();
    let handed_back = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (handed_back.status, handed_back.attempts),
        (JobStatus::Queued, 1)
    );
    // Whether the stop came before or during the proof, the job is handed back.
    let error = handed_back.error.unwrap_or_default();
    assert!(
        error.starts_with("agent test-agent: agent shutting down"),
        "{error}"
    );

    let (stop, agent) = start_agent();

    let proven = tokio::time::timeout(
        Duration::from_secs(240),
        client.wait_for_job(job.id, Duration::from_millis(200)),
    )
    .await
    .expect("proven within 4 minutes")
    .unwrap();
    assert_eq!(proven.status, JobStatus::Proven, "{proven:?}");
    let result = proven.block_result().unwrap().unwrap();
    let inputs: [ark_bn254::Fr; NUM_PUBLIC_INPUTS] = result
        .public_inputs
        .iter()
        .map(|word| fr_from_be_bytes(word).unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let proof = proof_from_bytes(&result.proof).unwrap();
    assert_eq!(inputs, expected_inputs);
    let pair = keys.get(&StateConfig::devnet()).unwrap();
    assert!(verify_block(&pair.verifying_key, &inputs, &proof).unwrap());
    // The agent proved for the job's payee, and the proof pays nobody else.
    let mut other_payee = inputs;
    other_payee[COMMITTED_PUBLIC_INPUTS] += ark_bn254::Fr::from(1u64);
    assert!(!verify_block(&pair.verifying_key, &other_payee, &proof).unwrap());

    let failed = tokio::time::timeout(
        Duration::from_secs(30),
        client.wait_for_job(unsupported.id, Duration::from_millis(100)),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(
        failed
            .error
            .as_deref()
            .unwrap()
            .contains("no keys for state configuration"),
        "{failed:?}"
    );

    stop.send(true).unwrap();
    agent.await.unwrap().unwrap();
    server.shutdown().await.unwrap();
}
