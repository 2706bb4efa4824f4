//! Byte encoding of a [`BlockWitness`]: what a proving job carries from the prover node to a
//! prover agent. ark-serialize's compressed format with validation (every field element is
//! canonical), the fields in declaration order.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::{apply::BlockWitness, error::Error, Result};

impl BlockWitness {
    /// The witness as bytes ([`BlockWitness::from_bytes`] reads them back).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.compressed_size());
        self.serialize_compressed(&mut bytes)
            .expect("serializing into a Vec never fails: no field has a fallible encoding");
        bytes
    }

    /// Decodes bytes written by [`BlockWitness::to_bytes`]: fails with
    /// [`Error::WitnessDecoding`] on malformed, truncated or trailing bytes, and with the
    /// configuration's own error if the embedded [`crate::StateConfig`] is unusable.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut reader = bytes;
        let witness =
            Self::deserialize_compressed(&mut reader).map_err(|error| Error::WitnessDecoding {
                len: bytes.len(),
                reason: error.to_string(),
            })?;
        if !reader.is_empty() {
            return Err(Error::WitnessDecoding {
                len: bytes.len(),
                reason: format!("{} trailing bytes after the witness", reader.len()),
            });
        }
        witness.config.validate()?;
        Ok(witness)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        apply_block, required_data_chunks, Block, BlockBody, L1ToL2Message, PublicDataWrite,
        StateConfig, TxEffect, WorldState,
    };
    use crate::{field::Fr, fr_to_be_bytes};

    /// Block 2 (so the trees are not at genesis) with a deposit, fee debits, a write to a new
    /// key, an update of an existing key, notes and a padding slot.
    fn witness() -> BlockWitness {
        let config = StateConfig {
            note_tree_depth: 8,
            nullifier_tree_depth: 6,
            public_data_tree_depth: 6,
            max_txs_per_block: 3,
            max_data_chunks: required_data_chunks(3),
        };
        let mut state = WorldState::new(config).unwrap();
        let write = |key: u64, value: u64| PublicDataWrite {
            key: Fr::from(key),
            value: Fr::from(value),
        };
        let payer = [0x11; 20];
        let first = TxEffect::new(
            5,
            payer,
            &[Fr::from(1u64)],
            &[Fr::from(9u64)],
            Some(write(3, 4)),
        );
        let block1 = Block {
            number: 1,
            slot: 4,
            body: BlockBody {
                coinbase: None,
                messages: vec![L1ToL2Message {
                    recipient: payer,
                    amount: 1 << 70,
                }],
                txs: vec![first.unwrap()],
            },
        };
        apply_block(&mut state, &block1).unwrap();
        let txs = vec![
            TxEffect::new(
                u64::MAX,
                payer,
                &[Fr::from(2u64), Fr::from(7u64)],
                &[],
                Some(write(3, 8)),
            )
            .unwrap(),
            TxEffect::new(
                1,
                [0x22; 20],
                &[Fr::from(11u64)],
                &[Fr::from(12u64), Fr::from(13u64)],
                None,
            )
            .unwrap(),
        ];
        let block2 = Block {
            number: 2,
            slot: 9,
            body: BlockBody {
                coinbase: Some([0xab; 20]),
                messages: vec![L1ToL2Message {
                    recipient: [0x22; 20],
                    amount: 1,
                }],
                txs,
            },
        };
        apply_block(&mut state, &block2)
            .unwrap()
            .with_payee([0xcd; 20])
    }

    #[test]
    fn witness_round_trips_through_bytes() {
        let witness = witness();
        let bytes = witness.to_bytes();
        assert_eq!(bytes.len(), witness.compressed_size());
        let decoded = BlockWitness::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, witness);
        assert_eq!(
            decoded.public_inputs.to_field_elements(),
            witness.public_inputs.to_field_elements()
        );
        assert_eq!(decoded.public_inputs.total_fees(), u128::from(u64::MAX) + 1);
        assert_eq!(decoded.public_inputs.payee(), [0xcd; 20]);
        assert_eq!(decoded.messages[0].recipient, [0x22; 20]);
        assert_eq!(decoded.txs[0].payer, [0x11; 20]);
        assert_eq!(decoded.fee_debits.len(), 3);
    }

    #[test]
    fn rejects_truncated_trailing_and_non_canonical_bytes() {
        let bytes = witness().to_bytes();
        let truncated = &bytes[..bytes.len() - 1];
        assert!(matches!(
            BlockWitness::from_bytes(truncated),
            Err(Error::WitnessDecoding { len, .. }) if len == bytes.len() - 1
        ));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            BlockWitness::from_bytes(&trailing),
            Err(Error::WitnessDecoding {
                len: bytes.len() + 1,
                reason: "1 trailing bytes after the witness".into()
            })
        );
        // Overwrite a known field element (stored little-endian) with a value above r.
        let witness = witness();
        let root = fr_to_be_bytes(&witness.prev_state.note_hash_tree.root);
        let little_endian: Vec<u8> = root.iter().rev().copied().collect();
        let at = bytes
            .windows(32)
            .position(|w| w == little_endian.as_slice())
            .unwrap();
        let mut non_canonical = bytes.clone();
        non_canonical[at..at + 32].fill(0xff);
        assert!(matches!(
            BlockWitness::from_bytes(&non_canonical),
            Err(Error::WitnessDecoding { .. })
        ));
    }

    #[test]
    fn rejects_an_unusable_config() {
        let mut witness = witness();
        witness.config.note_tree_depth = 0;
        assert!(matches!(
            BlockWitness::from_bytes(&witness.to_bytes()),
            Err(Error::InvalidTreeDepth { depth: 0, .. })
        ));
    }
}
