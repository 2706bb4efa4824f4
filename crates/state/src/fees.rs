//! Fees backed by L1 deposits: the messages a block consumes from the L1 fee inbox, and the
//! fee balances they credit, kept in the public data tree under keys no app can write.
//!
//! A fee balance lives at [`fee_balance_key`]`(account) = 2^252 + uint160(account)`; app keys
//! are below `2^252` ([`APP_KEY_BITS`]), so the two key spaces never meet. A block credits
//! each consumed deposit to its recipient, then debits every transaction's fee from its
//! payer; a short balance makes the block invalid (natively and in the circuit).

use ark_ff::{BigInteger, MontFp, PrimeField};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};

use crate::{block::Address, error::MessageError, field::Fr};

/// Message slots of a block: a block consumes at most this many deposits.
pub const MESSAGES_PER_BLOCK: usize = 4;
/// Bits of the largest deposit (`MAX_DEPOSIT = 2^96 - 1` on L1).
pub const MAX_DEPOSIT_BITS: u32 = 96;
/// Bits a fee balance is range-checked to.
pub const FEE_BALANCE_BITS: u32 = 128;
/// Bits of an app public data key: app keys are `< 2^252`.
pub const APP_KEY_BITS: u32 = 252;
/// `2^252`: the offset of the fee balance keys, the first key no app can write.
pub const FEE_BALANCE_KEY_OFFSET: Fr =
    MontFp!("7237005577332262213973186563042994240829374041602535252466099000494570602496");

/// A deposit from the L1 fee inbox, credited to `recipient`'s fee balance.
/// `L1ToL2Message::default()` (zero recipient and amount) only pads a block's message slots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct L1ToL2Message {
    /// The L2 account credited (non-zero).
    pub recipient: Address,
    /// The amount deposited, `0 < amount < 2^96`.
    pub amount: u128,
}

impl L1ToL2Message {
    /// Checks what the L1 inbox guarantees of a consumed message: a non-zero recipient and
    /// an amount in `1..2^96`.
    pub fn validate(&self) -> Result<(), MessageError> {
        if self.recipient == [0u8; 20] {
            return Err(MessageError::ZeroRecipient);
        }
        if self.amount == 0 {
            return Err(MessageError::ZeroAmount);
        }
        if self.amount >> MAX_DEPOSIT_BITS != 0 {
            return Err(MessageError::AmountTooLarge {
                amount: self.amount,
            });
        }
        Ok(())
    }
}

// ark-serialize has no `u128`: the amount is written as its 16 little-endian bytes.
impl CanonicalSerialize for L1ToL2Message {
    fn serialize_with_mode<W: Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.recipient.serialize_with_mode(&mut writer, compress)?;
        self.amount
            .to_le_bytes()
            .serialize_with_mode(&mut writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.recipient.serialized_size(compress) + [0u8; 16].serialized_size(compress)
    }
}

impl Valid for L1ToL2Message {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for L1ToL2Message {
    fn deserialize_with_mode<R: Read>(
        mut reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(Self {
            recipient: Address::deserialize_with_mode(&mut reader, compress, validate)?,
            amount: u128::from_le_bytes(<[u8; 16]>::deserialize_with_mode(
                &mut reader,
                compress,
                validate,
            )?),
        })
    }
}

/// The public data key of `account`'s fee balance: `2^252 + uint160(account)` (the address
/// as a big-endian integer).
pub fn fee_balance_key(account: &Address) -> Fr {
    FEE_BALANCE_KEY_OFFSET + Fr::from_be_bytes_mod_order(account)
}

/// Whether `key` is a valid app public data key (`< 2^252`).
pub(crate) fn is_app_key(key: &Fr) -> bool {
    key.into_bigint().num_bits() <= APP_KEY_BITS
}

/// A fee balance as stored in the public data tree (always `< 2^128`, as only credits and
/// debits write these keys).
pub(crate) fn balance_from_fr(value: &Fr) -> u128 {
    let limbs = value.into_bigint().0;
    debug_assert!(
        limbs[2] == 0 && limbs[3] == 0,
        "fee balances stay below 2^128"
    );
    u128::from(limbs[0]) | (u128::from(limbs[1]) << 64)
}

#[cfg(test)]
mod tests {
    use ark_ff::{AdditiveGroup, Field};

    use super::*;

    #[test]
    fn offset_is_two_to_the_252() {
        assert_eq!(FEE_BALANCE_KEY_OFFSET, Fr::from(2u64).pow([252]));
        assert!(is_app_key(&(FEE_BALANCE_KEY_OFFSET - Fr::ONE)));
        assert!(!is_app_key(&FEE_BALANCE_KEY_OFFSET));
        assert!(!is_app_key(&-Fr::ONE));
        assert!(is_app_key(&Fr::ZERO));
    }

    #[test]
    fn fee_balance_key_is_offset_plus_address() {
        let mut account = [0u8; 20];
        account[19] = 7;
        account[0] = 1;
        let expected = FEE_BALANCE_KEY_OFFSET + Fr::from(2u64).pow([152]) + Fr::from(7u64);
        assert_eq!(fee_balance_key(&account), expected);
        assert_eq!(fee_balance_key(&[0; 20]), FEE_BALANCE_KEY_OFFSET);
        assert!(!is_app_key(&fee_balance_key(&[0xff; 20])));
    }

    #[test]
    fn balances_convert_both_ways() {
        for value in [0, 1, u128::from(u64::MAX) + 5, u128::MAX] {
            assert_eq!(balance_from_fr(&Fr::from(value)), value);
        }
    }

    #[test]
    fn message_rules_and_serialization() {
        let message = L1ToL2Message {
            recipient: [3; 20],
            amount: (1 << 96) - 1,
        };
        assert_eq!(message.validate(), Ok(()));
        let mut bytes = vec![];
        message.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(bytes.len(), message.compressed_size());
        assert_eq!(
            L1ToL2Message::deserialize_compressed(bytes.as_slice()).unwrap(),
            message
        );
        let too_large = L1ToL2Message {
            amount: 1 << 96,
            ..message
        };
        assert_eq!(
            too_large.validate(),
            Err(MessageError::AmountTooLarge { amount: 1 << 96 })
        );
        let zero = L1ToL2Message {
            amount: 0,
            ..message
        };
        assert_eq!(zero.validate(), Err(MessageError::ZeroAmount));
        assert_eq!(
            L1ToL2Message::default().validate(),
            Err(MessageError::ZeroRecipient)
        );
    }
}
