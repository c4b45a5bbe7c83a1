//! A stand-in for the GitHub REST API on 127.0.0.1, shaped after GitHub's OpenAPI
//! description: check runs and issue comments. Every request is recorded with the path
//! template it matched; anything else is answered 404 and recorded as unexpected.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The OpenAPI path template, e.g. `/repos/{owner}/{repo}/check-runs`; None if unexpected.
    pub template: Option<String>,
    pub path: String,
    pub body: Value,
    pub authorization: Option<String>,
}

#[derive(Default)]
pub struct Data {
    pub requests: Vec<Recorded>,
    pub comments: Vec<(u64, String)>,
    /// Answer check run requests 403, as for a token without `checks: write`.
    pub refuse_checks: bool,
    next_id: u64,
}

pub type Shared = Arc<Mutex<Data>>;

fn record(
    s: &Shared,
    method: &str,
    template: Option<&str>,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) {
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| json!({ "unparsed": String::from_utf8_lossy(body) }))
    };
    s.lock().unwrap().requests.push(Recorded {
        method: method.into(),
        template: template.map(str::to_string),
        path: path.into(),
        body,
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
}

/// GitHub's own limits, answered as it does (422 Validation Failed).
const COMMENT_LIMIT: usize = 65_536;
const OUTPUT_TEXT_LIMIT: usize = 65_535;
const ANNOTATIONS_PER_REQUEST: usize = 50;

fn too_long(field: &str, max: usize) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "IssueComment", "code": "unprocessable", "field": field,
                         "message": format!("{field} is too long (maximum is {max} characters)") }],
        })),
    )
        .into_response()
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// A comment body or check run output over GitHub's limits, as GitHub refuses it.
fn over_limits(v: &Value) -> Option<Response> {
    if chars(&v["body"]) > COMMENT_LIMIT {
        return Some(too_long("body", COMMENT_LIMIT));
    }
    for f in ["summary", "text"] {
        if chars(&v["output"][f]) > OUTPUT_TEXT_LIMIT {
            return Some(too_long(f, OUTPUT_TEXT_LIMIT));
        }
    }
    let annotations = v["output"]["annotations"].as_array().map_or(0, Vec::len);
    (annotations > ANNOTATIONS_PER_REQUEST)
        .then(|| too_long("annotations", ANNOTATIONS_PER_REQUEST))
}

async fn create_check(
    State(s): State<Shared>,
    Path((o, r)): Path<(String, String)>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    record(
        &s,
        "POST",
        Some("/repos/{owner}/{repo}/check-runs"),
        &format!("/repos/{o}/{r}/check-runs"),
        &h,
        &body,
    );
    if s.lock().unwrap().refuse_checks {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "message": "Resource not accessible by integration" })),
        )
            .into_response();
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = {
        let mut d = s.lock().unwrap();
        d.next_id += 1;
        d.next_id + 4000
    };
    (StatusCode::CREATED, Json(json!({ "id": id, "name": v["name"], "head_sha": v["head_sha"], "status": "in_progress" }))).into_response()
}

async fn update_check(
    State(s): State<Shared>,
    Path((o, r, id)): Path<(String, String, u64)>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    record(
        &s,
        "PATCH",
        Some("/repos/{owner}/{repo}/check-runs/{check_run_id}"),
        &format!("/repos/{o}/{r}/check-runs/{id}"),
        &h,
        &body,
    );
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(refused) = over_limits(&v) {
        return refused;
    }
    Json(json!({ "id": id })).into_response()
}

async fn list_comments(
    State(s): State<Shared>,
    Path((o, r, n)): Path<(String, String, u64)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    record(
        &s,
        "GET",
        Some("/repos/{owner}/{repo}/issues/{issue_number}/comments"),
        &format!("/repos/{o}/{r}/issues/{n}/comments"),
        &h,
        b"",
    );
    let per_page: usize = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .min(100);
    let page: usize = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let d = s.lock().unwrap();
    let items: Vec<Value> = d
        .comments
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(id, b)| json!({ "id": id, "body": b }))
        .collect();
    Json(Value::Array(items)).into_response()
}

async fn create_comment(
    State(s): State<Shared>,
    Path((o, r, n)): Path<(String, String, u64)>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    record(
        &s,
        "POST",
        Some("/repos/{owner}/{repo}/issues/{issue_number}/comments"),
        &format!("/repos/{o}/{r}/issues/{n}/comments"),
        &h,
        &body,
    );
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(refused) = over_limits(&v) {
        return refused;
    }
    let mut d = s.lock().unwrap();
    d.next_id += 1;
    let id = d.next_id + 9000;
    d.comments
        .push((id, v["body"].as_str().unwrap_or_default().to_string()));
    (
        StatusCode::CREATED,
        Json(json!({ "id": id, "body": v["body"] })),
    )
        .into_response()
}

async fn update_comment(
    State(s): State<Shared>,
    Path((o, r, id)): Path<(String, String, u64)>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    record(
        &s,
        "PATCH",
        Some("/repos/{owner}/{repo}/issues/comments/{comment_id}"),
        &format!("/repos/{o}/{r}/issues/comments/{id}"),
        &h,
        &body,
    );
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(refused) = over_limits(&v) {
        return refused;
    }
    let mut d = s.lock().unwrap();
    match d.comments.iter_mut().find(|(cid, _)| *cid == id) {
        Some(c) => {
            c.1 = v["body"].as_str().unwrap_or_default().to_string();
            Json(json!({ "id": id, "body": v["body"] })).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "Not Found" })),
        )
            .into_response(),
    }
}

async fn unexpected(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    record(&s, method.as_str(), None, uri.path(), &h, &body);
    (
        StatusCode::NOT_FOUND,
        Json(
            json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }),
        ),
    )
        .into_response()
}

/// The router under a path prefix ("" for api.github.com, "/api/v3" for GHES).
pub fn router(state: Shared, prefix: &str) -> Router {
    let api = Router::new()
        .route("/repos/{o}/{r}/check-runs", post(create_check))
        .route("/repos/{o}/{r}/check-runs/{id}", patch(update_check))
        .route(
            "/repos/{o}/{r}/issues/{n}/comments",
            get(list_comments).post(create_comment),
        )
        .route("/repos/{o}/{r}/issues/comments/{id}", patch(update_comment))
        .with_state(state.clone());
    let app = if prefix.is_empty() {
        api
    } else {
        Router::new().nest(prefix, api)
    };
    app.fallback(unexpected).with_state(state)
}
