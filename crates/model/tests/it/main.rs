//! The compiled contracts against the reference model, in revm.

mod fixture;
mod harness;
mod schedules;
