//! The broker's HTTP server: JSON-RPC 2.0 on `POST /` (jsonrpsee, implementing
//! `fernet_broker_api`'s `BrokerApi` trait, which also generates the typed client), `GET /metrics`
//! (Prometheus text) and `GET /health`, all on one port.
//!
//! Params are by name: an object, or an array holding one object. Error codes: `-32700` the
//! body is not JSON, `-32600` not a JSON-RPC request object (or a body over the size limit,
//! answered with HTTP 413), `-32601` unknown method, `-32602` invalid params (the message names
//! the field and quotes the value; a refused result names the job), `-32000` refused by the
//! broker's rules (unknown job, lease lost, already proven), `-32603` internal (the store
//! failed). Every route but `/health` and `/metrics` needs `Authorization: Bearer <token>`
//! (`BROKER_AUTH_TOKEN`): without it, HTTP 401 with a `-32003`. Limits: batches of at most
//! [`MAX_BATCH_LEN`] calls, [`MAX_CONNECTIONS`] requests served at once (more get HTTP 429), a
//! body of at most twice the largest input plus 64 KiB.

use std::{borrow::Cow, sync::Arc};

use axum::Router;
use fernet_broker_api::{
    hex,
    rpc::{short, BrokerApiServer, Field},
    AssignedJob, EnqueueJobResult, HeartbeatResult, JobId, JobKind, JobView, MAX_AGENT_ID_CHARS,
};
use fernet_rpc::{
    codes::{INTERNAL_ERROR, INVALID_PARAMS, REJECTED},
    invalid_params, AuthToken, Limits, RequestCheck,
};
use jsonrpsee::{core::RpcResult, server::StopHandle, types::ErrorObjectOwned};
use serde_json::{value::RawValue, Value};

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
        Error::InvalidResult { .. } | Error::InvalidProof { .. } => {
            (INVALID_PARAMS, error.to_string())
        }
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

    fn retry_job(&self, id: Field<JobId>) -> RpcResult<JobView> {
        let id = id.required("id")?;
        self.retry(&id).map(|job| job.view()).map_err(rpc_error)
    }

    fn cancel_job(&self, id: Field<JobId>) -> RpcResult<Option<JobView>> {
        let id = id.required("id")?;
        self.cancel(&id)
            .map(|job| job.map(|job| job.view()))
            .map_err(rpc_error)
    }
}

/// The broker's check of each call: params are by name, an object; an array holding one
/// object is unwrapped, anything else is a `-32602`.
fn by_name() -> RequestCheck {
    Arc::new(|request| {
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
    })
}

/// The HTTP routes over `broker`: the `broker_*` methods on `POST /` behind `token`, `/health`
/// and `/metrics` open ([`fernet_rpc::router`], [`fernet_rpc::require_bearer`]). `stop` ends the
/// JSON-RPC service.
pub fn router(broker: Arc<Broker>, stop: StopHandle, token: AuthToken) -> Router {
    let body_limit = broker
        .policy()
        .max_input_bytes
        .saturating_mul(2)
        .saturating_add(BODY_OVERHEAD_BYTES);
    let limits = Limits {
        body_bytes: u32::try_from(body_limit).unwrap_or(u32::MAX),
        connections: MAX_CONNECTIONS,
        batch_len: MAX_BATCH_LEN,
    };
    let module = Handler(Arc::clone(&broker)).into_rpc();
    let routes = fernet_rpc::router(module, limits, by_name(), stop, move || {
        let broker = Arc::clone(&broker);
        async move {
            let text = tokio::task::spawn_blocking(move || broker.render_metrics()).await??;
            Ok(text)
        }
    });
    fernet_rpc::require_bearer(routes, token)
}
