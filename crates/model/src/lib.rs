//! A reference model of the rollup's L1 protocol, and the harness that checks the compiled
//! contracts against it.
//!
//! [`Model`] is the protocol written again in plain Rust from docs/protocol.md: staking with its
//! entry period and exit queue, the prover escrow, the reward pool with its fee ledger, the fee
//! inbox (deposits, the messages blocks consume in order with the must-include rule, releases),
//! and the rollup (RANDAO checkpoints, scores, proposals and replacements with their data
//! encoding and inbox checks, backup blocks, the quote auction, partial epoch proofs that
//! release consumed deposits and pay their payee, fees only out of those deposits, prunes with
//! pro-rata bond slashes and penalties, rewards, upgrade votes). With [`Params::committee`] set
//! it models the second proving mode, the proving committee of seed 004 (`CommitteeRollup`):
//! staking's member counts and each epoch's set size recorded with its checkpoint, slot
//! committees below the epoch's threshold, proposals with the committee's EIP-712 sign-offs,
//! committee epoch proofs whose chunks pay their assigned signers (any signer from the takeover
//! slot, the sender for a backup block), the proposer's bonus per signer, and the inactivity
//! slash. [`Harness`] deploys the forge artifacts from `out/` into an in-memory revm (the quote
//! mode's `Rollup` or `CommitteeRollup`), and [`Harness::step`] runs one [`Action`] on both: the
//! call must succeed on both or revert on both with the same custom error and arguments, and
//! afterwards every value the contracts expose must equal the model's and the [invariants] must
//! hold.
//!
//! The proptest strategies of [`action`] generate schedules of actions over a fixed cast of
//! sequencers and provers, honest and hostile (late, ineligible, lower-scoring, forged, replayed,
//! copied, over-bonded, over-priced, invalid, censoring deposits, declaring unbacked fees; in the
//! committee mode also short, unsorted, duplicated, outside, self-signed, malformed and
//! misdirected sign-offs, misassigned, mis-signed and whole-block chunk proofs, and false
//! inactivity reports, with a member that stays silent until it is slashed). A failing schedule
//! shrinks to a short list printed one action per line.

pub mod action;
mod artifacts;
mod error;
mod evm;
mod harness;
pub mod invariants;
pub mod model;
mod observe;
mod params;
mod proofs;
mod quote;
mod reverts;

pub use action::Action;
pub use artifacts::{workspace_root, Artifacts, VerifierKind};
pub use error::{Divergence, Error, Result};
pub use evm::{CallOutcome, Evm};
pub use harness::{Harness, StepReport};
pub use model::Model;
pub use observe::Snapshot;
pub use params::{CommitteeParams, Params, SMALL_POOL_FUNDING};
pub use proofs::{FixtureBlock, FixtureChain, FixtureChunk, Proofs};
pub use reverts::{Outcome, Revert};
