//! Integration tests of `fernet-node` against a real anvil with the real suite deployed: the
//! follower, restarts, L1 reorgs, and the JSON-RPC interface.

mod follower;
mod rpc;
mod signing;
mod support;
