//! The devnet epoch fixture: four real blocks (numbers 1-4 at slots 8-11, one devnet epoch)
//! on top of the empty devnet state, plus a fifth block for a later empty slot (backup mode),
//! each proven with the devnet keys, written as JSON for the forge tests.
//!
//! The blocks consume deposits from the L1 fee inbox and their txs pay fees from them: the
//! fixture lists the deposits (`deposits`, in inbox order) to make before proposing block 1.
//! Each block consumes the oldest pending ones, four at a time until the inbox is empty, so
//! the inbox's must-include rule holds whatever the inclusion delay.
//!
//! The epoch is also proven split (`split`): block 1 whole, blocks 2-4 as chunks of the chunk
//! circuit ([`StateConfig::chunk_txs`]), in the layout `submitSplitEpochProof` takes.
//!
//! Every proof names its payee (the last public input): the epoch's blocks are proven for
//! [`EPOCH_PAYEE`], the backup block for [`BACKUP_PAYEE`]; on L1 they verify only when that
//! address submits them (or holds the epoch's claim).
//!
//! Keys are camelCase; numbers that fit a JSON number are numbers, everything else is a
//! `0x` hex string, so `vm.parseJsonUint`, `vm.parseJsonBytes` and
//! `vm.parseJsonUintArray` read every field by its path.

use std::path::Path;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use fernet_state::{
    apply_block, apply_block_in_chunks, fr_to_be_bytes, poseidon, Address, Block, BlockBody,
    BlockWitness, L1ToL2Message, PublicDataWrite, StateConfig, TxEffect, WorldState,
    COMMITTED_PUBLIC_INPUTS, MESSAGES_PER_BLOCK,
};
use rand::{CryptoRng, RngCore};
use serde::Serialize;

use super::{prover::prove_block, sizing::app_key};
use crate::{
    fixture::VerifierFixture,
    keys::KeyPair,
    proof_system::evm::{self, word_to_hex},
    Groth16Bn254, Result,
};

/// Slot of the first fixture block: the first slot of epoch 2 with 4-slot epochs, when
/// sequencers registered at genesis become active.
pub const FIRST_SLOT: u64 = 8;

/// Blocks in the proven epoch.
pub const EPOCH_BLOCKS: usize = 4;

/// Which epoch blocks the split proof proves as chunks: all but block 1, so the split
/// submission mixes a whole block with blocks of one and of two chunks.
pub const SPLIT_BLOCKS: [bool; EPOCH_BLOCKS] = [false, true, true, true];

/// Slot of the backup-mode block: the second slot of epoch 3, left empty by the sequencers.
pub const BACKUP_SLOT: u64 = 13;

/// Payee of the epoch's block proofs: anvil's well-known account 4
/// (`0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65`), the prover that submits the epoch proof.
pub const EPOCH_PAYEE: Address = [
    0x15, 0xd3, 0x4a, 0xaf, 0x54, 0x26, 0x7d, 0xb7, 0xd7, 0xc3, 0x67, 0x83, 0x9a, 0xaf, 0x71, 0xa0,
    0x0a, 0x2c, 0x6a, 0x65,
];

/// Payee of the backup block's proof: anvil's well-known account 6
/// (`0x976EA74026E726554dB657fA54763abd0C3a0aa9`), the backup proposer that submits it with
/// `proposeWithProof`.
pub const BACKUP_PAYEE: Address = [
    0x97, 0x6e, 0xa7, 0x40, 0x26, 0xe7, 0x26, 0x55, 0x4d, 0xb6, 0x57, 0xfa, 0x54, 0x76, 0x3a, 0xbd,
    0x0c, 0x3a, 0x0a, 0xa9,
];

/// The L2 accounts of the fixture chain: they receive the deposits and pay the fees.
pub const FIXTURE_ACCOUNTS: [Address; 3] = [[0xf1; 20], [0xf2; 20], [0xf3; 20]];

/// The deposits of the fixture chain, in inbox order: made on L1 before block 1, consumed
/// four per block (blocks 1 and 2) and the last two by block 3.
pub fn devnet_deposits() -> Vec<L1ToL2Message> {
    let amounts: [u128; 10] = [
        50_000, 30_000, 20_000, 10_000, 5_000, 5_000, 1_000, 1_000, 7_000, 3_000,
    ];
    amounts
        .iter()
        .enumerate()
        .map(|(i, &amount)| L1ToL2Message {
            recipient: FIXTURE_ACCOUNTS[i % FIXTURE_ACCOUNTS.len()],
            amount,
        })
        .collect()
}

/// The fixture chain: blocks 1-4 at slots 8-11 and block 5 at [`BACKUP_SLOT`], consuming
/// [`devnet_deposits`] in order (4, 4, 2, 0, 0: block 1 spends deposits it consumes itself,
/// block 3 leaves message slots empty), with a few transactions each (fees paid by the
/// fixture accounts or no fee without a payer, nullifiers, note hashes, public writes
/// including updates in place; full and partly filled blocks).
pub fn devnet_chain() -> Vec<Block> {
    let coinbase = |b: u8| Some([b; 20]);
    let tx_counts = [2usize, 4, 1, 3, 2];
    let mut deposits = devnet_deposits().into_iter();
    tx_counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let number = i as u64 + 1;
            let slot = if i < EPOCH_BLOCKS {
                FIRST_SLOT + i as u64
            } else {
                BACKUP_SLOT
            };
            let txs = (0..count as u64).map(|t| fixture_tx(number, t)).collect();
            Block {
                number,
                slot,
                body: BlockBody {
                    coinbase: if i == 2 {
                        None
                    } else {
                        coinbase(0x10 + i as u8)
                    },
                    messages: deposits.by_ref().take(MESSAGES_PER_BLOCK).collect(),
                    txs,
                },
            }
        })
        .collect()
}

/// Transaction `t` of block `number`: pseudo-random full-size field elements (so the
/// circuit's comparisons and decompositions see large keys), a second nullifier and note on
/// some, public writes that reuse keys across blocks (updates in place), and a fee paid by a
/// fixture account (every fourth tx has no payer and no fee).
fn fixture_tx(number: u64, t: u64) -> TxEffect {
    let label = |kind: u64, j: u64| {
        poseidon::hash([Fr::from(number), Fr::from(t), Fr::from(kind * 10 + j)])
    };
    let nullifiers: Vec<Fr> = (0..1 + (number + t) % 2).map(|j| label(1, j)).collect();
    let notes: Vec<Fr> = (0..(number + 2 * t) % 3).map(|j| label(2, j)).collect();
    let write = (t != 1).then(|| PublicDataWrite {
        key: app_key(poseidon::hash([Fr::from(7u64), Fr::from((number + t) % 3)])),
        value: Fr::from(1000 * number + t),
    });
    let (payer, fee) = match (number + t) % 4 {
        3 => ([0; 20], 0),
        k => (FIXTURE_ACCOUNTS[k as usize], 1_000 * number + 17 * t),
    };
    TxEffect::new(fee, payer, &nullifiers, &notes, write).expect("fixture txs are valid")
}

/// A deposit to make on L1, as the forge tests read it (keys in alphabetical order, so
/// `vm.parseJson` decodes the list into a `struct { uint256 amount; address recipient; }[]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositFixture {
    /// The amount (a JSON number).
    pub amount: u64,
    /// The L2 recipient (`0x` and 40 hex digits).
    pub recipient: String,
}

/// One proven block as the forge tests read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockFixture {
    /// Header: block number.
    pub block_number: u64,
    /// Header: slot.
    pub slot: u64,
    /// Header: state root before the block.
    pub prev_state_root: String,
    /// Header: state root after the block.
    pub new_state_root: String,
    /// Header: sum of the fees.
    pub total_fees: u64,
    /// Messages of the inbox consumed by the chain up to and including this block (the
    /// rollup's `inboxCursor` after it).
    pub inbox_cursor: u64,
    /// Header: the Poseidon data hash `h`.
    pub data_hash: String,
    /// The block data (calldata of the proposal).
    pub data: String,
    /// The committed inputs `[prevStateRoot, newStateRoot, globals, h, z, y]`: what
    /// `publicInputsOf` returns and a `submitEpochProof` row holds.
    pub public_inputs: Vec<String>,
    /// The address the proof was proven for (`0x` and 40 hex digits).
    pub payee: String,
    /// The proof's inputs as the verifier takes them: `publicInputs`, the payee, the chunk word.
    pub verifier_inputs: Vec<String>,
    /// The 256-byte proof.
    pub proof: String,
    /// The proof as 8 words.
    pub proof_words: Vec<String>,
}

/// The epoch proven split, as `submitSplitEpochProof` takes it (with the epoch's
/// `epochPublicInputs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitFixture {
    /// Tx slots per chunk proof.
    pub chunk_txs: u64,
    /// Per epoch block: 0 when proven whole, else its number of chunks.
    pub chunk_counts: Vec<u64>,
    /// The state roots between the chunks of each split block, in order.
    pub intermediate_roots: Vec<String>,
    /// The whole blocks' proofs, then the chunk proofs, concatenated.
    pub proofs: String,
    /// The chunk proofs' inputs as the chunk verifier takes them, 8 words per chunk.
    pub chunk_verifier_inputs: Vec<String>,
    /// The hash of the chunk circuit's verifying key.
    pub chunk_verification_key_hash: String,
}

/// The whole fixture file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochFixture {
    /// The devnet configuration the blocks were proven for.
    pub config: StateConfig,
    /// State root of block 0 (the empty devnet state).
    pub genesis_state_root: String,
    /// The deposits to make into the fee inbox before block 1, in inbox order; the blocks'
    /// data consume them in this order.
    pub deposits: Vec<DepositFixture>,
    /// The payee of every epoch block's proof ([`EPOCH_PAYEE`]).
    pub epoch_payee: String,
    /// The `publicInputs` argument of `submitEpochProof` for the epoch: the committed inputs
    /// of blocks 1-4, six words per block.
    pub epoch_public_inputs: Vec<String>,
    /// Blocks 1-4, the epoch.
    pub blocks: Vec<BlockFixture>,
    /// Block 5, for a later empty slot (backup mode), proven for [`BACKUP_PAYEE`].
    pub backup_block: BlockFixture,
    /// The epoch proven as whole blocks and chunks ([`SPLIT_BLOCKS`]), for [`EPOCH_PAYEE`].
    pub split: SplitFixture,
    /// The epoch's proofs in the verifier fixture layout (`batchProofs`,
    /// `batchPublicInputs` with seven words per proof, `verificationKeyHash`, ...).
    pub verifier: VerifierFixture,
}

impl EpochFixture {
    /// The fixture as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String> {
        let mut json = serde_json::to_string_pretty(self)?;
        json.push('\n');
        Ok(json)
    }

    /// Writes the fixture to `path`, creating its directory.
    pub fn write(&self, path: &Path) -> Result<()> {
        super::tools::write_file(path, self.to_json()?.as_bytes())
    }
}

/// Applies [`devnet_chain`] to the empty state of `config` and returns every witness.
pub fn chain_witnesses(config: StateConfig) -> Result<(Fr, Vec<BlockWitness>)> {
    let mut state = WorldState::new(config)?;
    let genesis = state.state_root();
    let witnesses = devnet_chain()
        .iter()
        .map(|block| apply_block(&mut state, block))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((genesis, witnesses))
}

/// The payee of block `index` of [`devnet_chain`]: [`EPOCH_PAYEE`] for the epoch,
/// [`BACKUP_PAYEE`] for the backup block.
pub fn fixture_payee(index: usize) -> Address {
    if index < EPOCH_BLOCKS {
        EPOCH_PAYEE
    } else {
        BACKUP_PAYEE
    }
}

/// Proves every block of [`devnet_chain`] with `keys`, each for its [`fixture_payee`], and
/// the epoch split ([`SPLIT_BLOCKS`]) with `chunk_keys` (the chunk circuit of
/// [`StateConfig::chunk_txs`]) as well, and builds the fixture.
pub fn build_epoch_fixture<R: RngCore + CryptoRng>(
    config: StateConfig,
    keys: &KeyPair<Groth16Bn254>,
    chunk_keys: &KeyPair<Groth16Bn254>,
    rng: &mut R,
) -> Result<EpochFixture> {
    let (genesis, witnesses) = chain_witnesses(config)?;
    let mut blocks = Vec::with_capacity(witnesses.len());
    let mut proofs: Vec<(Proof<Bn254>, Vec<Fr>)> = Vec::with_capacity(EPOCH_BLOCKS);
    let mut inbox_cursor = 0u64;
    for (index, witness) in witnesses.into_iter().enumerate() {
        let payee = fixture_payee(index);
        inbox_cursor += witness
            .messages
            .iter()
            .filter(|m| **m != L1ToL2Message::default())
            .count() as u64;
        let header = (witness.block_number, witness.slot, witness.data.clone());
        let total_fees = witness.public_inputs.total_fees();
        let (proof, inputs) = prove_block(keys, witness.with_payee(payee), rng)?;
        let words: Vec<String> = evm::public_inputs_to_words(&inputs)
            .iter()
            .map(word_to_hex)
            .collect();
        blocks.push(BlockFixture {
            block_number: header.0,
            slot: header.1,
            prev_state_root: words[0].clone(),
            new_state_root: words[1].clone(),
            total_fees: u64::try_from(total_fees).expect("fixture fees are small"),
            inbox_cursor,
            data_hash: words[3].clone(),
            data: format!("0x{}", hex::encode(&header.2)),
            public_inputs: words[..COMMITTED_PUBLIC_INPUTS].to_vec(),
            payee: address_to_hex(&payee),
            verifier_inputs: words,
            proof: format!("0x{}", hex::encode(evm::proof_to_bytes(&proof))),
            proof_words: evm::proof_to_words(&proof)
                .iter()
                .map(word_to_hex)
                .collect(),
        });
        if proofs.len() < EPOCH_BLOCKS {
            proofs.push((proof, inputs.to_vec()));
        }
    }
    let backup_block = blocks.pop().expect("the chain has a backup block");
    let split = build_split_fixture(config, &proofs, chunk_keys, rng)?;
    Ok(EpochFixture {
        config,
        genesis_state_root: format!("0x{}", hex::encode(fr_to_be_bytes(&genesis))),
        deposits: devnet_deposits()
            .iter()
            .map(|deposit| DepositFixture {
                amount: u64::try_from(deposit.amount).expect("fixture deposits are small"),
                recipient: address_to_hex(&deposit.recipient),
            })
            .collect(),
        epoch_payee: address_to_hex(&EPOCH_PAYEE),
        epoch_public_inputs: blocks
            .iter()
            .flat_map(|block| block.public_inputs.iter().cloned())
            .collect(),
        blocks,
        backup_block,
        split,
        verifier: VerifierFixture::new(&keys.verifying_key, &proofs)?,
    })
}

/// Proves the epoch's [`SPLIT_BLOCKS`] as chunks of [`StateConfig::chunk_txs`] for
/// [`EPOCH_PAYEE`] with `chunk_keys`, and lays the submission out with the whole blocks'
/// `block_proofs` (block order).
fn build_split_fixture<R: RngCore + CryptoRng>(
    config: StateConfig,
    block_proofs: &[(Proof<Bn254>, Vec<Fr>)],
    chunk_keys: &KeyPair<Groth16Bn254>,
    rng: &mut R,
) -> Result<SplitFixture> {
    let chunk_txs = config.chunk_txs()?;
    let mut state = WorldState::new(config)?;
    let mut whole_proofs = Vec::new();
    let mut chunk_proofs = Vec::new();
    let mut chunk_counts = Vec::with_capacity(EPOCH_BLOCKS);
    let mut intermediate_roots = Vec::new();
    let mut chunk_verifier_inputs = Vec::new();
    for (index, block) in devnet_chain().iter().take(EPOCH_BLOCKS).enumerate() {
        if !SPLIT_BLOCKS[index] {
            apply_block(&mut state, block)?;
            chunk_counts.push(0);
            whole_proofs.extend(evm::proof_to_bytes(&block_proofs[index].0));
            continue;
        }
        let chunks = apply_block_in_chunks(&mut state, block, chunk_txs)?;
        chunk_counts.push(chunks.len() as u64);
        for chunk in chunks {
            let last = chunk.part.is_last;
            let (proof, inputs) = prove_block(chunk_keys, chunk.with_payee(EPOCH_PAYEE), rng)?;
            let words = evm::public_inputs_to_words(&inputs);
            if !last {
                intermediate_roots.push(word_to_hex(&words[1]));
            }
            chunk_verifier_inputs.extend(words.iter().map(word_to_hex));
            chunk_proofs.extend(evm::proof_to_bytes(&proof));
        }
    }
    whole_proofs.extend(chunk_proofs);
    Ok(SplitFixture {
        chunk_txs: chunk_txs as u64,
        chunk_counts,
        intermediate_roots,
        proofs: format!("0x{}", hex::encode(whole_proofs)),
        chunk_verifier_inputs,
        chunk_verification_key_hash: word_to_hex(&evm::verifying_key_hash(
            &chunk_keys.verifying_key,
        )),
    })
}

/// `0x` and the 40 lowercase hex digits of `address` (what `vm.parseJsonAddress` reads).
fn address_to_hex(address: &Address) -> String {
    format!("0x{}", hex::encode(address))
}
