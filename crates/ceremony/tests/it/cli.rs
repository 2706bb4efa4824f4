//! The `fernet-ceremony` binary runs a ceremony end to end.

use std::path::Path;
use std::process::Command;

use fernet_ceremony::{circuit::CeremonyCircuit, phase2::init::domain_log, transcript::Transcript};
use fernet_circuits::{
    ceremony_manifest::CeremonyManifest, keys::load_key_pair, Groth16Bn254, ProofSystem,
};

use crate::export::prove;

/// Runs the binary with `args`; returns its stdout, failing the test on a non-zero exit.
fn run(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_fernet-ceremony"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Phase 1 through the binary (a local `.ptau` ceremony: new, two contributions, the beacon,
/// prepare, verify, then import-ptau for the test circuit's domain), then phase 2: new, three
/// contributions, the beacon, verify (recomputing `new`), export; the exported keys prove and
/// verify.
#[test]
fn cli_runs_a_ceremony_end_to_end() {
    let (phase1, work, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let log = domain_log(&CeremonyCircuit::Test.matrices().unwrap()).unwrap();
    let pot = |name: &str| phase1.path().join(format!("pot_{name}.ptau"));
    run(&[
        "phase1",
        "new",
        "--power",
        &log.to_string(),
        "--out",
        path(&pot("0")),
    ]);
    for (from, to, name) in [("0", "1", "alice"), ("1", "2", "bob")] {
        let printed = run(&[
            "phase1",
            "contribute",
            "--in",
            path(&pot(from)),
            "--out",
            path(&pot(to)),
            "--name",
            name,
            "--entropy",
            "keyboard mash",
        ]);
        assert!(
            printed.contains(&format!("contribution by {name}")),
            "{printed}"
        );
    }
    run(&[
        "phase1",
        "beacon",
        "--in",
        path(&pot("2")),
        "--out",
        path(&pot("3")),
        "--value",
        "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
        "--iterations-exp",
        "10",
    ]);
    run(&[
        "phase1",
        "prepare",
        "--in",
        path(&pot("3")),
        "--out",
        path(&pot("final")),
    ]);
    let verified = run(&["phase1", "verify", path(&pot("final"))]);
    assert!(
        verified.contains("contribution 3: beacon (beacon)")
            && verified.contains("powers of tau OK: power 9, 3 contributions"),
        "{verified}"
    );
    let powers = phase1.path().join(format!("phase1-2^{log}.powers"));
    let imported = run(&[
        "import-ptau",
        "--ptau",
        path(&pot("final")),
        "--domain-log",
        &log.to_string(),
        "--out",
        path(&powers),
    ]);
    assert!(
        imported.contains("3 contributions") && imported.contains("sections 12-15"),
        "{imported}"
    );
    // A contribution to a file with a flipped byte in its last record is refused by verify.
    let mut tampered = std::fs::read(pot("3")).unwrap();
    let last = tampered.len() - 100;
    tampered[last] ^= 1;
    std::fs::write(pot("tampered"), tampered).unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_fernet-ceremony"))
        .args(["phase1", "verify", path(&pot("tampered"))])
        .output()
        .unwrap();
    assert!(!refused.status.success());

    let dir = path(work.path());
    run(&[
        "new",
        "--circuits",
        "test",
        "--dir",
        dir,
        "--powers",
        path(&powers),
    ]);
    let mut links = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let stdout = run(&[
            "contribute",
            "--dir",
            dir,
            "--name",
            name,
            "--entropy",
            "dice",
        ]);
        links.push(stdout.trim().rsplit(' ').next().unwrap().to_owned());
    }
    let beacon_value = format!("0x{}", "ab".repeat(32));
    run(&[
        "beacon",
        "--dir",
        dir,
        "--value",
        &beacon_value,
        "--iterations-exp",
        "8",
    ]);
    let verified = run(&["verify", "--dir", dir, "--powers", path(&powers)]);
    let exported = run(&["export", "--dir", dir, "--out", path(out.path())]);

    let transcript = Transcript::load(&work.path().join("transcript.json")).unwrap();
    let hash = transcript.transcript_hash.to_string();
    assert!(
        exported.contains(&format!("transcript hash {hash}")),
        "{exported}"
    );
    assert!(verified.contains(&hash), "{verified}");
    // Each participant's printed link is in the final transcript.
    let recorded: Vec<String> = transcript.contributions[..3]
        .iter()
        .map(|r| r.link.to_string())
        .collect();
    assert_eq!(links, recorded);
    assert_eq!(transcript.contributions[2].name, "carol");
    let manifest = CeremonyManifest::read(&out.path().join("ceremony.json")).unwrap();
    assert_eq!(manifest.transcript_hash, transcript.transcript_hash.0);
    let keys =
        load_key_pair::<Groth16Bn254>(&out.path().join(&manifest.circuits[0].key_file)).unwrap();
    let (proof, inputs) = prove(&keys, 2, 9);
    assert!(Groth16Bn254::verify(&keys.verifying_key, &inputs, &proof).unwrap());

    // A second `new` in the same directory is refused; so is a malformed beacon value.
    let refused = Command::new(env!("CARGO_BIN_EXE_fernet-ceremony"))
        .args([
            "new",
            "--circuits",
            "test",
            "--dir",
            dir,
            "--powers",
            path(&powers),
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let refused = Command::new(env!("CARGO_BIN_EXE_fernet-ceremony"))
        .args(["beacon", "--dir", dir, "--value", "0x12"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
}
