//! The error type of the broker crate.

use std::{net::SocketAddr, path::PathBuf};

use fernet_primitives::CircuitKeys;
use fernet_state::StateConfig;

use fernet_broker_api::{JobId, JobStatus};

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the broker, its client and the agent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data directory could not be created.
    #[error("cannot create data directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The job store file could not be opened (or is held by another broker).
    #[error("cannot open job store {}: {source}", path.display())]
    OpenStore {
        /// The redb file.
        path: PathBuf,
        /// The underlying error (boxed: it is large).
        source: Box<redb::DatabaseError>,
    },
    /// A read or write of the job store failed (boxed: redb's error is large).
    #[error("job store: {0}")]
    Store(Box<redb::Error>),
    /// A statement of the PostgreSQL job store failed (the database is unreachable, or refused
    /// it).
    #[error("job store (PostgreSQL) could not {action}: {source}")]
    Postgres {
        /// What the store was doing.
        action: &'static str,
        /// The underlying error.
        source: sqlx::Error,
    },
    /// The runtime that drives the PostgreSQL store's connections could not start.
    #[error("cannot start the PostgreSQL store's runtime: {0}")]
    StoreRuntime(#[source] std::io::Error),
    /// A stored job record does not decode: the store is corrupt or from another version.
    #[error("job {id} has a corrupt record: {source}")]
    CorruptRecord {
        /// The job.
        id: JobId,
        /// The decoding error.
        source: serde_json::Error,
    },
    /// No job has this id.
    #[error("no job {0}")]
    JobNotFound(JobId),
    /// The agent does not hold the job's lease (any more).
    #[error("agent {agent_id:?} holds no lease on job {id}: {reason}")]
    LeaseLost {
        /// The job.
        id: JobId,
        /// The agent that asked.
        agent_id: String,
        /// Why: expired, held by another agent, or the job's status.
        reason: String,
    },
    /// A job is proven with another result; results are never replaced.
    #[error("job {0} is already proven with another result")]
    AlreadyProven(JobId),
    /// A job is in a final status that the request cannot change.
    #[error("job {id} is {status}")]
    JobFinal {
        /// The job.
        id: JobId,
        /// Its status (`proven` or `failed`).
        status: JobStatus,
    },
    /// A job's input is larger than the broker accepts.
    #[error("input of {len} bytes exceeds the {max}-byte limit")]
    InputTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A job's input does not decode as its kind's input.
    #[error("input is not a valid {kind} job input: {reason}")]
    InvalidInput {
        /// The job's kind.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A completion's result does not have the shape of its kind's result, or does not prove
    /// the job's statement.
    #[error("result for job {id} rejected: {reason}")]
    InvalidResult {
        /// The job.
        id: JobId,
        /// What is wrong.
        reason: String,
    },
    /// A delivered proof has the job's public inputs but does not verify against the block
    /// circuit's verifying key: forged, or made with other keys.
    #[error(
        "result for job {id} rejected: the proof does not verify against the block circuit's \
         verifying key {vk_hash}"
    )]
    InvalidProof {
        /// The job.
        id: JobId,
        /// `verificationKeyHash` of the key it was checked against.
        vk_hash: String,
    },
    /// The keys of the agent (or broker) are not the deployed verifier's.
    #[error(
        "the verifying key of the {txs}-tx block circuit for {config:?} hashes to {actual}, but \
         the deployment's {verifier} hash is {expected}: these keys cannot make proofs L1 accepts"
    )]
    VerifyingKeyMismatch {
        /// The configuration whose keys were checked.
        config: StateConfig,
        /// The tx slots per proof of the circuit (the block's, or a chunk's).
        txs: usize,
        /// Which of the deployment's hashes: `verificationKeyHash` or
        /// `chunkVerificationKeyHash`.
        verifier: &'static str,
        /// The deployment's `verificationKeyHash`.
        expected: String,
        /// The hash of the local verifying key(s).
        actual: String,
    },
    /// The keys come from another setup than the deployment's (another ceremony, or the
    /// insecure devnet setup against a ceremony's verifiers, or the reverse).
    #[error(
        "the deployment's verifiers check proofs of {expected}, but these are {actual}: set \
         FERNET_CEREMONY_KEYS to the deployment's ceremony export (unset for the insecure devnet \
         keys)"
    )]
    KeyOriginMismatch {
        /// The origin the deployment records.
        expected: CircuitKeys,
        /// The origin of the local keys.
        actual: CircuitKeys,
    },
    /// Where the deployed verifier's key hash comes from is unusable.
    #[error("{name}: {reason}")]
    VerifierSource {
        /// The setting (`DEPLOYMENT_FILE`, `PROVER_VERIFICATION_KEY_HASH`).
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The broker's bearer token is missing or unusable.
    #[error("BROKER_AUTH_TOKEN: {0}")]
    AuthToken(#[from] fernet_rpc::AuthTokenError),
    /// The broker could not listen on its address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The HTTP server stopped with an error.
    #[error("HTTP server on {addr} failed: {source}")]
    Serve {
        /// Its address.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A call of another broker failed (the agent's calls).
    #[error(transparent)]
    Client(#[from] fernet_broker_api::ClientError),
    /// A job's witness is for a configuration (or a chunk size) this agent has no keys for.
    #[error(
        "no keys for state configuration {config:?} with {txs} tx slots per proof: the agent \
         accepts only its configured configurations, whole or in chunks of their chunk size"
    )]
    UnsupportedConfig {
        /// The witness's configuration.
        config: StateConfig,
        /// The witness's tx slots per proof.
        txs: usize,
    },
    /// The circuit crate failed (keys, witness shape, proving).
    #[error("proving failed: {0}")]
    Circuits(#[from] fernet_circuits::Error),
    /// A freshly made proof does not verify: the keys or the witness are wrong.
    #[error("the proof of job {0} does not verify against the verifying key")]
    ProofDoesNotVerify(JobId),
    /// A background task panicked or was cancelled.
    #[error("task {task} ended abnormally: {reason}")]
    Task {
        /// Which task.
        task: &'static str,
        /// The panic or cancellation.
        reason: String,
    },
}

/// The redb error types, each a step of a transaction, all reported as [`Error::Store`].
macro_rules! store_error {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Error {
            fn from(error: $ty) -> Self {
                Error::Store(Box::new(error.into()))
            }
        }
    )*};
}

store_error!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
