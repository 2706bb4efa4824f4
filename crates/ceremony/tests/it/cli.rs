//! The `fernet-ceremony` binary runs a ceremony end to end.

use std::path::Path;
use std::process::Command;

use fernet_ceremony::{
    circuit::CeremonyCircuit, phase2::init::domain_log, powers::import_ptau, transcript::Transcript,
};
use fernet_circuits::{
    ceremony_manifest::CeremonyManifest, keys::load_key_pair, Groth16Bn254, ProofSystem,
};

use crate::{export::prove, phase1::local_ceremony};

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

/// Phase 1 (a local `.ptau` ceremony, imported for the test circuit's domain), then phase 2
/// through the binary: new, three contributions, the beacon, verify (recomputing `new`), export;
/// the exported keys prove and verify.
#[test]
fn cli_runs_a_ceremony_end_to_end() {
    let (phase1, work, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let log = domain_log(&CeremonyCircuit::Test.matrices().unwrap()).unwrap();
    let ptau = local_ceremony(phase1.path(), log).unwrap();
    let powers = phase1.path().join(format!("phase1-2^{log}.powers"));
    import_ptau(&ptau.prepared, log, &powers).unwrap();

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
            "--insecure-test-powers",
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
