//! Error responses in the shapes the real service sends.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Unwraps `Result<T, Response>`, or returns the error response from the handler.
macro_rules! or_respond {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(response) => return response,
        }
    };
}
pub(crate) use or_respond;

/// `{"error_code": ..., "message": ...}` with a status.
pub fn api_error(status: u16, code: &str, message: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({ "error_code": code, "message": message.into() })),
    )
        .into_response()
}

pub fn invalid_parameter(message: impl Into<String>) -> Response {
    api_error(400, "INVALID_PARAMETER_VALUE", message)
}

pub fn not_found(message: impl Into<String>) -> Response {
    api_error(404, "RESOURCE_DOES_NOT_EXIST", message)
}

pub fn malformed(message: impl Into<String>) -> Response {
    api_error(400, "MALFORMED_REQUEST", message)
}

/// 429 or 503 with `Retry-After` (integer seconds, the only form the SDK reads).
pub fn throttled(status: u16, retry_after: Option<u64>) -> Response {
    let (code, message) = if status == 429 {
        (
            "REQUEST_LIMIT_EXCEEDED",
            "Too many requests. Please wait a moment and try again.",
        )
    } else if status == 503 {
        (
            "TEMPORARILY_UNAVAILABLE",
            "The service is temporarily unavailable. Please try again later.",
        )
    } else if status == 403 {
        // As a workspace answers a valid credential that lacks a grant.
        (
            "PERMISSION_DENIED",
            "User does not have the permission required for this call.",
        )
    } else {
        ("INTERNAL_ERROR", "Internal error injected by the emulator.")
    };
    let mut resp = api_error(status, code, message);
    if let Some(secs) = retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert("retry-after", v);
    }
    resp
}

/// A JSON request body, or the service's answer to one that isn't.
pub fn json_body(bytes: &[u8]) -> Result<serde_json::Value, Response> {
    if bytes.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("Could not parse request object: {e}")))
}

/// A request's arguments: the JSON body, or for a bodiless call (a GET) the query string —
/// the 2.0 APIs (secrets, DBFS, experiments) take either.
pub fn body_or_query(
    query: &std::collections::HashMap<String, String>,
    body: &[u8],
) -> Result<serde_json::Value, Response> {
    if body.is_empty() {
        Ok(json!(query))
    } else {
        json_body(body)
    }
}

/// `404 ENDPOINT_NOT_FOUND`, as the service answers a path it does not serve.
pub fn no_endpoint(what: impl std::fmt::Display) -> Response {
    api_error(
        404,
        "ENDPOINT_NOT_FOUND",
        format!("No API found for '{what}'"),
    )
}
