//! Stand-in gossip: new transactions and quotes are forwarded to the configured peers with the
//! same JSON-RPC methods, fire and forget. Each hash is forwarded once, and peers drop what
//! they already have, so forwarding loops stop.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy::{primitives::B256, transports::http::reqwest::Url};
use serde_json::{json, Value};
use tracing::debug;

use fernet_primitives::SignedQuote;

use crate::tx::Tx;

/// How long a forward may take.
pub const GOSSIP_TIMEOUT: Duration = Duration::from_secs(2);
/// Hashes remembered before the memory is cleared.
const SEEN_CAPACITY: usize = 100_000;

/// Forwards to the peers (`NODE_PEERS`).
#[derive(Debug, Clone)]
pub struct Gossip {
    peers: Arc<Vec<Url>>,
    http: reqwest::Client,
    seen: Arc<Mutex<HashSet<B256>>>,
}

impl Gossip {
    /// Gossip to `peers` (none: forwarding is a no-op).
    pub fn new(peers: Vec<Url>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(GOSSIP_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            peers: Arc::new(peers),
            http,
            seen: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// Forwards a newly accepted transaction.
    pub fn tx(&self, hash: B256, tx: &Tx) {
        self.forward(hash, "fernet_sendTransaction", json!([tx]));
    }

    /// Forwards a newly accepted quote (keyed by its EIP-712 digest).
    pub fn quote(&self, digest: B256, quote: &SignedQuote) {
        self.forward(digest, "fernet_sendEpochProofQuote", json!([quote]));
    }

    fn forward(&self, key: B256, method: &'static str, params: Value) {
        if self.peers.is_empty() {
            return;
        }
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.len() >= SEEN_CAPACITY {
                seen.clear();
            }
            if !seen.insert(key) {
                return;
            }
        }
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        for peer in self.peers.iter() {
            let request = self.http.post(peer.clone()).json(&body);
            let peer = peer.clone();
            tokio::spawn(async move {
                match request.send().await {
                    Ok(response) => {
                        debug!(%peer, method, %key, status = %response.status(), "gossiped")
                    }
                    Err(error) => debug!(%peer, method, %key, %error, "gossip failed"),
                }
            });
        }
    }
}
