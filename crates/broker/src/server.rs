//! The broker service: the store, the HTTP server (jsonrpsee's JSON-RPC service behind a
//! bearer token, `/health` and `/metrics` on one port), the lease-expiry task and the retention
//! task, started and stopped together.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use fernet_broker_api::BrokerClient;
use fernet_rpc::AuthToken;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    broker::{Broker, JobPolicy},
    error::{Error, Result},
    keys::{BlockKeys, VerifyingKeys},
    rpc::router,
    store::StoreConfig,
};

/// Where and how the broker runs.
#[derive(Clone)]
pub struct BrokerConfig {
    /// Interface to listen on (default `127.0.0.1`).
    pub host: String,
    /// Port (`PROVER_BROKER_PORT`, default 8090; 0 picks a free one).
    pub port: u16,
    /// Directory of the embedded job store (`DATA_DIRECTORY`, default `.fernet/broker`);
    /// unused with a `database_url`.
    pub data_dir: PathBuf,
    /// The PostgreSQL database that keeps the jobs instead (`BROKER_DATABASE_URL`, default
    /// none: the embedded store). Brokers on one database serve the same agents.
    pub database_url: Option<String>,
    /// Leases, retries and size limits.
    pub policy: JobPolicy,
    /// The bearer token every JSON-RPC call must carry (`BROKER_AUTH_TOKEN`, at least
    /// [`fernet_rpc::MIN_AUTH_TOKEN_CHARS`] characters; default: a random one, which
    /// [`BrokerServer::client`] uses).
    pub auth_token: String,
    /// The verifying keys delivered proofs are checked against (default: the key cache's,
    /// [`BlockKeys::from_default_cache`]).
    pub keys: Arc<dyn VerifyingKeys>,
}

impl std::fmt::Debug for BrokerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("store", &self.store())
            .field("policy", &self.policy)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8090,
            data_dir: PathBuf::from(".fernet/broker"),
            database_url: None,
            policy: JobPolicy::default(),
            auth_token: hex::encode(rand::random::<[u8; 32]>()),
            keys: Arc::new(BlockKeys::from_default_cache()),
        }
    }
}

impl BrokerConfig {
    /// The store the jobs live in: the database if a URL is given, else the data directory.
    pub fn store(&self) -> StoreConfig {
        match &self.database_url {
            Some(url) => StoreConfig::Postgres { url: url.clone() },
            None => StoreConfig::Embedded {
                data_dir: self.data_dir.clone(),
            },
        }
    }
}

/// A running broker.
pub struct BrokerServer {
    broker: Arc<Broker>,
    addr: SocketAddr,
    auth_token: String,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<Result<()>>,
    expiry: JoinHandle<()>,
    retention: JoinHandle<()>,
}

impl std::fmt::Debug for BrokerServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerServer")
            .field("broker", &self.broker)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl BrokerServer {
    /// Opens the store, listens and starts serving, expiring leases and deleting old jobs.
    pub async fn start(config: BrokerConfig) -> Result<Self> {
        let token = AuthToken::new(&config.auth_token)?;
        let store = config.store();
        let (policy, keys) = (config.policy, Arc::clone(&config.keys));
        // Opening blocks (a file lock, or connecting to the database).
        let broker = tokio::task::spawn_blocking(move || Broker::open(&store, policy, keys))
            .await
            .map_err(|error| Error::Task {
                task: "broker-open",
                reason: error.to_string(),
            })??;
        let broker = Arc::new(broker);
        let bind = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&bind)
            .await
            .map_err(|source| Error::Bind {
                addr: bind.clone(),
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr: bind, source })?;
        tracing::info!(
            store = %broker.store_location(),
            job_timeout_ms = config.policy.job_timeout_ms(),
            max_attempts = broker.policy().max_attempts,
            retention_secs = config.policy.retention.as_secs(),
            "broker listening on {addr}"
        );
        let (shutdown, stop) = watch::channel(false);
        let server = tokio::spawn(serve(
            listener,
            Arc::clone(&broker),
            token,
            addr,
            stop.clone(),
        ));
        // Every quarter of the job timeout, so a job of a dead agent is back in the queue soon
        // after its deadline even if no agent asks for work.
        let expiry = tokio::spawn(every(
            (policy.job_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1)),
            "lease expiry",
            Arc::clone(&broker),
            stop.clone(),
            |broker| broker.expire_leases().map(drop),
        ));
        let retention = tokio::spawn(every(
            (policy.retention / 4).clamp(Duration::from_millis(50), Duration::from_secs(60)),
            "retention",
            Arc::clone(&broker),
            stop,
            |broker| broker.purge_finished().map(drop),
        ));
        Ok(Self {
            broker,
            addr,
            auth_token: config.auth_token,
            shutdown,
            server,
            expiry,
            retention,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, `http://<address>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client of this broker, with its token.
    pub fn client(&self) -> BrokerClient {
        BrokerClient::new(self.url(), self.auth_token.clone())
    }

    /// The broker behind the server (its methods block: call them on a blocking thread, e.g.
    /// `tokio::task::spawn_blocking`; with the PostgreSQL store they panic inside async code).
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// Stops serving (requests in flight finish) and the expiry task.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.shutdown.send(true);
        let served = self.server.await.map_err(|error| Error::Task {
            task: "broker-http",
            reason: error.to_string(),
        })?;
        self.expiry.await.map_err(|error| Error::Task {
            task: "broker-lease-expiry",
            reason: error.to_string(),
        })?;
        self.retention.await.map_err(|error| Error::Task {
            task: "broker-retention",
            reason: error.to_string(),
        })?;
        tracing::info!(addr = %self.addr, "broker stopped");
        served
    }
}

/// The `broker-http` task.
async fn serve(
    listener: TcpListener,
    broker: Arc<Broker>,
    token: AuthToken,
    addr: SocketAddr,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let (stop_rpc, rpc_handle) = jsonrpsee::server::stop_channel();
    axum::serve(listener, router(broker, stop_rpc, token))
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stop| *stop).await;
            // In-flight requests finish; the JSON-RPC service takes no new calls.
            let _ = rpc_handle.stop();
        })
        .await
        .map_err(|source| Error::Serve { addr, source })
}

/// The `broker-lease-expiry` and `broker-retention` tasks: `work` on a blocking thread every
/// `period` until `stop`; a failure is logged and tried again next time.
async fn every(
    period: Duration,
    what: &'static str,
    broker: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
    work: fn(&Broker) -> Result<()>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let broker = Arc::clone(&broker);
        match tokio::task::spawn_blocking(move || work(&broker)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "{what} failed"),
            Err(error) => tracing::error!(%error, "{what} task panicked"),
        }
    }
}
