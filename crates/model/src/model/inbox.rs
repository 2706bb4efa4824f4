//! The fee inbox: deposits for L2 accounts, the messages blocks must consume in order (with the
//! must-include rule), and the release of consumed deposits to the reward pool once proven.

use alloy::primitives::{Address, B256, U256};
use fernet_bindings::errors::Errors;
use fernet_state::{encode_message, L1ToL2Message, MAX_DEPOSIT_BITS, MESSAGES_PER_BLOCK};

use super::token::Token;
use crate::reverts::{Outcome, Revert};

/// The largest deposit, `2^96 - 1` (a message slot's 96-bit amount).
pub const MAX_DEPOSIT: u128 = (1 << MAX_DEPOSIT_BITS) - 1;

/// One deposit, as `IFeeInbox.Message`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// The L2 account credited.
    pub recipient: Address,
    /// The amount deposited.
    pub amount: u128,
    /// From this time on, a block with a free slot must consume the message if it is the next.
    pub include_by: u64,
}

impl Message {
    /// The word a block carries for it: `uint160(recipient) << 96 | amount`.
    pub fn word(&self) -> B256 {
        message_word(self.recipient, self.amount)
    }
}

/// The message word of a deposit of `amount` for `recipient` (the slot bytes of the block data).
pub fn message_word(recipient: Address, amount: u128) -> B256 {
    B256::from(encode_message(&L1ToL2Message {
        recipient: recipient.into_array(),
        amount,
    }))
}

/// The fee inbox's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inbox {
    /// Every message, by index.
    pub messages: Vec<Message>,
    /// Sum of every deposit.
    pub total_deposited: u128,
    /// Messages whose deposits went to the pool (a prefix).
    pub released_cursor: u64,
    /// Sum of the released deposits.
    pub released_total: u128,
}

impl Inbox {
    /// `messageCount()`.
    pub fn count(&self) -> u64 {
        self.messages.len() as u64
    }

    /// The sum of the amounts of messages `0..cursor` (`cursor` at most the count).
    pub fn deposited_before(&self, cursor: u64) -> u128 {
        self.messages[..cursor as usize]
            .iter()
            .map(|m| m.amount)
            .sum()
    }

    /// `deposit(recipient, amount)` paid by `payer`, due from `include_by` (the deposit's time
    /// plus the inclusion delay): the new message's index.
    pub fn deposit(
        &mut self,
        token: &mut Token,
        include_by: u64,
        payer: Address,
        recipient: Address,
        amount: U256,
        this: Address,
    ) -> Outcome<u64> {
        if recipient == Address::ZERO {
            return Err(Revert::of(Errors::Inbox__ZeroRecipient {}));
        }
        if amount.is_zero() {
            return Err(Revert::of(Errors::Amount__Zero {}));
        }
        if amount > U256::from(MAX_DEPOSIT) {
            return Err(Revert::of(Errors::Inbox__DepositTooLarge {
                maximum: U256::from(MAX_DEPOSIT),
                amount,
            }));
        }
        let amount: u128 = amount.to();
        let index = self.count();
        self.messages.push(Message {
            recipient,
            amount,
            include_by,
        });
        self.total_deposited += amount;
        token.transfer(payer, this, amount)?;
        Ok(index)
    }

    /// `checkMessages(cursor, words)` at `now`: the cursor after the words.
    pub fn check_messages(&self, now: u64, cursor: u64, words: &[B256]) -> Outcome<u64> {
        let count = self.count();
        for (i, word) in words.iter().enumerate() {
            let index = cursor + i as u64;
            if index >= count {
                return Err(Revert::of(Errors::Inbox__UnknownMessage {
                    index: U256::from(index),
                    count: U256::from(count),
                }));
            }
            let expected = self.messages[index as usize].word();
            if *word != expected {
                return Err(Revert::of(Errors::Inbox__MessageMismatch {
                    index: U256::from(index),
                    expected,
                    actual: *word,
                }));
            }
        }
        let next = cursor + words.len() as u64;
        if words.len() < MESSAGES_PER_BLOCK && next < count {
            let include_by = self.messages[next as usize].include_by;
            if now >= include_by {
                return Err(Revert::of(Errors::Inbox__MessageNotIncluded {
                    index: U256::from(next),
                    includeBy: U256::from(include_by),
                }));
            }
        }
        Ok(next)
    }

    /// `release(cursor)` by the rollup: moves the deposits of messages
    /// `released_cursor..cursor` to `pool`; returns their sum.
    pub fn release(
        &mut self,
        token: &mut Token,
        cursor: u64,
        this: Address,
        pool: Address,
    ) -> Outcome<u128> {
        let from = self.released_cursor;
        if cursor <= from {
            return Ok(0);
        }
        let count = self.count();
        if cursor > count {
            return Err(Revert::of(Errors::Inbox__UnknownMessage {
                index: U256::from(cursor - 1),
                count: U256::from(count),
            }));
        }
        let up_to = self.deposited_before(cursor);
        let amount = up_to - self.released_total;
        self.released_cursor = cursor;
        self.released_total = up_to;
        token.transfer(this, pool, amount)?;
        Ok(amount)
    }
}
