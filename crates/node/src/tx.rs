//! The transaction JSON of `docs/services.md`, its conversion to a [`TxEffect`], and its hash.
//!
//! ```json
//! { "fee": "1200", "payer": "0x…", "nullifiers": ["0x…"], "noteHashes": ["0x…"],
//!   "publicDataWrite": { "key": "0x…", "value": "0x…" } }
//! ```
//!
//! The fee is debited from the payer's L2 fee balance (deposits made through the L1 fee inbox).
//! Parsing is strict: unknown fields, non-canonical field elements (`>= r`), zero nullifiers or
//! note hashes, a zero write key, a key in the fee balances' range, fees above `u64::MAX` and a
//! fee without a payer are rejected with the offending value.

use std::fmt;

use alloy::primitives::{keccak256, Address, B256};
use fernet_state::{
    encode_tx_effect, fr_from_be_bytes, fr_to_be_bytes, Fr, PublicDataWrite, TxEffect,
};
use serde::{Deserialize, Serialize};

/// A transaction as users send it: its effect on the L2 state and its fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tx {
    /// Fee, a decimal string (at most `u64::MAX`).
    pub fee: Fee,
    /// The L2 account whose fee balance pays the fee (zero only for a zero fee).
    pub payer: Address,
    /// One or two non-zero, distinct nullifiers.
    pub nullifiers: Vec<FieldElement>,
    /// Zero to two non-zero note hashes.
    #[serde(default)]
    pub note_hashes: Vec<FieldElement>,
    /// An optional public data write (non-zero key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_data_write: Option<DataWrite>,
}

/// A public data write in a [`Tx`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataWrite {
    /// Storage key (non-zero).
    pub key: FieldElement,
    /// New value.
    pub value: FieldElement,
}

/// Why a transaction is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxShapeError {
    /// No nullifier, or more than two.
    #[error("nullifiers: expected 1 or 2, got {0}")]
    NullifierCount(usize),
    /// More than two note hashes.
    #[error("noteHashes: expected at most 2, got {0}")]
    NoteHashCount(usize),
    /// A zero nullifier or note hash (zero means "empty slot" in block data).
    #[error("{field}[{index}] is zero")]
    Zero {
        /// `nullifiers` or `noteHashes`.
        field: &'static str,
        /// Its position.
        index: usize,
    },
    /// The same nullifier twice.
    #[error("nullifiers: {0} appears twice")]
    DuplicateNullifier(FieldElement),
    /// A public data write with key zero.
    #[error("publicDataWrite.key is zero (key 0 means no write; omit publicDataWrite)")]
    ZeroWriteKey,
    /// A rule of the state's tx effects: a fee without a payer, a key in the fee balances' range.
    #[error(transparent)]
    Effect(#[from] fernet_state::TxError),
}

impl Tx {
    /// A transaction from its effect (the inverse of [`Tx::effect`]).
    pub fn from_effect(effect: &TxEffect) -> Self {
        Self {
            fee: Fee(effect.fee),
            payer: Address::from(effect.payer),
            nullifiers: effect.nullifiers().map(FieldElement).collect(),
            note_hashes: effect.note_hashes().map(FieldElement).collect(),
            public_data_write: effect.public_data_write().map(|write| DataWrite {
                key: FieldElement(write.key),
                value: FieldElement(write.value),
            }),
        }
    }

    /// Checks the shape rules and returns the effect.
    pub fn effect(&self) -> Result<TxEffect, TxShapeError> {
        let count = self.nullifiers.len();
        if !(1..=2).contains(&count) {
            return Err(TxShapeError::NullifierCount(count));
        }
        if self.note_hashes.len() > 2 {
            return Err(TxShapeError::NoteHashCount(self.note_hashes.len()));
        }
        for (field, list) in [
            ("nullifiers", &self.nullifiers),
            ("noteHashes", &self.note_hashes),
        ] {
            if let Some(index) = list.iter().position(FieldElement::is_zero) {
                return Err(TxShapeError::Zero { field, index });
            }
        }
        if count == 2 && self.nullifiers[0] == self.nullifiers[1] {
            return Err(TxShapeError::DuplicateNullifier(self.nullifiers[0]));
        }
        if self
            .public_data_write
            .is_some_and(|write| write.key.is_zero())
        {
            return Err(TxShapeError::ZeroWriteKey);
        }
        let nullifiers: Vec<Fr> = self.nullifiers.iter().map(|n| n.0).collect();
        let note_hashes: Vec<Fr> = self.note_hashes.iter().map(|n| n.0).collect();
        let write = self.public_data_write.map(|write| PublicDataWrite {
            key: write.key.0,
            value: write.value.0,
        });
        Ok(TxEffect::new(
            self.fee.0,
            self.payer.into_array(),
            &nullifiers,
            &note_hashes,
            write,
        )?)
    }
}

/// The hash of a transaction: keccak256 of its 224-byte encoding in block data.
pub fn tx_hash(effect: &TxEffect) -> B256 {
    keccak256(encode_tx_effect(effect))
}

/// A canonical BN254 field element as `0x`-prefixed big-endian hex (1 to 64 digits on input,
/// 64 lowercase digits on output).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FieldElement(pub Fr);

impl FieldElement {
    /// Whether it is zero.
    pub fn is_zero(&self) -> bool {
        self.0 == Fr::from(0u64)
    }

    /// Its 32-byte big-endian word.
    pub fn to_b256(self) -> B256 {
        B256::from(fr_to_be_bytes(&self.0))
    }

    /// The element of a 32-byte word, `None` when the word is `>= r`.
    pub fn from_b256(word: B256) -> Option<Self> {
        fr_from_be_bytes(&word.0).map(Self)
    }
}

impl fmt::Display for FieldElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_b256())
    }
}

impl fmt::Debug for FieldElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for FieldElement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| format!("{s:?} is not 0x-prefixed hex"))?;
        if digits.is_empty() || digits.len() > 64 || !digits.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(format!(
                "{s:?} is not a 32-byte hex word (1 to 64 hex digits after 0x)"
            ));
        }
        let padded = format!("{digits:0>64}");
        let mut word = [0u8; 32];
        for (byte, pair) in word.iter_mut().zip(padded.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|e| e.to_string())?;
        }
        Self::from_b256(B256::from(word)).ok_or_else(|| {
            format!("{s} is not a canonical field element (it is >= the BN254 modulus r)")
        })
    }
}

impl Serialize for FieldElement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FieldElement {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A fee: a decimal string on the wire, at most `u64::MAX` (the block data's fee word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fee(pub u64);

impl Serialize for Fee {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Fee {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "fee {s:?} is not a decimal string"
            )));
        }
        s.parse().map(Fee).map_err(|_| {
            serde::de::Error::custom(format!(
                "fee {s} does not fit in 64 bits (max {})",
                u64::MAX
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const R: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    const PAYER: &str = "0x00000000000000000000000000000000000000aa";

    fn parse(value: serde_json::Value) -> Result<Tx, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_and_round_trips_a_full_tx() {
        let tx = parse(json!({
            "fee": "1200", "payer": PAYER,
            "nullifiers": ["0x01", "0x2"],
            "noteHashes": ["0x0000000000000000000000000000000000000000000000000000000000000003"],
            "publicDataWrite": { "key": "0x4", "value": "0x0" }
        }))
        .unwrap();
        let effect = tx.effect().unwrap();
        assert_eq!(effect.fee, 1200);
        assert_eq!(effect.nullifiers, [Fr::from(1u64), Fr::from(2u64)]);
        assert_eq!(effect.note_hashes[0], Fr::from(3u64));
        assert_eq!(effect.public_data_write().unwrap().key, Fr::from(4u64));
        assert_eq!(Tx::from_effect(&effect), tx);
        let text = serde_json::to_value(&tx).unwrap();
        assert_eq!(text["fee"], "1200");
        assert_eq!(
            text["nullifiers"][0],
            "0x0000000000000000000000000000000000000000000000000000000000000001"
        );
        assert_eq!(parse(text).unwrap(), tx);
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values_naming_them() {
        let err = parse(json!({ "fee": "1", "payer": PAYER, "nullifiers": ["0x1"], "gas": 5 }))
            .unwrap_err();
        assert!(err.contains("unknown field `gas`"), "{err}");
        let err = parse(json!({ "fee": 1, "payer": PAYER, "nullifiers": ["0x1"] })).unwrap_err();
        assert!(err.contains("invalid type"), "{err}");
        let err = parse(json!({ "fee": "-1", "payer": PAYER, "nullifiers": ["0x1"] })).unwrap_err();
        assert!(err.contains("\"-1\""), "{err}");
        let err =
            parse(json!({ "fee": "18446744073709551616", "payer": PAYER, "nullifiers": ["0x1"] }))
                .unwrap_err();
        assert!(err.contains("18446744073709551616 does not fit"), "{err}");
        let err = parse(json!({ "fee": "1", "payer": PAYER, "nullifiers": [R] })).unwrap_err();
        assert!(
            err.contains(R) && err.contains("not a canonical field element"),
            "{err}"
        );
        let err = parse(json!({ "fee": "1", "payer": PAYER, "nullifiers": ["12"] })).unwrap_err();
        assert!(err.contains("\"12\" is not 0x-prefixed"), "{err}");
        let long = format!("0x{}", "1".repeat(65));
        let err = parse(json!({ "fee": "1", "payer": PAYER, "nullifiers": [long] })).unwrap_err();
        assert!(err.contains("not a 32-byte hex word"), "{err}");
        let err = parse(json!({ "fee": "1", "payer": PAYER, "nullifiers": ["0xzz"] })).unwrap_err();
        assert!(err.contains("0xzz"), "{err}");
        let err = parse(json!({ "fee": "1", "payer": PAYER, "nullifiers": ["0x1"], "publicDataWrite": {"key": "0x1", "value": "0x1", "x": 1} })).unwrap_err();
        assert!(err.contains("unknown field `x`"), "{err}");
        let err = parse(json!({ "nullifiers": ["0x1"] })).unwrap_err();
        assert!(err.contains("missing field `fee`"), "{err}");
    }

    #[test]
    fn shape_rules() {
        let tx = |nullifiers: &[&str], notes: &[&str], key: Option<&str>| {
            parse(json!({
                "fee": "1", "payer": PAYER,
                "nullifiers": nullifiers,
                "noteHashes": notes,
                "publicDataWrite": key.map(|k| json!({"key": k, "value": "0x1"})),
            }))
            .unwrap()
            .effect()
        };
        assert_eq!(tx(&[], &[], None), Err(TxShapeError::NullifierCount(0)));
        assert_eq!(
            tx(&["0x1", "0x2", "0x3"], &[], None),
            Err(TxShapeError::NullifierCount(3))
        );
        assert_eq!(
            tx(&["0x1"], &["0x1", "0x2", "0x3"], None),
            Err(TxShapeError::NoteHashCount(3))
        );
        assert_eq!(
            tx(&["0x1", "0x0"], &[], None),
            Err(TxShapeError::Zero {
                field: "nullifiers",
                index: 1
            })
        );
        assert_eq!(
            tx(&["0x1"], &["0x0"], None),
            Err(TxShapeError::Zero {
                field: "noteHashes",
                index: 0
            })
        );
        let err = tx(&["0x5", "0x05"], &[], None).unwrap_err();
        assert_eq!(
            err,
            TxShapeError::DuplicateNullifier(FieldElement(Fr::from(5u64)))
        );
        assert!(err
            .to_string()
            .contains("0x0000000000000000000000000000000000000000000000000000000000000005"));
        assert_eq!(
            tx(&["0x1"], &[], Some("0x0")),
            Err(TxShapeError::ZeroWriteKey)
        );
        assert!(tx(&["0x1", "0x2"], &["0x3", "0x4"], Some("0x5")).is_ok());
    }

    #[test]
    fn hash_is_keccak_of_the_block_data_encoding() {
        let payer = [0xaa; 20];
        let effect = TxEffect::new(7, payer, &[Fr::from(9u64)], &[], None).unwrap();
        let mut encoding = [0u8; 224];
        encoding[4..24].copy_from_slice(&payer);
        encoding[31] = 7;
        encoding[63] = 9;
        assert_eq!(tx_hash(&effect), keccak256(encoding));
        let other = TxEffect::new(8, payer, &[Fr::from(9u64)], &[], None).unwrap();
        assert_ne!(tx_hash(&effect), tx_hash(&other));
        let other_payer = TxEffect::new(7, [0xbb; 20], &[Fr::from(9u64)], &[], None).unwrap();
        assert_ne!(tx_hash(&effect), tx_hash(&other_payer));
    }

    #[test]
    fn a_fee_needs_a_payer_and_app_keys_stay_below_the_fee_balances() {
        let zero = "0x0000000000000000000000000000000000000000";
        let tx = parse(json!({ "fee": "5", "payer": zero, "nullifiers": ["0x1"] })).unwrap();
        assert!(matches!(
            tx.effect(),
            Err(TxShapeError::Effect(fernet_state::TxError::FeeWithoutPayer))
        ));
        let free = parse(json!({ "fee": "0", "payer": zero, "nullifiers": ["0x1"] })).unwrap();
        assert!(free.effect().is_ok());
        let reserved = "0x1000000000000000000000000000000000000000000000000000000000000000";
        let tx = parse(json!({ "fee": "5", "payer": PAYER, "nullifiers": ["0x1"],
            "publicDataWrite": { "key": reserved, "value": "0x1" } }))
        .unwrap();
        assert!(matches!(
            tx.effect(),
            Err(TxShapeError::Effect(
                fernet_state::TxError::ReservedPublicDataKey
            ))
        ));
        let err = parse(json!({ "fee": "1", "nullifiers": ["0x1"] })).unwrap_err();
        assert!(err.contains("missing field `payer`"), "{err}");
    }
}
