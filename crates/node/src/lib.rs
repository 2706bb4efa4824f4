//! The Fernet L2 node: it follows the rollup on L1 and serves the L2 chain.
//!
//! The [`follower`] polls the rollup's events and keeps the pending chain (with decoded bodies and
//! a world state checked against every proposed state root), the proven tip, claims, prunes and
//! L1 reorgs, in an embedded [`store`] (redb) that survives restarts. The [`pool`] holds
//! transactions and epoch proof quotes, [`network`] gossips them to peers over libp2p (and judges
//! what peers send), and [`rpc`] serves the `fernet_*` JSON-RPC methods of `docs/services.md`
//! (jsonrpsee, with [`metrics`] on the same port). [`Node`] puts it together for the
//! `fernet-node` binary and for the services that embed a node (sequencer, prover node);
//! [`NodeClient`], the typed client generated from the same trait, talks to a node over HTTP
//! (the `fernet` CLI, the devnet, tests).

mod blocking;
pub mod chain;
pub mod client;
pub mod committee;
pub mod deposit;
mod error;
pub mod follower;
pub mod hint;
pub mod inbox;
pub mod l1;
pub mod metrics;
pub mod network;
pub mod node;
pub mod pool;
pub mod rpc;
pub mod status;
pub mod store;
pub mod tx;

pub use chain::{ChainHandle, ClaimRecord, ClaimStatus, L2Block};
pub use client::NodeClient;
pub use error::{Error, Result};
pub use hint::{Proposal, ProposalHint};
pub use l1::L1;
pub use network::{Network, P2pArgs, P2pSettings};
pub use node::{Node, NodeArgs, NodeConfig};
pub use pool::PoolHandle;
pub use status::{Stage, TxStatus};
pub use tx::Tx;
