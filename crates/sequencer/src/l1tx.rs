//! Sending a contract call through a key's [`TxSender`] and waiting for its successful receipt.

use alloy::{
    contract::{CallBuilder, CallDecoder},
    providers::Provider,
    rpc::types::TransactionReceipt,
};
use fernet_l1::TxSender;

use crate::error::Result;

/// Simulates `call` from `sender`'s key (a revert comes back decoded into the suite's custom
/// errors, naming `context`), sends it, and waits for its receipt while the sender replaces it
/// with bumped fees should it get stuck; a receipt that reverted is an error.
pub(crate) async fn send<P: Provider, D: CallDecoder>(
    sender: &TxSender,
    call: CallBuilder<P, D>,
    context: &'static str,
) -> Result<TransactionReceipt> {
    let pending = sender.send_call(call, context).await?;
    Ok(pending.receipt().await?)
}
