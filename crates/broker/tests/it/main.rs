//! Integration tests of the broker: its JSON-RPC server, the real binary under `kill -9`, and
//! a real agent proving a devnet block.

mod agent;
mod restart;
mod rpc;
mod support;
