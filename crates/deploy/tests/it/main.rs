//! Integration tests of `fernet-deploy`: the deploy library against a real anvil (one per test, on a
//! free port), checked through the `fernet-bindings` contracts.

mod deploy;
