//! JSON-RPC error codes, as every service answers them (`docs/services.md`, "Conventions").

use jsonrpsee::types::error;

/// The body is not JSON.
pub const PARSE_ERROR: i32 = error::PARSE_ERROR_CODE;
/// Not a valid request object (or a body over the limit).
pub const INVALID_REQUEST: i32 = error::INVALID_REQUEST_CODE;
/// Unknown method.
pub const METHOD_NOT_FOUND: i32 = error::METHOD_NOT_FOUND_CODE;
/// Invalid params: the message names the field and quotes the value.
pub const INVALID_PARAMS: i32 = error::INVALID_PARAMS_CODE;
/// Internal error (logged by the service).
pub const INTERNAL_ERROR: i32 = error::INTERNAL_ERROR_CODE;
/// Refused by the service's rules (a spent nullifier, a lost lease ...).
pub const REJECTED: i32 = error::CALL_EXECUTION_FAILED_CODE;
/// The request carries no valid bearer token (answered with HTTP 401).
pub const UNAUTHORIZED: i32 = -32003;
