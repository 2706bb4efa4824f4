//! Proof-system plumbing of the Fernet rollup.
//!
//! Block proofs are Groth16 over BN254 (arkworks 0.6), behind the [`ProofSystem`] trait so a
//! recursive scheme can replace it later. This crate holds everything around the block circuit
//! that does not depend on what the circuit proves:
//!
//! - [`proof_system`]: the trait, its Groth16 implementation, compressed (disk) and EVM word
//!   encodings of proofs and verifying keys.
//! - [`keys`]: the deterministic, **insecure** devnet setup with an on-disk cache, and a loader
//!   for keys produced elsewhere (a real ceremony); [`ceremony_manifest`]: the manifest of a
//!   ceremony's exported keys.
//! - [`verifier_gen`]: the Solidity verifier generated from a verifying key (single and batched
//!   verification; the L1 contracts never carry a hand-written verifier).
//! - [`fixture`]: JSON fixtures of real proofs for the forge tests of a generated verifier.
//! - [`block`]: the block circuit over the native state of `fernet-state`, its keys, proving,
//!   and the devnet epoch fixture; [`gadgets`]: the in-circuit Poseidon, Merkle, indexed-tree
//!   and integer gadgets it is built from.
//! - `testing` (feature `testing`): tiny keys filed as a ceremony export, for tests.

pub mod block;
pub mod ceremony_manifest;
pub mod error;
pub mod fixture;
pub mod gadgets;
pub mod keys;
pub mod proof_system;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod verifier_build;
pub mod verifier_gen;

pub use error::{Error, Result};
pub use proof_system::{Groth16Bn254, ProofSystem};
