//! Poseidon in-circuit, with exactly the parameters of [`fernet_state::poseidon::params`]:
//! circomlib's `poseidon([x_1..x_n])` on the state `[0, x_1..x_n]`, output `state[0]`.
//!
//! Each round adds its constants, applies `x^5` (to every element in a full round, to
//! `state[0]` in a partial one) and mixes with the MDS matrix. An S-box costs 3 constraints;
//! constants and the MDS mix are free, so width 3 costs `3 * (8 * 3 + 57) = 243`.
//!
//! # Sparse rows
//!
//! The state is kept as linear combinations, so in the partial rounds the elements that skip
//! the S-box accumulate one more term per round, and the next S-box input `x` (an element of
//! up to `width + rounds` terms) would be written three times (`x * x = x^2`, `x^4 * x = y`).
//! Instead, the output `y` of the `state[0]` S-box of every round but the last is never
//! allocated: the witness is the **next round's** `state[0]` S-box input
//! `z = m_00 * y + rest` (`rest`: the other terms of that input), and the third constraint
//! reads `x^4 * x = (z - rest) / m_00`. The long combination appears once (in `C`), each S-box
//! input of `state[0]` is the single variable `z`, and the constraint and variable counts are
//! unchanged (`m_00 != 0`, so `z` is as determined as `y` was).

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use fernet_state::poseidon::{params, PoseidonParams};

use super::linear::{enforce_product, mul, witness, Linear};

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
    let width = params.width;
    if state.len() != width || params.alpha != ALPHA || width < 2 {
        return Err(SynthesisError::Unsatisfiable);
    }
    let m00 = params.mds[0][0];
    let m00_inverse = m00.inverse().ok_or(SynthesisError::Unsatisfiable)?;
    let half_full = params.full_rounds / 2;
    let rounds = params.full_rounds + params.partial_rounds;
    // `state[0]` of the next round, constants added, when this round allocated it as one
    // variable (see the module docs).
    let mut next_input: Option<Linear> = None;
    for round in 0..rounds {
        let full = round < half_full || round >= half_full + params.partial_rounds;
        for (i, s) in state.iter_mut().enumerate() {
            *s = s.add_constant(params.ark[round * width + i]);
        }
        if let Some(z) = next_input.take() {
            state[0] = z;
        }
        if full {
            for s in state[1..].iter_mut() {
                *s = sbox(cs, s)?;
            }
        }
        if round + 1 == rounds {
            state[0] = sbox(cs, &state[0])?;
            mix(params, state);
            break;
        }
        // `state[0]` of the next round, constant included, is `m_00 * y + rest`.
        let next_constant = params.ark[(round + 1) * width];
        let rest = params.mds[0][1..]
            .iter()
            .zip(&state[1..])
            .fold(Linear::constant(next_constant), |acc, (m, s)| {
                acc.add_scaled(*m, s)
            });
        let x = &state[0];
        let x2 = mul(cs, x, x)?;
        let x4 = mul(cs, &x2, &x2)?;
        let y_value = x4.value().zip(x.value()).map(|(x4, x)| x4 * x);
        let z = witness(cs, y_value.zip(rest.value()).map(|(y, r)| m00 * y + r))?;
        let y = z.sub(&rest).scale(m00_inverse);
        enforce_product(cs, &x4, x, &y)?;
        state[0] = y;
        mix(params, state);
        next_input = Some(z);
    }
    Ok(())
}

/// `state = MDS * state`.
fn mix(params: &PoseidonParams, state: &mut [Linear]) {
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
    use ark_relations::gr1cs::{ConstraintSystem, R1CS_PREDICATE_LABEL};

    use super::*;

    /// The non-zero entries of one hash of 1..=12 inputs. With the S-box output of every
    /// partial round written three times, they were 6,027 / 6,738 / 7,101 / 8,547 / 9,213 /
    /// 10,623 / 11,637 / 12,201 / 12,297 / 14,748 / 14,091 / 16,416.
    const MAX_NONZERO: [usize; 12] = [
        2_583, 3_048, 3_405, 4_217, 4_749, 5_611, 6_341, 6_909, 7_297, 8_720, 8_823, 10_254,
    ];

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    /// The gadget equals the native hash for every width the parameters have (1..=12
    /// inputs), at the documented cost, and the rows stay sparse.
    #[test]
    fn matches_native_hash_and_cost() {
        for n in 1usize..=12 {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let inputs: Vec<Fr> = (0..n as u64).map(|i| -fr(i * 31 + 5)).collect();
            let vars: Vec<FpVar<Fr>> = inputs
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let before = cs.num_constraints();
            let out = hash(&cs, &vars).unwrap();
            let cost = cs.num_constraints() - before;
            let p = params(n + 1).unwrap();
            let mut native = vec![Fr::ZERO; n + 1];
            native[1..].copy_from_slice(&inputs);
            fernet_state::poseidon::permute(p, &mut native);
            assert_eq!(out.value().unwrap(), native[0], "{n} inputs");
            assert_eq!(cost, 3 * (p.full_rounds * (n + 1) + p.partial_rounds));
            assert!(cs.is_satisfied().unwrap());
            // Sparse rows: the non-zero entries of A, B and C together (the input
            // allocations add none).
            cs.finalize();
            let matrices = &cs.to_matrices().unwrap()[R1CS_PREDICATE_LABEL];
            let nonzero: usize = matrices.iter().flatten().map(Vec::len).sum();
            assert!(
                nonzero <= MAX_NONZERO[n - 1],
                "{n} inputs: {nonzero} non-zero entries"
            );
        }
        // The fixed-size native entry point agrees (2 inputs, the Merkle hash).
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<FpVar<Fr>> = [fr(1), fr(2)]
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        assert_eq!(
            hash(&cs, &vars).unwrap().value().unwrap(),
            fernet_state::poseidon::hash([fr(1), fr(2)])
        );
    }
}
