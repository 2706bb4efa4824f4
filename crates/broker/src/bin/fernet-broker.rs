//! `fernet-broker`: the durable proving job queue (JSON-RPC `broker_*`, `/metrics`, `/health`).

use std::{path::PathBuf, time::Duration};

use clap::Parser;
use eyre::WrapErr;
use fernet_broker::{shutdown_signal, BrokerConfig, BrokerServer, JobPolicy};

/// The proving broker: stores proving jobs in a redb file, leases them to agents, retries
/// them when an agent fails or goes silent, and keeps every result. Jobs survive restarts and
/// `kill -9`.
#[derive(Debug, Parser)]
#[command(name = "fernet-broker", version)]
struct Args {
    /// Interface to listen on.
    #[arg(long, env = "PROVER_BROKER_LISTEN_HOST", default_value = "127.0.0.1")]
    host: String,
    /// JSON-RPC port (0 picks a free one; the log says which).
    #[arg(long, env = "PROVER_BROKER_PORT", default_value_t = 8090)]
    port: u16,
    /// Directory of the job store (`broker.redb`), created if missing.
    #[arg(long, env = "DATA_DIRECTORY", default_value = ".fernet/broker")]
    data_dir: PathBuf,
    /// Lease length: a job without a heartbeat for this long goes back to the queue.
    #[arg(long, env = "PROVER_BROKER_JOB_TIMEOUT_MS", default_value_t = 60_000)]
    job_timeout_ms: u64,
    /// Attempts (takes) before a job is marked failed.
    #[arg(long, env = "PROVER_BROKER_JOB_MAX_RETRIES", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_retries: u32,
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    fernet_primitives::logging::init()?;
    let config = BrokerConfig {
        host: args.host,
        port: args.port,
        data_dir: args.data_dir,
        policy: JobPolicy {
            job_timeout: Duration::from_millis(args.job_timeout_ms),
            max_attempts: args.max_retries,
            ..JobPolicy::default()
        },
    };
    let server = BrokerServer::start(config).await?;
    shutdown_signal()
        .await
        .wrap_err("cannot listen for shutdown signals")?;
    tracing::info!("shutting down");
    server.shutdown().await?;
    Ok(())
}
