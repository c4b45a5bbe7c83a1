//! Reports posted to GitHub (a local stand-in): a check run with annotations in batches,
//! a sticky PR comment edited in place, GHES base URLs; every request body validated against
//! GitHub's published OpenAPI description.

use crate::support::github_standin;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::*;
use brickci::report::{Report, ReportStatus};
use brickci::testing::{ResultFormat, SourceLocation, TestCase, TestStatus, TestSuite};
use github_standin::{Data, Recorded};

const GH_TOKEN: &str = "ghs_testtoken0123456789abcdef";

struct StandIn {
    data: github_standin::Shared,
    url: String,
    _rt: tokio::runtime::Runtime,
}

fn standin(prefix: &str) -> StandIn {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let data: github_standin::Shared = Arc::new(Mutex::new(Data::default()));
    let app = github_standin::router(data.clone(), prefix);
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    });
    StandIn {
        data,
        url: format!("http://{addr}{prefix}"),
        _rt: rt,
    }
}

fn report(failures: u32) -> Report {
    let cases = (1..=failures)
        .map(|i| TestCase {
            failed_attempts: Vec::new(),
            name: format!("t{i}"),
            classname: Some("tests/test_big".into()),
            status: TestStatus::Failed,
            duration_ms: Some(5),
            message: Some(format!("AssertionError: case {i}")),
            trace: None,
            location: Some(SourceLocation {
                file: "tests/test_big.py".into(),
                line: i,
            }),
        })
        .chain(std::iter::once(TestCase {
            failed_attempts: Vec::new(),
            name: "ok".into(),
            classname: None,
            status: TestStatus::Passed,
            duration_ms: Some(1),
            message: None,
            trace: None,
            location: None,
        }))
        .collect();
    Report {
        key: "tests".into(),
        title: "brickci test".into(),
        status: ReportStatus::Failure,
        target: Some("qa".into()),
        commit: Some("abc123".into()),
        ci_run_url: None,
        plan: None,
        runs: vec![],
        tests: vec![TestSuite {
            name: "tests/test_big".into(),
            format: ResultFormat::Json,
            cases,
        }],
    }
}

fn run_report(s: &StandIn, dir: &std::path::Path, saved: &std::path::Path) -> std::process::Output {
    let event = dir.join("event.json");
    std::fs::write(
        &event,
        r#"{"number": 7, "pull_request": {"number": 7, "head": {"sha": "headsha7777"}}}"#,
    )
    .unwrap();
    brickci(
        &["report", saved.to_str().unwrap()],
        &[
            ("GITHUB_ACTIONS", "true"),
            // A secret reference, resolved before use and masked.
            ("GITHUB_TOKEN", "env:GH_BOT_TOKEN"),
            ("GH_BOT_TOKEN", GH_TOKEN),
            ("GITHUB_API_URL", &s.url),
            ("GITHUB_REPOSITORY", "acme/lakehouse"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ("GITHUB_REF", "refs/pull/7/merge"),
            ("GITHUB_SHA", "mergesha"),
        ],
        dir,
    )
}

fn validate_against_openapi(requests: &[Recorded]) {
    let Some(python) = venv_python() else { return };
    let spec = repo()
        .join(".cache/octokit-openapi/node_modules/@octokit/openapi/generated/api.github.com.json");
    if !spec.exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI: GitHub's OpenAPI description is missing (scripts/setup-openapi installs it)"
        );
        eprintln!("skipping OpenAPI validation: run scripts/setup-openapi");
        return;
    }
    let list: Vec<serde_json::Value> = requests
        .iter()
        .map(|r| serde_json::json!({ "method": r.method, "template": r.template, "body": r.body }))
        .collect();
    let mut child = Command::new(python)
        .arg(repo().join("tests/python/validate_github_requests.py"))
        .arg(spec)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&list).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "request bodies do not match GitHub's description:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_run_annotations_and_one_sticky_comment_on_ghes() {
    let s = standin("/api/v3");
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, serde_json::to_string(&report(120)).unwrap()).unwrap();

    let out = run_report(&s, dir.path(), &saved);
    assert_eq!(
        code(&out),
        1,
        "the report failed, so does the step: {}",
        text(&out)
    );
    assert_no_secrets(&out, &[GH_TOKEN]);
    let out2 = run_report(&s, dir.path(), &saved);
    assert_eq!(code(&out2), 1, "{}", text(&out2));

    let reqs = s.data.lock().unwrap().requests.clone();
    let unexpected: Vec<_> = reqs.iter().filter(|r| r.template.is_none()).collect();
    assert!(
        unexpected.is_empty(),
        "requests nobody expected: {unexpected:?}"
    );
    assert!(
        reqs.iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {GH_TOKEN}"))),
        "{reqs:?}"
    );

    let creates: Vec<_> = reqs
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/check-runs"))
        .collect();
    assert_eq!(creates.len(), 2);
    assert_eq!(
        creates[0].body["head_sha"], "headsha7777",
        "the PR head, not the merge commit"
    );
    let patches: Vec<_> = reqs
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.contains("/check-runs/"))
        .take(3)
        .collect();
    let sizes: Vec<usize> = patches
        .iter()
        .map(|p| p.body["output"]["annotations"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    assert_eq!(patches[0].body["conclusion"], "failure");
    assert_eq!(patches[0].body["status"], "completed");
    assert_eq!(
        patches[2].body["output"]["annotations"][19]["start_line"],
        120
    );

    let comment_posts = reqs
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/issues/7/comments"))
        .count();
    let comment_edits = reqs
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.contains("/issues/comments/"))
        .count();
    assert_eq!(
        (comment_posts, comment_edits),
        (1, 1),
        "created once, then edited in place"
    );
    assert_eq!(s.data.lock().unwrap().comments.len(), 1);
    validate_against_openapi(&reqs);
}

#[test]
fn sticky_comment_found_on_a_later_page() {
    let s = standin("");
    {
        let mut d = s.data.lock().unwrap();
        for i in 0..150u64 {
            let body = if i == 120 {
                "<!-- brickci:report:tests -->\nold report".to_string()
            } else {
                format!("comment {i}")
            };
            d.comments.push((i + 1, body));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, serde_json::to_string(&report(1)).unwrap()).unwrap();
    let out = run_report(&s, dir.path(), &saved);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let d = s.data.lock().unwrap();
    assert_eq!(d.comments.len(), 150, "no duplicate comment");
    assert!(
        d.comments[120].1.contains("brickci test failed"),
        "{}",
        d.comments[120].1
    );
    validate_against_openapi(&d.requests);
}
