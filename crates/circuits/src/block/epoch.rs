//! The devnet epoch fixture: four real blocks (numbers 1-4 at slots 8-11, one devnet epoch)
//! on top of the empty devnet state, plus a fifth block for a later empty slot (backup mode),
//! each proven with the devnet keys, written as JSON for the forge tests.
//!
//! Keys are camelCase; numbers that fit a JSON number are numbers, everything else is a
//! `0x` hex string, so `vm.parseJsonUint`, `vm.parseJsonBytes` and
//! `vm.parseJsonUintArray` read every field by its path.

use std::path::Path;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use fernet_state::{
    apply_block, fr_to_be_bytes, poseidon, Block, BlockBody, BlockWitness, PublicDataWrite,
    StateConfig, TxEffect, WorldState,
};
use rand::{CryptoRng, RngCore};
use serde::Serialize;

use super::prover::prove_block;
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

/// Slot of the backup-mode block: the second slot of epoch 3, left empty by the sequencers.
pub const BACKUP_SLOT: u64 = 13;

/// The fixture chain: blocks 1-4 at slots 8-11 and block 5 at [`BACKUP_SLOT`], with a few
/// transactions each (nullifiers, note hashes, public writes including updates in place,
/// fees; full and partly filled blocks).
pub fn devnet_chain() -> Vec<Block> {
    let coinbase = |b: u8| Some([b; 20]);
    let tx_counts = [2usize, 4, 1, 3, 2];
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
                    txs,
                },
            }
        })
        .collect()
}

/// Transaction `t` of block `number`: pseudo-random full-size field elements (so the
/// circuit's comparisons and decompositions see large keys), a second nullifier and note on
/// some, and public writes that reuse keys across blocks (updates in place).
fn fixture_tx(number: u64, t: u64) -> TxEffect {
    let label = |kind: u64, j: u64| {
        poseidon::hash([Fr::from(number), Fr::from(t), Fr::from(kind * 10 + j)])
    };
    let nullifiers: Vec<Fr> = (0..1 + (number + t) % 2).map(|j| label(1, j)).collect();
    let notes: Vec<Fr> = (0..(number + 2 * t) % 3).map(|j| label(2, j)).collect();
    let write = (t != 1).then(|| PublicDataWrite {
        key: poseidon::hash([Fr::from(7u64), Fr::from((number + t) % 3)]),
        value: Fr::from(1000 * number + t),
    });
    let fee = 1_000 * number + 17 * t;
    TxEffect::new(fee, &nullifiers, &notes, write).expect("fixture txs are valid")
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
    /// Header: the Poseidon data hash `h`.
    pub data_hash: String,
    /// The block data (calldata of the proposal).
    pub data: String,
    /// `[prevStateRoot, newStateRoot, globals, h, z, y]`.
    pub public_inputs: Vec<String>,
    /// The 256-byte proof.
    pub proof: String,
    /// The proof as 8 words.
    pub proof_words: Vec<String>,
}

/// The whole fixture file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochFixture {
    /// The devnet configuration the blocks were proven for.
    pub config: StateConfig,
    /// State root of block 0 (the empty devnet state).
    pub genesis_state_root: String,
    /// Blocks 1-4, the epoch.
    pub blocks: Vec<BlockFixture>,
    /// Block 5, for a later empty slot (backup mode).
    pub backup_block: BlockFixture,
    /// The epoch's proofs in the verifier fixture layout (`batchProofs`,
    /// `batchPublicInputs`, `verificationKeyHash`, ...).
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

/// Proves every block of [`devnet_chain`] with `keys` and builds the fixture.
pub fn build_epoch_fixture<R: RngCore + CryptoRng>(
    config: StateConfig,
    keys: &KeyPair<Groth16Bn254>,
    rng: &mut R,
) -> Result<EpochFixture> {
    let (genesis, witnesses) = chain_witnesses(config)?;
    let mut blocks = Vec::with_capacity(witnesses.len());
    let mut proofs: Vec<(Proof<Bn254>, Vec<Fr>)> = Vec::with_capacity(EPOCH_BLOCKS);
    for witness in witnesses {
        let header = (witness.block_number, witness.slot, witness.data.clone());
        let total_fees = witness.public_inputs.total_fees();
        let (proof, inputs) = prove_block(keys, witness, rng)?;
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
            data_hash: words[3].clone(),
            data: format!("0x{}", hex::encode(&header.2)),
            public_inputs: words,
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
    Ok(EpochFixture {
        config,
        genesis_state_root: format!("0x{}", hex::encode(fr_to_be_bytes(&genesis))),
        blocks,
        backup_block,
        verifier: VerifierFixture::new(&keys.verifying_key, &proofs)?,
    })
}
