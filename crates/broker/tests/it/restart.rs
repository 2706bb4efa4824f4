//! The real `fernet-broker` binary: it refuses to start without a bearer token; killed with
//! SIGKILL in the middle of its work and restarted on the same store (data directory, or
//! PostgreSQL database), no acknowledged job is lost, a result is kept, and a lease that ran out
//! while it was down sends its job back to the queue.

use std::{
    process::Command,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use fernet_broker::testing::TestKeys;
use fernet_broker_api::{BrokerClient, JobId, JobKind, JobStatus};
use fernet_state::StateConfig;

use crate::support::{wait_until, witness, BrokerProcess, TestStore, TOKEN};

#[test]
fn refuses_to_start_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_fernet-broker"))
        .args(["--port", "0", "--data-dir"])
        .arg(dir.path())
        .env_remove("BROKER_AUTH_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BROKER_AUTH_TOKEN (--auth-token) is required"),
        "{stderr}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_fernet-broker"))
        .args(["--port", "0", "--data-dir"])
        .arg(dir.path())
        .env("BROKER_AUTH_TOKEN", "short")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 16 are required"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_job_and_keeps_results() {
    kill_9_loses_nothing(TestStore::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_job_and_keeps_results_on_postgres() {
    kill_9_loses_nothing(TestStore::postgres()).await;
}

async fn kill_9_loses_nothing(store: TestStore) {
    // The broker verifies results: it gets the test circuit's keys as the devnet keys.
    let key_cache = tempfile::tempdir().unwrap();
    let keys = TestKeys::new();
    keys.write_cache(key_cache.path(), StateConfig::devnet());
    let inputs: Vec<Vec<u8>> = (0..4).map(|seed| witness(seed).to_bytes()).collect();
    const TIMEOUT_MS: u64 = 3_000;

    let broker = BrokerProcess::start(&store, key_cache.path(), TIMEOUT_MS);
    let client = BrokerClient::new(broker.url.clone(), TOKEN);
    for (epoch, input) in inputs.iter().enumerate() {
        client
            .enqueue_job(JobKind::Block, epoch as u64, input)
            .await
            .unwrap();
    }
    let proven = client.take_job("a", None).await.unwrap().unwrap();
    let result = keys.result(&inputs[0], 0);
    client
        .complete_job("a", proven.id, result.clone())
        .await
        .unwrap();
    let leased = client.take_job("a", None).await.unwrap().unwrap();
    let leased_at = Instant::now();

    // Keep enqueueing until the broker is killed: every acknowledged job must survive.
    let count = Arc::new(AtomicUsize::new(0));
    let enqueuer = {
        let client = client.clone();
        let count = Arc::clone(&count);
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for seed in 100.. {
                let input = witness(seed).to_bytes();
                match client.enqueue_job(JobKind::Block, 9, &input).await {
                    Ok(answer) => {
                        acknowledged.push(answer.id);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            }
            acknowledged
        })
    };
    // Kill it mid-stream: once a few enqueues were acknowledged (more keep coming).
    wait_until("3 enqueues acknowledged", Duration::from_secs(30), || {
        let count = Arc::clone(&count);
        async move { count.load(Ordering::SeqCst) >= 3 }
    })
    .await;
    broker.kill_9();
    let acknowledged = enqueuer.await.unwrap();
    assert!(
        !acknowledged.is_empty(),
        "the kill came after some enqueues"
    );

    let broker = BrokerProcess::start(&store, key_cache.path(), TIMEOUT_MS);
    let client = BrokerClient::new(broker.url.clone(), TOKEN);
    let mut expected: Vec<JobId> = inputs
        .iter()
        .map(|input| JobId::compute(JobKind::Block, input))
        .collect();
    expected.extend(&acknowledged);
    for id in &expected {
        assert!(
            client.get_job(*id).await.unwrap().is_some(),
            "job {id} lost ({} acknowledged during the kill)",
            acknowledged.len()
        );
    }
    let view = client.get_job(proven.id).await.unwrap().unwrap();
    assert_eq!(view.status, JobStatus::Proven);
    assert_eq!(view.result, Some(result));
    // Re-enqueueing a proven job returns it as it is.
    let again = client
        .enqueue_job(JobKind::Block, 0, &inputs[0])
        .await
        .unwrap();
    assert_eq!(again.status, JobStatus::Proven);

    // The lease taken before the kill is still held, then runs out without a heartbeat.
    let view = client.get_job(leased.id).await.unwrap().unwrap();
    assert_eq!(
        view.status,
        JobStatus::Proving,
        "lease of {TIMEOUT_MS} ms still running"
    );
    let deadline = leased_at + Duration::from_millis(TIMEOUT_MS + 2_000);
    let view = loop {
        let view = client.get_job(leased.id).await.unwrap().unwrap();
        if view.status != JobStatus::Proving || Instant::now() > deadline {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (view.status, view.attempts),
        (JobStatus::Queued, 1),
        "{view:?}"
    );
    assert!(view.error.unwrap().contains("lease of agent a expired"));
    let next = client.take_job("b", None).await.unwrap().unwrap();
    assert_eq!(next.id, leased.id, "epoch 1 is the lowest queued epoch");
    broker.kill_9();
}
