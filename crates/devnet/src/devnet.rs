//! [`Devnet`]: starts anvil, deploys, funds, generates the circuit keys and spawns every service;
//! stops them all on [`Devnet::stop`] or drop.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    transports::http::reqwest::Url,
};
use fernet_circuits::{
    block::prover::{devnet_keys, CEREMONY_KEYS_ENV},
    keys::KeyCache,
};
use fernet_deploy::verifiers::VerifierSources;
use fernet_deploy::{DeployConfig, DeployOptions};
use fernet_primitives::{Deployment, TokenAmount};
use tracing::{info, warn};

use crate::{
    accounts::{Account, Accounts, DEVNET_MNEMONIC},
    gate::L1Gate,
    hosts::Hosts,
    l1::{L1State, L1},
    monitor::Monitor,
    options::{
        agent_name, broker_name, offset_port, prover_name, sequencer_name, workspace_root,
        BrokerStore, DevnetOptions, Role, BACKUP_PROPOSER, DEVNET_DATABASE,
    },
    process::{stop_all, ChildProcess, ProcessSpec},
    Error, Result,
};

/// Chain id of the devnet's anvil.
pub const DEVNET_CHAIN_ID: u64 = 31_337;

/// Tokens sent to each sequencer (online or offline): ten times the devnet minimum stake.
pub const SEQUENCER_FUNDING_TOKENS: u64 = 1_000;

/// Tokens sent to each prover: enough for the escrow's target of 4 bonds many times over.
pub const PROVER_FUNDING_TOKENS: u64 = 1_000;

/// Tokens sent to the traffic account (for tests that need a funded outsider).
pub const TRAFFIC_FUNDING_TOKENS: u64 = 1_000;

/// Environment variables of the services (docs/services.md) that the devnet sets itself; they are
/// removed from the inherited environment so a value in the user's shell cannot leak in.
const MANAGED_ENV: &[&str] = &[
    "ETHEREUM_HOST",
    "L1_CHAIN_ID",
    "DEPLOYMENT_FILE",
    "DATA_DIRECTORY",
    "AZTEC_PORT",
    "P2P_ENABLED",
    "P2P_TCP_LISTEN_ADDR",
    "P2P_TCP_ANNOUNCE_ADDR",
    "BOOTSTRAP_NODES",
    "P2P_MAX_PEERS",
    "SEQ_PUBLISHER_PRIVATE_KEY",
    "VALIDATOR_PRIVATE_KEYS",
    "VALIDATOR_KEYSTORE",
    "SEQ_SKIP_REGISTRATION",
    "SEQ_BACKUP_ONLY",
    "SEQ_BACKUP_BROKER_HOST",
    "PROVER_PUBLISHER_PRIVATE_KEY",
    "FERNET_PRIVATE_KEY",
    "QUOTE_PROVIDER_URL",
    "PROVER_BROKER_HOST",
    "PROVER_BROKER_PORT",
    "PROVER_BROKER_LISTEN_HOST",
    "PROVER_AGENT_CONCURRENCY",
    "PROVER_AGENT_ID",
    "PROVER_VERIFICATION_KEY_HASH",
    "BROKER_AUTH_TOKEN",
    "BROKER_DATABASE_URL",
    "FERNET_KEY_CACHE",
    CEREMONY_KEYS_ENV,
    "AZTEC_NODE_URL",
];

/// Where every service answers.
#[derive(Debug, Clone)]
pub struct Urls {
    /// anvil's JSON-RPC.
    pub l1: Url,
    /// The L1 JSON-RPC the services are given (`ETHEREUM_HOST`): the [`L1Gate`]'s with
    /// [`DevnetOptions::l1_gate`], anvil's otherwise.
    pub services_l1: Url,
    /// The user-facing node (`AZTEC_NODE_URL` of `fernet`).
    pub node: String,
    /// Each broker replica (one unless [`DevnetOptions::broker_replicas`]).
    pub brokers: Vec<String>,
    /// Each online sequencer's node.
    pub sequencers: Vec<String>,
    /// Each prover node.
    pub provers: Vec<String>,
    /// The backup proposer's node, when it runs.
    pub backup_proposer: Option<String>,
}

impl Urls {
    /// The broker replicas as their clients take them (`PROVER_BROKER_HOST`): a comma-separated
    /// list, failed over in order.
    pub fn broker_hosts(&self) -> String {
        self.brokers.join(",")
    }
}

/// A running devnet. Dropping it stops every process.
#[derive(Debug)]
pub struct Devnet {
    options: DevnetOptions,
    data_dir: PathBuf,
    anvil: ChildProcess,
    children: Vec<ChildProcess>,
    gate: Option<L1Gate>,
    /// The network namespaces of the brokers and agents, with [`DevnetOptions::network_namespaces`].
    hosts: Option<Hosts>,
    l1: L1,
    deployment_path: PathBuf,
    accounts: Accounts,
    /// The live staker keys of each sequencer process.
    process_keys: Vec<Vec<Account>>,
    /// The broker's bearer token of this run (also in `<data dir>/broker-auth-token`).
    broker_auth_token: String,
    /// The broker's PostgreSQL database, with [`BrokerStore::Postgres`].
    broker_database_url: Option<String>,
    urls: Urls,
    http: reqwest::Client,
}

impl Devnet {
    /// Starts the devnet of `options`: checks the ports and binaries, generates or loads the
    /// circuit keys, starts anvil, deploys the suite, funds the accounts, registers every staker
    /// key (live and offline, concurrently), writes each sequencer process's keystore and the
    /// broker's token of the run, then spawns broker, agents, node, sequencers (with
    /// `--skip-registration`), prover nodes and traffic, each once the services it talks to
    /// answer `GET /health`.
    pub async fn start(mut options: DevnetOptions) -> Result<Self> {
        options.check_broker_replicas()?;
        // The services get it in their environment: absolute, whatever their directory.
        options.ceremony_keys = options.ceremony_keys.as_deref().map(absolute).transpose()?;
        if options.agent_concurrency == 0 {
            return Err(Error::InvalidOption {
                option: "agent-concurrency",
                reason: "must be at least 1".into(),
            });
        }
        // The installation first, then the ports: a missing binary is the same error whatever
        // else runs on the machine.
        let bin_dir = resolve_bin_dir(options.bin_dir.as_deref())?;
        if !options.l1_only {
            for name in required_binaries(&options) {
                let path = bin_dir.join(name);
                if !path.is_file() {
                    return Err(Error::MissingBinary {
                        name: name.to_owned(),
                        path,
                    });
                }
            }
        }
        for (name, port) in options.ports()? {
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                return Err(Error::PortInUse { port, what: name });
            }
        }
        let config = load_config(&options)?;
        config.validate()?;

        if !options.l1_only && options.agents > 0 && options.ceremony_keys.is_none() {
            generate_keys(&options, &config).await?;
        }

        if options.l1_block_time == 0 {
            return Err(Error::InvalidOption {
                option: "l1-block-time",
                reason: "must be at least 1 s".into(),
            });
        }
        let (live, offline) = options.staker_keys()?;
        let data_dir = absolute(&options.data_dir)?;
        prepare_data_dir(&data_dir)?;
        let accounts = Accounts::derive(live, offline, options.provers)?;
        let process_keys = spread(&accounts.sequencers, options.sequencers);
        let broker_auth_token = new_auth_token(&data_dir)?;
        let hosts = if options.network_namespaces && !options.l1_only {
            let names: Vec<String> = (0..options.broker_replicas)
                .map(|i| broker_name(i, options.broker_replicas))
                .chain((0..options.agents).map(agent_name))
                .collect();
            Some(Hosts::create(&names)?)
        } else {
            None
        };
        let broker_database_url = match options.broker_store {
            BrokerStore::Postgres if !options.l1_only => {
                Some(create_database(hosts.as_ref()).await?)
            }
            _ => None,
        };

        let anvil = start_anvil(&options, &data_dir, accounts.count()).await?;
        let l1_url: Url = format!("http://127.0.0.1:{}", options.anvil_port)
            .parse()
            .map_err(|_| Error::InvalidOption {
                option: "anvil-port",
                reason: format!("http://127.0.0.1:{} is not a URL", options.anvil_port),
            })?;

        let deployments_dir = absolute(&options.deployments_dir)?;
        let outcome = fernet_deploy::deploy(&DeployOptions {
            rpc_url: l1_url.clone(),
            expected_chain_id: Some(DEVNET_CHAIN_ID),
            private_key: Some(accounts.deployer.private_key_hex()),
            config: config.clone(),
            token: None,
            deployments_dir,
            allow_unknown_chain: false,
            insecure_devnet_keys: false,
            redeploy: true,
            verifier_sources: VerifierSources {
                key_cache: options.key_cache_dir.clone(),
                ceremony_keys: options.ceremony_keys.clone(),
                ..VerifierSources::default()
            },
        })
        .await?;
        info!(rollup = %outcome.deployment.rollup.address, path = %outcome.path.display(), "deployed");
        let l1 = L1::new(l1_url.clone(), outcome.deployment);

        fund(&l1, &accounts).await?;
        let stakers: Vec<Account> = accounts
            .sequencers
            .iter()
            .chain(&accounts.offline_sequencers)
            .cloned()
            .collect();
        l1.register_all(&stakers, config.staking.minimum_stake.0)
            .await?;
        if options.l1_block_time != 1 {
            let _: serde_json::Value = l1
                .provider()
                .raw_request("evm_setIntervalMining".into(), [options.l1_block_time])
                .await
                .map_err(crate::error::rpc(format!(
                    "evm_setIntervalMining({})",
                    options.l1_block_time
                )))?;
            info!(seconds = options.l1_block_time, "L1 block time set");
        }

        let gate = if options.l1_gate {
            Some(L1Gate::start(SocketAddr::from(([127, 0, 0, 1], options.anvil_port))).await?)
        } else {
            None
        };
        let urls = Urls {
            services_l1: gate
                .as_ref()
                .map_or_else(|| l1_url.clone(), |gate| gate.url().clone()),
            l1: l1_url,
            node: local_url(options.node_port),
            brokers: (0..options.broker_replicas)
                .map(|i| {
                    let port = offset_port(options.broker_port, i)?;
                    Ok(match &hosts {
                        Some(hosts) => format!(
                            "http://{}:{port}",
                            hosts
                                .host(&broker_name(i, options.broker_replicas))?
                                .address
                        ),
                        None => local_url(port),
                    })
                })
                .collect::<Result<_>>()?,
            sequencers: (0..options.sequencers)
                .map(|i| offset_port(options.sequencer_base_port, i).map(local_url))
                .collect::<Result<_>>()?,
            provers: (0..options.provers)
                .map(|i| offset_port(options.prover_base_port, i).map(local_url))
                .collect::<Result<_>>()?,
            backup_proposer: options
                .backup_proposer
                .then(|| local_url(options.backup_proposer_port)),
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|source| Error::Http {
                url: urls.node.clone(),
                source,
            })?;
        let mut devnet = Self {
            options,
            data_dir,
            anvil,
            children: Vec::new(),
            gate,
            hosts,
            l1,
            deployment_path: outcome.path,
            accounts,
            process_keys,
            broker_auth_token,
            broker_database_url,
            urls,
            http,
        };
        if !devnet.options.l1_only {
            devnet.spawn_services(&bin_dir).await?;
        }
        Ok(devnet)
    }

    /// The options it was started with.
    pub fn options(&self) -> &DevnetOptions {
        &self.options
    }

    /// Service URLs.
    pub fn urls(&self) -> &Urls {
        &self.urls
    }

    /// Every account, by role.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The live staker keys sequencer process `index` (from 0) holds, in its keystore's order.
    pub fn sequencer_keys(&self, index: usize) -> &[Account] {
        self.process_keys.get(index).map_or(&[], Vec::as_slice)
    }

    /// Prints the last `lines` lines of every process's log to stderr (a failed test's context).
    pub fn print_log_tails(&self, lines: usize) {
        for name in self.process_names() {
            let log = std::fs::read_to_string(self.log_path(name)).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(lines).collect();
            eprintln!("--- {name} (last lines)");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }

    /// The keystore file of sequencer process `index` (from 0): one hex key per line.
    pub fn keystore_path(&self, index: usize) -> PathBuf {
        self.data_dir
            .join("keys")
            .join(format!("{}.keys", sequencer_name(index)))
    }

    /// The bearer token the broker requires of this run (`BROKER_AUTH_TOKEN`), random per run.
    pub fn broker_auth_token(&self) -> &str {
        &self.broker_auth_token
    }

    /// The deployment record.
    pub fn deployment(&self) -> &Deployment {
        self.l1.deployment()
    }

    /// Where the deployment record was written.
    pub fn deployment_path(&self) -> &Path {
        &self.deployment_path
    }

    /// L1 reads and the clock of the deployed suite.
    pub fn l1(&self) -> &L1 {
        &self.l1
    }

    /// The gate in front of anvil that the services' L1 RPC goes through, with
    /// [`DevnetOptions::l1_gate`].
    pub fn l1_gate(&self) -> Option<&L1Gate> {
        self.gate.as_ref()
    }

    /// The network namespaces the brokers and agents run in, with
    /// [`DevnetOptions::network_namespaces`].
    pub fn hosts(&self) -> Option<&Hosts> {
        self.hosts.as_ref()
    }

    /// Restarts the brokers' PostgreSQL server (`script/postgres.sh restart`): every connection
    /// is dropped, as in an operator's restart or a failover of the database.
    pub async fn restart_database(&self) -> Result<()> {
        if self.broker_database_url.is_none() {
            return Err(Error::InvalidOption {
                option: "broker",
                reason: "the brokers have no PostgreSQL database to restart".into(),
            });
        }
        postgres_script(&["restart"], None).await?;
        info!("PostgreSQL restarted");
        Ok(())
    }

    /// The data directory (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The log file of the process named `name` (`anvil`, `node`, `sequencer-2`, ...).
    pub fn log_path(&self, name: &str) -> PathBuf {
        if name == "anvil" {
            self.data_dir.join("anvil.log")
        } else {
            self.data_dir.join("logs").join(format!("{name}.log"))
        }
    }

    /// The names of the spawned processes, in start order (anvil not included).
    pub fn process_names(&self) -> Vec<&str> {
        self.children.iter().map(ChildProcess::name).collect()
    }

    /// Every spawned process still meant to run (anvil aside): its name, its process id and its
    /// URL (whose `/metrics` it serves), in start order.
    pub fn processes(&self) -> Vec<(String, u32, Option<String>)> {
        self.children
            .iter()
            .filter(|child| !child.is_stopped())
            .map(|child| {
                (
                    child.name().to_owned(),
                    child.pid(),
                    child.spec().url.clone(),
                )
            })
            .collect()
    }

    /// The process id (and process group id) of the process `name`.
    pub fn pid(&self, name: &str) -> Result<u32> {
        if name == "anvil" {
            return Ok(self.anvil.pid());
        }
        self.children
            .iter()
            .find(|child| child.name() == name)
            .map(ChildProcess::pid)
            .ok_or_else(|| Error::UnknownChild(name.to_owned()))
    }

    /// Names of devnet accounts by address, for the monitor's lines.
    pub fn account_names(&self) -> std::collections::HashMap<Address, String> {
        self.accounts
            .named()
            .into_iter()
            .map(|(name, account)| (account.address, name))
            .collect()
    }

    /// A monitor of this devnet, starting at the slot in progress, naming devnet accounts.
    pub async fn monitor(&self) -> Result<Monitor> {
        Ok(Monitor::new(self.l1.clone())
            .await?
            .with_names(self.account_names()))
    }

    /// Whether the devnet cannot run without the process `name` (anvil, node, broker).
    pub fn is_essential(name: &str) -> bool {
        matches!(name, "anvil" | "node" | "broker")
    }

    /// Fails with [`Error::ChildExited`] (its log's last lines) for the first process that
    /// exited without being stopped; that process is then marked stopped, so each exit is
    /// reported once.
    pub fn check(&mut self) -> Result<()> {
        for child in std::iter::once(&mut self.anvil).chain(self.children.iter_mut()) {
            if let Err(error) = child.check() {
                child.mark_stopped();
                return Err(error);
            }
        }
        Ok(())
    }

    /// SIGKILLs the process `name` (and its group) at once, as a crash would.
    pub fn kill(&mut self, name: &str) -> Result<()> {
        let child = self.child_mut(name)?;
        child.mark_stopped();
        child.signal_group("KILL");
        while child.try_exit_status()?.is_none() {
            std::thread::sleep(Duration::from_millis(20));
        }
        info!(name, "killed");
        Ok(())
    }

    /// Stops the process `name` gracefully (SIGTERM, then SIGKILL after the grace period).
    pub fn stop_process(&mut self, name: &str) -> Result<()> {
        self.child_mut(name)?.stop();
        info!(name, "stopped");
        Ok(())
    }

    /// Starts the process `name` again as it was first started (stopping it first if it still
    /// runs), with its store kept, and waits for its health check.
    pub async fn restart(&mut self, name: &str) -> Result<()> {
        let index = self
            .children
            .iter()
            .position(|child| child.name() == name)
            .ok_or_else(|| Error::UnknownChild(name.to_owned()))?;
        self.children[index].stop();
        let spec = self.children[index].spec().clone();
        self.children[index] = ChildProcess::spawn(spec)?;
        self.wait_healthy(index).await?;
        info!(name, "restarted");
        Ok(())
    }

    /// Polls L1 until `condition` holds for its state, failing after `timeout` or as soon as a
    /// process exits unexpectedly.
    pub async fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut condition: impl FnMut(&L1State) -> bool,
    ) -> Result<L1State> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check()?;
            let state = self.l1.state().await?;
            if condition(&state) {
                return Ok(state);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: what.to_owned(),
                    timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Stops every process: the services at once (SIGTERM, grace period, SIGKILL), then anvil.
    /// Idempotent; also done on drop.
    pub fn stop(&mut self) {
        stop_all(&mut self.children);
        self.anvil.stop();
        self.hosts = None;
    }

    fn child_mut(&mut self, name: &str) -> Result<&mut ChildProcess> {
        self.children
            .iter_mut()
            .find(|child| child.name() == name)
            .ok_or_else(|| Error::UnknownChild(name.to_owned()))
    }

    /// Spawns every service in dependency order.
    async fn spawn_services(&mut self, bin_dir: &Path) -> Result<()> {
        // Every service that embeds a node joins the p2p network through the user-facing node.
        let bootnode = format!("/ip4/127.0.0.1/tcp/{}", self.options.node_p2p_port()?);
        let p2p = |port: u16| {
            [
                ("P2P_TCP_LISTEN_ADDR", format!("127.0.0.1:{port}")),
                ("BOOTSTRAP_NODES", bootnode.clone()),
            ]
        };
        let replicas = self.options.broker_replicas;
        let brokers = (0..replicas)
            .map(|i| {
                let name = broker_name(i, replicas);
                let url = &self.urls.brokers[i];
                let env = broker_env(
                    host_of(url),
                    offset_port(self.options.broker_port, i)?,
                    self.store(&name),
                    &self.broker_auth_token,
                    self.broker_database_url.as_deref(),
                );
                let spec = self.spec(&name, bin_dir.join("fernet-broker"), Role::Broker, env);
                Ok(with_url(spec, url))
            })
            .collect::<Result<_>>()?;
        self.spawn_all(brokers).await?;

        let agents = (0..self.options.agents)
            .map(|i| {
                self.spec(
                    &agent_name(i),
                    bin_dir.join("fernet-agent"),
                    Role::Agent,
                    vec![
                        ("PROVER_BROKER_HOST", self.urls.broker_hosts()),
                        ("BROKER_AUTH_TOKEN", self.broker_auth_token.clone()),
                        ("PROVER_AGENT_ID", agent_name(i)),
                        (
                            "PROVER_AGENT_CONCURRENCY",
                            self.options.agent_concurrency.to_string(),
                        ),
                    ],
                )
            })
            .collect();
        self.spawn_all(agents).await?;

        let node = self.spec(
            "node",
            bin_dir.join("fernet-node"),
            Role::Node,
            vec![
                ("AZTEC_PORT", self.options.node_port.to_string()),
                ("DATA_DIRECTORY", self.store("node")),
                (
                    "P2P_TCP_LISTEN_ADDR",
                    format!("127.0.0.1:{}", self.options.node_p2p_port()?),
                ),
            ],
        );
        self.spawn_all(vec![with_url(node, &self.urls.node)])
            .await?;

        let sequencers = (0..self.options.sequencers)
            .map(|i| {
                let name = sequencer_name(i);
                let keystore = self.keystore_path(i);
                write_keystore(&keystore, &name, self.sequencer_keys(i))?;
                let mut env = vec![
                    ("AZTEC_PORT", port_of(&self.urls.sequencers[i])),
                    ("DATA_DIRECTORY", self.store(&name)),
                    ("VALIDATOR_KEYSTORE", keystore.display().to_string()),
                    ("SEQ_SKIP_REGISTRATION", "true".to_owned()),
                    ("BROKER_AUTH_TOKEN", self.broker_auth_token.clone()),
                ];
                env.extend(p2p(self.options.sequencer_p2p_port(i)?));
                let spec = self.spec(
                    &name,
                    bin_dir.join("fernet-sequencer"),
                    Role::Sequencer,
                    env,
                );
                Ok(with_url(spec, &self.urls.sequencers[i]))
            })
            .collect::<Result<_>>()?;
        self.spawn_all(sequencers).await?;

        if let Some(url) = &self.urls.backup_proposer {
            let mut env = vec![
                ("AZTEC_PORT", port_of(url)),
                ("DATA_DIRECTORY", self.store(BACKUP_PROPOSER)),
                (
                    "VALIDATOR_PRIVATE_KEYS",
                    self.accounts.backup_proposer.private_key_hex(),
                ),
                ("SEQ_SKIP_REGISTRATION", "true".to_owned()),
                ("SEQ_BACKUP_ONLY", "true".to_owned()),
                ("SEQ_BACKUP_BROKER_HOST", self.urls.broker_hosts()),
                ("BROKER_AUTH_TOKEN", self.broker_auth_token.clone()),
            ];
            env.extend(p2p(self.options.backup_proposer_p2p_port()?));
            let spec = self.spec(
                BACKUP_PROPOSER,
                bin_dir.join("fernet-sequencer"),
                Role::Sequencer,
                env,
            );
            self.spawn_all(vec![with_url(spec, url)]).await?;
        }

        let provers = (0..self.options.provers)
            .map(|i| {
                let name = prover_name(i);
                let mut env = vec![
                    ("AZTEC_PORT", port_of(&self.urls.provers[i])),
                    ("DATA_DIRECTORY", self.store(&name)),
                    (
                        "PROVER_PUBLISHER_PRIVATE_KEY",
                        self.accounts.provers[i].private_key_hex(),
                    ),
                    ("PROVER_BROKER_HOST", self.urls.broker_hosts()),
                    ("BROKER_AUTH_TOKEN", self.broker_auth_token.clone()),
                ];
                env.extend(p2p(self.options.prover_p2p_port(i)?));
                // The committee mode: prover node i proves the chunks of the live stakers
                // i, i + provers, ... (ignored in the quote mode).
                let members: Vec<String> = self
                    .process_keys
                    .iter()
                    .flatten()
                    .enumerate()
                    .filter(|(j, _)| j % self.options.provers == i)
                    .map(|(_, account)| account.address.to_string())
                    .collect();
                if !members.is_empty() {
                    env.push(("PROVER_COMMITTEE_MEMBERS", members.join(",")));
                }
                if let Some(url) = &self.options.quote_provider_url {
                    env.push(("QUOTE_PROVIDER_URL", url.clone()));
                }
                let spec = self.spec(&name, bin_dir.join("fernet-prover-node"), Role::Prover, env);
                Ok(with_url(spec, &self.urls.provers[i]))
            })
            .collect::<Result<_>>()?;
        self.spawn_all(provers).await?;

        if !self.options.traffic_interval.is_zero() {
            let mut spec = self.spec(
                "traffic",
                bin_dir.join("fernet"),
                Role::Traffic,
                vec![
                    ("AZTEC_NODE_URL", self.urls.node.clone()),
                    ("FERNET_PRIVATE_KEY", self.accounts.user.private_key_hex()),
                ],
            );
            spec.args = traffic_args(self.options.traffic_interval);
            self.spawn_all(vec![spec]).await?;
        }
        Ok(())
    }

    /// The spec of a service: the common L1 environment, then `env`, then its role's extra
    /// environment (last, so it can override), with its log under `logs/`; in its own network
    /// namespace if the devnet made a host of its name.
    fn spec(
        &self,
        name: &str,
        program: PathBuf,
        role: Role,
        env: Vec<(&str, String)>,
    ) -> ProcessSpec {
        let common = [
            ("ETHEREUM_HOST", self.urls.services_l1.to_string()),
            ("L1_CHAIN_ID", DEVNET_CHAIN_ID.to_string()),
            (
                "DEPLOYMENT_FILE",
                self.deployment_path.display().to_string(),
            ),
            (
                "FERNET_KEY_CACHE",
                self.options.key_cache_dir.display().to_string(),
            ),
        ];
        let ceremony_keys = ceremony_env(role, self.options.ceremony_keys.as_deref());
        let extra = self.options.extra_env.get(&role).into_iter().flatten();
        let env = common
            .into_iter()
            .chain(ceremony_keys)
            .chain(env)
            .map(|(key, value)| (key.to_owned(), value))
            .chain(extra.cloned())
            .collect();
        ProcessSpec {
            name: name.to_owned(),
            program,
            args: Vec::new(),
            env,
            env_remove: MANAGED_ENV.iter().map(|name| (*name).to_owned()).collect(),
            log: self.log_path(name),
            url: None,
            namespace: self
                .hosts
                .as_ref()
                .and_then(|hosts| hosts.host(name).ok())
                .map(|host| host.namespace.clone()),
        }
    }

    /// `data/<name>` under the data directory, as a string for the environment.
    fn store(&self, name: &str) -> String {
        self.data_dir.join("data").join(name).display().to_string()
    }

    /// Spawns every spec, then waits for each health check.
    async fn spawn_all(&mut self, specs: Vec<ProcessSpec>) -> Result<()> {
        let first = self.children.len();
        for spec in specs {
            info!(name = %spec.name, log = %spec.log.display(), "starting");
            self.children.push(ChildProcess::spawn(spec)?);
        }
        for index in first..self.children.len() {
            self.wait_healthy(index).await?;
        }
        Ok(())
    }

    /// Waits until child `index` answers `GET /health` (if it serves HTTP), failing early if it
    /// exits.
    async fn wait_healthy(&mut self, index: usize) -> Result<()> {
        let Some(url) = self.children[index].spec().url.clone() else {
            return Ok(());
        };
        let health = format!("{url}/health");
        let timeout = self.options.health_timeout;
        let deadline = Instant::now() + timeout;
        loop {
            let child = &mut self.children[index];
            if let Some(status) = child.try_exit_status()? {
                child.mark_stopped();
                return Err(child.exited(status));
            }
            let ok = self
                .http
                .get(&health)
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ok {
                info!(name = %child.name(), %url, "healthy");
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::Unhealthy {
                    name: child.name().to_owned(),
                    url: health,
                    timeout,
                    log: child.spec().log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `fernet traffic`'s arguments for one transaction every `interval`.
fn traffic_args(interval: Duration) -> Vec<String> {
    vec![
        "traffic".into(),
        "--interval-ms".into(),
        interval.as_millis().to_string(),
    ]
}

/// The binaries the options need.
fn required_binaries(options: &DevnetOptions) -> Vec<&'static str> {
    let mut names = vec!["fernet-broker", "fernet-node"];
    if options.agents > 0 {
        names.push("fernet-agent");
    }
    if options.sequencers > 0 {
        names.push("fernet-sequencer");
    }
    if options.provers > 0 {
        names.push("fernet-prover-node");
    }
    if !options.traffic_interval.is_zero() {
        names.push("fernet");
    }
    names
}

/// `--bin-dir`, else the running executable's directory (its parent for a test binary in
/// `target/<profile>/deps`).
fn resolve_bin_dir(bin_dir: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = bin_dir {
        return Ok(dir.to_owned());
    }
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        path: PathBuf::from("/proc/self/exe"),
        source,
    })?;
    let dir = exe.parent().unwrap_or(Path::new(".")).to_owned();
    Ok(match dir.file_name() {
        Some(name) if name == "deps" => dir.parent().unwrap_or(&dir).to_owned(),
        _ => dir,
    })
}

/// The deploy config file with the overrides applied.
fn load_config(options: &DevnetOptions) -> Result<DeployConfig> {
    let text = std::fs::read_to_string(&options.deploy_config).map_err(|source| Error::Io {
        path: options.deploy_config.clone(),
        source,
    })?;
    let config = DeployConfig::from_toml(&text, |name| {
        options
            .deploy_overrides
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    })?;
    Ok(config)
}

/// Generates or loads the circuit keys in the key cache, with progress bars if asked: the
/// block circuit's and its chunk's (the deploy generates verifiers from both, and provers may
/// prove in chunks).
async fn generate_keys(options: &DevnetOptions, config: &DeployConfig) -> Result<()> {
    let dir = options.key_cache_dir.clone();
    let state = config.state();
    let progress = options.progress.clone();
    info!(cache = %dir.display(), "circuit keys: loading or generating");
    let result = tokio::task::spawn_blocking(move || {
        let cache = KeyCache::new(&dir);
        let sizes = [Ok(state.max_txs_per_block), state.chunk_txs()];
        for txs in sizes {
            let keys = txs
                .map_err(fernet_circuits::Error::from)
                .and_then(|txs| devnet_keys(&cache, state, txs, progress.as_ref()));
            keys.map_err(|source| Error::Keys {
                dir: dir.clone(),
                source,
            })?;
        }
        Ok(())
    })
    .await
    .map_err(|_| Error::Task("circuit key generation"))?;
    result
}

/// `FERNET_CEREMONY_KEYS` for the roles that load circuit keys (broker, agent, prover node),
/// when the devnet runs on a ceremony's keys.
fn ceremony_env(role: Role, ceremony_keys: Option<&Path>) -> Option<(&'static str, String)> {
    ceremony_keys
        .filter(|_| matches!(role, Role::Broker | Role::Agent | Role::Prover))
        .map(|dir| (CEREMONY_KEYS_ENV, dir.display().to_string()))
}

/// The broker's own environment: its address and port, its store (the data directory `store`,
/// or the PostgreSQL database `database_url`) and the run's bearer token.
fn broker_env(
    host: &str,
    port: u16,
    store: String,
    auth_token: &str,
    database_url: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("PROVER_BROKER_LISTEN_HOST", host.to_owned()),
        ("PROVER_BROKER_PORT", port.to_string()),
        ("DATA_DIRECTORY", store),
        ("BROKER_AUTH_TOKEN", auth_token.to_owned()),
    ];
    if let Some(url) = database_url {
        env.push(("BROKER_DATABASE_URL", url.to_owned()));
    }
    env
}

/// Starts this checkout's PostgreSQL cluster if needed and creates the database
/// [`DEVNET_DATABASE`] on it, empty (the chain is new), through `script/postgres.sh database`;
/// returns its URL. With `hosts`, the server also listens on their gateway and trusts their
/// network, and the URL names the gateway: the brokers reach it from their namespaces.
async fn create_database(hosts: Option<&Hosts>) -> Result<String> {
    let url = postgres_script(&["database", DEVNET_DATABASE], hosts).await?;
    info!(database = DEVNET_DATABASE, "broker database created");
    let Some(hosts) = hosts else {
        return Ok(url);
    };
    let mut parsed = Url::parse(&url).map_err(|error| Error::Database {
        script: postgres_script_path(),
        stderr: format!("it printed {url:?}, not a URL: {error}"),
    })?;
    parsed
        .set_host(Some(&hosts.gateway().to_string()))
        .map_err(|error| Error::Database {
            script: postgres_script_path(),
            stderr: format!("cannot point {url} at {}: {error}", hosts.gateway()),
        })?;
    Ok(parsed.to_string())
}

/// `script/postgres.sh` of this checkout.
fn postgres_script_path() -> PathBuf {
    workspace_root().join("script/postgres.sh")
}

/// Runs `script/postgres.sh <args>` (listening on the gateway of `hosts` and trusting their
/// network, if given); returns what it printed.
async fn postgres_script(args: &[&str], hosts: Option<&Hosts>) -> Result<String> {
    let script = postgres_script_path();
    let mut command = tokio::process::Command::new("bash");
    command.arg(&script).args(args);
    if let Some(hosts) = hosts {
        command
            .env("FERNET_PG_LISTEN", hosts.gateway().to_string())
            .env("FERNET_PG_CLIENTS", hosts.network());
    }
    let output = command.output().await.map_err(|source| Error::Spawn {
        name: "postgres".into(),
        program: script.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(Error::Database {
            script,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Creates the data directory and removes the stores, keystores and logs of a previous run.
fn prepare_data_dir(data_dir: &Path) -> Result<()> {
    for stale in ["data", "logs", "keys"] {
        let path = data_dir.join(stale);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Io { path, source }),
        }
    }
    for dir in [data_dir.join("data"), data_dir.join("logs")] {
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io { path: dir, source })?;
    }
    let anvil_log = data_dir.join("anvil.log");
    match std::fs::remove_file(&anvil_log) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: anvil_log,
            source,
        }),
    }
}

/// Starts anvil with 1 s blocks (the set-up's transactions: [`Devnet::start`] moves to
/// [`DevnetOptions::l1_block_time`] after them) and `accounts` funded accounts (ether for every
/// devnet account, staker keys included), and waits for its RPC.
async fn start_anvil(
    options: &DevnetOptions,
    data_dir: &Path,
    accounts: u32,
) -> Result<ChildProcess> {
    let spec = ProcessSpec {
        name: "anvil".into(),
        program: options.anvil_binary.clone(),
        args: vec![
            "--port".into(),
            options.anvil_port.to_string(),
            "--block-time".into(),
            "1".into(),
            "--accounts".into(),
            accounts.max(10).to_string(),
            "--mnemonic".into(),
            DEVNET_MNEMONIC.into(),
            "--chain-id".into(),
            DEVNET_CHAIN_ID.to_string(),
        ],
        env: Vec::new(),
        env_remove: Vec::new(),
        log: data_dir.join("anvil.log"),
        url: None,
        namespace: None,
    };
    let mut anvil = ChildProcess::spawn(spec)?;
    let url = local_url(options.anvil_port);
    let provider =
        alloy::providers::ProviderBuilder::new().connect_http(url.parse().map_err(|_| {
            Error::InvalidOption {
                option: "anvil-port",
                reason: format!("{url} is not a URL"),
            }
        })?);
    let timeout = Duration::from_secs(20);
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = anvil.try_exit_status()? {
            anvil.mark_stopped();
            return Err(anvil.exited(status));
        }
        if provider.get_chain_id().await.is_ok() {
            info!(%url, pid = anvil.pid(), "anvil is up");
            return Ok(anvil);
        }
        if Instant::now() >= deadline {
            return Err(Error::Unhealthy {
                name: "anvil".into(),
                url,
                timeout,
                log: anvil.spec().log.clone(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends tokens from the deployer to every sequencer, prover, the traffic account and the user.
async fn fund(l1: &L1, accounts: &Accounts) -> Result<()> {
    let mut recipients: Vec<(Address, U256)> = Vec::new();
    let sequencer = TokenAmount::tokens(SEQUENCER_FUNDING_TOKENS).0;
    let prover = TokenAmount::tokens(PROVER_FUNDING_TOKENS).0;
    recipients.extend(
        accounts
            .sequencers
            .iter()
            .chain(&accounts.offline_sequencers)
            .map(|account| (account.address, sequencer)),
    );
    recipients.extend(
        accounts
            .provers
            .iter()
            .map(|account| (account.address, prover)),
    );
    recipients.push((
        accounts.traffic.address,
        TokenAmount::tokens(TRAFFIC_FUNDING_TOKENS).0,
    ));
    recipients.push((
        accounts.user.address,
        TokenAmount::tokens(TRAFFIC_FUNDING_TOKENS).0,
    ));
    if accounts.deployer.address != l1.deployment().deployer {
        warn!(
            deployer = %l1.deployment().deployer,
            "the suite was deployed by another account than the devnet's deployer"
        );
    }
    l1.fund(&accounts.deployer, &recipients).await
}

/// The live staker keys spread over `processes` sequencer processes: key `j` to process
/// `j mod processes` (each process one key when there are as many keys as processes).
fn spread(keys: &[Account], processes: usize) -> Vec<Vec<Account>> {
    let mut spread = vec![Vec::new(); processes];
    for (j, key) in keys.iter().enumerate() {
        if let Some(held) = spread.get_mut(j % processes.max(1)) {
            held.push(key.clone());
        }
    }
    spread
}

/// Writes the keystore of sequencer process `name`: a comment, then one hex key per line
/// (readable by its owner only).
fn write_keystore(path: &Path, name: &str, keys: &[Account]) -> Result<()> {
    let mut text = format!(
        "# {name}: {} staker key(s) written by the devnet (well-known devnet keys)\n",
        keys.len()
    );
    for key in keys {
        text.push_str(&key.private_key_hex());
        text.push('\n');
    }
    write_private(path, &text)
}

/// A random bearer token for the broker (64 hex characters from the OS's random source),
/// written to `<data dir>/broker-auth-token` for tools that talk to the broker.
fn new_auth_token(data_dir: &Path) -> Result<String> {
    let random = Path::new("/dev/urandom");
    let mut bytes = [0u8; 32];
    std::fs::File::open(random)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut bytes))
        .map_err(|source| Error::Io {
            path: random.to_owned(),
            source,
        })?;
    let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    write_private(&data_dir.join("broker-auth-token"), &token)?;
    Ok(token)
}

/// Writes `text` to `path` (creating its directory), readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)
}

/// `http://127.0.0.1:<port>`.
fn local_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// The port of a [`local_url`].
fn port_of(url: &str) -> String {
    url.rsplit(':').next().unwrap_or_default().to_owned()
}

/// The host of an `http://<host>:<port>` URL.
fn host_of(url: &str) -> &str {
    let authority = url.strip_prefix("http://").unwrap_or(url);
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// `path` made absolute against the current directory.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// Sets the URL whose `/health` is polled.
fn with_url(mut spec: ProcessSpec, url: &str) -> ProcessSpec {
    spec.url = Some(url.to_owned());
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_key_users_get_the_ceremony_keys() {
        let dir = Path::new("/keys");
        for role in Role::ALL {
            let expected = matches!(role, Role::Broker | Role::Agent | Role::Prover)
                .then(|| (CEREMONY_KEYS_ENV, "/keys".to_owned()));
            assert_eq!(ceremony_env(role, Some(dir)), expected, "{role}");
            assert_eq!(ceremony_env(role, None), None, "{role}");
        }
        assert!(MANAGED_ENV.contains(&CEREMONY_KEYS_ENV));
    }

    #[test]
    fn the_broker_gets_its_database_url_only_with_postgres() {
        let embedded = broker_env("127.0.0.1", 8090, "/d/data/broker".into(), "token", None);
        assert_eq!(
            embedded,
            vec![
                ("PROVER_BROKER_LISTEN_HOST", "127.0.0.1".to_owned()),
                ("PROVER_BROKER_PORT", "8090".to_owned()),
                ("DATA_DIRECTORY", "/d/data/broker".to_owned()),
                ("BROKER_AUTH_TOKEN", "token".to_owned()),
            ]
        );
        let url = "postgres://fernet@127.0.0.1:20001/devnet";
        let postgres = broker_env(
            "127.0.0.1",
            8090,
            "/d/data/broker".into(),
            "token",
            Some(url),
        );
        assert_eq!(postgres[..4], embedded[..]);
        assert_eq!(postgres[4], ("BROKER_DATABASE_URL", url.to_owned()));
        // A value in the user's shell never reaches a devnet service.
        assert!(MANAGED_ENV.contains(&"BROKER_DATABASE_URL"));
    }

    #[test]
    fn a_brokers_host_is_read_from_its_url() {
        assert_eq!(host_of("http://10.213.4.2:8090"), "10.213.4.2");
        assert_eq!(host_of("http://127.0.0.1:8091"), "127.0.0.1");
    }
}
