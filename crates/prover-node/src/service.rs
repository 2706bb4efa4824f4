//! The prover node as a service: an embedded follower node, the epoch monitor, the metrics and
//! health server, and optionally an in-process prover agent, started and stopped together.

use std::{net::SocketAddr, sync::Arc};

use alloy::primitives::Address;
use fernet_broker::{Agent, AgentConfig, BlockKeys, DeployedVerifiers};
use fernet_node::{Node, NodeConfig};
use fernet_primitives::{Deployment, ProvingMode};
use tokio::{sync::watch, task::JoinHandle};
use tracing::{error, info, warn};

use crate::{
    bond::BondManager,
    committee::{CommitteeParts, CommitteeProver},
    config::{BlockProofs, ProverNodeArgs},
    delivery::QuoteDelivery,
    l1::RollupView,
    metrics::{self, Metrics},
    monitor::{EpochMonitor, MonitorParts, MonitorSettings},
    orchestrator::{BlockSplit, Orchestrator},
    quote::QuoteSigner,
    quote_provider::{ConfiguredQuoteProvider, FixedQuoteProvider, HttpQuoteProvider, QuoteTerms},
    submit::ProofSubmitter,
    Error, Result,
};

/// A running prover node.
#[derive(Debug)]
pub struct ProverNode {
    node: Node,
    prover: Address,
    metrics: Arc<Metrics>,
    metrics_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl ProverNode {
    /// Starts the embedded node (a follower: no RPC server), checks the settings against the
    /// rollup, serves `/metrics` and `/health` on `AZTEC_PORT`, and spawns the epoch monitor
    /// (and the agent when `PROVER_AGENT_ENABLED`).
    pub async fn start(args: ProverNodeArgs) -> Result<Self> {
        let node = Node::start(NodeConfig {
            rpc_url: args.ethereum_host.clone(),
            l1_chain_id: args.l1_chain_id,
            deployment_file: args.deployment_file.clone(),
            data_dir: args.data_directory.join("node"),
            rpc_listen: None,
            p2p: args.p2p.clone().into_settings(),
            base_fee: 1,
            pool_max_txs: fernet_node::pool::DEFAULT_POOL_MAX_TXS,
            polling_interval: std::time::Duration::from_millis(args.polling_interval_ms.max(1)),
            l1: args.l1.clone(),
        })
        .await?;
        let l1 = node.l1.clone();
        let view = RollupView::connect(&l1).await?;
        let windows = view.windows();
        let settings = args.settings(windows.minimum_prover_bond, windows.max_prover_fee_bps)?;
        let deployment = &l1.deployment;
        let broker = args.broker_client()?;
        // The in-process agent's keys must be the deployed verifier's: proofs made with other
        // keys would waste the epoch.
        let agent_keys = if args.agent_enabled {
            let deployed = DeployedVerifiers::of(deployment);
            let keys =
                tokio::task::spawn_blocking(move || BlockKeys::from_env()?.for_verifier(deployed))
                    .await
                    .map_err(|join| Error::Task {
                        task: "agent-key-check",
                        message: join.to_string(),
                    })?
                    .map_err(|error| Error::Config {
                        name: "PROVER_AGENT_ENABLED",
                        reason: error.to_string(),
                    })?;
            Some(keys)
        } else {
            None
        };
        let sender = node.tx_sender(args.publisher_private_key.clone())?;

        let quotes = match &args.quote_provider_url {
            Some(url) => ConfiguredQuoteProvider::Http(HttpQuoteProvider::new(
                url.clone(),
                args.quote_provider_timeout(),
            )?),
            None => ConfiguredQuoteProvider::Fixed(FixedQuoteProvider::new(QuoteTerms {
                basis_point_fee: settings.basis_point_fee,
                bond_amount: settings.bond_amount,
            })),
        };
        let delivery = if node.network.p2p().is_some() {
            QuoteDelivery::new(node.pool.clone(), node.network.clone())
        } else {
            warn!("P2P_ENABLED=false: no quotes are sent (open proving only)");
            QuoteDelivery::none()
        };
        let metrics = Arc::new(Metrics::default());
        let (shutdown, stop) = watch::channel(false);
        let (metrics_addr, server) = metrics::serve(
            (args.listen_host, args.port).into(),
            metrics.clone(),
            stop.clone(),
        )
        .await?;
        let mut tasks = vec![("metrics-server", server)];

        match (
            deployment.parameters.proving_mode,
            &deployment.parameters.committee,
        ) {
            (ProvingMode::Committee, Some(params)) => {
                let prover = CommitteeProver::new(CommitteeParts {
                    view,
                    witnesses: node.chain.clone(),
                    broker: broker.clone(),
                    sender,
                    members: args.committee_members.clone(),
                    chunk_txs: chunk_txs(deployment, "PROVER_COMMITTEE_MEMBERS")?,
                    chunk_verifier: deployment.chunk_verifier.address,
                    staking: deployment.staking.address,
                    deploy_block: deployment.deploy_block,
                    network: node.network.clone(),
                    takeover_slots: params.takeover_slots,
                    inactivity_limit: usize::try_from(params.inactivity_limit)
                        .unwrap_or(usize::MAX),
                    polling_interval: settings.polling_interval,
                });
                let feed = node.network.committee().subscribe();
                info!(members = ?args.committee_members, "committee mode: proving the members' chunks");
                tasks.push((
                    "committee-prover",
                    tokio::spawn(prover.run(feed, stop.clone())),
                ));
            }
            _ => {
                let monitor = EpochMonitor::new(MonitorParts {
                    view,
                    quotes,
                    signer: QuoteSigner::new(
                        args.publisher_private_key.clone(),
                        l1.chain_id,
                        deployment.rollup.address,
                    ),
                    delivery,
                    bonds: BondManager::new(
                        sender.clone(),
                        deployment.prover_escrow.address,
                        deployment.token.address,
                        settings.minimum_escrow,
                        settings.target_escrow,
                    ),
                    submitter: ProofSubmitter::new(deployment.rollup.address, sender),
                    orchestrator: Orchestrator::new(
                        node.chain.clone(),
                        broker.clone(),
                        settings.prover,
                    )
                    .with_split(block_split(args.block_proofs, deployment)?),
                    settings: MonitorSettings {
                        prover: settings.prover,
                        startup_bond: settings.bond_amount,
                        open_proving: settings.open_proving,
                        polling_interval: settings.polling_interval,
                    },
                    metrics: metrics.clone(),
                });
                tasks.push(("epoch-monitor", tokio::spawn(monitor.run(stop.clone()))));
            }
        }

        if let Some(keys) = agent_keys {
            let agent = Agent::new(
                broker,
                AgentConfig {
                    concurrency: args.agent_concurrency,
                    ..AgentConfig::default()
                },
                Arc::new(keys),
            );
            let stop = stop.clone();
            tasks.push((
                "prover-agent",
                tokio::spawn(async move {
                    if let Err(error) = agent.run(stop).await {
                        error!(%error, "in-process agent failed");
                    }
                }),
            ));
        }
        info!(
            prover = %settings.prover,
            rollup = %deployment.rollup.address,
            broker = %args.broker_urls(),
            metrics = %metrics_addr,
            open_proving = settings.open_proving,
            agent = args.agent_enabled,
            "prover node started"
        );
        Ok(Self {
            node,
            prover: settings.prover,
            metrics,
            metrics_addr,
            shutdown,
            tasks,
        })
    }

    /// The prover's address.
    pub fn prover(&self) -> Address {
        self.prover
    }

    /// The embedded node (its chain, L1 connection).
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The counters served on `/metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Where `/metrics` and `/health` are served.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_addr
    }

    /// Stops every task and the embedded node and waits for them; reports a task that panicked.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.shutdown.send(true);
        let mut result = Ok(());
        for (task, handle) in self.tasks {
            if let Err(join) = handle.await {
                error!(task, error = %join, "task failed");
                result = Err(Error::Task {
                    task,
                    message: join.to_string(),
                });
            }
        }
        self.node.shutdown().await?;
        info!("prover node stopped");
        result
    }
}

/// The orchestrator's split for `proofs` on `deployment`: chunks of its state configuration's
/// chunk size.
fn block_split(proofs: BlockProofs, deployment: &Deployment) -> Result<BlockSplit> {
    Ok(match proofs {
        BlockProofs::Whole => BlockSplit::Whole,
        BlockProofs::Chunks => BlockSplit::Chunks {
            chunk_txs: chunk_txs(deployment, "PROVER_BLOCK_PROOFS")?,
        },
    })
}

/// The chunk size of `deployment`'s state configuration (`setting` is what needs it).
fn chunk_txs(deployment: &Deployment, setting: &'static str) -> Result<usize> {
    deployment
        .state_config
        .chunk_txs()
        .map_err(|error| Error::Config {
            name: setting,
            reason: format!("the deployment's circuit has no chunk size: {error}"),
        })
}
