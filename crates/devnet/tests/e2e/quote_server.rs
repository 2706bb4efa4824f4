//! A quote provider for the prover nodes (`QUOTE_PROVIDER_URL`, seed 003): it answers every
//! epoch with fixed terms, except the epochs the test tells it to refuse, for which it answers
//! without `bondAmount` / `basisPointFee`, so no prover node quotes them.

use std::{
    collections::BTreeSet,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{extract::State, routing::post, Json, Router};
use serde_json::{json, Value};

/// The fee the honest provers quote, in basis points.
pub(crate) const HONEST_FEE_BPS: u64 = 500;
/// The bond the honest provers offer: 10 tokens.
pub(crate) const HONEST_BOND: &str = "10000000000000000000";

/// Epochs for which the server refuses to quote.
#[derive(Debug, Default, Clone)]
pub(crate) struct Refusals(Arc<Mutex<BTreeSet<u64>>>);

impl Refusals {
    /// Refuse to quote `epoch`.
    pub(crate) fn refuse(&self, epoch: u64) {
        self.0.lock().expect("refusals lock").insert(epoch);
    }

    fn refuses(&self, epoch: u64) -> bool {
        self.0.lock().expect("refusals lock").contains(&epoch)
    }
}

/// Serves the quote provider on a free local port; returns its URL.
pub(crate) async fn spawn(refusals: Refusals) -> eyre::Result<String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route("/", post(quote)).with_state(refusals);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}/"))
}

async fn quote(State(refusals): State<Refusals>, Json(request): Json<Value>) -> Json<Value> {
    let epoch = request["epochNumber"].as_u64().unwrap_or(u64::MAX);
    if refusals.refuses(epoch) {
        // No bondAmount / basisPointFee: the prover node must not quote.
        return Json(json!({ "reason": "refused by the test" }));
    }
    Json(json!({ "basisPointFee": HONEST_FEE_BPS, "bondAmount": HONEST_BOND }))
}
