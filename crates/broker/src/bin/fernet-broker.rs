//! `fernet-broker`: the durable proving job queue (JSON-RPC `broker_*`, `/metrics`, `/health`).

use std::{path::PathBuf, sync::Arc, time::Duration};

use clap::Parser;
use eyre::WrapErr;
use fernet_broker::{
    deployed_verifier, shutdown_signal, BlockKeys, BrokerConfig, BrokerServer, JobPolicy,
    DEFAULT_RETENTION,
};
use fernet_broker_api::AUTH_TOKEN_ENV;

/// The proving broker: stores proving jobs in a redb file (or in PostgreSQL, shared by several
/// brokers, with BROKER_DATABASE_URL), leases them to agents, retries them when an agent fails
/// or goes silent, verifies every delivered proof natively before it keeps it, and keeps every
/// result until the retention period is over. Proofs are checked with the verifying keys of a
/// ceremony's export in `FERNET_CEREMONY_KEYS` (unset: the INSECURE devnet keys of the key
/// cache `FERNET_KEY_CACHE`). Jobs survive restarts and `kill -9`. Every JSON-RPC call
/// must carry `Authorization: Bearer $BROKER_AUTH_TOKEN` (`/health` and `/metrics` are open).
#[derive(Debug, Parser)]
#[command(name = "fernet-broker", version)]
struct Args {
    /// Interface to listen on.
    #[arg(long, env = "PROVER_BROKER_LISTEN_HOST", default_value = "127.0.0.1")]
    host: String,
    /// JSON-RPC port (0 picks a free one; the log says which).
    #[arg(long, env = "PROVER_BROKER_PORT", default_value_t = 8090)]
    port: u16,
    /// Directory of the embedded job store (`broker.redb`), created if missing; unused with a
    /// database URL.
    #[arg(long, env = "DATA_DIRECTORY", default_value = ".fernet/broker")]
    data_dir: PathBuf,
    /// Keep the jobs in this PostgreSQL database instead
    /// (`postgres://user:password@host:port/database`); its tables are created if missing.
    /// Brokers on one database serve the same agents.
    #[arg(long, env = "BROKER_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Seconds a proven or failed job (and its input) is kept after it finished.
    #[arg(long, env = "PROVER_BROKER_RETENTION_SECS", default_value_t = DEFAULT_RETENTION.as_secs())]
    retention_secs: u64,
    /// Lease length: a job without a heartbeat for this long goes back to the queue.
    #[arg(long, env = "PROVER_BROKER_JOB_TIMEOUT_MS", default_value_t = 60_000)]
    job_timeout_ms: u64,
    /// Attempts (takes) before a job is marked failed.
    #[arg(long, env = "PROVER_BROKER_JOB_MAX_RETRIES", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_retries: u32,
    /// The bearer token agents, prover nodes and sequencers must send (required; at least 16
    /// visible ASCII characters, e.g. `openssl rand -hex 32`).
    #[arg(long, env = AUTH_TOKEN_ENV, hide_env_values = true)]
    auth_token: Option<String>,
    /// The deployment record: when given (or PROVER_VERIFICATION_KEY_HASH), the broker checks at
    /// start-up that the keys it verifies proofs with are the deployed verifier's.
    #[arg(long, env = "DEPLOYMENT_FILE")]
    deployment_file: Option<PathBuf>,
    /// The deployed verifier's `verificationKeyHash` (0x and 64 hex digits), when there is no
    /// DEPLOYMENT_FILE.
    #[arg(long, env = "PROVER_VERIFICATION_KEY_HASH")]
    verification_key_hash: Option<String>,
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    fernet_primitives::logging::init()?;
    let auth_token = args
        .auth_token
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            eyre::eyre!(
                "{AUTH_TOKEN_ENV} (--auth-token) is required: the broker does not serve \
             unauthenticated callers"
            )
        })?;
    let keys = BlockKeys::from_env()?;
    // With the deployed verifier's hash, refuse keys that would reject every honest proof.
    let keys = match deployed_verifier(
        args.deployment_file.as_deref(),
        args.verification_key_hash.as_deref(),
    )? {
        Some(deployed) => tokio::task::spawn_blocking(move || keys.for_verifier(deployed))
            .await
            .wrap_err("key check task")??,
        None => {
            tracing::warn!(
                "neither DEPLOYMENT_FILE nor PROVER_VERIFICATION_KEY_HASH: proofs are verified \
                 with the local keys, unchecked against the deployed verifier"
            );
            keys
        }
    };
    let config = BrokerConfig {
        host: args.host,
        port: args.port,
        data_dir: args.data_dir,
        database_url: args.database_url.filter(|url| !url.is_empty()),
        policy: JobPolicy {
            job_timeout: Duration::from_millis(args.job_timeout_ms),
            max_attempts: args.max_retries,
            retention: Duration::from_secs(args.retention_secs),
            ..JobPolicy::default()
        },
        auth_token,
        keys: Arc::new(keys),
    };
    let server = BrokerServer::start(config).await?;
    shutdown_signal()
        .await
        .wrap_err("cannot listen for shutdown signals")?;
    tracing::info!("shutting down");
    server.shutdown().await?;
    Ok(())
}
