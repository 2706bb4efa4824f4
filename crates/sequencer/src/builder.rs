//! Builds a block from pooled transactions on top of a parent state, and the `propose`
//! arguments that publish it.

use alloy::primitives::{Address, Bytes, B256, U256};
use fernet_bindings::IRollup;
use fernet_state::{
    apply_block, encode_block_data, fr_to_be_bytes, Block, BlockBody, BlockWitness, L1ToL2Message,
    TxEffect, WorldState,
};

use crate::error::{Error, Result};

/// A built block: what goes to L1 and what the sequencer keeps.
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    /// The block.
    pub block: Block,
    /// Hashes of its transactions, in block order.
    pub tx_hashes: Vec<B256>,
    /// The witness of its application (public inputs, data, roots): a backup block proves it.
    pub witness: BlockWitness,
}

impl BuiltBlock {
    /// The arguments of `Rollup.propose` for this block, voting for `upgrade_payload`.
    pub fn propose_args(&self, upgrade_payload: Address) -> IRollup::ProposeArgs {
        let inputs = &self.witness.public_inputs;
        IRollup::ProposeArgs {
            header: IRollup::BlockHeader {
                blockNumber: U256::from(self.block.number),
                slot: U256::from(self.block.slot),
                prevStateRoot: B256::from(fr_to_be_bytes(&inputs.prev_state_root())),
                newStateRoot: B256::from(fr_to_be_bytes(&inputs.new_state_root())),
                totalFees: U256::from(inputs.total_fees()),
                dataHash: U256::from_be_bytes(fr_to_be_bytes(&inputs.fingerprint().hash)),
            },
            data: Bytes::from(self.witness.data.clone()),
            upgradePayload: upgrade_payload,
        }
    }
}

/// Builds block `number` for `slot` on `parent`: consumes `messages` (the next deposits of the
/// L1 fee inbox, credited before any fee is paid), then takes candidates in order (the pool sorts
/// them by fee) and keeps each one the state accepts together with those already chosen, up to
/// the circuit's `max_txs_per_block`. A candidate whose nullifier is already spent, that clashes
/// with a chosen one, or whose payer cannot pay its fee is skipped. An empty block is valid (it
/// still carries the slot).
pub fn build_block(
    parent: &WorldState,
    number: u64,
    slot: u64,
    coinbase: Address,
    messages: Vec<L1ToL2Message>,
    candidates: impl IntoIterator<Item = (B256, TxEffect)>,
) -> Result<BuiltBlock> {
    let max_txs = parent.config().max_txs_per_block;
    let mut block = Block {
        number,
        slot,
        body: BlockBody {
            coinbase: Some(coinbase.into_array()),
            messages,
            txs: Vec::new(),
        },
    };
    let mut tx_hashes = Vec::new();
    for (hash, tx) in candidates {
        if block.body.txs.len() == max_txs {
            break;
        }
        block.body.txs.push(tx);
        if apply_block(&mut parent.clone(), &block).is_ok() {
            tx_hashes.push(hash);
        } else {
            block.body.txs.pop();
        }
    }
    // Encoding is validated again inside apply_block; keep the bytes identical to the witness.
    encode_block_data(&block.body).map_err(|source| Error::Build { number, source })?;
    let witness = apply_block(&mut parent.clone(), &block)
        .map_err(|source| Error::Build { number, source })?;
    Ok(BuiltBlock {
        block,
        tx_hashes,
        witness,
    })
}

#[cfg(test)]
mod tests {
    use fernet_state::{Fr, StateConfig, BLOCK_DATA_HEADER_BYTES, TX_EFFECT_BYTES};

    use super::*;

    /// The payer of every test tx.
    const PAYER: [u8; 20] = [0xaa; 20];

    fn tx(nullifier: u64, fee: u64) -> (B256, TxEffect) {
        let effect = TxEffect::new(
            fee,
            PAYER,
            &[Fr::from(nullifier)],
            &[Fr::from(nullifier + 1000)],
            None,
        )
        .expect("valid tx");
        (B256::with_last_byte(nullifier as u8), effect)
    }

    fn deposit(amount: u128) -> Vec<L1ToL2Message> {
        vec![L1ToL2Message {
            recipient: PAYER,
            amount,
        }]
    }

    #[test]
    fn keeps_valid_txs_up_to_capacity_and_skips_clashes() {
        let parent = WorldState::new(StateConfig::devnet()).expect("genesis");
        let coinbase = Address::repeat_byte(0x11);
        // Nullifier 1 twice: the second is skipped. Capacity is 4.
        let candidates = [
            tx(1, 50),
            tx(1, 40),
            tx(2, 30),
            tx(3, 20),
            tx(4, 10),
            tx(5, 5),
        ];
        let built =
            build_block(&parent, 1, 7, coinbase, deposit(1_000), candidates).expect("built");
        assert_eq!(built.block.body.txs.len(), 4);
        assert_eq!(
            built.tx_hashes,
            [1u8, 2, 3, 4].map(B256::with_last_byte).to_vec()
        );
        let args = built.propose_args(Address::ZERO);
        assert_eq!(args.header.blockNumber, U256::from(1));
        assert_eq!(args.header.slot, U256::from(7));
        assert_eq!(args.header.totalFees, U256::from(50 + 30 + 20 + 10));
        assert_eq!(
            args.header.prevStateRoot,
            B256::from(fr_to_be_bytes(&parent.state_root()))
        );
        assert_eq!(
            args.data.len(),
            BLOCK_DATA_HEADER_BYTES + 4 * TX_EFFECT_BYTES
        );
    }

    #[test]
    fn skips_txs_its_payer_cannot_pay_after_the_blocks_deposits() {
        let parent = WorldState::new(StateConfig::devnet()).expect("genesis");
        let coinbase = Address::repeat_byte(0x33);
        // 60 deposited in this very block: 50 fits, then 20 does not (10 left), then 10 does.
        let candidates = [tx(1, 50), tx(2, 20), tx(3, 10)];
        let built = build_block(&parent, 1, 1, coinbase, deposit(60), candidates).expect("built");
        assert_eq!(built.tx_hashes, [1u8, 3].map(B256::with_last_byte).to_vec());
        assert_eq!(built.block.body.messages, deposit(60));
        // Without the deposit nobody pays.
        let built = build_block(&parent, 1, 1, coinbase, Vec::new(), [tx(1, 50)]).expect("built");
        assert!(built.tx_hashes.is_empty());
    }

    #[test]
    fn skips_txs_spent_in_the_parent_state() {
        let mut parent = WorldState::new(StateConfig::devnet()).expect("genesis");
        let coinbase = Address::repeat_byte(0x22);
        let first = build_block(&parent, 1, 3, coinbase, deposit(100), [tx(9, 1)]).expect("first");
        apply_block(&mut parent, &first.block).expect("applies");
        let second = build_block(&parent, 2, 4, coinbase, Vec::new(), [tx(9, 1), tx(10, 1)])
            .expect("second");
        assert_eq!(second.tx_hashes, vec![B256::with_last_byte(10)]);
    }

    #[test]
    fn builds_an_empty_block_when_nothing_fits() {
        let parent = WorldState::new(StateConfig::devnet()).expect("genesis");
        let built =
            build_block(&parent, 1, 2, Address::repeat_byte(1), Vec::new(), []).expect("built");
        assert!(built.block.body.txs.is_empty());
        assert_eq!(built.witness.block_number, 1);
    }
}
