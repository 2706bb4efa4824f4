//! A test circuit with K public inputs: `x_j = w^(j + 2)` for a private witness `w`.

use ark_bn254::Fr;
use ark_ff::{Field, UniformRand};
use ark_groth16::Proof;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use fernet_circuits::keys::{insecure_devnet_setup, KeyPair};
use fernet_circuits::{Groth16Bn254, ProofSystem};
use rand::RngCore;

/// The circuit: one multiplication `w * w`, then per input one equality and one multiplication.
#[derive(Clone, Debug)]
pub(crate) struct TestCircuit {
    /// The private witness; `None` during setup.
    pub(crate) witness: Option<Fr>,
    /// The public inputs; only their number matters during setup.
    pub(crate) inputs: Vec<Option<Fr>>,
}

impl TestCircuit {
    /// The shape of the circuit with `num_inputs` inputs, for setup.
    pub(crate) fn blank(num_inputs: usize) -> Self {
        Self {
            witness: None,
            inputs: vec![None; num_inputs],
        }
    }

    /// A satisfied instance with witness `w`, and its public inputs.
    pub(crate) fn instance(num_inputs: usize, w: Fr) -> (Self, Vec<Fr>) {
        let inputs: Vec<Fr> = (0..num_inputs).map(|j| w.pow([j as u64 + 2])).collect();
        (
            Self {
                witness: Some(w),
                inputs: inputs.iter().copied().map(Some).collect(),
            },
            inputs,
        )
    }
}

impl ConstraintSynthesizer<Fr> for TestCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = FpVar::new_witness(cs.clone(), || {
            self.witness.ok_or(SynthesisError::AssignmentMissing)
        })?;
        let mut power = &w * &w;
        for input in self.inputs {
            let x = FpVar::new_input(cs.clone(), || {
                input.ok_or(SynthesisError::AssignmentMissing)
            })?;
            x.enforce_equal(&power)?;
            power = &power * &w;
        }
        Ok(())
    }
}

/// The devnet keys of the circuit with `num_inputs` inputs.
pub(crate) fn keys(num_inputs: usize) -> KeyPair<Groth16Bn254> {
    insecure_devnet_setup::<Groth16Bn254, _>(TestCircuit::blank(num_inputs)).expect("setup")
}

/// A valid proof for a random witness, with its public inputs.
pub(crate) fn prove(
    keys: &KeyPair<Groth16Bn254>,
    rng: &mut (impl RngCore + rand::CryptoRng),
) -> (Proof<ark_bn254::Bn254>, Vec<Fr>) {
    let num_inputs = Groth16Bn254::num_public_inputs(&keys.verifying_key);
    let (circuit, inputs) = TestCircuit::instance(num_inputs, Fr::rand(rng));
    let proof = Groth16Bn254::prove(&keys.proving_key, circuit, rng).expect("prove");
    (proof, inputs)
}
