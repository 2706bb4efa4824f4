//! Prometheus metrics of the node: counters and gauges of the `metrics` crate, registered with
//! a recorder of this node's own (several nodes can run in one process, each with its counters)
//! and rendered by `metrics-exporter-prometheus`.

use metrics::{describe_counter, describe_gauge, Counter, Gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::{ChainHandle, PoolHandle};

/// The node's counters, and the gauges set from the chain and the pool when rendering.
#[derive(Debug)]
pub struct Metrics {
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
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers the node's metrics with a recorder of its own.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let counter = |name: &'static str, help: &'static str| {
                describe_counter!(name, help);
                metrics::counter!(name)
            };
            let gauge = |name: &'static str, help: &'static str| {
                describe_gauge!(name, help);
                metrics::gauge!(name)
            };
            Self {
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
            }
        })
    }

    /// The Prometheus text, with the chain and pool gauges read now.
    pub fn render(&self, chain: &ChainHandle, pool: &PoolHandle) -> String {
        {
            let chain = chain.read();
            self.pending_block.set(chain.pending_tip() as f64);
            self.proven_block.set(chain.proven_tip() as f64);
            self.finalized_block.set(chain.finalized_tip() as f64);
            self.synced_l1_block.set(chain.synced_l1_block() as f64);
        }
        self.pool_transactions.set(pool.len() as f64);
        self.handle.render()
    }
}
