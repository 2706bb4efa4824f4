//! Errors of the devnet library.

use std::{path::PathBuf, process::ExitStatus, time::Duration};

/// Everything that can stop the devnet, each naming the value or the process at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A port the devnet needs is taken (another devnet or anvil running?).
    #[error("port {port} for {what} is already in use (another devnet or anvil?); choose another with its option")]
    PortInUse {
        /// The port.
        port: u16,
        /// What wanted it (`anvil`, `node`, `sequencer-2`, ...).
        what: String,
    },
    /// Two processes of the devnet were given the same port.
    #[error("port {port} is given to both {first} and {second}")]
    PortClash {
        /// The port.
        port: u16,
        /// The first process.
        first: String,
        /// The second process.
        second: String,
    },
    /// A binary the devnet spawns does not exist.
    #[error("{name} not found at {}: build it (cargo build --bins) or pass --bin-dir", path.display())]
    MissingBinary {
        /// The binary.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A file or directory of the devnet could not be read, written or created.
    #[error("cannot access {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A process could not be spawned.
    #[error("cannot spawn {name} ({})", program.display())]
    Spawn {
        /// The devnet's name for it.
        name: String,
        /// The program.
        program: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The broker's PostgreSQL database could not be created.
    #[error(
        "cannot create the broker's PostgreSQL database with {}: {stderr}",
        script.display()
    )]
    Database {
        /// `script/postgres.sh`.
        script: PathBuf,
        /// What it printed on stderr (it says how to install PostgreSQL if missing).
        stderr: String,
    },
    /// A process exited while the devnet expected it to run.
    #[error("{name} exited ({status}); last lines of {}:\n{tail}", log.display())]
    ChildExited {
        /// The devnet's name for it.
        name: String,
        /// How it ended.
        status: ExitStatus,
        /// Its log file.
        log: PathBuf,
        /// The last lines of its log.
        tail: String,
    },
    /// A service did not answer `GET /health` in time.
    #[error("{name} did not become healthy at {url} within {timeout:?}; see {}", log.display())]
    Unhealthy {
        /// The devnet's name for it.
        name: String,
        /// The URL polled.
        url: String,
        /// How long the devnet waited.
        timeout: Duration,
        /// Its log file.
        log: PathBuf,
    },
    /// No process of the devnet has this name.
    #[error("no devnet process is named {0:?}")]
    UnknownChild(String),
    /// A network namespace, veth pair or bridge could not be made (`--netns` needs root).
    #[error("`{command}` failed (network namespaces need root): {stderr}")]
    Netns {
        /// The `ip` command.
        command: String,
        /// Its error output.
        stderr: String,
    },
    /// A deploy override is not `KEY=VALUE` with a known key.
    #[error("invalid deploy override {0:?}: expected KEY=VALUE with KEY one of the deploy variables (SLOT_DURATION, ...)")]
    InvalidOverride(String),
    /// The options are inconsistent.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// Why.
        reason: String,
    },
    /// Deploying the suite failed.
    #[error("deploying the suite failed")]
    Deploy(#[source] Box<fernet_deploy::Error>),
    /// A contract call or transaction failed; its revert is decoded.
    #[error(transparent)]
    Contract(#[from] fernet_bindings::Error),
    /// An L1 RPC request failed.
    #[error("L1 RPC request failed: {context}")]
    Rpc {
        /// What was asked.
        context: String,
        /// The transport error.
        #[source]
        source: alloy::transports::TransportError,
    },
    /// A transaction was mined but reverted.
    #[error("{context} reverted on chain (transaction {tx_hash})")]
    TransactionReverted {
        /// The transaction.
        context: String,
        /// Its hash.
        tx_hash: alloy::primitives::TxHash,
    },
    /// A devnet account could not be derived from the mnemonic.
    #[error("cannot derive account {index} from the devnet mnemonic")]
    Mnemonic {
        /// The derivation index.
        index: u32,
        /// The signer error.
        #[source]
        source: alloy::signers::local::LocalSignerError,
    },
    /// The circuit keys could not be generated or loaded.
    #[error("cannot generate or load the circuit keys in {}", dir.display())]
    Keys {
        /// The key cache.
        dir: PathBuf,
        /// The circuit error.
        #[source]
        source: fernet_circuits::Error,
    },
    /// An HTTP request to a service failed.
    #[error("request to {url} failed")]
    Http {
        /// The URL.
        url: String,
        /// The HTTP error.
        #[source]
        source: reqwest::Error,
    },
    /// A condition waited for did not hold in time.
    #[error("timed out after {timeout:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        timeout: Duration,
    },
    /// A check over a run's L1 history failed: L1 did not do what the protocol rules prescribe.
    #[error("check failed: {0}")]
    Check(String),
    /// A background task failed to run to completion.
    #[error("task {0} panicked or was cancelled")]
    Task(&'static str),
}

impl From<fernet_deploy::Error> for Error {
    fn from(error: fernet_deploy::Error) -> Self {
        Self::Deploy(Box::new(error))
    }
}

/// Result of the devnet library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps a transport error into [`Error::Rpc`] naming the request.
pub(crate) fn rpc(
    context: impl Into<String>,
) -> impl FnOnce(alloy::transports::TransportError) -> Error {
    let context = context.into();
    move |source| Error::Rpc { context, source }
}
