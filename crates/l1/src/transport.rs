//! Providers on an L1 JSON-RPC endpoint, built from alloy's layers: retries of transient errors
//! ([`RetryBackoffLayer`] with [`TransientErrors`]) over a per-attempt [`RequestLayer`] that
//! counts every request actually sent and bounds how long it may take.

use std::{
    fmt,
    task::{Context, Poll},
    time::Duration,
};

use alloy::{
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::{
        client::{ClientBuilder, RpcClient},
        json_rpc::{RequestPacket, ResponsePacket},
    },
    transports::{
        http::reqwest::Url, layers::RetryBackoffLayer, TransportError, TransportErrorKind,
        TransportFut,
    },
};
use tower::{Layer, Service};

use crate::{retry::TransientErrors, L1Options, Result};

/// The counter of L1 requests sent, labelled by JSON-RPC `method` (each retry counts).
pub const REQUESTS_TOTAL: &str = "fernet_l1_requests_total";

/// No compute-unit budget: the retry layer waits only its backoff.
const UNLIMITED_COMPUTE_UNITS: u64 = u64::MAX;

/// A read provider on `url`: every request times out after `options.request_timeout()`, is
/// retried on transient errors (`options.max_retries` times, `options.retry_backoff()` apart) and
/// counted in [`REQUESTS_TOTAL`]. Fails only on invalid options.
pub fn connect(url: &Url, options: &L1Options) -> Result<DynProvider> {
    options.validate()?;
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_client(client(url, options))
        .erased())
}

/// The JSON-RPC client under [`connect`] (same layers), for providers with fillers or a wallet
/// of their own; `options` are taken as they are ([`connect`] validates them).
pub fn client(url: &Url, options: &L1Options) -> RpcClient {
    metrics::describe_counter!(
        REQUESTS_TOTAL,
        "L1 JSON-RPC requests sent (retries included), by method"
    );
    let retry_backoff_ms = u64::try_from(options.retry_backoff().as_millis()).unwrap_or(u64::MAX);
    ClientBuilder::default()
        .layer(RetryBackoffLayer::new_with_policy(
            options.max_retries,
            retry_backoff_ms,
            UNLIMITED_COMPUTE_UNITS,
            TransientErrors,
        ))
        .layer(RequestLayer {
            timeout: options.request_timeout(),
        })
        .http(url.clone())
}

/// A request that got no answer in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("L1 request {method} timed out after {} ms", after.as_millis())]
pub struct RequestTimeout {
    /// The JSON-RPC method (the methods of a batch, comma-separated).
    pub method: String,
    /// The timeout.
    pub after: Duration,
}

/// Counts each request in [`REQUESTS_TOTAL`] and fails it with [`RequestTimeout`] past `timeout`.
#[derive(Debug, Clone, Copy)]
pub struct RequestLayer {
    timeout: Duration,
}

impl<S> Layer<S> for RequestLayer {
    type Service = RequestService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestService {
            inner,
            timeout: self.timeout,
        }
    }
}

/// The service of [`RequestLayer`].
#[derive(Clone)]
pub struct RequestService<S> {
    inner: S,
    timeout: Duration,
}

impl<S> fmt::Debug for RequestService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestService")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<S> Service<RequestPacket> for RequestService<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Send
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        let methods: Vec<String> = request.method_names().map(str::to_owned).collect();
        for method in &methods {
            metrics::counter!(REQUESTS_TOTAL, "method" => method.clone()).increment(1);
        }
        let response = self.inner.call(request);
        let timeout = self.timeout;
        Box::pin(async move {
            tokio::time::timeout(timeout, response)
                .await
                .unwrap_or_else(|_| {
                    Err(TransportErrorKind::custom(RequestTimeout {
                        method: methods.join(","),
                        after: timeout,
                    }))
                })
        })
    }
}
