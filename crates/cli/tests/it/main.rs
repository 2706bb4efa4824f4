//! Integration tests of `fernet-cli`: the deploy library against a real anvil (one per test, on a
//! free port), checked through the `fernet-bindings` contracts.

mod deploy;
