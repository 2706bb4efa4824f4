//! The proving broker's interface, for everyone who talks to a broker without running one:
//! the `broker_*` JSON-RPC methods as a jsonrpsee trait ([`rpc::BrokerApi`]), their answers
//! ([`api`]), the job identity ([`JobId`], [`JobKind`], [`JobStatus`]), the result of a block
//! job ([`BlockProofResult`]) and the typed client [`BrokerClient`] with its
//! [`ClientError`], which sends the broker's bearer token ([`AUTH_TOKEN_ENV`]) and fails over
//! between the broker's replicas. No proof system: the sequencer and the prover node link this
//! crate, the broker and the agent (`fernet-broker`) link the circuits.

pub mod api;
mod client;
mod error;
pub mod hex;
mod job;
mod result;
pub mod rpc;

pub use api::{
    AssignedJob, EnqueueJobResult, HeartbeatResult, JobView, AUTH_TOKEN_ENV, CANCELLED,
    MAX_AGENT_ID_CHARS,
};
pub use client::BrokerClient;
pub use error::ClientError;
pub use job::{JobId, JobKind, JobStatus};
pub use result::BlockProofResult;
