//! The Fernet peer-to-peer network, on libp2p.
//!
//! One swarm per node: gossipsub for the [`Topic`]s (every message is handed to the embedding
//! node, which validates it and answers Accept, Reject or Ignore before it is forwarded; a
//! rejected message lowers its sender's peer score, and peers whose score falls below
//! [`BLOCK_SCORE_THRESHOLD`] are disconnected and blocked), identify, Kademlia discovery from
//! bootnodes, noise and yamux over TCP (and QUIC), a persistent ed25519 identity and a peer
//! limit. The crate knows nothing of transactions: messages are bytes.

mod config;
mod error;
mod identity;
mod scoring;
mod service;
mod topic;

pub use config::{quic_multiaddr, tcp_multiaddr, P2pConfig, DEFAULT_MAX_PEERS, DEFAULT_P2P_PORT};
pub use error::{Error, Result};
pub use identity::load_or_create_keypair;
pub use libp2p::{
    gossipsub::{MessageAcceptance, MessageId},
    multiaddr::Protocol,
    Multiaddr, PeerId,
};
pub use scoring::BLOCK_SCORE_THRESHOLD;
pub use service::{Incoming, P2pHandle, P2pService, P2pStats};
pub use topic::Topic;
