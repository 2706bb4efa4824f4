//! [`BrokerClient`]: typed calls of the `broker_*` JSON-RPC methods over one or more replicas of
//! the broker, a thin wrapper over the jsonrpsee client generated from
//! [`BrokerApi`](crate::rpc::BrokerApiClient).

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

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

/// Time allowed to open a connection: a replica whose host is gone is passed over after this,
/// not after the whole [`REQUEST_TIMEOUT`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// HTTP status of a refused bearer token.
const UNAUTHORIZED_STATUS: u16 = 401;

/// A client of a broker, one or more replicas on one database, that sends its bearer token with
/// every call. Cheap to clone: the clones share the connection pools and the replica in use, so
/// all the workers of an agent move to another replica together.
///
/// # Failover
///
/// A call goes to the replica in use. When it gets no answer ([`Error::Http`]: unreachable,
/// timed out, not JSON-RPC) it is sent at once to the next replica, and so on, each replica
/// tried at most once per call; the first that answers becomes the replica in use. An answer is
/// never failed over, even an error ([`Error::Rpc`], [`Error::Unauthorized`]): that replica
/// spoke for the database. When no replica answers, the last transport error is returned. With
/// one URL there is nothing to fail over to.
///
/// Sending a call again is safe, although a call whose answer was lost may have been carried
/// out, because every replica serves every job from the one database:
///
/// * `enqueueJob` is idempotent: the second send returns the job the first one stored.
/// * `getJob` only reads.
/// * `takeJob`: the lease carried by the lost answer is never heartbeated, so it expires and the
///   job is handed out again (the expiry spends one of its attempts); the second send leases
///   another job.
/// * `heartbeat` extends the lease once more; `completeJob` with the same result is answered
///   `Ok`; `failJob` is refused as a lost lease (`-32000`) once the first send went through
///   (unless the same agent id took the job again in between), as is a heartbeat once the lease
///   expired.
/// * `retryJob` leaves a job that is queued again as it is.
#[derive(Debug, Clone)]
pub struct BrokerClient {
    /// The replicas in the order given; the list itself when it has an empty item (every call
    /// then fails with [`Error::EmptyUrl`]).
    replicas: std::result::Result<Arc<[Replica]>, Arc<str>>,
    /// Index in `replicas` of the replica in use, shared by the clones.
    in_use: Arc<AtomicUsize>,
}

/// One replica of the broker: its URL and a client of it.
#[derive(Debug)]
struct Replica {
    url: String,
    client: std::result::Result<HttpClient, Arc<JsonRpcError>>,
}

impl BrokerClient {
    /// A client of the broker at `urls`, one URL (`http://host:port`) or several replicas
    /// separated by commas (`http://10.0.0.2:8090,http://10.0.0.3:8090`), that authenticates
    /// with `token` (the broker's `BROKER_AUTH_TOKEN`). A list with an empty item, or a URL no
    /// client can be built for, fails every call ([`BrokerClient::from_urls`] says so at once).
    pub fn new(urls: impl Into<String>, token: impl Into<String>) -> Self {
        let list = urls.into();
        let items: Vec<&str> = list.split(',').collect();
        let replicas = replicas(&items, &token.into()).ok_or_else(|| Arc::from(list.as_str()));
        Self {
            replicas,
            in_use: Arc::default(),
        }
    }

    /// A client of the replicas at `urls` (each trimmed), first in use first, that
    /// authenticates with `token`: [`Error::EmptyUrl`] when there is none or one is empty,
    /// [`Error::ClientUrl`] when no client can be built for one.
    pub fn from_urls<I>(urls: I, token: impl Into<String>) -> Result<Self>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let urls: Vec<String> = urls
            .into_iter()
            .map(|url| url.as_ref().to_owned())
            .collect();
        let replicas = replicas(&urls, &token.into()).ok_or_else(|| Error::EmptyUrl {
            urls: urls.join(","),
        })?;
        for replica in replicas.iter() {
            replica.client()?;
        }
        Ok(Self {
            replicas: Ok(replicas),
            in_use: Arc::default(),
        })
    }

    /// A client of the broker at `urls` (one URL or a comma-separated list of replicas) with the
    /// token of `BROKER_AUTH_TOKEN`: [`Error::MissingAuthToken`] when it is unset or empty, and
    /// the errors of [`BrokerClient::from_urls`].
    pub fn from_env(urls: impl Into<String>) -> Result<Self> {
        let list = urls.into();
        match std::env::var(AUTH_TOKEN_ENV) {
            Ok(token) if !token.is_empty() => Self::from_urls(list.split(','), token),
            _ => Err(Error::MissingAuthToken { url: list }),
        }
    }

    /// The URL of the replica in use.
    pub fn url(&self) -> &str {
        match &self.replicas {
            Ok(replicas) => &replicas[self.in_use.load(Ordering::Relaxed)].url,
            Err(list) => list,
        }
    }

    /// The URLs of every replica, in the order given.
    pub fn urls(&self) -> Vec<&str> {
        match &self.replicas {
            Ok(replicas) => replicas
                .iter()
                .map(|replica| replica.url.as_str())
                .collect(),
            Err(list) => vec![list],
        }
    }

    /// Runs `call` on the replica in use, failing over to the next ones while none answers
    /// (see [`BrokerClient`], "Failover").
    async fn call<'a, T, F>(
        &'a self,
        method: &'static str,
        call: impl Fn(&'a HttpClient) -> F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, JsonRpcError>> + 'a,
    {
        let replicas = self.replicas.as_ref().map_err(|list| Error::EmptyUrl {
            urls: list.to_string(),
        })?;
        let first = self.in_use.load(Ordering::Relaxed);
        let mut index = first;
        loop {
            let outcome = replicas[index].call(method, &call).await;
            let unanswered = matches!(outcome, Err(Error::Http { .. }));
            let next = (index + 1) % replicas.len();
            if unanswered && next != first {
                if let Err(error) = &outcome {
                    tracing::debug!(%error, next = replicas[next].url, "broker replica unanswered");
                }
                index = next;
                continue;
            }
            if !unanswered && index != first {
                self.switch(replicas, first, index);
            }
            return outcome;
        }
    }

    /// Makes replica `to` the one in use, unless a clone already moved away from `from`.
    fn switch(&self, replicas: &[Replica], from: usize, to: usize) {
        if self
            .in_use
            .compare_exchange(from, to, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            tracing::info!(
                from = replicas[from].url,
                to = replicas[to].url,
                "broker replica switched"
            );
        }
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
            rpc.enqueue_job(kind.into(), epoch.into(), input.clone().into())
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
        self.call(api::TAKE_JOB, |rpc| {
            let kinds = kinds
                .map(|kinds| Field::from(kinds.to_vec()))
                .unwrap_or_default();
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
            rpc.complete_job(agent_id.to_owned().into(), id.into(), result.clone().into())
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

    /// Withdraws the `queued` job `id` (it becomes `failed`, error `cancelled`); any other job
    /// is returned as it is, `None` for an unknown id.
    pub async fn cancel_job(&self, id: JobId) -> Result<Option<JobView>> {
        self.call(api::CANCEL_JOB, |rpc| rpc.cancel_job(id.into()))
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

impl Replica {
    /// A client of the replica at `url` sending `token`; an error is kept for its calls.
    fn new(url: &str, token: &str) -> Self {
        let client = bearer_headers(token)
            .and_then(|headers| {
                HttpClientBuilder::default()
                    .request_timeout(REQUEST_TIMEOUT)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .max_request_size(u32::MAX)
                    .max_response_size(u32::MAX)
                    .set_headers(headers)
                    .build(url)
            })
            .map_err(Arc::new);
        Self {
            url: url.to_owned(),
            client,
        }
    }

    /// Its client, or why there is none.
    fn client(&self) -> Result<&HttpClient> {
        self.client.as_ref().map_err(|source| Error::ClientUrl {
            url: self.url.clone(),
            source: Arc::clone(source),
        })
    }

    /// Runs `call` on its client and types the error.
    async fn call<'a, T, F>(
        &'a self,
        method: &'static str,
        call: &impl Fn(&'a HttpClient) -> F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, JsonRpcError>> + 'a,
    {
        call(self.client()?).await.map_err(|error| match error {
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
}

/// A replica of each of `urls` (trimmed) sending `token`; `None` when there is no URL or one is
/// empty.
fn replicas<S: AsRef<str>>(urls: &[S], token: &str) -> Option<Arc<[Replica]>> {
    let urls: Vec<&str> = urls.iter().map(|url| url.as_ref().trim()).collect();
    if urls.is_empty() || urls.iter().any(|url| url.is_empty()) {
        return None;
    }
    Some(urls.iter().map(|url| Replica::new(url, token)).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "test-token-0123456789";

    #[test]
    fn a_list_is_split_on_commas_and_trimmed() {
        let client = BrokerClient::new(" http://10.0.0.2:8090 ,http://10.0.0.3:8090\n", TOKEN);
        assert_eq!(
            client.urls(),
            ["http://10.0.0.2:8090", "http://10.0.0.3:8090"]
        );
        assert_eq!(client.url(), "http://10.0.0.2:8090", "the first is in use");
        let typed = BrokerClient::from_urls(["http://10.0.0.2:8090", " http://b:1 "], TOKEN);
        assert_eq!(
            typed.unwrap().urls(),
            ["http://10.0.0.2:8090", "http://b:1"]
        );
        let one = BrokerClient::new("http://127.0.0.1:8090", TOKEN);
        assert_eq!(one.urls(), ["http://127.0.0.1:8090"]);
    }

    #[tokio::test]
    async fn an_empty_item_is_a_typed_error() {
        for list in [
            "",
            " ",
            "http://a:1,",
            "http://a:1,,http://b:2",
            " , http://b:2",
        ] {
            let client = BrokerClient::new(list, TOKEN);
            assert_eq!(client.url(), list);
            let error = client.get_job(JobId([1; 32])).await.unwrap_err();
            assert!(
                matches!(&error, Error::EmptyUrl { urls } if urls == list),
                "{list:?}: {error}"
            );
            assert!(!error.is_transient());
            assert!(matches!(
                BrokerClient::from_urls(list.split(','), TOKEN),
                Err(Error::EmptyUrl { .. })
            ));
        }
        assert!(matches!(
            BrokerClient::from_urls(Vec::<String>::new(), TOKEN),
            Err(Error::EmptyUrl { urls }) if urls.is_empty()
        ));
    }

    #[test]
    fn from_urls_refuses_a_bad_url_at_once() {
        let error = BrokerClient::from_urls(["http://a:1", "not a url"], TOKEN).unwrap_err();
        assert!(
            matches!(&error, Error::ClientUrl { url, .. } if url == "not a url"),
            "{error}"
        );
    }
}
