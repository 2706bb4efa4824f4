//! Configuration: clap flags, each with its environment variable (names from seed 003 and
//! docs/services.md), and the checks that need the rollup's parameters.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use alloy::{
    primitives::{Address, U256},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use clap::{ArgAction, Parser};
use fernet_broker_api::{BrokerClient, AUTH_TOKEN_ENV};
use fernet_node::P2pArgs;
use fernet_primitives::TokenAmount;

use crate::{Error, Result};

/// `fernet-prover-node`: watches L1 for ended epochs, publishes signed quotes on the p2p
/// network, proves claimed (or unclaimed, open) epochs through the proving broker and submits the
/// epoch proofs to L1.
#[derive(Debug, Clone, Parser)]
#[command(name = "fernet-prover-node", version, about, long_about = None)]
pub struct ProverNodeArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(
        long = "l1-rpc-url",
        env = "ETHEREUM_HOST",
        default_value = "http://127.0.0.1:8545"
    )]
    pub ethereum_host: Url,
    /// Refuse to run unless the L1 RPC serves this chain (default: whatever it serves).
    #[arg(long, env = "L1_CHAIN_ID")]
    pub l1_chain_id: Option<u64>,
    /// The suite's deployment record (default: `deployments/<chain-id>.json`).
    #[arg(long, env = "DEPLOYMENT_FILE")]
    pub deployment_file: Option<PathBuf>,
    /// Where the embedded node keeps its store.
    #[arg(
        long,
        env = "DATA_DIRECTORY",
        default_value = ".fernet/fernet-prover-node"
    )]
    pub data_directory: PathBuf,
    /// The prover's L1 key: it owns the escrow deposit, signs quotes and submits proofs.
    #[arg(long, env = "PROVER_PUBLISHER_PRIVATE_KEY", hide_env_values = true)]
    pub publisher_private_key: PrivateKeySigner,
    /// The embedded node's p2p network: signed quotes are published on it
    /// (`P2P_ENABLED=false`: no quotes, open proving only).
    #[command(flatten)]
    pub p2p: P2pArgs,
    /// The proving broker: its URL, or the URLs of its replicas on one database separated by
    /// commas (a call that a replica does not answer goes to the next one).
    #[arg(
        long,
        env = "PROVER_BROKER_HOST",
        default_value = "http://127.0.0.1:8090",
        value_delimiter = ','
    )]
    pub broker_host: Vec<Url>,
    /// The broker's bearer token (required: the broker refuses calls without it).
    #[arg(long, env = AUTH_TOKEN_ENV, hide_env_values = true)]
    pub broker_auth_token: Option<String>,
    /// Run a prover agent in this process (its keys must be the deployed verifier's: checked
    /// against the deployment's `verificationKeyHash` at start-up).
    #[arg(long, env = "PROVER_AGENT_ENABLED", default_value_t = false, action = ArgAction::Set)]
    pub agent_enabled: bool,
    /// Jobs the in-process agent proves at once.
    #[arg(long, env = "PROVER_AGENT_CONCURRENCY", default_value_t = 1)]
    pub agent_concurrency: usize,
    /// How blocks are proven: `whole` (one proof per block) or `chunks` (each block as chunk
    /// proofs of the deployment's chunk size, proven in parallel by the agents and chained by
    /// L1: lower latency with several agents).
    #[arg(long, env = "PROVER_BLOCK_PROOFS", value_enum, default_value_t = BlockProofs::Whole)]
    pub block_proofs: BlockProofs,
    /// Remote quote provider: POST the epoch (seed-003 JSON), answer `{basisPointFee, bondAmount}`.
    #[arg(long, env = "QUOTE_PROVIDER_URL")]
    pub quote_provider_url: Option<Url>,
    /// How long the remote quote provider may take to answer, in milliseconds.
    #[arg(long, env = "QUOTE_PROVIDER_TIMEOUT_MS", default_value_t = 2_000)]
    pub quote_provider_timeout_ms: u64,
    /// Fixed quote fee in basis points (without QUOTE_PROVIDER_URL).
    #[arg(long, env = "QUOTE_PROVIDER_BASIS_POINT_FEE", default_value_t = 100)]
    pub quote_basis_point_fee: u32,
    /// Fixed quote bond, base units or "<n> tokens" (default: the rollup's minimumProverBond).
    #[arg(long, env = "QUOTE_PROVIDER_BOND_AMOUNT")]
    pub quote_bond_amount: Option<TokenAmount>,
    /// Top the escrow up when its free balance is below this (default: 2 × the bond).
    #[arg(long, env = "PROVER_MINIMUM_ESCROW_AMOUNT")]
    pub minimum_escrow_amount: Option<TokenAmount>,
    /// ... up to this free balance (default: 4 × the bond).
    #[arg(long, env = "PROVER_TARGET_ESCROW_AMOUNT")]
    pub target_escrow_amount: Option<TokenAmount>,
    /// Epoch monitor period in milliseconds.
    #[arg(long, env = "PROVER_NODE_POLLING_INTERVAL_MS", default_value_t = 1_000)]
    pub polling_interval_ms: u64,
    /// The L1 client.
    #[command(flatten)]
    pub l1: fernet_l1::L1Options,
    /// Prove and submit unclaimed epochs once their claim window has passed (first proof wins).
    #[arg(long, env = "PROVER_OPEN_PROVING", default_value_t = true, action = ArgAction::Set)]
    pub open_proving: bool,
    /// Interface `/metrics` and `/health` are served on (`0.0.0.0` for a scraper on another
    /// machine).
    #[arg(
        long = "host",
        env = "PROVER_NODE_LISTEN_HOST",
        default_value = "127.0.0.1"
    )]
    pub listen_host: IpAddr,
    /// Port of `/metrics` and `/health`.
    #[arg(long, env = "AZTEC_PORT", default_value_t = 8080)]
    pub port: u16,
    /// The committee mode: the committee members (staker addresses, comma-separated) whose
    /// assigned chunks this node proves, each proof paying its member.
    #[arg(long, env = "PROVER_COMMITTEE_MEMBERS", value_delimiter = ',')]
    pub committee_members: Vec<Address>,
}

/// How the prover node proves a block (`PROVER_BLOCK_PROOFS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BlockProofs {
    /// One proof per block.
    #[default]
    Whole,
    /// Chunk proofs of the deployment's chunk size.
    Chunks,
}

/// The prover's economic settings, resolved against the rollup's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProverSettings {
    /// The prover (the publisher key's address).
    pub prover: Address,
    /// Fee of the fixed quote provider.
    pub basis_point_fee: u32,
    /// Bond of the fixed quote provider.
    pub bond_amount: U256,
    /// Free escrow balance below which the bond manager tops up.
    pub minimum_escrow: U256,
    /// Free escrow balance the bond manager tops up to.
    pub target_escrow: U256,
    /// Epoch monitor period.
    pub polling_interval: Duration,
    /// Whether unclaimed epochs are proven once their claim window has passed.
    pub open_proving: bool,
}

impl ProverNodeArgs {
    /// Applies the defaults that depend on the rollup and checks every rule: fee at most the
    /// rollup's `maxProverFeeBps` (a quote above it can never be claimed), bond at least
    /// `minimum_prover_bond`, target at least the minimum, a polling interval above zero.
    pub fn settings(
        &self,
        minimum_prover_bond: U256,
        max_prover_fee_bps: u64,
    ) -> Result<ProverSettings> {
        if u64::from(self.quote_basis_point_fee) > max_prover_fee_bps {
            return Err(Error::Config {
                name: "QUOTE_PROVIDER_BASIS_POINT_FEE",
                reason: format!(
                    "{} bps is above the rollup's maxProverFeeBps {max_prover_fee_bps} bps",
                    self.quote_basis_point_fee
                ),
            });
        }
        let bond_amount = self
            .quote_bond_amount
            .map_or(minimum_prover_bond, |amount| amount.0);
        if bond_amount < minimum_prover_bond {
            return Err(Error::Config {
                name: "QUOTE_PROVIDER_BOND_AMOUNT",
                reason: format!(
                    "{bond_amount} is below the rollup's minimumProverBond {minimum_prover_bond}"
                ),
            });
        }
        let minimum_escrow = self
            .minimum_escrow_amount
            .map_or(bond_amount.saturating_mul(U256::from(2)), |amount| amount.0);
        let target_escrow = self
            .target_escrow_amount
            .map_or(bond_amount.saturating_mul(U256::from(4)), |amount| amount.0);
        if target_escrow < minimum_escrow {
            return Err(Error::Config {
                name: "PROVER_TARGET_ESCROW_AMOUNT",
                reason: format!(
                    "{target_escrow} is below PROVER_MINIMUM_ESCROW_AMOUNT {minimum_escrow}"
                ),
            });
        }
        if self.polling_interval_ms == 0 {
            return Err(Error::Config {
                name: "PROVER_NODE_POLLING_INTERVAL_MS",
                reason: "must be above 0".into(),
            });
        }
        if self.agent_enabled && self.agent_concurrency == 0 {
            return Err(Error::Config {
                name: "PROVER_AGENT_CONCURRENCY",
                reason: "must be above 0 when PROVER_AGENT_ENABLED is true".into(),
            });
        }
        Ok(ProverSettings {
            prover: self.publisher_private_key.address(),
            basis_point_fee: self.quote_basis_point_fee,
            bond_amount,
            minimum_escrow,
            target_escrow,
            polling_interval: Duration::from_millis(self.polling_interval_ms),
            open_proving: self.open_proving,
        })
    }

    /// A client of the broker's replicas with its token; [`Error::Config`] without
    /// `BROKER_AUTH_TOKEN` or without a URL a client can be built for.
    pub fn broker_client(&self) -> Result<BrokerClient> {
        match &self.broker_auth_token {
            Some(token) if !token.is_empty() => BrokerClient::from_urls(&self.broker_host, token)
                .map_err(|error| Error::Config {
                    name: "PROVER_BROKER_HOST",
                    reason: error.to_string(),
                }),
            _ => Err(Error::Config {
                name: AUTH_TOKEN_ENV,
                reason: format!(
                    "required: the broker at {} refuses calls without its bearer token",
                    self.broker_urls()
                ),
            }),
        }
    }

    /// The broker's replicas as a comma-separated list, for logs.
    pub fn broker_urls(&self) -> String {
        let urls: Vec<&str> = self.broker_host.iter().map(Url::as_str).collect();
        urls.join(",")
    }

    /// The remote quote provider's timeout.
    pub fn quote_provider_timeout(&self) -> Duration {
        Duration::from_millis(self.quote_provider_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anvil's second key (never a real one).
    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn parse(extra: &[&str]) -> std::result::Result<ProverNodeArgs, clap::Error> {
        let mut args = vec!["fernet-prover-node", "--publisher-private-key", KEY];
        args.extend_from_slice(extra);
        ProverNodeArgs::try_parse_from(args)
    }

    #[test]
    fn defaults_follow_the_bond() {
        let args = parse(&[]).unwrap();
        assert!(args.open_proving);
        assert!(!args.agent_enabled);
        assert_eq!(args.port, 8080);
        assert!(args.listen_host.is_loopback());
        assert!(args.p2p.p2p_enabled);
        let bond = TokenAmount::tokens(10).0;
        let settings = args.settings(bond, 5_000).unwrap();
        assert_eq!(settings.bond_amount, bond);
        assert_eq!(settings.minimum_escrow, TokenAmount::tokens(20).0);
        assert_eq!(settings.target_escrow, TokenAmount::tokens(40).0);
        assert_eq!(settings.basis_point_fee, 100);
        assert_eq!(settings.polling_interval, Duration::from_secs(1));
        assert_eq!(
            settings.prover.to_string(),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        );
    }

    #[test]
    fn parses_amounts_lists_and_booleans() {
        let args = parse(&[
            "--quote-bond-amount",
            "12 tokens",
            "--minimum-escrow-amount",
            "30000000000000000000",
            "--target-escrow-amount",
            "50 tokens",
            "--bootstrap-nodes",
            "/ip4/127.0.0.1/tcp/40400,/ip4/127.0.0.2/tcp/40400",
            "--open-proving",
            "false",
            "--agent-enabled",
            "true",
        ])
        .unwrap();
        assert_eq!(args.p2p.bootstrap_nodes.len(), 2);
        assert!(!args.open_proving);
        assert!(args.agent_enabled);
        let settings = args.settings(TokenAmount::tokens(10).0, 5_000).unwrap();
        assert_eq!(settings.bond_amount, TokenAmount::tokens(12).0);
        assert_eq!(settings.minimum_escrow, TokenAmount::tokens(30).0);
        assert_eq!(settings.target_escrow, TokenAmount::tokens(50).0);
        assert!(parse(&["--quote-bond-amount", "ten tokens"]).is_err());
    }

    #[test]
    fn the_broker_client_needs_the_token() {
        let error = parse(&[]).unwrap().broker_client().unwrap_err();
        assert!(
            matches!(&error, Error::Config { name: "BROKER_AUTH_TOKEN", reason } if reason.starts_with("required")),
            "{error}"
        );
        let client = parse(&["--broker-auth-token", "0123456789abcdef"])
            .unwrap()
            .broker_client()
            .unwrap();
        assert_eq!(client.url(), "http://127.0.0.1:8090/");
    }

    #[test]
    fn the_broker_host_is_a_list_of_replicas() {
        let args = parse(&[
            "--broker-host",
            "http://10.0.0.2:8090, http://10.0.0.3:8090",
            "--broker-auth-token",
            "0123456789abcdef",
        ])
        .unwrap();
        assert_eq!(
            args.broker_urls(),
            "http://10.0.0.2:8090/,http://10.0.0.3:8090/"
        );
        let client = args.broker_client().unwrap();
        assert_eq!(
            client.urls(),
            ["http://10.0.0.2:8090/", "http://10.0.0.3:8090/"]
        );
        assert_eq!(client.url(), "http://10.0.0.2:8090/", "the first is in use");
        let error = parse(&[
            "--broker-host",
            "http://10.0.0.2:8090,,http://10.0.0.3:8090",
        ])
        .unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
    }

    #[test]
    fn rejects_rule_breaking_settings_naming_the_values() {
        let minimum_bond = TokenAmount::tokens(10).0;
        let cases: [(&[&str], &str, &str); 4] = [
            (
                &["--quote-basis-point-fee", "5001"],
                "QUOTE_PROVIDER_BASIS_POINT_FEE",
                "5001 bps is above the rollup's maxProverFeeBps 5000 bps",
            ),
            (
                &["--quote-bond-amount", "5 tokens"],
                "QUOTE_PROVIDER_BOND_AMOUNT",
                "5000000000000000000 is below the rollup's minimumProverBond 10000000000000000000",
            ),
            (
                &[
                    "--minimum-escrow-amount",
                    "50 tokens",
                    "--target-escrow-amount",
                    "40 tokens",
                ],
                "PROVER_TARGET_ESCROW_AMOUNT",
                "40000000000000000000 is below PROVER_MINIMUM_ESCROW_AMOUNT 50000000000000000000",
            ),
            (
                &["--polling-interval-ms", "0"],
                "PROVER_NODE_POLLING_INTERVAL_MS",
                "above 0",
            ),
        ];
        for (extra, variable, text) in cases {
            match parse(extra).unwrap().settings(minimum_bond, 5_000) {
                Err(error @ Error::Config { name, .. }) => {
                    assert_eq!(name, variable);
                    assert!(error.to_string().contains(text), "{error}");
                }
                other => panic!("{variable}: expected a config error, got {other:?}"),
            }
        }
    }
}
