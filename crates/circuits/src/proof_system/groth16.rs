//! [`ProofSystem`] for Groth16 over BN254.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};

use super::ProofSystem;
use crate::{Error, Result};

/// Groth16 over BN254: the proof system the L1 verifier checks with the EVM precompiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Groth16Bn254;

impl ProofSystem for Groth16Bn254 {
    type Field = Fr;
    type ProvingKey = ProvingKey<Bn254>;
    type VerifyingKey = VerifyingKey<Bn254>;
    type Proof = Proof<Bn254>;

    fn setup<C, R>(circuit: C, rng: &mut R) -> Result<(Self::ProvingKey, Self::VerifyingKey)>
    where
        C: ConstraintSynthesizer<Fr>,
        R: RngCore + CryptoRng,
    {
        Ok(Groth16::<Bn254>::circuit_specific_setup(circuit, rng)?)
    }

    fn prove<C, R>(pk: &Self::ProvingKey, circuit: C, rng: &mut R) -> Result<Self::Proof>
    where
        C: ConstraintSynthesizer<Fr>,
        R: RngCore + CryptoRng,
    {
        Ok(Groth16::<Bn254>::prove(pk, circuit, rng)?)
    }

    fn verify(vk: &Self::VerifyingKey, public_inputs: &[Fr], proof: &Self::Proof) -> Result<bool> {
        let expected = Self::num_public_inputs(vk);
        if public_inputs.len() != expected {
            return Err(Error::InputCount {
                expected,
                actual: public_inputs.len(),
            });
        }
        Ok(Groth16::<Bn254>::verify(vk, public_inputs, proof)?)
    }

    fn num_public_inputs(vk: &Self::VerifyingKey) -> usize {
        vk.gamma_abc_g1.len().saturating_sub(1)
    }
}
