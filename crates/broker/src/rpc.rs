//! The broker's HTTP server: JSON-RPC 2.0 on `POST /` (jsonrpsee, implementing
//! `fernet_broker_api`'s `BrokerApi` trait, which also generates the typed client), `GET /metrics`
//! (Prometheus text) and `GET /health`, all on one port.
//!
//! Params are by name: an object, or an array holding one object. Error codes: `-32700` the
//! body is not JSON, `-32600` not a JSON-RPC request object (or a body over the size limit,
//! answered with HTTP 413), `-32601` unknown method, `-32602` invalid params (the message names
//! the field and quotes the value), `-32000` refused by the broker's rules (unknown job, lease
//! lost, already proven), `-32603` internal (the store failed). Limits: batches of at most
//! [`MAX_BATCH_LEN`] calls, [`MAX_CONNECTIONS`] requests served at once (more get HTTP 429), a
//! body of at most twice the largest input plus 64 KiB.

use std::{borrow::Cow, collections::HashSet, future::Future, sync::Arc};

use axum::{
    body::Body,
    extract::Request as HttpRequest,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use fernet_broker_api::{
    hex,
    rpc::{
        invalid_params, short, BrokerApiServer, Field, INTERNAL_ERROR, INVALID_PARAMS,
        INVALID_REQUEST, METHOD_NOT_FOUND, REJECTED,
    },
    AssignedJob, EnqueueJobResult, HeartbeatResult, JobId, JobKind, JobView, MAX_AGENT_ID_CHARS,
};
use jsonrpsee::{
    core::RpcResult,
    server::{
        middleware::rpc::{
            Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, Request,
            RpcServiceBuilder, RpcServiceT,
        },
        BatchRequestConfig, Server, ServerConfig, StopHandle,
    },
    types::ErrorObjectOwned,
};
use serde_json::{json, value::RawValue, Value};
use tower::Service as _;

use crate::{broker::Broker, error::Error, job::JobRecord};

/// Most calls in one batch.
pub const MAX_BATCH_LEN: u32 = 16;
/// Most requests served at once.
pub const MAX_CONNECTIONS: u32 = 128;

/// Longest failure message stored with a job; longer ones are cut.
const MAX_ERROR_CHARS: usize = 4096;

/// Request bytes allowed on top of the hex of the largest input.
const BODY_OVERHEAD_BYTES: usize = 64 << 10;

/// The JSON-RPC error of a failed request: `-32602` for a bad input or result, `-32000` for a
/// rule of the broker, `-32603` (logged) for anything else.
fn rpc_error(error: Error) -> ErrorObjectOwned {
    let (code, message) = match &error {
        Error::InputTooLarge { .. } | Error::InvalidInput { .. } => {
            (INVALID_PARAMS, format!("input: {error}"))
        }
        Error::InvalidResult { .. } => (INVALID_PARAMS, error.to_string()),
        Error::JobNotFound(_)
        | Error::LeaseLost { .. }
        | Error::AlreadyProven(_)
        | Error::JobFinal { .. } => (REJECTED, error.to_string()),
        _ => {
            tracing::error!(%error, "broker request failed");
            (INTERNAL_ERROR, error.to_string())
        }
    };
    ErrorObjectOwned::owned(code, message, None::<()>)
}

/// `agentId`: 1 to [`MAX_AGENT_ID_CHARS`] characters.
fn agent_id(field: Field<String>) -> RpcResult<String> {
    let agent_id = field.required("agentId")?;
    let chars = agent_id.chars().count();
    if !(1..=MAX_AGENT_ID_CHARS).contains(&chars) {
        return Err(invalid_params(format!(
            "agentId: expected 1 to {MAX_AGENT_ID_CHARS} characters, got {chars}"
        )));
    }
    Ok(agent_id)
}

/// `input`: `0x` hex of at most `max` bytes (the length is checked before decoding).
fn input(field: Field<String>, max: usize) -> RpcResult<Vec<u8>> {
    let text = field.required("input")?;
    let len = text.len().saturating_sub(2) / 2;
    if len > max {
        return Err(invalid_params(format!(
            "input: {len} bytes exceeds the {max}-byte limit"
        )));
    }
    hex::decode(&text).map_err(|error| invalid_params(format!("input: {error}")))
}

/// The broker as the jsonrpsee module serves it.
struct Handler(Arc<Broker>);

impl std::ops::Deref for Handler {
    type Target = Broker;

    fn deref(&self) -> &Broker {
        &self.0
    }
}

impl BrokerApiServer for Handler {
    fn enqueue_job(
        &self,
        kind: Field<JobKind>,
        epoch: Field<u64>,
        input_field: Field<String>,
    ) -> RpcResult<EnqueueJobResult> {
        let kind = kind.required("kind")?;
        let epoch = epoch.required("epoch")?;
        let input = input(input_field, self.policy().max_input_bytes)?;
        let enqueued = self.enqueue(kind, epoch, &input).map_err(rpc_error)?;
        Ok(EnqueueJobResult {
            id: enqueued.job.id,
            status: enqueued.job.status,
        })
    }

    fn get_job(&self, id: Field<JobId>) -> RpcResult<Option<JobView>> {
        let id = id.required("id")?;
        let job = self.job(&id).map_err(rpc_error)?;
        Ok(job.as_ref().map(JobRecord::view))
    }

    fn take_job(
        &self,
        agent_id_field: Field<String>,
        kinds: Field<Vec<JobKind>>,
    ) -> RpcResult<Option<AssignedJob>> {
        let agent_id = agent_id(agent_id_field)?;
        let kinds = kinds
            .optional("kinds")?
            .unwrap_or_else(|| JobKind::ALL.to_vec());
        let taken = self.take(&agent_id, &kinds).map_err(rpc_error)?;
        let lease_ms = self.policy().job_timeout_ms();
        Ok(taken.map(|taken| AssignedJob {
            id: taken.job.id,
            kind: taken.job.kind,
            epoch: taken.job.epoch,
            input: taken.input,
            lease_ms,
        }))
    }

    fn heartbeat(
        &self,
        agent_id_field: Field<String>,
        id: Field<JobId>,
    ) -> RpcResult<HeartbeatResult> {
        let agent_id = agent_id(agent_id_field)?;
        let id = id.required("id")?;
        Broker::heartbeat(&self.0, &agent_id, &id).map_err(rpc_error)?;
        Ok(HeartbeatResult {
            lease_ms: self.policy().job_timeout_ms(),
        })
    }

    fn complete_job(
        &self,
        agent_id_field: Field<String>,
        id: Field<JobId>,
        result: Field<Value>,
    ) -> RpcResult<bool> {
        let agent_id = agent_id(agent_id_field)?;
        let id = id.required("id")?;
        let result = result.required("result")?;
        self.complete(&agent_id, &id, result).map_err(rpc_error)?;
        Ok(true)
    }

    fn fail_job(
        &self,
        agent_id_field: Field<String>,
        id: Field<JobId>,
        error: Field<String>,
    ) -> RpcResult<bool> {
        let agent_id = agent_id(agent_id_field)?;
        let id = id.required("id")?;
        let error: String = error
            .required("error")?
            .chars()
            .take(MAX_ERROR_CHARS)
            .collect();
        self.fail(&agent_id, &id, &error).map_err(rpc_error)?;
        Ok(true)
    }
}

/// A JSON text for an error message, cut to a readable length.
/// jsonrpsee middleware: `-32601` naming an unknown method, and by-name params: an object
/// passes, an array holding one object is unwrapped, anything else is a `-32602`.
#[derive(Debug, Clone)]
struct ByName<S> {
    service: S,
    methods: Arc<HashSet<&'static str>>,
}

impl<S> ByName<S> {
    fn check(&self, request: &mut Request<'_>) -> Result<(), ErrorObjectOwned> {
        if !self.methods.contains(request.method.as_ref()) {
            return Err(ErrorObjectOwned::owned(
                METHOD_NOT_FOUND,
                format!("unknown method {:?}", request.method),
                None::<()>,
            ));
        }
        let text = match request.params.as_deref().map(RawValue::get) {
            None | Some("null") => {
                return Err(invalid_params("params: missing (expected an object)"))
            }
            Some(text) => text.trim_start(),
        };
        if text.starts_with('{') {
            return Ok(());
        }
        if let Ok(mut items) = serde_json::from_str::<Vec<Box<RawValue>>>(text) {
            return match items.pop() {
                Some(object) if items.is_empty() && object.get().starts_with('{') => {
                    request.params = Some(Cow::Owned(object));
                    Ok(())
                }
                _ => Err(invalid_params("params: expected an object")),
            };
        }
        Err(invalid_params(format!(
            "params: expected an object, got {}",
            short(text)
        )))
    }
}

impl<S> RpcServiceT for ByName<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        mut request: Request<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        let checked = self.check(&mut request);
        let service = self.service.clone();
        async move {
            match checked {
                Ok(()) => service.call(request).await,
                Err(error) => MethodResponse::error(request.id, error),
            }
        }
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        for entry in batch.iter_mut() {
            if let Ok(BatchEntry::Call(request)) = entry {
                if let Err(error) = self.check(request) {
                    *entry = Err(BatchEntryErr::new(request.id.clone(), error));
                }
            }
        }
        self.service.batch(batch)
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.service.notification(notification)
    }
}

/// The HTTP routes over `broker`: jsonrpsee's service on `POST /` (behind the body limit),
/// `/health` and `/metrics`. `stop` ends the JSON-RPC service (see
/// [`jsonrpsee::server::stop_channel`]).
pub fn router(broker: Arc<Broker>, stop: StopHandle) -> Router {
    let body_limit = broker
        .policy()
        .max_input_bytes
        .saturating_mul(2)
        .saturating_add(BODY_OVERHEAD_BYTES);
    let config = ServerConfig::builder()
        .http_only()
        .max_request_body_size(u32::try_from(body_limit).unwrap_or(u32::MAX))
        .max_response_body_size(u32::try_from(body_limit).unwrap_or(u32::MAX))
        .max_connections(MAX_CONNECTIONS)
        .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH_LEN))
        .build();
    let module = Handler(Arc::clone(&broker)).into_rpc();
    let methods: Arc<HashSet<&'static str>> = Arc::new(module.method_names().collect());
    let middleware = RpcServiceBuilder::new().layer_fn(move |service| ByName {
        service,
        methods: Arc::clone(&methods),
    });
    let rpc = Server::builder()
        .set_config(config)
        .set_rpc_middleware(middleware)
        .to_service_builder()
        .build(module, stop);
    Router::new()
        .route(
            "/",
            post(move |request: HttpRequest| {
                let mut rpc = rpc.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let body = match axum::body::to_bytes(body, body_limit).await {
                        Ok(body) => body,
                        Err(rejection) => return too_large(&rejection, body_limit),
                    };
                    match rpc
                        .call(HttpRequest::from_parts(parts, Body::from(body)))
                        .await
                    {
                        Ok(response) => response.map(Body::new).into_response(),
                        Err(error) => {
                            tracing::error!(%error, "JSON-RPC service failed");
                            StatusCode::INTERNAL_SERVER_ERROR.into_response()
                        }
                    }
                }
            }),
        )
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(move || metrics(Arc::clone(&broker))))
}

async fn metrics(broker: Arc<Broker>) -> Response {
    match tokio::task::spawn_blocking(move || broker.render_metrics()).await {
        Ok(Ok(text)) => {
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "metrics failed");
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// HTTP 413 with a `-32600` JSON-RPC error: the body is over `limit` bytes.
fn too_large(rejection: &axum::Error, limit: usize) -> Response {
    let message = format!("request body rejected: {rejection} (at most {limit} bytes)");
    let answer = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": INVALID_REQUEST, "message": message },
    });
    (StatusCode::PAYLOAD_TOO_LARGE, Json(answer)).into_response()
}
