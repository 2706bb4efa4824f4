//! Transaction effects: what a transaction leaves in the state, in fixed slots padded with
//! zeros (a zero nullifier, note hash or key means "empty slot").

use ark_ff::AdditiveGroup;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{block::Address, error::TxError, fees::is_app_key, field::Fr};

/// Nullifier slots of a transaction.
pub const MAX_NULLIFIERS_PER_TX: usize = 2;
/// Note-hash slots of a transaction.
pub const MAX_NOTE_HASHES_PER_TX: usize = 2;
/// Public data write slots of a transaction.
pub const MAX_PUBLIC_DATA_WRITES_PER_TX: usize = 1;

/// A write of `value` under `key` in the public data tree; key 0 means "no write". App keys
/// are below `2^252` (the keys above hold fee balances).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PublicDataWrite {
    /// Storage key (non-zero for a real write).
    pub key: Fr,
    /// New value.
    pub value: Fr,
}

/// The effect of one transaction on the state. `TxEffect::default()` is the all-zero padding
/// effect that fills a block up to `max_txs_per_block` in the circuit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TxEffect {
    /// Fee paid to the block (summed into the block's `totalFees`), debited from `payer`'s
    /// fee balance.
    pub fee: u64,
    /// The account whose fee balance pays the fee; the zero address (no payer) only with a
    /// zero fee.
    pub payer: Address,
    /// Nullifiers, non-zero first; the first is mandatory.
    pub nullifiers: [Fr; MAX_NULLIFIERS_PER_TX],
    /// New note hashes, non-zero first.
    pub note_hashes: [Fr; MAX_NOTE_HASHES_PER_TX],
    /// The public data write (key 0: none).
    pub public_data_write: PublicDataWrite,
}

impl TxEffect {
    /// A valid effect from unpadded lists.
    pub fn new(
        fee: u64,
        payer: Address,
        nullifiers: &[Fr],
        note_hashes: &[Fr],
        public_data_write: Option<PublicDataWrite>,
    ) -> Result<Self, TxError> {
        let effect = Self {
            fee,
            payer,
            nullifiers: pad("nullifiers", nullifiers)?,
            note_hashes: pad("note hashes", note_hashes)?,
            public_data_write: public_data_write.unwrap_or_default(),
        };
        effect.validate()?;
        Ok(effect)
    }

    /// Checks the slot rules: a first nullifier, trailing padding, distinct nullifiers, no
    /// value without a key, an app key (`< 2^252`), and a payer for a non-zero fee.
    pub fn validate(&self) -> Result<(), TxError> {
        if self.nullifiers[0] == Fr::ZERO {
            return Err(TxError::MissingNullifier);
        }
        check_trailing_padding("nullifiers", &self.nullifiers)?;
        check_trailing_padding("note hashes", &self.note_hashes)?;
        if self.nullifiers[1] == self.nullifiers[0] {
            return Err(TxError::DuplicateNullifier);
        }
        let write = self.public_data_write;
        if write.key == Fr::ZERO && write.value != Fr::ZERO {
            return Err(TxError::ValueWithoutKey);
        }
        if !is_app_key(&write.key) {
            return Err(TxError::ReservedPublicDataKey);
        }
        if self.fee != 0 && self.payer == [0u8; 20] {
            return Err(TxError::FeeWithoutPayer);
        }
        Ok(())
    }

    /// The non-zero nullifiers.
    pub fn nullifiers(&self) -> impl Iterator<Item = Fr> + '_ {
        self.nullifiers.iter().copied().filter(|n| *n != Fr::ZERO)
    }

    /// The non-zero note hashes.
    pub fn note_hashes(&self) -> impl Iterator<Item = Fr> + '_ {
        self.note_hashes.iter().copied().filter(|n| *n != Fr::ZERO)
    }

    /// The public data write, if any.
    pub fn public_data_write(&self) -> Option<PublicDataWrite> {
        (self.public_data_write.key != Fr::ZERO).then_some(self.public_data_write)
    }
}

fn pad<const N: usize>(kind: &'static str, items: &[Fr]) -> Result<[Fr; N], TxError> {
    if items.len() > N {
        return Err(TxError::TooMany {
            kind,
            count: items.len(),
            max: N,
        });
    }
    let mut slots = [Fr::ZERO; N];
    slots[..items.len()].copy_from_slice(items);
    Ok(slots)
}

fn check_trailing_padding(kind: &'static str, slots: &[Fr]) -> Result<(), TxError> {
    let first_empty = slots
        .iter()
        .position(|s| *s == Fr::ZERO)
        .unwrap_or(slots.len());
    if slots[first_empty..].iter().any(|s| *s != Fr::ZERO) {
        return Err(TxError::NonCanonicalPadding { kind });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    #[test]
    fn new_pads_with_zeros() {
        let write = PublicDataWrite {
            key: fr(5),
            value: fr(6),
        };
        let tx = TxEffect::new(3, [9; 20], &[fr(1)], &[], Some(write)).unwrap();
        assert_eq!((tx.fee, tx.payer), (3, [9; 20]));
        assert_eq!(tx.nullifiers, [fr(1), Fr::ZERO]);
        assert_eq!(tx.note_hashes, [Fr::ZERO; 2]);
        assert_eq!(tx.public_data_write(), Some(write));
        assert_eq!(tx.nullifiers().count(), 1);
        assert_eq!(TxEffect::default().public_data_write(), None);
    }

    #[test]
    fn rejects_malformed_effects() {
        assert_eq!(
            TxEffect::new(0, [0; 20], &[], &[], None),
            Err(TxError::MissingNullifier)
        );
        assert_eq!(
            TxEffect::new(0, [0; 20], &[fr(1); 3], &[], None),
            Err(TxError::TooMany {
                kind: "nullifiers",
                count: 3,
                max: 2
            })
        );
        assert_eq!(
            TxEffect::new(0, [0; 20], &[fr(1), fr(1)], &[], None),
            Err(TxError::DuplicateNullifier)
        );
        assert_eq!(
            TxEffect::new(0, [0; 20], &[fr(1)], &[Fr::ZERO, fr(2)], None),
            Err(TxError::NonCanonicalPadding {
                kind: "note hashes"
            })
        );
        let keyless = PublicDataWrite {
            key: Fr::ZERO,
            value: fr(1),
        };
        assert_eq!(
            TxEffect::new(0, [0; 20], &[fr(1)], &[], Some(keyless)),
            Err(TxError::ValueWithoutKey)
        );
        assert_eq!(
            TxEffect::default().validate(),
            Err(TxError::MissingNullifier)
        );
        assert_eq!(
            TxEffect::new(1, [0; 20], &[fr(1)], &[], None),
            Err(TxError::FeeWithoutPayer)
        );
        assert!(TxEffect::new(0, [0; 20], &[fr(1)], &[], None).is_ok());
    }

    /// App keys stop at 2^252 - 1: the fee balance keys above are out of an app's reach.
    #[test]
    fn rejects_app_key_at_or_above_two_to_the_252() {
        let write = |key: Fr| Some(PublicDataWrite { key, value: fr(1) });
        let offset = crate::FEE_BALANCE_KEY_OFFSET;
        assert!(TxEffect::new(0, [0; 20], &[fr(1)], &[], write(offset - fr(1))).is_ok());
        for key in [offset, crate::fee_balance_key(&[5; 20]), -fr(1)] {
            assert_eq!(
                TxEffect::new(0, [0; 20], &[fr(1)], &[], write(key)),
                Err(TxError::ReservedPublicDataKey)
            );
        }
    }
}
