//! Verification of a phase 2 transcript and of the params it ends with.
//!
//! [`verify_chain`] checks every record in order: its position and previous link, that each
//! circuit's part starts from the params the record before produced, the proof of knowledge,
//! that δ₁ moved by the proven secret and δ₂ with it, a beacon's secret against its value, and
//! finally its link. [`verify_params`] then checks that the latest params are the initial ones
//! with δ changed: same δ as the last record, and `L`, `H` divided by it, by a random linear
//! combination and one pairing each (intermediate params are not needed).

use ark_bn254::{G1Affine, G1Projective, G2Affine};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};

use super::{
    contribute::{beacon_hash, beacon_secrets, challenge},
    params::{FixedPart, Params},
};
use crate::{
    error::ContributionFault,
    ffjs::hash_to_g2,
    pairing::{random_scalars, same_ratio},
    transcript::{genesis_link, CircuitRecord, Hash32, Record, RecordKind, Transcript},
    Error, Result,
};

/// The circuit named by a fault of a whole record (its position or its links).
pub const EVERY_CIRCUIT: &str = "(every circuit)";

/// Checks every record of `transcript` (see the module docs); the first fault found is named
/// by its contribution index and circuit.
pub fn verify_chain(transcript: &Transcript) -> Result<()> {
    let circuits = &transcript.circuits;
    let genesis = genesis_link(circuits);
    if transcript.genesis != genesis {
        return Err(Error::Transcript {
            reason: format!(
                "the genesis link is {}, the circuits hash to {genesis}",
                transcript.genesis
            ),
        });
    }
    let mut prev: Option<&Record> = None;
    for (position, record) in transcript.contributions.iter().enumerate() {
        let index = position + 1;
        // Record-level faults (position, links) concern every circuit of the record.
        let fault = |circuit: Option<usize>, reason| Error::Contribution {
            index,
            circuit: circuit
                .and_then(|c| circuits.get(c))
                .map_or_else(|| EVERY_CIRCUIT.to_owned(), |c| c.id.clone()),
            reason,
        };
        if record.index != index {
            return Err(fault(
                None,
                ContributionFault::OutOfOrder {
                    recorded: record.index,
                },
            ));
        }
        let prev_link = prev.map_or(transcript.genesis, |p| p.link);
        if record.prev_link != prev_link {
            return Err(fault(None, ContributionFault::BrokenLink));
        }
        if record.circuits.len() != circuits.len() {
            return Err(Error::Transcript {
                reason: format!(
                    "contribution {index} has {} circuits, the ceremony {}",
                    record.circuits.len(),
                    circuits.len()
                ),
            });
        }
        if (record.kind == RecordKind::Beacon) != record.beacon.is_some() {
            return Err(fault(None, ContributionFault::Beacon { what: "kind" }));
        }
        let beacon = record.beacon.as_ref().map(beacon_hash).transpose()?;
        for (c, part) in record.circuits.iter().enumerate() {
            let before = prev.map_or(circuits[c].initial_params, |p| p.circuits[c].params_after);
            let delta_before =
                prev.map_or(G1Affine::generator(), |p| p.circuits[c].delta_after_g1.0);
            check_part(part, before, delta_before, &prev_link, c, beacon.as_ref())
                .map_err(|reason| fault(Some(c), reason))?;
        }
        if record.compute_link() != record.link {
            return Err(fault(None, ContributionFault::BrokenLink));
        }
        prev = Some(record);
    }
    if transcript.transcript_hash != transcript.head() {
        return Err(Error::TranscriptHash {
            recorded: transcript.transcript_hash.to_string(),
            computed: transcript.head().to_string(),
        });
    }
    Ok(())
}

/// The checks of one circuit's part of a record.
fn check_part(
    part: &CircuitRecord,
    params_before: Hash32,
    delta_before: G1Affine,
    prev_link: &Hash32,
    circuit: usize,
    beacon: Option<&[u8; 32]>,
) -> Result<(), ContributionFault> {
    if part.params_before != params_before {
        return Err(ContributionFault::WrongBase {
            expected: params_before.to_string(),
            found: part.params_before.to_string(),
        });
    }
    let (x, xs, rs) = (part.x_g1.0, part.xs_g1.0, part.rs_g2.0);
    let (delta_g1, delta_g2) = (part.delta_after_g1.0, part.delta_after_g2.0);
    // `same_ratio` refuses identity points: an `x` or δ of zero fails here.
    let r = hash_to_g2(&challenge(prev_link, circuit, &x, &xs));
    if !same_ratio(x, xs, r, rs) {
        return Err(ContributionFault::ProofOfKnowledge { key: "delta" });
    }
    if !same_ratio(delta_before, delta_g1, r, rs) {
        return Err(ContributionFault::NotChained { what: "deltaG1" });
    }
    if !same_ratio(
        G1Affine::generator(),
        delta_g1,
        G2Affine::generator(),
        delta_g2,
    ) {
        return Err(ContributionFault::NotChained { what: "deltaG2" });
    }
    if let Some(hash) = beacon {
        let secrets = beacon_secrets(hash, circuit);
        let g1 = G1Affine::generator();
        let expected = [
            ((g1 * *secrets.x).into_affine(), x, "xG1"),
            ((g1 * (*secrets.x * *secrets.s)).into_affine(), xs, "xsG1"),
            (
                (delta_before * *secrets.s).into_affine(),
                delta_g1,
                "deltaAfterG1",
            ),
        ];
        if let Some((_, _, what)) = expected.iter().find(|(want, got, _)| want != got) {
            return Err(ContributionFault::Beacon { what });
        }
    }
    Ok(())
}

/// Checks that `latest`, the params of the last record for the circuit at `circuit`, follow
/// from `initial` (contribution 0) under `fixed`; the files' hashes are checked against the
/// transcript by the caller.
pub fn verify_params(
    transcript: &Transcript,
    circuit: usize,
    fixed: &FixedPart,
    fixed_hash: [u8; 32],
    initial: &Params,
    latest: &Params,
) -> Result<()> {
    let entry = transcript
        .circuits
        .get(circuit)
        .ok_or_else(|| Error::Transcript {
            reason: format!("no circuit at position {circuit}"),
        })?;
    let index = transcript.contributions.len();
    let mismatch = |what| Error::ParamsMismatch {
        index,
        circuit: entry.id.clone(),
        what,
    };
    let n = 1usize << fixed.domain_log;
    let same_fixed = [initial.fixed_hash, latest.fixed_hash]
        .iter()
        .all(|h| *h == fixed_hash)
        && fixed.num_witness == entry.num_witness
        && fixed.num_instance == entry.num_instance
        && fixed.circuit_digest == entry.digest.0;
    if !same_fixed {
        return Err(mismatch("fixed part"));
    }
    if initial.index != 0
        || initial.delta_g1 != G1Affine::generator()
        || initial.delta_g2 != G2Affine::generator()
    {
        return Err(mismatch("initial params"));
    }
    let sizes_ok = [initial, latest]
        .iter()
        .all(|p| p.l_query.len() as u64 == fixed.num_witness && p.h_query.len() == n - 1)
        && latest.index as usize == index;
    if !sizes_ok {
        return Err(mismatch("size"));
    }
    let (delta_g1, delta_g2) = match transcript.contributions.last() {
        Some(record) => {
            let part = &record.circuits[circuit];
            (part.delta_after_g1.0, part.delta_after_g2.0)
        }
        None => (G1Affine::generator(), G2Affine::generator()),
    };
    if latest.delta_g1 != delta_g1 || latest.delta_g2 != delta_g2 {
        return Err(mismatch("delta"));
    }
    if !divided_by_delta(&initial.l_query, &latest.l_query, delta_g2) {
        return Err(mismatch("L"));
    }
    if !divided_by_delta(&initial.h_query, &latest.h_query, delta_g2) {
        return Err(mismatch("H"));
    }
    Ok(())
}

/// Whether `latest[i] = initial[i]/δ` for every `i`, by a random linear combination with
/// 128-bit coefficients from the OS: `e(Σ rᵢ·latestᵢ, [δ]₂) = e(Σ rᵢ·initialᵢ, g₂)`.
fn divided_by_delta(initial: &[G1Affine], latest: &[G1Affine], delta_g2: G2Affine) -> bool {
    if initial.len() != latest.len() {
        return false;
    }
    let r = random_scalars(initial.len());
    let (Ok(latest), Ok(initial)) = (
        G1Projective::msm(latest, &r),
        G1Projective::msm(initial, &r),
    ) else {
        return false;
    };
    let (latest, initial) = (latest.into_affine(), initial.into_affine());
    if latest.is_zero() || initial.is_zero() {
        // Only all-identity queries (or a 2^-128 accident) sum to zero on both sides.
        return latest.is_zero() && initial.is_zero();
    }
    same_ratio(latest, initial, G2Affine::generator(), delta_g2)
}
