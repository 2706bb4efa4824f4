//! The broker's HTTP server: JSON-RPC 2.0 on `POST /` with the `broker_*` methods of
//! `docs/services.md`, `GET /metrics` (Prometheus text) and `GET /health`.
//!
//! Error codes: `-32700` the body is not JSON, `-32600` not a JSON-RPC request object (or a
//! body over the size limit), `-32601` unknown method, `-32602` invalid params (the message
//! names the field and quotes the value), `-32000` refused by the broker's rules (unknown job,
//! lease lost, already proven), `-32603` internal (the store failed).

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, DefaultBodyLimit, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::{
    api::{self, AssignedJob, EnqueueJobResult, HeartbeatResult, JobView, MAX_AGENT_ID_CHARS},
    broker::Broker,
    error::Error,
    hex,
    job::{JobId, JobKind},
};

/// JSON-RPC error code: the body is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC error code: not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC error code: unknown method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC error code: invalid params.
pub const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC error code: internal error.
pub const INTERNAL_ERROR: i64 = -32603;
/// JSON-RPC error code: refused by the broker's rules.
pub const REJECTED: i64 = -32000;

/// Longest failure message stored with a job; longer ones are cut.
const MAX_ERROR_CHARS: usize = 4096;

/// Request bytes allowed on top of the hex of the largest input.
const BODY_OVERHEAD_BYTES: usize = 64 << 10;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RpcError {
    code: i64,
    message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }
}

impl From<Error> for RpcError {
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::InputTooLarge { .. } | Error::InvalidInput { .. } => {
                return Self::params(format!("input: {error}"))
            }
            Error::InvalidResult { .. } => INVALID_PARAMS,
            Error::JobNotFound(_)
            | Error::LeaseLost { .. }
            | Error::AlreadyProven(_)
            | Error::JobFinal { .. } => REJECTED,
            _ => {
                tracing::error!(%error, "broker request failed");
                INTERNAL_ERROR
            }
        };
        Self::new(code, error.to_string())
    }
}

/// The HTTP routes over `broker`.
pub fn router(broker: Arc<Broker>) -> Router {
    let body_limit = broker
        .policy()
        .max_input_bytes
        .saturating_mul(2)
        .saturating_add(BODY_OVERHEAD_BYTES);
    Router::new()
        .route("/", post(json_rpc))
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(broker)
}

async fn metrics(State(broker): State<Arc<Broker>>) -> Response {
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

async fn json_rpc(
    State(broker): State<Arc<Broker>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let error = RpcError::new(
                INVALID_REQUEST,
                format!("request body rejected: {rejection}"),
            );
            return (rejection.status(), Json(error_body(Value::Null, &error))).into_response();
        }
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let error = RpcError::new(PARSE_ERROR, format!("body is not JSON: {error}"));
            return Json(error_body(Value::Null, &error)).into_response();
        }
    };
    let Value::Object(mut request) = request else {
        let error = RpcError::new(
            INVALID_REQUEST,
            "expected a JSON-RPC request object (batches are not supported)",
        );
        return Json(error_body(Value::Null, &error)).into_response();
    };
    let id = request.remove("id").unwrap_or(Value::Null);
    let Some(Value::String(method)) = request.remove("method") else {
        let error = RpcError::new(INVALID_REQUEST, "method: expected a string");
        return Json(error_body(id, &error)).into_response();
    };
    let params = request.remove("params");
    let answer = tokio::task::spawn_blocking(move || dispatch(&broker, &method, params))
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "request handler panicked");
            Err(RpcError::new(INTERNAL_ERROR, "request handler panicked"))
        });
    let body = match answer {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => error_body(id, &error),
    };
    Json(body).into_response()
}

fn error_body(id: Value, error: &RpcError) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": error.code, "message": error.message },
    })
}

/// Runs one method (blocking: every state change commits to disk).
fn dispatch(broker: &Broker, method: &str, params: Option<Value>) -> Result<Value, RpcError> {
    let answer = match method {
        api::ENQUEUE_JOB => {
            let params = Params::new(params)?;
            let kind: JobKind = params.required("kind")?;
            let epoch: u64 = params.required("epoch")?;
            let input = params.input(broker.policy().max_input_bytes)?;
            let enqueued = broker.enqueue(kind, epoch, &input)?;
            to_value(EnqueueJobResult {
                id: enqueued.job.id,
                status: enqueued.job.status,
            })
        }
        api::GET_JOB => {
            let params = Params::new(params)?;
            let id: JobId = params.required("id")?;
            to_value(broker.job(&id)?.as_ref().map(JobView::from))
        }
        api::TAKE_JOB => {
            let params = Params::new(params)?;
            let agent_id = params.agent_id()?;
            let kinds: Option<Vec<JobKind>> = params.optional("kinds")?;
            let kinds = kinds.unwrap_or_else(|| JobKind::ALL.to_vec());
            let taken = broker.take(&agent_id, &kinds)?;
            let lease_ms = broker.policy().job_timeout_ms();
            to_value(taken.map(|taken| AssignedJob {
                id: taken.job.id,
                kind: taken.job.kind,
                epoch: taken.job.epoch,
                input: taken.input,
                lease_ms,
            }))
        }
        api::HEARTBEAT => {
            let params = Params::new(params)?;
            let agent_id = params.agent_id()?;
            let id: JobId = params.required("id")?;
            broker.heartbeat(&agent_id, &id)?;
            to_value(HeartbeatResult {
                lease_ms: broker.policy().job_timeout_ms(),
            })
        }
        api::COMPLETE_JOB => {
            let params = Params::new(params)?;
            let agent_id = params.agent_id()?;
            let id: JobId = params.required("id")?;
            let result: Value = params.required("result")?;
            broker.complete(&agent_id, &id, result)?;
            Value::Bool(true)
        }
        api::FAIL_JOB => {
            let params = Params::new(params)?;
            let agent_id = params.agent_id()?;
            let id: JobId = params.required("id")?;
            let error: String = params.required("error")?;
            let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
            broker.fail(&agent_id, &id, &error)?;
            Value::Bool(true)
        }
        other => {
            return Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("unknown method {other:?}"),
            ))
        }
    };
    Ok(answer)
}

/// A value the API types always serialize into.
fn to_value(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// By-name parameters: an object, or an array holding one object.
struct Params(Map<String, Value>);

impl Params {
    fn new(params: Option<Value>) -> Result<Self, RpcError> {
        match params {
            Some(Value::Object(map)) => Ok(Self(map)),
            Some(Value::Array(mut items)) if items.len() == 1 => match items.pop() {
                Some(Value::Object(map)) => Ok(Self(map)),
                _ => Err(RpcError::params("params: expected an object")),
            },
            Some(other) => Err(RpcError::params(format!(
                "params: expected an object, got {}",
                short(&other)
            ))),
            None => Err(RpcError::params("params: missing (expected an object)")),
        }
    }

    /// Field `name`, which must be present and not null.
    fn required<T: DeserializeOwned>(&self, name: &str) -> Result<T, RpcError> {
        self.optional(name)?
            .ok_or_else(|| RpcError::params(format!("{name}: missing")))
    }

    /// Field `name`, `None` if absent or null.
    fn optional<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, RpcError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value).map(Some).map_err(|error| {
                RpcError::params(format!("{name}: {error} (got {})", short(value)))
            }),
        }
    }

    /// `agentId`: 1 to [`MAX_AGENT_ID_CHARS`] characters.
    fn agent_id(&self) -> Result<String, RpcError> {
        let agent_id: String = self.required("agentId")?;
        let chars = agent_id.chars().count();
        if !(1..=MAX_AGENT_ID_CHARS).contains(&chars) {
            return Err(RpcError::params(format!(
                "agentId: expected 1 to {MAX_AGENT_ID_CHARS} characters, got {chars}"
            )));
        }
        Ok(agent_id)
    }

    /// `input`: `0x` hex of at most `max` bytes (the length is checked before decoding).
    fn input(&self, max: usize) -> Result<Vec<u8>, RpcError> {
        let text: String = self.required("input")?;
        let len = text.len().saturating_sub(2) / 2;
        if len > max {
            return Err(RpcError::params(format!(
                "input: {len} bytes exceeds the {max}-byte limit"
            )));
        }
        hex::decode(&text).map_err(|error| RpcError::params(format!("input: {error}")))
    }
}

/// A JSON value for an error message, cut to a readable length.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}… ({} chars)", &text[..end], text.len()),
        None => text,
    }
}
