//! Fee deposits: the fee asset (the staking token) moved into the L1 fee inbox for an L2
//! account. The deposit is an L1-to-L2 message; the next blocks consume the inbox in order and
//! credit it to the account's L2 fee balance, from which its transactions' fees are paid.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256, U256},
    providers::DynProvider,
};
use fernet_bindings::{ContractResultExt, DevnetToken, IFeeInbox};

use crate::l1::{receipt_within, RECEIPT_TIMEOUT};

/// Why a deposit failed.
#[derive(Debug, thiserror::Error)]
pub enum DepositError {
    /// A contract call or transaction failed (its revert decoded when there is one).
    #[error(transparent)]
    Contract(#[from] Box<fernet_bindings::Error>),
    /// A sent transaction got no receipt.
    #[error("{what}: no receipt for {tx}: {source}")]
    Receipt {
        /// The transaction's purpose.
        what: &'static str,
        /// Its hash.
        tx: B256,
        /// Why the receipt did not come.
        #[source]
        source: alloy::providers::PendingTransactionError,
    },
    /// The transaction was mined but reverted.
    #[error("{what}: transaction {tx} reverted")]
    Reverted {
        /// The transaction's purpose.
        what: &'static str,
        /// Its hash.
        tx: B256,
    },
    /// The deposit's receipt has no `DepositQueued` event.
    #[error("FeeInbox.deposit: transaction {0} emitted no DepositQueued event")]
    NoEvent(B256),
}

impl From<fernet_bindings::Error> for DepositError {
    fn from(error: fernet_bindings::Error) -> Self {
        Self::Contract(Box::new(error))
    }
}

/// A deposit the inbox queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedDeposit {
    /// Its index in the inbox (blocks consume indices in order).
    pub index: u64,
    /// The L2 account credited.
    pub recipient: Address,
    /// The amount, in the token's base units.
    pub amount: U256,
    /// L1 time from which every block with a free message slot must include it.
    pub include_by: u64,
    /// The L1 transaction.
    pub l1_tx: B256,
}

/// Deposits `amount` of the fee asset into the inbox at `inbox` for `recipient`, from the
/// provider's signer: approves the inbox first when the allowance is short, then waits for the
/// deposit's receipt (at most [`RECEIPT_TIMEOUT`] each).
pub async fn deposit(
    provider: &DynProvider,
    from: Address,
    inbox: Address,
    recipient: Address,
    amount: U256,
) -> Result<QueuedDeposit, DepositError> {
    let inbox = IFeeInbox::new(inbox, provider.clone());
    let token_address = inbox.token().call().await.decoded("FeeInbox.token")?;
    let token = DevnetToken::new(token_address, provider.clone());
    let allowance = token
        .allowance(from, *inbox.address())
        .call()
        .await
        .decoded("token.allowance")?;
    if allowance < amount {
        let pending = token
            .approve(*inbox.address(), amount)
            .send()
            .await
            .decoded("token.approve")?;
        confirm("token.approve", pending).await?;
    }
    let pending = inbox
        .deposit(recipient, amount)
        .send()
        .await
        .decoded("FeeInbox.deposit")?;
    let receipt = confirm("FeeInbox.deposit", pending).await?;
    let event = receipt
        .decoded_log::<IFeeInbox::DepositQueued>()
        .ok_or(DepositError::NoEvent(receipt.transaction_hash))?;
    Ok(QueuedDeposit {
        index: event.index.saturating_to(),
        recipient: event.recipient,
        amount: event.amount,
        include_by: event.includeBy.saturating_to(),
        l1_tx: receipt.transaction_hash,
    })
}

/// Waits for the receipt of `pending` and fails if it reverted.
async fn confirm(
    what: &'static str,
    pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
) -> Result<alloy::rpc::types::TransactionReceipt, DepositError> {
    let tx = *pending.tx_hash();
    let receipt = receipt_within(pending, RECEIPT_TIMEOUT)
        .await
        .map_err(|source| DepositError::Receipt { what, tx, source })?;
    if !receipt.status() {
        return Err(DepositError::Reverted { what, tx });
    }
    Ok(receipt)
}

/// How long [`wait_for_balance`] polls between reads.
const BALANCE_POLL: Duration = Duration::from_secs(1);

/// Polls the node until `account`'s L2 fee balance is at least `minimum` (its deposit was
/// consumed by a block the node follows), for at most `timeout`; returns the balance. An
/// unreachable node is asked again until the timeout.
pub async fn wait_for_balance(
    node: &crate::NodeClient,
    account: Address,
    minimum: u128,
    timeout: Duration,
) -> Result<u128, crate::client::ClientError> {
    let started = std::time::Instant::now();
    loop {
        let timed_out = started.elapsed() >= timeout;
        match node.fee_balance(account).await {
            Ok(balance) if balance >= minimum || timed_out => return Ok(balance),
            Ok(_) => {}
            Err(error) if error.is_transient() && !timed_out => {
                tracing::debug!(%error, "node unreachable, asking again");
            }
            Err(error) => return Err(error),
        }
        tokio::time::sleep(BALANCE_POLL).await;
    }
}
