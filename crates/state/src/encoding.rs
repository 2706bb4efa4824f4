//! Block data: the exact bytes a proposer publishes in L1 calldata, version 2.
//!
//! ```text
//! offset  size   field
//! 0       1      version = 0x02
//! 1       4      tx count n, u32 big-endian
//! 5       20     coinbase (zero address = none)
//! 25      1      message count m, 0..=4
//! 26      4*32   message slots; slot i < m: recipient (20 bytes) | amount (12 bytes, BE);
//!                slots m..4 are 32 zero bytes
//! 154     224*n  tx effects, seven 32-byte big-endian words each:
//!                word 0 = 4 zero bytes | payer (20 bytes) | fee (8 bytes, u64 BE),
//!                nullifier 0, nullifier 1, note hash 0, note hash 1, public data key, value
//! ```
//!
//! Canonical: a consumed message has a non-zero recipient and amount, unused slots are zero,
//! word 0 of a tx is `< 2^224` and the other words are canonical field elements (`< r`);
//! empty slots are zero words. Padding transactions are not published: a circuit encoding all
//! `max_txs_per_block` slots produces these bytes followed by zeros, which leave the chunks
//! unchanged.

use crate::{
    block::{Address, BlockBody},
    error::Error,
    fees::{L1ToL2Message, MESSAGES_PER_BLOCK},
    field::{fr_from_be_bytes, fr_to_be_bytes, Fr},
    tx::{PublicDataWrite, TxEffect},
    Result,
};

/// Version byte of the format this code writes and reads.
pub const BLOCK_DATA_VERSION: u8 = 2;
/// Bytes of one message slot: recipient (20) and amount (12).
pub const MESSAGE_BYTES: usize = 32;
/// Offset of the message count byte.
const MESSAGE_COUNT_OFFSET: usize = 25;
/// Bytes of a message's amount (a `uint96`).
const AMOUNT_BYTES: usize = 12;
/// Bytes before the first transaction: version, tx count, coinbase, message count, message
/// slots.
pub const BLOCK_DATA_HEADER_BYTES: usize =
    MESSAGE_COUNT_OFFSET + 1 + MESSAGES_PER_BLOCK * MESSAGE_BYTES;
/// Bytes of one encoded transaction effect: seven 32-byte words.
pub const TX_EFFECT_BYTES: usize = 7 * 32;
/// Top bytes of tx word 0 that must be zero (the word is `< 2^224`).
const FEE_WORD_ZERO_BYTES: usize = 4;

/// Encodes a block body; the body must pass [`BlockBody::validate`].
pub fn encode_block_data(body: &BlockBody) -> Result<Vec<u8>> {
    body.validate()?;
    let count = u32::try_from(body.txs.len()).map_err(|_| Error::TooManyTxs {
        count: body.txs.len(),
        max: u32::MAX as usize,
    })?;
    let mut out = Vec::with_capacity(BLOCK_DATA_HEADER_BYTES + body.txs.len() * TX_EFFECT_BYTES);
    out.push(BLOCK_DATA_VERSION);
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&body.coinbase.unwrap_or_default());
    out.push(body.messages.len() as u8);
    for slot in 0..MESSAGES_PER_BLOCK {
        let message = body.messages.get(slot).copied().unwrap_or_default();
        out.extend_from_slice(&encode_message(&message));
    }
    for tx in &body.txs {
        out.extend_from_slice(&encode_tx_effect(tx));
    }
    Ok(out)
}

/// The [`MESSAGE_BYTES`] of a message slot: recipient then the amount as 12 big-endian bytes
/// (the word `uint256(uint160(recipient)) << 96 | amount` the L1 inbox checks it against).
pub fn encode_message(message: &L1ToL2Message) -> [u8; MESSAGE_BYTES] {
    let mut out = [0u8; MESSAGE_BYTES];
    out[..20].copy_from_slice(&message.recipient);
    out[20..].copy_from_slice(&message.amount.to_be_bytes()[16 - AMOUNT_BYTES..]);
    out
}

/// The [`TX_EFFECT_BYTES`] bytes of one transaction effect as it appears in block data
/// (payer and fee, nullifiers, note hashes, public data key and value); its keccak256 is the
/// tx hash.
pub fn encode_tx_effect(tx: &TxEffect) -> [u8; TX_EFFECT_BYTES] {
    let mut out = [0u8; TX_EFFECT_BYTES];
    out[FEE_WORD_ZERO_BYTES..24].copy_from_slice(&tx.payer);
    out[24..32].copy_from_slice(&tx.fee.to_be_bytes());
    let words = tx.nullifiers.iter().chain(&tx.note_hashes);
    let write = [tx.public_data_write.key, tx.public_data_write.value];
    for (slot, word) in out[32..].chunks_exact_mut(32).zip(words.chain(&write)) {
        slot.copy_from_slice(&fr_to_be_bytes(word));
    }
    out
}

/// Decodes and validates block data; rejects any byte string [`encode_block_data`] would
/// not produce.
pub fn decode_block_data(data: &[u8]) -> Result<BlockBody> {
    if data.len() < BLOCK_DATA_HEADER_BYTES {
        return Err(Error::DataLength {
            expected: BLOCK_DATA_HEADER_BYTES,
            actual: data.len(),
        });
    }
    if data[0] != BLOCK_DATA_VERSION {
        return Err(Error::UnsupportedDataVersion {
            found: data[0],
            expected: BLOCK_DATA_VERSION,
        });
    }
    let count = u32::from_be_bytes(data[1..5].try_into().expect("4 bytes")) as usize;
    let expected = count
        .checked_mul(TX_EFFECT_BYTES)
        .and_then(|n| n.checked_add(BLOCK_DATA_HEADER_BYTES))
        .unwrap_or(usize::MAX);
    if data.len() != expected {
        return Err(Error::DataLength {
            expected,
            actual: data.len(),
        });
    }
    let coinbase: Address = data[5..MESSAGE_COUNT_OFFSET].try_into().expect("20 bytes");
    let messages = decode_messages(data)?;
    let txs = (0..count)
        .map(|index| decode_tx(data, index))
        .collect::<Result<Vec<_>>>()?;
    let body = BlockBody {
        coinbase: (coinbase != [0u8; 20]).then_some(coinbase),
        messages,
        txs,
    };
    body.validate()?;
    Ok(body)
}

/// The consumed messages of the header; unused slots must be zero (validity of the
/// consumed ones is left to [`BlockBody::validate`]).
fn decode_messages(data: &[u8]) -> Result<Vec<L1ToL2Message>> {
    let count = usize::from(data[MESSAGE_COUNT_OFFSET]);
    if count > MESSAGES_PER_BLOCK {
        return Err(Error::TooManyMessages {
            count,
            max: MESSAGES_PER_BLOCK,
        });
    }
    let mut messages = Vec::with_capacity(count);
    for slot in 0..MESSAGES_PER_BLOCK {
        let offset = MESSAGE_COUNT_OFFSET + 1 + slot * MESSAGE_BYTES;
        let bytes = &data[offset..offset + MESSAGE_BYTES];
        if slot >= count {
            if bytes.iter().any(|b| *b != 0) {
                return Err(Error::NonZeroMessageSlot { slot, offset });
            }
            continue;
        }
        let mut amount = [0u8; 16];
        amount[16 - AMOUNT_BYTES..].copy_from_slice(&bytes[20..]);
        messages.push(L1ToL2Message {
            recipient: bytes[..20].try_into().expect("20 bytes"),
            amount: u128::from_be_bytes(amount),
        });
    }
    Ok(messages)
}

fn decode_tx(data: &[u8], index: usize) -> Result<TxEffect> {
    let start = BLOCK_DATA_HEADER_BYTES + index * TX_EFFECT_BYTES;
    if data[start..start + FEE_WORD_ZERO_BYTES] != [0u8; FEE_WORD_ZERO_BYTES] {
        return Err(Error::FeeWordOutOfRange {
            tx: index,
            offset: start,
        });
    }
    let mut words = [Fr::from(0u64); 6];
    for (k, word) in words.iter_mut().enumerate() {
        let offset = start + 32 * (k + 1);
        let bytes: &[u8; 32] = data[offset..offset + 32].try_into().expect("32 bytes");
        *word = fr_from_be_bytes(bytes).ok_or(Error::NonCanonicalFieldElement { offset })?;
    }
    Ok(TxEffect {
        fee: u64::from_be_bytes(data[start + 24..start + 32].try_into().expect("8 bytes")),
        payer: data[start + FEE_WORD_ZERO_BYTES..start + 24]
            .try_into()
            .expect("20 bytes"),
        nullifiers: [words[0], words[1]],
        note_hashes: [words[2], words[3]],
        public_data_write: PublicDataWrite {
            key: words[4],
            value: words[5],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        error::{MessageError, TxError},
        FEE_BALANCE_KEY_OFFSET,
    };

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    /// Offset of tx `index`.
    fn tx_at(index: usize) -> usize {
        BLOCK_DATA_HEADER_BYTES + index * TX_EFFECT_BYTES
    }

    /// Offset of message slot `slot`.
    fn slot_at(slot: usize) -> usize {
        MESSAGE_COUNT_OFFSET + 1 + slot * MESSAGE_BYTES
    }

    fn sample() -> BlockBody {
        let write = PublicDataWrite {
            key: fr(9),
            value: -fr(1),
        };
        BlockBody {
            coinbase: Some([0xab; 20]),
            messages: vec![
                L1ToL2Message {
                    recipient: [0xc1; 20],
                    amount: (1 << 96) - 1,
                },
                L1ToL2Message {
                    recipient: [0xc2; 20],
                    amount: 5,
                },
            ],
            txs: vec![
                TxEffect::new(
                    u64::MAX,
                    [0xee; 20],
                    &[fr(1), fr(2)],
                    &[fr(3), fr(4)],
                    Some(write),
                )
                .unwrap(),
                TxEffect::new(0, [0; 20], &[-fr(5)], &[], None).unwrap(),
            ],
        }
    }

    #[test]
    fn constants_match_the_spec() {
        assert_eq!(BLOCK_DATA_VERSION, 2);
        assert_eq!(BLOCK_DATA_HEADER_BYTES, 154);
        assert_eq!(TX_EFFECT_BYTES, 224);
        assert_eq!(MESSAGE_BYTES, 32);
        assert_eq!(MESSAGE_COUNT_OFFSET, 25);
    }

    #[test]
    fn round_trip() {
        let full = BlockBody {
            messages: vec![
                L1ToL2Message {
                    recipient: [1; 20],
                    amount: 1,
                };
                MESSAGES_PER_BLOCK
            ],
            ..sample()
        };
        for body in [sample(), full, BlockBody::default()] {
            let data = encode_block_data(&body).unwrap();
            assert_eq!(
                data.len(),
                BLOCK_DATA_HEADER_BYTES + body.txs.len() * TX_EFFECT_BYTES
            );
            assert_eq!(decode_block_data(&data).unwrap(), body);
        }
    }

    #[test]
    fn layout_is_as_documented() {
        let data = encode_block_data(&sample()).unwrap();
        assert_eq!(data[..5], [2, 0, 0, 0, 2]);
        assert_eq!(data[5..25], [0xab; 20]);
        assert_eq!(data[25], 2);
        assert_eq!(data[26..46], [0xc1; 20]);
        assert_eq!(data[46..58], [0xff; 12]);
        assert_eq!(data[58..78], [0xc2; 20]);
        assert_eq!(data[78..90], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(data[90..154], [0; 64]);
        let tx0 = &data[154..154 + 224];
        assert_eq!(tx0[..4], [0; 4]);
        assert_eq!(tx0[4..24], [0xee; 20]); // payer
        assert_eq!(tx0[24..32], [0xff; 8]); // fee
        assert_eq!(tx0[63], 1); // nullifier 0
        assert_eq!(tx0[95], 2); // nullifier 1
        assert_eq!(tx0[127], 3); // note hash 0
        assert_eq!(tx0[159], 4); // note hash 1
        assert_eq!(tx0[191], 9); // key
        assert_eq!(tx0[192..224], fr_to_be_bytes(&-fr(1))); // value
        assert_eq!(data[154 + 224..154 + 224 + 32], [0; 32]); // no payer, no fee
        let empty = encode_block_data(&BlockBody::default()).unwrap();
        assert_eq!(empty, [&[2u8, 0, 0, 0, 0][..], &[0u8; 149]].concat());
    }

    #[test]
    fn message_word_is_recipient_shifted_over_the_amount() {
        let message = L1ToL2Message {
            recipient: [0x11; 20],
            amount: 0x0102,
        };
        let word = encode_message(&message);
        assert_eq!(word[..20], [0x11; 20]);
        assert_eq!(word[30..], [1, 2]);
        assert_eq!(word[20..30], [0; 10]);
    }

    #[test]
    fn rejects_malformed_data() {
        let data = encode_block_data(&sample()).unwrap();
        let len = data.len();
        assert_eq!(len, 154 + 448);
        assert_eq!(
            decode_block_data(&data[..3]),
            Err(Error::DataLength {
                expected: 154,
                actual: 3
            })
        );
        assert_eq!(
            decode_block_data(&data[..len - 1]),
            Err(Error::DataLength {
                expected: len,
                actual: len - 1
            })
        );
        let mut extra = data.clone();
        extra.push(0);
        assert_eq!(
            decode_block_data(&extra),
            Err(Error::DataLength {
                expected: len,
                actual: len + 1
            })
        );

        let mut bad = data.clone();
        bad[0] = 1;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::UnsupportedDataVersion {
                found: 1,
                expected: 2
            })
        );

        let mut bad = data.clone();
        bad[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_block_data(&bad),
            Err(Error::DataLength { .. })
        ));
    }

    #[test]
    fn rejects_non_canonical_messages() {
        let data = encode_block_data(&sample()).unwrap();

        let mut bad = data.clone();
        bad[MESSAGE_COUNT_OFFSET] = 5;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::TooManyMessages { count: 5, max: 4 })
        );
        let mut bad = data.clone();
        bad[MESSAGE_COUNT_OFFSET] = 0xff;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::TooManyMessages { count: 255, max: 4 })
        );

        // A byte in an unused slot (recipient or amount part), or a count that drops a
        // consumed message: the slot is no longer zero.
        for (slot, byte) in [(2, 0), (2, 31), (3, 19), (3, 20)] {
            let mut bad = data.clone();
            bad[slot_at(slot) + byte] = 1;
            assert_eq!(
                decode_block_data(&bad),
                Err(Error::NonZeroMessageSlot {
                    slot,
                    offset: slot_at(slot)
                })
            );
        }
        let mut bad = data.clone();
        bad[MESSAGE_COUNT_OFFSET] = 1;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::NonZeroMessageSlot {
                slot: 1,
                offset: slot_at(1)
            })
        );

        // A count that claims an empty slot: a zero recipient and amount.
        let mut bad = data.clone();
        bad[MESSAGE_COUNT_OFFSET] = 3;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::InvalidMessage {
                index: 2,
                source: MessageError::ZeroRecipient
            })
        );
        let mut bad = data.clone();
        bad[slot_at(0)..slot_at(0) + 20].fill(0);
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::InvalidMessage {
                index: 0,
                source: MessageError::ZeroRecipient
            })
        );
        let mut bad = data;
        bad[slot_at(1) + 20..slot_at(2)].fill(0);
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::InvalidMessage {
                index: 1,
                source: MessageError::ZeroAmount
            })
        );
    }

    #[test]
    fn rejects_non_canonical_txs() {
        let data = encode_block_data(&sample()).unwrap();

        for byte in 0..4 {
            let mut bad = data.clone();
            bad[tx_at(1) + byte] = 1;
            assert_eq!(
                decode_block_data(&bad),
                Err(Error::FeeWordOutOfRange {
                    tx: 1,
                    offset: tx_at(1)
                })
            );
        }

        // A fee without a payer.
        let mut bad = data.clone();
        bad[tx_at(1) + 31] = 1;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::InvalidTx {
                index: 1,
                source: TxError::FeeWithoutPayer
            })
        );
        // A payer without a fee is fine (nothing to debit).
        let mut payer_only = data.clone();
        payer_only[tx_at(1) + 23] = 1;
        assert_eq!(decode_block_data(&payer_only).unwrap().txs[1].payer[19], 1);

        let mut bad = data.clone();
        bad[tx_at(1) + 32..tx_at(1) + 64].fill(0xff);
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::NonCanonicalFieldElement {
                offset: tx_at(1) + 32
            })
        );

        let mut bad = data.clone();
        bad[tx_at(1) + 32..tx_at(1) + 64].fill(0);
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::InvalidTx {
                index: 1,
                source: TxError::MissingNullifier
            })
        );

        // An app key at 2^252 (a fee balance key).
        let mut bad = data;
        bad[tx_at(0) + 160..tx_at(0) + 192]
            .copy_from_slice(&fr_to_be_bytes(&FEE_BALANCE_KEY_OFFSET));
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::InvalidTx {
                index: 0,
                source: TxError::ReservedPublicDataKey
            })
        );
    }

    #[test]
    fn tx_effect_encoding_is_its_slice_of_block_data() {
        let body = sample();
        let data = encode_block_data(&body).unwrap();
        for (index, tx) in body.txs.iter().enumerate() {
            let start = tx_at(index);
            assert_eq!(
                encode_tx_effect(tx)[..],
                data[start..start + TX_EFFECT_BYTES]
            );
        }
        for (slot, message) in body.messages.iter().enumerate() {
            assert_eq!(
                encode_message(message)[..],
                data[slot_at(slot)..slot_at(slot + 1)]
            );
        }
    }

    #[test]
    fn encode_rejects_invalid_body() {
        let body = BlockBody {
            coinbase: Some([0; 20]),
            ..BlockBody::default()
        };
        assert_eq!(encode_block_data(&body), Err(Error::ZeroCoinbase));
        let body = BlockBody {
            messages: vec![L1ToL2Message::default(); 5],
            ..BlockBody::default()
        };
        assert_eq!(
            encode_block_data(&body),
            Err(Error::TooManyMessages { count: 5, max: 4 })
        );
    }
}
