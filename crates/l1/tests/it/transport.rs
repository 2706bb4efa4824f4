//! `connect`: retries of transient errors, timeouts, the request counter.

use std::time::{Duration, Instant};

use alloy::providers::Provider;
use axum::http::StatusCode;
use fernet_l1::{connect, L1Options};

use crate::support::{anvil, install_recorder, requests_sent, Fault, FlakyProxy};

fn options(timeout_ms: u64, max_retries: u32) -> L1Options {
    L1Options {
        request_timeout_ms: timeout_ms,
        max_retries,
        retry_backoff_ms: 20,
        ..L1Options::default()
    }
}

#[tokio::test]
async fn rate_limited_requests_are_retried_until_they_succeed_and_each_attempt_is_counted() {
    install_recorder();
    let anvil = anvil();
    let proxy = FlakyProxy::start(
        anvil.endpoint_url(),
        Fault::Status(StatusCode::TOO_MANY_REQUESTS),
        3,
    )
    .await;
    let provider = connect(&proxy.url, &options(5_000, 5)).unwrap();
    let version: String = provider
        .raw_request("web3_clientVersion".into(), ())
        .await
        .expect("retried past the 429s");
    assert!(version.to_lowercase().contains("anvil"), "{version}");
    assert_eq!(proxy.received(), 4);
    // Every attempt that was actually sent is counted (this test is the only user of the method).
    assert_eq!(requests_sent("web3_clientVersion"), 4);
}

#[tokio::test]
async fn unavailable_and_bad_gateway_answers_are_retried() {
    let anvil = anvil();
    for status in [
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::BAD_GATEWAY,
        StatusCode::GATEWAY_TIMEOUT,
    ] {
        let proxy = FlakyProxy::start(anvil.endpoint_url(), Fault::Status(status), 2).await;
        let provider = connect(&proxy.url, &options(5_000, 5)).unwrap();
        let chain_id = provider
            .get_chain_id()
            .await
            .expect("retried past the failures");
        assert_eq!(chain_id, anvil.chain_id());
        assert_eq!(proxy.received(), 3, "{status}");
    }
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_client_errors_are_not_retried() {
    let anvil = anvil();
    let proxy = FlakyProxy::start(
        anvil.endpoint_url(),
        Fault::Status(StatusCode::TOO_MANY_REQUESTS),
        100,
    )
    .await;
    let provider = connect(&proxy.url, &options(5_000, 2)).unwrap();
    let error = provider.get_block_number().await.unwrap_err();
    assert!(error.to_string().contains("429"), "{error}");
    assert_eq!(proxy.received(), 3, "one request and two retries");

    let proxy = FlakyProxy::start(
        anvil.endpoint_url(),
        Fault::Status(StatusCode::UNAUTHORIZED),
        100,
    )
    .await;
    let provider = connect(&proxy.url, &options(5_000, 5)).unwrap();
    provider.get_block_number().await.unwrap_err();
    assert_eq!(proxy.received(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn a_stalled_request_times_out_naming_its_method_and_a_retry_gets_through() {
    let anvil = anvil();
    // Every request stalls: the call fails after 1 + 2 timeouts, naming the method.
    let proxy = FlakyProxy::start(anvil.endpoint_url(), Fault::Stall, 100).await;
    let provider = connect(&proxy.url, &options(200, 2)).unwrap();
    let started = Instant::now();
    let error = provider.get_block_number().await.unwrap_err().to_string();
    assert!(
        error.contains("eth_blockNumber") && error.contains("timed out after 200 ms"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(proxy.received(), 3);

    // Only the first request stalls: the retry answers.
    let proxy = FlakyProxy::start(anvil.endpoint_url(), Fault::Stall, 1).await;
    let provider = connect(&proxy.url, &options(200, 2)).unwrap();
    assert_eq!(provider.get_chain_id().await.unwrap(), anvil.chain_id());
    assert_eq!(proxy.received(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    drop(listener);
    let provider = connect(&url, &options(1_000, 2)).unwrap();
    let started = Instant::now();
    let error = provider.get_chain_id().await.unwrap_err().to_string();
    assert!(error.contains("Max retries exceeded"), "{error}");
    // Two backoffs of 20 ms were waited.
    assert!(
        started.elapsed() >= Duration::from_millis(40),
        "{:?}",
        started.elapsed()
    );
}
