//! [`ProofSystem`] for Groth16 over BN254.

use std::fmt;

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField, UniformRand, Zero};
use ark_groth16::{
    prepare_verifying_key,
    r1cs_to_qap::{LibsnarkReduction, R1CSToQAP},
    Groth16, Proof, ProvingKey, VerifyingKey,
};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal,
    SynthesisError, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use sha3::{Digest, Keccak256};

use super::ProofSystem;
use crate::{Error, Result};

/// Groth16 over BN254: the proof system the L1 verifier checks with the EVM precompiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Groth16Bn254;

/// The R1CS matrices `A`, `B`, `C` of a circuit, exactly as its Groth16 setup builds them
/// (setup-mode synthesis, every symbolic linear combination inlined), with the sizes of its
/// assignment.
///
/// Building them is a full synthesis plus the inlining pass, a large share of a proof's time:
/// [`Groth16Bn254::prove_with_constraints`] reuses them, so each proof only computes the
/// witness.
pub struct R1csMatrices {
    /// `[A, B, C]`, one row per constraint, each row `(coefficient, variable index)` with the
    /// instance variables (the constant one first) before the witness variables.
    matrices: Vec<Matrix<Fr>>,
    num_instance_variables: usize,
    num_witness_variables: usize,
    num_constraints: usize,
}

impl R1csMatrices {
    /// Synthesizes `circuit` in setup mode (no witness needed) and builds its matrices.
    pub fn build<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Self> {
        let cs = ConstraintSystem::new_ref();
        // As ark-groth16's generator does, so the matrices are the ones the keys were made for.
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        circuit.generate_constraints(cs.clone())?;
        cs.finalize();
        let matrices = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or(SynthesisError::PredicateNotFound)?;
        Ok(Self {
            matrices,
            num_instance_variables: cs.num_instance_variables(),
            num_witness_variables: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }

    /// The number of constraints (rows).
    pub fn num_constraints(&self) -> usize {
        self.num_constraints
    }

    /// The number of instance variables, the constant one included.
    pub fn num_instance_variables(&self) -> usize {
        self.num_instance_variables
    }

    /// The number of witness variables.
    pub fn num_witness_variables(&self) -> usize {
        self.num_witness_variables
    }

    /// `[A, B, C]`, one row per constraint, each row `(coefficient, variable index)` with the
    /// instance variables (the constant one first) before the witness variables.
    pub fn matrices(&self) -> &[Matrix<Fr>] {
        &self.matrices
    }

    /// A digest identifying the constraint system: keccak256 over the counts then the rows.
    ///
    /// Encoding: `u64` number of instance variables, `u64` number of witness variables, `u64`
    /// number of constraints, `u32` number of matrices; then for each matrix and each of its
    /// rows, the `u32` number of entries followed by each entry as `u64` variable index and the
    /// 32-byte big-endian canonical coefficient. All integers big-endian.
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = Keccak256::new();
        hasher.update((self.num_instance_variables as u64).to_be_bytes());
        hasher.update((self.num_witness_variables as u64).to_be_bytes());
        hasher.update((self.num_constraints as u64).to_be_bytes());
        hasher.update((self.matrices.len() as u32).to_be_bytes());
        for row in self.matrices.iter().flatten() {
            hasher.update((row.len() as u32).to_be_bytes());
            for (coeff, index) in row {
                hasher.update((*index as u64).to_be_bytes());
                hasher.update(coeff.into_bigint().to_bytes_be());
            }
        }
        hasher.finalize().into()
    }

    /// The number of non-zero entries of `A`, `B` and `C` together: what evaluating the
    /// constraints on a witness costs, in field multiplications.
    pub fn num_nonzero(&self) -> usize {
        self.matrices
            .iter()
            .flat_map(|matrix| matrix.iter().map(Vec::len))
            .sum()
    }

    /// The first constraint `full_assignment` (the constant one, the public inputs, then the
    /// witness) does not satisfy, if any.
    pub fn first_unsatisfied(&self, full_assignment: &[Fr]) -> Option<usize> {
        let row = |matrix: &Matrix<Fr>, i: usize| -> Fr {
            matrix[i]
                .iter()
                .map(|(coeff, index)| *coeff * full_assignment[*index])
                .sum()
        };
        let [a, b, c] = self.matrices.as_slice() else {
            return Some(0);
        };
        (0..self.num_constraints).find(|&i| row(a, i) * row(b, i) != row(c, i))
    }
}

impl fmt::Debug for R1csMatrices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("R1csMatrices")
            .field("num_constraints", &self.num_constraints)
            .field("num_instance_variables", &self.num_instance_variables)
            .field("num_witness_variables", &self.num_witness_variables)
            .field("num_nonzero", &self.num_nonzero())
            .finish()
    }
}

/// Checks that a size of the proving key, the matrices or the synthesized witness matches.
fn check_shape(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::CircuitShape {
            what,
            expected,
            actual,
        })
    }
}

/// Synthesizes `circuit` in witness-only mode (no constraint is recorded) and returns its full
/// assignment: the constant one, the public inputs, then the witness.
fn witness_assignment<C: ConstraintSynthesizer<Fr>>(
    circuit: C,
) -> Result<(ConstraintSystemRef<Fr>, Vec<Fr>)> {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    let assignment = {
        let inner = cs.borrow().ok_or(SynthesisError::MissingCS)?;
        [inner.instance_assignment()?, inner.witness_assignment()?].concat()
    };
    Ok((cs, assignment))
}

/// The Groth16 prover after the witness map `h`, as ark-groth16's (private)
/// `create_proof_with_assignment`, except that the MSMs of the `A` and `B` queries skip the
/// identity bases: the variables absent from `A` (or `B`), such as the `x^4` of every Poseidon
/// S-box, a third of the block circuit's variables for `B`. ark-ec's MSM skips zero scalars,
/// not zero bases, and the `B` query in G2 is the costliest one. Same sums, so the same proof.
fn create_proof(
    pk: &ProvingKey<Bn254>,
    r: Fr,
    s: Fr,
    h: &[Fr],
    full_assignment: &[Fr],
    num_instance_variables: usize,
) -> Proof<Bn254> {
    let h: Vec<_> = h.iter().map(|x| x.into_bigint()).collect();
    let h_acc = G1Projective::msm_bigint(&pk.h_query, &h);
    drop(h);
    // Public inputs then witness, without the constant one (`query[0]` stands for it).
    let scalars: Vec<_> = full_assignment[1..]
        .iter()
        .map(|x| x.into_bigint())
        .collect();
    let l_aux_acc = G1Projective::msm_bigint(&pk.l_query, &scalars[num_instance_variables - 1..]);
    let r_s_delta_g1 = pk.delta_g1 * (r * s);

    let g_a = coefficient(pk.delta_g1 * r, &pk.a_query, pk.vk.alpha_g1, &scalars);
    let g1_b = if r.is_zero() {
        G1Projective::zero()
    } else {
        coefficient(pk.delta_g1 * s, &pk.b_g1_query, pk.beta_g1, &scalars)
    };
    let g2_b: G2Projective =
        coefficient(pk.vk.delta_g2 * s, &pk.b_g2_query, pk.vk.beta_g2, &scalars);

    let g_c = g_a * s + g1_b * r - r_s_delta_g1 + l_aux_acc + h_acc;
    Proof {
        a: g_a.into_affine(),
        b: g2_b.into_affine(),
        c: g_c.into_affine(),
    }
}

/// `initial + query[0] + sum_i scalars[i] * query[i + 1] + vk_param`, the MSM over the
/// non-identity bases only.
fn coefficient<G>(
    initial: G::Group,
    query: &[G],
    vk_param: G,
    scalars: &[<Fr as PrimeField>::BigInt],
) -> G::Group
where
    G: AffineRepr<ScalarField = Fr>,
    G::Group: VariableBaseMSM<MulBase = G>,
{
    let (bases, scalars): (Vec<G>, Vec<_>) = query[1..]
        .iter()
        .zip(scalars)
        .filter(|(base, _)| !base.is_zero())
        .map(|(base, scalar)| (*base, *scalar))
        .unzip();
    initial + query[0] + G::Group::msm_bigint(&bases, &scalars) + vk_param
}

impl ProofSystem for Groth16Bn254 {
    type Field = Fr;
    type ProvingKey = ProvingKey<Bn254>;
    type VerifyingKey = VerifyingKey<Bn254>;
    type Proof = Proof<Bn254>;
    type Constraints = R1csMatrices;

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

    fn constraints<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Self::Constraints> {
        R1csMatrices::build(circuit)
    }

    /// Synthesizes the witness only, then proves with the cached `constraints`; draws `r`, then
    /// `s` from `rng` as [`ProofSystem::prove`] does, so both make the same proof from the same
    /// RNG. A witness that does not satisfy the constraints is [`Error::Unsatisfied`] (the
    /// proof is verified before it is returned, a few milliseconds).
    fn prove_with_constraints<C, R>(
        pk: &Self::ProvingKey,
        constraints: &Self::Constraints,
        circuit: C,
        rng: &mut R,
    ) -> Result<Self::Proof>
    where
        C: ConstraintSynthesizer<Fr>,
        R: RngCore + CryptoRng,
    {
        let m = constraints;
        check_shape(
            "proving key variables",
            m.num_instance_variables + m.num_witness_variables,
            pk.a_query.len(),
        )?;
        check_shape(
            "proving key public inputs",
            m.num_instance_variables,
            pk.vk.gamma_abc_g1.len(),
        )?;
        let (cs, assignment) = witness_assignment(circuit)?;
        check_shape(
            "instance variables",
            m.num_instance_variables,
            cs.num_instance_variables(),
        )?;
        check_shape(
            "witness variables",
            m.num_witness_variables,
            cs.num_witness_variables(),
        )?;
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
            &m.matrices,
            m.num_instance_variables,
            m.num_constraints,
            &assignment,
        )?;
        let proof = create_proof(pk, r, s, &h, &assignment, m.num_instance_variables);
        let inputs = &assignment[1..m.num_instance_variables];
        if Groth16::<Bn254>::verify_proof(&prepare_verifying_key(&pk.vk), &proof, inputs)? {
            return Ok(proof);
        }
        // Only on failure: find the constraint to name (one pass over the matrices).
        let index = m
            .first_unsatisfied(&assignment)
            .unwrap_or(m.num_constraints);
        Err(Error::Unsatisfied { index })
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

#[cfg(test)]
mod tests {
    use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;
    use crate::gadgets::poseidon;

    /// `out = Poseidon(a, b)` for a public `out`, and `a * b = c` for a witness `c`: wide
    /// rows (the Poseidon partial rounds) and a plain product.
    #[derive(Clone)]
    struct HashCircuit {
        a: Option<Fr>,
        b: Option<Fr>,
        c: Option<Fr>,
        out: Option<Fr>,
    }

    impl HashCircuit {
        fn satisfied(a: u64, b: u64) -> Self {
            let (a, b) = (Fr::from(a), Fr::from(b));
            Self {
                a: Some(a),
                b: Some(b),
                c: Some(a * b),
                out: Some(fernet_state::poseidon::hash([a, b])),
            }
        }
    }

    impl ConstraintSynthesizer<Fr> for HashCircuit {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let missing = || SynthesisError::AssignmentMissing;
            let out = FpVar::new_input(cs.clone(), || self.out.ok_or_else(missing))?;
            let a = FpVar::new_witness(cs.clone(), || self.a.ok_or_else(missing))?;
            let b = FpVar::new_witness(cs.clone(), || self.b.ok_or_else(missing))?;
            let c = FpVar::new_witness(cs.clone(), || self.c.ok_or_else(missing))?;
            poseidon::hash(&cs, &[a.clone(), b.clone()])?.enforce_equal(&out)?;
            (a * b).enforce_equal(&c)
        }
    }

    fn blank() -> HashCircuit {
        HashCircuit {
            a: None,
            b: None,
            c: None,
            out: None,
        }
    }

    /// The cached-matrices path makes the very proof the re-synthesizing path makes (same
    /// randomness), and it verifies.
    #[test]
    fn cached_matrices_prove_as_the_full_synthesis_does() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let (pk, vk) = Groth16Bn254::setup(blank(), &mut rng).unwrap();
        let matrices = Groth16Bn254::constraints(blank()).unwrap();
        assert_eq!(matrices.num_instance_variables(), 2);
        let circuit = HashCircuit::satisfied(3, 5);
        let inputs = [circuit.out.unwrap()];

        let old =
            Groth16Bn254::prove(&pk, circuit.clone(), &mut ChaCha20Rng::seed_from_u64(7)).unwrap();
        let new = Groth16Bn254::prove_with_constraints(
            &pk,
            &matrices,
            circuit,
            &mut ChaCha20Rng::seed_from_u64(7),
        )
        .unwrap();
        assert_eq!(old, new);
        assert!(Groth16Bn254::verify(&vk, &inputs, &new).unwrap());
    }

    /// The digest is a function of the matrices: stable across builds, changed by any
    /// coefficient, variable index or count.
    #[test]
    fn matrices_digest_covers_coefficients_indices_and_counts() {
        let matrices = Groth16Bn254::constraints(blank()).unwrap();
        let digest = matrices.digest();
        assert_eq!(Groth16Bn254::constraints(blank()).unwrap().digest(), digest);
        assert_eq!(matrices.matrices().len(), 3);

        let mut coefficient = Groth16Bn254::constraints(blank()).unwrap();
        coefficient.matrices[2][0][0].0 += Fr::from(1u64);
        let mut index = Groth16Bn254::constraints(blank()).unwrap();
        index.matrices[0][0][0].1 += 1;
        let mut count = Groth16Bn254::constraints(blank()).unwrap();
        count.num_witness_variables += 1;
        for other in [coefficient, index, count] {
            assert_ne!(other.digest(), digest);
        }
    }

    /// A witness that breaks one constraint is a typed error naming it, not a panic nor an
    /// invalid proof.
    #[test]
    fn unsatisfied_witness_is_a_typed_error() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let (pk, _) = Groth16Bn254::setup(blank(), &mut rng).unwrap();
        let matrices = Groth16Bn254::constraints(blank()).unwrap();
        let mut circuit = HashCircuit::satisfied(3, 5);
        circuit.c = Some(Fr::from(16u64));
        let error =
            Groth16Bn254::prove_with_constraints(&pk, &matrices, circuit, &mut rng).unwrap_err();
        // The product is the last constraint.
        let last = matrices.num_constraints() - 1;
        assert!(
            matches!(error, Error::Unsatisfied { index } if index == last),
            "{error}"
        );

        let mut circuit = HashCircuit::satisfied(3, 5);
        circuit.out = Some(Fr::zero());
        let error =
            Groth16Bn254::prove_with_constraints(&pk, &matrices, circuit, &mut rng).unwrap_err();
        assert!(matches!(error, Error::Unsatisfied { .. }), "{error}");
    }

    /// Matrices of another circuit are refused before any proving work.
    #[test]
    fn matrices_of_another_circuit_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (pk, _) = Groth16Bn254::setup(blank(), &mut rng).unwrap();
        let other = Groth16Bn254::constraints(PlainProduct).unwrap();
        let error = Groth16Bn254::prove_with_constraints(
            &pk,
            &other,
            HashCircuit::satisfied(3, 5),
            &mut rng,
        )
        .unwrap_err();
        assert!(matches!(error, Error::CircuitShape { .. }), "{error}");
    }

    /// One witness, one constraint: the shape of no other test circuit.
    struct PlainProduct;

    impl ConstraintSynthesizer<Fr> for PlainProduct {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let x = FpVar::new_witness(cs, || Ok(Fr::from(2u64)))?;
            (&x * &x).enforce_equal(&FpVar::Constant(Fr::from(4u64)))
        }
    }
}
