//! The public inputs of a block proof, in the fixed layout the Solidity rollup uses:
//!
//! ```text
//! [0] prevStateRoot  [1] newStateRoot
//! [2] globals = blockNumber + slot * 2^64 + totalFees * 2^128
//! [3] h (data hash)  [4] z (challenge)  [5] y (evaluation)
//! [6] payee = uint256(uint160(address))
//! [7] chunk = index + isLast * 2^8
//! ```
//!
//! The first [`COMMITTED_PUBLIC_INPUTS`] words are known when the block is proposed: L1 stores
//! their `keccak256` as the block's commitment and provers submit them. The payee is who the
//! proof pays: L1 appends it itself (the claimant, or the submitter), so a proof copied by
//! someone else does not verify. The chunk word says which part of the block the proof
//! covers: [`WHOLE_BLOCK_CHUNK_WORD`] (chunk 0, the last) for a whole block; for a block split
//! into chunks, L1 writes each chunk's index and flags the last, and the roots of a chunk are
//! the intermediate states around it.

use ark_ff::{BigInt, PrimeField};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};

use crate::{
    block::Address,
    error::Error,
    field::{fr_to_be_bytes, Fr},
    fingerprint::DataFingerprint,
    Result,
};

/// Public inputs per block or chunk proof (what the verifier takes).
pub const NUM_PUBLIC_INPUTS: usize = 8;

/// Bits of a chunk's index in the chunk word (a block has at most 256 chunks).
pub const CHUNK_INDEX_BITS: usize = 8;

/// The chunk word of a whole-block proof: chunk 0, the last.
pub const WHOLE_BLOCK_CHUNK_WORD: u64 = 1 << CHUNK_INDEX_BITS;

/// The chunk word `index + isLast * 2^8`; [`Error::ChunkIndexTooLarge`] for an index from
/// `2^8`.
pub fn chunk_word(index: usize, is_last: bool) -> Result<u64> {
    if index >> CHUNK_INDEX_BITS != 0 {
        return Err(Error::ChunkIndexTooLarge {
            index,
            bits: CHUNK_INDEX_BITS,
        });
    }
    Ok(index as u64 | u64::from(is_last) << CHUNK_INDEX_BITS)
}

/// The leading public inputs a proposal commits to (all but the payee).
pub const COMMITTED_PUBLIC_INPUTS: usize = 6;

/// Bytes of one block proof in its EVM encoding, as the rollup takes it in `submitEpochProof`
/// and `proposeWithProof`: eight 32-byte words, the Groth16 points A, B (c1 before c0) and C.
pub const PROOF_BYTES: usize = 8 * 32;

/// Bits of the payee input (an L1 address).
pub const PAYEE_BITS: usize = 160;

/// Bits of `totalFees` in the packed globals (`blockNumber`, `slot` take 64 each).
pub const MAX_TOTAL_FEES_BITS: u32 = 120;

/// `blockNumber + slot * 2^64 + totalFees * 2^128`, with `totalFees < 2^120`.
pub fn pack_globals(block_number: u64, slot: u64, total_fees: u128) -> Result<Fr> {
    if total_fees >> MAX_TOTAL_FEES_BITS != 0 {
        return Err(Error::TotalFeesTooLarge {
            total: total_fees,
            bits: MAX_TOTAL_FEES_BITS,
        });
    }
    let limbs = [
        block_number,
        slot,
        total_fees as u64,
        (total_fees >> 64) as u64,
    ];
    Ok(Fr::from_bigint(BigInt::new(limbs)).expect("below 2^248 < r"))
}

/// The eight public inputs of one block or chunk proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockPublicInputs {
    prev_state_root: Fr,
    new_state_root: Fr,
    block_number: u64,
    slot: u64,
    total_fees: u128,
    globals: Fr,
    fingerprint: DataFingerprint,
    payee: Address,
    chunk_word: u64,
}

// Hand-written because `u128` has no ark-serialize impl and `globals` is derived data: the
// fees travel as two little-endian `u64` halves and `globals` is recomputed on decoding.
impl CanonicalSerialize for BlockPublicInputs {
    fn serialize_with_mode<W: Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.prev_state_root
            .serialize_with_mode(&mut writer, compress)?;
        self.new_state_root
            .serialize_with_mode(&mut writer, compress)?;
        self.block_number
            .serialize_with_mode(&mut writer, compress)?;
        self.slot.serialize_with_mode(&mut writer, compress)?;
        fee_halves(self.total_fees).serialize_with_mode(&mut writer, compress)?;
        self.fingerprint
            .serialize_with_mode(&mut writer, compress)?;
        self.payee.serialize_with_mode(&mut writer, compress)?;
        self.chunk_word.serialize_with_mode(&mut writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.prev_state_root.serialized_size(compress)
            + self.new_state_root.serialized_size(compress)
            + self.block_number.serialized_size(compress)
            + self.slot.serialized_size(compress)
            + fee_halves(self.total_fees).serialized_size(compress)
            + self.fingerprint.serialized_size(compress)
            + self.payee.serialized_size(compress)
            + self.chunk_word.serialized_size(compress)
    }
}

impl Valid for BlockPublicInputs {
    fn check(&self) -> Result<(), SerializationError> {
        self.prev_state_root.check()?;
        self.new_state_root.check()?;
        self.globals.check()?;
        self.fingerprint.check()
    }
}

impl CanonicalDeserialize for BlockPublicInputs {
    fn deserialize_with_mode<R: Read>(
        mut reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        let prev_state_root = Fr::deserialize_with_mode(&mut reader, compress, validate)?;
        let new_state_root = Fr::deserialize_with_mode(&mut reader, compress, validate)?;
        let block_number = u64::deserialize_with_mode(&mut reader, compress, validate)?;
        let slot = u64::deserialize_with_mode(&mut reader, compress, validate)?;
        let [low, high] = <[u64; 2]>::deserialize_with_mode(&mut reader, compress, validate)?;
        let total_fees = u128::from(low) | (u128::from(high) << 64);
        let fingerprint = DataFingerprint::deserialize_with_mode(&mut reader, compress, validate)?;
        let payee = Address::deserialize_with_mode(&mut reader, compress, validate)?;
        let chunk_word = u64::deserialize_with_mode(&mut reader, compress, validate)?;
        let index = (chunk_word & ((1 << CHUNK_INDEX_BITS) - 1)) as usize;
        let is_last = chunk_word >> CHUNK_INDEX_BITS == 1;
        if chunk_word >> (CHUNK_INDEX_BITS + 1) != 0 {
            return Err(SerializationError::InvalidData);
        }
        Self::new(
            prev_state_root,
            new_state_root,
            block_number,
            slot,
            total_fees,
            fingerprint,
        )
        .and_then(|inputs| inputs.with_chunk(index, is_last))
        .map(|inputs| inputs.with_payee(payee))
        .map_err(|_| SerializationError::InvalidData)
    }
}

/// `total` as its low and high 64-bit halves.
fn fee_halves(total: u128) -> [u64; 2] {
    [total as u64, (total >> 64) as u64]
}

impl BlockPublicInputs {
    /// Public inputs of a whole block's transition, with no payee yet (the zero address: set
    /// it with [`Self::with_payee`] before proving); fails if `total_fees >= 2^120`.
    pub fn new(
        prev_state_root: Fr,
        new_state_root: Fr,
        block_number: u64,
        slot: u64,
        total_fees: u128,
        fingerprint: DataFingerprint,
    ) -> Result<Self> {
        let globals = pack_globals(block_number, slot, total_fees)?;
        Ok(Self {
            prev_state_root,
            new_state_root,
            block_number,
            slot,
            total_fees,
            globals,
            fingerprint,
            payee: [0; 20],
            chunk_word: WHOLE_BLOCK_CHUNK_WORD,
        })
    }

    /// The same inputs for a proof that pays `payee`.
    pub fn with_payee(self, payee: Address) -> Self {
        Self { payee, ..self }
    }

    /// The same inputs for chunk `index` of a block (the last if `is_last`): its roots are
    /// then the states before and after the chunk.
    pub fn with_chunk(self, index: usize, is_last: bool) -> Result<Self> {
        Ok(Self {
            chunk_word: chunk_word(index, is_last)?,
            ..self
        })
    }

    /// State root before the block.
    pub fn prev_state_root(&self) -> Fr {
        self.prev_state_root
    }

    /// State root after the block.
    pub fn new_state_root(&self) -> Fr {
        self.new_state_root
    }

    /// Block number.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    /// Slot.
    pub fn slot(&self) -> u64 {
        self.slot
    }

    /// Sum of the block's fees.
    pub fn total_fees(&self) -> u128 {
        self.total_fees
    }

    /// The packed globals, input `[2]`.
    pub fn globals(&self) -> Fr {
        self.globals
    }

    /// The data fingerprint, inputs `[3..6]`.
    pub fn fingerprint(&self) -> DataFingerprint {
        self.fingerprint
    }

    /// Who the proof pays, input `[6]` (the zero address until [`Self::with_payee`]).
    pub fn payee(&self) -> Address {
        self.payee
    }

    /// The chunk word, input `[7]` ([`WHOLE_BLOCK_CHUNK_WORD`] for a whole block).
    pub fn chunk_word(&self) -> u64 {
        self.chunk_word
    }

    /// The payee as a field element: the address as a big-endian integer, `< 2^160`.
    pub fn payee_field(&self) -> Fr {
        let mut word = [0u8; 32];
        word[12..].copy_from_slice(&self.payee);
        Fr::from_be_bytes_mod_order(&word)
    }

    /// The committed inputs in circuit order: what the proposal commits to on L1.
    pub fn committed_field_elements(&self) -> [Fr; COMMITTED_PUBLIC_INPUTS] {
        [
            self.prev_state_root,
            self.new_state_root,
            self.globals,
            self.fingerprint.hash,
            self.fingerprint.challenge,
            self.fingerprint.evaluation,
        ]
    }

    /// All inputs in circuit order: the committed ones, the payee, then the chunk word.
    pub fn to_field_elements(&self) -> [Fr; NUM_PUBLIC_INPUTS] {
        let [prev, new, globals, h, z, y] = self.committed_field_elements();
        let chunk = Fr::from(self.chunk_word);
        [prev, new, globals, h, z, y, self.payee_field(), chunk]
    }

    /// The committed inputs as 32-byte big-endian `uint256` words: the words L1 hashes into
    /// the block's commitment and `submitEpochProof` takes per block.
    pub fn committed_u256_be_words(&self) -> [[u8; 32]; COMMITTED_PUBLIC_INPUTS] {
        self.committed_field_elements().map(|x| fr_to_be_bytes(&x))
    }

    /// All inputs as 32-byte big-endian `uint256` words, as the verifier takes them.
    pub fn to_u256_be_words(&self) -> [[u8; 32]; NUM_PUBLIC_INPUTS] {
        self.to_field_elements().map(|x| fr_to_be_bytes(&x))
    }
}

#[cfg(test)]
mod tests {
    use ark_ff::Field;

    use super::*;

    #[test]
    fn globals_pack_into_disjoint_bit_ranges() {
        let globals = pack_globals(0x0102, 0x0304, 0x0506).unwrap();
        let word = fr_to_be_bytes(&globals);
        let mut want = [0u8; 32];
        want[30..32].copy_from_slice(&[1, 2]); // bits 0..64: block number
        want[22..24].copy_from_slice(&[3, 4]); // bits 64..128: slot
        want[14..16].copy_from_slice(&[5, 6]); // bits 128..248: total fees
        assert_eq!(word, want);
        let two64 = Fr::from(u64::MAX) + Fr::from(1u64);
        let max_fees = (1u128 << 120) - 1;
        assert_eq!(
            pack_globals(u64::MAX, u64::MAX, max_fees).unwrap(),
            Fr::from(u64::MAX) + Fr::from(u64::MAX) * two64 + Fr::from(max_fees) * two64 * two64
        );
        assert_eq!(
            pack_globals(0, 0, 1 << 120),
            Err(Error::TotalFeesTooLarge {
                total: 1 << 120,
                bits: 120
            })
        );
    }

    #[test]
    fn layout_order() {
        let fp = DataFingerprint {
            hash: Fr::from(4u64),
            challenge: Fr::from(5u64),
            evaluation: Fr::from(6u64),
        };
        let inputs = BlockPublicInputs::new(Fr::from(1u64), Fr::from(2u64), 7, 8, 9, fp).unwrap();
        let fields = inputs.to_field_elements();
        assert_eq!(fields[0], Fr::from(1u64));
        assert_eq!(fields[1], Fr::from(2u64));
        assert_eq!(fields[2], pack_globals(7, 8, 9).unwrap());
        assert_eq!(fields[3..6], [4u64, 5, 6].map(Fr::from));
        assert_eq!(fields[6], Fr::from(0u64), "no payee until one is set");
        assert_eq!(
            fields[7],
            Fr::from(256u64),
            "a whole block: chunk 0, the last"
        );
        let chunk = inputs.with_chunk(3, false).unwrap();
        assert_eq!(chunk.to_field_elements()[7], Fr::from(3u64));
        assert_eq!(
            inputs.with_chunk(5, true).unwrap().to_field_elements()[7],
            Fr::from(261u64)
        );
        assert_eq!(
            inputs.with_chunk(256, true),
            Err(Error::ChunkIndexTooLarge {
                index: 256,
                bits: 8
            })
        );
        let words = inputs.to_u256_be_words();
        assert_eq!(words[5][31], 6);
        assert_eq!(words[2][23], 8);
        assert_eq!(words[2][15], 9);
        assert_eq!(
            words[..COMMITTED_PUBLIC_INPUTS],
            inputs.committed_u256_be_words()
        );
    }

    #[test]
    fn payee_is_input_6_as_a_big_endian_address() {
        let fp = DataFingerprint {
            hash: Fr::from(4u64),
            challenge: Fr::from(5u64),
            evaluation: Fr::from(6u64),
        };
        let unpaid = BlockPublicInputs::new(Fr::from(1u64), Fr::from(2u64), 7, 8, 9, fp).unwrap();
        let mut payee = [0u8; 20];
        payee[0] = 0xff; // the top byte: the field element is close to 2^160
        payee[19] = 0x01;
        let paid = unpaid.with_payee(payee);
        assert_eq!(paid.payee(), payee);
        let words = paid.to_u256_be_words();
        assert_eq!(words[6][..12], [0u8; 12]);
        assert_eq!(words[6][12..], payee);
        let two = Fr::from(2u64);
        assert_eq!(
            paid.to_field_elements()[6],
            Fr::from(0xffu64) * two.pow([152]) + Fr::from(1u64)
        );
        // The payee is not committed: the committed words are the same for every payee.
        assert_eq!(
            paid.committed_u256_be_words(),
            unpaid.committed_u256_be_words()
        );
        assert_ne!(paid, unpaid);
        assert_eq!(
            BlockPublicInputs::new(Fr::from(1u64), Fr::from(2u64), 7, 8, 9, fp)
                .unwrap()
                .with_payee(payee),
            paid
        );
    }

    #[test]
    fn payee_round_trips_through_serialization() {
        let fp = DataFingerprint {
            hash: Fr::from(4u64),
            challenge: Fr::from(5u64),
            evaluation: Fr::from(6u64),
        };
        let inputs = BlockPublicInputs::new(Fr::from(1u64), Fr::from(2u64), 7, 8, 9, fp)
            .unwrap()
            .with_payee([0xab; 20])
            .with_chunk(2, true)
            .unwrap();
        let mut bytes = Vec::new();
        inputs.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(bytes.len(), inputs.compressed_size());
        assert_eq!(bytes[bytes.len() - 28..bytes.len() - 8], [0xab; 20]);
        let decoded = BlockPublicInputs::deserialize_compressed(bytes.as_slice()).unwrap();
        assert_eq!(decoded, inputs);
        assert_eq!(decoded.payee(), [0xab; 20]);
        assert_eq!(decoded.chunk_word(), 258);
        // A chunk word with bits above the last flag does not decode.
        let last = bytes.len() - 8;
        bytes[last + 1] = 0x02;
        assert!(BlockPublicInputs::deserialize_compressed(bytes.as_slice()).is_err());
    }
}
