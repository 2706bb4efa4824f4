//! The trusted setup ceremony of the Fernet circuits.
//!
//! Groth16 keys hide a trapdoor (the setup's "toxic waste"): whoever knows it can prove anything.
//! The devnet keys come from a public seed ([`fernet_circuits::keys::insecure_devnet_setup`]), so
//! on a shared network they must be replaced by keys from a multi-party ceremony, in which one
//! honest participant who forgets their secret is enough. A ceremony has two phases:
//!
//! - **Phase 1, powers of tau**, universal: `[τ^i]₁`, `[τ^i]₂`, `[ατ^i]₁`, `[βτ^i]₁`. It is read
//!   from (and written as) a snarkjs `.ptau` file, so the public Perpetual Powers of Tau and Hermez
//!   files can be used, and a local phase 1 serves the tests.
//! - **Phase 2**, one per circuit (Bowe-Gabizon-Miers): each participant multiplies `δ` by a
//!   secret and proves knowledge of it; the transcript chains every contribution.
//!
//! The exported keys are the project's key files, from which the Solidity verifiers are
//! generated; the transcript hash identifies them in the deployment record.
//!
//! Phase 2 modules: [`circuit`] (the circuits a ceremony covers), [`phase2`] (`new`,
//! contributions, the beacon, verification, the fixed/params files), [`transcript`] (the JSON
//! hash chain), [`entropy`] (a contribution's RNG), [`ceremony_dir`] (a ceremony on disk and its
//! operations), [`export`] (key files, `ceremony.json`, Solidity verifiers). The binary
//! `fernet-ceremony` is a thin CLI over them.

pub mod blake2b;
pub mod ceremony_dir;
pub mod circuit;
pub mod encoding;
pub mod entropy;
pub mod error;
pub mod export;
pub mod ffjs;
pub mod lagrange;
pub mod pairing;
pub mod phase2;
pub mod powers;
pub mod ptau;
pub mod transcript;

pub use error::{ContributionFault, Error, Result};
