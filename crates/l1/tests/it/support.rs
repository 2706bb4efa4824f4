//! Test support: anvil, a flaky JSON-RPC proxy in front of it, and the request counter.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, OnceLock,
    },
    time::Duration,
};

use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    transports::http::reqwest::Url,
};
use axum::{body::Bytes, extract::State, http::StatusCode, routing::post, Router};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// The pinned anvil that `script/setup.sh` installs.
fn anvil_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        path.is_file(),
        "anvil not found at {}: run script/setup.sh",
        path.display()
    );
    path
}

/// A fresh anvil that mines each transaction at once.
pub(crate) fn anvil() -> AnvilInstance {
    Anvil::at(anvil_binary()).spawn()
}

/// A fresh anvil that mines a block every `seconds`.
pub(crate) fn anvil_with_block_time(seconds: u64) -> AnvilInstance {
    Anvil::at(anvil_binary()).block_time(seconds).spawn()
}

/// A fresh anvil that mines only on `evm_mine`.
pub(crate) fn anvil_without_mining() -> AnvilInstance {
    Anvil::at(anvil_binary()).arg("--no-mining").spawn()
}

/// What the proxy does with the first requests it receives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fault {
    /// Answer with this HTTP status (and no JSON-RPC body).
    Status(StatusCode),
    /// Never answer.
    Stall,
}

struct ProxyState {
    upstream: Url,
    client: reqwest::Client,
    fault: Fault,
    faulty: usize,
    received: AtomicUsize,
}

/// An HTTP proxy in front of an L1 endpoint that fails the first `faulty` requests with a
/// [`Fault`] and forwards the others.
pub(crate) struct FlakyProxy {
    /// Where it listens.
    pub(crate) url: Url,
    state: Arc<ProxyState>,
}

impl FlakyProxy {
    /// Starts a proxy to `upstream`.
    pub(crate) async fn start(upstream: Url, fault: Fault, faulty: usize) -> Self {
        let state = Arc::new(ProxyState {
            upstream,
            client: reqwest::Client::new(),
            fault,
            faulty,
            received: AtomicUsize::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/", post(forward))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{address}").parse().unwrap(),
            state,
        }
    }

    /// How many requests reached the proxy.
    pub(crate) fn received(&self) -> usize {
        self.state.received.load(Ordering::SeqCst)
    }
}

async fn forward(State(state): State<Arc<ProxyState>>, body: Bytes) -> (StatusCode, Bytes) {
    let index = state.received.fetch_add(1, Ordering::SeqCst);
    if index < state.faulty {
        match state.fault {
            Fault::Status(status) => return (status, Bytes::new()),
            Fault::Stall => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        }
    }
    let response = state
        .client
        .post(state.upstream.clone())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.bytes().await.unwrap())
}

/// How many requests of `method` were counted in `fernet_l1_requests_total` so far by this test
/// binary (snapshots reset the recorder's counters, so they are accumulated here).
pub(crate) fn requests_sent(method: &str) -> u64 {
    static RECORDER: OnceLock<(Snapshotter, Mutex<HashMap<String, u64>>)> = OnceLock::new();
    let (snapshotter, totals) = RECORDER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder
            .install()
            .expect("the only recorder of the test binary");
        (snapshotter, Mutex::new(HashMap::new()))
    });
    let mut totals = totals.lock().unwrap();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let (kind_key, DebugValue::Counter(count)) = (key.key(), value) else {
            continue;
        };
        if kind_key.name() != fernet_l1::REQUESTS_TOTAL {
            continue;
        }
        for label in kind_key.labels().filter(|label| label.key() == "method") {
            *totals.entry(label.value().to_owned()).or_default() += count;
        }
    }
    totals.get(method).copied().unwrap_or(0)
}

/// Installs the request counter's recorder (before the first request of a test that reads it).
pub(crate) fn install_recorder() {
    requests_sent("");
}
