//! The swarm task and the handle the embedding node talks to it through.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use futures::StreamExt;
use libp2p::{
    allow_block_list::{self, BlockedPeers},
    connection_limits::{self, ConnectionLimits},
    gossipsub::{self, MessageAcceptance, MessageAuthenticity, MessageId, ValidationMode},
    identify,
    identity::Keypair,
    kad::{self, store::MemoryStore},
    multiaddr::Protocol,
    noise,
    swarm::{dial_opts::DialOpts, NetworkBehaviour, SwarmEvent},
    tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm, SwarmBuilder,
};
use sha3::{Digest, Keccak256};
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};
use tracing::{debug, info, warn};

use crate::{
    config::{quic_multiaddr, tcp_multiaddr},
    identity::load_or_create_keypair,
    scoring::{self, BLOCK_SCORE_THRESHOLD},
    topic::Topics,
    Error, P2pConfig, Result, Topic,
};

/// Received messages waiting for the node's verdict; beyond this, new ones are ignored.
const INCOMING_CAPACITY: usize = 4096;
/// Commands (publish, verdicts) waiting for the swarm task.
const COMMAND_CAPACITY: usize = 4096;
/// How often peer scores are checked against [`BLOCK_SCORE_THRESHOLD`].
const SCORE_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// How often the node looks for more peers while it has fewer than [`DISCOVERY_TARGET`]
/// (and redials the bootnodes when alone).
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(5);
/// Peers a node looks for (at most `max_peers`); with this many it stops querying Kademlia.
const DISCOVERY_TARGET: usize = 25;
/// How long a connection no protocol uses stays open.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long start-up waits for the TCP listener.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections to one peer at most (two when both dial at once).
const MAX_CONNECTIONS_PER_PEER: u32 = 2;

/// A gossip message waiting for the node's verdict ([`P2pHandle::report`]).
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Its topic.
    pub topic: Topic,
    /// Its payload.
    pub data: Vec<u8>,
    /// Its id (the Keccak-256 of the payload).
    pub id: MessageId,
    /// The peer it came from (whose score a rejection lowers).
    pub propagation_source: PeerId,
}

/// Counters of one node's network activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct P2pStats {
    /// Messages received from peers (before validation).
    pub received: u64,
    /// Messages the node accepted (and gossipsub forwarded).
    pub accepted: u64,
    /// Messages the node rejected (their senders were penalised).
    pub rejected: u64,
    /// Messages the node ignored (duplicates, not judgeable now).
    pub ignored: u64,
    /// Messages this node published.
    pub published: u64,
    /// Peers blocked for their score.
    pub blocked: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    ignored: AtomicU64,
    published: AtomicU64,
    blocked: AtomicU64,
}

#[derive(Debug, Default)]
struct Peers {
    connected: HashSet<PeerId>,
    blocked: HashSet<PeerId>,
}

#[derive(Debug, Default)]
struct Shared {
    counters: Counters,
    peers: Mutex<Peers>,
    listen_addrs: Mutex<Vec<Multiaddr>>,
}

impl Shared {
    fn peers(&self) -> std::sync::MutexGuard<'_, Peers> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
    },
    Report {
        id: MessageId,
        source: PeerId,
        acceptance: MessageAcceptance,
    },
    PeerScore {
        peer: PeerId,
        reply: oneshot::Sender<Option<f64>>,
    },
}

/// A cheap-to-clone handle on a running network.
#[derive(Debug, Clone)]
pub struct P2pHandle {
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    local_peer_id: PeerId,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Publish { topic, data } => {
                write!(f, "Publish({topic:?}, {} bytes)", data.len())
            }
            Command::Report { id, acceptance, .. } => write!(f, "Report({id}, {acceptance:?})"),
            Command::PeerScore { peer, .. } => write!(f, "PeerScore({peer})"),
        }
    }
}

impl P2pHandle {
    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The addresses this node listens on, each ending in `/p2p/<peer id>` (ready to be
    /// another node's `BOOTSTRAP_NODES`).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.shared
            .listen_addrs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|addr| addr.clone().with(Protocol::P2p(self.local_peer_id)))
            .collect()
    }

    /// Publishes `data` on `topic` (queued; fails only when the queue is full or the network
    /// stopped).
    pub fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<()> {
        self.send(Command::Publish { topic, data })
    }

    /// The node's verdict on a received message: Accept forwards it, Reject drops it and lowers
    /// the sender's score, Ignore drops it.
    pub fn report(&self, message: &Incoming, acceptance: MessageAcceptance) -> Result<()> {
        self.send(Command::Report {
            id: message.id.clone(),
            source: message.propagation_source,
            acceptance,
        })
    }

    /// The gossipsub score of a peer (`None`: not known).
    pub async fn peer_score(&self, peer: PeerId) -> Result<Option<f64>> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::PeerScore { peer, reply })
            .await
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)
    }

    /// Number of peers connected now.
    pub fn peer_count(&self) -> usize {
        self.shared.peers().connected.len()
    }

    /// The peers connected now.
    pub fn connected_peers(&self) -> Vec<PeerId> {
        self.shared.peers().connected.iter().copied().collect()
    }

    /// Whether `peer` was blocked for its score.
    pub fn is_blocked(&self, peer: &PeerId) -> bool {
        self.shared.peers().blocked.contains(peer)
    }

    /// The counters.
    pub fn stats(&self) -> P2pStats {
        let c = &self.shared.counters;
        P2pStats {
            received: c.received.load(Ordering::Relaxed),
            accepted: c.accepted.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            ignored: c.ignored.load(Ordering::Relaxed),
            published: c.published.load(Ordering::Relaxed),
            blocked: c.blocked.load(Ordering::Relaxed),
        }
    }

    fn send(&self, command: Command) -> Result<()> {
        self.commands
            .try_send(command)
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => Error::Busy,
                mpsc::error::TrySendError::Closed(_) => Error::Stopped,
            })
    }
}

/// One behaviour per concern.
#[derive(NetworkBehaviour)]
struct Behaviour {
    limits: connection_limits::Behaviour,
    blocked: allow_block_list::Behaviour<BlockedPeers>,
    gossipsub: gossipsub::Behaviour,
    identify: identify::Behaviour,
    kad: kad::Behaviour<MemoryStore>,
}

/// A running network: the swarm task and its handle.
#[derive(Debug)]
pub struct P2pService {
    handle: P2pHandle,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl P2pService {
    /// Loads (or creates) the identity, listens, dials the bootnodes and spawns the swarm
    /// task; received messages arrive on the returned channel and each needs a verdict
    /// ([`P2pHandle::report`]).
    pub async fn start(config: P2pConfig) -> Result<(Self, mpsc::Receiver<Incoming>)> {
        let keypair = load_or_create_keypair(&config.key_file)?;
        let local_peer_id = keypair.public().to_peer_id();
        let topics = Topics::new(&config.network);
        let kad_protocol =
            StreamProtocol::try_from_owned(format!("/fernet/{}/kad/1.0.0", config.network))
                .map_err(|e| Error::Transport(e.to_string()))?;
        let mut swarm = build_swarm(&config, keypair, &topics, kad_protocol.clone())?;

        let tcp = tcp_multiaddr(config.listen);
        swarm
            .listen_on(tcp.clone())
            .map_err(|source| Error::Listen {
                addr: tcp.clone(),
                source,
            })?;
        if config.quic {
            let quic = quic_multiaddr(config.listen);
            if let Err(error) = swarm.listen_on(quic.clone()) {
                warn!(addr = %quic, %error, "QUIC listener failed; TCP only");
            }
        }
        if let Some(announce) = config.announce {
            swarm.add_external_address(tcp_multiaddr(announce));
            if config.quic {
                swarm.add_external_address(quic_multiaddr(announce));
            }
        }

        let shared = Arc::new(Shared::default());
        // Wait for the TCP listener, so that `listen_addrs` is known when `start` returns.
        let deadline = tokio::time::Instant::now() + LISTEN_TIMEOUT;
        loop {
            let event = tokio::time::timeout_at(deadline, swarm.select_next_some())
                .await
                .map_err(|_| Error::ListenTimeout { addr: tcp.clone() })?;
            match event {
                SwarmEvent::NewListenAddr { address, .. } => {
                    let is_tcp = address.iter().any(|p| matches!(p, Protocol::Tcp(_)));
                    shared
                        .listen_addrs
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(address);
                    if is_tcp {
                        break;
                    }
                }
                SwarmEvent::ListenerClosed {
                    reason: Err(source),
                    ..
                } => {
                    return Err(Error::Listen {
                        addr: tcp,
                        source: libp2p::TransportError::Other(source),
                    })
                }
                other => debug!(?other, "swarm event during start-up"),
            }
        }

        for addr in &config.bootstrap {
            dial_bootnode(&mut swarm, addr);
        }

        let (commands, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_CAPACITY);
        let (stop, stop_rx) = oneshot::channel();
        let handle = P2pHandle {
            commands,
            shared: shared.clone(),
            local_peer_id,
        };
        info!(peer_id = %local_peer_id, addrs = ?handle.listen_addrs(), "p2p listening");
        let runner = Runner {
            swarm,
            topics,
            kad_protocol,
            bootstrap: config.bootstrap,
            max_peers: config.max_peers as usize,
            shared,
            incoming: incoming_tx,
        };
        let task = tokio::spawn(runner.run(command_rx, stop_rx));
        Ok((Self { handle, stop, task }, incoming_rx))
    }

    /// A handle on the network.
    pub fn handle(&self) -> P2pHandle {
        self.handle.clone()
    }

    /// Stops the swarm (closing every connection) and waits for it.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop.send(());
        self.task.await?;
        Ok(())
    }
}

fn build_swarm(
    config: &P2pConfig,
    keypair: Keypair,
    topics: &Topics,
    kad_protocol: StreamProtocol,
) -> Result<Swarm<Behaviour>> {
    let transport = |e: &dyn std::fmt::Display| Error::Transport(e.to_string());
    let behaviour = build_behaviour(config, &keypair, topics, kad_protocol)?;
    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| transport(&e))?
        .with_quic()
        .with_behaviour(|_| behaviour)
        .map_err(|e| transport(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();
    Ok(swarm)
}

fn build_behaviour(
    config: &P2pConfig,
    key: &Keypair,
    topics: &Topics,
    kad_protocol: StreamProtocol,
) -> Result<Behaviour> {
    let gossip_config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Strict)
        .validate_messages()
        .message_id_fn(|message: &gossipsub::Message| {
            MessageId::new(&Keccak256::digest(&message.data))
        })
        .build()
        .map_err(|e| Error::Gossipsub(e.to_string()))?;
    let mut gossipsub =
        gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), gossip_config)
            .map_err(|e| Error::Gossipsub(e.to_string()))?;
    gossipsub
        .with_peer_score(scoring::params(topics.hashes()), scoring::thresholds())
        .map_err(Error::Gossipsub)?;
    for topic in Topic::ALL {
        gossipsub
            .subscribe(&topic.ident(&config.network))
            .map_err(|e| Error::Gossipsub(e.to_string()))?;
    }
    let identify = identify::Behaviour::new(
        identify::Config::new(format!("/fernet/{}/1.0.0", config.network), key.public())
            .with_push_listen_addr_updates(true),
    );
    let kad_config = kad::Config::new(kad_protocol);
    let peer_id = key.public().to_peer_id();
    let mut kad = kad::Behaviour::with_config(peer_id, MemoryStore::new(peer_id), kad_config);
    // Serve the DHT even without a confirmed external address (loopback, private networks).
    kad.set_mode(Some(kad::Mode::Server));
    let limits = ConnectionLimits::default()
        .with_max_established(Some(config.max_peers))
        .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER));
    Ok(Behaviour {
        limits: connection_limits::Behaviour::new(limits),
        blocked: allow_block_list::Behaviour::default(),
        gossipsub,
        identify,
        kad,
    })
}

/// Dials a bootnode: through Kademlia when its multiaddr names the peer, by address otherwise.
fn dial_bootnode(swarm: &mut Swarm<Behaviour>, addr: &Multiaddr) {
    let result = match addr.iter().last() {
        Some(Protocol::P2p(peer)) => {
            let mut without_peer = addr.clone();
            without_peer.pop();
            swarm.behaviour_mut().kad.add_address(&peer, without_peer);
            swarm.dial(addr.clone())
        }
        _ => swarm.dial(DialOpts::unknown_peer_id().address(addr.clone()).build()),
    };
    if let Err(error) = result {
        warn!(%addr, %error, "cannot dial bootnode");
    }
}

struct Runner {
    swarm: Swarm<Behaviour>,
    topics: Topics,
    kad_protocol: StreamProtocol,
    bootstrap: Vec<Multiaddr>,
    max_peers: usize,
    shared: Arc<Shared>,
    incoming: mpsc::Sender<Incoming>,
}

impl Runner {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>, mut stop: oneshot::Receiver<()>) {
        let mut score_check = tokio::time::interval(SCORE_CHECK_INTERVAL);
        let mut discovery = tokio::time::interval(DISCOVERY_INTERVAL);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => break,
                },
                _ = score_check.tick() => self.check_scores(),
                _ = discovery.tick() => self.discover(),
                event = self.swarm.select_next_some() => self.event(event),
            }
        }
        debug!("p2p stopped");
    }

    fn command(&mut self, command: Command) {
        let behaviour = self.swarm.behaviour_mut();
        match command {
            Command::Publish { topic, data } => {
                match behaviour.gossipsub.publish(self.topics.hash(topic), data) {
                    Ok(id) => {
                        self.shared
                            .counters
                            .published
                            .fetch_add(1, Ordering::Relaxed);
                        debug!(?topic, %id, "published");
                    }
                    Err(error) => debug!(?topic, %error, "not published"),
                }
            }
            Command::Report {
                id,
                source,
                acceptance,
            } => {
                let counter = match acceptance {
                    MessageAcceptance::Accept => &self.shared.counters.accepted,
                    MessageAcceptance::Reject => &self.shared.counters.rejected,
                    MessageAcceptance::Ignore => &self.shared.counters.ignored,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                behaviour
                    .gossipsub
                    .report_message_validation_result(&id, &source, acceptance);
            }
            Command::PeerScore { peer, reply } => {
                let _ = reply.send(behaviour.gossipsub.peer_score(&peer));
            }
        }
    }

    /// Disconnects and blocks every connected peer whose score fell below the threshold.
    fn check_scores(&mut self) {
        let low: Vec<(PeerId, f64)> = self
            .swarm
            .connected_peers()
            .filter_map(|peer| {
                let score = self.swarm.behaviour().gossipsub.peer_score(peer)?;
                (score < BLOCK_SCORE_THRESHOLD).then_some((*peer, score))
            })
            .collect();
        for (peer, score) in low {
            warn!(%peer, score, "blocking peer for its gossip score");
            let behaviour = self.swarm.behaviour_mut();
            behaviour.blocked.block_peer(peer);
            behaviour.kad.remove_peer(&peer);
            self.shared.peers().blocked.insert(peer);
            self.shared.counters.blocked.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Looks for more peers while below the target; redials the bootnodes when alone.
    fn discover(&mut self) {
        let connected = self.swarm.connected_peers().count();
        if connected == 0 {
            for addr in self.bootstrap.clone() {
                dial_bootnode(&mut self.swarm, &addr);
            }
        }
        if connected >= DISCOVERY_TARGET.min(self.max_peers) {
            return;
        }
        if let Err(error) = self.swarm.behaviour_mut().kad.bootstrap() {
            debug!(%error, "no peer to look up others from yet");
        }
    }

    fn event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                self.shared
                    .counters
                    .received
                    .fetch_add(1, Ordering::Relaxed);
                let Some(topic) = self.topics.topic(&message.topic) else {
                    self.ignore(&message_id, &propagation_source);
                    return;
                };
                let incoming = Incoming {
                    topic,
                    data: message.data,
                    id: message_id.clone(),
                    propagation_source,
                };
                if self.incoming.try_send(incoming).is_err() {
                    debug!(%message_id, "validation queue full or closed; ignoring");
                    self.ignore(&message_id, &propagation_source);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) if info.protocols.contains(&self.kad_protocol) => {
                for addr in info.listen_addrs {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer,
                is_new_peer: true,
                ..
            })) => {
                let full = self.shared.peers().connected.len() >= self.max_peers;
                if !full && !self.swarm.is_connected(&peer) {
                    // Discovered: connect, so that gossip does not depend on the bootnode.
                    let _ = self.swarm.dial(
                        DialOpts::peer_id(peer)
                            .condition(
                                libp2p::swarm::dial_opts::PeerCondition::DisconnectedAndNotDialing,
                            )
                            .build(),
                    );
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                debug!(%peer_id, addr = %endpoint.get_remote_address(), "peer connected");
                self.shared.peers().connected.insert(peer_id);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                debug!(%peer_id, "peer disconnected");
                self.shared.peers().connected.remove(&peer_id);
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                self.shared
                    .listen_addrs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(address);
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                debug!(?peer_id, %error, "dial failed");
            }
            _ => {}
        }
    }

    fn ignore(&mut self, id: &MessageId, source: &PeerId) {
        self.shared.counters.ignored.fetch_add(1, Ordering::Relaxed);
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, MessageAcceptance::Ignore);
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    const WAIT: Duration = Duration::from_secs(20);

    async fn start(
        dir: &std::path::Path,
        name: &str,
        bootstrap: Vec<Multiaddr>,
    ) -> (P2pService, mpsc::Receiver<Incoming>) {
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut config = P2pConfig::new(listen, dir.join(name), "test-net");
        config.bootstrap = bootstrap;
        config.quic = false;
        P2pService::start(config).await.unwrap()
    }

    async fn until(what: &str, mut check: impl FnMut() -> bool) {
        tokio::time::timeout(WAIT, async {
            while !check() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
    }

    /// Publishes `data` until `receiver` gets it (the mesh forms within a heartbeat).
    async fn deliver(
        from: &P2pHandle,
        receiver: &mut mpsc::Receiver<Incoming>,
        data: &[u8],
    ) -> Incoming {
        tokio::time::timeout(WAIT, async {
            loop {
                from.publish(Topic::Transactions, data.to_vec()).unwrap();
                if let Ok(Some(message)) =
                    tokio::time::timeout(Duration::from_millis(300), receiver.recv()).await
                {
                    return message;
                }
            }
        })
        .await
        .expect("message delivered")
    }

    #[tokio::test]
    async fn accepted_messages_are_forwarded_and_bootnodes_without_peer_id_are_dialled() {
        let dir = tempfile::tempdir().unwrap();
        let (a, mut a_rx) = start(dir.path(), "a", vec![]).await;
        // `b` knows `a` by address only (no /p2p/<id>); `c` knows only `b`.
        let a_addr: Multiaddr = {
            let mut addr = a.handle().listen_addrs()[0].clone();
            addr.pop();
            addr
        };
        let (b, mut b_rx) = start(dir.path(), "b", vec![a_addr]).await;
        let (c, mut c_rx) = start(dir.path(), "c", b.handle().listen_addrs()).await;
        until("c to find a", || {
            c.handle()
                .connected_peers()
                .contains(&a.handle().local_peer_id())
        })
        .await;

        let message = deliver(&a.handle(), &mut b_rx, b"tx-1").await;
        assert_eq!(message.topic, Topic::Transactions);
        assert_eq!(message.data, b"tx-1");
        assert_eq!(message.propagation_source, a.handle().local_peer_id());
        b.handle()
            .report(&message, MessageAcceptance::Accept)
            .unwrap();
        let at_c = tokio::time::timeout(WAIT, c_rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(at_c.data, b"tx-1");
        assert!(
            a_rx.try_recv().is_err(),
            "a does not receive its own message"
        );
        until("b's counters", || b.handle().stats().accepted == 1).await;
        assert!(b.handle().stats().received >= 1);
        for service in [a, b, c] {
            service.shutdown().await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_peer_whose_messages_are_rejected_is_blocked() {
        let dir = tempfile::tempdir().unwrap();
        let (honest, mut honest_rx) = start(dir.path(), "honest", vec![]).await;
        let (spammer, _spammer_rx) =
            start(dir.path(), "spammer", honest.handle().listen_addrs()).await;
        let spammer_id = spammer.handle().local_peer_id();
        until("connection", || honest.handle().peer_count() == 1).await;
        let handle = honest.handle();
        tokio::time::timeout(WAIT, async {
            let mut n = 0u32;
            while !handle.is_blocked(&spammer_id) {
                n += 1;
                spammer
                    .handle()
                    .publish(Topic::Transactions, format!("garbage {n}").into_bytes())
                    .unwrap();
                while let Ok(message) = honest_rx.try_recv() {
                    handle.report(&message, MessageAcceptance::Reject).unwrap();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("spammer blocked");
        assert!(handle.peer_score(spammer_id).await.unwrap().unwrap() < BLOCK_SCORE_THRESHOLD);
        until("disconnection", || {
            !handle.connected_peers().contains(&spammer_id)
        })
        .await;
        assert!(handle.stats().rejected >= 3);
        assert_eq!(handle.stats().blocked, 1);
        honest.shutdown().await.unwrap();
        spammer.shutdown().await.unwrap();
    }
}
