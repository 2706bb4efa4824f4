//! Prometheus metrics of the node: counters and gauges of the `metrics` crate, registered with
//! a recorder of this node's own (several nodes can run in one process, each with its counters)
//! and rendered by `metrics-exporter-prometheus`.

use std::sync::Arc;

use metrics::{describe_counter, describe_gauge, Counter, Gauge};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use fernet_p2p::P2pHandle;

use crate::{ChainHandle, PoolHandle};

/// Histogram buckets of every `*_seconds` metric (latencies from milliseconds to a slot).
const LATENCY_BUCKETS: &[f64] = &[
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 36.0,
];

/// The node's counters, and the gauges set from the chain and the pool when rendering.
#[derive(Debug)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// Transactions the pool accepted.
    pub txs_accepted: Counter,
    /// Transactions the pool rejected.
    pub txs_rejected: Counter,
    /// Quotes accepted.
    pub quotes_accepted: Counter,
    /// Quotes rejected.
    pub quotes_rejected: Counter,
    /// Follower steps that failed.
    pub follower_errors: Counter,
    /// L1 reorgs handled.
    pub reorgs: Counter,
    /// JSON-RPC requests served.
    pub rpc_requests: Counter,
    pending_block: Gauge,
    proven_block: Gauge,
    finalized_block: Gauge,
    synced_l1_block: Gauge,
    pool_transactions: Gauge,
    p2p: P2pMetrics,
}

/// The p2p network's counts, copied from [`P2pHandle::stats`] when rendering.
#[derive(Debug)]
struct P2pMetrics {
    peers: Gauge,
    received: Counter,
    accepted: Counter,
    rejected: Counter,
    ignored: Counter,
    published: Counter,
    blocked: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers the node's metrics with a recorder of its own.
    pub fn new() -> Self {
        let recorder = Arc::new(
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("the latency buckets are not empty")
                .build_recorder(),
        );
        let handle = recorder.handle();
        metrics::with_local_recorder(recorder.as_ref(), || {
            // The L1 client's head poller counts into the global recorder, which a one-node
            // binary makes this one: its counters are exported from the start.
            fernet_l1::register_metrics();
            let counter = |name: &'static str, help: &'static str| {
                describe_counter!(name, help);
                metrics::counter!(name)
            };
            let gauge = |name: &'static str, help: &'static str| {
                describe_gauge!(name, help);
                metrics::gauge!(name)
            };
            Self {
                recorder: Arc::clone(&recorder),
                handle,
                txs_accepted: counter(
                    "fernet_node_txs_accepted_total",
                    "Transactions accepted into the pool.",
                ),
                txs_rejected: counter(
                    "fernet_node_txs_rejected_total",
                    "Transactions rejected by the pool.",
                ),
                quotes_accepted: counter(
                    "fernet_node_quotes_accepted_total",
                    "Epoch proof quotes accepted.",
                ),
                quotes_rejected: counter(
                    "fernet_node_quotes_rejected_total",
                    "Epoch proof quotes rejected.",
                ),
                follower_errors: counter(
                    "fernet_node_follower_errors_total",
                    "Follower steps that failed.",
                ),
                reorgs: counter(
                    "fernet_node_l1_reorgs_total",
                    "L1 reorgs the follower rolled back.",
                ),
                rpc_requests: counter(
                    "fernet_node_rpc_requests_total",
                    "JSON-RPC requests served.",
                ),
                pending_block: gauge(
                    "fernet_node_pending_block_number",
                    "Height of the pending tip.",
                ),
                proven_block: gauge(
                    "fernet_node_proven_block_number",
                    "Height of the proven tip.",
                ),
                finalized_block: gauge(
                    "fernet_node_finalized_block_number",
                    "Highest block whose proof is in a finalized L1 block.",
                ),
                synced_l1_block: gauge(
                    "fernet_node_synced_l1_block_number",
                    "Last L1 block the follower processed.",
                ),
                pool_transactions: gauge(
                    "fernet_node_pool_transactions",
                    "Transactions in the pool.",
                ),
                p2p: P2pMetrics {
                    peers: gauge("fernet_node_p2p_peers", "Peers connected on the p2p network."),
                    received: counter(
                        "fernet_node_p2p_messages_received_total",
                        "Gossip messages received from peers, before validation.",
                    ),
                    accepted: counter(
                        "fernet_node_p2p_messages_accepted_total",
                        "Gossip messages accepted (and forwarded).",
                    ),
                    rejected: counter(
                        "fernet_node_p2p_messages_rejected_total",
                        "Gossip messages rejected: their senders' scores were lowered.",
                    ),
                    ignored: counter(
                        "fernet_node_p2p_messages_ignored_total",
                        "Gossip messages ignored: duplicates, or not judgeable on this node's view.",
                    ),
                    published: counter(
                        "fernet_node_p2p_messages_published_total",
                        "Gossip messages this node published.",
                    ),
                    blocked: counter(
                        "fernet_node_p2p_peers_blocked_total",
                        "Peers disconnected and blocked for their score.",
                    ),
                },
            }
        })
    }

    /// Makes this node's recorder the process's global one, so that the metrics registered
    /// anywhere in the process (the L1 client's request counts) are served on this node's
    /// `/metrics`. For a binary that runs one node; fails when a global recorder is set already.
    pub fn install_global(&self) -> Result<(), metrics::SetRecorderError<Arc<PrometheusRecorder>>> {
        metrics::set_global_recorder(Arc::clone(&self.recorder))
    }

    /// The Prometheus text, with the chain, pool and p2p figures read now.
    pub fn render(
        &self,
        chain: &ChainHandle,
        pool: &PoolHandle,
        p2p: Option<&P2pHandle>,
    ) -> String {
        {
            let chain = chain.read();
            self.pending_block.set(chain.pending_tip() as f64);
            self.proven_block.set(chain.proven_tip() as f64);
            self.finalized_block.set(chain.finalized_tip() as f64);
            self.synced_l1_block.set(chain.synced_l1_block() as f64);
        }
        self.pool_transactions.set(pool.len() as f64);
        if let Some(p2p) = p2p {
            let stats = p2p.stats();
            let m = &self.p2p;
            m.peers.set(p2p.peer_count() as f64);
            m.received.absolute(stats.received);
            m.accepted.absolute(stats.accepted);
            m.rejected.absolute(stats.rejected);
            m.ignored.absolute(stats.ignored);
            m.published.absolute(stats.published);
            m.blocked.absolute(stats.blocked);
        }
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scrape before the first failed head poll finds the counter at 0 (the faults test reads
    /// it before an L1 outage): the node's recorder registers the L1 client's metrics itself.
    #[test]
    fn the_head_poll_error_counter_is_exported_before_any_failure() {
        let metrics = Metrics::new();
        let text = metrics.handle.render();
        assert!(
            text.contains(&format!("{} 0", fernet_l1::HEAD_POLL_ERRORS_TOTAL)),
            "{text}"
        );
    }
}
