//! Tampered phase 2 ceremonies are rejected, naming the contribution and the reason.

use std::path::Path;

use ark_bn254::G1Affine;
use ark_ec::{AffineRepr, CurveGroup};
use fernet_ceremony::{
    ceremony_dir::CeremonyDir,
    phase2::{
        contribute::contribute,
        params::{CeremonyFile, Params},
        verify::{verify_chain, EVERY_CIRCUIT},
    },
    transcript::{Hash32, Point, RecordKind, Transcript},
    ContributionFault, Error,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::phase2::{beacon_value, copy_dir, test_ceremony};

/// The contribution index and fault of a rejection, checking it names `circuit` (the test
/// circuit's id, or [`EVERY_CIRCUIT`] for a fault of the whole record).
fn rejection(result: fernet_ceremony::Result<()>, circuit: &str) -> (usize, ContributionFault) {
    match result {
        Err(Error::Contribution {
            index,
            circuit: named,
            reason,
        }) => {
            assert_eq!(named, circuit, "{reason}");
            (index, reason)
        }
        other => panic!("expected a rejected contribution, got {other:?}"),
    }
}

/// `2·point`: a valid point that is not the right one.
fn doubled(point: G1Affine) -> G1Affine {
    (point + point).into_affine()
}

/// Appends to the ceremony in `dir` a contribution whose params `edit` changes after the fact,
/// with the record pointing at the edited params (a participant who lies consistently).
fn append_edited(dir: &Path, base: Option<usize>, edit: impl FnOnce(&mut Params)) -> Transcript {
    let ceremony = CeremonyDir::new(dir);
    let mut transcript = ceremony.transcript().unwrap();
    let params = match base {
        Some(index) => {
            let id = &transcript.circuits[0].id;
            vec![Params::read(&ceremony.params_path(id, index)).unwrap().0]
        }
        None => ceremony.latest_params(&transcript).unwrap(),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let (mut record, mut after) =
        contribute(&transcript, &params, "mallory", &mut rng, None).unwrap();
    edit(&mut after[0]);
    record.circuits[0].params_after = Hash32(after[0].hash());
    let id = transcript.circuits[0].id.clone();
    after[0]
        .write(&ceremony.params_path(&id, record.index))
        .unwrap();
    transcript.append(record);
    transcript.save(&ceremony.transcript_path()).unwrap();
    transcript
}

#[test]
fn tampered_transcripts_are_rejected() {
    let base = tempfile::tempdir().unwrap();
    let ceremony = test_ceremony(base.path(), 3);
    let transcript = ceremony.transcript().unwrap();
    verify_chain(&transcript).unwrap();
    let id = transcript.circuits[0].id.clone();

    // A forged proof of knowledge in record 2.
    let mut forged = transcript.clone();
    let part = &mut forged.contributions[1].circuits[0];
    part.xs_g1 = Point(doubled(part.xs_g1.0));
    assert_eq!(
        rejection(verify_chain(&forged), &id),
        (2, ContributionFault::ProofOfKnowledge { key: "delta" })
    );

    // δ₁ of record 2 replaced: not the previous δ times the proven secret.
    let mut forged = transcript.clone();
    let part = &mut forged.contributions[1].circuits[0];
    part.delta_after_g1 = Point(doubled(part.delta_after_g1.0));
    assert_eq!(
        rejection(verify_chain(&forged), &id),
        (2, ContributionFault::NotChained { what: "deltaG1" })
    );

    // Records 2 and 3 swapped.
    let mut swapped = transcript.clone();
    swapped.contributions.swap(1, 2);
    assert_eq!(
        rejection(verify_chain(&swapped), EVERY_CIRCUIT),
        (2, ContributionFault::OutOfOrder { recorded: 3 })
    );

    // Record 2 dropped; then record 3 renumbered to hide it: its previous link is record 2's.
    let mut dropped = transcript.clone();
    dropped.contributions.remove(1);
    assert_eq!(
        rejection(verify_chain(&dropped), EVERY_CIRCUIT),
        (2, ContributionFault::OutOfOrder { recorded: 3 })
    );
    dropped.contributions[1].index = 2;
    assert_eq!(
        rejection(verify_chain(&dropped), EVERY_CIRCUIT),
        (2, ContributionFault::BrokenLink)
    );

    // A participant's record relabelled as the beacon (without a beacon value).
    let mut relabelled = transcript.clone();
    relabelled.contributions[2].kind = RecordKind::Beacon;
    assert_eq!(
        rejection(verify_chain(&relabelled), EVERY_CIRCUIT),
        (3, ContributionFault::Beacon { what: "kind" })
    );

    // A name changed after the fact: every proof holds, the link does not.
    let mut renamed = transcript.clone();
    renamed.contributions[2].name = "someone else".into();
    assert_eq!(
        rejection(verify_chain(&renamed), EVERY_CIRCUIT),
        (3, ContributionFault::BrokenLink)
    );

    // One L point, then one H point, changed by a consistent liar (contribution 4).
    for (what, edit) in [
        (
            "L",
            (|p: &mut Params| p.l_query[3] = doubled(p.l_query[3])) as fn(&mut Params),
        ),
        ("H", |p: &mut Params| p.h_query[5] = doubled(p.h_query[5])),
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base.path(), dir.path());
        let transcript = append_edited(dir.path(), None, edit);
        verify_chain(&transcript).unwrap();
        match CeremonyDir::new(dir.path()).verify(None) {
            Err(Error::ParamsMismatch {
                index, what: found, ..
            }) => assert_eq!((index, found), (4, what)),
            other => panic!("{what}: expected ParamsMismatch, got {other:?}"),
        }
    }

    // A contribution built on params 0001 appended after 0002 (contribution 3 replaced).
    let dir = tempfile::tempdir().unwrap();
    test_ceremony(dir.path(), 2);
    let stale = append_edited(dir.path(), Some(1), |_| {});
    match rejection(verify_chain(&stale), &id) {
        (3, ContributionFault::WrongBase { expected, found }) => {
            assert_eq!(
                expected,
                stale.contributions[1].circuits[0].params_after.to_string()
            );
            assert_eq!(
                found,
                stale.contributions[0].circuits[0].params_after.to_string()
            );
        }
        other => panic!("expected WrongBase at 3, got {other:?}"),
    }
    // Nobody can contribute on top of it either.
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    assert!(matches!(
        CeremonyDir::new(dir.path()).contribute("bob", &mut rng, None),
        Err(Error::Contribution { index: 3, .. })
    ));
}

#[test]
fn edited_files_are_rejected_by_their_hash() {
    let dir = tempfile::tempdir().unwrap();
    let ceremony = test_ceremony(dir.path(), 1);
    let id = ceremony.transcript().unwrap().circuits[0].id.clone();
    let path = ceremony.params_path(&id, 1);
    let (mut params, _) = Params::read(&path).unwrap();
    params.l_query[0] = doubled(params.l_query[0]);
    params.write(&path).unwrap();
    assert!(matches!(ceremony.verify(None), Err(Error::FileHash { path: p, .. }) if p == path));

    // A record edited on disk without recomputing the links is refused when it is read.
    let original = ceremony.transcript().unwrap();
    let mut renamed = original.clone();
    renamed.contributions[0].name = "mallory".into();
    renamed.save(&ceremony.transcript_path()).unwrap();
    assert!(matches!(
        ceremony.verify(None),
        Err(Error::Contribution {
            index: 1,
            reason: ContributionFault::BrokenLink,
            ..
        })
    ));

    // The identity as δ (which would make the keys trivial) is refused by the chain check.
    let mut transcript = original;
    transcript.contributions[0].circuits[0].delta_after_g1 = Point(G1Affine::zero());
    assert_eq!(
        rejection(verify_chain(&transcript), &id),
        (1, ContributionFault::NotChained { what: "deltaG1" })
    );
}

#[test]
fn a_beacon_record_of_another_value_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let ceremony = test_ceremony(dir.path(), 1);
    ceremony.beacon(beacon_value(0x42), None).unwrap();
    let mut transcript = ceremony.transcript().unwrap();
    let id = transcript.circuits[0].id.clone();
    verify_chain(&transcript).unwrap();
    transcript.contributions[1].beacon = Some(beacon_value(0x43));
    assert_eq!(
        rejection(verify_chain(&transcript), &id),
        (2, ContributionFault::Beacon { what: "xG1" })
    );
}
