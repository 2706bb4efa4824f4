//! The `fernet-ceremony` binary runs a ceremony end to end.

use std::path::Path;
use std::process::Command;

use fernet_ceremony::transcript::Transcript;

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

#[test]
fn cli_runs_a_ceremony_end_to_end() {
    let (work, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = path(work.path());
    run(&[
        "new",
        "--circuits",
        "test",
        "--dir",
        dir,
        "--insecure-test-powers",
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
    let verified = run(&["verify", "--dir", dir, "--insecure-test-powers"]);
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
    assert!(out.path().join("ceremony.json").is_file());

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
