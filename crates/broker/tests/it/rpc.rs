//! The JSON-RPC server over HTTP: the full job cycle through `BrokerClient`, clear errors for
//! bad requests after which the server still answers, bearer-token authentication, and forged
//! results refused.

use std::sync::Arc;

use fernet_broker::{rpc::MAX_BATCH_LEN, testing::TestKeys, JobPolicy};
use fernet_broker_api::{BrokerClient, ClientError, JobId, JobKind, JobStatus};
use fernet_rpc::codes::{
    INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, REJECTED, UNAUTHORIZED,
};
use serde_json::json;

use crate::support::{
    fake_result, policy, post_raw, post_with, rpc_error, start_broker, witness, TestStore, TOKEN,
};

#[tokio::test]
async fn a_job_goes_through_its_life_over_json_rpc() {
    a_job_goes_through_its_life(TestStore::embedded()).await;
}

#[tokio::test]
async fn a_job_goes_through_its_life_over_json_rpc_on_postgres() {
    a_job_goes_through_its_life(TestStore::postgres()).await;
}

async fn a_job_goes_through_its_life(store: TestStore) {
    let keys = Arc::new(TestKeys::new());
    let server = start_broker(&store, policy(60_000, 3), keys.clone()).await;
    let client = BrokerClient::new(server.url(), TOKEN);
    let input = witness(1).to_bytes();

    let enqueued = client.enqueue_job(JobKind::Block, 4, &input).await.unwrap();
    assert_eq!(enqueued.id, JobId::compute(JobKind::Block, &input));
    assert_eq!(enqueued.status, JobStatus::Queued);
    assert_eq!(
        client.enqueue_job(JobKind::Block, 4, &input).await.unwrap(),
        enqueued
    );

    let job = client.take_job("agent-1", None).await.unwrap().unwrap();
    assert_eq!((job.id, job.epoch, job.lease_ms), (enqueued.id, 4, 60_000));
    assert_eq!(job.input, input);
    assert!(client.take_job("agent-2", None).await.unwrap().is_none());
    assert_eq!(
        client.heartbeat("agent-1", job.id).await.unwrap().lease_ms,
        60_000
    );
    let lost = client.heartbeat("agent-2", job.id).await.unwrap_err();
    assert!(
        matches!(&lost, ClientError::Rpc { source, .. } if source.code() == REJECTED && source.message().contains("leased to agent agent-1")),
        "{lost}"
    );

    client
        .complete_job("agent-1", job.id, keys.result(&input, 1))
        .await
        .unwrap();
    let view = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (view.status, view.attempts, view.epoch),
        (JobStatus::Proven, 1, 4)
    );
    let result = view.block_result().unwrap().unwrap();
    assert_eq!(result.proof.len(), 256);
    assert_eq!(
        result.public_inputs,
        witness(1).public_inputs.to_u256_be_words().to_vec()
    );
    assert!(client.get_job(JobId([9; 32])).await.unwrap().is_none());

    // A second job fails for good (max attempts 3 not reached yet: it is queued again).
    let other = client
        .enqueue_job(JobKind::Block, 4, &witness(2).to_bytes())
        .await
        .unwrap();
    client
        .take_job("agent-1", Some(&[JobKind::Block]))
        .await
        .unwrap()
        .unwrap();
    client.fail_job("agent-1", other.id, "boom").await.unwrap();
    let view = client.get_job(other.id).await.unwrap().unwrap();
    assert_eq!(view.status, JobStatus::Queued);
    assert_eq!(view.error.as_deref(), Some("agent agent-1: boom"));
    // Retrying a job that has not failed leaves it as it is.
    let same = client.retry_job(other.id).await.unwrap();
    assert_eq!((same.status, same.generation), (JobStatus::Queued, 0));

    let metrics = reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "prover_broker_jobs{status=\"proven\"} 1",
        "prover_broker_jobs{status=\"queued\"} 1",
        "prover_broker_jobs_enqueued_total 2",
        "prover_broker_jobs_taken_total 2",
        "prover_broker_jobs_completed_total 1",
        "prover_broker_job_attempts_failed_total 1",
        "prover_broker_job_proving_seconds_count 1",
        "prover_broker_agents_active 2",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line} in\n{metrics}"
        );
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_the_server_keeps_answering() {
    let store = TestStore::embedded();
    let policy = JobPolicy {
        max_input_bytes: 40_000, // above a devnet block witness (26.5 kB with the fee witnesses)
        ..policy(60_000, 3)
    };
    let server = start_broker(&store, policy, Arc::new(TestKeys::new())).await;
    let url = server.url();
    let input = format!("0x{}", hex::encode(witness(1).to_bytes()));

    let (status, answer) = post_raw(&url, "{not json").await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], PARSE_ERROR, "{answer}");
    // A batch of two non-requests: one -32600 for each.
    let (_, answer) = post_raw(&url, "[1, 2]").await;
    assert_eq!(answer[0]["error"]["code"], INVALID_REQUEST, "{answer}");
    assert_eq!(answer[1]["error"]["code"], INVALID_REQUEST, "{answer}");
    // A batch over the limit is refused whole.
    let one = json!({ "jsonrpc": "2.0", "id": 1, "method": "broker_getJob", "params": {} });
    let too_many = vec![one; MAX_BATCH_LEN as usize + 1];
    let (_, answer) = post_raw(&url, serde_json::to_string(&too_many).unwrap()).await;
    assert_eq!(answer["error"]["code"], -32010, "{answer}");
    let (_, answer) = post_raw(&url, r#"{"jsonrpc":"2.0","id":1,"method":5}"#).await;
    assert_eq!(answer["error"]["code"], INVALID_REQUEST, "{answer}");

    let (code, message) = rpc_error(&url, "broker_nope", json!({})).await;
    assert_eq!(
        (code, message.as_str()),
        (METHOD_NOT_FOUND, "unknown method \"broker_nope\"")
    );

    let cases = [
        (
            "broker_enqueueJob",
            json!("x"),
            "params: expected an object, got \"x\"",
        ),
        (
            "broker_enqueueJob",
            json!({ "kind": "block", "input": input }),
            "epoch: missing",
        ),
        (
            "broker_enqueueJob",
            json!({ "kind": "block", "epoch": "3", "input": input }),
            "epoch: invalid type: string \"3\", expected u64 (got \"3\")",
        ),
        (
            "broker_enqueueJob",
            json!({ "kind": "block", "epoch": -1, "input": input }),
            "epoch: invalid value: integer `-1`, expected u64 (got -1)",
        ),
        (
            "broker_enqueueJob",
            json!({ "kind": "epoch", "epoch": 1, "input": input }),
            "kind: unknown variant `epoch`, expected `block` (got \"epoch\")",
        ),
        (
            "broker_enqueueJob",
            json!({ "kind": "block", "epoch": 1, "input": "0xzz" }),
            "input: invalid hex \"0xzz\": Invalid character 'z' at position 0",
        ),
        (
            "broker_enqueueJob",
            json!({ "kind": "block", "epoch": 1, "input": format!("0x{}", "00".repeat(40_001)) }),
            "input: 40001 bytes exceeds the 40000-byte limit",
        ),
        (
            "broker_getJob",
            json!({ "id": "0x12" }),
            "id: expected 32 bytes, got 1 in \"0x12\" (got \"0x12\")",
        ),
        (
            "broker_takeJob",
            json!({ "agentId": "" }),
            "agentId: expected 1 to 128 characters, got 0",
        ),
        (
            "broker_takeJob",
            json!({ "agentId": "a", "kinds": "block" }),
            "kinds: invalid type: string \"block\", expected a sequence (got \"block\")",
        ),
        (
            "broker_heartbeat",
            json!([{ "agentId": "a" }]),
            "id: missing",
        ),
        (
            "broker_failJob",
            json!({ "agentId": "a", "id": format!("0x{}", "11".repeat(32)) }),
            "error: missing",
        ),
    ];
    for (method, params, expected) in cases {
        let (code, message) = rpc_error(&url, method, params.clone()).await;
        assert_eq!(
            (code, message.as_str()),
            (INVALID_PARAMS, expected),
            "{method} {params}"
        );
    }

    // Valid hex that is not a witness: -32602 naming the input.
    let (code, message) = rpc_error(
        &url,
        "broker_enqueueJob",
        json!({ "kind": "block", "epoch": 1, "input": "0x0102" }),
    )
    .await;
    assert_eq!(code, INVALID_PARAMS);
    assert!(
        message.starts_with(
            "input: input is not a valid block job input: block witness of 2 bytes does not decode"
        ),
        "{message}"
    );

    // A result of the wrong shape names the field.
    let client = BrokerClient::new(url.clone(), TOKEN);
    let job = client
        .enqueue_job(JobKind::Block, 1, &witness(1).to_bytes())
        .await
        .unwrap();
    client.take_job("a", None).await.unwrap().unwrap();
    let mut result = fake_result(1);
    result["publicInputs"][2] = json!(format!("0x{}", "ff".repeat(32)));
    let (code, message) = rpc_error(
        &url,
        "broker_completeJob",
        json!({ "agentId": "a", "id": job.id, "result": result }),
    )
    .await;
    assert_eq!(code, INVALID_PARAMS);
    assert!(
        message.ends_with("result.publicInputs[2]: not below the BN254 scalar modulus"),
        "{message}"
    );
    let (code, message) = rpc_error(
        &url,
        "broker_completeJob",
        json!({ "agentId": "a", "id": format!("0x{}", "11".repeat(32)), "result": fake_result(1) }),
    )
    .await;
    assert_eq!(
        (code, message.as_str()),
        (
            REJECTED,
            "no job 0x1111111111111111111111111111111111111111111111111111111111111111"
        )
    );

    // A body over the limit (twice the input limit and some) is refused before parsing.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"broker_enqueueJob","params":{{"kind":"block","epoch":1,"input":"0x{}"}}}}"#,
        "00".repeat(100_000)
    );
    let (status, answer) = post_raw(&url, huge).await;
    assert_eq!(status, 413);
    assert_eq!(answer["error"]["code"], INVALID_REQUEST, "{answer}");

    // Still up, and nothing bad was stored.
    let health = reqwest::get(format!("{url}/health")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    // The refused result sent the job back to the queue, its attempt given back.
    let view = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (view.status, view.attempts, view.result),
        (JobStatus::Queued, 0, None)
    );
    server.shutdown().await.unwrap();
}

/// Attack (issue 12, proof integrity): anyone who could reach the broker completed a leased
/// job with garbage and got the claimed prover slashed. Every JSON-RPC call now needs the
/// bearer token: without it, or with a wrong one, HTTP 401 with a JSON-RPC error saying which,
/// and nothing changes; `/health` and `/metrics` stay open.
#[tokio::test]
async fn calls_without_the_bearer_token_get_a_clear_401() {
    let store = TestStore::embedded();
    let server = start_broker(&store, policy(60_000, 3), Arc::new(TestKeys::new())).await;
    let url = server.url();
    let client = server.client();
    let job = client
        .enqueue_job(JobKind::Block, 1, &witness(1).to_bytes())
        .await
        .unwrap();
    client.take_job("holder", None).await.unwrap().unwrap();

    let complete = json!({
        "jsonrpc": "2.0", "id": 1, "method": "broker_completeJob",
        "params": { "agentId": "holder", "id": job.id, "result": fake_result(1) },
    })
    .to_string();
    for (token, problem) in [
        (None, "unauthorized: missing Authorization header"),
        (
            Some("not-the-token-0123456789"),
            "unauthorized: wrong bearer token",
        ),
    ] {
        let (status, answer) = post_with(&url, token, complete.clone()).await;
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["error"]["code"], UNAUTHORIZED, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(problem), "{message}");
    }
    // The typed client says so, and that retrying cannot help.
    let stranger = BrokerClient::new(url.clone(), "not-the-token-0123456789");
    let error = stranger.get_job(job.id).await.unwrap_err();
    assert!(
        matches!(
            &error,
            ClientError::Unauthorized {
                method: "broker_getJob",
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.is_transient());
    assert!(error.to_string().contains("BROKER_AUTH_TOKEN"), "{error}");

    for open in ["health", "metrics"] {
        let response = reqwest::get(format!("{url}/{open}")).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "/{open} stays open");
    }
    let view = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!((view.status, view.attempts), (JobStatus::Proving, 1));
    server.shutdown().await.unwrap();
}

/// Attack (issue 12, proof integrity): the lease holder completes its job with a forged proof
/// (the job's public inputs, points that prove nothing); the broker used to store it as the
/// job's result. Now it is refused with a `-32602` naming the job, the job is queued again
/// without spending an attempt, and an honest agent's proof completes it.
#[tokio::test]
async fn a_forged_result_is_refused_and_the_job_is_proven_by_an_honest_agent() {
    a_forged_result_is_refused(TestStore::embedded()).await;
}

#[tokio::test]
async fn a_forged_result_is_refused_and_the_job_is_proven_by_an_honest_agent_on_postgres() {
    a_forged_result_is_refused(TestStore::postgres()).await;
}

async fn a_forged_result_is_refused(store: TestStore) {
    let keys = Arc::new(TestKeys::new());
    let server = start_broker(&store, policy(60_000, 1), keys.clone()).await;
    let client = server.client();
    let input = witness(1).to_bytes();
    let job = client.enqueue_job(JobKind::Block, 1, &input).await.unwrap();
    client.take_job("forger", None).await.unwrap().unwrap();

    let error = client
        .complete_job("forger", job.id, fake_result(1))
        .await
        .unwrap_err();
    let ClientError::Rpc { source, .. } = &error else {
        panic!("expected a JSON-RPC error, got {error}");
    };
    assert_eq!(source.code(), INVALID_PARAMS);
    assert!(
        source.message().starts_with(&format!(
            "result for job {} rejected: the proof does not verify against the block circuit's verifying key 0x",
            job.id
        )),
        "{error}"
    );
    let view = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (view.status, view.attempts, view.result),
        (JobStatus::Queued, 0, None),
        "one attempt allowed: a spent one would have failed the job"
    );

    let taken = client.take_job("honest", None).await.unwrap().unwrap();
    assert_eq!(taken.id, job.id);
    client
        .complete_job("honest", job.id, keys.result(&input, 7))
        .await
        .unwrap();
    let view = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!((view.status, view.attempts), (JobStatus::Proven, 1));
    let metrics = reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line == "prover_broker_results_rejected_total 1"),
        "{metrics}"
    );
    server.shutdown().await.unwrap();
}

/// Attack (issue 12, proof integrity): a job that used up its attempts could never be
/// retried, so its epoch could never be proven. `broker_retryJob` queues it again with a new
/// generation of attempts.
#[tokio::test]
async fn a_failed_job_is_retried_over_json_rpc_and_proven() {
    let store = TestStore::embedded();
    let keys = Arc::new(TestKeys::new());
    let server = start_broker(&store, policy(60_000, 1), keys.clone()).await;
    let client = server.client();
    let input = witness(3).to_bytes();
    let job = client.enqueue_job(JobKind::Block, 2, &input).await.unwrap();
    client.take_job("a", None).await.unwrap().unwrap();
    client.fail_job("a", job.id, "crashed").await.unwrap();
    assert_eq!(
        client.get_job(job.id).await.unwrap().unwrap().status,
        JobStatus::Failed
    );
    assert!(client.take_job("b", None).await.unwrap().is_none());

    let retried = client.retry_job(job.id).await.unwrap();
    assert_eq!(
        (retried.status, retried.attempts, retried.generation),
        (JobStatus::Queued, 0, 1)
    );
    let unknown = client.retry_job(JobId([7; 32])).await.unwrap_err();
    assert_eq!(unknown.rpc_code(), Some(REJECTED), "{unknown}");
    client.take_job("b", None).await.unwrap().unwrap();
    client
        .complete_job("b", job.id, keys.result(&input, 1))
        .await
        .unwrap();
    let view = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!((view.status, view.generation), (JobStatus::Proven, 1));
    server.shutdown().await.unwrap();
}
