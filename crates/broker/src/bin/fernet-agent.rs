//! `fernet-agent`: proves the broker's jobs.

use std::{sync::Arc, time::Duration};

use clap::Parser;
use eyre::WrapErr;
use fernet_broker::{default_agent_id, shutdown_signal, Agent, AgentConfig, BlockKeys};
use fernet_broker_api::{BrokerClient, JobKind};
use tokio::sync::watch;

/// A prover agent: takes block proving jobs from the broker, proves them with the block
/// circuit's (INSECURE devnet) keys from the key cache (`FERNET_KEY_CACHE`, default
/// `target/fernet-keys`), checks each proof and delivers it. Ctrl-C or SIGTERM reports the jobs
/// in flight as failed so the broker hands them to another agent.
#[derive(Debug, Parser)]
#[command(name = "fernet-agent", version)]
struct Args {
    /// The broker's URL.
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
    let config = AgentConfig {
        agent_id: args.agent_id.unwrap_or_else(default_agent_id),
        concurrency: usize::from(args.concurrency),
        poll_interval: Duration::from_millis(args.poll_interval_ms),
        kinds: JobKind::ALL.to_vec(),
    };
    let agent = Agent::new(
        BrokerClient::new(args.broker),
        config,
        Arc::new(BlockKeys::from_default_cache()),
    );
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
