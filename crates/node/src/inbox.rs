//! The L1 fee inbox as a block builder (a sequencer, or a test proposing blocks) reads it: the deposits a block on top of a given parent
//! must consume next, oldest first.

use alloy::{primitives::U256, providers::DynProvider};
use fernet_bindings::{ContractResultExt, IFeeInbox};
use fernet_state::{L1ToL2Message, MESSAGES_PER_BLOCK};

/// Up to [`MESSAGES_PER_BLOCK`] messages of the inbox from `cursor` (the parent block's
/// `inboxCursor`), in inbox order. Including every one that exists is always allowed and meets
/// the must-include rule (a deposit older than the inclusion delay must be in the next block
/// that has room).
pub async fn next_messages(
    inbox: &IFeeInbox::IFeeInboxInstance<DynProvider>,
    cursor: u64,
) -> Result<Vec<L1ToL2Message>, fernet_bindings::Error> {
    let count: u64 = inbox
        .messageCount()
        .call()
        .await
        .decoded("FeeInbox.messageCount")?
        .saturating_to();
    let end = count.min(cursor + MESSAGES_PER_BLOCK as u64);
    let mut messages = Vec::new();
    for index in cursor..end {
        let message = inbox
            .message(U256::from(index))
            .call()
            .await
            .decoded("FeeInbox.message")?;
        messages.push(L1ToL2Message {
            recipient: message.recipient.into_array(),
            amount: message.amount.to::<u128>(),
        });
    }
    Ok(messages)
}
