//! A typed client of the node's `fernet_*` methods: a thin wrapper over the jsonrpsee client
//! generated from [`FernetApi`](crate::rpc::FernetApiClient).

use std::{future::Future, sync::Arc, time::Duration};

use alloy::primitives::{Address, B256};
use fernet_primitives::SignedQuote;
use fernet_rpc::codes::INTERNAL_ERROR;
use jsonrpsee::{
    core::ClientError as JsonRpcError,
    http_client::{HttpClient, HttpClientBuilder},
    types::ErrorObjectOwned,
};
use reqwest::Url;

use crate::{
    rpc::{BlockInfo, BlockNumbers, FernetApiClient, NodeInfo, PendingTx},
    status::TxStatus,
    tx::{FieldElement, Tx},
};

/// Time allowed for one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL cannot serve as a JSON-RPC endpoint (a client cannot be built for it).
    #[error("no JSON-RPC client for {url}: {source}")]
    Url {
        /// The node.
        url: Url,
        /// Why (shared by every call of this client).
        #[source]
        source: Arc<JsonRpcError>,
    },
    /// The request did not get a JSON-RPC answer (unreachable, timeout, not JSON-RPC): worth
    /// retrying.
    #[error("request {method} to {url} failed: {source}")]
    Transport {
        /// The method.
        method: &'static str,
        /// The node.
        url: Url,
        /// The transport error (boxed: it is large).
        #[source]
        source: Box<JsonRpcError>,
    },
    /// The node answered with a JSON-RPC error: `-32000` a rule said no, `-32602` invalid
    /// params, `-32603` internal.
    #[error("{method}: JSON-RPC error {}: {}", source.code(), source.message())]
    Rpc {
        /// The method.
        method: &'static str,
        /// The error object.
        #[source]
        source: ErrorObjectOwned,
    },
    /// `fernet_getFeeBalance` answered something that is not a decimal `u128`.
    #[error("fernet_getFeeBalance: {answer:?} is not a decimal u128: {source}")]
    FeeBalance {
        /// The answer.
        answer: String,
        /// The parse error.
        #[source]
        source: std::num::ParseIntError,
    },
}

impl ClientError {
    /// The JSON-RPC error code, when the node answered with an error.
    pub fn code(&self) -> Option<i32> {
        match self {
            Self::Rpc { source, .. } => Some(source.code()),
            _ => None,
        }
    }

    /// Whether the same call can succeed later: the node was unreachable or failed
    /// internally. A rule that said no or a bad request stays so.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Rpc { source, .. } => source.code() == INTERNAL_ERROR,
            Self::Url { .. } | Self::FeeBalance { .. } => false,
        }
    }
}

/// A client of one node.
#[derive(Debug, Clone)]
pub struct NodeClient {
    url: Url,
    client: Result<HttpClient, Arc<JsonRpcError>>,
}

impl NodeClient {
    /// A client of the node at `url`, with a 10 s request timeout.
    pub fn new(url: Url) -> Self {
        let client = HttpClientBuilder::default()
            .request_timeout(REQUEST_TIMEOUT)
            .build(url.as_str())
            .map_err(Arc::new);
        Self { url, client }
    }

    /// The node's URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The generated client, to call [`FernetApiClient`]'s methods directly.
    pub fn rpc(&self) -> Result<&HttpClient, ClientError> {
        self.client.as_ref().map_err(|source| ClientError::Url {
            url: self.url.clone(),
            source: source.clone(),
        })
    }

    /// Runs `call` on the generated client and types its error.
    async fn call<'a, T, F>(
        &'a self,
        method: &'static str,
        call: impl FnOnce(&'a HttpClient) -> F,
    ) -> Result<T, ClientError>
    where
        F: Future<Output = Result<T, JsonRpcError>> + 'a,
    {
        call(self.rpc()?).await.map_err(|error| match error {
            JsonRpcError::Call(source) => ClientError::Rpc { method, source },
            source => ClientError::Transport {
                method,
                url: self.url.clone(),
                source: Box::new(source),
            },
        })
    }

    /// `fernet_sendTransaction`: pools `tx`, returns its hash.
    pub async fn send_transaction(&self, tx: &Tx) -> Result<B256, ClientError> {
        self.call("fernet_sendTransaction", |rpc| {
            rpc.send_transaction(tx.clone().into())
        })
        .await
    }

    /// `fernet_getTransactionStatus`.
    pub async fn transaction_status(&self, hash: B256) -> Result<TxStatus, ClientError> {
        self.call("fernet_getTransactionStatus", |rpc| {
            rpc.transaction_status(hash.into())
        })
        .await
    }

    /// `fernet_blockNumber`.
    pub async fn block_number(&self) -> Result<BlockNumbers, ClientError> {
        self.call("fernet_blockNumber", |rpc| rpc.block_number())
            .await
    }

    /// `fernet_getBlock`.
    pub async fn block(&self, number: u64) -> Result<Option<BlockInfo>, ClientError> {
        self.call("fernet_getBlock", |rpc| rpc.block(number.into()))
            .await
    }

    /// `fernet_getStateRoot`: the state root at the pending tip.
    pub async fn state_root(&self) -> Result<B256, ClientError> {
        self.call("fernet_getStateRoot", |rpc| rpc.state_root())
            .await
    }

    /// `fernet_isNullifierSpent`: whether `nullifier` is spent at the pending tip.
    pub async fn is_nullifier_spent(&self, nullifier: FieldElement) -> Result<bool, ClientError> {
        self.call("fernet_isNullifierSpent", |rpc| {
            rpc.is_nullifier_spent(nullifier.into())
        })
        .await
    }

    /// `fernet_getFeeBalance`: `account`'s L2 fee balance at the pending tip.
    pub async fn fee_balance(&self, account: Address) -> Result<u128, ClientError> {
        let balance = self
            .call("fernet_getFeeBalance", |rpc| {
                rpc.fee_balance(account.into())
            })
            .await?;
        balance.parse().map_err(|source| ClientError::FeeBalance {
            answer: balance,
            source,
        })
    }

    /// `fernet_getPendingTransactions`.
    pub async fn pending_transactions(&self, limit: u64) -> Result<Vec<PendingTx>, ClientError> {
        self.call("fernet_getPendingTransactions", |rpc| {
            rpc.pending_transactions(Some(limit.into()))
        })
        .await
    }

    /// `fernet_sendEpochProofQuote`.
    pub async fn send_epoch_proof_quote(&self, quote: &SignedQuote) -> Result<bool, ClientError> {
        self.call("fernet_sendEpochProofQuote", |rpc| {
            rpc.send_epoch_proof_quote(quote.clone().into())
        })
        .await
    }

    /// `fernet_getEpochProofQuotes`.
    pub async fn epoch_proof_quotes(&self, epoch: u64) -> Result<Vec<SignedQuote>, ClientError> {
        self.call("fernet_getEpochProofQuotes", |rpc| {
            rpc.epoch_proof_quotes(epoch.into())
        })
        .await
    }

    /// `fernet_nodeInfo`.
    pub async fn node_info(&self) -> Result<NodeInfo, ClientError> {
        self.call("fernet_nodeInfo", |rpc| rpc.node_info()).await
    }
}
