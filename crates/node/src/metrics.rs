//! Prometheus metrics of the node, rendered by hand as text exposition format.

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
};

use crate::{ChainHandle, PoolHandle};

/// A monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The node's counters (gauges are read from the chain and pool when rendering).
#[derive(Debug, Default)]
pub struct Metrics {
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
}

impl Metrics {
    /// The Prometheus text of the counters and of the chain and pool gauges.
    pub fn render(&self, chain: &ChainHandle, pool: &PoolHandle) -> String {
        let (pending, proven, finalized, synced) = {
            let chain = chain.read();
            (
                chain.pending_tip(),
                chain.proven_tip(),
                chain.finalized_tip(),
                chain.synced_l1_block(),
            )
        };
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "fernet_node_pending_block_number",
            "gauge",
            "Height of the pending tip.",
            pending,
        );
        metric(
            "fernet_node_proven_block_number",
            "gauge",
            "Height of the proven tip.",
            proven,
        );
        metric(
            "fernet_node_finalized_block_number",
            "gauge",
            "Highest block whose proof is in a finalized L1 block.",
            finalized,
        );
        metric(
            "fernet_node_synced_l1_block_number",
            "gauge",
            "Last L1 block the follower processed.",
            synced,
        );
        metric(
            "fernet_node_pool_transactions",
            "gauge",
            "Transactions in the pool.",
            pool.len() as u64,
        );
        metric(
            "fernet_node_txs_accepted_total",
            "counter",
            "Transactions accepted into the pool.",
            self.txs_accepted.get(),
        );
        metric(
            "fernet_node_txs_rejected_total",
            "counter",
            "Transactions rejected by the pool.",
            self.txs_rejected.get(),
        );
        metric(
            "fernet_node_quotes_accepted_total",
            "counter",
            "Epoch proof quotes accepted.",
            self.quotes_accepted.get(),
        );
        metric(
            "fernet_node_quotes_rejected_total",
            "counter",
            "Epoch proof quotes rejected.",
            self.quotes_rejected.get(),
        );
        metric(
            "fernet_node_follower_errors_total",
            "counter",
            "Follower steps that failed.",
            self.follower_errors.get(),
        );
        metric(
            "fernet_node_l1_reorgs_total",
            "counter",
            "L1 reorgs the follower rolled back.",
            self.reorgs.get(),
        );
        metric(
            "fernet_node_rpc_requests_total",
            "counter",
            "JSON-RPC requests served.",
            self.rpc_requests.get(),
        );
        out
    }
}
