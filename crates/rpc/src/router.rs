//! [`router`]: JSON-RPC, `/health` and `/metrics` on one port.

use std::{collections::HashSet, future::Future, sync::Arc};

use axum::{
    body::Body,
    extract::Request as HttpRequest,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use jsonrpsee::{
    server::{
        middleware::rpc::RpcServiceBuilder, BatchRequestConfig, Server, ServerConfig, StopHandle,
    },
    types::ErrorObjectOwned,
    RpcModule,
};
use serde_json::json;
use tower::Service as _;
use tracing::{error, warn};

use crate::{
    codes::{INVALID_PARAMS, INVALID_REQUEST},
    Checked, RequestCheck,
};

/// The health check route: `200 ok` once the service is up.
pub const HEALTH_PATH: &str = "/health";
/// The Prometheus route.
pub const METRICS_PATH: &str = "/metrics";

/// How much a service's JSON-RPC server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request (and response) body, in bytes.
    pub body_bytes: u32,
    /// Requests served at once; more get HTTP 429.
    pub connections: u32,
    /// Calls in one batch; more get `-32010`.
    pub batch_len: u32,
}

/// A `-32602` with `message` (which names the field and quotes the value).
pub fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
}

/// Why `/metrics` could not be rendered (answered with HTTP 500 and logged).
pub type MetricsError = Box<dyn std::error::Error + Send + Sync>;

/// The routes of a service: `module` on `POST /` behind [`Checked`] with `check` and the
/// `limits`, `GET /health` (`ok`) and `GET /metrics` (the Prometheus text `metrics` renders).
/// `stop` ends the JSON-RPC service (see [`jsonrpsee::server::stop_channel`]).
pub fn router<T, M, F>(
    module: RpcModule<T>,
    limits: Limits,
    check: RequestCheck,
    stop: StopHandle,
    metrics: M,
) -> Router
where
    T: Send + Sync + 'static,
    M: Fn() -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<String, MetricsError>> + Send + 'static,
{
    let config = ServerConfig::builder()
        .http_only()
        .max_request_body_size(limits.body_bytes)
        .max_response_body_size(limits.body_bytes)
        .max_connections(limits.connections)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.batch_len))
        .build();
    let methods: Arc<HashSet<&'static str>> = Arc::new(module.method_names().collect());
    let middleware = RpcServiceBuilder::new()
        .layer_fn(move |service| Checked::new(service, methods.clone(), check.clone()));
    let rpc = Server::builder()
        .set_config(config)
        .set_rpc_middleware(middleware)
        .to_service_builder()
        .build(module, stop);
    let body_limit = limits.body_bytes as usize;
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
                            warn!(%error, "JSON-RPC service failed");
                            StatusCode::INTERNAL_SERVER_ERROR.into_response()
                        }
                    }
                }
            }),
        )
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .route(
            METRICS_PATH,
            get(move || {
                let rendered = metrics();
                async move {
                    match rendered.await {
                        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
                            .into_response(),
                        Err(error) => {
                            error!(%error, "metrics failed");
                            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
                        }
                    }
                }
            }),
        )
}

/// HTTP 413 with a `-32600` JSON-RPC error: the body is over `limit`.
fn too_large(rejection: &axum::Error, limit: usize) -> Response {
    let message = format!("request body rejected: {rejection} (at most {limit} bytes)");
    let answer = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": INVALID_REQUEST, "message": message },
    });
    (StatusCode::PAYLOAD_TOO_LARGE, Json(answer)).into_response()
}
