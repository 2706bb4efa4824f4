//! [`BrokerClient`]: typed calls of the `broker_*` JSON-RPC methods, a thin wrapper over the
//! jsonrpsee client generated from [`BrokerApi`](crate::rpc::BrokerApiClient).

use std::{future::Future, sync::Arc, time::Duration};

use jsonrpsee::{
    core::ClientError as JsonRpcError,
    http_client::{
        transport::Error as TransportError, HeaderMap, HeaderValue, HttpClient, HttpClientBuilder,
    },
};
use serde_json::Value;

use crate::{
    api::{self, AssignedJob, EnqueueJobResult, HeartbeatResult, JobView, AUTH_TOKEN_ENV},
    error::ClientError as Error,
    hex,
    job::{JobId, JobKind, JobStatus},
    rpc::{BrokerApiClient, Field},
};

type Result<T, E = Error> = std::result::Result<T, E>;

/// Time allowed for one request (a large input takes a while to upload and store).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// HTTP status of a refused bearer token.
const UNAUTHORIZED_STATUS: u16 = 401;

/// A client of one broker, sending its bearer token with every call. Cheap to clone (the
/// connection pool is shared).
#[derive(Debug, Clone)]
pub struct BrokerClient {
    url: String,
    client: std::result::Result<HttpClient, Arc<JsonRpcError>>,
}

impl BrokerClient {
    /// A client of the broker at `url` (`http://host:port`) that authenticates with `token`
    /// (the broker's `BROKER_AUTH_TOKEN`).
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> Self {
        let url = url.into();
        let client = bearer_headers(&token.into())
            .and_then(|headers| {
                HttpClientBuilder::default()
                    .request_timeout(REQUEST_TIMEOUT)
                    .max_request_size(u32::MAX)
                    .max_response_size(u32::MAX)
                    .set_headers(headers)
                    .build(&url)
            })
            .map_err(Arc::new);
        Self { url, client }
    }

    /// A client of the broker at `url` with the token of `BROKER_AUTH_TOKEN`
    /// ([`Error::MissingAuthToken`] when it is unset or empty).
    pub fn from_env(url: impl Into<String>) -> Result<Self> {
        let url = url.into();
        match std::env::var(AUTH_TOKEN_ENV) {
            Ok(token) if !token.is_empty() => Ok(Self::new(url, token)),
            _ => Err(Error::MissingAuthToken { url }),
        }
    }

    /// The broker's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `call` on the generated client and types its error.
    async fn call<'a, T, F>(
        &'a self,
        method: &'static str,
        call: impl FnOnce(&'a HttpClient) -> F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, JsonRpcError>> + 'a,
    {
        let client = self.client.as_ref().map_err(|source| Error::ClientUrl {
            url: self.url.clone(),
            source: Arc::clone(source),
        })?;
        call(client).await.map_err(|error| match error {
            JsonRpcError::Call(source) => Error::Rpc { method, source },
            JsonRpcError::Transport(source)
                if matches!(
                    source.downcast_ref::<TransportError>(),
                    Some(TransportError::Rejected {
                        status_code: UNAUTHORIZED_STATUS
                    })
                ) =>
            {
                Error::Unauthorized {
                    method,
                    url: self.url.clone(),
                }
            }
            source => Error::Http {
                method,
                url: self.url.clone(),
                source: Box::new(source),
            },
        })
    }

    /// Enqueues a job; enqueueing a known job returns its id and current status.
    pub async fn enqueue_job(
        &self,
        kind: JobKind,
        epoch: u64,
        input: &[u8],
    ) -> Result<EnqueueJobResult> {
        let input = hex::encode(input);
        self.call(api::ENQUEUE_JOB, |rpc| {
            rpc.enqueue_job(kind.into(), epoch.into(), input.into())
        })
        .await
    }

    /// The job `id`, `None` if the broker does not know it.
    pub async fn get_job(&self, id: JobId) -> Result<Option<JobView>> {
        self.call(api::GET_JOB, |rpc| rpc.get_job(id.into())).await
    }

    /// Leases the next job of `kinds` (all kinds if `None`) to `agent_id`.
    pub async fn take_job(
        &self,
        agent_id: &str,
        kinds: Option<&[JobKind]>,
    ) -> Result<Option<AssignedJob>> {
        let kinds = kinds
            .map(|kinds| Field::from(kinds.to_vec()))
            .unwrap_or_default();
        self.call(api::TAKE_JOB, |rpc| {
            rpc.take_job(agent_id.to_owned().into(), kinds)
        })
        .await
    }

    /// Extends `agent_id`'s lease on job `id`; an [`Error::Rpc`] if the lease was lost.
    pub async fn heartbeat(&self, agent_id: &str, id: JobId) -> Result<HeartbeatResult> {
        self.call(api::HEARTBEAT, |rpc| {
            rpc.heartbeat(agent_id.to_owned().into(), id.into())
        })
        .await
    }

    /// Delivers the result of job `id`.
    pub async fn complete_job(&self, agent_id: &str, id: JobId, result: Value) -> Result<()> {
        self.call(api::COMPLETE_JOB, |rpc| {
            rpc.complete_job(agent_id.to_owned().into(), id.into(), result.into())
        })
        .await
        .map(drop)
    }

    /// Reports a failed attempt at job `id`.
    pub async fn fail_job(&self, agent_id: &str, id: JobId, error: &str) -> Result<()> {
        self.call(api::FAIL_JOB, |rpc| {
            rpc.fail_job(
                agent_id.to_owned().into(),
                id.into(),
                error.to_owned().into(),
            )
        })
        .await
        .map(drop)
    }

    /// Queues the `failed` job `id` again with a new generation of attempts (any other job is
    /// left as it is); returns the job.
    pub async fn retry_job(&self, id: JobId) -> Result<JobView> {
        self.call(api::RETRY_JOB, |rpc| rpc.retry_job(id.into()))
            .await
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
}

/// The `Authorization: Bearer <token>` header (marked sensitive: never logged).
fn bearer_headers(token: &str) -> std::result::Result<HeaderMap, JsonRpcError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        JsonRpcError::Custom("the broker auth token cannot be sent in an HTTP header".into())
    })?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert("authorization", value);
    Ok(headers)
}
