//! Which tx slots a block proof writes: the whole block, or one chunk of `k` tx slots.
//!
//! The eighth public input is the chunk word `index + isLast * 2^8`. A chunk's circuit
//! decomposes it, selects its `k` tx slots `[index * k, (index + 1) * k)` from the block's
//! slots with a one-hot vector over the `max_txs / k` windows (one constraint per window and
//! selected word, then the bits the tree gadgets compare), credits the deposits only in chunk
//! 0, and makes the last chunk prove that no real tx lies after it. The whole block's circuit
//! fixes the word to `2^8` (chunk 0, the last): its selection and flags are constants.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, prelude::Boolean};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use fernet_state::{
    BlockPart, StateConfig, APP_KEY_BITS, CHUNK_INDEX_BITS, MAX_NOTE_HASHES_PER_TX,
    MAX_NULLIFIERS_PER_TX, WHOLE_BLOCK_CHUNK_WORD,
};

use super::data::{self, FieldWord, MessageVars, TxVars};
use crate::gadgets::{
    linear::{enforce_equal, enforce_product, mul, Linear},
    num::{alloc_uint, canonical_bits, decompose, FIELD_BITS},
};

/// The part of the block a proof writes, as variables.
pub(crate) struct PartVars {
    /// Little-endian bits of the chunk's index among the parts of a block subtree (none for
    /// the whole block): the low bits of its part subtrees' positions.
    pub(crate) index_bits: Vec<Boolean<Fr>>,
    /// One-hot over the windows of tx slots (the constant `[true]` for the whole block).
    windows: Vec<Boolean<Fr>>,
    /// Whether the part closes the block (the constant true for the whole block).
    pub(crate) is_last: Boolean<Fr>,
    /// Tx slots per part.
    txs: usize,
}

/// The words of one tx slot that the writes use.
pub(crate) struct WindowTx {
    /// The fee, range-checked to 64 bits.
    pub(crate) fee: Linear,
    /// The payer's fee balance key.
    pub(crate) balance_key: FpVar<Fr>,
    /// The nullifiers with their canonical bits.
    pub(crate) nullifiers: [FieldWord; MAX_NULLIFIERS_PER_TX],
    /// The note hashes.
    pub(crate) note_hashes: [FpVar<Fr>; MAX_NOTE_HASHES_PER_TX],
    /// The app write's key, below `2^252`, with its bits.
    pub(crate) public_key: FieldWord,
    /// The app write's value.
    pub(crate) public_value: FpVar<Fr>,
}

impl PartVars {
    /// The part of `part`, bound to `word`, the chunk word input.
    pub(crate) fn alloc(
        cs: &ConstraintSystemRef<Fr>,
        config: &StateConfig,
        part: BlockPart,
        word: &FpVar<Fr>,
    ) -> Result<Self, SynthesisError> {
        if !part.is_chunk(config) {
            let whole = Linear::constant(Fr::from(WHOLE_BLOCK_CHUNK_WORD));
            data::bind(cs, &whole, word)?;
            return Ok(Self {
                index_bits: Vec::new(),
                windows: vec![Boolean::TRUE],
                is_last: Boolean::TRUE,
                txs: part.txs,
            });
        }
        let height = config
            .chunk_height(part.txs)
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        let mut index_bits = alloc_uint(cs, Some(Fr::from(part.index as u64)), CHUNK_INDEX_BITS)?;
        let is_last = Boolean::new_witness(cs.clone(), || Ok(part.is_last))?;
        let packed = Linear::from_bits_le(&index_bits).add_scaled(
            Fr::from(1u64 << CHUNK_INDEX_BITS),
            &Linear::from_bool(&is_last),
        );
        data::bind(cs, &packed, word)?;
        // index = sum j * windows[j] with one window set: index < max_txs / k, so its bits
        // above the part position's are zero.
        let windows = (0..config.max_txs_per_block / part.txs)
            .map(|j| Boolean::new_witness(cs.clone(), || Ok(part.index == j)))
            .collect::<Result<Vec<_>, _>>()?;
        let (count, position) = windows.iter().enumerate().fold(
            (Linear::constant(Fr::ZERO), Linear::constant(Fr::ZERO)),
            |(count, position), (j, window)| {
                let bit = Linear::from_bool(window);
                (
                    count.add(&bit),
                    position.add_scaled(Fr::from(j as u64), &bit),
                )
            },
        );
        enforce_equal(cs, &count, &Linear::constant(Fr::ONE))?;
        enforce_equal(cs, &position, &Linear::from_bits_le(&index_bits))?;
        index_bits.truncate(config.block_subtree_height() - height);
        Ok(Self {
            index_bits,
            windows,
            is_last,
            txs: part.txs,
        })
    }

    fn is_whole_block(&self) -> bool {
        self.windows.len() == 1
    }

    /// `sum_j windows[j] * value(window j's slot t)`.
    fn pick(
        &self,
        cs: &ConstraintSystemRef<Fr>,
        txs: &[TxVars],
        t: usize,
        value: impl Fn(&TxVars) -> Linear,
    ) -> Result<FpVar<Fr>, SynthesisError> {
        let mut sum = Linear::constant(Fr::ZERO);
        for (j, window) in self.windows.iter().enumerate() {
            let slot = &txs[j * self.txs + t];
            sum = sum.add(&mul(cs, &Linear::from_bool(window), &value(slot))?);
        }
        sum.to_var(cs)
    }

    /// The tx slots the part writes, in order.
    pub(crate) fn select_txs(
        &self,
        cs: &ConstraintSystemRef<Fr>,
        txs: &[TxVars],
    ) -> Result<Vec<WindowTx>, SynthesisError> {
        if self.is_whole_block() {
            return Ok(txs.iter().map(WindowTx::of).collect());
        }
        (0..self.txs)
            .map(|t| {
                let word =
                    |k: usize| self.pick(cs, txs, t, |tx| Linear::from_var(&tx.words[k].var));
                let nullifier = |j: usize| -> Result<FieldWord, SynthesisError> {
                    let var = word(j)?;
                    Ok(FieldWord {
                        bits: canonical_bits(&var)?,
                        var,
                    })
                };
                let key = word(data::PUBLIC_KEY_WORD)?;
                let mut key_bits = decompose(cs, &Linear::from_var(&key), APP_KEY_BITS as usize)?;
                key_bits.resize(FIELD_BITS, Boolean::FALSE);
                Ok(WindowTx {
                    fee: Linear::from_var(&self.pick(cs, txs, t, |tx| tx.fee.clone())?),
                    balance_key: self
                        .pick(cs, txs, t, |tx| Linear::from_var(&tx.payer.balance_key.var))?,
                    nullifiers: [nullifier(0)?, nullifier(1)?],
                    note_hashes: [word(2)?, word(3)?],
                    public_key: FieldWord {
                        var: key,
                        bits: key_bits,
                    },
                    public_value: word(5)?,
                })
            })
            .collect()
    }

    /// The last chunk covers every real tx: `isLast` implies that the slot after it is
    /// padding (real slots come first).
    pub(crate) fn enforce_covers_real_txs(
        &self,
        cs: &ConstraintSystemRef<Fr>,
        txs: &[TxVars],
    ) -> Result<(), SynthesisError> {
        let mut after = Linear::constant(Fr::ZERO);
        for (j, window) in self.windows.iter().enumerate() {
            if let Some(next) = txs.get((j + 1) * self.txs) {
                let real = Linear::from_bool(&next.real);
                after = after.add(&mul(cs, &Linear::from_bool(window), &real)?);
            }
        }
        enforce_product(
            cs,
            &Linear::from_bool(&self.is_last),
            &after,
            &Linear::constant(Fr::ZERO),
        )
    }

    /// The fee balance key and the amount `message` credits: its own in the first chunk,
    /// key 0 (a no-op write) and 0 in the others.
    pub(crate) fn first_chunk_credit(
        &self,
        cs: &ConstraintSystemRef<Fr>,
        message: &MessageVars,
    ) -> Result<(FieldWord, Linear), SynthesisError> {
        let key = &message.recipient.balance_key;
        if self.is_whole_block() {
            return Ok((key.clone(), message.amount.clone()));
        }
        let first = &self.windows[0];
        let gate = |value: &Linear| mul(cs, &Linear::from_bool(first), value);
        let bits = key.bits.iter().map(|bit| bit & first).collect();
        Ok((
            FieldWord {
                var: gate(&Linear::from_var(&key.var))?.to_var(cs)?,
                bits,
            },
            gate(&message.amount)?,
        ))
    }
}

impl WindowTx {
    /// The words of a slot as they are (the whole block needs no selection).
    fn of(tx: &TxVars) -> Self {
        Self {
            fee: tx.fee.clone(),
            balance_key: tx.payer.balance_key.var.clone(),
            nullifiers: [tx.nullifier(0).clone(), tx.nullifier(1).clone()],
            note_hashes: [tx.note_hash(0).var.clone(), tx.note_hash(1).var.clone()],
            public_key: tx.public_key().clone(),
            public_value: tx.public_value().var.clone(),
        }
    }
}
