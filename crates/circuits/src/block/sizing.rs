//! Block circuits of other sizes, for benchmarks and the figures of `docs/proving.md`.

use ark_bn254::Fr;
use fernet_state::{
    apply_block, poseidon, required_data_chunks, Block, BlockBody, BlockWitness, PublicDataWrite,
    StateConfig, TxEffect, WorldState,
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

/// The reference transaction of the throughput target: 2 nullifiers, 2 note hashes and one
/// public write to a new key, all full-size field elements; `seed` makes it unique.
pub fn reference_tx(seed: u64) -> TxEffect {
    let h = |k: u64| poseidon::hash([Fr::from(seed), Fr::from(k)]);
    let write = PublicDataWrite {
        key: h(5),
        value: h(6),
    };
    TxEffect::new(seed, &[h(1), h(2)], &[h(3), h(4)], Some(write))
        .expect("distinct non-zero nullifiers form a valid tx")
}

/// The witness of block 1 filled with `config.max_txs_per_block` reference transactions, on
/// the genesis state of `config`.
pub fn full_block_witness(config: StateConfig) -> Result<BlockWitness> {
    let mut state = WorldState::new(config)?;
    let txs = (1..=config.max_txs_per_block as u64)
        .map(reference_tx)
        .collect();
    let block = Block {
        number: 1,
        slot: 1,
        body: BlockBody {
            coinbase: Some([1; 20]),
            txs,
        },
    };
    Ok(apply_block(&mut state, &block)?)
}
