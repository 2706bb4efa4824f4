//! Integration tests of `fernet-node` against a real anvil with the real suite deployed: the
//! follower, restarts, L1 reorgs, the JSON-RPC interface, and the off-chain slot ranking.

mod follower;
mod network;
mod ranking;
mod rpc;
mod signing;
mod support;
