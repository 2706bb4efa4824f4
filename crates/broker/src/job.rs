//! What the broker stores about a job besides its input: status, lease and outcome.

use fernet_broker_api::{JobId, JobKind, JobStatus, JobView};
use serde::{Deserialize, Serialize};

/// An agent's claim on a job, in milliseconds since the UNIX epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// Who holds it.
    pub agent_id: String,
    /// When the agent took the job (the start of the proving time).
    pub taken_ms: u64,
    /// When it runs out unless a heartbeat extends it.
    pub deadline_ms: u64,
}

/// Everything the broker keeps about a job but its input (stored apart, it can be large).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    /// `keccak256(kind || input)`.
    pub id: JobId,
    /// What it proves.
    pub kind: JobKind,
    /// The epoch it belongs to: lower epochs are taken first.
    pub epoch: u64,
    /// Creation order, the tie-break within an epoch (older first).
    pub seq: u64,
    /// Where it is.
    pub status: JobStatus,
    /// Times it was handed to an agent in its current generation (a rejected result gives the
    /// attempt back).
    pub attempts: u32,
    /// Generations of attempts before the current one ([`crate::Broker::retry`]).
    #[serde(default)]
    pub generation: u32,
    /// The current lease, while `proving`.
    pub lease: Option<Lease>,
    /// The latest lease, kept after it ends (a late completion by its agent is accepted while
    /// the job is queued).
    pub last_lease: Option<Lease>,
    /// The result, once `proven`.
    pub result: Option<serde_json::Value>,
    /// Why the latest attempt failed, if one did.
    pub error: Option<String>,
    /// When it was first enqueued.
    pub created_ms: u64,
    /// When it became `proven` or `failed` (retention counts from here); `None` while it is
    /// not finished.
    #[serde(default)]
    pub finished_ms: Option<u64>,
}

impl JobRecord {
    /// What `broker_getJob` answers about the job.
    pub fn view(&self) -> JobView {
        JobView {
            id: self.id,
            kind: self.kind,
            epoch: self.epoch,
            status: self.status,
            attempts: self.attempts,
            generation: self.generation,
            result: self.result.clone(),
            error: self.error.clone(),
        }
    }
}
