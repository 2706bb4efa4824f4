//! `deploy`: puts the rollup's L1 suite on a chain and writes `deployments/<chain-id>.json`.

use std::path::PathBuf;

use alloy::{primitives::Address, transports::http::reqwest::Url};
use clap::Parser;
use eyre::WrapErr;
use fernet_deploy::{
    deploy, verifiers::VerifierSources, DeployConfig, DeployOptions, DeployStatus,
};
use fernet_primitives::{ProvingMode, StatePreset};

/// Deploys DevnetToken (unless --token), BlockProofVerifier, ChunkProofVerifier, Staking,
/// ProverEscrow, RewardPool, FeeInbox and Rollup, funds the reward pool (with a DevnetToken) and writes deployments/<chain-id>.json with
/// every address, deployment block and parameter. Idempotent: when that file records a rollup
/// that is live on the chain with the same parameters, prints it and sends nothing.
///
/// Parameters come from --config; every key can be overridden by an environment variable named
/// after it in SCREAMING_SNAKE_CASE (slotDuration -> SLOT_DURATION). Logs go to stderr (LOG_LEVEL,
/// LOG_JSON=true); the deployment JSON goes to stdout.
///
/// With --ceremony-keys, both verifiers are generated from a ceremony's keys and the record names
/// the ceremony by its transcript hash. Without, the keys are the INSECURE devnet setup's (refused
/// off anvil unless --insecure-devnet-keys): the devnet state configuration deploys the committed
/// verifiers; any other generates both from the configuration's circuit keys (loaded from
/// --key-cache, set up there when missing). Generated verifiers are compiled with the
/// repository's pinned solc (`script/solc-shim.js`, run by node).
#[derive(Debug, Parser)]
#[command(name = "deploy", version)]
struct Args {
    /// L1 JSON-RPC endpoint.
    #[arg(long, env = "ETHEREUM_HOST", default_value = "http://127.0.0.1:8545")]
    rpc_url: Url,
    /// Chain id the RPC must serve (checked when set).
    #[arg(long, env = "L1_CHAIN_ID")]
    l1_chain_id: Option<u64>,
    /// Deployer key (prefer the environment variable: a flag shows in `ps`); defaults to anvil's
    /// first development key on chain 31337 only.
    #[arg(long, env = "DEPLOYER_PRIVATE_KEY", hide_env_values = true)]
    private_key: Option<String>,
    /// TOML file with the parameters.
    #[arg(long, default_value = "deployments/devnet.toml")]
    config: PathBuf,
    /// Circuit state sizes (genesis root, block capacity); overrides the file's stateConfig.
    #[arg(long, value_parser = ["devnet", "production"])]
    state_config: Option<String>,
    /// How epochs are proven (quote: Rollup; committee: CommitteeRollup); overrides the file's
    /// provingMode.
    #[arg(long, value_parser = ["quote", "committee"])]
    proving_mode: Option<String>,
    /// Use this staking token instead of deploying a DevnetToken (the pool is then not funded).
    #[arg(long)]
    token: Option<Address>,
    /// Directory of the <chain-id>.json records.
    #[arg(long, default_value = "deployments")]
    deployments_dir: PathBuf,
    /// Deploy to a chain id other than 31337 (anvil), 11155111 (Sepolia) or 17000 (Holesky).
    #[arg(long)]
    allow_unknown_chain: bool,
    /// Deploy verifiers of the insecure devnet keys (public toxic waste: anyone can forge proofs)
    /// on a chain other than anvil, for a throwaway testnet.
    #[arg(long)]
    insecure_devnet_keys: bool,
    /// Deploy a new suite even if the recorded one is live with other parameters or its record does
    /// not parse (an older format).
    #[arg(long)]
    redeploy: bool,
    /// Circuit key cache, for the verifiers of a non-devnet state configuration.
    #[arg(long, env = "FERNET_KEY_CACHE")]
    key_cache: Option<PathBuf>,
    /// Deploy verifiers of a ceremony's keys: the directory `fernet-ceremony export` wrote. The
    /// deployment then records the ceremony's transcript hash. Unset: the insecure devnet keys.
    #[arg(long, env = "FERNET_CEREMONY_KEYS")]
    ceremony_keys: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    fernet_primitives::logging::init()?;
    let mut config = DeployConfig::load(&args.config)?;
    if let Some(preset) = &args.state_config {
        config.state_config = preset.parse::<StatePreset>()?;
    }
    if let Some(mode) = &args.proving_mode {
        config.proving_mode = mode.parse::<ProvingMode>()?;
    }
    let options = DeployOptions {
        rpc_url: args.rpc_url,
        expected_chain_id: args.l1_chain_id,
        private_key: args.private_key,
        config,
        token: args.token,
        deployments_dir: args.deployments_dir,
        allow_unknown_chain: args.allow_unknown_chain,
        insecure_devnet_keys: args.insecure_devnet_keys,
        redeploy: args.redeploy,
        verifier_sources: VerifierSources {
            key_cache: args
                .key_cache
                .unwrap_or_else(fernet_circuits::block::prover::default_key_cache_dir),
            ceremony_keys: args.ceremony_keys,
            ..VerifierSources::default()
        },
    };
    let outcome = deploy(&options).await.wrap_err("deploy failed")?;
    match outcome.status {
        DeployStatus::Deployed => {
            eprintln!("deployed; record written to {}", outcome.path.display())
        }
        DeployStatus::AlreadyDeployed => {
            eprintln!("already deployed; record in {}", outcome.path.display())
        }
    }
    print!("{}", outcome.deployment.to_json());
    Ok(())
}
