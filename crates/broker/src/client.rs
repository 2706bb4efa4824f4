//! [`BrokerClient`]: typed calls of the `broker_*` JSON-RPC methods over HTTP.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

use crate::{
    api::{
        self, AssignedJob, CompleteJobParams, EnqueueJobParams, EnqueueJobResult, FailJobParams,
        GetJobParams, HeartbeatParams, HeartbeatResult, JobView, TakeJobParams,
    },
    error::{Error, Result},
    job::{JobId, JobKind, JobStatus},
};

/// Time allowed for one request (a large input takes a while to upload and store).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one broker. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct BrokerClient {
    url: String,
    http: reqwest::Client,
    next_id: Arc<AtomicU64>,
}

impl BrokerClient {
    /// A client of the broker at `url` (`http://host:port`).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            http: reqwest::Client::new(),
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The broker's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Enqueues a job; enqueueing a known job returns its id and current status.
    pub async fn enqueue_job(
        &self,
        kind: JobKind,
        epoch: u64,
        input: &[u8],
    ) -> Result<EnqueueJobResult> {
        let params = EnqueueJobParams {
            kind,
            epoch,
            input: input.to_vec(),
        };
        self.call(api::ENQUEUE_JOB, params).await
    }

    /// The job `id`, `None` if the broker does not know it.
    pub async fn get_job(&self, id: JobId) -> Result<Option<JobView>> {
        self.call(api::GET_JOB, GetJobParams { id }).await
    }

    /// Leases the next job of `kinds` (all kinds if `None`) to `agent_id`.
    pub async fn take_job(
        &self,
        agent_id: &str,
        kinds: Option<&[JobKind]>,
    ) -> Result<Option<AssignedJob>> {
        let params = TakeJobParams {
            agent_id: agent_id.to_owned(),
            kinds: kinds.map(<[JobKind]>::to_vec),
        };
        self.call(api::TAKE_JOB, params).await
    }

    /// Extends `agent_id`'s lease on job `id`; an [`Error::Rpc`] if the lease was lost.
    pub async fn heartbeat(&self, agent_id: &str, id: JobId) -> Result<HeartbeatResult> {
        let params = HeartbeatParams {
            agent_id: agent_id.to_owned(),
            id,
        };
        self.call(api::HEARTBEAT, params).await
    }

    /// Delivers the result of job `id`.
    pub async fn complete_job(&self, agent_id: &str, id: JobId, result: Value) -> Result<()> {
        let params = CompleteJobParams {
            agent_id: agent_id.to_owned(),
            id,
            result,
        };
        self.call::<_, bool>(api::COMPLETE_JOB, params)
            .await
            .map(drop)
    }

    /// Reports a failed attempt at job `id`.
    pub async fn fail_job(&self, agent_id: &str, id: JobId, error: &str) -> Result<()> {
        let params = FailJobParams {
            agent_id: agent_id.to_owned(),
            id,
            error: error.to_owned(),
        };
        self.call::<_, bool>(api::FAIL_JOB, params).await.map(drop)
    }

    /// Polls job `id` every `poll` until it is `proven` or `failed` (transport errors are
    /// retried; an unknown id is an error).
    pub async fn wait_for_job(&self, id: JobId, poll: Duration) -> Result<JobView> {
        loop {
            match self.get_job(id).await {
                Ok(Some(job)) if matches!(job.status, JobStatus::Proven | JobStatus::Failed) => {
                    return Ok(job)
                }
                Ok(Some(_)) => {}
                Ok(None) => return Err(Error::JobNotFound(id)),
                Err(error @ Error::Http { .. }) => {
                    tracing::warn!(%error, "broker unreachable, retrying");
                }
                Err(error) => return Err(error),
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// One JSON-RPC call.
    async fn call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: P,
    ) -> Result<R> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let http_error = |source| Error::Http {
            method,
            url: self.url.clone(),
            source,
        };
        let response: Value = self
            .http
            .post(&self.url)
            .timeout(REQUEST_TIMEOUT)
            .json(&request)
            .send()
            .await
            .map_err(http_error)?
            .json()
            .await
            .map_err(http_error)?;
        let bad = |reason: String| Error::BadResponse { method, reason };
        if let Some(error) = response.get("error") {
            return Err(Error::Rpc {
                method,
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        let result = response
            .get("result")
            .ok_or_else(|| bad(format!("no result in {response}")))?;
        R::deserialize(result).map_err(|error| bad(format!("{error} in {result}")))
    }
}
