//! Block circuits of other sizes, for benchmarks and the figures of `docs/proving.md`.

use ark_bn254::Fr;
use fernet_state::{
    apply_block_in_chunks, fr_from_be_bytes, fr_to_be_bytes, poseidon, required_data_chunks,
    Address, Block, BlockBody, BlockWitness, L1ToL2Message, PublicDataWrite, StateConfig, TxEffect,
    WorldState, MESSAGES_PER_BLOCK,
};

use crate::Result;

/// `config` resized to `max_txs` transactions per block (and the data chunks they need).
pub fn with_max_txs(config: StateConfig, max_txs: usize) -> StateConfig {
    StateConfig {
        max_txs_per_block: max_txs,
        max_data_chunks: required_data_chunks(max_txs),
        ..config
    }
}

/// The account that pays the reference transactions' fees (funded by the full block's
/// deposits).
pub const REFERENCE_PAYER: Address = [0x5e; 20];

/// The reference transaction of the throughput target: 2 nullifiers, 2 note hashes and one
/// public write to a new key, all full-size field elements (the key below `2^252`), and a fee
/// of `seed` paid by [`REFERENCE_PAYER`]; `seed` makes it unique.
pub fn reference_tx(seed: u64) -> TxEffect {
    let h = |k: u64| poseidon::hash([Fr::from(seed), Fr::from(k)]);
    let write = PublicDataWrite {
        key: app_key(h(5)),
        value: h(6),
    };
    TxEffect::new(
        seed,
        REFERENCE_PAYER,
        &[h(1), h(2)],
        &[h(3), h(4)],
        Some(write),
    )
    .expect("distinct non-zero nullifiers and an app key form a valid tx")
}

/// `x` with its top bits cleared: an app public data key (below `2^252`) that is still a
/// large, pseudo-random field element.
pub fn app_key(x: Fr) -> Fr {
    let mut bytes = fr_to_be_bytes(&x);
    bytes[0] &= 0x0f;
    fr_from_be_bytes(&bytes).expect("a 252-bit word is below r")
}

/// The witness of block 1 filled with [`MESSAGES_PER_BLOCK`] deposits to [`REFERENCE_PAYER`]
/// and `config.max_txs_per_block` reference transactions, on the genesis state of `config`.
pub fn full_block_witness(config: StateConfig) -> Result<BlockWitness> {
    let mut chunks = full_block_chunks(config, config.max_txs_per_block)?;
    Ok(chunks.pop().expect("the whole block is one chunk"))
}

/// The witnesses of the block of [`full_block_witness`] proven as chunks of `txs` tx slots.
pub fn full_block_chunks(config: StateConfig, txs: usize) -> Result<Vec<BlockWitness>> {
    let mut state = WorldState::new(config)?;
    let block = Block {
        number: 1,
        slot: 1,
        body: BlockBody {
            coinbase: Some([1; 20]),
            messages: vec![
                L1ToL2Message {
                    recipient: REFERENCE_PAYER,
                    amount: 1 << 64,
                };
                MESSAGES_PER_BLOCK
            ],
            txs: (1..=config.max_txs_per_block as u64)
                .map(reference_tx)
                .collect(),
        },
    };
    Ok(apply_block_in_chunks(&mut state, &block, txs)?)
}
