//! Which L1 errors are transient, as the retry policy of alloy's
//! [`RetryBackoffLayer`](alloy::transports::layers::RetryBackoffLayer).

use std::{error::Error as StdError, io::ErrorKind, time::Duration};

use alloy::transports::{
    http::reqwest,
    layers::{RateLimitRetryPolicy, RetryPolicy},
    RpcError, TransportError,
};

use crate::transport::RequestTimeout;

/// Retries what [`is_transient`] says may succeed on a second try; honours the server's backoff
/// hint (`Retry-After`, "try again in ...") like alloy's own policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransientErrors;

impl RetryPolicy for TransientErrors {
    fn should_retry(&self, error: &TransportError) -> bool {
        is_transient(error)
    }

    fn backoff_hint(&self, error: &TransportError) -> Option<Duration> {
        RateLimitRetryPolicy::default().backoff_hint(error)
    }
}

/// Whether a request that failed with `error` may succeed when sent again: connection refused or
/// reset, a request timeout, HTTP 429/502/503/504, JSON-RPC rate limits (-32005 "limit exceeded"
/// and the providers' variants alloy knows). A revert, a bad request or a bad response is not.
pub fn is_transient(error: &TransportError) -> bool {
    if RateLimitRetryPolicy::default().should_retry(error) {
        return true;
    }
    let RpcError::Transport(kind) = error else {
        return false;
    };
    if let Some(http) = kind.as_http_error() {
        return matches!(http.status, 429 | 502 | 503 | 504);
    }
    kind.as_custom().is_some_and(transient_cause)
}

/// Whether `error` or one of its sources is a timeout or a broken connection.
fn transient_cause(error: &(dyn StdError + Send + Sync + 'static)) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = next {
        if error.is::<RequestTimeout>() {
            return true;
        }
        if let Some(error) = error.downcast_ref::<reqwest::Error>() {
            if error.is_connect() || error.is_timeout() {
                return true;
            }
        }
        if let Some(error) = error.downcast_ref::<std::io::Error>() {
            if matches!(
                error.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::NotConnected
                    | ErrorKind::BrokenPipe
                    | ErrorKind::TimedOut
                    | ErrorKind::UnexpectedEof
            ) {
                return true;
            }
        }
        next = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use alloy::{
        rpc::json_rpc::ErrorPayload,
        transports::{TransportError, TransportErrorKind},
    };

    use super::*;

    fn rpc_error(code: i64, message: &'static str) -> TransportError {
        TransportError::ErrorResp(ErrorPayload {
            code,
            message: message.into(),
            data: None,
        })
    }

    #[test]
    fn overloaded_servers_and_broken_connections_are_transient() {
        for status in [429, 502, 503, 504] {
            let error = TransportErrorKind::http_error(status, String::new());
            assert!(is_transient(&error), "HTTP {status}");
        }
        assert!(is_transient(&rpc_error(-32005, "limit exceeded")));
        let timeout = TransportErrorKind::custom(RequestTimeout {
            method: "eth_call".into(),
            after: Duration::from_secs(1),
        });
        assert!(is_transient(&timeout));
        for kind in [ErrorKind::ConnectionRefused, ErrorKind::ConnectionReset] {
            let error = TransportErrorKind::custom(std::io::Error::new(kind, "socket"));
            assert!(is_transient(&error), "{kind:?}");
        }
    }

    #[test]
    fn reverts_bad_requests_and_client_errors_are_not_transient() {
        assert!(!is_transient(&rpc_error(3, "execution reverted")));
        assert!(!is_transient(&rpc_error(-32602, "invalid params")));
        assert!(!is_transient(&rpc_error(-32000, "nonce too low")));
        for status in [400, 401, 404, 500] {
            let error = TransportErrorKind::http_error(status, String::new());
            assert!(!is_transient(&error), "HTTP {status}");
        }
        let error =
            TransportErrorKind::custom(std::io::Error::new(ErrorKind::PermissionDenied, "socket"));
        assert!(!is_transient(&error));
        assert!(!is_transient(&TransportErrorKind::custom_str("bad url")));
    }
}
