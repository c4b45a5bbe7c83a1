//! A stand-in for Azure DevOps' Git "Pull Request Threads" API (api-version 7.1) on
//! 127.0.0.1: lists, opens and edits threads, records every request, and can answer 429 with
//! `Retry-After` to check throttling is honoured.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};

pub struct Data {
    /// The access token the stand-in accepts (as a bearer token).
    pub token: String,
    /// (method, uri, JSON body, when)
    pub log: Vec<(String, String, Value, Instant)>,
    /// (thread id, its first comment's content)
    pub threads: Vec<(u64, String)>,
    /// Answer this many requests with 429 first.
    pub throttle_next: u32,
}

impl Data {
    pub fn new(token: &str) -> Data {
        Data {
            token: token.into(),
            log: Vec::new(),
            threads: Vec::new(),
            throttle_next: 0,
        }
    }
}

pub type Shared = Arc<Mutex<Data>>;

/// Azure DevOps refuses a longer comment with 400.
const COMMENT_LIMIT: usize = 150_000;

fn too_long(content: &Value) -> Option<Response> {
    (content.as_str().map_or(0, |c| c.chars().count()) > COMMENT_LIMIT).then(|| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "message": "A discussion comment cannot be longer than 150000 characters.\r\nParameter name: comment.Content" })),
        )
            .into_response()
    })
}

/// The threads routes under `/org/proj-id/_apis/git/repositories/repo-id/pullRequests/{pr}`.
pub fn router(data: Shared) -> Router {
    let prefix = "/org/proj-id/_apis/git/repositories/repo-id/pullRequests/{pr}";
    Router::new()
        .route(&format!("{prefix}/threads"), get(threads).post(threads))
        .route(
            &format!("{prefix}/threads/{{thread}}/comments/{{comment}}"),
            patch(edit),
        )
        .with_state(data)
}

fn authorized(d: &Data, h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {}", d.token))
}

async fn threads(State(s): State<Shared>, uri: Uri, h: HeaderMap, body: Bytes) -> Response {
    let mut d = s.lock().unwrap();
    let method = if body.is_empty() { "GET" } else { "POST" };
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    d.log
        .push((method.into(), uri.to_string(), v.clone(), Instant::now()));
    if !authorized(&d, &h) || uri.query() != Some("api-version=7.1") {
        return (StatusCode::UNAUTHORIZED, "unauthorized").into_response();
    }
    if d.throttle_next > 0 {
        d.throttle_next -= 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    if method == "GET" {
        let value: Vec<Value> = d
            .threads
            .iter()
            .map(|(id, c)| json!({ "id": id, "comments": [{ "id": 1, "content": c }] }))
            .collect();
        return Json(json!({ "value": value, "count": value.len() })).into_response();
    }
    if let Some(refused) = too_long(&v["comments"][0]["content"]) {
        return refused;
    }
    let id = 100 + d.threads.len() as u64;
    let content = v["comments"][0]["content"].as_str().unwrap().to_string();
    d.threads.push((id, content.clone()));
    Json(json!({ "id": id, "comments": [{ "id": 1, "content": content }] })).into_response()
}

async fn edit(
    State(s): State<Shared>,
    Path((_pr, thread, comment)): Path<(u64, u64, u64)>,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let mut d = s.lock().unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    d.log
        .push(("PATCH".into(), uri.to_string(), v.clone(), Instant::now()));
    if !authorized(&d, &h) || comment != 1 {
        return StatusCode::BAD_REQUEST.into_response();
    }
    if let Some(refused) = too_long(&v["content"]) {
        return refused;
    }
    match d.threads.iter_mut().find(|(id, _)| *id == thread) {
        Some(t) => {
            t.1 = v["content"].as_str().unwrap_or_default().to_string();
            Json(json!({ "id": comment, "content": t.1 })).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
