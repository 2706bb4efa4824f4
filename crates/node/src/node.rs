//! The node as a library: configuration, start-up (store, replay, follower, RPC server) and
//! shutdown. The `fernet-node` binary, the sequencer and the prover node embed it.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use alloy::{providers::Provider, signers::local::PrivateKeySigner};
use fernet_l1::{L1Options, L1Time, TxSender};
use fernet_p2p::P2pService;
use fernet_state::WorldState;
use reqwest::Url;
use tokio::{
    sync::{watch, Notify},
    task::JoinHandle,
};
use tracing::{error, info};

use crate::{
    blocking,
    chain::ChainHandle,
    committee::CommitteeFeed,
    follower::{rebuild, Follower},
    metrics::Metrics,
    network::{self, Network, P2pArgs, P2pSettings, Validator},
    pool::{PoolHandle, PoolState, QuoteRules, DEFAULT_POOL_MAX_TXS},
    rpc::{router, RpcContext},
    store::Store,
    Error, Result, L1,
};

/// What a node needs to run.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// L1 JSON-RPC (`ETHEREUM_HOST`).
    pub rpc_url: Url,
    /// Refuse any other L1 chain (`L1_CHAIN_ID`).
    pub l1_chain_id: Option<u64>,
    /// The deployment record (`DEPLOYMENT_FILE`; default `deployments/<chain-id>.json`).
    pub deployment_file: Option<PathBuf>,
    /// Where the store lives (`DATA_DIRECTORY`).
    pub data_dir: PathBuf,
    /// Where the JSON-RPC server listens (`NODE_LISTEN_HOST`, `AZTEC_PORT`); `None`: no RPC
    /// server, port 0: any free port.
    pub rpc_listen: Option<SocketAddr>,
    /// The peer-to-peer network (`P2P_*`, `BOOTSTRAP_NODES`); `None`: off (`P2P_ENABLED=false`).
    pub p2p: Option<P2pSettings>,
    /// Lowest fee the pool accepts (`L2_BASE_FEE`).
    pub base_fee: u128,
    /// Most transactions the pool holds (`P2P_MAX_TX_POOL_COUNT`, default
    /// [`DEFAULT_POOL_MAX_TXS`]); when full, the cheapest is evicted by a better-paying one.
    pub pool_max_txs: usize,
    /// How often the L1 head is polled while a block is due, and how soon a failed follower
    /// step is retried (`NODE_POLLING_INTERVAL_MS`); see [`L1Time`].
    pub polling_interval: Duration,
    /// The L1 client's timeouts, retries and transaction replacement (`L1_*`).
    pub l1: L1Options,
}

/// The node's command-line flags, each with its environment variable; flatten them into a
/// service's own arguments with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct NodeArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(
        long = "l1-rpc-url",
        env = "ETHEREUM_HOST",
        default_value = "http://127.0.0.1:8545"
    )]
    pub ethereum_host: Url,
    /// Refuse to run on any other L1 chain (default: whatever the RPC serves).
    #[arg(long, env = "L1_CHAIN_ID")]
    pub l1_chain_id: Option<u64>,
    /// The suite's deployment record (default: deployments/<chain-id>.json).
    #[arg(long, env = "DEPLOYMENT_FILE")]
    pub deployment_file: Option<PathBuf>,
    /// Directory of the embedded store (default: .fernet/<binary>).
    #[arg(long, env = "DATA_DIRECTORY")]
    pub data_directory: Option<PathBuf>,
    /// Interface the JSON-RPC server listens on (`0.0.0.0` to serve other machines).
    #[arg(long = "host", env = "NODE_LISTEN_HOST", default_value = "127.0.0.1")]
    pub listen_host: IpAddr,
    /// JSON-RPC port (0: any free port).
    #[arg(long, env = "AZTEC_PORT", default_value_t = 8080)]
    pub port: u16,
    /// The peer-to-peer network.
    #[command(flatten)]
    pub p2p: P2pArgs,
    /// Lowest transaction fee the pool accepts.
    #[arg(long, env = "L2_BASE_FEE", default_value_t = 1)]
    pub l2_base_fee: u128,
    /// Most transactions the pool holds; when full, a newcomer paying more than the cheapest
    /// pooled transaction evicts it, one paying no more is refused.
    #[arg(long = "pool-max-txs", env = "P2P_MAX_TX_POOL_COUNT", default_value_t = DEFAULT_POOL_MAX_TXS)]
    pub pool_max_txs: usize,
    /// How often the process polls the L1 head while a block is due, in milliseconds (right
    /// after a block it waits for the shortest block interval seen); the follower, the slot
    /// clock and the transaction watchers share the poll.
    #[arg(long, env = "NODE_POLLING_INTERVAL_MS", default_value_t = 1000)]
    pub polling_interval_ms: u64,
    /// The L1 client.
    #[command(flatten)]
    pub l1: L1Options,
}

impl NodeArgs {
    /// The configuration, with `.fernet/<binary>` as the data directory unless one was given.
    pub fn into_config(self, binary: &str) -> NodeConfig {
        NodeConfig {
            rpc_url: self.ethereum_host,
            l1_chain_id: self.l1_chain_id,
            deployment_file: self.deployment_file,
            data_dir: self
                .data_directory
                .unwrap_or_else(|| PathBuf::from(".fernet").join(binary)),
            rpc_listen: Some(SocketAddr::new(self.listen_host, self.port)),
            p2p: self.p2p.into_settings(),
            base_fee: self.l2_base_fee,
            pool_max_txs: self.pool_max_txs,
            polling_interval: Duration::from_millis(self.polling_interval_ms.max(1)),
            l1: self.l1,
        }
    }
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    /// The L1 connection.
    pub l1: Arc<L1>,
    /// The L1 head and clock, polled once for the whole process.
    pub time: L1Time,
    /// The chain the follower maintains.
    pub chain: ChainHandle,
    /// The transaction and quote pools.
    pub pool: PoolHandle,
    /// The counters served on `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Publishing to peers (a no-op when p2p is off).
    pub network: Network,
    p2p: Option<P2pService>,
    rpc_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Node {
    /// Connects to L1, opens the store, rebuilds the chain from it, and spawns the follower,
    /// the p2p network and its validator (when enabled) and the RPC server (when a port is
    /// configured).
    pub async fn start(config: NodeConfig) -> Result<Self> {
        let l1 = Arc::new(
            L1::connect_with(
                &config.rpc_url,
                config.l1_chain_id,
                config.deployment_file.as_deref(),
                &config.l1,
            )
            .await?,
        );
        let genesis = WorldState::new(l1.deployment.state_config)?;
        // Opening the store and replaying its log is blocking work: off the runtime.
        let (data_dir, from, clock) = (config.data_dir.clone(), genesis.clone(), l1.clock);
        let (store, loaded, chain) = blocking::run("node-load", move || {
            let store = Arc::new(Store::open(&data_dir)?);
            let loaded = store.load()?;
            let checkpoint = store.checkpoint()?;
            let chain = rebuild(&from, clock, &loaded.events, checkpoint.as_ref());
            Ok((store, loaded, chain))
        })
        .await?;
        let chain = ChainHandle::new(chain);
        info!(
            data_dir = %config.data_dir.display(),
            events = loaded.events.len(),
            pending = chain.pending_tip(),
            proven = chain.proven_tip(),
            pooled = loaded.pool.len(),
            "store loaded"
        );
        let rules = QuoteRules {
            chain_id: l1.chain_id,
            rollup: l1.deployment.rollup.address,
            claim_window_slots: l1.deployment.parameters.rollup.claim_window_slots,
            max_prover_fee_bps: l1.deployment.parameters.rollup.max_prover_fee_bps,
        };
        let pool_state =
            PoolState::from_loaded(loaded.pool, loaded.dropped, loaded.quotes, l1.chain_id);
        let pool = PoolHandle::new(
            pool_state,
            store,
            chain.clone(),
            config.base_fee,
            config.pool_max_txs,
            rules,
        );
        let metrics = Arc::new(Metrics::default());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let committee = CommitteeFeed::default();
        let mut tasks = Vec::new();
        let (p2p, network) = match &config.p2p {
            Some(settings) => {
                let rollup = l1.deployment.rollup.address;
                let (service, messages) =
                    network::start(settings, &config.data_dir, l1.chain_id, rollup).await?;
                let validator = Validator {
                    l1: l1.clone(),
                    pool: pool.clone(),
                    chain: chain.clone(),
                    wake: wake.clone(),
                    committee: committee.clone(),
                };
                tasks.push((
                    "p2p-validator",
                    tokio::spawn(validator.run(service.handle(), messages, shutdown_rx.clone())),
                ));
                let network = Network::new(Some(service.handle()), committee);
                (Some(service), network)
            }
            None => (None, Network::new(None, committee)),
        };
        let time = L1Time::start(l1.provider.clone(), config.polling_interval).await?;
        let follower = Follower::new(
            l1.clone(),
            time.clone(),
            chain.clone(),
            pool.clone(),
            genesis,
            loaded.cursor,
            metrics.clone(),
        );
        tasks.push((
            "follower",
            tokio::spawn(follower.run(config.polling_interval, shutdown_rx.clone(), wake)),
        ));
        let mut rpc_addr = None;
        if let Some(listen) = config.rpc_listen {
            let bind_error = |source| Error::Bind {
                addr: listen,
                source,
            };
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(bind_error)?;
            let addr = listener.local_addr().map_err(bind_error)?;
            let context = RpcContext {
                l1: l1.clone(),
                chain: chain.clone(),
                pool: pool.clone(),
                metrics: metrics.clone(),
                network: network.clone(),
            };
            let (stop_rpc, rpc_handle) = jsonrpsee::server::stop_channel();
            let mut stop = shutdown_rx;
            let server = axum::serve(listener, router(context, stop_rpc)).with_graceful_shutdown(
                async move {
                    let _ = stop.wait_for(|stop| *stop).await;
                    // In-flight requests finish; the JSON-RPC service takes no new calls.
                    let _ = rpc_handle.stop();
                },
            );
            tasks.push((
                "rpc",
                tokio::spawn(async move {
                    if let Err(error) = server.await {
                        error!(%error, "RPC server failed");
                    }
                }),
            ));
            info!(%addr, "node listening on {addr}");
            rpc_addr = Some(addr);
        }
        Ok(Self {
            l1,
            time,
            chain,
            pool,
            metrics,
            network,
            p2p,
            rpc_addr,
            shutdown,
            tasks,
        })
    }

    /// A [`TxSender`] for `signer` whose watchers read their nonce once per new L1 head
    /// ([`TxSender::with_heads`] on the process's head poller).
    pub fn tx_sender(&self, signer: PrivateKeySigner) -> Result<TxSender> {
        Ok(self.l1.tx_sender(signer)?.with_heads(self.time.subscribe()))
    }

    /// Where the RPC server listens, if it runs.
    pub fn rpc_addr(&self) -> Option<SocketAddr> {
        self.rpc_addr
    }

    /// The RPC server's URL (on loopback when it listens on every interface), if it runs.
    pub fn rpc_url(&self) -> Option<Url> {
        let mut addr = self.rpc_addr?;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        Url::parse(&format!("http://{addr}")).ok()
    }

    /// Waits until the follower has folded every L1 block up to L1's latest block as of now
    /// (read once, and the head poller asked to look at once).
    pub async fn wait_synced(&self) -> Result<()> {
        let latest = self
            .l1
            .provider
            .get_block_number()
            .await
            .map_err(Error::l1("eth_blockNumber"))?;
        self.time.poll_now();
        let mut steps = self.chain.subscribe();
        while self.chain.synced_l1_block() < latest {
            if steps.changed().await.is_err() {
                return Err(Error::Task {
                    task: "follower",
                    message: "stopped before reaching L1's head".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Stops the follower, the p2p network and the RPC server and waits for them; reports a
    /// task that panicked.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.shutdown.send(true);
        let mut result = Ok(());
        if let Some(p2p) = self.p2p {
            if let Err(error) = p2p.shutdown().await {
                error!(%error, "p2p network failed");
                result = Err(error.into());
            }
        }
        for (task, handle) in self.tasks {
            if let Err(join) = handle.await {
                error!(task, error = %join, "task failed");
                result = Err(Error::Task {
                    task,
                    message: join.to_string(),
                });
            }
        }
        info!("node stopped");
        result
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM: what the service binaries stop on.
pub async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
