//! Our local phase 1: a ceremony verifies, and tampered files are rejected with the right
//! contribution index and reason.

use std::path::{Path, PathBuf};

use ark_bn254::G1Affine;
use ark_ec::{AffineRepr, CurveGroup};
use fernet_ceremony::{
    encoding::FfjsPoint,
    error::ContributionFault,
    powers::{import_ptau, LagrangeSource, PowersFile},
    ptau::{
        self,
        binfile::{self, BinFile},
        record::{read_contributions, write_contributions},
        section, MAGIC,
    },
    Error,
};

/// The beacon value of the tests (an L1 block hash in a real ceremony).
pub(crate) const BEACON: [u8; 32] = [0xbe; 32];

/// The files of a local ceremony: `new`, three contributions, the beacon, then prepared.
pub(crate) struct Ceremony {
    /// After the beacon (sections 1-7).
    pub(crate) beaconed: PathBuf,
    /// The same, prepared for phase 2 (sections 1-7 and 12-15).
    pub(crate) prepared: PathBuf,
}

/// Runs a local phase 1 of `2^power` in `dir`.
pub(crate) fn local_ceremony(dir: &Path, power: u32) -> eyre::Result<Ceremony> {
    let file = |i: usize| dir.join(format!("pot_{i:04}.ptau"));
    ptau::new_ptau(&file(0), power)?;
    for (i, name) in ["alice", "bob", "carol"].into_iter().enumerate() {
        ptau::contribute(&file(i), &file(i + 1), name, name.as_bytes(), None)?;
    }
    ptau::beacon(&file(3), &file(4), &BEACON, 10, "beacon")?;
    let prepared = dir.join("pot_final.ptau");
    ptau::prepare_phase2(&file(4), &prepared)?;
    Ok(Ceremony {
        beaconed: file(4),
        prepared,
    })
}

#[test]
fn phase1_local_ceremony_verifies() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let ceremony = local_ceremony(dir.path(), 10)?;

    let verified = ptau::verify(&ceremony.prepared)?;
    assert_eq!(verified.header.power, 10);
    assert_eq!(verified.contributions.len(), 4);
    assert!(verified.prepared);
    let names: Vec<_> = verified
        .contributions
        .iter()
        .map(|c| c.name.as_deref())
        .collect();
    assert_eq!(
        names,
        [Some("alice"), Some("bob"), Some("carol"), Some("beacon")]
    );
    let beacon = verified.contributions[3]
        .beacon
        .as_ref()
        .expect("a beacon record");
    assert_eq!(
        (beacon.hash.as_slice(), beacon.iterations_exp),
        (&BEACON[..], 10)
    );
    assert_eq!(
        verified.next_challenge,
        Some(verified.contributions[3].next_challenge)
    );
    assert!(!ptau::verify(&ceremony.beaconed)?.prepared);

    // The Lagrange points read from sections 12-15 equal our IFFT of the unprepared file.
    let out = dir.path().join("phase1-2^8.powers");
    let from_sections = import_ptau(&ceremony.prepared, 8, &out)?;
    assert_eq!(from_sections.lagrange, LagrangeSource::PtauSections);
    let from_ifft = import_ptau(&ceremony.beaconed, 8, &dir.path().join("ifft.powers"))?;
    assert_eq!(from_ifft.lagrange, LagrangeSource::Ifft);
    assert_eq!(from_sections.file.powers, from_ifft.file.powers);
    assert_eq!(PowersFile::read(&out)?, from_sections.file);
    assert_eq!(from_sections.file.powers.tau_g1.len(), 511);
    assert_eq!(
        from_sections.file.powers.beta_g2,
        verified.contributions[3].beta_g2
    );

    // A domain larger than the file, and a file nobody contributed to.
    let err = import_ptau(&ceremony.prepared, 11, &out).unwrap_err();
    assert!(
        matches!(
            err,
            Error::PowerTooSmall {
                needed: 11,
                available: 10
            }
        ),
        "{err}"
    );
    let fresh = dir.path().join("pot_0000.ptau");
    assert!(matches!(
        ptau::verify(&fresh),
        Err(Error::NoContributions { .. })
    ));
    Ok(())
}

/// Rewrites the sections of a `.ptau` file with `edit`, keeping their order.
fn rewrite(
    from: &Path,
    to: &Path,
    edit: impl FnOnce(&mut Vec<(u32, Vec<u8>)>),
) -> eyre::Result<()> {
    let mut file = BinFile::open(from, MAGIC)?;
    let mut ids: Vec<(u64, u32)> = Vec::new();
    for id in 1..=15 {
        if file.has(id) {
            ids.push((file.section(id)?.offset, id));
        }
    }
    ids.sort();
    let mut sections = Vec::new();
    for (_, id) in ids {
        sections.push((id, file.read_section(id)?));
    }
    edit(&mut sections);
    let borrowed: Vec<(u32, &[u8])> = sections
        .iter()
        .map(|(id, data)| (*id, data.as_slice()))
        .collect();
    binfile::write(to, MAGIC, &borrowed)?;
    Ok(())
}

/// The data of section `id`.
fn data(sections: &mut [(u32, Vec<u8>)], id: u32) -> &mut Vec<u8> {
    &mut sections
        .iter_mut()
        .find(|(found, _)| *found == id)
        .expect("section present")
        .1
}

/// Edits the contribution records of a file.
fn edit_records(
    from: &Path,
    to: &Path,
    edit: impl FnOnce(&mut Vec<fernet_ceremony::ptau::record::Contribution>),
) -> eyre::Result<()> {
    rewrite(from, to, |sections| {
        let records = data(sections, section::CONTRIBUTIONS);
        let mut parsed = read_contributions(records, from).expect("valid records");
        edit(&mut parsed);
        *records = write_contributions(&parsed);
    })
}

/// The contribution fault a verification failed with.
fn fault(result: fernet_ceremony::Result<ptau::VerifiedPtau>) -> (usize, ContributionFault) {
    match result {
        Err(Error::Phase1Contribution { index, reason }) => (index, reason),
        other => panic!("expected a contribution fault, got {other:?}"),
    }
}

#[test]
fn phase1_tampering_is_rejected_with_its_index() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let ceremony = local_ceremony(dir.path(), 6)?;
    let tampered = dir.path().join("tampered.ptau");
    let g1 = G1Affine::generator();

    // Another tau.g1_sx in record 2: its proof of knowledge breaks.
    edit_records(&ceremony.beaconed, &tampered, |records| {
        records[1].key.tau.g1_sx = (records[1].key.tau.g1_sx + g1).into_affine();
    })?;
    assert_eq!(
        fault(ptau::verify(&tampered)),
        (2, ContributionFault::ProofOfKnowledge { key: "tau" })
    );

    // A flipped byte of record 2's public key (its last point, beta.g2_spx): rejected at 2.
    rewrite(&ceremony.beaconed, &tampered, |sections| {
        let records = data(sections, section::CONTRIBUTIONS);
        // After the count, record 1 has a fixed part of 1504 bytes and "alice" as its only
        // parameter (7 bytes); a record's public key spans bytes 448..1216.
        let record2 = 4 + 1504 + 7;
        records[record2 + 1216 - 1] ^= 1;
    })?;
    let (index, reason) = fault(ptau::verify(&tampered));
    assert_eq!(index, 2, "{reason}");

    // Records 2 and 3 swapped: record 3's proofs were hashed from record 2's challenge.
    edit_records(&ceremony.beaconed, &tampered, |records| records.swap(1, 2))?;
    assert_eq!(
        fault(ptau::verify(&tampered)),
        (2, ContributionFault::ProofOfKnowledge { key: "tau" })
    );

    // Record 3 dropped: record 4 does not build on record 2.
    edit_records(&ceremony.beaconed, &tampered, |records| {
        records.remove(2);
    })?;
    assert_eq!(fault(ptau::verify(&tampered)).0, 3);

    // The beacon record claims another beacon value.
    edit_records(&ceremony.beaconed, &tampered, |records| {
        records[3].beacon.as_mut().expect("beacon").hash[0] ^= 1;
    })?;
    assert_eq!(
        fault(ptau::verify(&tampered)),
        (4, ContributionFault::Beacon { what: "tau" })
    );

    // One power of tauG1 replaced by another valid point.
    rewrite(&ceremony.beaconed, &tampered, |sections| {
        let points = data(sections, section::TAU_G1);
        let at = 5 * 64;
        let point = G1Affine::read_lem(&points[at..at + 64]).expect("valid");
        let mut other = Vec::new();
        (point + g1).into_affine().write_lem(&mut other);
        points[at..at + 64].copy_from_slice(&other);
    })?;
    let err = ptau::verify(&tampered).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Phase1Data {
                section: "tauG1",
                ..
            }
        ),
        "{err}"
    );

    // Two Lagrange points of the domain 2^3 swapped in section 13.
    rewrite(&ceremony.prepared, &tampered, |sections| {
        let points = data(sections, section::LAGRANGE_TAU_G2);
        let block = 7 * 128;
        let (first, second) = points[block..block + 256].split_at_mut(128);
        first.swap_with_slice(second);
    })?;
    let err = ptau::verify(&tampered).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Lagrange {
                section: "lagrangeTauG2",
                domain_log: 3
            }
        ),
        "{err}"
    );

    // A flipped byte in section 12.
    rewrite(&ceremony.prepared, &tampered, |sections| {
        data(sections, section::LAGRANGE_TAU_G1)[3 * 64 + 10] ^= 1;
    })?;
    let err = ptau::verify(&tampered).unwrap_err();
    assert!(err.to_string().contains("lagrangeTauG1"), "{err}");
    Ok(())
}
