//! The real `fernet-broker` binary killed with SIGKILL in the middle of its work and restarted
//! on the same data directory: no acknowledged job is lost, a result is kept, and a lease that
//! ran out while it was down sends its job back to the queue.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use fernet_broker_api::{BrokerClient, JobId, JobKind, JobStatus};

use crate::support::{fake_result, witness};

/// A `fernet-broker` process and its URL.
struct BrokerProcess {
    child: Child,
    url: String,
}

impl BrokerProcess {
    /// Starts the binary on a free port over `dir`; waits for its "listening" line.
    fn start(dir: &Path, job_timeout_ms: u64) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fernet-broker"))
            .args(["--port", "0", "--data-dir"])
            .arg(dir)
            .args(["--job-timeout-ms", &job_timeout_ms.to_string()])
            .env("NO_COLOR", "1")
            .env("LOG_LEVEL", "info")
            .env_remove("LOG_JSON")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (address, received) = mpsc::channel();
        // Reads the log to the end, so the pipe never fills up.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("broker listening on ").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = address.send(addr);
                }
            }
        });
        let addr = received
            .recv_timeout(Duration::from_secs(20))
            .expect("fernet-broker logs its address");
        Self {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// SIGKILL, and reap.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_job_and_keeps_results() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<Vec<u8>> = (0..4).map(|seed| witness(seed).to_bytes()).collect();
    const TIMEOUT_MS: u64 = 3_000;

    let broker = BrokerProcess::start(dir.path(), TIMEOUT_MS);
    let client = BrokerClient::new(broker.url.clone());
    for (epoch, input) in inputs.iter().enumerate() {
        client
            .enqueue_job(JobKind::Block, epoch as u64, input)
            .await
            .unwrap();
    }
    let proven = client.take_job("a", None).await.unwrap().unwrap();
    client
        .complete_job("a", proven.id, fake_result(0))
        .await
        .unwrap();
    let leased = client.take_job("a", None).await.unwrap().unwrap();
    let leased_at = Instant::now();

    // Keep enqueueing until the broker is killed: every acknowledged job must survive.
    let enqueuer = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for seed in 100.. {
                let input = witness(seed).to_bytes();
                match client.enqueue_job(JobKind::Block, 9, &input).await {
                    Ok(answer) => acknowledged.push(answer.id),
                    Err(_) => break,
                }
            }
            acknowledged
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    broker.kill_9();
    let acknowledged = enqueuer.await.unwrap();
    assert!(
        !acknowledged.is_empty(),
        "the kill came after some enqueues"
    );

    let broker = BrokerProcess::start(dir.path(), TIMEOUT_MS);
    let client = BrokerClient::new(broker.url.clone());
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
    assert_eq!(view.result, Some(fake_result(0)));
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
