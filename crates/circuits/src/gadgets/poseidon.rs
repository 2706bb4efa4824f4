//! Poseidon in-circuit, with exactly the parameters of [`fernet_state::poseidon::params`]:
//! circomlib's `poseidon([x_1..x_n])` on the state `[0, x_1..x_n]`, output `state[0]`.
//!
//! Each round adds its constants, applies `x^5` (to every element in a full round, to
//! `state[0]` in a partial one) and mixes with the MDS matrix. An S-box costs 3 constraints;
//! constants and the MDS mix are free, so width 3 costs `3 * (8 * 3 + 57) = 243`.

use ark_bn254::Fr;
use ark_ff::AdditiveGroup;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use fernet_state::poseidon::{params, PoseidonParams};

use super::linear::{mul, Linear};

/// The S-box exponent every supported width uses.
const ALPHA: u64 = 5;

/// Applies the Poseidon permutation of `params` to `state` in place.
///
/// # Errors
/// [`SynthesisError::Unsatisfiable`] if `state.len() != params.width` or the parameters are
/// not an `x^5` instance; otherwise only errors of the constraint system.
pub fn permute(
    cs: &ConstraintSystemRef<Fr>,
    params: &PoseidonParams,
    state: &mut [Linear],
) -> Result<(), SynthesisError> {
    if state.len() != params.width || params.alpha != ALPHA {
        return Err(SynthesisError::Unsatisfiable);
    }
    let half_full = params.full_rounds / 2;
    let rounds = params.full_rounds + params.partial_rounds;
    for round in 0..rounds {
        let full = round < half_full || round >= half_full + params.partial_rounds;
        for (i, s) in state.iter_mut().enumerate() {
            *s = s.add_constant(params.ark[round * params.width + i]);
        }
        if full {
            for s in state.iter_mut() {
                *s = sbox(cs, s)?;
            }
        } else {
            state[0] = sbox(cs, &state[0])?;
        }
        let mixed: Vec<Linear> = params
            .mds
            .iter()
            .map(|row| {
                row.iter()
                    .zip(state.iter())
                    .fold(Linear::constant(Fr::ZERO), |acc, (m, s)| {
                        acc.add_scaled(*m, s)
                    })
            })
            .collect();
        state.clone_from_slice(&mixed);
    }
    Ok(())
}

/// `x^5` with three constraints.
fn sbox(cs: &ConstraintSystemRef<Fr>, x: &Linear) -> Result<Linear, SynthesisError> {
    let x2 = mul(cs, x, x)?;
    let x4 = mul(cs, &x2, &x2)?;
    mul(cs, &x4, x)
}

/// circomlib `Poseidon(inputs)` on linear combinations (1..=12 inputs).
///
/// # Errors
/// [`SynthesisError::Unsatisfiable`] for an unsupported number of inputs.
pub fn hash_linear(
    cs: &ConstraintSystemRef<Fr>,
    inputs: &[Linear],
) -> Result<Linear, SynthesisError> {
    let params = params(inputs.len() + 1).map_err(|_| SynthesisError::Unsatisfiable)?;
    let mut state = Vec::with_capacity(inputs.len() + 1);
    state.push(Linear::constant(Fr::ZERO));
    state.extend_from_slice(inputs);
    permute(cs, params, &mut state)?;
    Ok(state.swap_remove(0))
}

/// circomlib `Poseidon(inputs)` on field variables (1..=12 inputs).
///
/// # Errors
/// As [`hash_linear`].
pub fn hash(
    cs: &ConstraintSystemRef<Fr>,
    inputs: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    let linear: Vec<Linear> = inputs.iter().map(Linear::from_var).collect();
    hash_linear(cs, &linear)?.to_var(cs)
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    /// The gadget equals the native hash for every width the state uses, at the documented
    /// cost.
    #[test]
    fn matches_native_hash_and_cost() {
        for n in [2usize, 3, 4, 6] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let inputs: Vec<Fr> = (0..n as u64).map(|i| -fr(i * 31 + 5)).collect();
            let vars: Vec<FpVar<Fr>> = inputs
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let before = cs.num_constraints();
            let out = hash(&cs, &vars).unwrap();
            let cost = cs.num_constraints() - before;
            let native = match n {
                2 => fernet_state::poseidon::hash([inputs[0], inputs[1]]),
                3 => fernet_state::poseidon::hash([inputs[0], inputs[1], inputs[2]]),
                4 => fernet_state::poseidon::hash([inputs[0], inputs[1], inputs[2], inputs[3]]),
                _ => fernet_state::poseidon::hash([
                    inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], inputs[5],
                ]),
            };
            assert_eq!(out.value().unwrap(), native, "{n} inputs");
            let p = params(n + 1).unwrap();
            assert_eq!(cost, 3 * (p.full_rounds * (n + 1) + p.partial_rounds));
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
