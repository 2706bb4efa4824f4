//! Counters of the prover node, served as Prometheus text on `/metrics` next to `/health`.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tracing::error;

use crate::{Error, Result};

/// What the prover node counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Quotes pooled and published on the p2p network.
    pub quotes_sent: AtomicU64,
    /// Epochs claimed with this prover's quote.
    pub epochs_claimed: AtomicU64,
    /// Claims of this prover replaced by another prover's cheaper quote (proving stopped).
    pub claims_replaced: AtomicU64,
    /// Block-proof jobs enqueued on the broker.
    pub jobs_enqueued: AtomicU64,
    /// Block proofs received and checked.
    pub block_proofs_received: AtomicU64,
    /// Epoch proofs landed on L1.
    pub proofs_submitted: AtomicU64,
    /// Failures: undeliverable quotes, bond top-ups, failed jobs, failed submissions.
    pub failures: AtomicU64,
}

impl Metrics {
    /// Adds `n` to `counter`.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self) -> String {
        let counters = [
            (
                "prover_node_quotes_sent_total",
                "Quotes pooled and published on the p2p network.",
                &self.quotes_sent,
            ),
            (
                "prover_node_epochs_claimed_total",
                "Epochs claimed with this prover's quote.",
                &self.epochs_claimed,
            ),
            (
                "prover_node_claims_replaced_total",
                "Claims of this prover replaced by another prover's cheaper quote.",
                &self.claims_replaced,
            ),
            (
                "prover_node_jobs_enqueued_total",
                "Block-proof jobs enqueued on the broker.",
                &self.jobs_enqueued,
            ),
            (
                "prover_node_block_proofs_received_total",
                "Block proofs received from the broker and checked.",
                &self.block_proofs_received,
            ),
            (
                "prover_node_epoch_proofs_submitted_total",
                "Epoch proofs landed on L1.",
                &self.proofs_submitted,
            ),
            (
                "prover_node_failures_total",
                "Undeliverable quotes, failed top-ups, failed jobs and failed submissions.",
                &self.failures,
            ),
        ];
        let mut text = String::new();
        for (name, help, counter) in counters {
            text.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                counter.load(Ordering::Relaxed)
            ));
        }
        text
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
        Metrics::add(&metrics.quotes_sent, 2);
        Metrics::add(&metrics.failures, 1);
        let (stop, stopped) = watch::channel(false);
        let loopback = SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
        let (address, task) = serve(loopback, metrics, stopped).await.unwrap();
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
        stop.send(true).unwrap();
        task.await.unwrap();
    }
}
