//! `devnet`: anvil, the deployed suite and every service on one machine, with a live line per
//! slot read from L1. Ctrl-C stops everything.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use eyre::WrapErr;
use fernet_deploy::config::{env_name, ENV_OVERRIDES};
use fernet_devnet::{BrokerStore, Devnet, DevnetOptions, Monitor, Preset, Role};
use indicatif::MultiProgress;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Runs a local devnet: anvil (1 s blocks), the L1 suite deployed with deployments/devnet.toml,
/// funded accounts from anvil's well-known mnemonic, the circuit keys (generated once, then
/// cached), and fernet-broker, fernet-agent, fernet-node, fernet-sequencer, fernet-prover-node
/// and `fernet traffic` as processes. Prints one line per slot (block, rank, txs, claims, proofs,
/// prunes, slashes, proven tip). Logs go to <data-dir>/logs/<name>.log. Ctrl-C stops everything.
///
/// Deploy parameters can be overridden like the deploy binary's: environment variables named
/// after the keys (SLOT_DURATION=12) or --set SLOT_DURATION=12.
#[derive(Debug, Parser)]
#[command(name = "devnet", version)]
struct Args {
    /// Sequencer processes started; the live staker keys are spread over them (key j to process
    /// j mod sequencers) through keystore files in <data-dir>/keys.
    #[arg(long, env = "DEVNET_SEQUENCERS", default_value_t = 4)]
    sequencers: usize,
    /// Staker keys funded and registered by the devnet but held by no process (they miss their
    /// slots).
    #[arg(long, env = "DEVNET_OFFLINE_SEQUENCERS", default_value_t = 0)]
    offline_sequencers: usize,
    /// Staker keys in all, live and offline, each funded and registered by the devnet before the
    /// sequencers start [default: one per sequencer process plus --offline-sequencers].
    #[arg(long, env = "DEVNET_STAKERS")]
    stakers: Option<usize>,
    /// The share of the staker keys, in percent, held by no process (on top of
    /// --offline-sequencers).
    #[arg(long, env = "DEVNET_OFFLINE_PERCENT", default_value_t = 0.0)]
    offline_percent: f64,
    /// Deploy parameters and L1 pace: `devnet` (deployments/devnet.toml, 1 s L1 blocks) or
    /// `testnet` (deployments/testnet.toml, 12 s L1 blocks: the production circuit with 32-tx
    /// blocks, 36 s slots, 8-slot epochs). --config and --l1-block-time override it.
    #[arg(long, env = "DEVNET_PRESET", value_enum, default_value_t = Preset::Devnet)]
    preset: Preset,
    /// Seconds between anvil's blocks (12 for mainnet's pace) [default: the preset's].
    #[arg(long, env = "DEVNET_L1_BLOCK_TIME")]
    l1_block_time: Option<u64>,
    /// Print the scale report over this many whole epochs once the stakers may propose, then
    /// stop (exit 0); see docs/scale.md. 0 runs until Ctrl-C.
    #[arg(long, env = "DEVNET_REPORT_EPOCHS", default_value_t = 0)]
    report_epochs: u64,
    /// Prover nodes.
    #[arg(long, env = "DEVNET_PROVERS", default_value_t = 2)]
    provers: usize,
    /// Proving agents (all share the brokers).
    #[arg(long, env = "DEVNET_AGENTS", default_value_t = 1)]
    agents: usize,
    /// Jobs each agent proves at once.
    #[arg(long, env = "DEVNET_AGENT_CONCURRENCY", default_value_t = 1)]
    agent_concurrency: usize,
    /// anvil's port.
    #[arg(long, env = "ANVIL_PORT", default_value_t = 8545)]
    anvil_port: u16,
    /// The user-facing node's JSON-RPC port.
    #[arg(long, env = "DEVNET_NODE_PORT", default_value_t = 8080)]
    node_port: u16,
    /// The broker's JSON-RPC port (replica i, from 0, listens on this port + i).
    #[arg(long, env = "DEVNET_BROKER_PORT", default_value_t = 8090)]
    broker_port: u16,
    /// Broker replicas on the one PostgreSQL database (more than 1 needs --broker postgres);
    /// every client fails over between them.
    #[arg(long, env = "DEVNET_BROKER_REPLICAS", default_value_t = 1)]
    broker_replicas: usize,
    /// Run each broker replica and each agent on a host of its own: a network namespace with a
    /// veth pair to a bridge, on 10.213.<n>.0/24 (needs root).
    #[arg(long, env = "DEVNET_NETNS")]
    netns: bool,
    /// Where the broker keeps its jobs: `embedded` (a redb file in <data-dir>/data/broker) or
    /// `postgres` (the database `devnet` on this checkout's PostgreSQL cluster, started by
    /// script/postgres.sh and created empty at each start; needs Debian's postgresql package).
    #[arg(long, env = "DEVNET_BROKER", value_enum, default_value_t = BrokerStore::Embedded)]
    broker: BrokerStore,
    /// Sequencer i (from 0) listens on this port + i.
    #[arg(long, env = "DEVNET_SEQUENCER_BASE_PORT", default_value_t = 8100)]
    sequencer_base_port: u16,
    /// Prover node i (from 0) listens on this port + i.
    #[arg(long, env = "DEVNET_PROVER_BASE_PORT", default_value_t = 8200)]
    prover_base_port: u16,
    /// Run the backup proposer: an unstaked sequencer that fills slots every staker left empty
    /// with proven blocks (backup mode).
    #[arg(long, env = "DEVNET_BACKUP_PROPOSER", default_value_t = true, action = clap::ArgAction::Set)]
    backup_proposer: bool,
    /// The backup proposer's JSON-RPC port.
    #[arg(long, env = "DEVNET_BACKUP_PROPOSER_PORT", default_value_t = 8095)]
    backup_proposer_port: u16,
    /// The user-facing node's p2p port (the other services' bootnode); the sequencers, the
    /// backup proposer and the prover nodes take the ports after it.
    #[arg(long, env = "DEVNET_P2P_BASE_PORT", default_value_t = fernet_p2p::DEFAULT_P2P_PORT)]
    p2p_base_port: u16,
    /// Seconds between the transactions of `fernet traffic`; 0 runs no traffic.
    #[arg(long, env = "DEVNET_TRAFFIC_INTERVAL", default_value_t = 8.0)]
    traffic_interval: f64,
    /// Logs and service stores (the stores of a previous run are removed: the chain is new).
    #[arg(long, env = "DEVNET_DATA_DIR", default_value = ".devnet")]
    data_dir: PathBuf,
    /// Where deploy writes <chain-id>.json.
    #[arg(long, env = "DEVNET_DEPLOYMENTS_DIR", default_value = "deployments")]
    deployments_dir: PathBuf,
    /// The deploy parameters [default: the preset's].
    #[arg(long, env = "DEVNET_DEPLOY_CONFIG")]
    config: Option<PathBuf>,
    /// A deploy parameter override, KEY=VALUE with the deploy binary's variable names
    /// (SLOT_DURATION=12); repeatable, applied after the environment's.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Where the service binaries are [default: the directory of this executable].
    #[arg(long, env = "DEVNET_BIN_DIR")]
    bin_dir: Option<PathBuf>,
    /// The anvil binary [default: the pinned one in node_modules].
    #[arg(long, env = "DEVNET_ANVIL")]
    anvil: Option<PathBuf>,
    /// The circuit key cache [default: $FERNET_KEY_CACHE or target/fernet-keys].
    #[arg(long)]
    key_cache: Option<PathBuf>,
    /// Run on a ceremony's keys: the directory `fernet-ceremony export` wrote (see
    /// script/ceremony-devnet.sh) [default: the INSECURE devnet keys of the key cache].
    #[arg(long)]
    ceremony_keys: Option<PathBuf>,
    /// Passed to every prover node as QUOTE_PROVIDER_URL [default: fixed quotes].
    #[arg(long, env = "QUOTE_PROVIDER_URL")]
    quote_provider_url: Option<String>,
    /// Extra environment for one role, <role>:KEY=VALUE (roles: node, sequencer, prover,
    /// broker, agent, traffic); repeatable, applied last.
    #[arg(long = "env", value_name = "ROLE:KEY=VALUE")]
    role_env: Vec<String>,
    /// Print one JSON object per slot instead of a line.
    #[arg(long)]
    json: bool,
    /// Start only anvil and the deployed, funded suite (no keys, no services).
    #[arg(long)]
    l1_only: bool,
    /// Seconds each service may take to answer GET /health.
    #[arg(long, default_value_t = 60)]
    health_timeout: u64,
}

impl Args {
    fn options(&self, progress: MultiProgress) -> eyre::Result<DevnetOptions> {
        let defaults = DevnetOptions::default();
        let mut deploy_overrides = Vec::new();
        for (_, key, _) in ENV_OVERRIDES {
            let name = env_name(key);
            if let Ok(value) = std::env::var(&name) {
                deploy_overrides.push((name, value));
            }
        }
        for text in &self.overrides {
            deploy_overrides.push(DevnetOptions::parse_override(text)?);
        }
        let mut extra_env = std::collections::BTreeMap::<Role, Vec<(String, String)>>::new();
        for text in &self.role_env {
            let (role, key, value) = DevnetOptions::parse_role_env(text)?;
            extra_env.entry(role).or_default().push((key, value));
        }
        if !(self.traffic_interval.is_finite() && self.traffic_interval >= 0.0) {
            eyre::bail!(
                "--traffic-interval {} must be a non-negative number of seconds",
                self.traffic_interval
            );
        }
        Ok(DevnetOptions {
            sequencers: self.sequencers,
            offline_sequencers: self.offline_sequencers,
            stakers: self.stakers,
            offline_percent: self.offline_percent,
            l1_block_time: self.l1_block_time.unwrap_or(self.preset.l1_block_time()),
            provers: self.provers,
            agents: self.agents,
            agent_concurrency: self.agent_concurrency,
            anvil_port: self.anvil_port,
            node_port: self.node_port,
            broker_port: self.broker_port,
            broker_store: self.broker,
            broker_replicas: self.broker_replicas,
            network_namespaces: self.netns,
            sequencer_base_port: self.sequencer_base_port,
            prover_base_port: self.prover_base_port,
            backup_proposer: self.backup_proposer && !self.l1_only,
            backup_proposer_port: self.backup_proposer_port,
            p2p_base_port: self.p2p_base_port,
            traffic_interval: Duration::from_secs_f64(self.traffic_interval),
            data_dir: self.data_dir.clone(),
            deployments_dir: self.deployments_dir.clone(),
            deploy_config: self.config.clone().unwrap_or(self.preset.deploy_config()),
            deploy_overrides,
            bin_dir: self.bin_dir.clone(),
            anvil_binary: self.anvil.clone().unwrap_or(defaults.anvil_binary),
            key_cache_dir: self.key_cache.clone().unwrap_or(defaults.key_cache_dir),
            ceremony_keys: self.ceremony_keys.clone(),
            quote_provider_url: self.quote_provider_url.clone(),
            extra_env,
            l1_only: self.l1_only,
            progress: Some(progress),
            health_timeout: Duration::from_secs(self.health_timeout),
            l1_gate: false,
        })
    }
}

/// SIGINT (Ctrl-C) and SIGTERM, registered once so none is missed between polls.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn new() -> eyre::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).wrap_err("cannot listen for SIGINT")?,
            terminate: signal(SignalKind::terminate()).wrap_err("cannot listen for SIGTERM")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

#[tokio::main]
async fn main() -> eyre::Result<ExitCode> {
    let args = Args::parse();
    fernet_primitives::logging::init()?;
    let mut signals = Signals::new()?;
    let options = args.options(MultiProgress::new())?;

    // Dropping the start future on a signal stops whatever it had spawned.
    let started = tokio::select! {
        started = Devnet::start(options) => Some(started),
        () = signals.recv() => None,
    };
    let Some(started) = started else {
        eprintln!("devnet: interrupted while starting; stopped");
        // Key generation may still run on a blocking thread: do not wait for it.
        std::process::exit(0);
    };
    let mut devnet = started.wrap_err("the devnet did not start")?;
    print_summary(&devnet);
    let code = if args.report_epochs > 0 {
        report(&mut devnet, &mut signals, args.report_epochs, args.json).await
    } else {
        run(&mut devnet, &mut signals, args.json).await
    };
    eprintln!("devnet: stopping every process");
    devnet.stop();
    eprintln!("devnet: stopped");
    Ok(code)
}

/// Prints a report per slot until a signal (exit 0) or the death of an essential process
/// (exit 1); other deaths are reported and the devnet runs on.
async fn run(devnet: &mut Devnet, signals: &mut Signals, json: bool) -> ExitCode {
    let mut monitor: Option<Monitor> = None;
    loop {
        if let Err(error) = devnet.check() {
            eprintln!("devnet: {error}");
            if let fernet_devnet::Error::ChildExited { name, .. } = &error {
                if Devnet::is_essential(name) {
                    eprintln!("devnet: {name} is essential: stopping the devnet");
                    return ExitCode::FAILURE;
                }
            }
        }
        if monitor.is_none() {
            match devnet.monitor().await {
                Ok(started) => monitor = Some(started),
                Err(error) => eprintln!("devnet: monitor: {error}"),
            }
        }
        if let Some(monitor) = monitor.as_mut() {
            match monitor.try_next_report().await {
                Ok(Some(report)) => {
                    if json {
                        match serde_json::to_string(&report) {
                            Ok(line) => println!("{line}"),
                            Err(error) => eprintln!("devnet: cannot serialize a report: {error}"),
                        }
                    } else {
                        println!("{report}");
                    }
                    // Catch up at once if several slots ended.
                    continue;
                }
                Ok(None) => {}
                Err(error) => eprintln!("devnet: monitor: {error}"),
            }
        }
        tokio::select! {
            () = signals.recv() => return ExitCode::SUCCESS,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Waits for the stakers' first epoch, prints the scale report over `epochs` epochs (exit 0),
/// or stops on a signal (exit 0) or an error (exit 1).
async fn report(devnet: &mut Devnet, signals: &mut Signals, epochs: u64, json: bool) -> ExitCode {
    eprintln!("devnet: measuring {epochs} epochs once the stakers may propose");
    let result = tokio::select! {
        result = fernet_devnet::run_scale_report(devnet, epochs) => result,
        () = signals.recv() => return ExitCode::SUCCESS,
    };
    match result {
        Ok(report) => {
            if json {
                match serde_json::to_string(&report) {
                    Ok(line) => println!("{line}"),
                    Err(error) => eprintln!("devnet: cannot serialize the report: {error}"),
                }
            } else {
                print!("{report}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("devnet: scale report: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Where everything is: URLs, accounts, logs.
fn print_summary(devnet: &Devnet) {
    let urls = devnet.urls();
    let options = devnet.options();
    let params = &devnet.deployment().parameters;
    let logs = devnet.data_dir().join("logs");
    eprintln!();
    eprintln!(
        "devnet: up. slot {} s, epoch {} slots, proposal window {} s, claim window {} slot(s), proof window {} slot(s)",
        params.staking.slot_duration,
        params.staking.epoch_duration,
        params.rollup.proposal_window,
        params.rollup.claim_window_slots,
        params.rollup.proof_window_slots,
    );
    eprintln!(
        "  L1 (anvil)   {}  log {}",
        urls.l1,
        devnet.log_path("anvil").display()
    );
    eprintln!("  deployment   {}", devnet.deployment_path().display());
    if !options.l1_only {
        eprintln!(
            "  node RPC     {}  (AZTEC_NODE_URL for `fernet send` / `fernet status`)",
            urls.node
        );
        eprintln!("  metrics      {}/metrics", urls.node);
        for (i, url) in urls.brokers.iter().enumerate() {
            eprintln!(
                "  {}  {url}  (/metrics)",
                fernet_devnet::broker_name(i, urls.brokers.len())
            );
        }
    }
    let not_started = "(funded, not started)".to_owned();
    for i in 0..options.sequencers {
        let url = if options.l1_only {
            &not_started
        } else {
            &urls.sequencers[i]
        };
        let keys = devnet.sequencer_keys(i);
        let held = match keys {
            [key] => key.address.to_string(),
            _ => format!(
                "{} keys in {}",
                keys.len(),
                devnet.keystore_path(i).display()
            ),
        };
        eprintln!("  {}  {url}  {held}", fernet_devnet::sequencer_name(i));
    }
    let offline = &devnet.accounts().offline_sequencers;
    if offline.len() <= 8 {
        for (i, account) in offline.iter().enumerate() {
            eprintln!(
                "  offline-sequencer-{}  (registered, not started)  {}",
                i + 1,
                account.address
            );
        }
    } else {
        eprintln!(
            "  {} offline staker keys (registered, held by no process)",
            offline.len()
        );
    }
    if !options.l1_only {
        eprintln!(
            "  broker token {}",
            devnet.data_dir().join("broker-auth-token").display()
        );
    }
    for (i, account) in devnet.accounts().provers.iter().enumerate() {
        let url = if options.l1_only {
            &not_started
        } else {
            &urls.provers[i]
        };
        eprintln!(
            "  {}     {url}  {}",
            fernet_devnet::prover_name(i),
            account.address
        );
    }
    if !options.l1_only {
        eprintln!(
            "  logs         {}/<name>.log ({})",
            logs.display(),
            devnet.process_names().join(", ")
        );
    }
    eprintln!(
        "  sequencers propose from {} epochs after they register (snapshotLag + 1); Ctrl-C stops everything",
        params.staking.snapshot_lag + 1
    );
    eprintln!();
}

#[cfg(test)]
mod tests {
    use indicatif::ProgressDrawTarget;

    use super::*;

    fn options(args: &[&str]) -> DevnetOptions {
        let args =
            Args::try_parse_from(std::iter::once("devnet").chain(args.iter().copied())).unwrap();
        args.options(MultiProgress::with_draw_target(ProgressDrawTarget::hidden()))
            .unwrap()
    }

    #[test]
    fn the_broker_store_is_embedded_unless_postgres_is_asked_for() {
        assert_eq!(options(&[]).broker_store, BrokerStore::Embedded);
        assert_eq!(
            options(&["--broker", "postgres"]).broker_store,
            BrokerStore::Postgres
        );
        assert!(Args::try_parse_from(["devnet", "--broker", "mysql"]).is_err());
    }
}
