//! The block data in-circuit: the consumed L1 messages and the transaction words, their v2
//! encoding cut into 31-byte chunks, the data hash `h` and the evaluation `y` at the public
//! challenge `z`.
//!
//! The encoding is rebuilt from the bits of the words: `version | txCount | coinbase |
//! messageCount | 4 message slots` then seven 32-byte big-endian words per tx slot (word 0 =
//! payer and fee). A chunk is a linear combination of those bits (no constraint); only the
//! decompositions cost. The message count and unused message slots are not checked here: L1
//! checks the published data is canonical, and the data hash binds these bytes. Padding tx
//! slots are all zero, so encoding every slot gives the published bytes followed by zeros, as
//! the native chunking does.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, prelude::Boolean};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError, Variable};
use fernet_state::{
    Address, L1ToL2Message, StateConfig, TxEffect, APP_KEY_BITS, BLOCK_DATA_HEADER_BYTES,
    BLOCK_DATA_VERSION, CHUNK_BYTES, FEE_BALANCE_KEY_OFFSET, MAX_DEPOSIT_BITS, MESSAGES_PER_BLOCK,
    MESSAGE_BYTES, TX_EFFECT_BYTES,
};

use crate::gadgets::{
    linear::{enforce_equal, enforce_product, mul, Linear},
    num::{alloc_uint, canonical_bits, decompose, FIELD_BITS},
    poseidon,
};

/// Bits of a fee (a `u64`).
pub(crate) const FEE_BITS: usize = 64;
/// Bits of an address (coinbase, payer, recipient).
const ADDRESS_BITS: usize = 160;
/// Bytes of an address.
const ADDRESS_BYTES: usize = 20;
/// Bits of the message count byte.
const MESSAGE_COUNT_BITS: usize = 8;
/// Offset of the message count byte: just before the message slots that end the header.
const MESSAGE_COUNT_OFFSET: usize =
    BLOCK_DATA_HEADER_BYTES - MESSAGES_PER_BLOCK * MESSAGE_BYTES - 1;
/// Offset of the payer in tx word 0: the word ends with the payer and the 8-byte fee.
const PAYER_OFFSET: usize = WORD_BYTES - FEE_BITS / 8 - ADDRESS_BYTES;
/// Bytes of an encoded word.
const WORD_BYTES: usize = 32;
/// Chunks absorbed per Poseidon call of the data hash chain (width 5).
const CHUNKS_PER_HASH: usize = 3;
/// Position of the public data key among a tx's field words.
pub(crate) const PUBLIC_KEY_WORD: usize = 4;

/// A field word of a transaction and its canonical bits.
#[derive(Clone)]
pub(crate) struct FieldWord {
    /// The word.
    pub(crate) var: FpVar<Fr>,
    /// Its canonical little-endian bits.
    pub(crate) bits: Vec<Boolean<Fr>>,
}

/// An L2 account (a tx's payer, a message's recipient) and the public data key of its fee
/// balance.
pub(crate) struct AccountVars {
    /// The address's 160 little-endian bits.
    bits: Vec<Boolean<Fr>>,
    /// `address + 2^252 * (address != 0)`: the fee balance key, or 0 (a no-op write) for the
    /// zero address; its bits are the address bits, zeros, and the non-zero flag at bit 252.
    pub(crate) balance_key: FieldWord,
}

impl AccountVars {
    /// Allocates the 160 bits of `address` and derives its fee balance key.
    fn alloc(cs: &ConstraintSystemRef<Fr>, address: &Address) -> Result<Self, SynthesisError> {
        let bits = alloc_uint(cs, Some(address_value(address)), ADDRESS_BITS)?;
        let value = Linear::from_bits_le(&bits);
        let is_zero = value.to_var(cs)?.is_eq(&FpVar::Constant(Fr::ZERO))?;
        let non_zero = !is_zero;
        let key = value.add_scaled(FEE_BALANCE_KEY_OFFSET, &Linear::from_bool(&non_zero));
        let mut key_bits = bits.clone();
        key_bits.resize(APP_KEY_BITS as usize, Boolean::FALSE);
        key_bits.push(non_zero);
        key_bits.resize(FIELD_BITS, Boolean::FALSE);
        Ok(Self {
            balance_key: FieldWord {
                var: key.to_var(cs)?,
                bits: key_bits,
            },
            bits,
        })
    }

    /// The address as an integer.
    fn value(&self) -> Linear {
        Linear::from_bits_le(&self.bits)
    }
}

/// The integer of a big-endian address.
fn address_value(address: &Address) -> Fr {
    <Fr as ark_ff::PrimeField>::from_be_bytes_mod_order(address)
}

/// One consumed-message slot in the circuit.
pub(crate) struct MessageVars {
    /// The recipient (zero in an unused slot).
    pub(crate) recipient: AccountVars,
    /// The amount's 96 bits.
    amount_bits: Vec<Boolean<Fr>>,
    /// The amount, range-checked to 96 bits.
    pub(crate) amount: Linear,
}

/// Allocates the message slots (`L1ToL2Message::default()` in the unused ones).
pub(crate) fn alloc_messages(
    cs: &ConstraintSystemRef<Fr>,
    messages: &[L1ToL2Message],
) -> Result<Vec<MessageVars>, SynthesisError> {
    messages
        .iter()
        .map(|message| {
            let recipient = AccountVars::alloc(cs, &message.recipient)?;
            let amount_bits = alloc_uint(
                cs,
                Some(Fr::from(message.amount)),
                MAX_DEPOSIT_BITS as usize,
            )?;
            Ok(MessageVars {
                recipient,
                amount: Linear::from_bits_le(&amount_bits),
                amount_bits,
            })
        })
        .collect()
}

/// One transaction slot in the circuit.
pub(crate) struct TxVars {
    /// Whether the slot holds a published transaction (`index < txCount`).
    pub(crate) real: Boolean<Fr>,
    /// The fee, range-checked to 64 bits.
    pub(crate) fee: Linear,
    /// The fee's bits.
    fee_bits: Vec<Boolean<Fr>>,
    /// The payer (zero: no payer, and then the fee must be zero).
    pub(crate) payer: AccountVars,
    /// `nullifier0, nullifier1, noteHash0, noteHash1, publicKey, publicValue`; the public
    /// key is decomposed into 252 bits (an app key, below every fee balance key).
    pub(crate) words: Vec<FieldWord>,
}

impl TxVars {
    /// The nullifier in slot `j`.
    pub(crate) fn nullifier(&self, j: usize) -> &FieldWord {
        &self.words[j]
    }

    /// The note hash in slot `j`.
    pub(crate) fn note_hash(&self, j: usize) -> &FieldWord {
        &self.words[2 + j]
    }

    /// The public data write's key.
    pub(crate) fn public_key(&self) -> &FieldWord {
        &self.words[PUBLIC_KEY_WORD]
    }

    /// The public data write's value.
    pub(crate) fn public_value(&self) -> &FieldWord {
        &self.words[5]
    }
}

/// Allocates the transaction slots and enforces the slot rules of `TxEffect::validate` and
/// the padding: slots `< txCount` are real (first nullifier non-zero, note hashes zero only
/// trailing, public key below `2^252`), the others all zero. Returns the slots and
/// `txCount`. (A fee without a payer fails at its debit: the zero payer's write is a no-op
/// that must leave the value 0.)
pub(crate) fn alloc_txs(
    cs: &ConstraintSystemRef<Fr>,
    txs: &[TxEffect],
    num_txs: usize,
) -> Result<(Vec<TxVars>, Linear), SynthesisError> {
    let zero = FpVar::Constant(Fr::ZERO);
    let mut slots: Vec<TxVars> = Vec::with_capacity(txs.len());
    for (i, tx) in txs.iter().enumerate() {
        let real = Boolean::new_witness(cs.clone(), || Ok(i < num_txs))?;
        if let Some(previous) = slots.last() {
            // real_i implies real_{i-1}: the real slots come first.
            let not_previous = Linear::constant(Fr::ONE).sub(&Linear::from_bool(&previous.real));
            enforce_product(
                cs,
                &Linear::from_bool(&real),
                &not_previous,
                &Linear::constant(Fr::ZERO),
            )?;
        }
        let fee_bits = alloc_uint(cs, Some(Fr::from(tx.fee)), FEE_BITS)?;
        let fee = Linear::from_bits_le(&fee_bits);
        let payer = AccountVars::alloc(cs, &tx.payer)?;
        let values = [
            tx.nullifiers[0],
            tx.nullifiers[1],
            tx.note_hashes[0],
            tx.note_hashes[1],
            tx.public_data_write.key,
            tx.public_data_write.value,
        ];
        let words = values
            .iter()
            .enumerate()
            .map(|(k, value)| {
                let var = FpVar::new_witness(cs.clone(), || Ok(*value))?;
                let bits = if k == PUBLIC_KEY_WORD {
                    let mut bits = decompose(cs, &Linear::from_var(&var), APP_KEY_BITS as usize)?;
                    bits.resize(FIELD_BITS, Boolean::FALSE);
                    bits
                } else {
                    canonical_bits(&var)?
                };
                Ok(FieldWord { var, bits })
            })
            .collect::<Result<Vec<_>, SynthesisError>>()?;
        // Padding slots are all zero.
        let padding = Linear::constant(Fr::ONE).sub(&Linear::from_bool(&real));
        let zero_lin = Linear::constant(Fr::ZERO);
        enforce_product(cs, &fee, &padding, &zero_lin)?;
        enforce_product(cs, &payer.value(), &padding, &zero_lin)?;
        for word in &words {
            enforce_product(cs, &Linear::from_var(&word.var), &padding, &zero_lin)?;
        }
        let slot = TxVars {
            real,
            fee,
            fee_bits,
            payer,
            words,
        };
        // A real transaction spends at least one nullifier.
        slot.nullifier(0)
            .var
            .conditional_enforce_not_equal(&zero, &slot.real)?;
        // Note hashes: zero only trailing.
        let first_note_empty = slot.note_hash(0).var.is_eq(&zero)?;
        slot.note_hash(1)
            .var
            .conditional_enforce_equal(&zero, &first_note_empty)?;
        slots.push(slot);
    }
    let num_txs = slots.iter().fold(Linear::constant(Fr::ZERO), |acc, slot| {
        acc.add(&Linear::from_bool(&slot.real))
    });
    Ok((slots, num_txs))
}

/// The chunks `d_0..d_{M-1}` of the encoding, built term by term.
struct ChunkBuilder {
    terms: Vec<Vec<(Fr, Variable)>>,
    values: Vec<Option<Fr>>,
    /// `256^(30 - q)`: the weight of byte `q` of a chunk.
    byte_weights: Vec<Fr>,
}

impl ChunkBuilder {
    fn new(chunks: usize) -> Self {
        let base = Fr::from(256u64);
        let byte_weights = (0..CHUNK_BYTES)
            .map(|q| base.pow([(CHUNK_BYTES - 1 - q) as u64]))
            .collect();
        Self {
            terms: vec![Vec::new(); chunks],
            values: vec![Some(Fr::ZERO); chunks],
            byte_weights,
        }
    }

    /// Adds `coeff * term` to the chunk holding data byte `position`, at that byte's weight.
    fn add(&mut self, position: usize, coeff: Fr, term: &Linear) {
        let chunk = position / CHUNK_BYTES;
        let weight = self.byte_weights[position % CHUNK_BYTES] * coeff;
        for (c, variable) in term.lc().iter() {
            self.terms[chunk].push((*c * weight, *variable));
        }
        self.values[chunk] = self.values[chunk]
            .zip(term.value())
            .map(|(v, t)| v + weight * t);
    }

    /// Places a big-endian integer of `len` bytes at `start`, given by its little-endian
    /// bits (fewer bits than `8 * len` mean leading zero bytes).
    fn place_bits(&mut self, start: usize, len: usize, bits: &[Boolean<Fr>]) {
        assert!(bits.len() <= 8 * len, "the integer fits its bytes");
        for (b, bit) in bits.iter().enumerate() {
            let position = start + len - 1 - b / 8;
            self.add(position, Fr::from(1u64 << (b % 8)), &Linear::from_bool(bit));
        }
    }

    /// Places a big-endian integer of `len` bytes at `start` that lies within one chunk, given
    /// as a value known to be `< 256^len`.
    fn place_value(&mut self, start: usize, len: usize, value: &Linear) {
        let last = start + len - 1;
        assert_eq!(
            start / CHUNK_BYTES,
            last / CHUNK_BYTES,
            "the integer lies in one chunk"
        );
        self.add(last, Fr::ONE, value);
    }

    fn finish(self) -> Vec<Linear> {
        self.terms
            .into_iter()
            .zip(self.values)
            .map(|(terms, value)| Linear::from_terms(terms, value))
            .collect()
    }
}

/// The chunks of the encoding of `messages` and of `txs` with `num_txs` real slots and
/// `coinbase` (as 20 bytes, zero for none); `num_messages` is the message count byte.
pub(crate) fn encode_chunks(
    cs: &ConstraintSystemRef<Fr>,
    config: &StateConfig,
    messages: &[MessageVars],
    num_messages: usize,
    txs: &[TxVars],
    num_txs: &Linear,
    coinbase: [u8; 20],
) -> Result<Vec<Linear>, SynthesisError> {
    let mut chunks = ChunkBuilder::new(config.max_data_chunks);
    chunks.place_value(
        0,
        1,
        &Linear::constant(Fr::from(u64::from(BLOCK_DATA_VERSION))),
    );
    // txCount < 2^32: it is a sum of at most max_txs booleans.
    chunks.place_value(1, 4, num_txs);
    let coinbase_bits = alloc_uint(cs, Some(address_value(&coinbase)), ADDRESS_BITS)?;
    chunks.place_bits(5, ADDRESS_BYTES, &coinbase_bits);
    let count_bits = alloc_uint(cs, Some(Fr::from(num_messages as u64)), MESSAGE_COUNT_BITS)?;
    chunks.place_bits(MESSAGE_COUNT_OFFSET, 1, &count_bits);
    let amount_bytes = MESSAGE_BYTES - ADDRESS_BYTES;
    for (i, message) in messages.iter().enumerate() {
        let start = MESSAGE_COUNT_OFFSET + 1 + i * MESSAGE_BYTES;
        chunks.place_bits(start, ADDRESS_BYTES, &message.recipient.bits);
        chunks.place_bits(start + ADDRESS_BYTES, amount_bytes, &message.amount_bits);
    }
    for (i, tx) in txs.iter().enumerate() {
        let start = BLOCK_DATA_HEADER_BYTES + i * TX_EFFECT_BYTES;
        chunks.place_bits(start + PAYER_OFFSET, ADDRESS_BYTES, &tx.payer.bits);
        chunks.place_bits(
            start + PAYER_OFFSET + ADDRESS_BYTES,
            FEE_BITS / 8,
            &tx.fee_bits,
        );
        for (k, word) in tx.words.iter().enumerate() {
            chunks.place_bits(start + WORD_BYTES * (k + 1), WORD_BYTES, &word.bits);
        }
    }
    Ok(chunks.finish())
}

/// The data hash `h`: `acc = byteLength`, then `acc = Poseidon(acc, d_3k, d_3k+1, d_3k+2)`.
pub(crate) fn data_hash(
    cs: &ConstraintSystemRef<Fr>,
    byte_length: &Linear,
    chunks: &[Linear],
) -> Result<Linear, SynthesisError> {
    let mut acc = byte_length.clone();
    for group in chunks.chunks(CHUNKS_PER_HASH) {
        let mut inputs = vec![acc];
        inputs.extend_from_slice(group);
        inputs.resize(CHUNKS_PER_HASH + 1, Linear::constant(Fr::ZERO));
        acc = poseidon::hash_linear(cs, &inputs)?;
    }
    Ok(acc)
}

/// `y = sum_i d_i * z^i` by Horner's rule: one constraint per chunk but the last.
pub(crate) fn evaluation(
    cs: &ConstraintSystemRef<Fr>,
    chunks: &[Linear],
    z: &Linear,
) -> Result<Linear, SynthesisError> {
    let mut acc = Linear::constant(Fr::ZERO);
    for (i, chunk) in chunks.iter().enumerate().rev() {
        acc = if i + 1 == chunks.len() {
            chunk.clone()
        } else {
            mul(cs, &acc, z)?.add(chunk)
        };
    }
    Ok(acc)
}

/// `byteLength = 154 + 224 * txCount`.
pub(crate) fn byte_length(num_txs: &Linear) -> Linear {
    num_txs
        .scale(Fr::from(TX_EFFECT_BYTES as u64))
        .add_constant(Fr::from(BLOCK_DATA_HEADER_BYTES as u64))
}

/// The message count byte of a witness's padded messages: the consumed ones come first and
/// have non-zero recipients.
pub(crate) fn num_messages(messages: &[L1ToL2Message]) -> usize {
    messages
        .iter()
        .take_while(|m| m.recipient != Address::default())
        .count()
}

/// Enforces `a == b` where `b` is a public input variable.
pub(crate) fn bind(
    cs: &ConstraintSystemRef<Fr>,
    computed: &Linear,
    input: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    enforce_equal(cs, computed, &Linear::from_var(input))
}

/// The chunk values (for checks against the native chunking).
#[cfg(test)]
pub(crate) fn chunk_values(chunks: &[Linear]) -> Vec<Option<Fr>> {
    chunks.iter().map(Linear::value).collect()
}

#[cfg(test)]
mod tests {
    use ark_relations::gr1cs::ConstraintSystem;
    use fernet_state::data_hash as native_data_hash;

    use super::*;
    use crate::block::epoch::chain_witnesses;

    /// The chunks rebuilt from the words' bits equal the native chunking of the published
    /// bytes (zero-padded), and so do the hash and the byte length.
    #[test]
    fn chunks_and_hash_match_the_native_encoding() {
        let (_, witnesses) = chain_witnesses(StateConfig::devnet()).unwrap();
        for w in witnesses {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let (txs, num_txs) = alloc_txs(&cs, &w.txs, w.num_txs).unwrap();
            let messages = alloc_messages(&cs, &w.messages).unwrap();
            let chunks = encode_chunks(
                &cs,
                &w.config,
                &messages,
                num_messages(&w.messages),
                &txs,
                &num_txs,
                w.coinbase.unwrap_or_default(),
            )
            .unwrap();
            assert_eq!(
                usize::from(w.data[MESSAGE_COUNT_OFFSET]),
                num_messages(&w.messages)
            );
            let expected: Vec<Option<Fr>> = w.data_chunks.iter().copied().map(Some).collect();
            assert_eq!(chunk_values(&chunks), expected, "block {}", w.block_number);
            let length = byte_length(&num_txs);
            assert_eq!(length.value(), Some(Fr::from(w.data.len() as u64)));
            let hash = data_hash(&cs, &length, &chunks).unwrap();
            let native = native_data_hash(&w.data, w.config.max_data_chunks).unwrap();
            assert_eq!(hash.value(), Some(native));
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
