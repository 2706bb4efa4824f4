//! The Fernet prover node: it watches L1 for ended epochs, quotes for proving them, proves the
//! epochs it wins (or any unclaimed one) through the proving broker, and submits the proofs.
//!
//! The pieces follow seed 003's prover coordination design, one job per module:
//!
//! - [`config`]: flags and environment (`PROVER_*`, `QUOTE_PROVIDER_*`), checked against the
//!   rollup's rules.
//! - [`quote_provider`]: the terms of a quote, fixed or asked of a remote service.
//! - [`quote`]: the signed EIP-712 `EpochProofQuote`; [`delivery`]: into the embedded node's pool
//!   and out on the p2p quotes topic.
//! - [`bond`]: the escrow top-ups that back every quote.
//! - [`orchestrator`]: one proof job per block (or per chunk) on the broker, results checked.
//! - [`submit`]: `submitEpochProof` (`submitSplitEpochProof` for chunks), never twice and
//!   never late.
//! - [`monitor`]: the main loop that ties them together; [`l1`] the rollup reads it acts on.
//! - [`committee`]: in the committee mode (seed 004) the loop instead: the chunks assigned to
//!   this node's committee members, peers' chunk proofs, committee epoch proofs, inactivity
//!   reports.
//! - [`metrics`]: counters on `/metrics`, and `/health`.
//! - [`service`]: all of it around an embedded follower node, as the binary runs it.

pub mod bond;
pub mod committee;
pub mod config;
pub mod delivery;
mod error;
pub mod l1;
pub mod metrics;
pub mod monitor;
pub mod orchestrator;
pub mod quote;
pub mod quote_provider;
pub mod service;
pub mod submit;

pub use error::{Error, Result, TokenShortfall};
