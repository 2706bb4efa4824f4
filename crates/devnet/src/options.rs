//! What the devnet runs and where: counts, ports, directories, extra environment.

use std::{collections::BTreeMap, fmt, path::PathBuf, str::FromStr, time::Duration};

use fernet_deploy::config::{env_name, ENV_OVERRIDES};

use crate::{Error, Result};

/// The kinds of process the devnet spawns (besides anvil), for per-role extra environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `fernet-node`, the user-facing node.
    Node,
    /// `fernet-sequencer`.
    Sequencer,
    /// `fernet-prover-node`.
    Prover,
    /// `fernet-broker`.
    Broker,
    /// `fernet-agent`.
    Agent,
    /// `fernet traffic`.
    Traffic,
}

impl Role {
    /// Every role, in the order the devnet starts them.
    pub const ALL: [Role; 6] = [
        Role::Broker,
        Role::Agent,
        Role::Node,
        Role::Sequencer,
        Role::Prover,
        Role::Traffic,
    ];

    /// The role's name, as in `--env <role>:KEY=VALUE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Node => "node",
            Role::Sequencer => "sequencer",
            Role::Prover => "prover",
            Role::Broker => "broker",
            Role::Agent => "agent",
            Role::Traffic => "traffic",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| Error::InvalidOption {
                option: "env",
                reason: format!(
                    "unknown role {s:?}: expected one of node, sequencer, prover, broker, agent, traffic"
                ),
            })
    }
}

/// A ready-made combination of deploy parameters and L1 pace (`--preset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Preset {
    /// `deployments/devnet.toml` on 1 s L1 blocks: small trees, 4-tx blocks, 30 s slots.
    #[default]
    Devnet,
    /// `deployments/testnet.toml` on 12 s L1 blocks: the production circuit (depth-32 trees,
    /// 32-tx blocks), 36 s slots, 8-slot epochs.
    Testnet,
}

impl Preset {
    /// The deploy parameters, relative to the workspace root.
    pub fn deploy_config(self) -> PathBuf {
        PathBuf::from(match self {
            Preset::Devnet => "deployments/devnet.toml",
            Preset::Testnet => "deployments/testnet.toml",
        })
    }

    /// Seconds between anvil's blocks.
    pub fn l1_block_time(self) -> u64 {
        match self {
            Preset::Devnet => 1,
            Preset::Testnet => 12,
        }
    }
}

/// Where the devnet's broker keeps its jobs (`--broker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BrokerStore {
    /// The embedded redb store, in `<data dir>/data/broker`.
    #[default]
    Embedded,
    /// The database [`DEVNET_DATABASE`] on this checkout's PostgreSQL cluster
    /// (`script/postgres.sh`), created empty at every start and given to the broker as
    /// `BROKER_DATABASE_URL`.
    Postgres,
}

/// The devnet's database on the PostgreSQL cluster, with [`BrokerStore::Postgres`].
pub const DEVNET_DATABASE: &str = "devnet";

/// Everything [`crate::Devnet::start`] needs. [`Default`] gives the documented defaults.
///
/// The staker keys: [`DevnetOptions::stakers`] keys in all (default: one per sequencer process
/// plus [`DevnetOptions::offline_sequencers`]), of which [`DevnetOptions::offline_sequencers`]
/// plus [`DevnetOptions::offline_percent`] % are held by no process; the live ones are spread
/// over the sequencer processes (key `j` to process `j mod sequencers`, through a keystore file).
/// The devnet funds and registers every staker key itself before it starts the sequencers.
#[derive(Debug, Clone)]
pub struct DevnetOptions {
    /// Sequencer processes started (default 4); each holds one or more staker keys.
    pub sequencers: usize,
    /// Staker keys registered and funded by the devnet itself but held by no process (default
    /// 0).
    pub offline_sequencers: usize,
    /// Staker keys in all, live and offline (default `None`: one per sequencer process plus
    /// `offline_sequencers`).
    pub stakers: Option<usize>,
    /// The share of the staker keys, in percent, held by no process on top of
    /// `offline_sequencers` (rounded to the nearest key; default 0).
    pub offline_percent: f64,
    /// Seconds between anvil's blocks once the devnet's own set-up transactions are mined (they
    /// are mined every second; default 1).
    pub l1_block_time: u64,
    /// Prover nodes (default 2).
    pub provers: usize,
    /// Proving agents sharing the broker (default 1).
    pub agents: usize,
    /// Jobs each agent proves at once (default 1).
    pub agent_concurrency: usize,
    /// anvil's port (default 8545).
    pub anvil_port: u16,
    /// The user-facing node's JSON-RPC port (default 8080).
    pub node_port: u16,
    /// The broker's JSON-RPC port (default 8090).
    pub broker_port: u16,
    /// Where the broker keeps its jobs (default [`BrokerStore::Embedded`]).
    pub broker_store: BrokerStore,
    /// Broker processes serving the same jobs (default 1); more than one needs
    /// [`BrokerStore::Postgres`]. Replica `i` (from 0) listens on `broker_port + i`; every
    /// client gets the whole list and fails over in order.
    pub broker_replicas: usize,
    /// Runs each broker replica and each agent on a host of its own: a network namespace joined
    /// to the root namespace by a veth pair and a bridge ([`crate::hosts`]; needs root; default
    /// false).
    pub network_namespaces: bool,
    /// Sequencer `i` (from 0) listens on `sequencer_base_port + i` (default 8100).
    pub sequencer_base_port: u16,
    /// Prover node `i` (from 0) listens on `prover_base_port + i` (default 8200).
    pub prover_base_port: u16,
    /// Runs the backup proposer: an unstaked `fernet-sequencer --backup-only` that fills
    /// slots every staker left empty with blocks proven through the devnet's broker (default
    /// true).
    pub backup_proposer: bool,
    /// The backup proposer's JSON-RPC port (default 8095).
    pub backup_proposer_port: u16,
    /// First p2p port (`P2P_TCP_LISTEN_ADDR`, TCP and QUIC/UDP) of the services that embed a
    /// node: the user-facing node (the others' bootnode) on it, then the sequencers, the backup
    /// proposer and the prover nodes on the ports after it (default 40400).
    pub p2p_base_port: u16,
    /// Period of `fernet traffic`'s transactions; zero runs no traffic (default 8 s: 2.5
    /// transactions per 30 s slot, below the 4 a block holds, so user transactions find room).
    pub traffic_interval: Duration,
    /// Logs (`logs/<name>.log`, `anvil.log`) and service stores (`data/<name>`); the stores of a
    /// previous run are removed at start, as the chain is new (default `.devnet`).
    pub data_dir: PathBuf,
    /// Where `deployments/<chain-id>.json` is written (default `deployments`).
    pub deployments_dir: PathBuf,
    /// The deploy parameters file (default `deployments/devnet.toml`).
    pub deploy_config: PathBuf,
    /// Overrides of the deploy parameters, as the deploy binary's environment variables
    /// (`("SLOT_DURATION", "4")`).
    pub deploy_overrides: Vec<(String, String)>,
    /// Where the service binaries are; `None` means the directory of the running executable.
    pub bin_dir: Option<PathBuf>,
    /// The anvil binary (default: the pinned one under `node_modules`).
    pub anvil_binary: PathBuf,
    /// The circuit key cache (default [`fernet_circuits::block::prover::default_key_cache_dir`]).
    pub key_cache_dir: PathBuf,
    /// A ceremony's export directory (`fernet-ceremony export`; default none: the insecure
    /// devnet keys). When set, the deploy generates the verifiers from its keys, the broker,
    /// agents and prover nodes get it as `FERNET_CEREMONY_KEYS`, and no devnet key is set up.
    pub ceremony_keys: Option<PathBuf>,
    /// Passed to every prover node as `QUOTE_PROVIDER_URL` (default none: fixed quotes).
    pub quote_provider_url: Option<String>,
    /// Extra environment per role, applied last (so it can override what the devnet sets).
    pub extra_env: BTreeMap<Role, Vec<(String, String)>>,
    /// Start only the L1 side: anvil, deployment, funding, offline registrations; no keys, no
    /// processes (default false).
    pub l1_only: bool,
    /// Progress bars for the circuit key generation (default none: nothing drawn).
    pub progress: Option<indicatif::MultiProgress>,
    /// How long each service may take to answer `GET /health` (default 60 s).
    pub health_timeout: Duration,
    /// Routes the services' L1 RPC through an [`crate::L1Gate`] that tests can close and open
    /// (an L1 outage on demand); the devnet's own L1 reads still go to anvil directly (default
    /// false).
    pub l1_gate: bool,
}

impl Default for DevnetOptions {
    fn default() -> Self {
        let root = workspace_root();
        Self {
            sequencers: 4,
            offline_sequencers: 0,
            stakers: None,
            offline_percent: 0.0,
            l1_block_time: 1,
            provers: 2,
            agents: 1,
            agent_concurrency: 1,
            anvil_port: 8545,
            node_port: 8080,
            broker_port: 8090,
            broker_store: BrokerStore::Embedded,
            broker_replicas: 1,
            network_namespaces: false,
            sequencer_base_port: 8100,
            prover_base_port: 8200,
            backup_proposer: true,
            backup_proposer_port: 8095,
            p2p_base_port: fernet_p2p::DEFAULT_P2P_PORT,
            traffic_interval: Duration::from_secs(8),
            data_dir: PathBuf::from(".devnet"),
            deployments_dir: PathBuf::from("deployments"),
            deploy_config: PathBuf::from("deployments/devnet.toml"),
            deploy_overrides: Vec::new(),
            bin_dir: None,
            anvil_binary: root.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"),
            key_cache_dir: fernet_circuits::block::prover::default_key_cache_dir(),
            ceremony_keys: None,
            quote_provider_url: None,
            extra_env: BTreeMap::new(),
            l1_only: false,
            progress: None,
            health_timeout: Duration::from_secs(60),
            l1_gate: false,
        }
    }
}

impl DevnetOptions {
    /// Options for tests: only the L1 side, in `data_dir`, with anvil on `anvil_port`, and the
    /// repository's files found from this crate's sources.
    pub fn l1_only(data_dir: impl Into<PathBuf>, anvil_port: u16) -> Self {
        let root = workspace_root();
        let data_dir = data_dir.into();
        Self {
            sequencers: 0,
            provers: 0,
            agents: 0,
            backup_proposer: false,
            traffic_interval: Duration::ZERO,
            anvil_port,
            deployments_dir: data_dir.join("deployments"),
            deploy_config: root.join("deployments/devnet.toml"),
            data_dir,
            l1_only: true,
            ..Self::default()
        }
    }

    /// Parses `KEY=VALUE` into a deploy override, checking that `KEY` is a deploy variable.
    pub fn parse_override(text: &str) -> Result<(String, String)> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| Error::InvalidOverride(text.to_owned()))?;
        let known = ENV_OVERRIDES
            .iter()
            .any(|(_, name, _)| env_name(name) == key);
        if !known {
            return Err(Error::InvalidOverride(text.to_owned()));
        }
        Ok((key.to_owned(), value.to_owned()))
    }

    /// Parses `<role>:KEY=VALUE` into an extra environment variable of a role.
    pub fn parse_role_env(text: &str) -> Result<(Role, String, String)> {
        let invalid = || Error::InvalidOption {
            option: "env",
            reason: format!("{text:?} is not <role>:KEY=VALUE"),
        };
        let (role, assignment) = text.split_once(':').ok_or_else(invalid)?;
        let (key, value) = assignment.split_once('=').ok_or_else(invalid)?;
        if key.is_empty() {
            return Err(invalid());
        }
        Ok((role.parse()?, key.to_owned(), value.to_owned()))
    }

    /// How many staker keys are live (held by a sequencer process) and how many offline;
    /// fails when a sequencer process would hold no key.
    pub fn staker_keys(&self) -> Result<(usize, usize)> {
        let total = self
            .stakers
            .unwrap_or(self.sequencers + self.offline_sequencers);
        if !(self.offline_percent.is_finite() && (0.0..=100.0).contains(&self.offline_percent)) {
            return Err(Error::InvalidOption {
                option: "offline-percent",
                reason: format!("{} is not a percentage", self.offline_percent),
            });
        }
        // Rounded to the nearest key: a share of a key count is small and non-negative.
        let by_share = (total as f64 * self.offline_percent / 100.0).round() as usize;
        let offline = (self.offline_sequencers + by_share).min(total);
        let live = total - offline;
        if live < self.sequencers {
            return Err(Error::InvalidOption {
                option: "stakers",
                reason: format!(
                    "{total} staker keys with {offline} offline leave {live} for {} sequencer \
                     processes: each needs at least one",
                    self.sequencers
                ),
            });
        }
        Ok((live, offline))
    }

    /// Fails unless there is at least one broker replica, and one store all replicas share.
    pub(crate) fn check_broker_replicas(&self) -> Result<()> {
        if self.broker_replicas == 0 {
            return Err(Error::InvalidOption {
                option: "broker-replicas",
                reason: "must be at least 1".into(),
            });
        }
        if self.broker_replicas > 1 && self.broker_store != BrokerStore::Postgres {
            return Err(Error::InvalidOption {
                option: "broker-replicas",
                reason: format!(
                    "{} replicas must share one PostgreSQL database (--broker postgres): the \
                     embedded store belongs to one process",
                    self.broker_replicas
                ),
            });
        }
        Ok(())
    }

    /// The p2p port of the user-facing node.
    pub(crate) fn node_p2p_port(&self) -> Result<u16> {
        offset_port(self.p2p_base_port, 0)
    }

    /// The p2p port of sequencer `i`.
    pub(crate) fn sequencer_p2p_port(&self, i: usize) -> Result<u16> {
        offset_port(self.p2p_base_port, 1 + i)
    }

    /// The p2p port of the backup proposer.
    pub(crate) fn backup_proposer_p2p_port(&self) -> Result<u16> {
        offset_port(self.p2p_base_port, 1 + self.sequencers)
    }

    /// The p2p port of prover node `i`.
    pub(crate) fn prover_p2p_port(&self, i: usize) -> Result<u16> {
        offset_port(self.p2p_base_port, 2 + self.sequencers + i)
    }

    /// Every port the devnet will listen on, named by process, checked for clashes.
    pub(crate) fn ports(&self) -> Result<Vec<(String, u16)>> {
        let mut ports = vec![("anvil".to_owned(), self.anvil_port)];
        if !self.l1_only {
            ports.push(("node".into(), self.node_port));
            for i in 0..self.broker_replicas {
                ports.push((
                    broker_name(i, self.broker_replicas),
                    offset_port(self.broker_port, i)?,
                ));
            }
            for i in 0..self.sequencers {
                ports.push((sequencer_name(i), offset_port(self.sequencer_base_port, i)?));
            }
            for i in 0..self.provers {
                ports.push((prover_name(i), offset_port(self.prover_base_port, i)?));
            }
            if self.backup_proposer {
                ports.push((BACKUP_PROPOSER.into(), self.backup_proposer_port));
            }
            ports.push(("node p2p".into(), self.node_p2p_port()?));
            for i in 0..self.sequencers {
                ports.push((
                    format!("{} p2p", sequencer_name(i)),
                    self.sequencer_p2p_port(i)?,
                ));
            }
            if self.backup_proposer {
                ports.push((
                    format!("{BACKUP_PROPOSER} p2p"),
                    self.backup_proposer_p2p_port()?,
                ));
            }
            for i in 0..self.provers {
                ports.push((format!("{} p2p", prover_name(i)), self.prover_p2p_port(i)?));
            }
        }
        for (i, (name, port)) in ports.iter().enumerate() {
            if let Some((first, _)) = ports[..i].iter().find(|(_, p)| p == port) {
                return Err(Error::PortClash {
                    port: *port,
                    first: first.clone(),
                    second: name.clone(),
                });
            }
        }
        Ok(ports)
    }
}

/// `base + index`, or an error naming the overflow.
pub(crate) fn offset_port(base: u16, index: usize) -> Result<u16> {
    u16::try_from(index)
        .ok()
        .and_then(|index| base.checked_add(index))
        .ok_or(Error::InvalidOption {
            option: "base port",
            reason: format!("{base} + {index} is not a port"),
        })
}

/// The devnet's name of the backup-only sequencer (its process and its account).
pub const BACKUP_PROPOSER: &str = "backup-proposer";

/// The devnet's name of sequencer `i` (from 0): `sequencer-1`, ...
pub fn sequencer_name(index: usize) -> String {
    format!("sequencer-{}", index + 1)
}

/// The devnet's name of prover node `i` (from 0): `prover-1`, ...
pub fn prover_name(index: usize) -> String {
    format!("prover-{}", index + 1)
}

/// The devnet's name of broker replica `i` (from 0) of `replicas`: `broker` when it is the only
/// one, else `broker-1`, `broker-2`, ...
pub fn broker_name(index: usize, replicas: usize) -> String {
    if replicas == 1 {
        "broker".to_owned()
    } else {
        format!("broker-{}", index + 1)
    }
}

/// The devnet's name of agent `i` (from 0): `agent-1`, ...
pub fn agent_name(index: usize) -> String {
    format!("agent-{}", index + 1)
}

/// The repository root this crate was built in (for the pinned anvil and the deploy config).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_overrides_and_role_env() {
        assert_eq!(
            DevnetOptions::parse_override("SLOT_DURATION=4").unwrap(),
            ("SLOT_DURATION".into(), "4".into())
        );
        assert!(matches!(
            DevnetOptions::parse_override("SLOT_LENGTH=4"),
            Err(Error::InvalidOverride(text)) if text == "SLOT_LENGTH=4"
        ));
        assert!(DevnetOptions::parse_override("SLOT_DURATION").is_err());
        assert_eq!(
            DevnetOptions::parse_role_env("prover:LOG_LEVEL=debug=x").unwrap(),
            (Role::Prover, "LOG_LEVEL".into(), "debug=x".into())
        );
        assert!(DevnetOptions::parse_role_env("miner:A=1").is_err());
        assert!(DevnetOptions::parse_role_env("node:=1").is_err());
    }

    #[test]
    fn broker_replicas_share_a_postgres_database_and_get_their_own_ports() {
        let one = DevnetOptions::default();
        one.check_broker_replicas().unwrap();
        assert_eq!(broker_name(0, 1), "broker");
        let embedded = DevnetOptions {
            broker_replicas: 2,
            ..DevnetOptions::default()
        };
        assert!(matches!(
            embedded.check_broker_replicas(),
            Err(Error::InvalidOption { option: "broker-replicas", reason }) if reason.contains("PostgreSQL")
        ));
        let none = DevnetOptions {
            broker_replicas: 0,
            ..DevnetOptions::default()
        };
        assert!(none.check_broker_replicas().is_err());
        let two = DevnetOptions {
            broker_replicas: 2,
            broker_store: BrokerStore::Postgres,
            ..DevnetOptions::default()
        };
        two.check_broker_replicas().unwrap();
        let ports = two.ports().unwrap();
        let port = |name: &str| ports.iter().find(|(n, _)| n == name).map(|(_, p)| *p);
        assert_eq!(port("broker-1"), Some(8090));
        assert_eq!(port("broker-2"), Some(8091));
        assert_eq!(port("broker"), None);
    }

    #[test]
    fn counts_live_and_offline_staker_keys() {
        let defaults = DevnetOptions::default();
        assert_eq!(defaults.staker_keys().unwrap(), (4, 0));
        let offline = DevnetOptions {
            sequencers: 2,
            offline_sequencers: 2,
            ..DevnetOptions::default()
        };
        assert_eq!(offline.staker_keys().unwrap(), (2, 2));
        let scale = DevnetOptions {
            sequencers: 4,
            stakers: Some(1000),
            offline_percent: 10.0,
            ..DevnetOptions::default()
        };
        assert_eq!(scale.staker_keys().unwrap(), (900, 100));
        let ci = DevnetOptions {
            sequencers: 2,
            stakers: Some(8),
            offline_percent: 25.0,
            ..DevnetOptions::default()
        };
        assert_eq!(ci.staker_keys().unwrap(), (6, 2));
        let starved = DevnetOptions {
            sequencers: 4,
            stakers: Some(4),
            offline_percent: 50.0,
            ..DevnetOptions::default()
        };
        assert!(matches!(
            starved.staker_keys(),
            Err(Error::InvalidOption {
                option: "stakers",
                ..
            })
        ));
        let nonsense = DevnetOptions {
            offline_percent: 120.0,
            ..DevnetOptions::default()
        };
        assert!(nonsense.staker_keys().is_err());
    }

    #[test]
    fn names_clashing_ports() {
        let options = DevnetOptions {
            node_port: 8101,
            ..DevnetOptions::default()
        };
        match options.ports() {
            Err(Error::PortClash {
                port: 8101,
                first,
                second,
            }) => assert_eq!((first.as_str(), second.as_str()), ("node", "sequencer-2")),
            other => panic!("expected a clash, got {other:?}"),
        }
        // Ten RPC ports and eight p2p ports (node, four sequencers, backup proposer, two provers).
        assert_eq!(DevnetOptions::default().ports().unwrap().len(), 18);
    }

    #[test]
    fn p2p_ports_follow_the_base_and_clash_like_the_others() {
        let options = DevnetOptions::default();
        assert_eq!(options.node_p2p_port().unwrap(), 40400);
        assert_eq!(options.sequencer_p2p_port(3).unwrap(), 40404);
        assert_eq!(options.backup_proposer_p2p_port().unwrap(), 40405);
        assert_eq!(options.prover_p2p_port(1).unwrap(), 40407);
        let clashing = DevnetOptions {
            p2p_base_port: 8199,
            ..DevnetOptions::default()
        };
        match clashing.ports() {
            Err(Error::PortClash {
                port: 8200,
                first,
                second,
            }) => {
                assert_eq!(
                    (first.as_str(), second.as_str()),
                    ("prover-1", "sequencer-1 p2p")
                )
            }
            other => panic!("expected a clash, got {other:?}"),
        }
    }
}
