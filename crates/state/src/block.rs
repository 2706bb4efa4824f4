//! Blocks: a header (number, slot) and a body (coinbase, consumed L1 messages, transaction
//! effects) whose encoding is the data the proposer publishes on L1.

use std::collections::HashMap;

use crate::{
    error::Error,
    fees::{L1ToL2Message, MESSAGES_PER_BLOCK},
    field::Fr,
    public_inputs::MAX_TOTAL_FEES_BITS,
    tx::TxEffect,
    Result,
};

/// A 20-byte L1 address.
pub type Address = [u8; 20];

/// The published part of a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockBody {
    /// Who receives the block's fees on L1, if anyone (encoded as the zero address if none).
    pub coinbase: Option<Address>,
    /// The deposits consumed from the L1 fee inbox, in inbox order (at most
    /// [`MESSAGES_PER_BLOCK`]); credited before any transaction runs.
    pub messages: Vec<L1ToL2Message>,
    /// The transaction effects, in application order.
    pub txs: Vec<TxEffect>,
}

/// A block: its place in the chain and its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// Height; the first block after genesis is 1.
    pub number: u64,
    /// L1 slot the block was proposed in.
    pub slot: u64,
    /// Coinbase and transaction effects.
    pub body: BlockBody,
}

impl BlockBody {
    /// Checks what needs no state: a non-zero coinbase, at most [`MESSAGES_PER_BLOCK`] valid
    /// messages, valid tx effects, no nullifier twice, and fees that fit the packed globals.
    pub fn validate(&self) -> Result<()> {
        if self.coinbase == Some([0u8; 20]) {
            return Err(Error::ZeroCoinbase);
        }
        if self.messages.len() > MESSAGES_PER_BLOCK {
            return Err(Error::TooManyMessages {
                count: self.messages.len(),
                max: MESSAGES_PER_BLOCK,
            });
        }
        for (index, message) in self.messages.iter().enumerate() {
            message
                .validate()
                .map_err(|source| Error::InvalidMessage { index, source })?;
        }
        let mut seen: HashMap<Fr, usize> = HashMap::new();
        for (index, tx) in self.txs.iter().enumerate() {
            tx.validate()
                .map_err(|source| Error::InvalidTx { index, source })?;
            for nullifier in tx.nullifiers() {
                if let Some(first_tx) = seen.insert(nullifier, index) {
                    return Err(Error::DuplicateNullifier {
                        nullifier,
                        first_tx,
                        second_tx: index,
                    });
                }
            }
        }
        let total = self.total_fees();
        if total >> MAX_TOTAL_FEES_BITS != 0 {
            return Err(Error::TotalFeesTooLarge {
                total,
                bits: MAX_TOTAL_FEES_BITS,
            });
        }
        Ok(())
    }

    /// Sum of the transactions' fees.
    pub fn total_fees(&self) -> u128 {
        self.txs.iter().map(|tx| u128::from(tx.fee)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{MessageError, TxError};

    fn tx(nullifiers: &[u64]) -> TxEffect {
        let nullifiers: Vec<Fr> = nullifiers.iter().copied().map(Fr::from).collect();
        TxEffect::new(1, [1; 20], &nullifiers, &[], None).unwrap()
    }

    fn message(amount: u128) -> L1ToL2Message {
        L1ToL2Message {
            recipient: [2; 20],
            amount,
        }
    }

    #[test]
    fn rejects_nullifier_twice_in_block() {
        let body = BlockBody {
            coinbase: None,
            messages: vec![],
            txs: vec![tx(&[1, 2]), tx(&[3]), tx(&[2])],
        };
        assert_eq!(
            body.validate(),
            Err(Error::DuplicateNullifier {
                nullifier: Fr::from(2u64),
                first_tx: 0,
                second_tx: 2
            })
        );
    }

    #[test]
    fn rejects_zero_coinbase_and_bad_tx() {
        let body = BlockBody {
            coinbase: Some([0; 20]),
            ..BlockBody::default()
        };
        assert_eq!(body.validate(), Err(Error::ZeroCoinbase));
        let body = BlockBody {
            coinbase: Some([1; 20]),
            messages: vec![],
            txs: vec![tx(&[1]), TxEffect::default()],
        };
        assert_eq!(
            body.validate(),
            Err(Error::InvalidTx {
                index: 1,
                source: TxError::MissingNullifier
            })
        );
    }

    #[test]
    fn rejects_too_many_or_invalid_messages() {
        let body = |messages: Vec<L1ToL2Message>| BlockBody {
            coinbase: None,
            messages,
            txs: vec![],
        };
        assert_eq!(
            body(vec![message(1); MESSAGES_PER_BLOCK]).validate(),
            Ok(())
        );
        assert_eq!(
            body(vec![message(1); MESSAGES_PER_BLOCK + 1]).validate(),
            Err(Error::TooManyMessages { count: 5, max: 4 })
        );
        assert_eq!(
            body(vec![message(1), message(0)]).validate(),
            Err(Error::InvalidMessage {
                index: 1,
                source: MessageError::ZeroAmount
            })
        );
        assert_eq!(
            body(vec![L1ToL2Message::default()]).validate(),
            Err(Error::InvalidMessage {
                index: 0,
                source: MessageError::ZeroRecipient
            })
        );
    }
}
