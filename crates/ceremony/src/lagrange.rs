//! Powers of tau in the Lagrange basis of a radix-2 domain.
//!
//! For the domain of `m = 2^q` points `ω^j` (arkworks' `Radix2EvaluationDomain`, the same `ω` as
//! ffjavascript's `Fr.w[q]`), `τ^i = Σ_j ω^{ij}·L_j(τ)`, so `[L_j(τ)] = IFFT([τ^i])`: a group IFFT
//! of the monomial powers, natural order. Conversely a claimed Lagrange block is checked with one
//! random vector `r`: `Σ r_i·[τ^i] == Σ FFT(r)_j·[L_j(τ)]`.

use std::ops::{Add, AddAssign, MulAssign, Sub, SubAssign};

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{
    scalar_mul::glv::GLVConfig,
    short_weierstrass::{Affine, Projective},
    AffineRepr, CurveGroup, VariableBaseMSM,
};
use ark_ff::Zero;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

use crate::pairing::random_scalars;

/// The Lagrange-basis powers of one domain, as phase 2 reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LagrangeBasis {
    /// `[L_j(τ)]₁`.
    pub tau_g1: Vec<G1Affine>,
    /// `[L_j(τ)]₂`.
    pub tau_g2: Vec<G2Affine>,
    /// `[α·L_j(τ)]₁`.
    pub alpha_tau_g1: Vec<G1Affine>,
    /// `[β·L_j(τ)]₁`.
    pub beta_tau_g1: Vec<G1Affine>,
}

/// The domain of `2^domain_log` points (BN254's `Fr` has 2-adicity 28, so any `domain_log ≤ 28`).
fn domain(domain_log: u32) -> Radix2EvaluationDomain<Fr> {
    Radix2EvaluationDomain::new(1 << domain_log).expect("2^k ≤ 2^28 points fit BN254's Fr")
}

/// The group IFFT of the first `2^domain_log` monomial powers (missing ones count as zero, as
/// snarkjs does for the top block of `[τ^i]₁`).
pub fn to_lagrange<P: GLVConfig<ScalarField = Fr>>(
    monomial: &[Affine<P>],
    domain_log: u32,
) -> Vec<Affine<P>> {
    let size = 1usize << domain_log;
    let mut points: Vec<Glv<P>> = monomial
        .iter()
        .take(size)
        .map(|p| Glv(p.into_group()))
        .collect();
    points.resize(size, Glv::zero());
    domain(domain_log).ifft_in_place(&mut points);
    let points: Vec<Projective<P>> = points.into_iter().map(|p| p.0).collect();
    Projective::normalize_batch(&points)
}

/// A projective point whose scalar multiplication (the FFT's twiddles) uses GLV: ark-bn254
/// does so for G1 but not for G2, where it halves the IFFT's cost.
struct Glv<P: GLVConfig>(Projective<P>);

impl<P: GLVConfig> Clone for Glv<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: GLVConfig> Copy for Glv<P> {}

impl<P: GLVConfig> std::fmt::Debug for Glv<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<P: GLVConfig> PartialEq for Glv<P> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<P: GLVConfig> Add for Glv<P> {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self(self.0 + other.0)
    }
}

impl<P: GLVConfig> Sub for Glv<P> {
    type Output = Self;
    fn sub(self, other: Self) -> Self {
        Self(self.0 - other.0)
    }
}

impl<P: GLVConfig> AddAssign for Glv<P> {
    fn add_assign(&mut self, other: Self) {
        self.0 += other.0;
    }
}

impl<P: GLVConfig> SubAssign for Glv<P> {
    fn sub_assign(&mut self, other: Self) {
        self.0 -= other.0;
    }
}

impl<P: GLVConfig> Zero for Glv<P> {
    fn zero() -> Self {
        Self(Projective::zero())
    }

    fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl<P: GLVConfig> MulAssign<P::ScalarField> for Glv<P> {
    fn mul_assign(&mut self, scalar: P::ScalarField) {
        self.0 = P::glv_mul_projective(self.0, scalar);
    }
}

/// Whether `lagrange` (`2^domain_log` points) is the Lagrange form of the monomial powers, up to
/// probability 2^-128.
///
/// With fewer monomials than points (the top block of `[τ^i]₁`), only the given ones are
/// constrained, as snarkjs checks it: that block is the IFFT with the missing power taken as zero
/// in a prepared file, but with its true value in a file truncated from a bigger one.
pub fn is_lagrange_of<G: AffineRepr<ScalarField = Fr>>(
    monomial: &[G],
    lagrange: &[G],
    domain_log: u32,
) -> bool {
    let size = 1usize << domain_log;
    if lagrange.len() != size || monomial.len() > size {
        return false;
    }
    let mut scalars = random_scalars(monomial.len());
    scalars.resize(size, Fr::zero());
    let evaluations = domain(domain_log).fft(&scalars);
    let lhs = G::Group::msm_unchecked(monomial, &scalars[..monomial.len()]);
    let rhs = G::Group::msm_unchecked(lagrange, &evaluations);
    lhs == rhs
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::G1Projective;
    use ark_ec::PrimeGroup;
    use ark_ff::Field;

    #[test]
    fn ifft_of_powers_is_the_lagrange_basis_at_tau() {
        let tau = Fr::from(11u64);
        let g = G1Projective::generator();
        let monomial: Vec<G1Affine> = (0..8u64)
            .map(|i| (g * tau.pow([i])).into_affine())
            .collect();
        let lagrange = to_lagrange(&monomial, 3);
        let expected: Vec<G1Affine> = domain(3)
            .evaluate_all_lagrange_coefficients(tau)
            .into_iter()
            .map(|l| (g * l).into_affine())
            .collect();
        assert_eq!(lagrange, expected);
        assert!(is_lagrange_of(&monomial, &lagrange, 3));
        let mut wrong = lagrange.clone();
        wrong.swap(1, 2);
        assert!(!is_lagrange_of(&monomial, &wrong, 3));
    }
}
