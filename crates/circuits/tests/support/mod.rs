//! Shared by the integration tests and `examples/verifier_gas.rs`: a small test circuit and a
//! real anvil with a minimal JSON-RPC client.

pub(crate) mod chain;
pub(crate) mod circuit;
