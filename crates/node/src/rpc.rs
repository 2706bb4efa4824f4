//! The node's HTTP server: JSON-RPC 2.0 on `POST /` with the `fernet_*` methods of
//! `docs/services.md`, `GET /metrics` (Prometheus text) and `GET /health`.
//!
//! Error codes: `-32700` body is not JSON, `-32600` not a JSON-RPC request (or a body over
//! [`MAX_BODY_BYTES`]), `-32601` unknown method, `-32602` invalid params (naming the field and
//! the value), `-32000` rejected by the node (spent nullifier, low fee, bad quote ...), `-32603`
//! internal.

use std::sync::Arc;

use alloy::primitives::{Address, B256};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, DefaultBodyLimit, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};
use tracing::warn;

use crate::{
    metrics::Metrics,
    network::Network,
    pool::PoolError,
    quote::SignedQuote,
    status::tx_status,
    tx::{FieldElement, Tx},
    ChainHandle, Error, PoolHandle, L1,
};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most transactions `fernet_getPendingTransactions` returns.
pub const MAX_PENDING_LIMIT: u64 = 10_000;

/// JSON-RPC error code: the body is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC error code: not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC error code: unknown method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC error code: invalid params.
pub const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC error code: internal error.
pub const INTERNAL_ERROR: i64 = -32603;
/// JSON-RPC error code: the node rejected the request.
pub const REJECTED: i64 = -32000;

/// `fernet_blockNumber`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockNumbers {
    /// Pending tip.
    pub pending: u64,
    /// Proven tip.
    pub proven: u64,
    /// Highest block whose proof is finalized on L1.
    pub finalized: u64,
}

/// `fernet_getBlock`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockInfo {
    /// Height.
    pub number: u64,
    /// Slot.
    pub slot: u64,
    /// Proposer.
    pub proposer: Address,
    /// State root claimed by the header.
    pub state_root: B256,
    /// Its transactions.
    pub tx_hashes: Vec<B256>,
    /// From backup mode.
    pub backup: bool,
    /// L1 block of the proposal.
    pub l1_block: u64,
    /// L1 transaction of the proposal.
    pub l1_tx_hash: B256,
    /// Whether the node could apply it and got its state root.
    pub valid: bool,
    /// Why not, when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
}

/// One entry of `fernet_getPendingTransactions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTx {
    /// Its hash.
    pub hash: B256,
    /// The transaction.
    pub tx: Tx,
}

/// `fernet_nodeInfo`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// L1 chain id.
    pub chain_id: u64,
    /// The rollup followed.
    pub rollup: Address,
    /// The L1 fee inbox: deposits there become L2 fee balances (`fernet deposit`).
    pub fee_inbox: Address,
    /// Lowest fee the pool accepts (decimal string).
    pub l2_base_fee: String,
    /// Last L1 block processed.
    pub synced_l1_block: u64,
    /// Pending tip.
    pub pending: u64,
    /// Proven tip.
    pub proven: u64,
}

/// A JSON-RPC error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("JSON-RPC error {code}: {message}")]
pub struct RpcError {
    /// The code (see the module docs).
    pub code: i64,
    /// What went wrong.
    pub message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for RpcError {
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::Pool(PoolError::Malformed(_)) => INVALID_PARAMS,
            Error::Pool(_) | Error::Quote(_) => REJECTED,
            _ => INTERNAL_ERROR,
        };
        Self::new(code, error.to_string())
    }
}

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct RpcContext {
    /// The L1 connection.
    pub l1: Arc<L1>,
    /// The chain.
    pub chain: ChainHandle,
    /// The pools.
    pub pool: PoolHandle,
    /// The counters.
    pub metrics: Arc<Metrics>,
    /// Publishing to peers.
    pub gossip: Network,
}

/// The HTTP routes.
pub fn router(context: Arc<RpcContext>) -> Router {
    Router::new()
        .route("/", post(json_rpc))
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(context)
}

async fn metrics(State(context): State<Arc<RpcContext>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        context.metrics.render(&context.chain, &context.pool),
    )
        .into_response()
}

fn error_response(id: Value, error: RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error })
}

async fn json_rpc(
    State(context): State<Arc<RpcContext>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let error = RpcError::new(
                INVALID_REQUEST,
                format!("request body rejected: {rejection} (at most {MAX_BODY_BYTES} bytes)"),
            );
            return (rejection.status(), Json(error_response(Value::Null, error))).into_response();
        }
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let error = RpcError::new(PARSE_ERROR, format!("body is not JSON: {error}"));
            return Json(error_response(Value::Null, error)).into_response();
        }
    };
    let response = match request {
        Value::Array(requests) if requests.is_empty() => {
            error_response(Value::Null, RpcError::new(INVALID_REQUEST, "empty batch"))
        }
        Value::Array(requests) => {
            Value::Array(requests.into_iter().map(|r| call(&context, r)).collect())
        }
        request => call(&context, request),
    };
    (StatusCode::OK, Json(response)).into_response()
}

/// Answers one request object.
fn call(context: &RpcContext, request: Value) -> Value {
    context.metrics.rpc_requests.inc();
    let Value::Object(mut request) = request else {
        return error_response(
            Value::Null,
            RpcError::new(
                INVALID_REQUEST,
                format!("request must be an object, got {}", preview(&request)),
            ),
        );
    };
    let id = request.remove("id").unwrap_or(Value::Null);
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return error_response(
            id,
            RpcError::new(INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\""),
        );
    }
    let Some(method) = request
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return error_response(
            id,
            RpcError::new(INVALID_REQUEST, "\"method\" must be a string"),
        );
    };
    let params = match request.remove("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params,
        Some(other) => {
            return error_response(
                id,
                RpcError::new(
                    INVALID_PARAMS,
                    format!("params must be an array, got {}", preview(&other)),
                ),
            )
        }
    };
    match dispatch(context, &method, &params) {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => {
            if error.code == INTERNAL_ERROR {
                warn!(method, error = %error.message, "internal error");
            }
            error_response(id, error)
        }
    }
}

/// At most 200 characters of `value`, for error messages.
fn preview(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Parameter `index` (named `name`) as a `T`.
fn param<T: DeserializeOwned>(params: &[Value], index: usize, name: &str) -> Result<T, RpcError> {
    let value = params.get(index).ok_or_else(|| {
        RpcError::new(
            INVALID_PARAMS,
            format!("missing parameter {index} ({name})"),
        )
    })?;
    serde_json::from_value(value.clone()).map_err(|error| {
        RpcError::new(
            INVALID_PARAMS,
            format!("invalid {name} {}: {error}", preview(value)),
        )
    })
}

fn arity(params: &[Value], max: usize) -> Result<(), RpcError> {
    if params.len() > max {
        return Err(RpcError::new(
            INVALID_PARAMS,
            format!("expected at most {max} parameters, got {}", params.len()),
        ));
    }
    Ok(())
}

fn to_value<T: Serialize>(value: T) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|e| RpcError::new(INTERNAL_ERROR, e.to_string()))
}

fn dispatch(context: &RpcContext, method: &str, params: &[Value]) -> Result<Value, RpcError> {
    let chain = &context.chain;
    let pool = &context.pool;
    match method {
        "fernet_sendTransaction" => {
            let accepted = arity(params, 1)
                .and_then(|()| param::<Tx>(params, 0, "transaction"))
                .and_then(|tx| Ok((pool.add_tx(tx.clone())?, tx)));
            match accepted {
                Ok((hash, tx)) => {
                    context.metrics.txs_accepted.inc();
                    context.gossip.tx(hash, &tx);
                    to_value(hash)
                }
                Err(error) => {
                    context.metrics.txs_rejected.inc();
                    Err(error)
                }
            }
        }
        "fernet_getTransactionStatus" => {
            arity(params, 1)?;
            let hash: B256 = param(params, 0, "transaction hash")?;
            to_value(tx_status(chain, pool, &hash))
        }
        "fernet_blockNumber" => {
            arity(params, 0)?;
            let chain = chain.read();
            to_value(BlockNumbers {
                pending: chain.pending_tip(),
                proven: chain.proven_tip(),
                finalized: chain.finalized_tip(),
            })
        }
        "fernet_getBlock" => {
            arity(params, 1)?;
            let number: u64 = param(params, 0, "block number")?;
            to_value(chain.block(number).map(|block| BlockInfo {
                number: block.number,
                slot: block.slot,
                proposer: block.proposer,
                state_root: block.state_root,
                valid: block.is_valid(),
                tx_hashes: block.tx_hashes,
                backup: block.backup,
                l1_block: block.l1_block,
                l1_tx_hash: block.l1_tx,
                invalid_reason: block.invalid,
            }))
        }
        "fernet_getStateRoot" => {
            arity(params, 0)?;
            to_value(chain.tip_state_root())
        }
        "fernet_isNullifierSpent" => {
            arity(params, 1)?;
            let nullifier: FieldElement = param(params, 0, "nullifier")?;
            to_value(chain.is_spent(&nullifier.0))
        }
        "fernet_getFeeBalance" => {
            arity(params, 1)?;
            let account: Address = param(params, 0, "account")?;
            to_value(chain.fee_balance(&account).to_string())
        }
        "fernet_getPendingTransactions" => {
            arity(params, 1)?;
            let limit: u64 = match params.first() {
                None => 100,
                Some(_) => param(params, 0, "limit")?,
            };
            if limit > MAX_PENDING_LIMIT {
                return Err(RpcError::new(
                    INVALID_PARAMS,
                    format!("invalid limit {limit}: at most {MAX_PENDING_LIMIT}"),
                ));
            }
            let pending = pool.pending(limit as usize);
            to_value(
                pending
                    .into_iter()
                    .map(|p| PendingTx {
                        hash: p.hash,
                        tx: p.tx,
                    })
                    .collect::<Vec<_>>(),
            )
        }
        "fernet_sendEpochProofQuote" => {
            arity(params, 1)?;
            let quote: SignedQuote = param(params, 0, "signedQuote")?;
            match pool.add_quote(quote.clone()) {
                Ok(new) => {
                    context.metrics.quotes_accepted.inc();
                    if new {
                        context
                            .gossip
                            .quote(quote.quote.digest(context.l1.chain_id), &quote);
                    }
                    Ok(Value::Bool(true))
                }
                Err(error) => {
                    context.metrics.quotes_rejected.inc();
                    Err(error.into())
                }
            }
        }
        "fernet_getEpochProofQuotes" => {
            arity(params, 1)?;
            let epoch: u64 = param(params, 0, "epoch")?;
            to_value(pool.quotes(epoch))
        }
        "fernet_nodeInfo" => {
            arity(params, 0)?;
            let chain = chain.read();
            to_value(NodeInfo {
                chain_id: context.l1.chain_id,
                rollup: context.l1.deployment.rollup.address,
                fee_inbox: context.l1.deployment.fee_inbox.address,
                l2_base_fee: pool.base_fee().to_string(),
                synced_l1_block: chain.synced_l1_block(),
                pending: chain.pending_tip(),
                proven: chain.proven_tip(),
            })
        }
        other => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!(
                "unknown method {:?}",
                other.chars().take(100).collect::<String>()
            ),
        )),
    }
}
