//! The node's HTTP server: JSON-RPC 2.0 on `POST /` (jsonrpsee, from the [`FernetApi`] trait that
//! also generates the typed client behind [`crate::NodeClient`]), `GET /metrics` (Prometheus
//! text) and `GET /health`, all on one port.
//!
//! Error codes: `-32700` body is not JSON, `-32600` not a JSON-RPC request (or a body over
//! [`MAX_BODY_BYTES`], answered with HTTP 413), `-32601` unknown method, `-32602` invalid params
//! (naming the parameter and quoting the value), `-32000` rejected by the node (spent
//! nullifier, low fee, bad quote ...), `-32603` internal. Params are positional (an array).
//! Limits: batches of at most [`MAX_BATCH_LEN`] calls, [`MAX_CONNECTIONS`] requests served at
//! once (more get HTTP 429).

use std::sync::Arc;

use alloy::primitives::{Address, B256};
use axum::Router;
use fernet_primitives::SignedQuote;
use fernet_rpc::{
    codes::{INTERNAL_ERROR, INVALID_PARAMS, REJECTED},
    invalid_params, Limits, RequestCheck,
};
use jsonrpsee::{
    core::RpcResult, proc_macros::rpc, server::StopHandle, types::ErrorObjectOwned, Extensions,
};
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{value::RawValue, Value};
use tracing::warn;

use crate::{
    metrics::Metrics,
    network::Network,
    pool::PoolError,
    status::{tx_status, TxStatus},
    tx::{FieldElement, Tx},
    ChainHandle, Error, PoolHandle, L1,
};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: u32 = 1 << 20;
/// Most calls in one batch.
pub const MAX_BATCH_LEN: u32 = 100;
/// Most requests served at once.
pub const MAX_CONNECTIONS: u32 = 256;
/// Most transactions `fernet_getPendingTransactions` returns.
pub const MAX_PENDING_LIMIT: u64 = 10_000;
/// What `fernet_getPendingTransactions` returns without a limit.
const DEFAULT_PENDING_LIMIT: u64 = 100;

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

/// A positional parameter: the client sends a `T`; the server keeps the JSON as sent and
/// decodes it in the handler, so that a bad value gets a `-32602` naming the parameter and
/// quoting the value (jsonrpsee's own decoding knows neither).
#[derive(Debug, Clone)]
pub struct Param<T>(ParamValue<T>);

#[derive(Debug, Clone)]
enum ParamValue<T> {
    Typed(T),
    Raw(Value),
}

impl<T> From<T> for Param<T> {
    fn from(value: T) -> Self {
        Self(ParamValue::Typed(value))
    }
}

impl<T: DeserializeOwned> Param<T> {
    /// The value, or a `-32602` naming it `name`.
    pub fn decode(self, name: &str) -> RpcResult<T> {
        match self.0 {
            ParamValue::Typed(value) => Ok(value),
            ParamValue::Raw(value) => T::deserialize(&value).map_err(|error| {
                invalid_params(format!(
                    "invalid {name} {}: {error}",
                    preview(&value.to_string())
                ))
            }),
        }
    }
}

impl<T: Serialize> Serialize for Param<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            ParamValue::Typed(value) => value.serialize(serializer),
            ParamValue::Raw(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de, T> Deserialize<'de> for Param<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| Self(ParamValue::Raw(value)))
    }
}

/// The `fernet_*` methods of `docs/services.md`: the server implements [`FernetApiServer`],
/// clients call [`FernetApiClient`] (what [`crate::NodeClient`] wraps).
#[rpc(server, client, namespace = "fernet")]
pub trait FernetApi {
    /// Pools a transaction (and gossips it); returns its hash. Runs on the blocking pool: it
    /// writes the store.
    #[method(name = "sendTransaction", with_extensions, blocking)]
    fn send_transaction(&self, transaction: Param<Tx>) -> RpcResult<B256>;

    /// Where a transaction is: pooled, in a pending or proven block, dropped, or unknown.
    #[method(name = "getTransactionStatus", with_extensions)]
    fn transaction_status(&self, hash: Param<B256>) -> RpcResult<TxStatus>;

    /// The pending, proven and finalized tips.
    #[method(name = "blockNumber", with_extensions)]
    fn block_number(&self) -> RpcResult<BlockNumbers>;

    /// A block of the pending chain, `null` if there is none with this number.
    #[method(name = "getBlock", with_extensions)]
    fn block(&self, number: Param<u64>) -> RpcResult<Option<BlockInfo>>;

    /// The state root at the pending tip.
    #[method(name = "getStateRoot", with_extensions)]
    fn state_root(&self) -> RpcResult<B256>;

    /// Whether a nullifier is spent at the pending tip.
    #[method(name = "isNullifierSpent", with_extensions)]
    fn is_nullifier_spent(&self, nullifier: Param<FieldElement>) -> RpcResult<bool>;

    /// An account's L2 fee balance at the pending tip (decimal string).
    #[method(name = "getFeeBalance", with_extensions)]
    fn fee_balance(&self, account: Param<Address>) -> RpcResult<String>;

    /// Pooled transactions, best first (at most `limit`, default 100, at most
    /// [`MAX_PENDING_LIMIT`]).
    #[method(name = "getPendingTransactions", with_extensions)]
    fn pending_transactions(&self, limit: Option<Param<u64>>) -> RpcResult<Vec<PendingTx>>;

    /// Pools a signed epoch proof quote (and gossips it when new). Runs on the blocking pool:
    /// it writes the store.
    #[method(name = "sendEpochProofQuote", with_extensions, blocking)]
    fn send_epoch_proof_quote(&self, signed_quote: Param<SignedQuote>) -> RpcResult<bool>;

    /// The pooled quotes for an epoch.
    #[method(name = "getEpochProofQuotes", with_extensions)]
    fn epoch_proof_quotes(&self, epoch: Param<u64>) -> RpcResult<Vec<SignedQuote>>;

    /// The chain, the contracts, the base fee and the sync state.
    #[method(name = "nodeInfo", with_extensions)]
    fn node_info(&self) -> RpcResult<NodeInfo>;
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
    pub network: Network,
}

/// The JSON-RPC error of a failed request: `-32602` for a malformed transaction, `-32000` for a
/// rule the pool or the quote checks enforce, `-32603` (logged) for anything else.
fn rpc_error(error: Error) -> ErrorObjectOwned {
    let code = match &error {
        Error::Pool(PoolError::Malformed(_)) => INVALID_PARAMS,
        Error::Pool(_) | Error::Quote(_) => REJECTED,
        _ => {
            warn!(%error, "internal error");
            INTERNAL_ERROR
        }
    };
    ErrorObjectOwned::owned(code, error.to_string(), None::<()>)
}

/// How many positional params the request has (put there by the [`Positional`] middleware).
#[derive(Debug, Clone, Copy)]
struct ParamCount(usize);

/// `-32602` unless the request has at most `max` params.
fn arity(extensions: &Extensions, max: usize) -> RpcResult<()> {
    let count = extensions.get::<ParamCount>().map_or(0, |count| count.0);
    if count > max {
        return Err(invalid_params(format!(
            "expected at most {max} parameters, got {count}"
        )));
    }
    Ok(())
}

impl FernetApiServer for RpcContext {
    fn send_transaction(&self, ext: &Extensions, transaction: Param<Tx>) -> RpcResult<B256> {
        let accepted = arity(ext, 1)
            .and_then(|()| transaction.decode("transaction"))
            .and_then(|tx| {
                let hash = crate::blocking::mark_blocking(|| self.pool.add_tx(tx.clone()))
                    .map_err(rpc_error)?;
                Ok((hash, tx))
            });
        match accepted {
            Ok((hash, tx)) => {
                self.metrics.txs_accepted.increment(1);
                self.network.tx(hash, &tx);
                Ok(hash)
            }
            Err(error) => {
                self.metrics.txs_rejected.increment(1);
                Err(error)
            }
        }
    }

    fn transaction_status(&self, ext: &Extensions, hash: Param<B256>) -> RpcResult<TxStatus> {
        arity(ext, 1)?;
        let hash = hash.decode("transaction hash")?;
        Ok(tx_status(&self.chain, &self.pool, &hash))
    }

    fn block_number(&self, ext: &Extensions) -> RpcResult<BlockNumbers> {
        arity(ext, 0)?;
        let chain = self.chain.read();
        Ok(BlockNumbers {
            pending: chain.pending_tip(),
            proven: chain.proven_tip(),
            finalized: chain.finalized_tip(),
        })
    }

    fn block(&self, ext: &Extensions, number: Param<u64>) -> RpcResult<Option<BlockInfo>> {
        arity(ext, 1)?;
        let number = number.decode("block number")?;
        Ok(self.chain.block(number).map(|block| BlockInfo {
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

    fn state_root(&self, ext: &Extensions) -> RpcResult<B256> {
        arity(ext, 0)?;
        Ok(self.chain.tip_state_root())
    }

    fn is_nullifier_spent(
        &self,
        ext: &Extensions,
        nullifier: Param<FieldElement>,
    ) -> RpcResult<bool> {
        arity(ext, 1)?;
        let nullifier = nullifier.decode("nullifier")?;
        Ok(self.chain.is_spent(&nullifier.0))
    }

    fn fee_balance(&self, ext: &Extensions, account: Param<Address>) -> RpcResult<String> {
        arity(ext, 1)?;
        let account = account.decode("account")?;
        Ok(self.chain.fee_balance(&account).to_string())
    }

    fn pending_transactions(
        &self,
        ext: &Extensions,
        limit: Option<Param<u64>>,
    ) -> RpcResult<Vec<PendingTx>> {
        arity(ext, 1)?;
        let limit = match limit {
            None => DEFAULT_PENDING_LIMIT,
            Some(limit) => limit.decode("limit")?,
        };
        if limit > MAX_PENDING_LIMIT {
            return Err(invalid_params(format!(
                "invalid limit {limit}: at most {MAX_PENDING_LIMIT}"
            )));
        }
        let pending = self.pool.pending(limit as usize);
        Ok(pending
            .into_iter()
            .map(|p| PendingTx {
                hash: p.hash,
                tx: p.tx,
            })
            .collect())
    }

    fn send_epoch_proof_quote(
        &self,
        ext: &Extensions,
        signed_quote: Param<SignedQuote>,
    ) -> RpcResult<bool> {
        arity(ext, 1)?;
        let quote = signed_quote.decode("signedQuote")?;
        match crate::blocking::mark_blocking(|| self.pool.add_quote(quote.clone())) {
            Ok(new) => {
                self.metrics.quotes_accepted.increment(1);
                if new {
                    self.network
                        .quote(quote.quote.digest(self.l1.chain_id), &quote);
                }
                Ok(true)
            }
            Err(error) => {
                self.metrics.quotes_rejected.increment(1);
                Err(rpc_error(error))
            }
        }
    }

    fn epoch_proof_quotes(
        &self,
        ext: &Extensions,
        epoch: Param<u64>,
    ) -> RpcResult<Vec<SignedQuote>> {
        arity(ext, 1)?;
        let epoch = epoch.decode("epoch")?;
        Ok(self.pool.quotes(epoch))
    }

    fn node_info(&self, ext: &Extensions) -> RpcResult<NodeInfo> {
        arity(ext, 0)?;
        let chain = self.chain.read();
        Ok(NodeInfo {
            chain_id: self.l1.chain_id,
            rollup: self.l1.deployment.rollup.address,
            fee_inbox: self.l1.deployment.fee_inbox.address,
            l2_base_fee: self.pool.base_fee().to_string(),
            synced_l1_block: chain.synced_l1_block(),
            pending: chain.pending_tip(),
            proven: chain.proven_tip(),
        })
    }
}

/// At most 200 characters of a JSON text, for error messages.
fn preview(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The node's check of each call: counts it, refuses params that are not an array (`-32602`:
/// the node's methods take positional params) and records how many there are for the
/// handler's [`arity`] check (jsonrpsee ignores extra params).
fn positional(metrics: Arc<Metrics>) -> RequestCheck {
    Arc::new(move |request| {
        metrics.rpc_requests.increment(1);
        let count = match request.params.as_deref().map(RawValue::get) {
            None | Some("null") => 0,
            Some(text) => serde_json::from_str::<Vec<&RawValue>>(text)
                .map_err(|_| {
                    invalid_params(format!("params must be an array, got {}", preview(text)))
                })?
                .len(),
        };
        request.extensions.insert(ParamCount(count));
        Ok(())
    })
}

/// The HTTP routes: the `fernet_*` methods on `POST /`, `/health` and `/metrics`
/// ([`fernet_rpc::router`]). `stop` ends the JSON-RPC service.
pub fn router(context: RpcContext, stop: StopHandle) -> Router {
    let limits = Limits {
        body_bytes: MAX_BODY_BYTES,
        connections: MAX_CONNECTIONS,
        batch_len: MAX_BATCH_LEN,
    };
    let chain = context.chain.clone();
    let pool = context.pool.clone();
    let metrics = context.metrics.clone();
    let network = context.network.clone();
    let check = positional(metrics.clone());
    fernet_rpc::router(context.into_rpc(), limits, check, stop, move || {
        let text = metrics.render(&chain, &pool, network.p2p());
        async move { Ok(text) }
    })
}
