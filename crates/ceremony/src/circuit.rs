//! The circuits a ceremony covers: the block circuit and its chunk circuit of a state
//! configuration, or a small test circuit for CI.

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use fernet_circuits::{
    block::{prover::circuit_id, tools::proof_txs, BlockCircuit},
    gadgets::poseidon,
    keys::CircuitId,
    proof_system::R1csMatrices,
    verifier_gen::VerifierKind,
};
use fernet_state::StateConfig;

use crate::Result;

/// Name of the test circuit in key directories.
pub const TEST_CIRCUIT_NAME: &str = "ceremony-test";

/// Version of the test circuit's constraints (part of its [`CircuitId`]).
pub const TEST_CIRCUIT_VERSION: u32 = 1;

/// The number of public inputs of the test circuit, as many as the block circuit's.
pub const TEST_CIRCUIT_INPUTS: usize = fernet_state::NUM_PUBLIC_INPUTS;

/// One circuit of a ceremony.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyCircuit {
    /// The block circuit of `config` proving `txs` tx slots (the whole block, or a chunk).
    Block {
        /// The state configuration.
        config: StateConfig,
        /// The tx slots one proof covers.
        txs: usize,
    },
    /// The small test circuit ([`TestCircuit`]), for CI.
    Test,
}

impl CeremonyCircuit {
    /// The block circuit of `config` behind the `kind` verifier.
    pub fn block(config: StateConfig, kind: VerifierKind) -> Result<Self> {
        Ok(Self::Block {
            config,
            txs: proof_txs(&config, kind)?,
        })
    }

    /// The id its keys are filed under ([`CircuitId::cache_key`]).
    pub fn id(&self) -> Result<CircuitId> {
        Ok(match self {
            Self::Block { config, txs } => circuit_id(config, *txs)?,
            Self::Test => CircuitId::new(TEST_CIRCUIT_NAME, format!("v{TEST_CIRCUIT_VERSION}"))?,
        })
    }

    /// Which verifier its keys become: the chunk verifier for a block circuit of fewer tx slots
    /// than a block, else the block verifier (the test circuit's too).
    pub fn verifier_kind(&self) -> VerifierKind {
        match self {
            Self::Block { config, txs } if *txs < config.max_txs_per_block => VerifierKind::Chunk,
            _ => VerifierKind::Block,
        }
    }

    /// Its R1CS matrices, exactly as ark-groth16's generator and the prover build them.
    pub fn matrices(&self) -> Result<R1csMatrices> {
        Ok(match self {
            Self::Block { config, txs } => {
                R1csMatrices::build(BlockCircuit::blank(*config, *txs)?)?
            }
            Self::Test => R1csMatrices::build(TestCircuit::blank())?,
        })
    }
}

/// The circuits of a deployment, as the CLI names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitSet {
    /// The devnet block circuit and its chunk circuit.
    Devnet,
    /// The production block circuit and its chunk circuit.
    Production,
    /// The test circuit alone.
    Test,
}

impl CircuitSet {
    /// The circuits of the set, block first.
    pub fn circuits(self) -> Result<Vec<CeremonyCircuit>> {
        let block_and_chunk = |config| -> Result<Vec<CeremonyCircuit>> {
            VerifierKind::ALL
                .into_iter()
                .map(|kind| CeremonyCircuit::block(config, kind))
                .collect()
        };
        match self {
            Self::Devnet => block_and_chunk(StateConfig::devnet()),
            Self::Production => block_and_chunk(StateConfig::production()),
            Self::Test => Ok(vec![CeremonyCircuit::Test]),
        }
    }

    /// The set whose circuits have these ids, if any.
    pub fn from_ids(ids: &[String]) -> Option<Self> {
        [Self::Devnet, Self::Production, Self::Test]
            .into_iter()
            .find(|set| {
                set.circuits()
                    .ok()
                    .and_then(|circuits| {
                        circuits
                            .iter()
                            .map(|c| c.id().ok().map(|id| id.cache_key()))
                            .collect::<Option<Vec<_>>>()
                    })
                    .is_some_and(|keys| keys == ids)
            })
    }
}

/// A ~300-constraint circuit with eight public inputs like the block circuit's:
/// `out = Poseidon(a, b)`, `a·b = c`, and seven more inputs `p_i = a·(b + i)`.
#[derive(Clone, Debug, Default)]
pub struct TestCircuit {
    /// The witness `(a, b)`, absent for the setup.
    witness: Option<(Fr, Fr)>,
}

impl TestCircuit {
    /// The circuit without a witness, for the setup and the matrices.
    pub fn blank() -> Self {
        Self::default()
    }

    /// The circuit with the witness `(a, b)`.
    pub fn new(a: Fr, b: Fr) -> Self {
        Self {
            witness: Some((a, b)),
        }
    }

    /// The public inputs of the witness `(a, b)`: `Poseidon(a, b)` then `a·(b + i)`, `i = 1..=7`.
    pub fn public_inputs(a: Fr, b: Fr) -> [Fr; TEST_CIRCUIT_INPUTS] {
        std::array::from_fn(|i| match i {
            0 => fernet_state::poseidon::hash([a, b]),
            i => a * (b + Fr::from(i as u64)),
        })
    }
}

impl ConstraintSynthesizer<Fr> for TestCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let missing = || SynthesisError::AssignmentMissing;
        let inputs = self.witness.map(|(a, b)| Self::public_inputs(a, b));
        let public = (0..TEST_CIRCUIT_INPUTS)
            .map(|i| FpVar::new_input(cs.clone(), || inputs.map(|x| x[i]).ok_or_else(missing)))
            .collect::<Result<Vec<_>, _>>()?;
        let a = FpVar::new_witness(cs.clone(), || self.witness.map(|w| w.0).ok_or_else(missing))?;
        let b = FpVar::new_witness(cs.clone(), || self.witness.map(|w| w.1).ok_or_else(missing))?;
        let c = FpVar::new_witness(cs.clone(), || {
            self.witness.map(|(a, b)| a * b).ok_or_else(missing)
        })?;
        poseidon::hash(&cs, &[a.clone(), b.clone()])?.enforce_equal(&public[0])?;
        (&a * &b).enforce_equal(&c)?;
        for (i, p) in public.iter().enumerate().skip(1) {
            (&a * (&b + Fr::from(i as u64))).enforce_equal(p)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_circuit_has_eight_inputs_and_a_few_hundred_constraints() {
        let matrices = CeremonyCircuit::Test.matrices().unwrap();
        assert_eq!(matrices.num_instance_variables(), 1 + TEST_CIRCUIT_INPUTS);
        assert!(
            (200..1000).contains(&matrices.num_constraints()),
            "{matrices:?}"
        );
        assert_eq!(
            matrices.digest(),
            CeremonyCircuit::Test.matrices().unwrap().digest()
        );
    }

    #[test]
    fn circuit_sets_are_found_from_their_ids() {
        let ids: Vec<String> = CircuitSet::Test
            .circuits()
            .unwrap()
            .iter()
            .map(|c| c.id().unwrap().cache_key())
            .collect();
        assert_eq!(CircuitSet::from_ids(&ids), Some(CircuitSet::Test));
        assert_eq!(CircuitSet::from_ids(&["block-x".into()]), None);
    }
}
