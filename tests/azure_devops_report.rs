//! The Azure DevOps PR thread comment against a local stand-in shaped after the Git
//! "Pull Request Threads" REST API: opened once, edited in place, throttling waited out.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, patch};
use brickci::report::{Report, ReportStatus};
use common::*;
use serde_json::{Value, json};

const ADO_TOKEN: &str = "ado-access-token-secret-0042";

#[derive(Default)]
struct Data {
    log: Vec<(String, String, Value, Instant)>,
    threads: Vec<(u64, String)>,
    throttle_next: u32,
}
type Shared = Arc<Mutex<Data>>;

fn authorized(h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {ADO_TOKEN}"))
}

async fn threads(State(s): State<Shared>, uri: Uri, h: HeaderMap, body: Bytes) -> Response {
    let mut d = s.lock().unwrap();
    let method = if body.is_empty() { "GET" } else { "POST" };
    d.log.push((
        method.into(),
        uri.to_string(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        Instant::now(),
    ));
    if !authorized(&h) || uri.query() != Some("api-version=7.1") {
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
    let v: Value = serde_json::from_slice(&body).unwrap();
    let id = 100 + d.threads.len() as u64;
    d.threads.push((
        id,
        v["comments"][0]["content"].as_str().unwrap().to_string(),
    ));
    Json(json!({ "id": id, "comments": [{ "id": 1, "content": v["comments"][0]["content"] }] }))
        .into_response()
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
    if !authorized(&h) || comment != 1 {
        return StatusCode::BAD_REQUEST.into_response();
    }
    match d.threads.iter_mut().find(|(id, _)| *id == thread) {
        Some(t) => {
            t.1 = v["content"].as_str().unwrap_or_default().to_string();
            Json(json!({ "id": comment, "content": t.1 })).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[test]
fn pr_thread_opened_once_then_edited_with_throttling_honoured() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let data: Shared = Arc::new(Mutex::new(Data {
        throttle_next: 1,
        ..Data::default()
    }));
    let prefix = "/org/proj-id/_apis/git/repositories/repo-id/pullRequests/{pr}";
    let app = Router::new()
        .route(&format!("{prefix}/threads"), get(threads).post(threads))
        .route(
            &format!("{prefix}/threads/{{thread}}/comments/{{comment}}"),
            patch(edit),
        )
        .with_state(data.clone());
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        a
    });
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    let report = Report {
        key: "tests".into(),
        title: "brickci test".into(),
        status: ReportStatus::Success,
        target: None,
        commit: None,
        ci_run_url: None,
        plan: None,
        runs: vec![],
        tests: vec![],
    };
    std::fs::write(&saved, serde_json::to_string(&report).unwrap()).unwrap();
    let collection = format!("http://{addr}/org/");
    let temp = dir.path().to_str().unwrap().to_string();
    let env = [
        ("TF_BUILD", "True"),
        ("SYSTEM_COLLECTIONURI", collection.as_str()),
        ("SYSTEM_TEAMPROJECTID", "proj-id"),
        ("BUILD_REPOSITORY_ID", "repo-id"),
        ("BUILD_REPOSITORY_PROVIDER", "TfsGit"),
        ("SYSTEM_PULLREQUEST_PULLREQUESTID", "42"),
        ("SYSTEM_ACCESSTOKEN", ADO_TOKEN),
        ("AGENT_TEMPDIRECTORY", temp.as_str()),
    ];
    for _ in 0..2 {
        let out = brickci(&["report", saved.to_str().unwrap()], &env, dir.path());
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert_no_secrets(&out, &[ADO_TOKEN]);
    }
    let d = data.lock().unwrap();
    assert_eq!(d.threads.len(), 1, "one thread, never duplicated");
    let methods: Vec<&str> = d.log.iter().map(|(m, ..)| m.as_str()).collect();
    assert_eq!(
        methods,
        ["GET", "GET", "POST", "GET", "PATCH"],
        "{:?}",
        d.log
    );
    assert!(
        d.log[1].3 - d.log[0].3 >= std::time::Duration::from_secs(1),
        "waited as Retry-After said"
    );
    assert!(
        d.log[2].2["comments"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("<!-- brickci:report:tests -->")
    );
    assert!(d.log[2].1.contains("/pullRequests/42/threads"));
}
