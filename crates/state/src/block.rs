//! Blocks: a header (number, slot) and a body (coinbase, transaction effects) whose encoding
//! is the data the proposer publishes on L1.

use std::collections::HashMap;

use crate::{error::Error, field::Fr, public_inputs::MAX_TOTAL_FEES_BITS, tx::TxEffect, Result};

/// A 20-byte L1 address.
pub type Address = [u8; 20];

/// The published part of a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockBody {
    /// Who receives the block's fees on L1, if anyone (encoded as the zero address if none).
    pub coinbase: Option<Address>,
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
    /// Checks what needs no state: a non-zero coinbase, valid tx effects, no nullifier twice,
    /// and fees that fit the packed globals.
    pub fn validate(&self) -> Result<()> {
        if self.coinbase == Some([0u8; 20]) {
            return Err(Error::ZeroCoinbase);
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
    use crate::error::TxError;

    fn tx(nullifiers: &[u64]) -> TxEffect {
        let nullifiers: Vec<Fr> = nullifiers.iter().copied().map(Fr::from).collect();
        TxEffect::new(1, &nullifiers, &[], None).unwrap()
    }

    #[test]
    fn rejects_nullifier_twice_in_block() {
        let body = BlockBody {
            coinbase: None,
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
            txs: vec![],
        };
        assert_eq!(body.validate(), Err(Error::ZeroCoinbase));
        let body = BlockBody {
            coinbase: Some([1; 20]),
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
}
