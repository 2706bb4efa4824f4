//! The `broker_*` JSON-RPC interface as one jsonrpsee trait, [`BrokerApi`]: the broker
//! implements the generated [`BrokerApiServer`], [`crate::BrokerClient`] wraps the generated
//! [`BrokerApiClient`]. Params are by name (`param_kind = map`); each is a [`Field`], decoded in
//! the handler so that a bad value gets a `-32602` naming the field and quoting the value.

use fernet_rpc::invalid_params;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::{
    api::{AssignedJob, EnqueueJobResult, HeartbeatResult, JobView},
    job::{JobId, JobKind},
};

/// A by-name parameter: the client sends a `T` (or `null`); the server keeps the JSON as sent
/// and decodes it in the handler, so that a missing or bad value gets a `-32602` naming the
/// field and quoting the value (jsonrpsee's own decoding does neither).
#[derive(Debug, Clone)]
pub struct Field<T>(FieldValue<T>);

#[derive(Debug, Clone)]
enum FieldValue<T> {
    Typed(T),
    /// As sent; `None` when absent or `null`.
    Raw(Option<Value>),
}

impl<T> Default for Field<T> {
    /// An absent field (sent as `null`).
    fn default() -> Self {
        Self(FieldValue::Raw(None))
    }
}

impl<T> From<T> for Field<T> {
    fn from(value: T) -> Self {
        Self(FieldValue::Typed(value))
    }
}

impl<T: DeserializeOwned> Field<T> {
    /// The value, `None` if absent or `null`; a `-32602` naming it `name` if it does not decode.
    pub fn optional(self, name: &str) -> RpcResult<Option<T>> {
        match self.0 {
            FieldValue::Typed(value) => Ok(Some(value)),
            FieldValue::Raw(None) => Ok(None),
            FieldValue::Raw(Some(value)) => T::deserialize(&value).map(Some).map_err(|e| {
                invalid_params(format!("{name}: {e} (got {})", short(&value.to_string())))
            }),
        }
    }

    /// The value, which must be present and not `null`.
    pub fn required(self, name: &str) -> RpcResult<T> {
        self.optional(name)?
            .ok_or_else(|| invalid_params(format!("{name}: missing")))
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            FieldValue::Typed(value) => value.serialize(serializer),
            FieldValue::Raw(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de, T> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<Value>::deserialize(deserializer).map(|value| Self(FieldValue::Raw(value)))
    }
}

/// The `broker_*` methods of `docs/services.md`, by-name params (see [`crate::api`] for the
/// fields): the server implements [`BrokerApiServer`], clients call [`BrokerApiClient`] (what
/// [`crate::BrokerClient`] wraps). Every method commits to disk: they run on blocking threads.
#[rpc(server, client, namespace = "broker")]
pub trait BrokerApi {
    /// Stores a job (idempotent: a known job answers its id and current status). `input` is
    /// `0x` hex of the kind's input.
    #[method(name = "enqueueJob", param_kind = map, blocking)]
    fn enqueue_job(
        &self,
        kind: Field<JobKind>,
        epoch: Field<u64>,
        input: Field<String>,
    ) -> RpcResult<EnqueueJobResult>;

    /// A job's status and outcome, `null` for an unknown id.
    #[method(name = "getJob", param_kind = map, blocking)]
    fn get_job(&self, id: Field<JobId>) -> RpcResult<Option<JobView>>;

    /// Leases the next job of `kinds` (all when absent) to `agentId`; `null` when none is
    /// queued.
    #[method(name = "takeJob", param_kind = map, blocking)]
    fn take_job(
        &self,
        #[argument(rename = "agentId")] agent_id: Field<String>,
        kinds: Field<Vec<JobKind>>,
    ) -> RpcResult<Option<AssignedJob>>;

    /// Extends `agentId`'s lease on job `id`.
    #[method(name = "heartbeat", param_kind = map, blocking)]
    fn heartbeat(
        &self,
        #[argument(rename = "agentId")] agent_id: Field<String>,
        id: Field<JobId>,
    ) -> RpcResult<HeartbeatResult>;

    /// Delivers the result of job `id` (checked against the job's statement).
    #[method(name = "completeJob", param_kind = map, blocking)]
    fn complete_job(
        &self,
        #[argument(rename = "agentId")] agent_id: Field<String>,
        id: Field<JobId>,
        result: Field<Value>,
    ) -> RpcResult<bool>;

    /// Reports a failed attempt at job `id`.
    #[method(name = "failJob", param_kind = map, blocking)]
    fn fail_job(
        &self,
        #[argument(rename = "agentId")] agent_id: Field<String>,
        id: Field<JobId>,
        error: Field<String>,
    ) -> RpcResult<bool>;

    /// Queues a `failed` job again with a new generation of attempts; any other job is
    /// answered as it is.
    #[method(name = "retryJob", param_kind = map, blocking)]
    fn retry_job(&self, id: Field<JobId>) -> RpcResult<JobView>;

    /// Withdraws a `queued` job its enqueuer no longer needs: it becomes `failed` (error
    /// `cancelled`) and is never handed out; any other job is answered as it is, `null` for an
    /// unknown id.
    #[method(name = "cancelJob", param_kind = map, blocking)]
    fn cancel_job(&self, id: Field<JobId>) -> RpcResult<Option<JobView>>;
}

/// At most 40 characters of `text`, for error messages.
pub fn short(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}… ({} chars)", &text[..end], text.len()),
        None => text.to_owned(),
    }
}
