//! Integration tests of fernet-circuits, one binary.

#[path = "../support/mod.rs"]
mod support;

mod block;
mod chunks;
mod evm_verifier;
mod fixture;
mod keys;
mod proofs;
mod verifier_gen;
