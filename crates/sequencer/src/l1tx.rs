//! Sending a transaction and waiting for a successful receipt.

use alloy::{
    network::Ethereum, providers::PendingTransactionBuilder, rpc::types::TransactionReceipt,
};
use fernet_bindings::ContractResultExt;
use fernet_node::l1::{receipt_within, RECEIPT_TIMEOUT};

use crate::error::{rpc, Error, Result};

/// Waits (at most [`RECEIPT_TIMEOUT`]) for the receipt of a sent contract call and checks it
/// succeeded; a call that reverts in `eth_estimateGas` comes back with its custom error decoded.
pub(crate) async fn confirmed(
    sent: Result<PendingTransactionBuilder<Ethereum>, alloy::contract::Error>,
    context: &str,
) -> Result<TransactionReceipt> {
    let receipt = receipt_within(sent.decoded(context)?, RECEIPT_TIMEOUT)
        .await
        .map_err(rpc("eth_getTransactionReceipt"))?;
    if receipt.status() {
        Ok(receipt)
    } else {
        Err(Error::Rpc {
            method: "eth_sendRawTransaction",
            message: format!(
                "{context}: transaction {} reverted on chain",
                receipt.transaction_hash
            ),
        })
    }
}
