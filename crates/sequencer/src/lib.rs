//! The Fernet sequencer.
//!
//! A sequencer is an L2 node ([`fernet_node::Node`]: follower, world state, pools) plus the
//! duties of the stakers whose keys it holds ([`keys`]: one process, many stakers):
//!
//! - [`registration`]: stake once per key; membership starts after the entry period and
//!   snapshot lag;
//! - [`schedule`]: in every slot, rank `r` of the slot's ranking (computed off chain once per
//!   epoch, [`fernet_bindings::ranking`]) proposes `r` steps after the slot starts if the slot is
//!   still empty, so the highest live staker wins; a process plans only the turns its keys have,
//!   all inside the slot, on L1 time ([`timeline`]);
//! - [`builder`]: blocks from the pool on top of the parent's state, with the data and
//!   fingerprint the rollup checks, consuming the next deposits of the L1 fee inbox
//!   ([`fernet_node::inbox`]);
//! - [`quotes`]: the cheapest claimable epoch proof quote whose prover's free escrow backs its
//!   bond (a [`quotes::QuotePolicy`] hook and an optional external quote provider), claimed during
//!   the claim window, and claimed again when a strictly cheaper one arrives (the claim auction);
//! - [`backup`]: when a slot stays empty, a block with its own proof (from a broker); a
//!   sequencer started with `--backup-only` has no stake and does only this;
//! - [`committee`]: in the committee mode (seed 004), proposals carry the sign-offs of the slot's
//!   committee, and the keys in a committee re-execute and sign off the blocks they are sent;
//! - [`sequencer`]: the slot loop that runs them, each slot's duties as a task of their own,
//!   voting for the configured upgrade payload in every proposal and writing the epoch's
//!   randomness checkpoint when nobody has; [`metrics`] counts them.

pub mod backup;
pub mod builder;
mod claim;
pub mod committee;
pub mod config;
mod error;
pub mod keys;
mod l1tx;
pub mod metrics;
mod propose;
pub mod quotes;
pub mod registration;
pub mod schedule;
pub mod sequencer;
pub mod slot_loop;
pub mod timeline;

pub use error::{Error, Result};
pub use sequencer::{Sequencer, SequencerConfig};
