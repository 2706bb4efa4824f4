//! A job's identity on the wire: its id, kind and status.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha3::{Digest, Keccak256};

use crate::hex;

/// A job's id: `keccak256(kind || input)`, so the same job enqueued twice is the same job.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub [u8; 32]);

impl JobId {
    /// The id of a job of `kind` over `input`.
    pub fn compute(kind: JobKind, input: &[u8]) -> Self {
        let mut hasher = Keccak256::new();
        hasher.update(kind.as_str().as_bytes());
        hasher.update(input);
        Self(hasher.finalize().into())
    }

    /// Parses `0x` and 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        hex::decode_word(text).map(Self)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({self})")
    }
}

impl Serialize for JobId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for JobId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What a job proves. Only block proofs for now; the epoch proof will be another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// One block: the input is a `BlockWitness`, the result a [`crate::BlockProofResult`].
    Block,
}

impl JobKind {
    /// Every kind, for agents that take them all.
    pub const ALL: [JobKind; 1] = [JobKind::Block];

    /// The kind's name on the wire (and in the job id).
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Block => "block",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job is in its life: `queued` → `proving` → `proven`, back to `queued` when an
/// attempt fails, `failed` once the attempts are used up. `proven` and `failed` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for an agent.
    Queued,
    /// Leased to an agent.
    Proving,
    /// Done: the result is stored and never replaced.
    Proven,
    /// Every attempt failed.
    Failed,
}

impl JobStatus {
    /// Every status, in life order (for metrics).
    pub const ALL: [JobStatus; 4] = [
        JobStatus::Queued,
        JobStatus::Proving,
        JobStatus::Proven,
        JobStatus::Failed,
    ];

    /// The status's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Proving => "proving",
            JobStatus::Proven => "proven",
            JobStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_keccak_of_kind_and_input() {
        let id = JobId::compute(JobKind::Block, &[1, 2]);
        let expected: [u8; 32] = Keccak256::digest(b"block\x01\x02").into();
        assert_eq!(id.0, expected);
        assert_ne!(id, JobId::compute(JobKind::Block, &[1, 2, 3]));
        assert_eq!(JobId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(
            serde_json::to_value(id).unwrap(),
            serde_json::Value::String(id.to_string())
        );
        assert!(JobId::parse("0x1234").is_err());
    }

    #[test]
    fn kinds_and_statuses_use_their_wire_names() {
        assert_eq!(serde_json::to_string(&JobKind::Block).unwrap(), "\"block\"");
        for status in JobStatus::ALL {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
    }
}
