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
    /// Pull requests by id and their `status` (active, completed, abandoned); others are 404.
    pub pull_status: std::collections::BTreeMap<u64, String>,
}

impl Data {
    pub fn new(token: &str) -> Data {
        Data {
            token: token.into(),
            log: Vec::new(),
            threads: Vec::new(),
            throttle_next: 0,
            pull_status: Default::default(),
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
        .route(
            "/org/proj-id/_apis/git/repositories/repo-id/pullrequests/{pr}",
            get(pull_request),
        )
        .with_state(data)
}

/// A pull request's `status`, as "Pull Requests - Get Pull Request By Id" has it.
async fn pull_request(
    State(s): State<Shared>,
    Path(pr): Path<u64>,
    uri: Uri,
    h: HeaderMap,
) -> Response {
    let mut d = s.lock().unwrap();
    d.log
        .push(("GET".into(), uri.to_string(), Value::Null, Instant::now()));
    if !authorized(&d, &h) || uri.query() != Some("api-version=7.1") {
        return (StatusCode::UNAUTHORIZED, "unauthorized").into_response();
    }
    match d.pull_status.get(&pr) {
        Some(status) => Json(json!({ "pullRequestId": pr, "status": status })).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": format!("TF401180: The requested pull request was not found.") })),
        )
            .into_response(),
    }
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

// ---- Pipelines and Runs (api-version 7.1), for `brickci trigger azure-devops` ----
//
// Shaped after the REST reference: Pipelines - List (paged: `x-ms-continuationtoken` header,
// `continuationToken` query), Runs - Run Pipeline, Runs - List, Runs - Get. Error bodies carry
// the fields the service sends (`$id`, `innerException`, `message`, `typeName`, `typeKey`,
// `errorCode`, `eventId`).

/// What the next Runs - Run Pipeline answers instead of queueing normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFault {
    None,
    /// 403: the identity lacks "Queue builds".
    Forbidden,
    /// Queues the run, then answers 503 as if the answer was lost.
    LoseAnswer,
    /// Answers 503 without queueing anything.
    Unavailable,
}

pub struct Pipelines {
    pub token: String,
    /// A personal access token accepted by basic authentication.
    pub pat: String,
    /// (id, name, folder)
    pub pipelines: Vec<(u64, String, String)>,
    /// Pipelines - List pages of this size.
    pub page: usize,
    /// Variables the pipeline lets users set at queue time.
    pub settable: Vec<String>,
    /// (pipeline id, run id, polls left before completion)
    pub runs: Vec<(u64, u64, u32)>,
    /// The result a run ends with.
    pub result: String,
    /// Runs - Get answers inProgress this many times before completed.
    pub polls: u32,
    pub fault: QueueFault,
    /// (method, path and query, JSON body)
    pub log: Vec<(String, String, Value)>,
}

impl Pipelines {
    pub fn new(token: &str, pat: &str) -> Pipelines {
        Pipelines {
            token: token.into(),
            pat: pat.into(),
            pipelines: Vec::new(),
            page: 100,
            settable: Vec::new(),
            runs: Vec::new(),
            result: "succeeded".into(),
            polls: 1,
            fault: QueueFault::None,
            log: Vec::new(),
        }
    }
}

pub type SharedPipelines = Arc<Mutex<Pipelines>>;

fn ado_error(status: StatusCode, type_key: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "$id": "1",
            "innerException": null,
            "message": message,
            "typeName": format!("Microsoft.Azure.Pipelines.WebApi.{type_key}, Microsoft.Azure.Pipelines.WebApi"),
            "typeKey": type_key,
            "errorCode": 0,
            "eventId": 3000
        })),
    )
        .into_response()
}

fn run_json(
    org: &str,
    project: &str,
    pipeline: u64,
    id: u64,
    polls_left: u32,
    result: &str,
) -> Value {
    let created = brickci::util::rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .replace('Z', ".1234567Z");
    let mut run = json!({
        "_links": { "web": { "href": format!("{org}/{project}/_build/results?buildId={id}") } },
        "pipeline": { "id": pipeline },
        "state": "inProgress",
        "createdDate": created,
        "url": format!("{org}/{project}/_apis/pipelines/{pipeline}/runs/{id}"),
        "id": id,
        "name": format!("20261203.{id}")
    });
    if polls_left == 0 {
        run["state"] = json!("completed");
        run["result"] = json!(result);
    }
    run
}

/// The routes under `/org/{project}/_apis/pipelines`.
pub fn pipelines_router(data: SharedPipelines) -> Router {
    Router::new()
        .route("/org/{project}/_apis/pipelines", get(list_pipelines))
        .route(
            "/org/{project}/_apis/pipelines/{id}/runs",
            get(list_runs).post(queue_run),
        )
        .route(
            "/org/{project}/_apis/pipelines/{id}/runs/{run}",
            get(get_run),
        )
        .with_state(data)
}

fn accepted(d: &Pipelines, h: &HeaderMap) -> bool {
    use base64::Engine;
    let got = h.get("authorization").and_then(|v| v.to_str().ok());
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{}", d.pat));
    got == Some(&format!("Bearer {}", d.token)) || got == Some(&format!("Basic {basic}"))
}

fn check(
    d: &mut Pipelines,
    method: &str,
    uri: &Uri,
    h: &HeaderMap,
    body: Value,
) -> Option<Response> {
    d.log.push((method.into(), uri.to_string(), body));
    if !accepted(d, h) {
        return Some((StatusCode::UNAUTHORIZED, "<html>Access denied</html>").into_response());
    }
    let version_ok = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "api-version=7.1"));
    (!version_ok).then(|| {
        ado_error(
            StatusCode::BAD_REQUEST,
            "VssVersionOutOfRangeException",
            "The requested REST API version is out of range.",
        )
    })
}

async fn list_pipelines(
    State(s): State<SharedPipelines>,
    Path(_project): Path<String>,
    uri: Uri,
    h: HeaderMap,
) -> Response {
    let mut d = s.lock().unwrap();
    if let Some(r) = check(&mut d, "GET", &uri, &h, Value::Null) {
        return r;
    }
    let start: usize = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|p| p.strip_prefix("continuationToken="))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let page: Vec<Value> = d
        .pipelines
        .iter()
        .skip(start)
        .take(d.page)
        .map(
            |(id, name, folder)| json!({ "id": id, "name": name, "folder": folder, "revision": 1 }),
        )
        .collect();
    let next = start + page.len();
    let mut resp = Json(json!({ "count": page.len(), "value": page })).into_response();
    if next < d.pipelines.len() {
        resp.headers_mut()
            .insert("x-ms-continuationtoken", next.to_string().parse().unwrap());
    }
    resp
}

async fn queue_run(
    State(s): State<SharedPipelines>,
    Path((project, id)): Path<(String, u64)>,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let mut d = s.lock().unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(r) = check(&mut d, "POST", &uri, &h, v.clone()) {
        return r;
    }
    let Some((_, name, _)) = d.pipelines.iter().find(|p| p.0 == id).cloned() else {
        return ado_error(
            StatusCode::NOT_FOUND,
            "PipelineNotFoundException",
            &format!("Pipeline with id {id} not found."),
        );
    };
    if d.fault == QueueFault::Forbidden {
        d.fault = QueueFault::None;
        return ado_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            &format!(
                "TF215106: Access denied. {project} Build Service (org) needs Queue builds permissions for build pipeline {name} in team project {project} to perform the action."
            ),
        );
    }
    if d.fault == QueueFault::Unavailable {
        d.fault = QueueFault::None;
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    }
    if let Some(vars) = v["variables"].as_object() {
        let refused: Vec<&String> = vars.keys().filter(|k| !d.settable.contains(k)).collect();
        if !refused.is_empty() {
            let names: Vec<&str> = refused.iter().map(|k| k.as_str()).collect();
            return ado_error(
                StatusCode::BAD_REQUEST,
                "PipelineValidationException",
                &format!(
                    "Unable to queue the run: the variables {} are not settable at queue time.",
                    names.join(", ")
                ),
            );
        }
    }
    let run_id = 1000 + d.runs.len() as u64;
    let polls = d.polls;
    d.runs.push((id, run_id, polls));
    if d.fault == QueueFault::LoseAnswer {
        d.fault = QueueFault::None;
        return (StatusCode::SERVICE_UNAVAILABLE, "upstream reset").into_response();
    }
    let org = format!(
        "http://{}/org",
        h.get("host").and_then(|v| v.to_str().ok()).unwrap_or("")
    );
    Json(run_json(&org, &project, id, run_id, polls, &d.result)).into_response()
}

async fn list_runs(
    State(s): State<SharedPipelines>,
    Path((project, id)): Path<(String, u64)>,
    uri: Uri,
    h: HeaderMap,
) -> Response {
    let mut d = s.lock().unwrap();
    if let Some(r) = check(&mut d, "GET", &uri, &h, Value::Null) {
        return r;
    }
    let org = format!(
        "http://{}/org",
        h.get("host").and_then(|v| v.to_str().ok()).unwrap_or("")
    );
    let value: Vec<Value> = d
        .runs
        .iter()
        .rev()
        .filter(|r| r.0 == id)
        .map(|r| run_json(&org, &project, id, r.1, r.2, &d.result))
        .collect();
    Json(json!({ "count": value.len(), "value": value })).into_response()
}

async fn get_run(
    State(s): State<SharedPipelines>,
    Path((project, id, run)): Path<(String, u64, u64)>,
    uri: Uri,
    h: HeaderMap,
) -> Response {
    let mut d = s.lock().unwrap();
    if let Some(r) = check(&mut d, "GET", &uri, &h, Value::Null) {
        return r;
    }
    let org = format!(
        "http://{}/org",
        h.get("host").and_then(|v| v.to_str().ok()).unwrap_or("")
    );
    let result = d.result.clone();
    match d.runs.iter_mut().find(|r| r.0 == id && r.1 == run) {
        Some(r) => {
            r.2 = r.2.saturating_sub(1);
            Json(run_json(&org, &project, id, r.1, r.2, &result)).into_response()
        }
        None => ado_error(
            StatusCode::NOT_FOUND,
            "PipelineRunNotFoundException",
            &format!("Run {run} not found."),
        ),
    }
}
