//! The block circuit against the native state: every honest block of the fixture chain
//! satisfies it; forged witnesses (a double spend, a fee above the payer's balance, an app
//! write to a fee balance, a credit in an unused message slot: all refused by the native code)
//! and mismatched public inputs do not, and a real proof fails against any tampered input.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use fernet_circuits::{
    block::{
        epoch::{
            chain_witnesses, devnet_chain, devnet_deposits, fixture_payee, BACKUP_PAYEE,
            EPOCH_PAYEE,
        },
        prover::{default_key_cache_dir, devnet_keys, prove_block, verify_block},
        tools, BlockCircuit,
    },
    keys::{KeyCache, KeyPair},
    proof_system::evm,
    verifier_gen::VerifierKind,
    Groth16Bn254,
};
use fernet_state::{
    apply_block, data_chunks, encode_block_data, encode_message, encode_tx_effect, fee_balance_key,
    Address, Block, BlockBody, BlockPart, BlockPublicInputs, BlockWitness, DataFingerprint,
    L1ToL2Message, NullifierLeaf, NullifierWitness, PublicDataWrite, SparseMerkleTree, StateConfig,
    StateSnapshot, TreeSnapshot, TxEffect, WorldState, BLOCK_DATA_HEADER_BYTES, BLOCK_DATA_VERSION,
    COMMITTED_PUBLIC_INPUTS, FEE_BALANCE_KEY_OFFSET, MESSAGES_PER_BLOCK, NUM_PUBLIC_INPUTS,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::support::chain::{call_verify, decode_hex, deploy_verifier, repo_root, Anvil};

/// The devnet keys, set up (or loaded from the shared cache) once per test binary.
fn devnet_block_keys() -> &'static KeyPair<Groth16Bn254> {
    static KEYS: OnceLock<KeyPair<Groth16Bn254>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let cache = KeyCache::new(default_key_cache_dir());
        devnet_keys(
            &cache,
            StateConfig::devnet(),
            StateConfig::devnet().max_txs_per_block,
            None,
        )
        .expect("devnet keys")
    })
}

fn satisfied(witness: &BlockWitness) -> bool {
    BlockCircuit::new(witness.clone())
        .unwrap()
        .is_satisfied()
        .unwrap()
}

/// The second block of the fixture chain, honest.
fn second_block() -> BlockWitness {
    chain_witnesses(StateConfig::devnet())
        .unwrap()
        .1
        .swap_remove(1)
}

/// `witness` with its public inputs rebuilt from the given parts (the payee kept, the chunk
/// word a whole block's).
pub(crate) fn with_inputs(
    witness: &BlockWitness,
    change: impl FnOnce(&mut (Fr, Fr, u64, u64, u128, DataFingerprint)),
) -> BlockWitness {
    let p = witness.public_inputs;
    let mut parts = (
        p.prev_state_root(),
        p.new_state_root(),
        p.block_number(),
        p.slot(),
        p.total_fees(),
        p.fingerprint(),
    );
    change(&mut parts);
    let (prev, new, number, slot, fees, fingerprint) = parts;
    let mut out = witness.clone();
    out.public_inputs = BlockPublicInputs::new(prev, new, number, slot, fees, fingerprint)
        .unwrap()
        .with_payee(p.payee());
    out
}

/// Every way of lying about the public inputs of an honest witness: a wrong previous or new
/// root, data with one chunk changed, another block number or slot, another fee total.
fn tampered(witness: &BlockWitness) -> Vec<(&'static str, BlockWitness)> {
    let one = Fr::ONE;
    let mut data = witness.data.clone();
    data[40] ^= 0x01; // a byte of the first message's recipient (chunk 1)
    let config = witness.config;
    let tampered_fingerprint = DataFingerprint::compute(&data, config.max_data_chunks).unwrap();
    assert_ne!(data_chunks(&data)[1], witness.data_chunks[1]);
    vec![
        ("prev root", with_inputs(witness, |p| p.0 += one)),
        ("new root", with_inputs(witness, |p| p.1 += one)),
        (
            "data chunk",
            with_inputs(witness, |p| p.5 = tampered_fingerprint),
        ),
        ("block number", with_inputs(witness, |p| p.2 += 1)),
        ("slot", with_inputs(witness, |p| p.3 += 1)),
        ("fee", with_inputs(witness, |p| p.4 += 1)),
    ]
}

#[test]
fn honest_chain_satisfies_the_circuit() {
    let (genesis, witnesses) = chain_witnesses(StateConfig::devnet()).unwrap();
    assert_eq!(witnesses[0].public_inputs.prev_state_root(), genesis);
    for witness in witnesses {
        assert!(satisfied(&witness), "block {}", witness.block_number);
    }
}

#[test]
fn empty_and_full_blocks_satisfy_the_circuit() {
    let config = StateConfig::devnet();
    let mut state = WorldState::new(config).unwrap();
    let empty = apply_block(
        &mut state,
        &Block {
            number: 1,
            slot: 3,
            body: BlockBody::default(),
        },
    )
    .unwrap();
    assert!(satisfied(&empty));
    // Four deposits to one payer, spent in the same block by four txs at the largest fee;
    // the txs all write the same new key: one insertion, then three updates in place.
    let payer = [0x77; 20];
    let key = FEE_BALANCE_KEY_OFFSET - Fr::from(5u64);
    let txs = (0..4u64)
        .map(|t| {
            let write = fernet_state::PublicDataWrite {
                key,
                value: Fr::from(t + 1),
            };
            let nullifiers = [-Fr::from(100 + t), Fr::from(100 + t)];
            TxEffect::new(
                u64::MAX,
                payer,
                &nullifiers,
                &[Fr::from(t + 9), -Fr::ONE],
                Some(write),
            )
            .unwrap()
        })
        .collect();
    let full = Block {
        number: 2,
        slot: 4,
        body: BlockBody {
            coinbase: Some([0xff; 20]),
            messages: vec![
                L1ToL2Message {
                    recipient: payer,
                    amount: 1 << 64,
                };
                MESSAGES_PER_BLOCK
            ],
            txs,
        },
    };
    let full = apply_block(&mut state, &full).unwrap();
    assert_eq!(full.public_inputs.total_fees(), 4 * u128::from(u64::MAX));
    assert_eq!(state.fee_balance(&payer), 4);
    assert!(satisfied(&full));
}

#[test]
fn mismatched_public_inputs_are_unsatisfiable() {
    let witness = second_block();
    assert!(satisfied(&witness));
    for (what, bad) in tampered(&witness) {
        assert!(!satisfied(&bad), "{what}");
    }
}

#[test]
fn witness_of_another_shape_is_rejected() {
    let mut witness = second_block();
    witness.txs.pop();
    let error = BlockCircuit::new(witness).unwrap_err();
    assert_eq!(
        error.to_string(),
        "block witness has 3 txs, the configuration needs 4"
    );
}

/// How a forged nullifier slot names its low leaf.
#[derive(Clone, Copy, Debug)]
enum Low {
    /// An empty slot (the genesis leaf, unchanged).
    Padding,
    /// The current leaf at this tree index, proven by its current path.
    Tree(u64),
    /// This preimage, claimed to be at this tree index (a stale value), with the current path.
    Stale(u64, NullifierLeaf),
    /// The current value of the batch leaf of this earlier slot.
    Pending(usize),
}

/// A block 2 (after block 1 of the devnet chain) whose txs spend `txs` (nullifier slots
/// tx-major), with the nullifier batch built by hand from `lows` the way the circuit reads it,
/// with no rule checked: each slot re-points its low leaf (in the tree, or a batch leaf) to
/// the key and puts the new leaf in its batch slot, then the batch subtree replaces the empty
/// one. Everything else is consistent: the tree is updated as the forged batch says, and the
/// public inputs match the data and the roots. The native code would refuse every forgery.
fn forge_block_two(txs: &[[Fr; 2]], lows: &[Low]) -> BlockWitness {
    let config = StateConfig::devnet();
    let mut state = WorldState::new(config).unwrap();
    apply_block(&mut state, &devnet_chain()[0]).unwrap();
    let tx = |nullifiers: &[Fr; 2]| TxEffect {
        fee: 0,
        payer: [0; 20],
        nullifiers: *nullifiers,
        note_hashes: [Fr::from(77u64), Fr::ZERO],
        public_data_write: PublicDataWrite::default(),
    };
    let body = |txs: Vec<TxEffect>| BlockBody {
        coinbase: None,
        messages: vec![],
        txs,
    };
    // Template: the same shape with fresh nullifiers; only the nullifier tree differs.
    let fresh: Vec<TxEffect> = (0..txs.len() as u64)
        .map(|i| tx(&[Fr::from(50_000 + 2 * i), Fr::from(50_001 + 2 * i)]))
        .collect();
    let template = Block {
        number: 2,
        slot: 9,
        body: body(fresh),
    };
    let mut witness = apply_block(&mut state.clone(), &template).unwrap();

    let inner = state.nullifier_tree().inner();
    let height = config.block_subtree_height();
    let start = inner.next_index();
    let mut tree: SparseMerkleTree = inner.tree().clone();
    let mut leaves: Vec<Option<NullifierLeaf>> =
        (0..start).map(|i| inner.leaf(i).copied()).collect();
    let mut batch: Vec<Option<NullifierLeaf>> = vec![None; 1 << height];
    let hash = |leaf: &NullifierLeaf| {
        fernet_state::poseidon::hash([leaf.value, Fr::from(leaf.next_index), leaf.next_value])
    };
    let keys: Vec<Fr> = txs.iter().flatten().copied().collect();
    let mut slots = Vec::new();
    for w in 0..2 * config.max_txs_per_block {
        let key = keys.get(w).copied().unwrap_or(Fr::ZERO);
        let low_choice = lows.get(w).copied().unwrap_or(Low::Padding);
        let untouched = |tree: &mut SparseMerkleTree, leaves: &[Option<NullifierLeaf>]| {
            tree.update_subtree(0, 0, &[hash(&leaves[0].unwrap())])
                .unwrap()
        };
        let (low_leaf, low_leaf_index, pending, low_leaf_update) = match low_choice {
            Low::Padding => (leaves[0].unwrap(), 0, false, untouched(&mut tree, &leaves)),
            Low::Tree(index) | Low::Stale(index, _) => {
                let low = match low_choice {
                    Low::Stale(_, leaf) => leaf,
                    _ => leaves[index as usize].unwrap(),
                };
                let after = NullifierLeaf {
                    next_index: start + w as u64,
                    next_value: key,
                    ..low
                };
                leaves[index as usize] = Some(after);
                (
                    low,
                    index,
                    false,
                    tree.update_subtree(0, index, &[hash(&after)]).unwrap(),
                )
            }
            Low::Pending(k) => {
                // An empty slot reads as the all-zero preimage, as in the circuit.
                let low = batch[k].unwrap_or(NullifierLeaf {
                    value: Fr::ZERO,
                    next_index: 0,
                    next_value: Fr::ZERO,
                });
                batch[k] = Some(NullifierLeaf {
                    next_index: start + w as u64,
                    next_value: key,
                    ..low
                });
                (low, k as u64, true, untouched(&mut tree, &leaves))
            }
        };
        if key != Fr::ZERO {
            batch[w] = Some(NullifierLeaf {
                value: key,
                next_index: low_leaf.next_index,
                next_value: low_leaf.next_value,
            });
        }
        slots.push(fernet_state::NullifierSlotWitness {
            low_leaf,
            low_leaf_index,
            pending,
            low_leaf_update,
        });
    }
    // Only slots holding a nullifier are leaves; the others stay empty.
    let subtree: Vec<Fr> = (0..batch.len())
        .map(|w| match (keys.get(w), &batch[w]) {
            (Some(key), Some(leaf)) if *key != Fr::ZERO => hash(leaf),
            _ => Fr::ZERO,
        })
        .collect();
    let subtree_update = tree
        .update_subtree(height, start >> height, &subtree)
        .unwrap();
    witness.nullifiers = NullifierWitness {
        slots,
        subtree_update,
    };
    for (slot, nullifiers) in witness.txs.iter_mut().zip(txs) {
        *slot = tx(nullifiers);
    }
    witness.new_state.nullifier_tree = TreeSnapshot {
        root: tree.root(),
        next_index: start + (1 << height),
    };
    // The template's header (same tx count), then the forged txs, encoded without the tx
    // rules (a nullifier twice in one tx is refused by `encode_block_data`).
    let mut data = encode_block_data(&template.body).unwrap();
    data.truncate(BLOCK_DATA_HEADER_BYTES);
    for tx in &witness.txs[..txs.len()] {
        data.extend_from_slice(&encode_tx_effect(tx));
    }
    witness.data = data;
    witness.data_chunks = data_chunks(&witness.data);
    witness.data_chunks.resize(config.max_data_chunks, Fr::ZERO);
    let fingerprint = DataFingerprint::compute(&witness.data, config.max_data_chunks).unwrap();
    witness.public_inputs = BlockPublicInputs::new(
        witness.prev_state.state_root(),
        witness.new_state.state_root(),
        2,
        9,
        0,
        fingerprint,
    )
    .unwrap();
    witness
}

/// The state after block 1 of the devnet chain: a nullifier it spent, the index of the
/// leaf below it, and that leaf.
fn spent_in_block_one() -> (Fr, u64, NullifierLeaf) {
    let mut state = WorldState::new(StateConfig::devnet()).unwrap();
    let block_one = &devnet_chain()[0];
    apply_block(&mut state, block_one).unwrap();
    let spent = block_one.body.txs[0].nullifiers[0];
    let inner = state.nullifier_tree().inner();
    let low = inner.low_leaf_index(&spent).unwrap();
    (spent, low, *inner.leaf(low).unwrap())
}

#[test]
fn double_spend_is_unsatisfiable() {
    let (spent, low, low_leaf) = spent_in_block_one();
    let own = {
        let mut state = WorldState::new(StateConfig::devnet()).unwrap();
        apply_block(&mut state, &devnet_chain()[0]).unwrap();
        state.nullifier_tree().inner().find(&spent).unwrap()
    };
    assert_eq!(low_leaf.next_value, spent);
    let (x, y) = (Fr::from(999u64), Fr::from(1_000u64));
    let zero = Fr::ZERO;
    let genesis_low = |key: Fr| {
        let mut state = WorldState::new(StateConfig::devnet()).unwrap();
        apply_block(&mut state, &devnet_chain()[0]).unwrap();
        Low::Tree(state.nullifier_tree().inner().low_leaf_index(&key).unwrap())
    };
    // Controls: the hand-built batch of fresh nullifiers satisfies the circuit, with a low
    // leaf in the tree and one pending in the batch, so the forgeries below fail for the
    // double spend alone.
    assert!(satisfied(&forge_block_two(&[[x, zero]], &[genesis_low(x)])));
    assert!(satisfied(&forge_block_two(
        &[[x, y]],
        &[genesis_low(x), Low::Pending(0)]
    )));
    let forgeries = [
        // Attack: a nullifier of block 1 inserted again after its predecessor, which points
        // to it (fails the range check).
        ("reinsert", vec![[spent, zero]], vec![Low::Tree(low)]),
        // Attack: the spent nullifier's own leaf as its low leaf (fails exists == padding).
        ("own leaf", vec![[spent, zero]], vec![Low::Tree(own)]),
        // Attack (issue 13, batch insertion): the same nullifier twice in one block, the
        // second time behind the batch leaf of the first.
        (
            "twice, pending",
            vec![[x, x]],
            vec![genesis_low(x), Low::Pending(0)],
        ),
        // Attack (issue 13, batch insertion): the same nullifier twice in one block, the
        // second time behind the stale value of the tree leaf the first re-pointed.
        (
            "twice, stale low leaf",
            vec![[x, x]],
            vec![genesis_low(x), {
                let Low::Tree(index) = genesis_low(x) else {
                    unreachable!()
                };
                let mut state = WorldState::new(StateConfig::devnet()).unwrap();
                apply_block(&mut state, &devnet_chain()[0]).unwrap();
                Low::Stale(index, *state.nullifier_tree().inner().leaf(index).unwrap())
            }],
        ),
        // Attack (issue 13, batch insertion): a spent nullifier behind an empty batch slot,
        // whose all-zero preimage would read as "key 0, end of the list".
        (
            "empty batch slot as low leaf",
            vec![[x, zero], [spent, zero]],
            vec![genesis_low(x), Low::Padding, Low::Pending(1)],
        ),
    ];
    for (what, txs, lows) in forgeries {
        assert!(!satisfied(&forge_block_two(&txs, &lows)), "{what}");
    }
}

/// A block as a forger hands it to the prover: message slots (padded to
/// [`MESSAGES_PER_BLOCK`], the first `num_messages` published) and tx slots (padded to
/// `max_txs`, the first `num_txs` published), none of them checked.
struct Forged {
    messages: Vec<L1ToL2Message>,
    num_messages: usize,
    txs: Vec<TxEffect>,
}

/// The witness of `forged` on `state` as block `state.block_number() + 1`, built the way
/// `apply_block` builds it but with no rule checked: fee balances are computed in the field
/// (a short balance wraps around r), any key is written, and the data carries the bytes as
/// given. Every path, root and public input is consistent with those writes, so the circuit
/// can only refuse the rule itself.
fn replay(state: &WorldState, forged: &Forged) -> BlockWitness {
    let config = *state.config();
    let number = state.block_number() + 1;
    let slot = number + 20;
    let mut public = state.public_data_tree().clone();
    let mut nullifiers = state.nullifier_tree().clone();
    let mut notes = state.note_hash_tree().clone();
    let mut txs = forged.txs.clone();
    let num_txs = txs.len();
    txs.resize(config.max_txs_per_block, TxEffect::default());
    let mut messages = forged.messages.clone();
    messages.resize(MESSAGES_PER_BLOCK, L1ToL2Message::default());

    let add = |public: &mut fernet_state::PublicDataTree, account: &Address, delta: Fr| {
        if *account == [0; 20] {
            return public.noop();
        }
        let key = fee_balance_key(account);
        let value = public.read(&key) + delta;
        public.write(key, value).unwrap()
    };
    let fee_credits = messages
        .iter()
        .map(|m| add(&mut public, &m.recipient, Fr::from(m.amount)))
        .collect();
    let mut fee_debits = vec![];
    for tx in &txs {
        fee_debits.push(if tx.payer == [0; 20] {
            public.untouched()
        } else {
            // A debit only updates an existing leaf: for a payer without one, the forger can
            // only hand over the rewrite of leaf 0 that changes nothing.
            let key = fee_balance_key(&tx.payer);
            let value = public.read(&key) - Fr::from(tx.fee);
            public.update_existing(key, value).unwrap()
        });
    }
    let height = config.block_subtree_height();
    let writes: Vec<(Fr, Fr)> = txs
        .iter()
        .flat_map(|tx| {
            [
                (tx.public_data_write.key, tx.public_data_write.value),
                (Fr::ZERO, Fr::ZERO),
            ]
        })
        .collect();
    let public_writes = public
        .write_batch(public.inner().batch_start(height), height, &writes)
        .unwrap();
    let slots: Vec<Fr> = txs.iter().flat_map(|tx| tx.nullifiers).collect();
    let nullifier_writes = nullifiers
        .insert_batch(nullifiers.inner().batch_start(height), height, &slots)
        .unwrap();
    let leaves: Vec<Fr> = txs.iter().flat_map(|tx| tx.note_hashes).collect();
    let note_hash_append = notes
        .append_subtree(notes.next_index(), height, &leaves)
        .unwrap();
    let prev_state = state.snapshot();
    let new_state = StateSnapshot {
        note_hash_tree: TreeSnapshot {
            root: notes.root(),
            next_index: notes.next_index(),
        },
        nullifier_tree: TreeSnapshot {
            root: nullifiers.inner().root(),
            next_index: nullifiers.inner().next_index(),
        },
        public_data_tree: TreeSnapshot {
            root: public.inner().root(),
            next_index: public.inner().next_index(),
        },
    };

    let mut data = vec![BLOCK_DATA_VERSION];
    data.extend_from_slice(&(num_txs as u32).to_be_bytes());
    data.extend_from_slice(&[0x42; 20]);
    data.push(forged.num_messages as u8);
    for message in &messages {
        data.extend_from_slice(&encode_message(message));
    }
    for tx in &txs[..num_txs] {
        data.extend_from_slice(&encode_tx_effect(tx));
    }
    let mut chunks = data_chunks(&data);
    chunks.resize(config.max_data_chunks, Fr::ZERO);
    let fees = txs.iter().map(|tx| u128::from(tx.fee)).sum();
    let public_inputs = BlockPublicInputs::new(
        prev_state.state_root(),
        new_state.state_root(),
        number,
        slot,
        fees,
        DataFingerprint::compute(&data, config.max_data_chunks).unwrap(),
    )
    .unwrap();
    BlockWitness {
        config,
        part: BlockPart::whole(&config),
        block_number: number,
        slot,
        coinbase: Some([0x42; 20]),
        messages,
        num_txs,
        txs,
        prev_state,
        new_state,
        fee_credits,
        fee_debits,
        nullifiers: nullifier_writes,
        public_data_writes: public_writes,
        note_hash_append,
        data,
        data_chunks: chunks,
        public_inputs,
    }
}

/// A payer of the fee tests.
const PAYER: Address = [0x99; 20];

fn deposit(recipient: Address, amount: u128) -> L1ToL2Message {
    L1ToL2Message { recipient, amount }
}

/// A tx with one fresh nullifier, built without the tx rules.
fn raw_tx(seed: u64, payer: Address, fee: u64, write: Option<(Fr, Fr)>) -> TxEffect {
    let (key, value) = write.unwrap_or_default();
    TxEffect {
        fee,
        payer,
        nullifiers: [Fr::from(1000 + seed), Fr::ZERO],
        note_hashes: [Fr::from(2000 + seed), Fr::ZERO],
        public_data_write: PublicDataWrite { key, value },
    }
}

/// The devnet state after block 1, which deposits 100 to [`PAYER`].
fn funded_state() -> WorldState {
    let mut state = WorldState::new(StateConfig::devnet()).unwrap();
    let block = Block {
        number: 1,
        slot: 1,
        body: BlockBody {
            messages: vec![deposit(PAYER, 100)],
            ..BlockBody::default()
        },
    };
    apply_block(&mut state, &block).unwrap();
    state
}

/// `forged` as a valid block: what `apply_block` makes of it, which [`replay`] must equal.
fn honest(state: &WorldState, forged: &Forged) -> BlockWitness {
    let number = state.block_number() + 1;
    let block = Block {
        number,
        slot: number + 20,
        body: BlockBody {
            coinbase: Some([0x42; 20]),
            messages: forged.messages[..forged.num_messages].to_vec(),
            txs: forged.txs.clone(),
        },
    };
    apply_block(&mut state.clone(), &block).unwrap()
}

/// Controls for the fee attacks: the forger's replay of a valid block is exactly the native
/// witness, and it satisfies the circuit (credits, debits, a deposit spent in its own block,
/// a payer drained to zero, padding slots), so the forgeries below fail for their rule alone.
#[test]
fn replayed_valid_fee_blocks_equal_the_native_witness_and_satisfy_the_circuit() {
    let state = funded_state();
    let cases = [
        // An existing balance spent to exactly zero, no deposit.
        Forged {
            messages: vec![],
            num_messages: 0,
            txs: vec![raw_tx(1, PAYER, 100, None)],
        },
        // A same-block deposit spent, two txs of one payer, a tx without payer, all four
        // message slots used.
        Forged {
            messages: vec![
                deposit([0x01; 20], 5),
                deposit(PAYER, 7),
                deposit([0x01; 20], 6),
                deposit([0x02; 20], (1 << 96) - 1),
            ],
            num_messages: 4,
            txs: vec![
                raw_tx(1, [0x01; 20], 11, None),
                raw_tx(2, PAYER, 50, Some((Fr::from(3u64), Fr::from(4u64)))),
                raw_tx(3, [0; 20], 0, None),
                raw_tx(4, PAYER, 57, None),
            ],
        },
    ];
    for forged in cases {
        let state = state.clone();
        let witness = replay(&state, &forged);
        assert_eq!(witness, honest(&state, &forged));
        assert!(satisfied(&witness));
    }
}

/// Attack (issue 10, finding 4): a block whose tx pays more than its payer holds, so L1 would
/// pay fees out of deposits nobody made. The forger writes the wrapped balance (`balance - fee`
/// in the field) with consistent paths and public inputs; the 128-bit range check of the new
/// balance refuses it. Variants: a fee one above an existing balance, the second tx of a payer
/// after the first drained it, a deposit lowered below the fee that spends it in the same
/// block, a payer nobody funded, and a fee with no payer at all.
#[test]
fn a_fee_above_the_payers_balance_is_unsatisfiable() {
    let state = funded_state();
    let forgeries = [
        (
            "fee above balance",
            Forged {
                messages: vec![],
                num_messages: 0,
                txs: vec![raw_tx(1, PAYER, 101, None)],
            },
        ),
        (
            "second tx short",
            Forged {
                messages: vec![],
                num_messages: 0,
                txs: vec![raw_tx(1, PAYER, 60, None), raw_tx(2, PAYER, 41, None)],
            },
        ),
        (
            "credit lowered below the same-block spend",
            Forged {
                messages: vec![deposit([0x01; 20], 50)],
                num_messages: 1,
                txs: vec![raw_tx(1, [0x01; 20], 60, None)],
            },
        ),
        (
            "unfunded payer",
            Forged {
                messages: vec![],
                num_messages: 0,
                txs: vec![raw_tx(1, [0x03; 20], 1, None)],
            },
        ),
        (
            "fee without payer",
            Forged {
                messages: vec![],
                num_messages: 0,
                txs: vec![raw_tx(1, [0; 20], 7, None)],
            },
        ),
    ];
    for (what, forged) in forgeries {
        assert!(!satisfied(&replay(&state, &forged)), "{what}");
    }
}

/// Attack (issue 13, update-only fee debits): the debit of a payer without a balance leaf
/// names another account's leaf (the funded [`PAYER`]) and takes the fee from it; and the
/// debit of a funded payer claims the payer has no leaf (the leaf-0 rewrite) so that nothing
/// is taken. A debit can only change the leaf whose key is the payer's, and a debit that
/// changes nothing must be of a zero fee.
#[test]
fn a_debit_of_another_leaf_or_of_no_leaf_is_unsatisfiable() {
    let state = funded_state();
    let stranger = [0x03; 20];
    let forged = |payer: Address| Forged {
        messages: vec![],
        num_messages: 0,
        txs: vec![raw_tx(1, payer, 30, None)],
    };
    // Control: PAYER's own debit.
    let control = replay(&state, &forged(PAYER));
    assert_eq!(control, honest(&state, &forged(PAYER)));
    assert!(satisfied(&control));

    // The stranger's tx debits PAYER's leaf: the witness of PAYER's debit, under the
    // stranger's tx (same roots, same fee).
    let mut other_leaf = replay(&state, &forged(stranger));
    other_leaf.fee_debits = control.fee_debits.clone();
    let mut other_leaf = rechain(&state, other_leaf);
    assert!(!satisfied(&other_leaf), "another account's leaf");
    other_leaf.txs[0].payer = PAYER;
    assert!(!satisfied(&other_leaf), "payer changed in the witness only");

    // PAYER's debit replaced by the leaf-0 rewrite: the fee is not taken.
    let mut no_leaf = control.clone();
    let mut public = state.public_data_tree().clone();
    no_leaf.fee_debits[0] = public.untouched();
    let no_leaf = rechain(&state, no_leaf);
    assert!(!satisfied(&no_leaf), "no leaf claimed for a funded payer");
}

/// `witness` with the public data writes after its first fee debit replayed on the tree the
/// debit leaves, and the new state root and public inputs recomputed: everything is
/// consistent except what the debit itself claims.
fn rechain(state: &WorldState, mut witness: BlockWitness) -> BlockWitness {
    let mut public = state.public_data_tree().clone();
    // Re-apply the first debit's write as the forged witness states it.
    let debit = &witness.fee_debits[0];
    if debit.leaf_index != 0 || debit.new_value != debit.leaf.value {
        let index = debit.leaf_index;
        let value = debit.new_value;
        let key = public.inner().leaf(index).unwrap().key;
        public.update_existing(key, value).unwrap();
    } else {
        public.untouched();
    }
    let rest: Vec<_> = (1..witness.fee_debits.len())
        .map(|_| public.untouched())
        .collect();
    witness.fee_debits.truncate(1);
    witness.fee_debits.extend(rest);
    // Credits are empty, nullifiers do not touch public data; the tx writes are padding.
    let height = witness.config.block_subtree_height();
    let padding = vec![(Fr::ZERO, Fr::ZERO); witness.public_data_writes.slots.len()];
    let start = public.inner().batch_start(height);
    witness.public_data_writes = public.write_batch(start, height, &padding).unwrap();
    witness.new_state.public_data_tree = TreeSnapshot {
        root: public.inner().root(),
        next_index: public.inner().next_index(),
    };
    let p = witness.public_inputs;
    witness.public_inputs = BlockPublicInputs::new(
        p.prev_state_root(),
        witness.new_state.state_root(),
        p.block_number(),
        p.slot(),
        p.total_fees(),
        p.fingerprint(),
    )
    .unwrap();
    witness
}

/// Attack (issue 13, batched app writes): a write to an app key that is already in the tree,
/// inserted as a second leaf behind its predecessor instead of updated in place (two leaves
/// for one key would let a later read pick either value). The forger re-points the
/// predecessor (which points to the key already) and puts the duplicate into the batch
/// subtree, with consistent roots and public inputs; the range check `key < low.next_key`
/// refuses it.
#[test]
fn a_second_leaf_for_a_known_app_key_is_unsatisfiable() {
    let key = Fr::from(3u64);
    let mut state = funded_state();
    let first = Forged {
        messages: vec![],
        num_messages: 0,
        txs: vec![raw_tx(1, [0; 20], 0, Some((key, Fr::from(4u64))))],
    };
    let witness = replay(&state, &first);
    assert!(satisfied(&witness));
    let block = Block {
        number: 2,
        slot: 22,
        body: BlockBody {
            coinbase: Some([0x42; 20]),
            messages: vec![],
            txs: first.txs.clone(),
        },
    };
    apply_block(&mut state, &block).unwrap();
    let again = Forged {
        messages: vec![],
        num_messages: 0,
        txs: vec![raw_tx(2, [0; 20], 0, Some((key, Fr::from(5u64))))],
    };
    // Control: the honest update in place satisfies the circuit.
    let mut forged = replay(&state, &again);
    assert_eq!(forged, honest(&state, &again));
    assert!(satisfied(&forged));

    let config = *state.config();
    let height = config.block_subtree_height();
    let inner = state.public_data_tree().inner();
    let low_index = inner.low_leaf_index(&key).unwrap();
    let low = *inner.leaf(low_index).unwrap();
    assert_eq!(low.next_key, key);
    let start = inner.next_index().next_multiple_of(1 << height);
    let mut tree = inner.tree().clone();
    let mut after = low;
    after.next_index = start;
    after.next_key = key;
    let hash = |l: &fernet_state::PublicDataLeaf| {
        fernet_state::poseidon::hash([l.key, l.value, Fr::from(l.next_index), l.next_key])
    };
    let update = tree.update_subtree(0, low_index, &[hash(&after)]).unwrap();
    let duplicate = fernet_state::PublicDataLeaf {
        key,
        value: Fr::from(5u64),
        next_index: low.next_index,
        next_key: low.next_key,
    };
    let mut leaves = vec![Fr::ZERO; 1 << height];
    leaves[0] = hash(&duplicate);
    let mut slots = vec![fernet_state::PublicDataSlotWitness {
        low_leaf: low,
        low_leaf_index: low_index,
        pending: false,
        low_leaf_update: update,
    }];
    for _ in 1..2 * config.max_txs_per_block {
        let genesis = *inner.leaf(0).unwrap();
        slots.push(fernet_state::PublicDataSlotWitness {
            low_leaf: genesis,
            low_leaf_index: 0,
            pending: false,
            low_leaf_update: tree.update_subtree(0, 0, &[hash(&genesis)]).unwrap(),
        });
    }
    let subtree_update = tree
        .update_subtree(height, start >> height, &leaves)
        .unwrap();
    forged.public_data_writes = fernet_state::PublicDataBatchWitness {
        slots,
        subtree_update,
    };
    forged.new_state.public_data_tree = TreeSnapshot {
        root: tree.root(),
        next_index: start + (1 << height),
    };
    let root = forged.new_state.state_root();
    let forged = with_inputs(&forged, |p| p.1 = root);
    assert!(!satisfied(&forged));
}

/// Attack (issue 10, finding 4): an app's public data write to a fee balance key, minting a
/// balance without a deposit (then spent in the same block), or to any key from 2^252 up.
/// The public data key is decomposed into 252 bits, so no such write is provable.
#[test]
fn an_app_write_to_a_fee_balance_key_is_unsatisfiable() {
    let state = funded_state();
    let mint = |key: Fr, spend: u64| Forged {
        messages: vec![],
        num_messages: 0,
        txs: vec![
            raw_tx(1, [0; 20], 0, Some((key, Fr::from(1_000_000u64)))),
            raw_tx(2, PAYER, spend, None),
        ],
    };
    // Control: the largest app key is writable.
    let control = mint(FEE_BALANCE_KEY_OFFSET - Fr::ONE, 100);
    assert!(satisfied(&replay(&state, &control)));
    for key in [
        fee_balance_key(&PAYER),
        FEE_BALANCE_KEY_OFFSET,
        -Fr::ONE,
        Fr::from(2u64).pow([253]),
    ] {
        // The spend fits the payer's own balance: only the key rule can refuse the block.
        assert!(!satisfied(&replay(&state, &mint(key, 100))), "key {key}");
    }
}

/// Attack (issue 10, finding 4): a credit hidden in an unused message slot (recipient zero,
/// an amount): the data says one message, the forged slot would credit nobody but still
/// count. A padding slot is the key-0 no-op whose value must stay 0.
#[test]
fn a_padding_message_slot_with_an_amount_is_unsatisfiable() {
    let state = funded_state();
    let forged = |amount: u128| Forged {
        messages: vec![deposit(PAYER, 10), deposit([0; 20], amount)],
        num_messages: 1,
        txs: vec![raw_tx(1, PAYER, 110, None)],
    };
    let control = replay(&state, &forged(0));
    assert_eq!(control, honest(&state, &forged(0)));
    assert!(satisfied(&control));
    assert!(!satisfied(&replay(&state, &forged(5))));
}

#[test]
fn real_proof_verifies_only_against_its_own_inputs() {
    let keys = devnet_block_keys();
    let witness = second_block().with_payee(EPOCH_PAYEE);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let bad_inputs: Vec<(&str, [Fr; NUM_PUBLIC_INPUTS])> = tampered(&witness)
        .into_iter()
        .map(|(what, w)| (what, w.public_inputs.to_field_elements()))
        .collect();
    let (proof, inputs) = prove_block(keys, witness, &mut rng).unwrap();
    assert!(verify_block(&keys.verifying_key, &inputs, &proof).unwrap());
    for (what, bad) in bad_inputs {
        assert!(
            !verify_block(&keys.verifying_key, &bad, &proof).unwrap(),
            "{what}"
        );
    }
}

/// Attack (issue 10, finding 2): a proof seen in the mempool, resubmitted by someone else.
/// The payee is a public input the circuit constrains, so the proof verifies for the payee it
/// was made for and for no other (L1 puts the submitter, or the claimant, in that input).
#[test]
fn a_proof_for_one_payee_does_not_verify_for_another() {
    let keys = devnet_block_keys();
    let witness = second_block();
    assert!(satisfied(&witness.clone().with_payee([0xff; 20])));
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (proof, inputs) = prove_block(keys, witness.with_payee(EPOCH_PAYEE), &mut rng).unwrap();
    assert!(verify_block(&keys.verifying_key, &inputs, &proof).unwrap());
    for other in [BACKUP_PAYEE, [0; 20]] {
        let mut copied = inputs;
        copied[COMMITTED_PUBLIC_INPUTS] = evm::field_from_word(&address_word(&other)).unwrap();
        assert!(!verify_block(&keys.verifying_key, &copied, &proof).unwrap());
    }
    // The same address plus 2^160 (what a uint256 payee word could hold): rejected too.
    let mut wrapped = inputs;
    wrapped[COMMITTED_PUBLIC_INPUTS] += Fr::from(2u64).pow([160]);
    assert!(!verify_block(&keys.verifying_key, &wrapped, &proof).unwrap());
}

/// `address` as a 32-byte `uint256(uint160(address))` word.
fn address_word(address: &[u8; 20]) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[12..].copy_from_slice(address);
    word
}

/// The committed `contracts/verifier/BlockProofVerifier.sol` and `ChunkProofVerifier.sol`
/// are exactly what the generator makes from the deterministic devnet keys of the block
/// circuit and of its chunk. Regenerate them with
/// `cargo run --release -p fernet-circuits --bin gen-verifier`.
#[test]
fn committed_verifiers_match_the_devnet_keys() {
    let cache = KeyCache::new(default_key_cache_dir());
    for kind in VerifierKind::ALL {
        let path = tools::verifier_path(&tools::default_verifier_dir(), kind);
        let expected =
            tools::devnet_verifier_source(&cache, StateConfig::devnet(), kind, None).unwrap();
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "{} is stale: run gen-verifier",
            path.display()
        );
    }
}

/// The committed epoch fixture was proven with the same keys and its proofs verify natively.
#[test]
fn committed_fixture_verifies_natively() {
    let keys = devnet_block_keys();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("test/fixtures/epoch.json")).unwrap(),
    )
    .unwrap();
    let hash = evm::word_to_hex(&evm::verifying_key_hash(&keys.verifying_key));
    assert_eq!(json["verifier"]["verificationKeyHash"], hash.as_str());
    let (genesis, witnesses) = chain_witnesses(StateConfig::devnet()).unwrap();
    assert_eq!(
        json["genesisStateRoot"],
        evm::word_to_hex(&evm::field_to_word(&genesis)).as_str()
    );
    let blocks: Vec<&serde_json::Value> = json["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&json["backupBlock"]])
        .collect();
    assert_eq!(blocks.len(), witnesses.len());
    let hex_address = |address: &[u8; 20]| format!("0x{}", hex::encode(address));
    assert_eq!(json["epochPayee"], hex_address(&EPOCH_PAYEE).as_str());
    let deposits: Vec<serde_json::Value> = devnet_deposits()
        .iter()
        .map(|d| {
            let recipient = hex_address(&d.recipient);
            serde_json::json!({"amount": d.amount as u64, "recipient": recipient})
        })
        .collect();
    assert_eq!(json["deposits"], serde_json::json!(deposits));
    let mut epoch_inputs = Vec::new();
    let mut inbox_cursor = 0;
    for (index, (block, witness)) in blocks.into_iter().zip(witnesses).enumerate() {
        inbox_cursor += witness
            .messages
            .iter()
            .filter(|m| **m != L1ToL2Message::default())
            .count();
        assert_eq!(block["inboxCursor"], serde_json::json!(inbox_cursor));
        let payee = fixture_payee(index);
        let inputs = witness.with_payee(payee).public_inputs.to_field_elements();
        let words: Vec<String> = evm::public_inputs_to_words(&inputs)
            .iter()
            .map(evm::word_to_hex)
            .collect();
        assert_eq!(block["payee"], hex_address(&payee).as_str());
        assert_eq!(
            words[COMMITTED_PUBLIC_INPUTS],
            evm::word_to_hex(&address_word(&payee))
        );
        assert_eq!(block["verifierInputs"], serde_json::json!(words));
        let committed = &words[..COMMITTED_PUBLIC_INPUTS];
        assert_eq!(block["publicInputs"], serde_json::json!(committed));
        if index < blocks_in_epoch(&json) {
            epoch_inputs.extend_from_slice(committed);
        }
        let proof =
            evm::proof_from_bytes(&decode_hex(block["proof"].as_str().unwrap()).unwrap()).unwrap();
        assert!(verify_block(&keys.verifying_key, &inputs, &proof).unwrap());
    }
    assert_eq!(json["epochPublicInputs"], serde_json::json!(epoch_inputs));
    assert_eq!(
        json["verifier"]["numPublicInputs"],
        serde_json::json!(NUM_PUBLIC_INPUTS)
    );
}

/// The number of epoch blocks in the fixture `json`.
fn blocks_in_epoch(json: &serde_json::Value) -> usize {
    json["blocks"].as_array().unwrap().len()
}

/// End to end: a block applied natively, proven, verified natively and by the generated
/// verifier on a real anvil (and rejected there with a tampered input).
#[test]
fn real_block_proof_verifies_on_anvil() {
    let keys = devnet_block_keys();
    let mut state = WorldState::new(StateConfig::devnet()).unwrap();
    let witness = apply_block(&mut state, &devnet_chain()[0])
        .unwrap()
        .with_payee(BACKUP_PAYEE);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (proof, inputs) = prove_block(keys, witness, &mut rng).unwrap();
    assert!(verify_block(&keys.verifying_key, &inputs, &proof).unwrap());

    let anvil = Anvil::spawn().unwrap();
    let verifier = deploy_verifier(&anvil.rpc, &keys.verifying_key).unwrap();
    let bytes = evm::proof_to_bytes(&proof);
    let verify = |inputs: &[Fr]| {
        call_verify(&anvil.rpc, &verifier, "verifyProof", &bytes, inputs)
            .unwrap()
            .unwrap()
    };
    assert!(verify(&inputs));
    let mut wrong = inputs;
    wrong[2] += Fr::ONE;
    assert!(!verify(&wrong));
    // Attack (issue 10, finding 2): the proof sent by anyone but its payee fails on L1.
    let mut copied = inputs;
    copied[COMMITTED_PUBLIC_INPUTS] = evm::field_from_word(&address_word(&EPOCH_PAYEE)).unwrap();
    assert!(!verify(&copied));
    let batch = call_verify(&anvil.rpc, &verifier, "verifyBatch", &bytes, &inputs)
        .unwrap()
        .unwrap();
    assert!(batch);
}
