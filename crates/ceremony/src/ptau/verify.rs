//! Verification of a `.ptau` file: the contribution chain, then the powers against its last
//! record, then the Lagrange sections.
//!
//! As snarkjs' `powersoftau verify`, with 128-bit random combinations (snarkjs: 32-bit), every G2
//! point subgroup-checked, and, for an import, only the prefix of the powers a domain uses.

use std::{
    fs::File,
    io::Read,
    path::{Path, PathBuf},
};

use ark_bn254::{G1Affine, G2Affine};
use ark_ec::AffineRepr;

use super::{
    open, read_points,
    record::{
        create_key, first_challenge_hash, g2_sp, read_contributions, ChainHead, Contribution,
        Hash64, KEYS,
    },
    section, Powers, PtauHeader,
};
use crate::{
    blake2b::Blake2b,
    error::ContributionFault,
    ffjs::beacon_rng,
    lagrange::{is_lagrange_of, LagrangeBasis},
    pairing::{same_ratio, shifted_combinations},
    Error, Result,
};

/// What a verified `.ptau` file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPtau {
    /// The file.
    pub path: PathBuf,
    /// Its header.
    pub header: PtauHeader,
    /// Its contribution records, all verified.
    pub contributions: Vec<Contribution>,
    /// The hash of the powers after the last contribution, when it was recomputed (the whole
    /// file was checked and `power == ceremonyPower`); equal to the last record's.
    pub next_challenge: Option<Hash64>,
    /// Whether sections 12-15 are present (and were checked).
    pub prepared: bool,
    /// BLAKE2b-512 of the whole file, to identify it.
    pub file_blake2b: Hash64,
}

/// Verifies a whole `.ptau` file: every contribution, every power, the last record's next
/// challenge (when the file is not truncated) and every Lagrange block if prepared.
pub fn verify(path: &Path) -> Result<VerifiedPtau> {
    check(path, None).map(|checked| checked.verified)
}

/// A verified file with the powers that were checked.
pub(crate) struct Checked {
    /// The verification summary.
    pub(crate) verified: VerifiedPtau,
    /// The monomial powers checked (all, or the prefix for the domain).
    pub(crate) powers: Powers,
    /// The Lagrange block of the domain, when the file is prepared and a domain was asked.
    pub(crate) lagrange: Option<LagrangeBasis>,
}

/// Verifies the chain, and the powers for a domain of `2^domain_log` (only the prefix it uses and
/// its Lagrange block) or, with `None`, the whole file.
pub(crate) fn check(path: &Path, domain_log: Option<u32>) -> Result<Checked> {
    let (mut file, header) = open(path)?;
    let records_bytes = file.read_section(section::CONTRIBUTIONS)?;
    let records = read_contributions(&records_bytes, path)?;
    let Some(last) = records.last() else {
        return Err(Error::NoContributions {
            path: path.to_path_buf(),
        });
    };
    verify_chain(header, &records)?;

    let k = domain_log.unwrap_or(header.power);
    if k > header.power {
        return Err(Error::PowerTooSmall {
            needed: k,
            available: header.power,
        });
    }
    // The checks need two powers at least (the power of a file is at least 1).
    let n = 1usize << k.max(1);
    let n_g1 = if domain_log.is_some() {
        2 * n - 1
    } else {
        header.tau_g1_count()
    };
    let powers = Powers::read(&mut file, n_g1, n)?;
    check_powers(&powers, last)?;

    let next_challenge = if domain_log.is_none() && header.power == header.ceremony_power {
        let mut hasher = Blake2b::new();
        let response = last
            .response_hash()
            .map_err(|reason| Error::Phase1Contribution {
                index: records.len(),
                reason,
            })?;
        hasher.update(&response);
        powers.hash_u(&mut hasher);
        let computed = hasher.finalize();
        if computed != last.next_challenge {
            return Err(Error::Phase1Data {
                section: "contributions",
                reason: "the last record's next challenge is not the hash of the powers",
            });
        }
        Some(computed)
    } else {
        None
    };

    let lagrange_ids = [
        section::LAGRANGE_TAU_G1,
        section::LAGRANGE_TAU_G2,
        section::LAGRANGE_ALPHA_TAU_G1,
        section::LAGRANGE_BETA_TAU_G1,
    ];
    let present = lagrange_ids.iter().filter(|&&id| file.has(id)).count();
    if present != 0 && present != lagrange_ids.len() {
        return Err(Error::Format {
            path: path.to_path_buf(),
            reason: format!("{present} of the 4 Lagrange sections (12-15) are present"),
        });
    }
    let prepared = present == lagrange_ids.len();
    let mut lagrange = None;
    if prepared {
        match domain_log {
            Some(k) => lagrange = Some(check_lagrange_block(&mut file, &powers, k)?),
            None => {
                for q in 0..=header.power {
                    check_lagrange_block(&mut file, &powers, q)?;
                }
                let top = header.power + 1;
                let block = read_points::<G1Affine>(
                    &mut file,
                    section::LAGRANGE_TAU_G1,
                    "lagrangeTauG1",
                    (1 << top) - 1,
                    1 << top,
                )?;
                if !is_lagrange_of(&powers.tau_g1, &block, top) {
                    return Err(Error::Lagrange {
                        section: "lagrangeTauG1",
                        domain_log: top,
                    });
                }
            }
        }
    }

    let verified = VerifiedPtau {
        path: path.to_path_buf(),
        header,
        contributions: records,
        next_challenge,
        prepared,
        file_blake2b: file_blake2b(path)?,
    };
    Ok(Checked {
        verified,
        powers,
        lagrange,
    })
}

/// Checks every record against the one before it (the generators and the first challenge for
/// the first record).
pub(crate) fn verify_chain(header: PtauHeader, records: &[Contribution]) -> Result<()> {
    let first_challenge = first_challenge_hash(header.ceremony_power);
    let mut prev = ChainHead::initial(&first_challenge);
    for (i, record) in records.iter().enumerate() {
        verify_record(&prev, record).map_err(|reason| Error::Phase1Contribution {
            index: i + 1,
            reason,
        })?;
        prev = ChainHead::after(record);
    }
    Ok(())
}

/// snarkjs' `verifyContribution`: the beacon's key, the three proofs of knowledge, and the five
/// new points chained to the previous ones by the proven secrets.
fn verify_record(
    prev: &ChainHead<'_>,
    cur: &Contribution,
) -> std::result::Result<(), ContributionFault> {
    if let Some(beacon) = &cur.beacon {
        let (_, expected) = create_key(
            prev.next_challenge,
            &mut beacon_rng(&beacon.hash, beacon.iterations_exp),
        );
        for ((name, found), wanted) in KEYS.iter().zip(cur.key.proofs()).zip(expected.proofs()) {
            if found != wanted {
                return Err(ContributionFault::Beacon { what: name });
            }
        }
    }
    let mut g2_sps = [G2Affine::zero(); 3];
    for (personalization, ((key, proof), slot)) in KEYS
        .iter()
        .zip(cur.key.proofs())
        .zip(&mut g2_sps)
        .enumerate()
    {
        *slot = g2_sp(
            personalization as u8,
            prev.next_challenge,
            &proof.g1_s,
            &proof.g1_sx,
        );
        if !same_ratio(proof.g1_s, proof.g1_sx, *slot, proof.g2_spx) {
            return Err(ContributionFault::ProofOfKnowledge { key });
        }
    }
    let [tau_sp, alpha_sp, beta_sp] = g2_sps;
    let (tau, alpha, beta) = (&cur.key.tau, &cur.key.alpha, &cur.key.beta);
    let checks = [
        (
            "tauG1",
            same_ratio(prev.tau_g1, cur.tau_g1, tau_sp, tau.g2_spx),
        ),
        (
            "tauG2",
            same_ratio(tau.g1_s, tau.g1_sx, prev.tau_g2, cur.tau_g2),
        ),
        (
            "alphaG1",
            same_ratio(prev.alpha_g1, cur.alpha_g1, alpha_sp, alpha.g2_spx),
        ),
        (
            "betaG1",
            same_ratio(prev.beta_g1, cur.beta_g1, beta_sp, beta.g2_spx),
        ),
        (
            "betaG2",
            same_ratio(beta.g1_s, beta.g1_sx, prev.beta_g2, cur.beta_g2),
        ),
    ];
    match checks.into_iter().find(|(_, ok)| !ok) {
        Some((what, _)) => Err(ContributionFault::NotChained { what }),
        None => Ok(()),
    }
}

/// The powers against the last record: consecutive ratios equal to its τ, first points equal
/// to the generators and its points.
fn check_powers(powers: &Powers, last: &Contribution) -> Result<()> {
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let data = |section: &'static str, reason: &'static str| Error::Phase1Data { section, reason };
    const RATIO: &str = "consecutive powers do not have the ratio τ of the last contribution";

    let (r1, r2) = shifted_combinations(&powers.tau_g1);
    if !same_ratio(r1, r2, g2, last.tau_g2) {
        return Err(data("tauG1", RATIO));
    }
    if powers.tau_g1[0] != g1 {
        return Err(data("tauG1", "the first point is not the generator"));
    }
    if powers.tau_g1[1] != last.tau_g1 {
        return Err(data(
            "tauG1",
            "the second point is not the last contribution's [τ]₁",
        ));
    }

    let (r1, r2) = shifted_combinations(&powers.tau_g2);
    if !same_ratio(g1, last.tau_g1, r1, r2) {
        return Err(data("tauG2", RATIO));
    }
    if powers.tau_g2[0] != g2 {
        return Err(data("tauG2", "the first point is not the generator"));
    }
    if powers.tau_g2[1] != last.tau_g2 {
        return Err(data(
            "tauG2",
            "the second point is not the last contribution's [τ]₂",
        ));
    }

    for (section, points, first) in [
        ("alphaTauG1", &powers.alpha_tau_g1, last.alpha_g1),
        ("betaTauG1", &powers.beta_tau_g1, last.beta_g1),
    ] {
        let (r1, r2) = shifted_combinations(points);
        if !same_ratio(r1, r2, g2, last.tau_g2) {
            return Err(data(section, RATIO));
        }
        if points[0] != first {
            return Err(data(
                section,
                "the first point is not the last contribution's",
            ));
        }
    }
    if powers.beta_g2 != last.beta_g2 {
        return Err(data("betaG2", "[β]₂ is not the last contribution's"));
    }
    Ok(())
}

/// Reads the Lagrange block of the domain `2^q` from sections 12-15 and checks it against the
/// monomial powers.
fn check_lagrange_block(
    file: &mut super::binfile::BinFile,
    powers: &Powers,
    q: u32,
) -> Result<LagrangeBasis> {
    let (start, count) = ((1usize << q) - 1, 1usize << q);
    let basis = LagrangeBasis {
        tau_g1: read_points(
            file,
            section::LAGRANGE_TAU_G1,
            "lagrangeTauG1",
            start,
            count,
        )?,
        tau_g2: read_points(
            file,
            section::LAGRANGE_TAU_G2,
            "lagrangeTauG2",
            start,
            count,
        )?,
        alpha_tau_g1: read_points(
            file,
            section::LAGRANGE_ALPHA_TAU_G1,
            "lagrangeAlphaTauG1",
            start,
            count,
        )?,
        beta_tau_g1: read_points(
            file,
            section::LAGRANGE_BETA_TAU_G1,
            "lagrangeBetaTauG1",
            start,
            count,
        )?,
    };
    let fault = |section| {
        Err(Error::Lagrange {
            section,
            domain_log: q,
        })
    };
    if !is_lagrange_of(&powers.tau_g1[..count], &basis.tau_g1, q) {
        return fault("lagrangeTauG1");
    }
    if !is_lagrange_of(&powers.tau_g2[..count], &basis.tau_g2, q) {
        return fault("lagrangeTauG2");
    }
    if !is_lagrange_of(&powers.alpha_tau_g1[..count], &basis.alpha_tau_g1, q) {
        return fault("lagrangeAlphaTauG1");
    }
    if !is_lagrange_of(&powers.beta_tau_g1[..count], &basis.beta_tau_g1, q) {
        return fault("lagrangeBetaTauG1");
    }
    Ok(basis)
}

/// BLAKE2b-512 of a whole file, streamed.
fn file_blake2b(path: &Path) -> Result<Hash64> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut hasher = Blake2b::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(io)?;
        if read == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buffer[..read]);
    }
}
