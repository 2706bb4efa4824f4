//! Tests of `fernet-l1` against a real anvil (one per test, on a free port): retries and timeouts
//! behind a flaky proxy, replacement of stuck transactions, L1 time.

mod sender;
mod support;
mod time;
mod transport;
