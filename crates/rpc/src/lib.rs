//! The JSON-RPC plumbing every Fernet service's server shares (the node and the broker):
//!
//! - [`codes`]: the error codes of `docs/services.md`, defined once;
//! - [`Checked`]: a jsonrpsee middleware that answers an unknown method with a `-32601` naming
//!   it and runs the service's own check of each call's params before the handler;
//! - [`router`]: the HTTP routes of a service on one port: jsonrpsee's service on `POST /`
//!   behind a body limit (HTTP 413 with a `-32600` above it), `GET /health` and
//!   `GET /metrics` (Prometheus text);
//! - [`require_bearer`]: bearer-token authentication of every route but `/health` and
//!   `/metrics` ([`AuthToken`], compared in constant time).

mod auth;
pub mod codes;
mod middleware;
mod router;

pub use auth::{require_bearer, AuthToken, AuthTokenError, MIN_AUTH_TOKEN_CHARS, OPEN_PATHS};
pub use middleware::{Checked, RequestCheck};
pub use router::{invalid_params, router, Limits, MetricsError, HEALTH_PATH, METRICS_PATH};
