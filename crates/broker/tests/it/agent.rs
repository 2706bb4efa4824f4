//! A real agent, in-process, proving a real devnet block job and a chunk job end to end with
//! the cached devnet keys, verified by the broker with the same keys; an agent stopped
//! mid-proof handing its job back; a witness of a configuration the agent has no keys for
//! failing its job; and the check of the agent's keys against the deployed verifiers' hashes.

use std::{sync::Arc, time::Duration};

use fernet_broker::{Agent, AgentConfig, BlockKeys, DeployedVerifiers, Error};
use fernet_broker_api::{hex, JobKind, JobStatus};
use fernet_circuits::{
    block::{
        prover::{default_key_cache_dir, verify_block, BlockKeySource},
        sizing::{full_block_chunks, full_block_witness},
    },
    keys::KeyCache,
    proof_system::evm::{proof_from_bytes, verifying_key_hash},
};
use fernet_primitives::CircuitKeys;
use fernet_state::{fr_from_be_bytes, StateConfig, COMMITTED_PUBLIC_INPUTS, NUM_PUBLIC_INPUTS};
use tokio::sync::watch;

use crate::support::{policy, start_broker, wait_until, TestStore, PAYEE};

/// The cached devnet keys, for the devnet configuration only.
fn devnet_keys() -> BlockKeys {
    BlockKeys::new(
        BlockKeySource::InsecureDevnet(KeyCache::new(default_key_cache_dir())),
        vec![StateConfig::devnet()],
    )
}

/// Attack (issue 12, proof integrity): an agent whose keys differ from the deployed
/// verifier's proved jobs whose proofs L1 refuses, wasting the epoch. Its keys are now checked
/// against the deployment's `verificationKeyHash` before it starts, naming both hashes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_with_other_keys_than_the_verifier_refuses_to_start() {
    let devnet = StateConfig::devnet();
    let (deployed, deployed_chunk) = tokio::task::spawn_blocking(move || {
        let keys = devnet_keys();
        let hash = |txs| verifying_key_hash(&keys.get(&devnet, txs).unwrap().verifying_key);
        (
            hash(devnet.max_txs_per_block),
            hash(devnet.chunk_txs().unwrap()),
        )
    })
    .await
    .unwrap();
    let other = [0x42; 32];
    let verifiers = |config, block, chunk| DeployedVerifiers {
        circuit_keys: Some(CircuitKeys::InsecureDevnet),
        config,
        block,
        chunk: Some(chunk),
    };
    for config in [Some(devnet), None] {
        let error = tokio::task::spawn_blocking(move || {
            devnet_keys().for_verifier(verifiers(config, other, deployed_chunk))
        })
        .await
        .unwrap()
        .unwrap_err();
        assert!(
            matches!(&error, Error::VerifyingKeyMismatch { expected, actual, .. }
                if *expected == hex::encode(&other) && *actual == hex::encode(&deployed)),
            "{error}"
        );
        assert!(error.to_string().contains("verificationKeyHash"), "{error}");
    }
    for config in [Some(devnet), None] {
        let keys = tokio::task::spawn_blocking(move || {
            devnet_keys().for_verifier(verifiers(config, deployed, deployed_chunk))
        })
        .await
        .unwrap()
        .unwrap();
        let other_config = StateConfig {
            note_tree_depth: 18,
            ..devnet
        };
        assert!(matches!(
            keys.get(&other_config, other_config.max_txs_per_block),
            Err(Error::UnsupportedConfig { .. })
        ));
        // A chunk size the deployment has no verifier for.
        assert!(matches!(
            keys.get(&devnet, 1),
            Err(Error::UnsupportedConfig { txs: 1, .. })
        ));
        assert!(keys.get(&devnet, devnet.chunk_txs().unwrap()).is_ok());
    }
    // Chunk keys are checked when first loaded: another chunk verifier refuses them.
    let keys = tokio::task::spawn_blocking(move || {
        devnet_keys().for_verifier(verifiers(Some(devnet), deployed, other))
    })
    .await
    .unwrap()
    .unwrap();
    let error = tokio::task::spawn_blocking(move || keys.get(&devnet, 2).map(|_| ()))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::VerifyingKeyMismatch {
                txs: 2,
                verifier: "chunkVerificationKeyHash",
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_proves_a_devnet_block_job_that_verifies() {
    let store = TestStore::embedded();
    let keys = Arc::new(devnet_keys());
    // The broker checks every result against the same (real) keys.
    let server = start_broker(&store, policy(10_000, 2), keys.clone()).await;
    let client = server.client();
    let witness = full_block_witness(StateConfig::devnet())
        .unwrap()
        .with_payee(PAYEE);
    let expected_inputs = witness.public_inputs.to_field_elements();
    let job = client
        .enqueue_job(JobKind::Block, 1, &witness.to_bytes())
        .await
        .unwrap();
    // The block's first chunk, proven with the chunk keys.
    let chunk_witness = full_block_chunks(StateConfig::devnet(), 2)
        .unwrap()
        .remove(0)
        .with_payee(PAYEE);
    let chunk_inputs = chunk_witness.public_inputs.to_field_elements();
    let chunk_job = client
        .enqueue_job(JobKind::Block, 1, &chunk_witness.to_bytes())
        .await
        .unwrap();
    // A witness of another configuration: refused without a setup, failed after 2 attempts.
    let other_config = StateConfig {
        note_tree_depth: 18,
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
    wait_until("the agent takes the job", Duration::from_secs(60), || {
        let client = client.clone();
        async move { client.get_job(job.id).await.unwrap().unwrap().status == JobStatus::Proving }
    })
    .await;
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
    let pair = keys.get(&StateConfig::devnet(), 4).unwrap();
    assert!(verify_block(&pair.verifying_key, &inputs, &proof).unwrap());
    // The agent proved for the job's payee, and the proof pays nobody else.
    let mut other_payee = inputs;
    other_payee[COMMITTED_PUBLIC_INPUTS] += ark_bn254::Fr::from(1u64);
    assert!(!verify_block(&pair.verifying_key, &other_payee, &proof).unwrap());

    let chunk = tokio::time::timeout(
        Duration::from_secs(240),
        client.wait_for_job(chunk_job.id, Duration::from_millis(200)),
    )
    .await
    .expect("the chunk proven within 4 minutes")
    .unwrap();
    assert_eq!(chunk.status, JobStatus::Proven, "{chunk:?}");
    let result = chunk.block_result().unwrap().unwrap();
    let proof = proof_from_bytes(&result.proof).unwrap();
    let chunk_keys = keys.get(&StateConfig::devnet(), 2).unwrap();
    assert!(verify_block(&chunk_keys.verifying_key, &chunk_inputs, &proof).unwrap());
    assert!(!verify_block(&pair.verifying_key, &chunk_inputs, &proof).unwrap());

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
