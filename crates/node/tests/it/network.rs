//! The p2p network: eight nodes on distinct loopback addresses (127.0.0.2 … 127.0.0.9) in a
//! chain topology (node i knows only node i-1) over one anvil. Transactions and quotes reach
//! every node, a peer sending invalid messages is scored down and blocked, and shutting down a
//! middle node does not partition the rest. Prints propagation latency and messages per node.

use std::{
    net::Ipv4Addr,
    time::{Duration, Instant},
};

use alloy::{
    primitives::{B256, U256},
    signers::local::PrivateKeySigner,
};
use fernet_bindings::{DevnetToken, IProverEscrow};
use fernet_deploy::chain::ANVIL_DEFAULT_PRIVATE_KEY;
use fernet_node::{network::network_id, Node, P2pSettings, Proposal, Tx};
use fernet_p2p::{Multiaddr, P2pConfig, P2pService, Protocol, Topic, BLOCK_SCORE_THRESHOLD};
use fernet_primitives::quote::Quote;

use crate::support::{start, tx, Env};

const NODES: usize = 8;
/// Transactions whose propagation is timed.
const SAMPLES: u64 = 50;
/// Longest any one wait of this test may take.
const WAIT: Duration = Duration::from_secs(30);

/// Polls `check` every 2 ms until it holds, for at most [`WAIT`].
async fn until(what: &str, mut check: impl FnMut() -> bool) -> eyre::Result<()> {
    tokio::time::timeout(WAIT, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .map_err(|_| eyre::eyre!("timed out waiting for {what}"))
}

/// The TCP address a node's p2p network listens on, with its peer id.
fn tcp_addr(node: &Node) -> Multiaddr {
    let p2p = node.network.p2p().expect("p2p runs");
    p2p.listen_addrs()
        .into_iter()
        .find(|addr| addr.iter().any(|p| matches!(p, Protocol::Tcp(_))))
        .expect("a TCP listener")
}

/// Pools `tx` at `origin` and publishes it, as `fernet_sendTransaction` does.
async fn send(origin: &Node, tx: &Tx) -> eyre::Result<alloy::primitives::B256> {
    let hash = origin.pool.submit_tx(tx.clone()).await?;
    origin.network.tx(hash, tx);
    Ok(hash)
}

/// Live node `i`.
fn node(nodes: &[Option<Node>], i: usize) -> &Node {
    nodes[i].as_ref().expect("a live node")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_reaches_every_node_blocks_spammers_and_survives_a_lost_node() -> eyre::Result<()> {
    let started = Instant::now();
    let env = Env::new().await?;
    let mut nodes: Vec<Option<Node>> = Vec::new();
    for i in 0..NODES {
        let mut config = env.node_config(&format!("p2p-{i}"), 0);
        config.rpc_listen = None;
        let bootstrap = match nodes.last() {
            Some(Some(previous)) => vec![tcp_addr(previous)],
            _ => Vec::new(),
        };
        config.p2p = Some(P2pSettings {
            listen: (Ipv4Addr::new(127, 0, 0, 2 + i as u8), 0).into(),
            announce: None,
            bootstrap,
            max_peers: 50,
        });
        nodes.push(Some(start(config).await?));
    }
    let live = |nodes: &[Option<Node>]| -> Vec<usize> {
        (0..nodes.len()).filter(|i| nodes[*i].is_some()).collect()
    };

    // Discovery: each node knew one peer; Kademlia finds the others.
    until("every node to find at least 4 peers", || {
        nodes
            .iter()
            .flatten()
            .all(|n| n.network.p2p().expect("p2p").peer_count() >= 4)
    })
    .await?;
    let peers: Vec<usize> = nodes
        .iter()
        .flatten()
        .map(|n| n.network.p2p().expect("p2p").peer_count())
        .collect();
    eprintln!("peers per node after discovery: {peers:?}");

    // Warm-up: the gossipsub mesh forms within a heartbeat or two.
    let warm = tx(0, 1);
    let hash = send(node(&nodes, 0), &warm).await?;
    until("the first transaction everywhere", || {
        nodes.iter().flatten().all(|n| n.pool.contains(&hash))
    })
    .await?;

    // (a) Transactions sent to one node (in turn) reach every node's pool; time each arrival.
    let mut latencies = Vec::new();
    let mut full = Vec::new();
    for k in 0..SAMPLES {
        let origin = (k as usize) % NODES;
        let sent = Instant::now();
        let hash = send(node(&nodes, origin), &tx(0, 100 + k)).await?;
        let mut arrived = [None; NODES];
        arrived[origin] = Some(Duration::ZERO);
        until(&format!("transaction {k} everywhere"), || {
            for (i, n) in nodes.iter().enumerate() {
                if arrived[i].is_none() && n.as_ref().expect("live").pool.contains(&hash) {
                    arrived[i] = Some(sent.elapsed());
                }
            }
            arrived.iter().all(Option::is_some)
        })
        .await?;
        latencies.extend(
            arrived
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != origin)
                .map(|(_, d)| d.expect("arrived")),
        );
        full.push(sent.elapsed());
    }
    latencies.sort();
    full.sort();
    eprintln!(
        "propagation over {SAMPLES} txs x {} receivers: p50 {:?}, p99 {:?}, max {:?}; to the last node: p50 {:?}, p99 {:?}",
        NODES - 1,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().expect("samples"),
        percentile(&full, 0.5),
        percentile(&full, 0.99),
    );

    // (b) A quote accepted by one node reaches every node (sequencers embed nodes); its bond is
    // in the prover's escrow (nodes check it before forwarding).
    let prover: PrivateKeySigner = ANVIL_DEFAULT_PRIVATE_KEY.parse()?;
    let bond = U256::from(10u64).pow(U256::from(19u64));
    let d = &env.deployment;
    let token = DevnetToken::new(d.token.address, env.wallet.clone());
    env.receipt(
        *token
            .approve(d.prover_escrow.address, bond)
            .send()
            .await?
            .tx_hash(),
    )
    .await?;
    let escrow = IProverEscrow::new(d.prover_escrow.address, env.wallet.clone());
    env.receipt(
        *escrow
            .deposit(prover.address(), bond)
            .send()
            .await?
            .tx_hash(),
    )
    .await?;
    let epoch = env.clock.epoch_at(env.timestamp().await?) + 1;
    let quote = Quote {
        prover: prover.address(),
        epoch_to_prove: epoch,
        valid_until_slot: env.clock.epoch_first_slot(epoch + 2),
        bond_amount: bond,
        rollup_address: d.rollup.address,
        basis_point_fee: 500,
    }
    .sign(&prover, 31_337)?;
    let origin = node(&nodes, 5);
    assert!(origin.pool.submit_quote(quote.clone()).await?);
    origin.network.quote(quote.quote.digest(31_337), &quote);
    until("the quote everywhere", || {
        nodes
            .iter()
            .flatten()
            .all(|n| n.pool.quotes(epoch) == vec![quote.clone()])
    })
    .await?;

    // A signed proposal hint for the current slot is accepted (and forwarded) by every node; one
    // for a slot far off is rejected by the first node that gets it.
    let proposer = PrivateKeySigner::random();
    let slot = env.clock.slot_at(env.timestamp().await?);
    let hint = |slot: u64| {
        Proposal {
            block_number: 1,
            slot,
            l1_tx_hash: B256::repeat_byte(7),
            state_root: B256::repeat_byte(8),
            proposer: proposer.address(),
        }
        .sign(&proposer, 31_337, d.rollup.address)
    };
    let stats = |nodes: &[Option<Node>]| -> Vec<(u64, u64)> {
        nodes
            .iter()
            .flatten()
            .map(|n| {
                let s = n.network.p2p().expect("p2p").stats();
                (s.accepted, s.rejected)
            })
            .collect()
    };
    // Let every verdict so far land in the counters first.
    until("every message judged", || {
        nodes.iter().flatten().all(|n| {
            let s = n.network.p2p().expect("p2p").stats();
            s.received == s.accepted + s.rejected + s.ignored
        })
    })
    .await?;
    let before = stats(&nodes);
    node(&nodes, 2).network.proposal(&hint(slot)?);
    until("the hint accepted everywhere", || {
        stats(&nodes)
            .iter()
            .zip(&before)
            .enumerate()
            .all(|(i, (now, then))| i == 2 || now.0 > then.0)
    })
    .await?;
    node(&nodes, 2).network.proposal(&hint(slot + 5)?);
    until("the far-off hint rejected", || {
        stats(&nodes)
            .iter()
            .zip(&before)
            .any(|(now, then)| now.1 > then.1)
    })
    .await?;

    // (c) Attack (issue 11, validation): a raw libp2p peer on the same topics publishes
    // transactions that do not decode; it is scored down, disconnected and blocked.
    let (spammer, _ignored) = P2pService::start({
        let mut config = P2pConfig::new(
            (Ipv4Addr::new(127, 0, 0, 10), 0).into(),
            env.dir.path().join("spammer.key"),
            network_id(31_337, env.deployment.rollup.address),
        );
        config.bootstrap = vec![tcp_addr(node(&nodes, 0))];
        config.quic = false;
        config
    })
    .await?;
    let spammer_id = spammer.handle().local_peer_id();
    let target = node(&nodes, 0).network.p2p().expect("p2p").clone();
    until("the spammer to connect", || {
        target.connected_peers().contains(&spammer_id)
    })
    .await?;
    tokio::time::timeout(WAIT, async {
        let mut n = 0u32;
        while !target.is_blocked(&spammer_id) {
            n += 1;
            let _ = spammer.handle().publish(
                Topic::Transactions,
                format!("not a transaction {n}").into_bytes(),
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .map_err(|_| eyre::eyre!("the spammer was never blocked"))?;
    let score = target
        .peer_score(spammer_id)
        .await?
        .unwrap_or(f64::NEG_INFINITY);
    assert!(score < BLOCK_SCORE_THRESHOLD, "score {score}");
    until("the spammer to be disconnected", || {
        !target.connected_peers().contains(&spammer_id)
    })
    .await?;
    assert!(target.stats().rejected >= 3, "{:?}", target.stats());
    // The node's /metrics shows the penalties and the block.
    let first = node(&nodes, 0);
    let text = first
        .metrics
        .render(&first.chain, &first.pool, first.network.p2p());
    let metric = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    };
    assert!(
        metric("fernet_node_p2p_messages_rejected_total") >= Some(3),
        "{text}"
    );
    assert!(
        metric("fernet_node_p2p_peers_blocked_total") >= Some(1),
        "{text}"
    );
    spammer.shutdown().await?;

    // (d) Shutting down a middle node (the only bootnode of node 4) does not partition the rest.
    let middle = nodes[3].take().expect("live");
    middle.shutdown().await?;
    let last = node(&nodes, NODES - 1);
    let hash = send(last, &tx(0, 999)).await?;
    until("a transaction after the loss everywhere", || {
        nodes.iter().flatten().all(|n| n.pool.contains(&hash))
    })
    .await?;

    for i in live(&nodes) {
        let stats = node(&nodes, i).network.p2p().expect("p2p").stats();
        eprintln!(
            "node {i} (127.0.0.{}): received {}, accepted {}, rejected {}, ignored {}, published {}, peers {}",
            2 + i,
            stats.received,
            stats.accepted,
            stats.rejected,
            stats.ignored,
            stats.published,
            node(&nodes, i).network.p2p().expect("p2p").peer_count(),
        );
    }
    for n in nodes.into_iter().flatten() {
        n.shutdown().await?;
    }
    eprintln!("network test took {:?}", started.elapsed());
    Ok(())
}
