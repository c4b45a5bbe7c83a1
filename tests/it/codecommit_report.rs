//! The CodeCommit pull request comment against a stand-in shaped after botocore's CodeCommit
//! service model (awsJson1_1): moto does not implement the pull-request APIs.

use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use brickci::report::{Report, ReportStatus};
use serde_json::{Value, json};

type Log = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

async fn codecommit(State(log): State<Log>, headers: HeaderMap, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    log.lock().unwrap().push((headers.clone(), v.clone()));
    let target = headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .unwrap_or("");
    if target != "CodeCommit_20150413.PostCommentForPullRequest" {
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.1")],
            json!({ "__type": "UnknownOperationException" }).to_string(),
        )
            .into_response();
    }
    // Required members per the model: pullRequestId, repositoryName, beforeCommitId, afterCommitId, content.
    for field in [
        "pullRequestId",
        "repositoryName",
        "beforeCommitId",
        "afterCommitId",
        "content",
    ] {
        if !v[field].is_string() {
            return (StatusCode::BAD_REQUEST, [("content-type", "application/x-amz-json-1.1")], json!({ "__type": "ValidationException", "message": format!("{field} is required") }).to_string()).into_response();
        }
    }
    if v["pullRequestId"] == "404" {
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.1")],
            json!({ "__type": "PullRequestDoesNotExistException", "message": "The specified pull request does not exist." }).to_string(),
        )
            .into_response();
    }
    let out = json!({
        "repositoryName": v["repositoryName"],
        "pullRequestId": v["pullRequestId"],
        "beforeCommitId": v["beforeCommitId"],
        "afterCommitId": v["afterCommitId"],
        "comment": { "commentId": "c-123", "content": v["content"], "clientRequestToken": v["clientRequestToken"], "deleted": false },
    });
    (
        [("content-type", "application/x-amz-json-1.1")],
        out.to_string(),
    )
        .into_response()
}

#[test]
fn pull_request_comment_posted_with_sigv4_and_model_fields() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let log: Log = Arc::default();
    let app = Router::new()
        .route("/", post(codecommit))
        .with_state(log.clone());
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
        target: Some("qa".into()),
        commit: None,
        ci_run_url: None,
        plan: None,
        runs: vec![],
        tests: vec![],
    };
    std::fs::write(&saved, serde_json::to_string(&report).unwrap()).unwrap();
    let endpoint = format!("http://{addr}");
    let run = |pr: &str| {
        brickci(
            &[
                "report",
                saved.to_str().unwrap(),
                "--codecommit-repository",
                "lakehouse",
                "--codecommit-pr-id",
                pr,
                "--codecommit-before-commit",
                "1111111111111111111111111111111111111111",
                "--codecommit-after-commit",
                "2222222222222222222222222222222222222222",
            ],
            &[
                ("CODEBUILD_BUILD_ID", "lakehouse-ci:0b1c"),
                ("CODEBUILD_SRC_DIR", dir.path().to_str().unwrap()),
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ACCESS_KEY_ID", "AKIATESTTESTTEST"),
                ("AWS_SECRET_ACCESS_KEY", "test-secret-key-not-real"),
                ("BRICKCI_AWS_ENDPOINT_URL", &endpoint),
            ],
            dir.path(),
        )
    };
    let out = run("17");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("comment c-123 posted"),
        "{}",
        text(&out)
    );
    assert_no_secrets(&out, &["test-secret-key-not-real"]);
    {
        let log = log.lock().unwrap();
        let (headers, body) = &log[0];
        assert!(
            headers["authorization"]
                .to_str()
                .unwrap()
                .starts_with("AWS4-HMAC-SHA256 Credential=AKIATESTTESTTEST/"),
            "SigV4 signed"
        );
        assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
        assert_eq!(body["repositoryName"], "lakehouse");
        assert_eq!(body["pullRequestId"], "17");
        assert!(
            body["content"]
                .as_str()
                .unwrap()
                .starts_with("<!-- brickci:report:tests -->")
        );
        assert!(
            body["clientRequestToken"]
                .as_str()
                .unwrap()
                .starts_with("brickci-")
        );
    }
    // CodeBuild also gets the JUnit report file where its report group looks.
    assert!(dir.path().join("brickci-junit.xml").exists());
    // Posting happens after the tests ran: a refused comment is a warning, the verdict stays.
    let out = run("404");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("warning"), "{}", text(&out));
    assert!(
        text(&out).contains("PullRequestDoesNotExistException"),
        "{}",
        text(&out)
    );
}
