//! `new`: a circuit's fixed part and initial params from its matrices and the powers of tau,
//! exactly the keys ark-groth16's generator (with `LibsnarkReduction`) would make from the same
//! τ, α, β, with γ = δ = 1.
//!
//! With `u_j = L_j(τ)` the Lagrange basis of the QAP domain (size `n`, the constraints plus the
//! instance variables rounded up to a power of two), variable `i` has
//! `a_i = Σ_j A_{ji}·u_j` (plus `u_{m+i}` for an instance variable: the input-consistency rows),
//! `b_i = Σ_j B_{ji}·u_j` and `c_i = Σ_j C_{ji}·u_j`, so each key point is a sparse sum of the
//! Lagrange points of phase 1. `H_i = [τ^i·(τ^n − 1)]₁ = [τ^{i+n}]₁ − [τ^i]₁` needs no Lagrange.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, FftField, One, PrimeField};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_serialize::CanonicalSerialize;
use fernet_circuits::proof_system::R1csMatrices;
use rayon::prelude::*;
use sha3::{Digest, Keccak256};

use super::params::{CeremonyFile, FixedPart, Params};
use crate::{powers::Phase1Powers, Error, Result};

/// A circuit's phase 2 state right after `new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Initial {
    /// What no contribution changes.
    pub fixed: FixedPart,
    /// The params with δ = 1, contribution 0.
    pub params: Params,
}

/// log2 of the QAP domain of a circuit: the constraints plus the instance variables (one
/// input-consistency row each), rounded up to a power of two, as ark-groth16's generator sizes it.
pub fn domain_log(matrices: &R1csMatrices) -> Result<u32> {
    let size = matrices.num_constraints() + matrices.num_instance_variables();
    let domain = GeneralEvaluationDomain::<Fr>::new(size).ok_or(Error::PowerTooSmall {
        needed: size.next_power_of_two().trailing_zeros(),
        available: Fr::TWO_ADICITY,
    })?;
    Ok(domain.size().trailing_zeros())
}

/// A hash of the powers' content (not of a file): keccak256 over the `u32` big-endian domain
/// log and every field of [`Phase1Powers`] in declaration order, ark-serialize uncompressed.
pub fn powers_hash(powers: &Phase1Powers) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(powers.domain_log.to_be_bytes());
    fn put(hasher: &mut Keccak256, value: &impl CanonicalSerialize) {
        value
            .serialize_uncompressed(hasher)
            .expect("hashing cannot fail");
    }
    put(&mut hasher, &powers.tau_g1);
    put(&mut hasher, &powers.lagrange_g1);
    put(&mut hasher, &powers.lagrange_g2);
    put(&mut hasher, &powers.alpha_lagrange_g1);
    put(&mut hasher, &powers.beta_lagrange_g1);
    put(&mut hasher, &powers.alpha_g1);
    put(&mut hasher, &powers.beta_g1);
    put(&mut hasher, &powers.beta_g2);
    hasher.finalize().into()
}

/// The fixed part and the initial params of the circuit `name` with these matrices.
pub fn new(name: &str, matrices: &R1csMatrices, powers: &Phase1Powers) -> Result<Initial> {
    let log = domain_log(matrices)?;
    let n = 1usize << log;
    if powers.domain_log != log {
        return Err(if powers.domain_log < log {
            Error::PowerTooSmall {
                needed: log,
                available: powers.domain_log,
            }
        } else {
            Error::DomainMismatch {
                circuit: name.to_owned(),
                needed: log,
                available: powers.domain_log,
            }
        });
    }
    let sizes_ok = powers.tau_g1.len() >= 2 * n - 1
        && [
            powers.lagrange_g1.len(),
            powers.lagrange_g2.len(),
            powers.alpha_lagrange_g1.len(),
            powers.beta_lagrange_g1.len(),
        ]
        .iter()
        .all(|&len| len == n);
    if !sizes_ok {
        return Err(Error::PowerTooSmall {
            needed: log,
            available: powers.domain_log,
        });
    }

    let num_instance = matrices.num_instance_variables();
    let num_variables = num_instance + matrices.num_witness_variables();
    let [a, b, c] = columns(matrices, num_variables);
    let a_query = sums_g1(&a, &powers.lagrange_g1);
    let b_g1_query = sums_g1(&b, &powers.lagrange_g1);
    let b_g2_query = sums_g2(&b, &powers.lagrange_g2);
    // β·a_i + α·b_i + c_i.
    let abc: Vec<G1Projective> = (0..num_variables)
        .into_par_iter()
        .map(|i| {
            sum_g1(&a[i], &powers.beta_lagrange_g1)
                + sum_g1(&b[i], &powers.alpha_lagrange_g1)
                + sum_g1(&c[i], &powers.lagrange_g1)
        })
        .collect();
    let mut abc = G1Projective::normalize_batch(&abc);
    let l_query = abc.split_off(num_instance);
    let h: Vec<G1Projective> = (0..n - 1)
        .into_par_iter()
        .map(|i| powers.tau_g1[i + n].into_group() - powers.tau_g1[i])
        .collect();

    let fixed = FixedPart {
        circuit_digest: matrices.digest(),
        powers_hash: powers_hash(powers),
        num_instance: num_instance as u64,
        num_witness: matrices.num_witness_variables() as u64,
        domain_log: log,
        alpha_g1: powers.alpha_g1,
        beta_g1: powers.beta_g1,
        beta_g2: powers.beta_g2,
        gamma_g2: G2Affine::generator(),
        gamma_abc_g1: abc,
        a_query,
        b_g1_query,
        b_g2_query,
    };
    let params = Params {
        fixed_hash: fixed.hash(),
        index: 0,
        delta_g1: G1Affine::generator(),
        delta_g2: G2Affine::generator(),
        h_query: G1Projective::normalize_batch(&h),
        l_query,
    };
    Ok(Initial { fixed, params })
}

/// One variable's terms in a matrix: `(coefficient, Lagrange index)`.
type Column = Vec<(Fr, usize)>;

/// The matrices `A`, `B`, `C` by variable (columns), with the input-consistency rows
/// `A_{m+i, i} = 1` of the instance variables appended.
fn columns(matrices: &R1csMatrices, num_variables: usize) -> [Vec<Column>; 3] {
    let num_constraints = matrices.num_constraints();
    let mut columns: [Vec<Column>; 3] = std::array::from_fn(|_| vec![Vec::new(); num_variables]);
    for (matrix, columns) in matrices.matrices().iter().zip(&mut columns) {
        for (row, terms) in matrix.iter().enumerate() {
            for &(coeff, variable) in terms {
                columns[variable].push((coeff, row));
            }
        }
    }
    for (i, column) in columns[0]
        .iter_mut()
        .take(matrices.num_instance_variables())
        .enumerate()
    {
        column.push((Fr::one(), num_constraints + i));
    }
    columns
}

/// `Σ coeff·bases[j]` over a column in G1.
fn sum_g1(column: &Column, bases: &[G1Affine]) -> G1Projective {
    column
        .iter()
        .map(|&(coeff, j)| times(bases[j], coeff))
        .sum()
}

/// `Σ coeff·bases[j]` over a column in G2.
fn sum_g2(column: &Column, bases: &[G2Affine]) -> G2Projective {
    column
        .iter()
        .map(|&(coeff, j)| times(bases[j], coeff))
        .sum()
}

/// Every column's sum in G1, normalized.
fn sums_g1(columns: &[Column], bases: &[G1Affine]) -> Vec<G1Affine> {
    let sums: Vec<_> = columns.par_iter().map(|c| sum_g1(c, bases)).collect();
    G1Projective::normalize_batch(&sums)
}

/// Every column's sum in G2, normalized.
fn sums_g2(columns: &[Column], bases: &[G2Affine]) -> Vec<G2Affine> {
    let sums: Vec<_> = columns.par_iter().map(|c| sum_g2(c, bases)).collect();
    G2Projective::normalize_batch(&sums)
}

/// `coeff·point`, with the common coefficients of R1CS rows (±1, small constants) cheap.
fn times<G: AffineRepr<ScalarField = Fr>>(point: G, coeff: Fr) -> G::Group {
    if coeff.is_one() {
        return point.into_group();
    }
    if (-coeff).is_one() {
        return -point.into_group();
    }
    let bigint = coeff.into_bigint();
    if bigint.num_bits() <= 64 {
        point.mul_bigint(&bigint.as_ref()[..1])
    } else {
        point * coeff
    }
}
