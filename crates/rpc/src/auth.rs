//! [`require_bearer`]: bearer-token authentication of a service's HTTP routes, `/health` and
//! `/metrics` excepted (health checks and Prometheus scrapes carry no token).

use std::{fmt, sync::Arc};

use axum::{
    extract::Request,
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json, Router,
};
use serde_json::json;
use sha3::{Digest, Keccak256};

use crate::{
    codes::UNAUTHORIZED,
    router::{HEALTH_PATH, METRICS_PATH},
};

/// Shortest token accepted (`openssl rand -hex 32` makes a good one).
pub const MIN_AUTH_TOKEN_CHARS: usize = 16;

/// The routes served without a token.
pub const OPEN_PATHS: [&str; 2] = [HEALTH_PATH, METRICS_PATH];

/// A shared secret that callers present as `Authorization: Bearer <token>`. Only its keccak256
/// is kept, and presented tokens are compared by digest in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken {
    digest: [u8; 32],
}

/// Why a token is refused as a service's secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthTokenError {
    /// Too short to resist guessing.
    #[error("the auth token has {chars} characters, at least {MIN_AUTH_TOKEN_CHARS} are required")]
    TooShort {
        /// Its length.
        chars: usize,
    },
    /// It cannot travel in an HTTP header.
    #[error("the auth token must be visible ASCII without spaces (it travels in an HTTP header)")]
    InvalidCharacters,
}

impl AuthToken {
    /// The token `secret`: at least [`MIN_AUTH_TOKEN_CHARS`] visible ASCII characters.
    pub fn new(secret: &str) -> Result<Self, AuthTokenError> {
        if !secret.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(AuthTokenError::InvalidCharacters);
        }
        if secret.len() < MIN_AUTH_TOKEN_CHARS {
            return Err(AuthTokenError::TooShort {
                chars: secret.len(),
            });
        }
        Ok(Self {
            digest: digest(secret),
        })
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let presented = digest(presented);
        let difference = self
            .digest
            .iter()
            .zip(presented)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(difference) == 0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

impl std::str::FromStr for AuthToken {
    type Err = AuthTokenError;

    fn from_str(secret: &str) -> Result<Self, Self::Err> {
        Self::new(secret)
    }
}

fn digest(text: &str) -> [u8; 32] {
    Keccak256::digest(text.as_bytes()).into()
}

/// `router` with every route but [`OPEN_PATHS`] behind `token`: a request without
/// `Authorization: Bearer <token>`, or with another token, gets HTTP 401 with a JSON-RPC error
/// (code [`UNAUTHORIZED`]) saying which, before its body is read.
pub fn require_bearer(router: Router, token: AuthToken) -> Router {
    let token = Arc::new(token);
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let token = Arc::clone(&token);
            async move {
                if OPEN_PATHS.contains(&request.uri().path()) {
                    return next.run(request).await;
                }
                match check(&token, request.headers()) {
                    Ok(()) => next.run(request).await,
                    Err(problem) => unauthorized(problem),
                }
            }
        },
    ))
}

/// Checks the `Authorization` header against `token`; the error says what is wrong.
fn check(token: &AuthToken, headers: &HeaderMap) -> Result<(), &'static str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or("missing Authorization header: send `Authorization: Bearer <token>`")?;
    let value = value
        .to_str()
        .map_err(|_| "the Authorization header is not visible ASCII")?;
    let presented = match value.split_once(' ') {
        Some((scheme, presented)) if scheme.eq_ignore_ascii_case("bearer") => presented.trim(),
        _ => return Err("the Authorization header is not `Bearer <token>`"),
    };
    if token.matches(presented) {
        Ok(())
    } else {
        Err("wrong bearer token")
    }
}

/// HTTP 401 with a JSON-RPC error naming `problem`.
fn unauthorized(problem: &str) -> Response {
    let answer = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": UNAUTHORIZED, "message": format!("unauthorized: {problem}") },
    });
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(answer),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_and_compared_by_digest() {
        assert_eq!(
            AuthToken::new("short"),
            Err(AuthTokenError::TooShort { chars: 5 })
        );
        assert_eq!(
            AuthToken::new("with a space in it!"),
            Err(AuthTokenError::InvalidCharacters)
        );
        let token = AuthToken::new("0123456789abcdef").unwrap();
        assert!(token.matches("0123456789abcdef"));
        assert!(!token.matches("0123456789abcdeF"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "AuthToken(<redacted>)");

        let mut headers = HeaderMap::new();
        assert!(check(&token, &headers).unwrap_err().starts_with("missing"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(check(&token, &headers).unwrap_err().contains("not `Bearer"));
        headers.insert(header::AUTHORIZATION, "Bearer nope".parse().unwrap());
        assert_eq!(check(&token, &headers), Err("wrong bearer token"));
        headers.insert(
            header::AUTHORIZATION,
            "bearer 0123456789abcdef".parse().unwrap(),
        );
        assert_eq!(check(&token, &headers), Ok(()));
    }
}
