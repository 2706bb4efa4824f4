//! `fernet-agent`: proves the broker's jobs.

use std::{path::PathBuf, sync::Arc, time::Duration};

use clap::Parser;
use eyre::{eyre, WrapErr};
use fernet_broker::{
    default_agent_id, deployed_verifier, shutdown_signal, Agent, AgentConfig, BlockKeys,
};
use fernet_broker_api::{BrokerClient, JobKind, AUTH_TOKEN_ENV};
use tokio::sync::watch;

/// A prover agent: takes block proving jobs from the broker, proves them with the block
/// circuit's keys (a ceremony's export in `FERNET_CEREMONY_KEYS`; unset, the INSECURE devnet
/// keys from the key cache `FERNET_KEY_CACHE`, default `target/fernet-keys`), checks each proof
/// and delivers it. It refuses to start when its keys are not the deployed verifier's
/// (`DEPLOYMENT_FILE` or `PROVER_VERIFICATION_KEY_HASH`, one is required): another key hash, or,
/// with `DEPLOYMENT_FILE`, keys of another setup than the deployment records. Ctrl-C or SIGTERM reports the jobs in
/// flight as failed so the broker hands them to another agent.
#[derive(Debug, Parser)]
#[command(name = "fernet-agent", version)]
struct Args {
    /// The broker: its URL, or the URLs of its replicas on one database separated by commas
    /// (`http://10.0.0.2:8090,http://10.0.0.3:8090`). A call that a replica does not answer goes
    /// to the next one at once, which the agent then keeps using.
    #[arg(
        long,
        env = "PROVER_BROKER_HOST",
        default_value = "http://127.0.0.1:8090"
    )]
    broker: String,
    /// Jobs proven at once (each uses all cores while proving).
    #[arg(long, env = "PROVER_AGENT_CONCURRENCY", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Wait between polls when there is no job or the broker is unreachable.
    #[arg(long, env = "PROVER_AGENT_POLL_INTERVAL_MS", default_value_t = 500)]
    poll_interval_ms: u64,
    /// Name towards the broker (default: `<hostname>-<pid>`).
    #[arg(long, env = "PROVER_AGENT_ID")]
    agent_id: Option<String>,
    /// The broker's bearer token (required).
    #[arg(long, env = AUTH_TOKEN_ENV, hide_env_values = true)]
    auth_token: Option<String>,
    /// The deployment record: its `verificationKeyHash` and state configuration are what the
    /// agent's keys must match.
    #[arg(long, env = "DEPLOYMENT_FILE")]
    deployment_file: Option<PathBuf>,
    /// The deployed verifier's `verificationKeyHash` (0x and 64 hex digits), when there is no
    /// DEPLOYMENT_FILE.
    #[arg(long, env = "PROVER_VERIFICATION_KEY_HASH")]
    verification_key_hash: Option<String>,
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    fernet_primitives::logging::init()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let outcome = runtime.block_on(run(args));
    // A proof still running on a blocking thread was reported failed: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    outcome
}

async fn run(args: Args) -> eyre::Result<()> {
    let token = args
        .auth_token
        .clone()
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            eyre!("{AUTH_TOKEN_ENV} is required: the broker refuses calls without it")
        })?;
    let broker = BrokerClient::from_urls(args.broker.split(','), token)
        .wrap_err("PROVER_BROKER_HOST (--broker)")?;
    let deployed = deployed_verifier(
        args.deployment_file.as_deref(),
        args.verification_key_hash.as_deref(),
    )?
    .ok_or_else(|| {
        eyre!(
            "DEPLOYMENT_FILE or PROVER_VERIFICATION_KEY_HASH is required: the agent checks that \
             its keys are the deployed verifier's before proving"
        )
    })?;
    let keys = BlockKeys::from_env()?;
    let keys = tokio::task::spawn_blocking(move || keys.for_verifier(deployed))
        .await
        .wrap_err("key check task")??;
    let config = AgentConfig {
        agent_id: args.agent_id.unwrap_or_else(default_agent_id),
        concurrency: usize::from(args.concurrency),
        poll_interval: Duration::from_millis(args.poll_interval_ms),
        kinds: JobKind::ALL.to_vec(),
    };
    let agent = Agent::new(broker, config, Arc::new(keys));
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn(agent.run(shutdown));
    shutdown_signal()
        .await
        .wrap_err("cannot listen for shutdown signals")?;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    running.await.wrap_err("agent task")??;
    Ok(())
}
