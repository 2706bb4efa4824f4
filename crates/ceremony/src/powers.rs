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

impl Phase1Powers {
    /// **INSECURE: the toxic waste is known.** The powers of tau for a domain of
    /// `2^domain_log` points computed directly from the secrets `tau`, `alpha`, `beta`.
    ///
    /// Whoever knows these scalars can forge proofs for any key built from the result. This
    /// exists for tests (comparing the ceremony's keys with ark-groth16's generator run on the
    /// same secrets) and benchmarks only; real powers come from a verified phase 1.
    pub fn from_known_secrets(
        domain_log: u32,
        tau: ark_bn254::Fr,
        alpha: ark_bn254::Fr,
        beta: ark_bn254::Fr,
    ) -> Self {
        use ark_ec::{scalar_mul::BatchMulPreprocessing, AffineRepr, CurveGroup};
        use ark_ff::Field;
        use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

        let n = 1usize << domain_log;
        let g1 = G1Affine::generator().into_group();
        let g2 = G2Affine::generator().into_group();
        let domain = Radix2EvaluationDomain::<ark_bn254::Fr>::new(n)
            .expect("a domain of at most 2^28 points");
        let lagrange = domain.evaluate_all_lagrange_coefficients(tau);
        let scaled =
            |factor: ark_bn254::Fr| -> Vec<_> { lagrange.iter().map(|u| *u * factor).collect() };
        let powers: Vec<_> = (0..2 * n as u64 - 1).map(|i| tau.pow([i])).collect();
        let table_g1 = BatchMulPreprocessing::new(g1, 2 * n);
        let table_g2 = BatchMulPreprocessing::new(g2, n);
        Self {
            domain_log,
            tau_g1: table_g1.batch_mul(&powers),
            lagrange_g1: table_g1.batch_mul(&lagrange),
            lagrange_g2: table_g2.batch_mul(&lagrange),
            alpha_lagrange_g1: table_g1.batch_mul(&scaled(alpha)),
            beta_lagrange_g1: table_g1.batch_mul(&scaled(beta)),
            alpha_g1: (g1 * alpha).into_affine(),
            beta_g1: (g1 * beta).into_affine(),
            beta_g2: (g2 * beta).into_affine(),
        }
    }
}
