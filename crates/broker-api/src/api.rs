//! The `broker_*` JSON-RPC methods' names and answers (`docs/services.md`), shared by the
//! server and [`crate::BrokerClient`]; their by-name parameters are the arguments of
//! [`crate::rpc::BrokerApi`]. Field names are camelCase on the wire; byte strings are `0x` hex.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    hex,
    job::{JobId, JobKind, JobStatus},
    result::BlockProofResult,
    ClientError,
};

/// `broker_enqueueJob`: store a job (idempotent).
pub const ENQUEUE_JOB: &str = "broker_enqueueJob";
/// `broker_getJob`: a job's status and outcome.
pub const GET_JOB: &str = "broker_getJob";
/// `broker_takeJob`: lease the next job to an agent.
pub const TAKE_JOB: &str = "broker_takeJob";
/// `broker_heartbeat`: extend a lease.
pub const HEARTBEAT: &str = "broker_heartbeat";
/// `broker_completeJob`: deliver a result.
pub const COMPLETE_JOB: &str = "broker_completeJob";
/// `broker_failJob`: report a failed attempt.
pub const FAIL_JOB: &str = "broker_failJob";
/// `broker_retryJob`: give a failed job a new generation of attempts.
pub const RETRY_JOB: &str = "broker_retryJob";
/// `broker_cancelJob`: withdraw a queued job its enqueuer no longer needs.
pub const CANCEL_JOB: &str = "broker_cancelJob";
/// The error a job withdrawn by `broker_cancelJob` is `failed` with.
pub const CANCELLED: &str = "cancelled by its enqueuer";

/// The environment variable holding the token that the broker requires and its clients send
/// (`Authorization: Bearer <token>`).
pub const AUTH_TOKEN_ENV: &str = "BROKER_AUTH_TOKEN";

/// Answer of `broker_enqueueJob`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnqueueJobResult {
    /// `keccak256(kind || input)`.
    pub id: JobId,
    /// The job's status (of the first enqueue, if it was known).
    pub status: JobStatus,
}

/// Answer of `broker_getJob` (or `null` for an unknown id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    /// The job.
    pub id: JobId,
    /// What it proves.
    pub kind: JobKind,
    /// Its epoch.
    pub epoch: u64,
    /// Where it is.
    pub status: JobStatus,
    /// Times it was handed to an agent in its current generation (a rejected result gives the
    /// attempt back).
    pub attempts: u32,
    /// Generations of attempts it had before the current one (`broker_retryJob` starts a new
    /// one for a failed job).
    #[serde(default)]
    pub generation: u32,
    /// The result, once `proven`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Why the latest attempt failed, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl JobView {
    /// The result of a proven `block` job, decoded and checked (`None` while not proven).
    pub fn block_result(&self) -> Result<Option<BlockProofResult>, ClientError> {
        let decode = |result| {
            BlockProofResult::from_json(result).map_err(|reason| ClientError::InvalidResult {
                id: self.id,
                reason,
            })
        };
        self.result.as_ref().map(decode).transpose()
    }
}

/// Longest agent id accepted.
pub const MAX_AGENT_ID_CHARS: usize = 128;

/// Answer of `broker_takeJob` (or `null` when nothing is queued): the job, leased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedJob {
    /// The job.
    pub id: JobId,
    /// What to prove.
    pub kind: JobKind,
    /// Its epoch.
    pub epoch: u64,
    /// Its input.
    #[serde(with = "hex::bytes")]
    pub input: Vec<u8>,
    /// The lease length: heartbeat well within it.
    pub lease_ms: u64,
}

/// Answer of `broker_heartbeat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatResult {
    /// The lease now runs for this long.
    pub lease_ms: u64,
}
