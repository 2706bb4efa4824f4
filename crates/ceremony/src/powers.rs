//! The powers of tau one circuit domain needs, in the form phase 2 reads them.
//!
//! They are extracted from a verified `.ptau` file ([`import_ptau`]) and kept in a
//! `phase1-2^k.powers` file: magic `FCP1`, u32 version 1 (LE), then the ark-serialize
//! uncompressed encoding of [`PowersFile`], read back with every point validated.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Write},
    path::Path,
};

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::Field;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};

use crate::{
    lagrange::{is_lagrange_of, to_lagrange, LagrangeBasis},
    pairing::{random_scalars, same_ratio, shifted_combinations},
    ptau::{
        record::Hash64,
        verify::{check, Checked},
        VerifiedPtau,
    },
    Error, Result,
};

/// The magic of a powers file.
const MAGIC: &[u8; 4] = b"FCP1";
/// The version of the powers file format.
const VERSION: u32 = 1;

/// What phase 2 needs from phase 1 for a domain of `n = 2^domain_log` points.
///
/// `L_j` is the Lagrange polynomial of the `j`-th element of the radix-2 domain of size `n`
/// (arkworks' `Radix2EvaluationDomain`, natural order), evaluated at τ.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
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

/// What a powers file holds: the powers and the `.ptau` file they were extracted from.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PowersFile {
    /// BLAKE2b-512 of the `.ptau` file.
    pub ptau_blake2b: Hash64,
    /// The next challenge of its last contribution record.
    pub ptau_next_challenge: Hash64,
    /// The powers for the domain.
    pub powers: Phase1Powers,
}

/// Where the Lagrange points of an import came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LagrangeSource {
    /// Sections 12-15 of the prepared `.ptau` file, checked against the powers.
    PtauSections,
    /// Our group IFFT of the monomial powers (the file was not prepared).
    Ifft,
}

/// The result of [`import_ptau`].
#[derive(Clone, Debug)]
pub struct Imported {
    /// The verification of the `.ptau` file.
    pub ptau: VerifiedPtau,
    /// What was written.
    pub file: PowersFile,
    /// Where the Lagrange points came from.
    pub lagrange: LagrangeSource,
}

/// Verifies a `.ptau` file for a domain of `2^domain_log` (its contribution chain, the prefix of
/// the powers the domain uses and, if prepared, its Lagrange block), extracts the powers and
/// writes them to `out` as a powers file.
pub fn import_ptau(ptau: &Path, domain_log: u32, out: &Path) -> Result<Imported> {
    let Checked {
        verified,
        powers,
        lagrange,
    } = check(ptau, Some(domain_log))?;
    let (lagrange, source) = match lagrange {
        Some(basis) => (basis, LagrangeSource::PtauSections),
        None => (
            LagrangeBasis {
                tau_g1: to_lagrange(&powers.tau_g1, domain_log),
                tau_g2: to_lagrange(&powers.tau_g2, domain_log),
                alpha_tau_g1: to_lagrange(&powers.alpha_tau_g1, domain_log),
                beta_tau_g1: to_lagrange(&powers.beta_tau_g1, domain_log),
            },
            LagrangeSource::Ifft,
        ),
    };
    let n = 1usize << domain_log;
    let mut tau_g1 = powers.tau_g1;
    tau_g1.truncate(2 * n - 1);
    let phase1 = Phase1Powers {
        domain_log,
        tau_g1,
        lagrange_g1: lagrange.tau_g1,
        lagrange_g2: lagrange.tau_g2,
        alpha_lagrange_g1: lagrange.alpha_tau_g1,
        beta_lagrange_g1: lagrange.beta_tau_g1,
        alpha_g1: powers.alpha_tau_g1[0],
        beta_g1: powers.beta_tau_g1[0],
        beta_g2: powers.beta_g2,
    };
    let last = verified
        .contributions
        .last()
        .map(|record| record.next_challenge);
    let file = PowersFile {
        ptau_blake2b: verified.file_blake2b,
        ptau_next_challenge: last.unwrap_or([0; 64]),
        powers: phase1,
    };
    file.write(out)?;
    Ok(Imported {
        ptau: verified,
        file,
        lagrange: source,
    })
}

impl PowersFile {
    /// Writes the file.
    pub fn write(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut out = BufWriter::new(File::create(path).map_err(io)?);
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&VERSION.to_le_bytes()).map_err(io)?;
        self.serialize_with_mode(&mut out, Compress::No)?;
        out.flush().map_err(io)
    }

    /// Reads a file written by [`PowersFile::write`], validating every point, and checks that the
    /// powers are consistent ([`Phase1Powers::check`]).
    pub fn read(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut input = BufReader::new(File::open(path).map_err(io)?);
        let mut head = [0u8; 8];
        input.read_exact(&mut head).map_err(io)?;
        let version = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if &head[..4] != MAGIC || version != VERSION {
            return Err(Error::Format {
                path: path.to_path_buf(),
                reason: format!(
                    "not a powers file of version {VERSION} (magic {:?}, version {version})",
                    &head[..4]
                ),
            });
        }
        let file = Self::deserialize_with_mode(&mut input, Compress::No, Validate::Yes)?;
        file.powers.check()?;
        Ok(file)
    }
}

impl Phase1Powers {
    /// Checks that the powers hang together, up to probability 2^-128 per check: `[τ^0]₁` is the
    /// generator, consecutive `[τ^i]₁` have one ratio τ, the Lagrange points are the IFFT of the
    /// monomials, and the G2, α and β Lagrange points hide the same `L_j(τ)` (with `[β]₂`
    /// matching `[β]₁`).
    pub fn check(&self) -> Result<()> {
        let mismatch = |what| Err(Error::PowersMismatch { what });
        let n = 1usize << self.domain_log;
        let lengths = [
            self.lagrange_g1.len(),
            self.lagrange_g2.len(),
            self.alpha_lagrange_g1.len(),
            self.beta_lagrange_g1.len(),
        ];
        if self.tau_g1.len() != 2 * n - 1 || lengths.iter().any(|&len| len != n) {
            return mismatch("lengths");
        }
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        if self.tau_g1[0] != g1 {
            return mismatch("tauG1[0]");
        }
        if !is_lagrange_of(&self.tau_g1[..n], &self.lagrange_g1, self.domain_log) {
            return mismatch("lagrangeG1");
        }
        let scalars = random_scalars(n);
        let l1 = ark_bn254::G1Projective::msm_unchecked(&self.lagrange_g1, &scalars).into_affine();
        let l2 = ark_bn254::G2Projective::msm_unchecked(&self.lagrange_g2, &scalars).into_affine();
        let alpha =
            ark_bn254::G1Projective::msm_unchecked(&self.alpha_lagrange_g1, &scalars).into_affine();
        let beta =
            ark_bn254::G1Projective::msm_unchecked(&self.beta_lagrange_g1, &scalars).into_affine();
        if !same_ratio(g1, l1, g2, l2) {
            return mismatch("lagrangeG2");
        }
        if !same_ratio(self.alpha_g1, alpha, g2, l2) {
            return mismatch("alphaLagrangeG1");
        }
        if !same_ratio(self.beta_g1, beta, g2, l2) {
            return mismatch("betaLagrangeG1");
        }
        if !same_ratio(g1, self.beta_g1, g2, self.beta_g2) {
            return mismatch("betaG2");
        }
        if n > 1 {
            // [τ]₂ = Σ_j ω^j [L_j(τ)]₂, then every consecutive ratio of [τ^i]₁ against it.
            let omega = Radix2EvaluationDomain::<Fr>::new(n)
                .map(|d| d.group_gen())
                .unwrap_or(Fr::ONE);
            let powers_of_omega: Vec<Fr> =
                std::iter::successors(Some(Fr::ONE), |w| Some(*w * omega))
                    .take(n)
                    .collect();
            let tau_g2 =
                ark_bn254::G2Projective::msm_unchecked(&self.lagrange_g2, &powers_of_omega)
                    .into_affine();
            let (r1, r2) = shifted_combinations(&self.tau_g1);
            if !same_ratio(r1, r2, g2, tau_g2) {
                return mismatch("tauG1");
            }
        }
        Ok(())
    }
}

impl Phase1Powers {
    /// **INSECURE: the toxic waste is known.** The powers of tau for a domain of
    /// `2^domain_log` points computed directly from the secrets `tau`, `alpha`, `beta`.
    ///
    /// Whoever knows these scalars can forge proofs for any key built from the result. This
    /// exists for tests (comparing the ceremony's keys with ark-groth16's generator run on the
    /// same secrets) and benchmarks only; real powers come from a verified phase 1.
    pub fn from_known_secrets(domain_log: u32, tau: Fr, alpha: Fr, beta: Fr) -> Self {
        use ark_ec::scalar_mul::BatchMulPreprocessing;

        let n = 1usize << domain_log;
        let g1 = G1Affine::generator().into_group();
        let g2 = G2Affine::generator().into_group();
        let domain = Radix2EvaluationDomain::<Fr>::new(n).expect("a domain of at most 2^28 points");
        let lagrange = domain.evaluate_all_lagrange_coefficients(tau);
        let scaled = |factor: Fr| -> Vec<_> { lagrange.iter().map(|u| *u * factor).collect() };
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
