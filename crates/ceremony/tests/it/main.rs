//! Integration tests of the ceremony: phase 1, snarkjs interop, phase 2, tampering, export.

mod anvil;
mod cli;
mod export;
mod phase1;
mod phase2;
mod snarkjs;
mod tamper;

/// The anvil and JSON-RPC helpers of fernet-circuits' tests, shared rather than copied; this
/// binary uses only part of them.
#[allow(dead_code)]
#[path = "../../../circuits/tests/support/chain.rs"]
mod chain;
