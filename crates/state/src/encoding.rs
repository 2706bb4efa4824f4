//! Block data: the exact bytes a proposer publishes in L1 calldata, version 1.
//!
//! ```text
//! offset  size  field
//! 0       1     version = 0x01
//! 1       4     tx count n, u32 big-endian
//! 5       20    coinbase (zero address = none)
//! 25      224*n tx effects, each seven 32-byte big-endian words:
//!               fee (u64, left-padded with zeros), nullifier 0, nullifier 1,
//!               note hash 0, note hash 1, public data key, public data value
//! ```
//!
//! Every word is a canonical field element (`< r`); empty slots are zero words. Padding
//! transactions are not published: a circuit encoding all `max_txs_per_block` slots
//! produces these bytes followed by zeros, which leave the chunks unchanged.

use crate::{
    block::{Address, BlockBody},
    error::Error,
    field::{fr_from_be_bytes, fr_to_be_bytes, Fr},
    tx::{PublicDataWrite, TxEffect},
    Result,
};

/// Version byte of the format this code writes and reads.
pub const BLOCK_DATA_VERSION: u8 = 1;
/// Bytes before the first transaction: version, tx count, coinbase.
pub const BLOCK_DATA_HEADER_BYTES: usize = 1 + 4 + 20;
/// Bytes of one encoded transaction effect: seven 32-byte words.
pub const TX_EFFECT_BYTES: usize = 7 * 32;

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
    for tx in &body.txs {
        out.extend_from_slice(&encode_tx_effect(tx));
    }
    Ok(out)
}

/// The [`TX_EFFECT_BYTES`] bytes of one transaction effect as it appears in block data (fee,
/// nullifiers, note hashes, public data key and value); its keccak256 is the tx hash.
pub fn encode_tx_effect(tx: &TxEffect) -> [u8; TX_EFFECT_BYTES] {
    let mut out = [0u8; TX_EFFECT_BYTES];
    let words = tx.nullifiers.iter().chain(&tx.note_hashes);
    let write = [tx.public_data_write.key, tx.public_data_write.value];
    let fee = Fr::from(tx.fee);
    for (slot, word) in out
        .chunks_exact_mut(32)
        .zip(std::iter::once(&fee).chain(words).chain(&write))
    {
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
    let coinbase: Address = data[5..BLOCK_DATA_HEADER_BYTES]
        .try_into()
        .expect("20 bytes");
    let txs = (0..count)
        .map(|index| decode_tx(data, index))
        .collect::<Result<Vec<_>>>()?;
    let body = BlockBody {
        coinbase: (coinbase != [0u8; 20]).then_some(coinbase),
        txs,
    };
    body.validate()?;
    Ok(body)
}

fn decode_tx(data: &[u8], index: usize) -> Result<TxEffect> {
    let start = BLOCK_DATA_HEADER_BYTES + index * TX_EFFECT_BYTES;
    let mut words = [Fr::from(0u64); 7];
    for (k, word) in words.iter_mut().enumerate() {
        let offset = start + 32 * k;
        let bytes: &[u8; 32] = data[offset..offset + 32].try_into().expect("32 bytes");
        if k == 0 && bytes[..24] != [0u8; 24] {
            return Err(Error::FeeOutOfRange { tx: index, offset });
        }
        *word = fr_from_be_bytes(bytes).ok_or(Error::NonCanonicalFieldElement { offset })?;
    }
    let fee = u64::from_be_bytes(data[start + 24..start + 32].try_into().expect("8 bytes"));
    Ok(TxEffect {
        fee,
        nullifiers: [words[1], words[2]],
        note_hashes: [words[3], words[4]],
        public_data_write: PublicDataWrite {
            key: words[5],
            value: words[6],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TxError;

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    fn sample() -> BlockBody {
        let write = PublicDataWrite {
            key: fr(9),
            value: -fr(1),
        };
        BlockBody {
            coinbase: Some([0xab; 20]),
            txs: vec![
                TxEffect::new(u64::MAX, &[fr(1), fr(2)], &[fr(3), fr(4)], Some(write)).unwrap(),
                TxEffect::new(0, &[-fr(5)], &[], None).unwrap(),
            ],
        }
    }

    #[test]
    fn round_trip() {
        for body in [sample(), BlockBody::default()] {
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
        assert_eq!(data[..5], [1, 0, 0, 0, 2]);
        assert_eq!(data[5..25], [0xab; 20]);
        let tx0 = &data[25..25 + 224];
        assert_eq!(tx0[..24], [0; 24]);
        assert_eq!(tx0[24..32], [0xff; 8]);
        assert_eq!(tx0[63], 1); // nullifier 0
        assert_eq!(tx0[95], 2); // nullifier 1
        assert_eq!(tx0[127], 3); // note hash 0
        assert_eq!(tx0[159], 4); // note hash 1
        assert_eq!(tx0[191], 9); // key
        assert_eq!(tx0[192..224], fr_to_be_bytes(&-fr(1))); // value
        let empty = encode_block_data(&BlockBody::default()).unwrap();
        assert_eq!(empty, [&[1u8, 0, 0, 0, 0][..], &[0u8; 20]].concat());
    }

    #[test]
    fn rejects_malformed_data() {
        let data = encode_block_data(&sample()).unwrap();
        assert_eq!(
            decode_block_data(&data[..3]),
            Err(Error::DataLength {
                expected: 25,
                actual: 3
            })
        );
        assert_eq!(
            decode_block_data(&data[..data.len() - 1]),
            Err(Error::DataLength {
                expected: 473,
                actual: 472
            })
        );
        let mut extra = data.clone();
        extra.push(0);
        assert_eq!(
            decode_block_data(&extra),
            Err(Error::DataLength {
                expected: 473,
                actual: 474
            })
        );

        let mut bad = data.clone();
        bad[0] = 2;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::UnsupportedDataVersion {
                found: 2,
                expected: 1
            })
        );

        let mut bad = data.clone();
        bad[25 + 23] = 1;
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::FeeOutOfRange { tx: 0, offset: 25 })
        );

        let mut bad = data.clone();
        bad[25 + 224 + 32..25 + 224 + 64].fill(0xff);
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::NonCanonicalFieldElement {
                offset: 25 + 224 + 32
            })
        );

        let mut bad = data.clone();
        bad[25 + 224 + 32..25 + 224 + 64].fill(0);
        assert_eq!(
            decode_block_data(&bad),
            Err(Error::InvalidTx {
                index: 1,
                source: TxError::MissingNullifier
            })
        );

        let mut bad = data;
        bad[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_block_data(&bad),
            Err(Error::DataLength { .. })
        ));
    }

    #[test]
    fn tx_effect_encoding_is_its_slice_of_block_data() {
        let body = sample();
        let data = encode_block_data(&body).unwrap();
        for (index, tx) in body.txs.iter().enumerate() {
            let start = BLOCK_DATA_HEADER_BYTES + index * TX_EFFECT_BYTES;
            assert_eq!(
                encode_tx_effect(tx)[..],
                data[start..start + TX_EFFECT_BYTES]
            );
        }
    }

    #[test]
    fn encode_rejects_invalid_body() {
        let body = BlockBody {
            coinbase: Some([0; 20]),
            txs: vec![],
        };
        assert_eq!(encode_block_data(&body), Err(Error::ZeroCoinbase));
    }
}
