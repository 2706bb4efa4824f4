//! Counters of the prover node (`metrics` crate, a recorder of this prover node's own so that
//! several can run in one process), served as Prometheus text by `metrics-exporter-prometheus`
//! on `/metrics` next to `/health`.

use std::{net::SocketAddr, sync::Arc};

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use metrics::{describe_counter, Counter};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tracing::error;

use crate::{Error, Result};

/// What the prover node counts.
#[derive(Debug)]
pub struct Metrics {
    handle: PrometheusHandle,
    /// Quotes pooled and published on the p2p network.
    pub quotes_sent: Counter,
    /// Epochs claimed with this prover's quote.
    pub epochs_claimed: Counter,
    /// Claims of this prover replaced by another prover's cheaper quote (proving stopped).
    pub claims_replaced: Counter,
    /// Block-proof jobs enqueued on the broker.
    pub jobs_enqueued: Counter,
    /// Block proofs received and checked.
    pub block_proofs_received: Counter,
    /// Epoch proofs landed on L1.
    pub proofs_submitted: Counter,
    /// Failures: undeliverable quotes, bond top-ups, failed jobs, failed submissions.
    pub failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let counter = |name: &'static str, help: &'static str| {
                describe_counter!(name, help);
                metrics::counter!(name)
            };
            Self {
                handle,
                quotes_sent: counter(
                    "prover_node_quotes_sent_total",
                    "Quotes pooled and published on the p2p network.",
                ),
                epochs_claimed: counter(
                    "prover_node_epochs_claimed_total",
                    "Epochs claimed with this prover's quote.",
                ),
                claims_replaced: counter(
                    "prover_node_claims_replaced_total",
                    "Claims of this prover replaced by another prover's cheaper quote.",
                ),
                jobs_enqueued: counter(
                    "prover_node_jobs_enqueued_total",
                    "Block-proof jobs enqueued on the broker.",
                ),
                block_proofs_received: counter(
                    "prover_node_block_proofs_received_total",
                    "Block proofs received from the broker and checked.",
                ),
                proofs_submitted: counter(
                    "prover_node_epoch_proofs_submitted_total",
                    "Epoch proofs landed on L1.",
                ),
                failures: counter(
                    "prover_node_failures_total",
                    "Undeliverable quotes, failed top-ups, failed jobs and failed submissions.",
                ),
            }
        })
    }
}

impl Metrics {
    /// The counters in the Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// The value of the counter `name` (e.g. `prover_node_failures_total`) in [`Self::render`]'s
    /// text, `None` if there is no such counter.
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.render().lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(' ')?;
            value.parse().ok()
        })
    }
}

/// Serves `/metrics` and `/health` on `listen` (port 0: any free port) until `shutdown` turns
/// true; returns the bound address and the server task.
pub async fn serve(
    listen: SocketAddr,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let address = listen.to_string();
    let serve_error = |source| Error::Serve {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(&address).await.map_err(serve_error)?;
    let bound = listener.local_addr().map_err(serve_error)?;
    let router = Router::new()
        .route("/metrics", get(render))
        .route("/health", get(|| async { "ok" }))
        .with_state(metrics);
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        });
        if let Err(error) = server.await {
            error!(%error, "metrics server failed");
        }
    });
    Ok((bound, task))
}

async fn render(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_health_and_counters() {
        let metrics = Arc::new(Metrics::default());
        metrics.quotes_sent.increment(2);
        metrics.failures.increment(1);
        let (stop, stopped) = watch::channel(false);
        let loopback = SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
        let (address, task) = serve(loopback, metrics.clone(), stopped).await.unwrap();
        let base = format!("http://127.0.0.1:{}", address.port());
        let health = reqwest::get(format!("{base}/health")).await.unwrap();
        assert!(health.status().is_success());
        assert_eq!(health.text().await.unwrap(), "ok");
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("prover_node_quotes_sent_total 2\n"), "{text}");
        assert!(text.contains("prover_node_failures_total 1\n"), "{text}");
        assert!(text.contains("# TYPE prover_node_epoch_proofs_submitted_total counter"));
        assert_eq!(metrics.counter("prover_node_quotes_sent_total"), Some(2));
        assert_eq!(metrics.counter("prover_node_jobs_enqueued_total"), Some(0));
        stop.send(true).unwrap();
        task.await.unwrap();
    }
}
