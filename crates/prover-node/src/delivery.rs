//! Quote delivery: `fernet_sendEpochProofQuote` to every `PROVER_COORDINATION_NODE_URL`.

use alloy::transports::http::reqwest::Url;
use fernet_node::NodeClient;
use fernet_primitives::SignedQuote;
use futures::future::join_all;
use tracing::{debug, warn};

use crate::{Error, Result};

/// Sends signed quotes to the coordination nodes (which pool and gossip them to sequencers).
#[derive(Debug)]
pub struct QuoteDelivery {
    nodes: Vec<NodeClient>,
}

impl QuoteDelivery {
    /// Delivery to the nodes at `urls`.
    pub fn new(urls: &[Url]) -> Self {
        Self {
            nodes: urls.iter().cloned().map(NodeClient::new).collect(),
        }
    }

    /// Whether there is any node to send quotes to.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Sends `quote` to every node at once; logs each refusal and succeeds with the number of
    /// nodes that accepted it, if any did.
    pub async fn deliver(&self, quote: &SignedQuote) -> Result<usize> {
        let epoch = quote.quote.epoch_to_prove;
        let answers = join_all(
            self.nodes
                .iter()
                .map(|node| async move { (node.url(), node.send_epoch_proof_quote(quote).await) }),
        )
        .await;
        let mut accepted = 0;
        let mut failures = Vec::new();
        for (url, answer) in answers {
            match answer {
                Ok(true) => {
                    debug!(epoch, %url, "quote accepted");
                    accepted += 1;
                }
                Ok(false) => {
                    warn!(epoch, %url, "node answered false to the quote");
                    failures.push(format!("{url}: answered false"));
                }
                Err(error) => {
                    warn!(epoch, %url, %error, "node refused the quote");
                    failures.push(format!("{url}: {error}"));
                }
            }
        }
        if accepted == 0 {
            return Err(Error::QuoteNotDelivered {
                epoch,
                failures: if failures.is_empty() {
                    "no coordination node configured".into()
                } else {
                    failures.join("; ")
                },
            });
        }
        Ok(accepted)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use alloy::primitives::{address, U256};
    use axum::{routing::post, Json, Router};
    use serde_json::{json, Value};
    use tokio::net::TcpListener;

    use super::*;
    use crate::{quote::QuoteSigner, quote_provider::QuoteTerms};

    /// A fake node answering `fernet_sendEpochProofQuote` with `answer` (a result or an error).
    async fn node(answer: Value) -> Url {
        let router = Router::new().route(
            "/",
            post(move |Json(request): Json<Value>| {
                let answer = answer.clone();
                async move {
                    assert_eq!(request["method"], "fernet_sendEpochProofQuote");
                    assert_eq!(request["params"][0]["quote"]["epochToProve"], 3);
                    let mut response = json!({ "jsonrpc": "2.0", "id": request["id"] });
                    let key = if answer.get("code").is_some() {
                        "error"
                    } else {
                        "result"
                    };
                    response[key] = answer;
                    Json(response)
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{address}/").parse().unwrap()
    }

    fn quote() -> SignedQuote {
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let rollup = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let terms = QuoteTerms {
            basis_point_fee: 100,
            bond_amount: U256::from(10),
        };
        QuoteSigner::new(key.parse().unwrap(), 31_337, rollup)
            .sign(3, 9, &terms)
            .unwrap()
    }

    #[tokio::test]
    async fn succeeds_when_any_node_accepts() {
        let refusing = node(json!({ "code": -32000, "message": "quote expired" })).await;
        let accepting = node(json!(true)).await;
        let delivery = QuoteDelivery::new(&[refusing, accepting]);
        assert_eq!(delivery.deliver(&quote()).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn fails_naming_every_refusal() {
        let refusing = node(json!({ "code": -32000, "message": "quote expired" })).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gone: Url = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        drop(listener);
        let delivery = QuoteDelivery::new(&[refusing.clone(), gone.clone()]);
        let error = delivery.deliver(&quote()).await.unwrap_err().to_string();
        assert!(error.contains("epoch 3"), "{error}");
        assert!(error.contains("quote expired"), "{error}");
        assert!(error.contains(gone.as_str()), "{error}");

        let none = QuoteDelivery::new(&[]);
        assert!(none.is_empty());
        let error = none.deliver(&quote()).await.unwrap_err().to_string();
        assert!(error.contains("no coordination node"), "{error}");
    }
}
