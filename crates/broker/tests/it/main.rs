//! Integration tests of the broker: its JSON-RPC server, the real binary under `kill -9` (on
//! both stores), brokers sharing one PostgreSQL database, clients failing over between replicas,
//! and a real agent proving a devnet block.

mod agent;
mod failover;
mod replicas;
mod restart;
mod rpc;
mod support;
