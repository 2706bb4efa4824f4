//! Why a call of the broker failed, and whether trying again can help.

use std::sync::Arc;

use jsonrpsee::types::ErrorObjectOwned;

use fernet_rpc::codes::INTERNAL_ERROR;

use crate::job::JobId;

/// A failed call of [`crate::BrokerClient`].
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The broker's URL list (replicas, comma-separated) is empty or has an empty item.
    #[error(
        "broker URL list {urls:?} has an empty item: expected one or more comma-separated URLs"
    )]
    EmptyUrl {
        /// The list as given.
        urls: String,
    },
    /// No client can be built for the broker's URL.
    #[error("no JSON-RPC client for {url}")]
    ClientUrl {
        /// The broker's URL.
        url: String,
        /// Why (shared by every call of the client).
        #[source]
        source: Arc<jsonrpsee::core::ClientError>,
    },
    /// A request to the broker got no JSON-RPC answer (unreachable, timeout, not JSON-RPC); with
    /// several replicas, none answered and this is the last one's error.
    #[error("{method} to {url} failed: {}", error_chain(source.as_ref()))]
    Http {
        /// The JSON-RPC method.
        method: &'static str,
        /// The URL of the replica that did not answer.
        url: String,
        /// The transport error (boxed: it is large).
        #[source]
        source: Box<jsonrpsee::core::ClientError>,
    },
    /// The broker answered with a JSON-RPC error (`-32000` a rule said no, `-32602` invalid
    /// params, `-32603` internal).
    #[error("{method} rejected by the broker (code {}): {}", source.code(), source.message())]
    Rpc {
        /// The JSON-RPC method.
        method: &'static str,
        /// The error object.
        #[source]
        source: ErrorObjectOwned,
    },
    /// The broker refused the request's bearer token (HTTP 401): missing or wrong
    /// `BROKER_AUTH_TOKEN`.
    #[error("{method} to {url} refused: HTTP 401, the broker wants another bearer token (BROKER_AUTH_TOKEN)")]
    Unauthorized {
        /// The JSON-RPC method.
        method: &'static str,
        /// The broker's URL.
        url: String,
    },
    /// No token to authenticate with: `BROKER_AUTH_TOKEN` is unset or empty.
    #[error("BROKER_AUTH_TOKEN is not set: the broker at {url} requires its bearer token")]
    MissingAuthToken {
        /// The broker's URL (or list of replicas).
        url: String,
    },
    /// The broker does not know the job (its store was reset).
    #[error("the broker knows no job {0}")]
    JobNotFound(JobId),
    /// A proven job's result does not have the shape of its kind's result.
    #[error("result of job {id} rejected: {reason}")]
    InvalidResult {
        /// The job.
        id: JobId,
        /// The field at fault and what is wrong with it.
        reason: String,
    },
}

impl ClientError {
    /// The JSON-RPC error code, when the broker answered with an error.
    pub fn rpc_code(&self) -> Option<i32> {
        match self {
            Self::Rpc { source, .. } => Some(source.code()),
            _ => None,
        }
    }

    /// Whether the same call can succeed later: the broker was unreachable or failed
    /// internally. A rule that said no, a bad request or a bad result stays so.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http { .. } => true,
            Self::Rpc { source, .. } => source.code() == INTERNAL_ERROR,
            Self::EmptyUrl { .. }
            | Self::ClientUrl { .. }
            | Self::Unauthorized { .. }
            | Self::MissingAuthToken { .. }
            | Self::JobNotFound(_)
            | Self::InvalidResult { .. } => false,
        }
    }
}

/// `error` and its sources, joined by `: ` (a transport error's own message omits the cause).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
