//! The powers of tau one circuit domain needs, in the form phase 2 reads them.

use ark_bn254::{G1Affine, G2Affine};

/// What phase 2 needs from phase 1 for a domain of `n = 2^domain_log` points.
///
/// `L_j` is the Lagrange polynomial of the `j`-th element of the radix-2 domain of size `n`
/// (arkworks' `Radix2EvaluationDomain`, natural order), evaluated at τ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase1Powers {
    /// log2 of the domain size `n`.
    pub domain_log: u32,
    /// `[τ^i]₁` for `i < 2n - 1`.
    pub tau_g1: Vec<G1Affine>,
    /// `[L_j(τ)]₁` for `j < n`.
    pub lagrange_g1: Vec<G1Affine>,
    /// `[L_j(τ)]₂` for `j < n`.
    pub lagrange_g2: Vec<G2Affine>,
    /// `[α·L_j(τ)]₁` for `j < n`.
    pub alpha_lagrange_g1: Vec<G1Affine>,
    /// `[β·L_j(τ)]₁` for `j < n`.
    pub beta_lagrange_g1: Vec<G1Affine>,
    /// `[α]₁`.
    pub alpha_g1: G1Affine,
    /// `[β]₁`.
    pub beta_g1: G1Affine,
    /// `[β]₂`.
    pub beta_g2: G2Affine,
}
