//! Test inputs (feature `testing`): real block witnesses, well-formed (not valid) results for
//! them, [`TestKeys`], whose real Groth16 proofs of a tiny circuit take milliseconds, and a
//! PostgreSQL database per test ([`postgres::TestDatabase`]).

use std::{path::Path, sync::Arc};

use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, Variable};
use ark_snark::SNARK;
use fernet_circuits::{block::prover::circuit_id, keys::KeyCache, Groth16Bn254, ProofSystem};
use fernet_state::{
    apply_block, Block, BlockBody, L1ToL2Message, StateConfig, TxEffect, WorldState,
    NUM_PUBLIC_INPUTS,
};
use serde_json::Value;

pub mod postgres;

use crate::{
    block_job::{block_proof_result, decode_input},
    error::Result,
    keys::VerifyingKeys,
};

/// The payee test witnesses name.
pub const PAYEE: [u8; 20] = [0x5e; 20];

/// The witness bytes of a one-tx devnet block on genesis, for [`PAYEE`]; `seed` makes it
/// unique.
pub fn witness_bytes(seed: u64) -> Vec<u8> {
    let mut state = WorldState::new(StateConfig::devnet()).unwrap();
    let payer = [0xfe; 20];
    let tx = TxEffect::new(seed, payer, &[Fr::from(seed + 1)], &[], None).unwrap();
    let block = Block {
        number: 1,
        slot: 1,
        body: BlockBody {
            coinbase: None,
            messages: vec![L1ToL2Message {
                recipient: payer,
                amount: u128::from(seed) + 1,
            }],
            txs: vec![tx],
        },
    };
    apply_block(&mut state, &block)
        .unwrap()
        .with_payee(PAYEE)
        .to_bytes()
}

/// A result with the witness's public inputs and a "proof" of curve generators times `k`:
/// the right shape, not a valid proof (what a forger sends).
pub fn fake_result(input: &[u8], k: u64) -> Value {
    let inputs = decode_input(input)
        .unwrap()
        .public_inputs
        .to_field_elements();
    let g1 = (G1Affine::generator() * Fr::from(k)).into();
    let proof = Proof {
        a: g1,
        b: G2Affine::generator(),
        c: g1,
    };
    block_proof_result(&proof, &inputs).to_json()
}

/// A circuit with the block circuit's seven public inputs and one constraint on each.
struct Statement([Fr; NUM_PUBLIC_INPUTS]);

impl ConstraintSynthesizer<Fr> for Statement {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> ark_relations::gr1cs::Result<()> {
        for input in self.0 {
            let variable = cs.new_input_variable(|| Ok(input))?;
            cs.enforce_r1cs_constraint(
                || variable.into(),
                || Variable::One.into(),
                || variable.into(),
            )?;
        }
        Ok(())
    }
}

/// Keys of [`Statement`]: the broker checks results against its verifying key, and
/// [`TestKeys::result`] makes results that verify (a real proof, in milliseconds).
#[derive(Debug)]
pub struct TestKeys {
    proving_key: ProvingKey<Bn254>,
    verifying_key: Arc<VerifyingKey<Bn254>>,
}

impl Default for TestKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl TestKeys {
    /// Fresh keys (a setup of a few milliseconds).
    pub fn new() -> Self {
        let mut rng = rand::thread_rng();
        let (proving_key, verifying_key) = Groth16::<Bn254>::circuit_specific_setup(
            Statement([Fr::from(0u64); NUM_PUBLIC_INPUTS]),
            &mut rng,
        )
        .unwrap();
        Self {
            proving_key,
            verifying_key: Arc::new(verifying_key),
        }
    }

    /// A valid result for the witness `input`; `seed` changes the proof, not the statement.
    pub fn result(&self, input: &[u8], seed: u64) -> Value {
        let inputs = decode_input(input)
            .unwrap()
            .public_inputs
            .to_field_elements();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let proof =
            Groth16::<Bn254>::prove(&self.proving_key, Statement(inputs), &mut rng).unwrap();
        block_proof_result(&proof, &inputs).to_json()
    }
}

impl TestKeys {
    /// Writes these keys into a key cache at `dir` as the block circuit keys of `config`: a
    /// broker or agent binary run with `FERNET_KEY_CACHE=<dir>` then uses them.
    pub fn write_cache(&self, dir: &Path, config: StateConfig) {
        let path =
            KeyCache::new(dir).key_file(&circuit_id(&config, config.max_txs_per_block).unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        Groth16Bn254::write_uncompressed_key_pair(&self.proving_key, &self.verifying_key, file)
            .unwrap();
    }
}

impl VerifyingKeys for TestKeys {
    fn verifying_key(
        &self,
        _config: &StateConfig,
        _txs: usize,
    ) -> Result<Arc<VerifyingKey<Bn254>>> {
        Ok(Arc::clone(&self.verifying_key))
    }
}
