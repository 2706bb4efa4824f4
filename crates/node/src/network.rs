//! The node's side of the peer-to-peer network ([`fernet_p2p`]): it publishes what its pools
//! accept from RPC and judges every message peers send before gossipsub forwards it.
//!
//! | topic | payload | Accept | Reject (lowers the sender's score) | Ignore |
//! |---|---|---|---|---|
//! | transactions | JSON [`Tx`] | new in the pool | undecodable, malformed, fee below the base fee | already pooled, nullifier spent or used in the pool, payer balance short (these depend on the receiver's view of the chain, which may lag the sender's), store failure |
//! | quotes | JSON [`SignedQuote`] | new in the pool, the prover's free escrow covering the bond | undecodable, other rollup, fee above `maxProverFeeBps`, bad signature | already pooled, expired, escrow short (a deposit may follow) or unreadable, store failure |
//! | proposals | JSON [`ProposalHint`] | signed by its proposer, slot within one of ours, block above our pending tip (the follower polls L1 at once) | undecodable, bad signature, slot off by more than one | block already known |

use std::{net::SocketAddr, path::Path, sync::Arc};

use alloy::primitives::{Address, B256};
use fernet_bindings::IProverEscrow;
use fernet_p2p::{
    Incoming, MessageAcceptance, Multiaddr, P2pConfig, P2pHandle, P2pService, Topic,
    DEFAULT_MAX_PEERS,
};
use fernet_primitives::{QuoteError, SignedQuote};
use serde::Serialize;
use tokio::sync::{mpsc, watch, Notify};
use tracing::{debug, warn};

use crate::{
    chain::ChainHandle,
    committee::{
        ChunkProofMessage, CommitteeFeed, CommitteeMessage, CommitteeMessageError, SignedSignoff,
        SignoffRequest,
    },
    hint::ProposalHint,
    pool::{PoolError, PoolHandle},
    tx::Tx,
    Error, L1,
};

/// Name of the identity key file inside `DATA_DIRECTORY`.
pub const P2P_KEY_FILE: &str = "p2p.key";

/// The network settings of a node (`P2P_*`, `BOOTSTRAP_NODES`); the identity lives in
/// `<DATA_DIRECTORY>/p2p.key`.
#[derive(Debug, Clone)]
pub struct P2pSettings {
    /// `P2P_TCP_LISTEN_ADDR` (QUIC listens on the same UDP port).
    pub listen: SocketAddr,
    /// `P2P_TCP_ANNOUNCE_ADDR`.
    pub announce: Option<SocketAddr>,
    /// `BOOTSTRAP_NODES`.
    pub bootstrap: Vec<Multiaddr>,
    /// `P2P_MAX_PEERS`.
    pub max_peers: u32,
}

/// The name topics and protocols are versioned with: two networks (another L1 chain or rollup)
/// never share a topic.
pub fn network_id(chain_id: u64, rollup: Address) -> String {
    format!("{chain_id}-{rollup:#x}")
}

impl P2pSettings {
    /// The p2p configuration for a node of `chain_id`'s `rollup` storing its key in `data_dir`.
    pub(crate) fn config(&self, data_dir: &Path, chain_id: u64, rollup: Address) -> P2pConfig {
        let mut config = P2pConfig::new(
            self.listen,
            data_dir.join(P2P_KEY_FILE),
            network_id(chain_id, rollup),
        );
        config.announce = self.announce;
        config.bootstrap = self.bootstrap.clone();
        config.max_peers = self.max_peers;
        config
    }
}

/// The p2p flags of every service that embeds a node, with Aztec's environment names; flatten
/// them with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct P2pArgs {
    /// Join the peer-to-peer network (gossip of transactions, quotes and proposal hints).
    #[arg(long, env = "P2P_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub p2p_enabled: bool,
    /// Where the p2p network listens: TCP, and QUIC on the same UDP port (port 0: any).
    #[arg(long, env = "P2P_TCP_LISTEN_ADDR", default_value = "0.0.0.0:40400")]
    pub p2p_tcp_listen_addr: SocketAddr,
    /// The address peers should dial when it differs from the listen address (NAT, port
    /// mapping).
    #[arg(long, env = "P2P_TCP_ANNOUNCE_ADDR")]
    pub p2p_tcp_announce_addr: Option<SocketAddr>,
    /// Comma-separated multiaddrs of peers to join through
    /// (`/ip4/10.0.0.1/tcp/40400[/p2p/<peer id>]`).
    #[arg(long, env = "BOOTSTRAP_NODES", value_delimiter = ',')]
    pub bootstrap_nodes: Vec<Multiaddr>,
    /// Most p2p peers connected at once.
    #[arg(long, env = "P2P_MAX_PEERS", default_value_t = DEFAULT_MAX_PEERS)]
    pub p2p_max_peers: u32,
}

impl P2pArgs {
    /// The settings, `None` when p2p is disabled.
    pub fn into_settings(self) -> Option<P2pSettings> {
        self.p2p_enabled.then(|| P2pSettings {
            listen: self.p2p_tcp_listen_addr,
            announce: self.p2p_tcp_announce_addr,
            bootstrap: self.bootstrap_nodes,
            max_peers: self.p2p_max_peers,
        })
    }
}

/// Publishes what the node accepted; a no-op when p2p is disabled.
#[derive(Debug, Clone, Default)]
pub struct Network {
    p2p: Option<P2pHandle>,
    committee: CommitteeFeed,
}

impl Network {
    pub(crate) fn new(p2p: Option<P2pHandle>, committee: CommitteeFeed) -> Self {
        Self { p2p, committee }
    }

    /// The committee messages received from peers and published by this process.
    pub fn committee(&self) -> &CommitteeFeed {
        &self.committee
    }

    /// Publishes a sign-off request (a proposer in the committee mode) and hands it to this
    /// process's own members.
    pub fn signoff_request(&self, request: &SignoffRequest) {
        let key = SignoffRequest::digest(&request.block, 0, Address::ZERO);
        self.publish(Topic::SignoffRequests, key, request);
        self.committee
            .deliver(CommitteeMessage::Request(request.clone()));
    }

    /// Publishes a member's sign-off and hands it to this process's own proposers.
    pub fn signoff(&self, signoff: &SignedSignoff) {
        self.publish(Topic::Signoffs, signoff.public_inputs_hash, signoff);
        self.committee
            .deliver(CommitteeMessage::Signoff(signoff.clone()));
    }

    /// Publishes a member's chunk proof and hands it to this process's own assembler.
    pub fn chunk_proof(&self, proof: &ChunkProofMessage) {
        self.publish(Topic::ChunkProofs, proof.commitment, proof);
        self.committee
            .deliver(CommitteeMessage::ChunkProof(proof.clone()));
    }

    /// The p2p handle (peers, scores, counters), when p2p is enabled.
    pub fn p2p(&self) -> Option<&P2pHandle> {
        self.p2p.as_ref()
    }

    /// Publishes a transaction the pool accepted from RPC.
    pub fn tx(&self, hash: B256, tx: &Tx) {
        self.publish(Topic::Transactions, hash, tx);
    }

    /// Publishes a quote the pool accepted from RPC (keyed by its EIP-712 digest).
    pub fn quote(&self, digest: B256, quote: &SignedQuote) {
        self.publish(Topic::Quotes, digest, quote);
    }

    /// Publishes a proposal hint (the sequencer, once its `propose` transaction is mined).
    pub fn proposal(&self, hint: &ProposalHint) {
        self.publish(Topic::Proposals, hint.proposal.l1_tx_hash, hint);
    }

    fn publish(&self, topic: Topic, key: B256, payload: &impl Serialize) {
        let Some(p2p) = &self.p2p else { return };
        let data = match serde_json::to_vec(payload) {
            Ok(data) => data,
            Err(error) => return warn!(?topic, %key, %error, "cannot encode gossip message"),
        };
        if let Err(error) = p2p.publish(topic, data) {
            warn!(?topic, %key, %error, "not published");
        }
    }
}

/// Judges what peers send: the task behind every gossip verdict.
pub(crate) struct Validator {
    /// Reads the prover escrow.
    pub(crate) l1: Arc<L1>,
    pub(crate) pool: PoolHandle,
    pub(crate) chain: ChainHandle,
    /// Woken by a valid proposal hint.
    pub(crate) wake: Arc<Notify>,
    /// Receives the committee messages that pass the gossip checks.
    pub(crate) committee: CommitteeFeed,
}

impl Validator {
    /// Judges messages until `shutdown` turns true or the network stops.
    pub(crate) async fn run(
        self,
        p2p: P2pHandle,
        mut messages: mpsc::Receiver<Incoming>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                message = messages.recv() => {
                    let Some(message) = message else { return };
                    let verdict = self.judge(&message).await;
                    debug!(topic = ?message.topic, id = %message.id, ?verdict, "gossip judged");
                    if let Err(error) = p2p.report(&message, verdict) {
                        warn!(%error, "cannot report a gossip verdict");
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
    }

    async fn judge(&self, message: &Incoming) -> MessageAcceptance {
        match message.topic {
            Topic::Transactions => match serde_json::from_slice::<Tx>(&message.data) {
                Ok(tx) => tx_verdict(self.pool.submit_tx(tx).await.map(|_| ())),
                Err(_) => MessageAcceptance::Reject,
            },
            Topic::Quotes => match serde_json::from_slice::<SignedQuote>(&message.data) {
                Ok(quote) => self.quote_verdict(quote).await,
                Err(_) => MessageAcceptance::Reject,
            },
            Topic::Proposals => match serde_json::from_slice::<ProposalHint>(&message.data) {
                Ok(hint) => self.hint_verdict(&hint),
                Err(_) => MessageAcceptance::Reject,
            },
            Topic::SignoffRequests => {
                match serde_json::from_slice::<SignoffRequest>(&message.data) {
                    Ok(request) => {
                        let checked = request.verify(
                            self.l1.chain_id,
                            self.l1.deployment.rollup.address,
                            self.current_slot(),
                        );
                        self.committee_verdict(checked, CommitteeMessage::Request(request))
                    }
                    Err(_) => MessageAcceptance::Reject,
                }
            }
            Topic::Signoffs => match serde_json::from_slice::<SignedSignoff>(&message.data) {
                Ok(signoff) => {
                    let checked = signoff.verify(
                        self.l1.chain_id,
                        self.l1.deployment.rollup.address,
                        self.current_slot(),
                    );
                    self.committee_verdict(checked, CommitteeMessage::Signoff(signoff))
                }
                Err(_) => MessageAcceptance::Reject,
            },
            Topic::ChunkProofs => {
                match serde_json::from_slice::<ChunkProofMessage>(&message.data) {
                    Ok(proof) => {
                        let checked = proof.check_shape();
                        self.committee_verdict(checked, CommitteeMessage::ChunkProof(proof))
                    }
                    Err(_) => MessageAcceptance::Reject,
                }
            }
        }
    }

    /// The slot of the node's L1 time.
    fn current_slot(&self) -> u64 {
        let chain = self.chain.read();
        chain.clock().slot_at(chain.l1_timestamp())
    }

    /// Accepts and delivers a committee message whose gossip checks passed; rejects the others.
    fn committee_verdict(
        &self,
        checked: Result<(), CommitteeMessageError>,
        message: CommitteeMessage,
    ) -> MessageAcceptance {
        match checked {
            Ok(()) => {
                self.committee.deliver(message);
                MessageAcceptance::Accept
            }
            Err(error) => {
                debug!(%error, "committee message refused");
                MessageAcceptance::Reject
            }
        }
    }

    /// Checks the signature first (cheap, and a forgery must not cost an L1 read), then the
    /// prover's free escrow, then the pool's rules.
    async fn quote_verdict(&self, quote: SignedQuote) -> MessageAcceptance {
        if let Err(error) = quote.verify_signature(self.l1.chain_id) {
            return quote_verdict(Err(error.into()));
        }
        let escrow = IProverEscrow::new(
            self.l1.deployment.prover_escrow.address,
            self.l1.provider.clone(),
        );
        match escrow.freeBalanceOf(quote.quote.prover).call().await {
            Ok(free) if free >= quote.quote.bond_amount => {}
            Ok(free) => {
                debug!(prover = %quote.quote.prover, %free, bond = %quote.quote.bond_amount, "quote's bond not covered");
                return MessageAcceptance::Ignore;
            }
            Err(error) => {
                debug!(%error, "cannot read the prover escrow");
                return MessageAcceptance::Ignore;
            }
        }
        quote_verdict(self.pool.submit_quote(quote).await)
    }

    fn hint_verdict(&self, hint: &ProposalHint) -> MessageAcceptance {
        let (current_slot, pending_tip) = {
            let chain = self.chain.read();
            (
                chain.clock().slot_at(chain.l1_timestamp()),
                chain.pending_tip(),
            )
        };
        let rollup = self.l1.deployment.rollup.address;
        if let Err(error) = hint.verify(self.l1.chain_id, rollup, current_slot) {
            debug!(%error, "proposal hint refused");
            return MessageAcceptance::Reject;
        }
        if hint.proposal.block_number <= pending_tip {
            return MessageAcceptance::Ignore;
        }
        self.wake.notify_one();
        MessageAcceptance::Accept
    }
}

/// Starts the p2p service for a node; returns it, its handle and the received messages.
pub(crate) async fn start(
    settings: &P2pSettings,
    data_dir: &Path,
    chain_id: u64,
    rollup: Address,
) -> crate::Result<(P2pService, mpsc::Receiver<Incoming>)> {
    Ok(P2pService::start(settings.config(data_dir, chain_id, rollup)).await?)
}

/// The verdict on a transaction from the pool's answer.
fn tx_verdict(result: crate::Result<()>) -> MessageAcceptance {
    match result {
        Ok(()) => MessageAcceptance::Accept,
        Err(Error::Pool(PoolError::Malformed(_) | PoolError::FeeTooLow { .. })) => {
            MessageAcceptance::Reject
        }
        Err(_) => MessageAcceptance::Ignore,
    }
}

/// The verdict on a quote from the pool's answer.
fn quote_verdict(result: crate::Result<bool>) -> MessageAcceptance {
    match result {
        Ok(true) => MessageAcceptance::Accept,
        Ok(false) => MessageAcceptance::Ignore,
        // Every variant named: a new rule must be classed here.
        Err(Error::Quote(error)) => match error {
            QuoteError::WrongRollup { .. }
            | QuoteError::InvalidBasisPointFee { .. }
            | QuoteError::SignatureLength { .. }
            | QuoteError::MalformedSignature { .. }
            | QuoteError::BadSignature { .. } => MessageAcceptance::Reject,
            QuoteError::Expired { .. } => MessageAcceptance::Ignore,
        },
        Err(_) => MessageAcceptance::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::Address;

    use super::*;
    use crate::tx::TxShapeError;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        p2p: P2pArgs,
    }

    #[test]
    fn p2p_flags_parse_with_aztecs_names() {
        use clap::Parser;
        let defaults = Cli::try_parse_from(["node"])
            .unwrap()
            .p2p
            .into_settings()
            .unwrap();
        assert_eq!(defaults.listen, "0.0.0.0:40400".parse().unwrap());
        assert_eq!(defaults.max_peers, DEFAULT_MAX_PEERS);
        assert!(defaults.bootstrap.is_empty());
        let cli = Cli::try_parse_from([
            "node",
            "--p2p-tcp-listen-addr",
            "127.0.0.2:40401",
            "--bootstrap-nodes",
            "/ip4/127.0.0.1/tcp/40400,/ip4/127.0.0.3/tcp/1",
            "--p2p-max-peers",
            "7",
        ])
        .unwrap();
        let settings = cli.p2p.into_settings().unwrap();
        assert_eq!(settings.bootstrap.len(), 2);
        assert_eq!(settings.max_peers, 7);
        let off = Cli::try_parse_from(["node", "--p2p-enabled", "false"]).unwrap();
        assert!(off.p2p.into_settings().is_none());
    }

    #[test]
    fn rule_violations_are_rejected_and_views_of_the_chain_ignored() {
        assert_eq!(tx_verdict(Ok(())), MessageAcceptance::Accept);
        let pool = |e: PoolError| tx_verdict(Err(e.into()));
        assert_eq!(
            pool(PoolError::FeeTooLow {
                fee: 0,
                base_fee: 1
            }),
            MessageAcceptance::Reject
        );
        assert_eq!(
            pool(PoolError::Malformed(TxShapeError::ZeroWriteKey)),
            MessageAcceptance::Reject
        );
        assert_eq!(
            pool(PoolError::Duplicate(B256::ZERO)),
            MessageAcceptance::Ignore
        );
        assert_eq!(
            pool(PoolError::NullifierSpent {
                nullifier: B256::ZERO
            }),
            MessageAcceptance::Ignore
        );

        assert_eq!(quote_verdict(Ok(true)), MessageAcceptance::Accept);
        assert_eq!(quote_verdict(Ok(false)), MessageAcceptance::Ignore);
        let quote = |e: QuoteError| quote_verdict(Err(e.into()));
        assert_eq!(
            quote(QuoteError::BadSignature {
                prover: Address::ZERO,
                recovered: Address::ZERO
            }),
            MessageAcceptance::Reject
        );
        assert_eq!(
            quote(QuoteError::SignatureLength {
                signature: vec![1u8; 64].into()
            }),
            MessageAcceptance::Reject
        );
        assert_eq!(
            quote(QuoteError::Expired {
                epoch: 1,
                last_slot: 2,
                current_slot: 3
            }),
            MessageAcceptance::Ignore
        );
    }
}
