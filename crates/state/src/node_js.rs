//! Test support: cross-checks against independent JavaScript implementations (circomlibjs,
//! ethers 5), run in `node` from the repository's `node_modules` (`npm ci` installs them; they
//! are devDependencies, so CI always has them).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The path of `package` in the repository's `node_modules`.
///
/// # Panics
/// If it is not installed.
pub(crate) fn module(package: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules")
        .join(package);
    assert!(
        path.exists(),
        "{} is missing: run `npm ci` at the repository root",
        path.display()
    );
    path
}

/// Runs `script` with `node -e` and returns its standard output.
///
/// # Panics
/// If node cannot run or the script fails (with its standard error).
pub(crate) fn run(script: &str) -> String {
    let output = Command::new("node")
        .arg("-e")
        .arg(script)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("node prints UTF-8")
}
