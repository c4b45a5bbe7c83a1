//! A stand-in for the GitHub REST API on 127.0.0.1, shaped after GitHub's OpenAPI
//! description: check runs, issue comments, and the Actions endpoints a trigger uses
//! (dispatches in both answer forms, runs, GitHub App installation tokens with the JWT
//! checked). Every request is recorded with the path template it matched; anything else is
//! answered 404 and recorded as unexpected.

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
    #[allow(dead_code)] // read by the trigger tests only
    pub api_version: Option<String>,
    #[allow(dead_code)]
    pub query: Option<String>,
}

#[derive(Default)]
pub struct Data {
    pub requests: Vec<Recorded>,
    pub comments: Vec<(u64, String)>,
    /// Answer check run requests 403, as for a token without `checks: write`.
    pub refuse_checks: bool,
    next_id: u64,
    /// Actions: the repository's workflows, the runs dispatches started, and how to answer.
    pub actions: actions::Actions,
    /// Pull requests by number and their `state` (open, closed); others are 404.
    pub pulls: std::collections::BTreeMap<u64, String>,
    /// Answer pull request reads 403, as for a token without `pull-requests: read`.
    pub refuse_pulls: bool,
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
    record_query(s, method, template, path, None, headers, body)
}

fn record_query(
    s: &Shared,
    method: &str,
    template: Option<&str>,
    path: &str,
    query: Option<&str>,
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
        api_version: headers
            .get("x-github-api-version")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        query: query.map(str::to_string),
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

/// A pull request: its number and state, as `GET /repos/{owner}/{repo}/pulls/{n}` has them.
async fn get_pull(
    State(s): State<Shared>,
    Path((o, r, n)): Path<(String, String, u64)>,
    h: HeaderMap,
) -> Response {
    record(
        &s,
        "GET",
        Some("/repos/{owner}/{repo}/pulls/{pull_number}"),
        &format!("/repos/{o}/{r}/pulls/{n}"),
        &h,
        b"",
    );
    if s.lock().unwrap().refuse_pulls {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest" })),
        )
            .into_response();
    }
    let state = s.lock().unwrap().pulls.get(&n).cloned();
    match state {
        Some(state) => Json(json!({ "number": n, "state": state, "merged": false })).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" })),
        )
            .into_response(),
    }
}

/// The stand-in serving on 127.0.0.1 from a runtime of its own, kept alive with it.
#[allow(dead_code)] // not every test file starts it this way
pub struct Running {
    /// Base URL, prefix included.
    pub url: String,
    _rt: tokio::runtime::Runtime,
}

/// Serves `router(state, prefix)` on a free local port.
#[allow(dead_code)]
pub fn start(state: Shared, prefix: &str) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let app = router(state, prefix);
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    });
    Running {
        url: format!("http://{addr}{prefix}"),
        _rt: rt,
    }
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
        .route("/repos/{o}/{r}/pulls/{n}", get(get_pull))
        .merge(actions::routes())
        .with_state(state.clone());
    let app = if prefix.is_empty() {
        api
    } else {
        Router::new().nest(prefix, api)
    };
    app.fallback(unexpected).with_state(state)
}

/// GitHub Actions: workflow and repository dispatches, runs, App installation tokens.
pub mod actions {
    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{Path, RawQuery, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Json, Response};
    use axum::routing::{get, post};
    use serde_json::{Value, json};

    use super::{Shared, record_query};

    pub const INSTALLATION_ID: u64 = 4242;
    const API_VERSIONS: &[&str] = &["2022-11-28", "2026-03-10"];

    /// A workflow with `on: workflow_dispatch` and the inputs it declares. Its
    /// `run-name:` is "Deploy ${{ inputs.<run_name_input> }}" when that is set.
    #[derive(Clone, Default)]
    pub struct Workflow {
        pub file: String,
        pub id: u64,
        pub inputs: Vec<String>,
        pub run_name_input: Option<String>,
    }

    #[derive(Clone, Debug)]
    pub struct Run {
        pub id: u64,
        pub workflow_id: Option<u64>,
        pub event: String,
        pub display_title: String,
        /// Each GET moves it on: queued, in_progress, completed.
        pub polls: u32,
    }

    /// The GitHub App whose JWTs are accepted: its id and public key (JWK n, e).
    #[derive(Clone, Default)]
    pub struct App {
        pub id: String,
        pub n: String,
        pub e: String,
    }

    #[derive(Default)]
    pub struct Actions {
        pub workflows: Vec<Workflow>,
        pub runs: Vec<Run>,
        /// Bearer tokens accepted on the Actions endpoints (empty: any).
        pub tokens: Vec<String>,
        /// An older server: dispatches are always answered 204, whatever was asked.
        pub only_204: bool,
        /// Record and act on the first dispatch, then drop the connection without answering.
        pub drop_first_dispatch: bool,
        /// Answer the first dispatch with this status (e.g. 502) without starting a run.
        pub fail_first_dispatch: Option<u16>,
        /// A server that refuses `return_run_details` as an unknown key (422).
        pub refuse_return_run_details: bool,
        /// A server that knows only API version 2022-11-28.
        pub only_2022_11_28: bool,
        /// Answer the first run GET 429 with `Retry-After: 1`.
        pub throttle_first_get: bool,
        /// The conclusion of completed runs ("success" when empty).
        pub conclusion: String,
        pub app: Option<App>,
        /// The claims of every App JWT that passed the checks.
        pub jwt_claims: Vec<Value>,
        dispatches: u32,
    }

    pub fn installation_token() -> String {
        // ~520 characters like GitHub's current installation tokens.
        let mut t = String::from("ghs_");
        while t.len() < 520 {
            t.push_str("TrigInstTok0x5f3759df");
        }
        t.truncate(520);
        t
    }

    fn message(status: StatusCode, msg: &str) -> Response {
        (
            status,
            Json(json!({ "message": msg, "documentation_url": "https://docs.github.com/rest" })),
        )
            .into_response()
    }

    fn bearer(h: &HeaderMap) -> Option<String> {
        h.get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string)
    }

    /// The API version header must be one GitHub knows; the token must be accepted.
    fn gate(s: &Shared, h: &HeaderMap) -> Option<Response> {
        let old = s.lock().unwrap().actions.only_2022_11_28;
        if let Some(v) = h.get("x-github-api-version").and_then(|v| v.to_str().ok())
            && (!API_VERSIONS.contains(&v) || (old && v != "2022-11-28"))
        {
            return Some(message(
                StatusCode::BAD_REQUEST,
                &format!("Unsupported 'X-GitHub-Api-Version' header '{v}'"),
            ));
        }
        let d = s.lock().unwrap();
        let ok =
            d.actions.tokens.is_empty() || bearer(h).is_some_and(|t| d.actions.tokens.contains(&t));
        (!ok).then(|| message(StatusCode::UNAUTHORIZED, "Bad credentials"))
    }

    fn run_json(r: &Run, repo: &str, conclusion: &str) -> Value {
        let (status, concl) = match r.polls {
            0 | 1 => ("queued", Value::Null),
            2 => ("in_progress", Value::Null),
            _ => ("completed", json!(conclusion)),
        };
        json!({
            "id": r.id, "name": "Deploy", "display_title": r.display_title, "event": r.event,
            "workflow_id": r.workflow_id, "status": status, "conclusion": concl,
            "html_url": format!("https://github.com/{repo}/actions/runs/{}", r.id),
            "url": format!("https://api.github.com/repos/{repo}/actions/runs/{}", r.id),
            "created_at": "2026-12-03T16:00:00Z",
        })
    }

    async fn dispatch_workflow(
        State(s): State<Shared>,
        Path((o, r, w)): Path<(String, String, String)>,
        h: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = format!("/repos/{o}/{r}/actions/workflows/{w}/dispatches");
        let template = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
        record_query(&s, "POST", Some(template), &path, None, &h, &body);
        if let Some(refused) = gate(&s, &h) {
            return refused;
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut d = s.lock().unwrap();
        if let Some(status) = d.actions.fail_first_dispatch.take() {
            d.actions.dispatches += 1;
            return message(StatusCode::from_u16(status).unwrap(), "Server Error");
        }
        if d.actions.refuse_return_run_details && v.get("return_run_details").is_some() {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request.\n\n\"return_run_details\" is not a permitted key.",
            );
        }
        let Some(wf) = d
            .actions
            .workflows
            .iter()
            .find(|x| x.file == w || x.id.to_string() == w)
            .cloned()
        else {
            return message(StatusCode::NOT_FOUND, "Not Found");
        };
        let inputs = v["inputs"].as_object().cloned().unwrap_or_default();
        let unexpected: Vec<&String> = inputs.keys().filter(|k| !wf.inputs.contains(k)).collect();
        if !unexpected.is_empty() {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Unexpected inputs provided: {unexpected:?}"),
            );
        }
        d.next_id += 1;
        let id = 7_000_000 + d.next_id;
        let title = match &wf.run_name_input {
            Some(k) => format!(
                "Deploy {}",
                inputs.get(k).and_then(|v| v.as_str()).unwrap_or("")
            ),
            None => "Deploy".to_string(),
        };
        d.actions.runs.push(Run {
            id,
            workflow_id: Some(wf.id),
            event: "workflow_dispatch".into(),
            display_title: title,
            polls: 0,
        });
        d.actions.dispatches += 1;
        if d.actions.drop_first_dispatch && d.actions.dispatches == 1 {
            drop(d);
            // The run exists, the answer never arrives: the connection is cut.
            panic!("stand-in: dropping the connection after the first dispatch (intended)");
        }
        let version = h.get("x-github-api-version").and_then(|v| v.to_str().ok());
        let details = version == Some("2026-03-10") || v["return_run_details"] == json!(true);
        if d.actions.only_204 || !details {
            return StatusCode::NO_CONTENT.into_response();
        }
        Json(json!({
            "workflow_run_id": id,
            "run_url": format!("https://api.github.com/repos/{o}/{r}/actions/runs/{id}"),
            "html_url": format!("https://github.com/{o}/{r}/actions/runs/{id}"),
        }))
        .into_response()
    }

    async fn repository_dispatch(
        State(s): State<Shared>,
        Path((o, r)): Path<(String, String)>,
        h: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = format!("/repos/{o}/{r}/dispatches");
        record_query(
            &s,
            "POST",
            Some("/repos/{owner}/{repo}/dispatches"),
            &path,
            None,
            &h,
            &body,
        );
        if let Some(refused) = gate(&s, &h) {
            return refused;
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut d = s.lock().unwrap();
        d.next_id += 1;
        let id = 8_000_000 + d.next_id;
        // The receiving workflow's run-name: "${{ github.event.client_payload.brickci_correlation_id }}".
        let title = v["client_payload"]["brickci_correlation_id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        d.actions.runs.push(Run {
            id,
            workflow_id: None,
            event: "repository_dispatch".into(),
            display_title: title,
            polls: 0,
        });
        StatusCode::NO_CONTENT.into_response()
    }

    async fn list_runs(
        s: Shared,
        repo: String,
        path: String,
        template: &str,
        workflow: Option<String>,
        query: Option<String>,
        h: HeaderMap,
    ) -> Response {
        record_query(&s, "GET", Some(template), &path, query.as_deref(), &h, b"");
        if let Some(refused) = gate(&s, &h) {
            return refused;
        }
        let q: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let event = q.iter().find(|(k, _)| k == "event").map(|(_, v)| v.clone());
        let d = s.lock().unwrap();
        let wf_id = workflow.and_then(|w| {
            d.actions
                .workflows
                .iter()
                .find(|x| x.file == w || x.id.to_string() == w)
                .map(|x| x.id)
        });
        let runs: Vec<Value> = d
            .actions
            .runs
            .iter()
            .filter(|r| wf_id.is_none() || r.workflow_id == wf_id)
            .filter(|r| event.as_deref().is_none_or(|e| e == r.event))
            .map(|r| run_json(r, &repo, &d.actions.conclusion))
            .collect();
        Json(json!({ "total_count": runs.len(), "workflow_runs": runs })).into_response()
    }

    async fn workflow_runs(
        State(s): State<Shared>,
        Path((o, r, w)): Path<(String, String, String)>,
        RawQuery(q): RawQuery,
        h: HeaderMap,
    ) -> Response {
        let path = format!("/repos/{o}/{r}/actions/workflows/{w}/runs");
        let t = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs";
        list_runs(s, format!("{o}/{r}"), path, t, Some(w), q, h).await
    }

    async fn repo_runs(
        State(s): State<Shared>,
        Path((o, r)): Path<(String, String)>,
        RawQuery(q): RawQuery,
        h: HeaderMap,
    ) -> Response {
        let path = format!("/repos/{o}/{r}/actions/runs");
        list_runs(
            s,
            format!("{o}/{r}"),
            path,
            "/repos/{owner}/{repo}/actions/runs",
            None,
            q,
            h,
        )
        .await
    }

    async fn get_run(
        State(s): State<Shared>,
        Path((o, r, id)): Path<(String, String, u64)>,
        h: HeaderMap,
    ) -> Response {
        let path = format!("/repos/{o}/{r}/actions/runs/{id}");
        record_query(
            &s,
            "GET",
            Some("/repos/{owner}/{repo}/actions/runs/{run_id}"),
            &path,
            None,
            &h,
            b"",
        );
        if let Some(refused) = gate(&s, &h) {
            return refused;
        }
        let mut d = s.lock().unwrap();
        if std::mem::take(&mut d.actions.throttle_first_get) {
            let mut r = message(StatusCode::TOO_MANY_REQUESTS, "API rate limit exceeded");
            r.headers_mut().insert("retry-after", "1".parse().unwrap());
            return r;
        }
        let conclusion = match d.actions.conclusion.as_str() {
            "" => "success".to_string(),
            c => c.to_string(),
        };
        match d.actions.runs.iter_mut().find(|x| x.id == id) {
            Some(run) => {
                run.polls += 1;
                Json(run_json(run, &format!("{o}/{r}"), &conclusion)).into_response()
            }
            None => message(StatusCode::NOT_FOUND, "Not Found"),
        }
    }

    /// The App JWT: RS256 signature by the App's key, `iss` the App id, issued in the past,
    /// expiring in the future and at most 10 minutes after it was issued.
    fn check_jwt(s: &Shared, h: &HeaderMap) -> Result<(), Response> {
        let refuse = |why: &str| {
            message(
                StatusCode::UNAUTHORIZED,
                &format!("A JSON web token could not be decoded: {why}"),
            )
        };
        let Some(app) = s.lock().unwrap().actions.app.clone() else {
            return Err(refuse("no App configured"));
        };
        let token = bearer(h).ok_or_else(|| refuse("no bearer token"))?;
        let key = jsonwebtoken::DecodingKey::from_rsa_components(&app.n, &app.e)
            .map_err(|e| refuse(&e.to_string()))?;
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_issuer(&[app.id.as_str()]);
        v.set_required_spec_claims(&["exp", "iat", "iss"]);
        v.leeway = 0;
        let data =
            jsonwebtoken::decode::<Value>(&token, &key, &v).map_err(|e| refuse(&e.to_string()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let (iat, exp) = (
            data.claims["iat"].as_u64().unwrap_or(u64::MAX),
            data.claims["exp"].as_u64().unwrap_or(0),
        );
        if iat > now || exp <= now || exp - iat > 600 {
            return Err(refuse(
                "'Expiration time' claim ('exp') is too far in the future",
            ));
        }
        s.lock().unwrap().actions.jwt_claims.push(data.claims);
        Ok(())
    }

    async fn repo_installation(
        State(s): State<Shared>,
        Path((o, r)): Path<(String, String)>,
        h: HeaderMap,
    ) -> Response {
        let path = format!("/repos/{o}/{r}/installation");
        record_query(
            &s,
            "GET",
            Some("/repos/{owner}/{repo}/installation"),
            &path,
            None,
            &h,
            b"",
        );
        if let Err(refused) = check_jwt(&s, &h) {
            return refused;
        }
        Json(json!({ "id": INSTALLATION_ID, "account": { "login": o } })).into_response()
    }

    async fn access_token(
        State(s): State<Shared>,
        Path(id): Path<u64>,
        h: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = format!("/app/installations/{id}/access_tokens");
        let t = "/app/installations/{installation_id}/access_tokens";
        record_query(&s, "POST", Some(t), &path, None, &h, &body);
        if let Err(refused) = check_jwt(&s, &h) {
            return refused;
        }
        if id != INSTALLATION_ID {
            return message(StatusCode::NOT_FOUND, "Not Found");
        }
        let token = installation_token();
        s.lock().unwrap().actions.tokens.push(token.clone());
        (
            StatusCode::CREATED,
            Json(json!({ "token": token, "expires_at": "2026-12-03T17:00:00Z" })),
        )
            .into_response()
    }

    pub fn routes() -> Router<Shared> {
        Router::new()
            .route(
                "/repos/{o}/{r}/actions/workflows/{w}/dispatches",
                post(dispatch_workflow),
            )
            .route(
                "/repos/{o}/{r}/actions/workflows/{w}/runs",
                get(workflow_runs),
            )
            .route("/repos/{o}/{r}/actions/runs", get(repo_runs))
            .route("/repos/{o}/{r}/actions/runs/{id}", get(get_run))
            .route("/repos/{o}/{r}/dispatches", post(repository_dispatch))
            .route("/repos/{o}/{r}/installation", get(repo_installation))
            .route("/app/installations/{id}/access_tokens", post(access_token))
    }
}
