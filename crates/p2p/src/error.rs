//! Errors of the p2p library.

use std::path::PathBuf;

/// Result alias of the p2p library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop the network or one of its requests.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The identity key file could not be read, created or written.
    #[error("p2p key file {path}: {source}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold a protobuf-encoded libp2p key pair.
    #[error("p2p key file {path} does not hold a libp2p key pair: {source}")]
    KeyDecode {
        /// The key file.
        path: PathBuf,
        /// The decoding error.
        #[source]
        source: libp2p::identity::DecodingError,
    },
    /// Building the transports (TCP, noise, yamux, QUIC) failed.
    #[error("cannot build the p2p transport: {0}")]
    Transport(String),
    /// Gossipsub refused its configuration or scoring parameters.
    #[error("invalid gossipsub configuration: {0}")]
    Gossipsub(String),
    /// Listening on an address failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: libp2p::Multiaddr,
        /// The transport error.
        #[source]
        source: libp2p::TransportError<std::io::Error>,
    },
    /// The listener did not report its bound address in time.
    #[error("the p2p listener on {addr} did not start")]
    ListenTimeout {
        /// The address.
        addr: libp2p::Multiaddr,
    },
    /// The network task has stopped (shut down or failed).
    #[error("the p2p network task has stopped")]
    Stopped,
    /// The command queue of the network task is full: the message was not sent.
    #[error("the p2p command queue is full")]
    Busy,
    /// The network task panicked.
    #[error("the p2p network task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}
