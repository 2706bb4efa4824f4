//! The compiled contracts against the reference model, in revm.

mod committee;
mod fixture;
mod harness;
mod schedules;
