//! How a node joins the network.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
};

use libp2p::{multiaddr::Protocol, Multiaddr};

/// Default TCP (and QUIC) port of the p2p network (`P2P_TCP_LISTEN_ADDR`).
pub const DEFAULT_P2P_PORT: u16 = 40400;
/// Default peer limit (`P2P_MAX_PEERS`).
pub const DEFAULT_MAX_PEERS: u32 = 100;

/// The network settings of one node.
#[derive(Debug, Clone)]
pub struct P2pConfig {
    /// Where to listen for TCP (and, with `quic`, UDP/QUIC on the same port); port 0: any free
    /// port (read it back with [`crate::P2pHandle::listen_addrs`]).
    pub listen: SocketAddr,
    /// The address other peers should dial (behind NAT or a port mapping); `None`: the listen
    /// address.
    pub announce: Option<SocketAddr>,
    /// Peers to join through. A multiaddr ending in `/p2p/<peer id>` is added to the Kademlia
    /// table; one without is dialled by address and identified when it answers.
    pub bootstrap: Vec<Multiaddr>,
    /// The ed25519 identity, created on first start (mode 0600).
    pub key_file: PathBuf,
    /// Most peers connected at once.
    pub max_peers: u32,
    /// What the topic and protocol names are versioned with, so two networks (another chain
    /// id or rollup) never mix: e.g. `<chain id>-<rollup address>`.
    pub network: String,
    /// Also listen on and dial QUIC.
    pub quic: bool,
}

impl P2pConfig {
    /// A configuration listening on `listen` with the defaults (no bootnode, QUIC on).
    pub fn new(listen: SocketAddr, key_file: PathBuf, network: impl Into<String>) -> Self {
        Self {
            listen,
            announce: None,
            bootstrap: Vec::new(),
            key_file,
            max_peers: DEFAULT_MAX_PEERS,
            network: network.into(),
            quic: true,
        }
    }

    /// The default listen address (`0.0.0.0:40400`).
    pub fn default_listen() -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_P2P_PORT)
    }
}

/// `/ip4/<ip>/tcp/<port>` (or `/ip6/...`).
pub fn tcp_multiaddr(addr: SocketAddr) -> Multiaddr {
    ip_multiaddr(addr.ip()).with(Protocol::Tcp(addr.port()))
}

/// `/ip4/<ip>/udp/<port>/quic-v1` (or `/ip6/...`).
pub fn quic_multiaddr(addr: SocketAddr) -> Multiaddr {
    ip_multiaddr(addr.ip())
        .with(Protocol::Udp(addr.port()))
        .with(Protocol::QuicV1)
}

fn ip_multiaddr(ip: IpAddr) -> Multiaddr {
    match ip {
        IpAddr::V4(ip) => Multiaddr::empty().with(Protocol::Ip4(ip)),
        IpAddr::V6(ip) => Multiaddr::empty().with(Protocol::Ip6(ip)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_become_multiaddrs() {
        let addr: SocketAddr = "127.0.0.2:40400".parse().unwrap();
        assert_eq!(tcp_multiaddr(addr).to_string(), "/ip4/127.0.0.2/tcp/40400");
        assert_eq!(
            quic_multiaddr(addr).to_string(),
            "/ip4/127.0.0.2/udp/40400/quic-v1"
        );
        assert_eq!(P2pConfig::default_listen().port(), DEFAULT_P2P_PORT);
    }
}
