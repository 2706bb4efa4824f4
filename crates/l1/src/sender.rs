//! [`TxSender`]: sends the transactions of one key, owning its nonce, and [`PendingTx`]: the
//! receipt a background watcher delivers.

use std::{borrow::Cow, sync::Arc, time::Duration};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    eips::eip2718::Encodable2718,
    eips::BlockId,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    transports::TransportError,
};
use fernet_bindings::ContractResultExt;
use tokio::sync::{oneshot, watch, Mutex, OnceCell};
use tracing::{debug, info, warn};

use crate::{watcher::Watch, Error, Fees, Head, L1Options, Result};

/// How often a watcher without a head subscription ([`TxSender::with_heads`]) asks L1 whether its
/// transaction's nonce was mined, by default.
pub const DEFAULT_RECEIPT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How many times a transaction is replaced before its watcher gives up on it.
pub const MAX_REPLACEMENTS: usize = 5;

/// Sends the transactions of one signing key (clone-cheap: clones share the key's nonce).
///
/// The nonce is read from L1 once and then counted locally, so transactions can be sent back to
/// back without waiting for receipts; a send the node refuses for its nonce (`nonce too low`, a
/// transaction sent with the same key elsewhere) reads it from L1 again and retries once.
#[derive(Debug, Clone)]
pub struct TxSender {
    shared: Arc<Shared>,
    poll_interval: Duration,
    heads: Option<watch::Receiver<Head>>,
}

#[derive(Debug)]
struct Shared {
    provider: DynProvider,
    wallet: EthereumWallet,
    address: Address,
    replace_after: Duration,
    fee_bump_percent: u64,
    chain_id: OnceCell<u64>,
    /// The next nonce to use; `None`: read it from L1.
    nonce: Mutex<Option<u64>>,
}

impl TxSender {
    /// A sender signing with `signer` on `provider` (a provider from [`crate::connect`]),
    /// replacing stuck transactions as `options` say.
    pub fn new(
        provider: DynProvider,
        signer: PrivateKeySigner,
        options: &L1Options,
    ) -> Result<Self> {
        options.validate()?;
        Ok(Self {
            shared: Arc::new(Shared {
                provider,
                address: signer.address(),
                wallet: EthereumWallet::from(signer),
                replace_after: options.tx_replace_after(),
                fee_bump_percent: options.tx_fee_bump_percent,
                chain_id: OnceCell::new(),
                nonce: Mutex::new(None),
            }),
            poll_interval: DEFAULT_RECEIPT_POLL_INTERVAL,
            heads: None,
        })
    }

    /// The same sender, its watchers polling L1 every `poll_interval`.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// The same sender, its watchers asking L1 about their nonce once per new L1 head
    /// ([`crate::L1Time::subscribe`]) instead of every poll interval: a transaction costs one
    /// nonce read per block until it is mined, and one receipt read. They still wake every
    /// poll interval when no head comes, to replace a stuck transaction in time.
    pub fn with_heads(mut self, heads: watch::Receiver<Head>) -> Self {
        self.heads = Some(heads);
        self
    }

    /// The signing address.
    pub fn address(&self) -> Address {
        self.shared.address
    }

    /// The provider transactions go through (also fine for reads).
    pub fn provider(&self) -> &DynProvider {
        &self.shared.provider
    }

    /// Simulates `call` from this sender's address (`eth_estimateGas` on the `pending` block,
    /// the one it will land in: a call that depends on the block, as a proposal on its slot
    /// does, would fail against `latest`, up to a block time in the past), so a revert comes
    /// back decoded (`Rollup__...(args)`, naming `context`), then [`send`](Self::send)s it.
    pub async fn send_call<P: Provider, D: CallDecoder>(
        &self,
        call: CallBuilder<P, D>,
        context: impl Into<Cow<'static, str>>,
    ) -> Result<PendingTx> {
        let context = context.into();
        let call = call.from(self.address()).block(BlockId::pending());
        let gas = call.estimate_gas().await.decoded(context.clone())?;
        let mut request = call.into_transaction_request();
        request.set_gas_limit(gas);
        self.send(request, context).await
    }

    /// Fills `request`'s sender, chain id, gas (estimated on the `pending` block when unset; a
    /// revert is decoded), fees
    /// (L1's EIP-1559 estimate when unset) and nonce, signs and sends it, and hands it to a
    /// background watcher that replaces it while it stays unmined. `context` names it in errors
    /// and logs.
    pub async fn send(
        &self,
        request: TransactionRequest,
        context: impl Into<Cow<'static, str>>,
    ) -> Result<PendingTx> {
        let context = context.into();
        let shared = &self.shared;
        let mut request = request.with_from(shared.address);
        request.set_chain_id(self.chain_id().await?);
        if request.gas.is_none() {
            let gas = shared
                .provider
                .estimate_gas(request.clone())
                .block(BlockId::pending())
                .await
                .map_err(|source| {
                    Error::Contract(fernet_bindings::Error::from_contract(
                        context.clone(),
                        source.into(),
                    ))
                })?;
            request.set_gas_limit(gas);
        }
        let fees = match (request.max_fee_per_gas, request.max_priority_fee_per_gas) {
            (Some(max_fee_per_gas), Some(max_priority_fee_per_gas)) => Fees {
                max_fee_per_gas,
                max_priority_fee_per_gas,
            },
            _ => self.market_fees(&context).await?,
        };
        fees.apply(&mut request);

        let mut next_nonce = shared.nonce.lock().await;
        let mut resynced = false;
        loop {
            let nonce = match *next_nonce {
                Some(nonce) => nonce,
                None => self.pending_nonce(&context).await?,
            };
            request.set_nonce(nonce);
            match broadcast(&shared.provider, &shared.wallet, request.clone(), &context).await {
                Ok(tx_hash) => {
                    *next_nonce = Some(nonce + 1);
                    drop(next_nonce);
                    debug!(%context, %tx_hash, nonce, "transaction sent");
                    return Ok(self.watch(request, context, nonce, fees, tx_hash));
                }
                Err(Error::Rpc { source, .. }) if !resynced && nonce_conflict(&source) => {
                    warn!(%context, nonce, error = %source, "nonce refused: reading it from L1 again");
                    *next_nonce = None;
                    resynced = true;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Spawns the watcher of a sent transaction.
    fn watch(
        &self,
        request: TransactionRequest,
        context: Cow<'static, str>,
        nonce: u64,
        fees: Fees,
        tx_hash: B256,
    ) -> PendingTx {
        let shared = &self.shared;
        let watch = Watch {
            provider: shared.provider.clone(),
            wallet: shared.wallet.clone(),
            address: shared.address,
            context: context.clone(),
            nonce,
            request,
            fees,
            hashes: vec![tx_hash],
            replace_after: shared.replace_after,
            fee_bump_percent: shared.fee_bump_percent,
            poll_interval: self.poll_interval,
            heads: self.heads.clone(),
        };
        let (sender, receipt) = oneshot::channel();
        tokio::spawn(async move {
            let context = watch.context.clone();
            let outcome = watch.run().await;
            match &outcome {
                Ok(receipt) => info!(
                    %context,
                    tx = %receipt.transaction_hash,
                    block = ?receipt.block_number,
                    success = receipt.status(),
                    gas_used = receipt.gas_used,
                    "transaction mined"
                ),
                Err(error) => warn!(%context, %error, "transaction failed"),
            }
            let _ = sender.send(outcome);
        });
        PendingTx {
            context,
            tx_hash,
            nonce,
            fees,
            receipt,
        }
    }

    /// The chain id, read once.
    async fn chain_id(&self) -> Result<u64> {
        self.shared
            .chain_id
            .get_or_try_init(|| async {
                self.shared
                    .provider
                    .get_chain_id()
                    .await
                    .map_err(Error::rpc("eth_chainId"))
            })
            .await
            .copied()
    }

    /// The account's pending transaction count.
    async fn pending_nonce(&self, context: &str) -> Result<u64> {
        self.shared
            .provider
            .get_transaction_count(self.shared.address)
            .pending()
            .await
            .map_err(Error::rpc(format!(
                "eth_getTransactionCount(pending) for {context}"
            )))
    }

    /// L1's EIP-1559 fee estimate.
    async fn market_fees(&self, context: &str) -> Result<Fees> {
        Ok(self
            .shared
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(Error::rpc(format!("fee estimate for {context}")))?
            .into())
    }
}

/// A sent transaction; its watcher keeps running (and logs the outcome) when this is dropped.
#[derive(Debug)]
pub struct PendingTx {
    context: Cow<'static, str>,
    tx_hash: B256,
    nonce: u64,
    fees: Fees,
    receipt: oneshot::Receiver<Result<TransactionReceipt>>,
}

impl PendingTx {
    /// The hash of the first transaction sent (replacements have others).
    pub fn tx_hash(&self) -> B256 {
        self.tx_hash
    }

    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The fees of the first transaction sent.
    pub fn fees(&self) -> Fees {
        self.fees
    }

    /// The receipt of whichever transaction of the nonce was mined; a reverted one is
    /// [`Error::Reverted`].
    pub async fn receipt(self) -> Result<TransactionReceipt> {
        let Self {
            context,
            tx_hash,
            receipt,
            ..
        } = self;
        let receipt = receipt.await.map_err(|_| Error::WatcherGone {
            context: context.clone(),
            tx_hash,
        })??;
        if !receipt.status() {
            return Err(Error::Reverted {
                context,
                tx_hash: receipt.transaction_hash,
                receipt: Box::new(receipt),
            });
        }
        Ok(receipt)
    }
}

/// Signs `request` and sends it; its hash. A node that already has it (a retried send whose first
/// attempt arrived) counts as sent.
pub(crate) async fn broadcast(
    provider: &DynProvider,
    wallet: &EthereumWallet,
    request: TransactionRequest,
    context: &str,
) -> Result<B256> {
    let envelope = request.build(wallet).await.map_err(|source| Error::Sign {
        context: context.to_owned().into(),
        source: Box::new(source),
    })?;
    let tx_hash = *envelope.tx_hash();
    match provider
        .send_raw_transaction(&envelope.encoded_2718())
        .await
    {
        Ok(_) => Ok(tx_hash),
        Err(error) if error_message_has(&error, &["already known", "known transaction"]) => {
            Ok(tx_hash)
        }
        Err(source) => Err(Error::Rpc {
            context: format!("eth_sendRawTransaction for {context}"),
            source,
        }),
    }
}

/// Whether the node refused a transaction for its nonce (used already, or taken by a pending
/// transaction that pays more).
pub(crate) fn nonce_conflict(error: &TransportError) -> bool {
    error_message_has(
        error,
        &[
            "nonce too low",
            "nonce too high",
            "replacement transaction underpriced",
        ],
    )
}

/// Whether the JSON-RPC error's message contains one of `needles` (case-insensitive).
fn error_message_has(error: &TransportError, needles: &[&str]) -> bool {
    error.as_error_resp().is_some_and(|payload| {
        let message = payload.message.to_lowercase();
        needles.iter().any(|needle| message.contains(needle))
    })
}

impl Fees {
    /// Sets both fees on `request`.
    pub(crate) fn apply(self, request: &mut TransactionRequest) {
        request.set_max_fee_per_gas(self.max_fee_per_gas);
        request.set_max_priority_fee_per_gas(self.max_priority_fee_per_gas);
    }
}
