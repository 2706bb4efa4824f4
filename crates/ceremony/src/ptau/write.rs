//! A local phase 1 that writes snarkjs-compatible files: `new`, `contribute`, `beacon` and
//! `prepare phase2`, as snarkjs' `powersoftau` commands do.

use std::path::Path;

use ark_bn254::{g2, Fr, G1Affine, G2Affine};
use ark_ec::{scalar_mul::glv::GLVConfig, AffineRepr, CurveGroup};
use ark_ff::{Field, One};
use indicatif::ProgressBar;
use rand::{rngs::OsRng, RngCore};
use rayon::prelude::*;

use super::{
    binfile, encode_lem, encode_with, open,
    record::{
        create_key, first_challenge_hash, read_contributions, write_contributions, BeaconParams,
        Contribution, Hash64, PublicKey, Secrets,
    },
    section, Powers, PtauHeader, MAGIC,
};
use crate::{
    blake2b::Blake2b,
    encoding::FfjsPoint,
    ffjs::{beacon_rng, FfjsChaCha},
    lagrange::to_lagrange,
    Error, Result,
};

/// Points scaled per parallel task (and per progress step).
const CHUNK: usize = 1 << 10;

/// Writes a fresh `.ptau` file of `2^power`: every power a generator, no contribution
/// (`snarkjs powersoftau new bn128 <power>`).
pub fn new_ptau(path: &Path, power: u32) -> Result<()> {
    if power == 0 || power > super::MAX_POWER {
        return Err(Error::UnsupportedPtau {
            reason: format!("power {power} is not in 1..={}", super::MAX_POWER),
        });
    }
    let header = PtauHeader {
        power,
        ceremony_power: power,
    };
    let powers = Powers {
        tau_g1: vec![G1Affine::generator(); header.tau_g1_count()],
        tau_g2: vec![G2Affine::generator(); header.tau_g2_count()],
        alpha_tau_g1: vec![G1Affine::generator(); header.tau_g2_count()],
        beta_tau_g1: vec![G1Affine::generator(); header.tau_g2_count()],
        beta_g2: G2Affine::generator(),
    };
    write_file(path, header, &powers, &[])
}

/// Adds a contribution with fresh secrets: 64 bytes from the operating system and the caller's
/// `entropy`, hashed into the ffjavascript ChaCha stream snarkjs draws its keys from. Returns the
/// contribution's response hash. `progress`, if given, counts the points scaled.
pub fn contribute(
    input: &Path,
    output: &Path,
    name: &str,
    entropy: &[u8],
    progress: Option<&ProgressBar>,
) -> Result<Hash64> {
    let mut hasher = Blake2b::new();
    let mut os = [0u8; 64];
    OsRng.fill_bytes(&mut os);
    hasher.update(&os);
    hasher.update(entropy);
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&hasher.finalize()[..32]);
    let mut rng = FfjsChaCha::from_hash(&seed);
    apply(input, output, name, None, progress, |challenge| {
        create_key(challenge, &mut rng)
    })
}

/// Adds the beacon contribution: its secrets are derived from a public value announced in advance
/// (`hash`, 1-255 bytes) by `2^iterations_exp` SHA-256 (10 to 63), so anyone can check them.
/// Returns its response hash.
pub fn beacon(
    input: &Path,
    output: &Path,
    hash: &[u8],
    iterations_exp: u8,
    name: &str,
) -> Result<Hash64> {
    let params = BeaconParams::new(hash.to_vec(), iterations_exp)?;
    let mut rng = beacon_rng(&params.hash, params.iterations_exp);
    apply(input, output, name, Some(params), None, |challenge| {
        create_key(challenge, &mut rng)
    })
}

/// Reads `input`, applies the secrets `keygen` draws for its last challenge and writes `output`
/// with the new record.
fn apply(
    input: &Path,
    output: &Path,
    name: &str,
    beacon: Option<BeaconParams>,
    progress: Option<&ProgressBar>,
    keygen: impl FnOnce(&Hash64) -> (Secrets, PublicKey),
) -> Result<Hash64> {
    let (mut file, header) = open(input)?;
    if header.power != header.ceremony_power {
        return Err(Error::UnsupportedPtau {
            reason: format!(
                "power {} was cut from a ceremony of power {}: contribute to the full file",
                header.power, header.ceremony_power
            ),
        });
    }
    let mut records = read_contributions(&file.read_section(section::CONTRIBUTIONS)?, input)?;
    let mut powers = Powers::read(&mut file, header.tau_g1_count(), header.tau_g2_count())?;
    let prev_challenge = records.last().map_or_else(
        || first_challenge_hash(header.ceremony_power),
        |r| r.next_challenge,
    );
    let (secrets, key) = keygen(&prev_challenge);

    if let Some(bar) = progress {
        bar.set_length((header.tau_g1_count() + 3 * header.tau_g2_count() + 1) as u64);
    }
    scale(&mut powers.tau_g1, Fr::one(), secrets.tau, mul_g1, progress);
    scale(&mut powers.tau_g2, Fr::one(), secrets.tau, mul_g2, progress);
    scale(
        &mut powers.alpha_tau_g1,
        secrets.alpha,
        secrets.tau,
        mul_g1,
        progress,
    );
    scale(
        &mut powers.beta_tau_g1,
        secrets.beta,
        secrets.tau,
        mul_g1,
        progress,
    );
    powers.beta_g2 = mul_g2(powers.beta_g2, secrets.beta).into_affine();
    drop(secrets);

    let mut response = Blake2b::new();
    response.update(&prev_challenge);
    response.update(&encode_with(&powers.tau_g1, FfjsPoint::write_c));
    response.update(&encode_with(&powers.tau_g2, FfjsPoint::write_c));
    response.update(&encode_with(&powers.alpha_tau_g1, FfjsPoint::write_c));
    response.update(&encode_with(&powers.beta_tau_g1, FfjsPoint::write_c));
    response.update(&encode_with(&[powers.beta_g2], FfjsPoint::write_c));
    let partial_hash = response.export();
    response.update(&key.to_u());
    let response_hash = response.finalize();

    let mut next = Blake2b::new();
    next.update(&response_hash);
    powers.hash_u(&mut next);

    records.push(Contribution {
        tau_g1: powers.tau_g1[1],
        tau_g2: powers.tau_g2[1],
        alpha_g1: powers.alpha_tau_g1[0],
        beta_g1: powers.beta_tau_g1[0],
        beta_g2: powers.beta_g2,
        key,
        partial_hash,
        next_challenge: next.finalize(),
        name: Some(name.to_string()).filter(|name| !name.is_empty()),
        beacon,
    });
    write_file(output, header, &powers, &records)?;
    if let Some(bar) = progress {
        bar.inc(1);
    }
    Ok(response_hash)
}

/// A G1 point times a scalar (ark-bn254 uses GLV for G1).
fn mul_g1(point: G1Affine, scalar: Fr) -> ark_bn254::G1Projective {
    point * scalar
}

/// A G2 point times a scalar, with GLV (ark-bn254's G2 default multiplication is not).
fn mul_g2(point: G2Affine, scalar: Fr) -> ark_bn254::G2Projective {
    <g2::Config as GLVConfig>::glv_mul_projective(point.into_group(), scalar)
}

/// snarkjs' `batchApplyKey`: point `i` times `first·inc^i`, in parallel chunks.
fn scale<G: AffineRepr<ScalarField = Fr>>(
    points: &mut [G],
    first: Fr,
    inc: Fr,
    mul: fn(G, Fr) -> G::Group,
    progress: Option<&ProgressBar>,
) {
    let step = inc.pow([CHUNK as u64]);
    let mut starts = Vec::with_capacity(points.len().div_ceil(CHUNK));
    let mut start = first;
    for _ in 0..points.len().div_ceil(CHUNK) {
        starts.push(start);
        start *= step;
    }
    points
        .par_chunks_mut(CHUNK)
        .zip(starts)
        .for_each(|(chunk, start)| {
            let mut factor = start;
            let scaled: Vec<G::Group> = chunk
                .iter()
                .map(|&point| {
                    let out = mul(point, factor);
                    factor *= inc;
                    out
                })
                .collect();
            chunk.copy_from_slice(&G::Group::normalize_batch(&scaled));
            if let Some(bar) = progress {
                bar.inc(chunk.len() as u64);
            }
        });
}

/// Writes sections 1-7.
fn write_file(
    path: &Path,
    header: PtauHeader,
    powers: &Powers,
    records: &[Contribution],
) -> Result<()> {
    let header_bytes = header.to_bytes();
    let data = powers.to_sections();
    let records_bytes = write_contributions(records);
    let mut sections: Vec<(u32, &[u8])> = vec![(section::HEADER, &header_bytes)];
    sections.extend(data.iter().map(|(id, bytes)| (*id, bytes.as_slice())));
    sections.push((section::CONTRIBUTIONS, &records_bytes));
    binfile::write(path, MAGIC, &sections)
}

/// Adds the Lagrange sections 12-15 to a file, as `snarkjs powersoftau prepare phase2`: for every
/// domain `2^q` (`q ≤ power`, and `power + 1` for `[τ^i]₁`), the group IFFT of the powers. The
/// input is not verified here: verify the output.
pub fn prepare_phase2(input: &Path, output: &Path) -> Result<()> {
    let (mut file, header) = open(input)?;
    let powers = Powers::read(&mut file, header.tau_g1_count(), header.tau_g2_count())?;
    let records = file.read_section(section::CONTRIBUTIONS)?;
    let blocks = |last: u32, monomial: &dyn Fn(u32) -> Vec<u8>| -> Vec<u8> {
        (0..=last).map(monomial).collect::<Vec<_>>().concat()
    };
    let lagrange_tau_g1 = blocks(header.power + 1, &|q| {
        encode_lem(&to_lagrange(&powers.tau_g1, q))
    });
    let lagrange_tau_g2 = blocks(header.power, &|q| {
        encode_lem(&to_lagrange(&powers.tau_g2, q))
    });
    let lagrange_alpha = blocks(header.power, &|q| {
        encode_lem(&to_lagrange(&powers.alpha_tau_g1, q))
    });
    let lagrange_beta = blocks(header.power, &|q| {
        encode_lem(&to_lagrange(&powers.beta_tau_g1, q))
    });

    let header_bytes = header.to_bytes();
    let data = powers.to_sections();
    let mut sections: Vec<(u32, &[u8])> = vec![(section::HEADER, &header_bytes)];
    sections.extend(data.iter().map(|(id, bytes)| (*id, bytes.as_slice())));
    sections.push((section::CONTRIBUTIONS, &records));
    sections.extend([
        (section::LAGRANGE_TAU_G1, lagrange_tau_g1.as_slice()),
        (section::LAGRANGE_TAU_G2, &lagrange_tau_g2),
        (section::LAGRANGE_ALPHA_TAU_G1, &lagrange_alpha),
        (section::LAGRANGE_BETA_TAU_G1, &lagrange_beta),
    ]);
    binfile::write(output, MAGIC, &sections)
}
