//! The proving broker and the prover agent of the Fernet rollup.
//!
//! The prover node's orchestrator enqueues one job per block proof; agents take them, prove
//! them and deliver the results; the orchestrator polls for them. The broker ([`Broker`],
//! served by [`BrokerServer`]) keeps every job in a store ([`StoreConfig`]): a redb file by
//! default, or a PostgreSQL database that several broker replicas share. It commits each state
//! change before it answers, so a `kill -9` loses no job and no result. Its rules (idempotent
//! enqueue, lowest epoch first, leases with heartbeats, retries, a result is never replaced,
//! retention) are in [`broker`]'s docs; the JSON-RPC methods in `docs/services.md` and `fernet_broker_api`, which
//! also holds the typed client the orchestrators and agents use.
//!
//! - [`rpc`]: the jsonrpsee server of the `broker_*` methods, behind a bearer token.
//! - Every delivered proof is verified natively against the block circuit's verifying key
//!   ([`VerifyingKeys`]) before its job is marked proven.
//! - [`Agent`]: `concurrency` workers proving `block` jobs with the Groth16 block circuit of
//!   `fernet-circuits` ([`BlockKeys`] loads the keys once per state configuration).
//! - [`block_proof_result`]: the result of a `block` job, the EVM encoding L1 verifies.

mod agent;
mod block_job;
pub mod broker;
mod error;
mod job;
mod keys;
mod metrics;
pub mod rpc;
mod server;
mod signal;
mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use agent::{default_agent_id, prove_block_job, Agent, AgentConfig};
pub use block_job::block_proof_result;
pub use broker::{Broker, Enqueued, JobPolicy, TakenJob, DEFAULT_RETENTION};
pub use error::{Error, Result};
pub use job::{JobRecord, Lease};
pub use keys::{deployed_verifier, BlockKeys, DeployedVerifiers, VerifyingKeys};
pub use rpc::router;
pub use server::{BrokerConfig, BrokerServer};
pub use signal::shutdown_signal;
pub use store::StoreConfig;
