//! A typed JSON-RPC client of the node's `fernet_*` methods.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use alloy::primitives::{Address, B256};
use fernet_primitives::SignedQuote;
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::{
    rpc::{BlockInfo, BlockNumbers, NodeInfo, PendingTx, RpcError},
    status::TxStatus,
    tx::{FieldElement, Tx},
};

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not get an HTTP answer.
    #[error("request {method} to {url} failed: {source}")]
    Http {
        /// The method.
        method: String,
        /// The node.
        url: Url,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The node answered with a JSON-RPC error.
    #[error("{method}: {error}")]
    Rpc {
        /// The method.
        method: String,
        /// The error.
        error: RpcError,
    },
    /// The answer is not what the method returns.
    #[error("{method}: unexpected answer {answer}: {reason}")]
    Decode {
        /// The method.
        method: String,
        /// The answer.
        answer: String,
        /// Why it does not decode.
        reason: String,
    },
}

/// A client of one node.
#[derive(Debug)]
pub struct NodeClient {
    url: Url,
    http: reqwest::Client,
    next_id: AtomicU64,
}

impl NodeClient {
    /// A client of the node at `url`, with a 10 s request timeout.
    pub fn new(url: Url) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            url,
            http,
            next_id: AtomicU64::new(1),
        }
    }

    /// The node's URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Calls `method` with `params` and returns the raw result.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let http = |source| ClientError::Http {
            method: method.to_owned(),
            url: self.url.clone(),
            source,
        };
        let response = self
            .http
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(http)?;
        let mut answer: Value = response.json().await.map_err(http)?;
        if let Some(error) = answer.get("error") {
            let error: RpcError =
                serde_json::from_value(error.clone()).unwrap_or_else(|_| RpcError {
                    code: 0,
                    message: error.to_string(),
                });
            return Err(ClientError::Rpc {
                method: method.to_owned(),
                error,
            });
        }
        match answer.get_mut("result") {
            Some(result) => Ok(result.take()),
            None => Err(ClientError::Decode {
                method: method.to_owned(),
                answer: answer.to_string(),
                reason: "no result".into(),
            }),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, ClientError> {
        let result = self.request(method, params).await?;
        serde_json::from_value(result.clone()).map_err(|error| ClientError::Decode {
            method: method.to_owned(),
            answer: result.to_string(),
            reason: error.to_string(),
        })
    }

    /// `fernet_sendTransaction`: pools `tx`, returns its hash.
    pub async fn send_transaction(&self, tx: &Tx) -> Result<B256, ClientError> {
        self.call("fernet_sendTransaction", json!([tx])).await
    }

    /// `fernet_getTransactionStatus`.
    pub async fn transaction_status(&self, hash: B256) -> Result<TxStatus, ClientError> {
        self.call("fernet_getTransactionStatus", json!([hash]))
            .await
    }

    /// `fernet_blockNumber`.
    pub async fn block_number(&self) -> Result<BlockNumbers, ClientError> {
        self.call("fernet_blockNumber", json!([])).await
    }

    /// `fernet_getBlock`.
    pub async fn block(&self, number: u64) -> Result<Option<BlockInfo>, ClientError> {
        self.call("fernet_getBlock", json!([number])).await
    }

    /// `fernet_getStateRoot`: the state root at the pending tip.
    pub async fn state_root(&self) -> Result<B256, ClientError> {
        self.call("fernet_getStateRoot", json!([])).await
    }

    /// `fernet_isNullifierSpent`: whether `nullifier` is spent at the pending tip.
    pub async fn is_nullifier_spent(&self, nullifier: FieldElement) -> Result<bool, ClientError> {
        self.call("fernet_isNullifierSpent", json!([nullifier]))
            .await
    }

    /// `fernet_getFeeBalance`: `account`'s L2 fee balance at the pending tip.
    pub async fn fee_balance(&self, account: Address) -> Result<u128, ClientError> {
        let balance: String = self.call("fernet_getFeeBalance", json!([account])).await?;
        balance.parse().map_err(|_| ClientError::Decode {
            method: "fernet_getFeeBalance".into(),
            reason: "not a decimal u128".into(),
            answer: balance,
        })
    }

    /// `fernet_getPendingTransactions`.
    pub async fn pending_transactions(&self, limit: u64) -> Result<Vec<PendingTx>, ClientError> {
        self.call("fernet_getPendingTransactions", json!([limit]))
            .await
    }

    /// `fernet_sendEpochProofQuote`.
    pub async fn send_epoch_proof_quote(&self, quote: &SignedQuote) -> Result<bool, ClientError> {
        self.call("fernet_sendEpochProofQuote", json!([quote]))
            .await
    }

    /// `fernet_getEpochProofQuotes`.
    pub async fn epoch_proof_quotes(&self, epoch: u64) -> Result<Vec<SignedQuote>, ClientError> {
        self.call("fernet_getEpochProofQuotes", json!([epoch]))
            .await
    }

    /// `fernet_nodeInfo`.
    pub async fn node_info(&self) -> Result<NodeInfo, ClientError> {
        self.call("fernet_nodeInfo", json!([])).await
    }
}
