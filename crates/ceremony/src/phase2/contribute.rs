//! A contribution: `δ ← s·δ`, `H, L ← s⁻¹·(H, L)` for a secret `s` per circuit, with a proof of
//! knowledge of `s`; and the beacon, a contribution whose secret is derived from a public value.
//!
//! Proof of knowledge (as phase2-bn254's `PublicKey`): for a random `x`, publish `[x]₁`,
//! `[x·s]₁` and `s·r` where `r = hash_to_g2(challenge)` and the challenge hashes the previous
//! link, the circuit's position and both G1 points, so a proof cannot be replayed elsewhere.
//! `e([x]₁, s·r) = e([x·s]₁, r)` shows the contributor knows `s`; `e(δ_prev, s·r) = e(δ, r)`
//! shows δ moved by that same `s`.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, UniformRand};
use ark_serialize::CanonicalSerialize;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sha2::Sha256;
use sha3::{Digest, Keccak256};
use zeroize::Zeroizing;

use super::params::{CeremonyFile, Params};
use crate::{
    ffjs::hash_to_g2,
    transcript::{BeaconValue, CircuitRecord, Hash32, Point, Record, RecordKind, Transcript},
    Error, Result,
};

/// Domain separator of the proof-of-knowledge challenge.
const POK_DOMAIN: &[u8] = b"fernet-ceremony/pok/v1";

/// Domain separator of a beacon's per-circuit seed.
const BEACON_DOMAIN: &[u8] = b"fernet-ceremony/beacon/v1";

/// The largest beacon iteration exponent (2^40 SHA-256 runs take days).
pub const MAX_BEACON_ITERATIONS_EXP: u32 = 40;

/// Points rescaled per step of the progress bar (and per parallel batch normalization).
const CHUNK: usize = 4096;

/// The secrets of one circuit's contribution, wiped when dropped (best effort: arithmetic on
/// them makes temporary copies the compiler may leave on the stack).
pub struct Secrets {
    /// δ is multiplied by `s`.
    pub s: Zeroizing<Fr>,
    /// The blinding of the proof of knowledge.
    pub x: Zeroizing<Fr>,
}

impl Secrets {
    /// Fresh secrets from `rng`, neither zero.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut nonzero = || loop {
            let value = Zeroizing::new(Fr::rand(rng));
            if !ark_ff::Zero::is_zero(&*value) {
                return value;
            }
        };
        Self {
            s: nonzero(),
            x: nonzero(),
        }
    }
}

/// The challenge of a proof of knowledge: keccak256 of `"fernet-ceremony/pok/v1"`, the previous
/// link, the `u32` big-endian position of the circuit, and `x_g1`, `xs_g1` uncompressed.
pub fn challenge(
    prev_link: &Hash32,
    circuit: usize,
    x_g1: &G1Affine,
    xs_g1: &G1Affine,
) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(POK_DOMAIN);
    hasher.update(prev_link.0);
    hasher.update((circuit as u32).to_be_bytes());
    for point in [x_g1, xs_g1] {
        point
            .serialize_uncompressed(&mut hasher)
            .expect("hashing cannot fail");
    }
    hasher.finalize().into()
}

/// `params` with `δ ← s·δ` and `H, L ← s⁻¹·(H, L)`, recorded as contribution `index`.
///
/// `s` must not be zero. `bar`, if any, advances by the points rescaled.
pub fn apply(params: &Params, s: Fr, index: u32, bar: Option<&ProgressBar>) -> Params {
    let s_inv = Zeroizing::new(s.inverse().expect("a contribution secret is not zero"));
    let rescale = |points: &[G1Affine]| -> Vec<G1Affine> {
        points
            .par_chunks(CHUNK)
            .flat_map_iter(|chunk| {
                let scaled: Vec<G1Projective> = chunk.iter().map(|p| *p * *s_inv).collect();
                if let Some(bar) = bar {
                    bar.inc(chunk.len() as u64);
                }
                G1Projective::normalize_batch(&scaled)
            })
            .collect()
    };
    Params {
        fixed_hash: params.fixed_hash,
        index,
        delta_g1: (params.delta_g1 * s).into_affine(),
        delta_g2: (params.delta_g2 * s).into_affine(),
        h_query: rescale(&params.h_query),
        l_query: rescale(&params.l_query),
    }
}

/// One circuit's record and new params for `secrets`, on top of `params` (whose hash is
/// `params_hash`).
fn contribute_circuit(
    params: &Params,
    params_hash: [u8; 32],
    prev_link: &Hash32,
    circuit: usize,
    index: usize,
    secrets: &Secrets,
    bar: Option<&ProgressBar>,
) -> (CircuitRecord, Params) {
    let x_g1 = (G1Affine::generator() * *secrets.x).into_affine();
    let xs_g1 = (x_g1 * *secrets.s).into_affine();
    let r_g2 = hash_to_g2(&challenge(prev_link, circuit, &x_g1, &xs_g1));
    let rs_g2 = (r_g2 * *secrets.s).into_affine();
    let after = apply(params, *secrets.s, index as u32, bar);
    let record = CircuitRecord {
        params_before: Hash32(params_hash),
        params_after: Hash32(after.hash()),
        x_g1: Point(x_g1),
        xs_g1: Point(xs_g1),
        rs_g2: Point(rs_g2),
        delta_after_g1: Point(after.delta_g1),
        delta_after_g2: Point(after.delta_g2),
    };
    (record, after)
}

/// Builds the next record of `transcript` on top of `params` (one per circuit, the latest),
/// drawing each circuit's secrets from `secrets`; returns the record (not yet appended) and the
/// new params.
fn contribute_with(
    transcript: &Transcript,
    params: &[Params],
    name: &str,
    kind: RecordKind,
    beacon: Option<BeaconValue>,
    mut secrets: impl FnMut(usize) -> Secrets,
    progress: Option<&MultiProgress>,
) -> Result<(Record, Vec<Params>)> {
    if params.len() != transcript.circuits.len() {
        return Err(Error::Transcript {
            reason: format!(
                "{} params for {} circuits",
                params.len(),
                transcript.circuits.len()
            ),
        });
    }
    let index = transcript.next_index();
    let prev_link = transcript.head();
    let mut circuits = Vec::with_capacity(params.len());
    let mut after = Vec::with_capacity(params.len());
    for (position, (params, entry)) in params.iter().zip(&transcript.circuits).enumerate() {
        let bar = progress.map(|multi| {
            let bar = multi.add(ProgressBar::new(
                (params.h_query.len() + params.l_query.len()) as u64,
            ));
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} points ({eta})")
                    .expect("a valid template"),
            );
            bar.set_message(entry.id.clone());
            bar
        });
        let secrets = secrets(position);
        let (record, new_params) = contribute_circuit(
            params,
            params.hash(),
            &prev_link,
            position,
            index,
            &secrets,
            bar.as_ref(),
        );
        if let Some(bar) = bar {
            bar.finish();
        }
        circuits.push(record);
        after.push(new_params);
    }
    let record = Record {
        index,
        name: name.to_owned(),
        kind,
        prev_link,
        circuits,
        beacon,
        link: Hash32::default(),
    };
    Ok((record, after))
}

/// The next contribution of `transcript`, by `name`, on top of `params` (the latest params of
/// every circuit, in the transcript's order), with secrets drawn from `rng` and wiped after.
///
/// Returns the record, to [`Transcript::append`], and the new params. `params` are not checked
/// against the transcript here (verification does, [`crate::phase2::verify`]).
pub fn contribute<R: RngCore + CryptoRng>(
    transcript: &Transcript,
    params: &[Params],
    name: &str,
    rng: &mut R,
    progress: Option<&MultiProgress>,
) -> Result<(Record, Vec<Params>)> {
    contribute_with(
        transcript,
        params,
        name,
        RecordKind::Contribution,
        None,
        |_| Secrets::random(rng),
        progress,
    )
}

/// `sha256` iterated `2^iterations_exp` times over the beacon value (snarkjs'
/// `rngFromBeaconParams` loop): the delay that makes grinding the beacon costly.
pub fn beacon_hash(beacon: &BeaconValue) -> Result<[u8; 32]> {
    if beacon.iterations_exp > MAX_BEACON_ITERATIONS_EXP {
        return Err(Error::BeaconIterations {
            exp: beacon.iterations_exp,
            max: MAX_BEACON_ITERATIONS_EXP,
        });
    }
    let mut hash: [u8; 32] = beacon.value.0;
    for _ in 0..(1u64 << beacon.iterations_exp) {
        hash = Sha256::digest(hash).into();
    }
    Ok(hash)
}

/// The beacon's secrets for the circuit at `circuit`: `s` then `x` from a ChaCha20 RNG seeded
/// with keccak256 of `"fernet-ceremony/beacon/v1"`, the iterated hash and the `u32` position.
pub fn beacon_secrets(hash: &[u8; 32], circuit: usize) -> Secrets {
    let mut hasher = Keccak256::new();
    hasher.update(BEACON_DOMAIN);
    hasher.update(hash);
    hasher.update((circuit as u32).to_be_bytes());
    let mut rng = ChaCha20Rng::from_seed(hasher.finalize().into());
    Secrets::random(&mut rng)
}

/// The beacon contribution of `value`: deterministic, so anyone can recompute it.
pub fn beacon(
    transcript: &Transcript,
    params: &[Params],
    value: BeaconValue,
    progress: Option<&MultiProgress>,
) -> Result<(Record, Vec<Params>)> {
    let hash = beacon_hash(&value)?;
    contribute_with(
        transcript,
        params,
        "beacon",
        RecordKind::Beacon,
        Some(value),
        |circuit| beacon_secrets(&hash, circuit),
        progress,
    )
}
