//! Interop with snarkjs 0.7.6 (`node_modules`, installed by script/setup.sh): its files verify
//! and import with our code, its Lagrange sections equal our IFFT, and it verifies our files.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use fernet_ceremony::{
    lagrange::to_lagrange,
    powers::{import_ptau, LagrangeSource},
    ptau::{self, binfile::BinFile, encode_lem, section, Powers, MAGIC},
    Error,
};

use crate::phase1::local_ceremony;

/// The snarkjs CLI of the repository's `node_modules`.
fn snarkjs() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/snarkjs");
    assert!(
        path.exists(),
        "snarkjs is missing at {}: run script/setup.sh",
        path.display()
    );
    path
}

/// Runs `snarkjs powersoftau <args>` in `dir`, failing with its output if it fails.
fn powersoftau(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(snarkjs())
        .arg("powersoftau")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("snarkjs runs (node is installed by script/setup.sh)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "snarkjs powersoftau {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn snarkjs_ptau_is_imported_and_verified() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    powersoftau(d, &["new", "bn128", "10", "p0.ptau"]);
    powersoftau(
        d,
        &[
            "contribute",
            "p0.ptau",
            "p1.ptau",
            "--name=a",
            "-e=ci entropy 1",
        ],
    );
    powersoftau(
        d,
        &[
            "contribute",
            "p1.ptau",
            "p2.ptau",
            "--name=b",
            "-e=ci entropy 2",
        ],
    );
    let beacon = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    powersoftau(
        d,
        &["beacon", "p2.ptau", "p3.ptau", beacon, "10", "-n=beacon"],
    );
    powersoftau(d, &["prepare", "phase2", "p3.ptau", "final.ptau"]);

    // The whole file verifies with our code: chain (incl. the beacon's regenerated key), powers,
    // next challenge and every Lagrange block.
    let verified = ptau::verify(&d.join("final.ptau"))?;
    assert_eq!(verified.contributions.len(), 3);
    assert!(verified.prepared);
    assert_eq!(
        verified.next_challenge,
        Some(verified.contributions[2].next_challenge)
    );
    let record = &verified.contributions[2]
        .beacon
        .as_ref()
        .expect("a beacon record");
    assert_eq!(hex::encode(&record.hash), beacon);

    // Our IFFT of sections 2-5 equals snarkjs' sections 12-15, byte for byte.
    let mut file = BinFile::open(&d.join("final.ptau"), MAGIC)?;
    let powers = Powers::read(&mut file, 2047, 1024)?;
    for k in 8..=10u32 {
        let (start, len) = (((1u64 << k) - 1), 1u64 << k);
        let expect = |id: u32, bytes: Vec<u8>, point: u64| -> eyre::Result<()> {
            let found = file_block(&d.join("final.ptau"), id, start * point, len * point)?;
            assert!(
                found == bytes,
                "section {id}, domain 2^{k}: our IFFT differs from snarkjs"
            );
            Ok(())
        };
        expect(
            section::LAGRANGE_TAU_G1,
            encode_lem(&to_lagrange(&powers.tau_g1, k)),
            64,
        )?;
        expect(
            section::LAGRANGE_TAU_G2,
            encode_lem(&to_lagrange(&powers.tau_g2, k)),
            128,
        )?;
        expect(
            section::LAGRANGE_ALPHA_TAU_G1,
            encode_lem(&to_lagrange(&powers.alpha_tau_g1, k)),
            64,
        )?;
        expect(
            section::LAGRANGE_BETA_TAU_G1,
            encode_lem(&to_lagrange(&powers.beta_tau_g1, k)),
            64,
        )?;
    }
    drop(file);

    // Import for the domain 2^9: from the sections, equal to the import by IFFT of the
    // unprepared file, and the extracted powers hang together.
    let imported = import_ptau(&d.join("final.ptau"), 9, &d.join("phase1-2^9.powers"))?;
    assert_eq!(imported.lagrange, LagrangeSource::PtauSections);
    imported.file.powers.check()?;
    let by_ifft = import_ptau(&d.join("p3.ptau"), 9, &d.join("ifft.powers"))?;
    assert_eq!(by_ifft.lagrange, LagrangeSource::Ifft);
    assert_eq!(imported.file.powers, by_ifft.file.powers);

    // A file truncated to 2^8 (as the Hermez files are cut from 2^28) verifies without its next
    // challenge, imports the same powers, and is refused as a base to contribute to.
    powersoftau(d, &["truncate", "final.ptau"]);
    let truncated = ptau::verify(&d.join("final_08.ptau"))?;
    assert_eq!(
        (truncated.header.power, truncated.header.ceremony_power),
        (8, 10)
    );
    assert_eq!(truncated.next_challenge, None);
    assert!(truncated.prepared);
    let from_truncated = import_ptau(&d.join("final_08.ptau"), 8, &d.join("t.powers"))?;
    let from_full = import_ptau(&d.join("final.ptau"), 8, &d.join("f.powers"))?;
    assert_eq!(from_truncated.file.powers, from_full.file.powers);
    let err =
        ptau::contribute(&d.join("final_08.ptau"), &d.join("c.ptau"), "x", b"x", None).unwrap_err();
    assert!(matches!(err, Error::UnsupportedPtau { .. }), "{err}");

    // A flipped byte in snarkjs' section 12 is caught.
    let mut bytes = std::fs::read(d.join("final.ptau"))?;
    let offset = BinFile::open(&d.join("final.ptau"), MAGIC)?
        .section(section::LAGRANGE_TAU_G1)?
        .offset;
    bytes[(offset + 511 * 64 + 5) as usize] ^= 0x10;
    std::fs::write(d.join("tampered.ptau"), &bytes)?;
    let err = import_ptau(&d.join("tampered.ptau"), 9, &d.join("x.powers")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidPoint {
                section: "lagrangeTauG1",
                ..
            } | Error::Lagrange { .. }
        ),
        "{err}"
    );
    Ok(())
}

/// `len` bytes of section `id` from `start`.
fn file_block(path: &Path, id: u32, start: u64, len: u64) -> eyre::Result<Vec<u8>> {
    Ok(BinFile::open(path, MAGIC)?.read(id, start, len)?)
}

#[test]
fn snarkjs_verifies_our_ptau() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let ceremony = local_ceremony(dir.path(), 8)?;
    let out = powersoftau(
        dir.path(),
        &["verify", ceremony.prepared.to_str().expect("utf-8 path")],
    );
    assert!(out.contains("Powers of Tau Ok!"), "{out}");

    // And it rejects a file whose beacon record was altered.
    let mut bytes = std::fs::read(&ceremony.beaconed)?;
    let records = BinFile::open(&ceremony.beaconed, MAGIC)?.section(section::CONTRIBUTIONS)?;
    let last = (records.offset + records.size - 1) as usize;
    bytes[last] ^= 1;
    std::fs::write(dir.path().join("bad.ptau"), &bytes)?;
    let status = Command::new(snarkjs())
        .args(["powersoftau", "verify", "bad.ptau"])
        .current_dir(dir.path())
        .output()?;
    assert!(
        !status.status.success(),
        "snarkjs accepted a tampered beacon"
    );
    Ok(())
}
