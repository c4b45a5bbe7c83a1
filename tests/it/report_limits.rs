//! Oversized reports: every destination is cut to its limit with a note pointing at the full
//! report, long messages are cut before any test leaves the list, and a destination that
//! refuses the report is a warning that leaves the verdict and the local files alone.

use crate::support::azure_devops_standin as ado;
use crate::support::github_standin;

use std::sync::{Arc, Mutex};

use crate::common::*;
use brickci::report::{Report, ReportStatus, markdown};
use brickci::testing::{ResultFormat, SourceLocation, TestCase, TestStatus, TestSuite};

const GH_TOKEN: &str = "ghs_testtoken0123456789abcdef";
const ADO_TOKEN: &str = "ado-access-token-secret-0042";
const NOTE: &str = "This report was cut to fit";

fn case(i: usize, message: String) -> TestCase {
    TestCase {
        failed_attempts: Vec::new(),
        name: format!("test_case_number_{i}"),
        classname: Some("tests/test_big".into()),
        status: TestStatus::Failed,
        duration_ms: Some(5),
        message: Some(message),
        trace: Some(format!(
            "Traceback (most recent call last):\n  File \"t.py\", line {i}\nAssertionError: {i}\n"
        )),
        location: Some(SourceLocation {
            file: "tests/test_big.py".into(),
            line: i as u32,
        }),
    }
}

fn report(cases: Vec<TestCase>) -> Report {
    Report {
        key: "tests".into(),
        title: "brickci test".into(),
        status: ReportStatus::Failure,
        target: Some("qa".into()),
        commit: Some("abc123".into()),
        ci_run_url: Some("https://github.com/acme/lakehouse/actions/runs/1".into()),
        plan: None,
        runs: vec![],
        tests: vec![TestSuite {
            name: "tests/test_big".into(),
            format: ResultFormat::Json,
            cases,
        }],
    }
}

/// 15,000 failures, each with a message and a trace: about 3.4 MB of markdown.
fn huge() -> Report {
    report(
        (1..=15_000)
            .map(|i| {
                case(
                    i,
                    format!("AssertionError: expected {i} rows, got {}", i + 1),
                )
            })
            .collect(),
    )
}

fn serve(app: axum::Router) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        a
    });
    (format!("http://{addr}"), rt)
}

fn github_env(dir: &std::path::Path, api: &str) -> Vec<(String, String)> {
    let event = dir.join("event.json");
    std::fs::write(
        &event,
        r#"{"number": 7, "pull_request": {"number": 7, "head": {"sha": "headsha7777"}}}"#,
    )
    .unwrap();
    let p = |name: &str| dir.join(name).display().to_string();
    for f in ["summary.md", "output.txt"] {
        std::fs::write(dir.join(f), "").unwrap();
    }
    [
        ("GITHUB_ACTIONS", "true".to_string()),
        ("GITHUB_TOKEN", GH_TOKEN.to_string()),
        ("GITHUB_API_URL", api.to_string()),
        ("GITHUB_REPOSITORY", "acme/lakehouse".to_string()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_REF", "refs/pull/7/merge".to_string()),
        ("GITHUB_SHA", "mergesha".to_string()),
        ("GITHUB_STEP_SUMMARY", p("summary.md")),
        ("GITHUB_OUTPUT", p("output.txt")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn save(dir: &std::path::Path, r: &Report) -> String {
    let saved = dir.join("report.json");
    std::fs::write(&saved, serde_json::to_string(r).unwrap()).unwrap();
    saved.display().to_string()
}

/// The local destinations hold the whole report whatever happened to the remote ones.
fn assert_local_files(dir: &std::path::Path, failures: usize) {
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase").count(), failures);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        summary.len() <= 1024 * 1024,
        "summary {} bytes",
        summary.len()
    );
    assert!(
        summary.contains("brickci test failed"),
        "{}",
        &summary[..200]
    );
    let outputs = std::fs::read_to_string(dir.join("output.txt")).unwrap();
    assert!(
        outputs.contains(&format!("{failures}")) && outputs.contains("tests-failed"),
        "{outputs}"
    );
}

#[test]
fn fifteen_thousand_failures_fit_every_github_destination() {
    let data: github_standin::Shared = Arc::new(Mutex::new(github_standin::Data::default()));
    let (url, _rt) = serve(github_standin::router(data.clone(), ""));
    let dir = tempfile::tempdir().unwrap();
    let saved = save(dir.path(), &huge());
    let env = github_env(dir.path(), &url);
    let junit = dir.path().join("junit.xml").display().to_string();
    let out = brickci(
        &["report", &saved, "--junit", &junit],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 1, "the tests' verdict: {}", text(&out));
    assert!(!text(&out).contains("could not"), "{}", text(&out));
    assert_local_files(dir.path(), 15_000);
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(summary.contains(NOTE), "the summary says it was cut");
    assert!(
        summary.contains("junit.xml"),
        "and where the full report is"
    );

    let d = data.lock().unwrap();
    let comment_bodies: Vec<&str> = d
        .requests
        .iter()
        .filter(|r| r.path.contains("/comments") && r.method != "GET")
        .map(|r| r.body["body"].as_str().unwrap())
        .collect();
    assert_eq!(comment_bodies.len(), 1);
    for body in &comment_bodies {
        assert!(
            body.chars().count() <= 65_536,
            "{} chars",
            body.chars().count()
        );
        assert!(body.contains(NOTE) && body.contains("actions/runs/1"));
        assert!(
            body.contains("test\\_case\\_number\\_1**"),
            "failures first"
        );
    }
    let patches: Vec<_> = d
        .requests
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.contains("/check-runs/"))
        .collect();
    assert!(!patches.is_empty());
    let mut annotations = 0;
    for p in &patches {
        let summary = p.body["output"]["summary"].as_str().unwrap();
        assert!(summary.chars().count() <= 65_535);
        assert!(summary.contains(NOTE));
        // The check run's `text`, when sent, has the same 65,535-character limit.
        if let Some(t) = p.body["output"]["text"].as_str() {
            assert!(
                t.chars().count() <= 65_535,
                "text {} chars",
                t.chars().count()
            );
        }
        let n = p.body["output"]["annotations"].as_array().unwrap().len();
        assert!(n <= 50);
        annotations += n;
    }
    assert_eq!(
        annotations, 1_000,
        "the first 1,000; the rest are in the summary"
    );
}

#[test]
fn one_huge_message_is_cut_and_every_test_stays_listed() {
    let mut cases: Vec<TestCase> = (1..=40)
        .map(|i| case(i, format!("AssertionError: {i}")))
        .collect();
    cases[3].message = Some("x".repeat(300_000));
    cases[5].trace = Some("frame\n".repeat(100_000));
    let r = report(cases);
    let body = markdown::comment_body_within(&r, 65_536, "the CI run");
    assert!(body.len() <= 65_536);
    assert!(body.contains(NOTE));
    for i in 1..=40 {
        assert!(
            body.contains(&format!("| test\\_case\\_number\\_{i} |")),
            "test {i} left the list"
        );
    }
    assert!(body.contains("more characters)"), "the cut message says so");
}

#[test]
fn fifteen_thousand_failures_fit_an_azure_devops_thread() {
    let data: ado::Shared = Arc::new(Mutex::new(ado::Data::new(ADO_TOKEN)));
    let (url, _rt) = serve(ado::router(data.clone()));
    let dir = tempfile::tempdir().unwrap();
    let saved = save(dir.path(), &huge());
    let collection = format!("{url}/org/");
    let temp = dir.path().display().to_string();
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
    let out = brickci(&["report", &saved], &env, dir.path());
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(!text(&out).contains("could not"), "{}", text(&out));
    let d = data.lock().unwrap();
    assert_eq!(
        d.threads.len(),
        1,
        "{:?}",
        d.log.iter().map(|l| &l.1).collect::<Vec<_>>()
    );
    let content = &d.threads[0].1;
    assert!(content.chars().count() <= 150_000);
    assert!(content.contains(NOTE));
    // The agent keeps 10 issues per step: 9 failures and one line for the rest.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("##vso[task.logissue").count(),
        10,
        "{stdout}"
    );
    assert!(stdout.contains("14991 more failed tests"));
}

#[test]
fn a_refused_post_is_a_warning_and_the_files_are_still_written() {
    // Nothing listens here: every GitHub call fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let saved = save(
        dir.path(),
        &report((1..=3).map(|i| case(i, "boom".into())).collect()),
    );
    let env = github_env(dir.path(), &format!("http://127.0.0.1:{port}"));
    let junit = dir.path().join("junit.xml").display().to_string();
    let out = brickci(
        &["report", &saved, "--junit", &junit, "--pr-comment", "true"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(
        code(&out),
        1,
        "the tests' verdict, not the API's: {}",
        text(&out)
    );
    assert!(text(&out).contains("could not"), "{}", text(&out));
    assert_local_files(dir.path(), 3);
    assert_no_secrets(&out, &[GH_TOKEN]);
}

#[test]
fn an_unwritable_report_file_is_refused_before_anything_is_posted() {
    let data: github_standin::Shared = Arc::new(Mutex::new(github_standin::Data::default()));
    let (url, _rt) = serve(github_standin::router(data.clone(), ""));
    let dir = tempfile::tempdir().unwrap();
    let saved = save(dir.path(), &report(vec![case(1, "boom".into())]));
    let env = github_env(dir.path(), &url);
    // A file where a folder of the path should be: no folder can be made there, even as root.
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    for flag in ["--junit", "--report-json"] {
        let out = brickci(
            &["report", &saved, flag, "a-file/x/out.xml"],
            &as_refs(&env),
            dir.path(),
        );
        assert_eq!(code(&out), 2, "{}", text(&out));
        assert!(text(&out).contains(flag), "names the flag: {}", text(&out));
    }
    assert!(data.lock().unwrap().requests.is_empty());
}

#[test]
fn test_refuses_an_unwritable_junit_path_before_any_request() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "test_a.py", "print(1)\n");
    // A file where a folder of the path should be: no folder can be made there, even as root.
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let env = run_env(&emu);
    for flag in ["--junit", "--report-json"] {
        let out = brickci(
            &["test", "test_a.py", flag, "a-file/x/out.xml"],
            &as_refs(&env),
            dir.path(),
        );
        assert_eq!(code(&out), 2, "{}", text(&out));
        assert!(text(&out).contains(flag), "{}", text(&out));
    }
    assert!(
        emu.requests().is_empty(),
        "no request: {:?}",
        emu.requests()
    );
}

#[test]
fn report_files_in_folders_that_do_not_exist_yet_are_written_there() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "test_a.py", "print(1)\n");
    let env = run_env(&emu);
    let out = brickci(
        &[
            "test",
            "test_a.py",
            "--junit",
            "results/deep/junit.xml",
            "--report-json",
            "results/report.json",
        ],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("results/deep/junit.xml")).unwrap();
    assert!(junit.contains("<testcase"), "{junit}");
    assert!(dir.path().join("results/report.json").is_file());
}

#[test]
fn test_refuses_an_explicit_post_it_could_never_make_before_any_request() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "test_a.py", "print(1)\n");
    let env = run_env(&emu);
    let mut env = as_refs(&env);
    env.push(("GITHUB_ACTIONS", "true"));
    for args in [
        &["test", "test_a.py", "--pr-comment", "true"][..],
        &["test", "test_a.py", "--github-check", "true"][..],
        &["test", "test_a.py", "--codecommit-pr-id", "7"][..],
    ] {
        let out = brickci(args, &env, dir.path());
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
    }
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[test]
fn every_destination_limit_holds_with_its_note() {
    let r = huge();
    // CodeCommit, GitHub, Azure DevOps comments; the step summary.
    for limit in [10_240, 65_536, 150_000, 1024 * 1024] {
        let body = markdown::comment_body_within(&r, limit, "the CI run");
        assert!(body.len() <= limit, "{limit}: {} bytes", body.len());
        assert!(body.contains(NOTE), "{limit}");
        // Every test listed, or the list says how many are left out.
        let rows = body.matches("| ❌ failed |").count();
        assert!(
            rows == 15_000 || body.contains(&format!("… and {} more tests |", 15_000 - rows)),
            "{limit}: {rows} rows"
        );
    }
}

#[test]
fn a_refused_check_run_still_leaves_the_pr_comment_and_the_verdict() {
    let mut refusing = github_standin::Data::default();
    refusing.refuse_checks = true;
    let data: github_standin::Shared = Arc::new(Mutex::new(refusing));
    let (url, _rt) = serve(github_standin::router(data.clone(), ""));
    let dir = tempfile::tempdir().unwrap();
    let saved = save(dir.path(), &report(vec![case(1, "boom".into())]));
    let env = github_env(dir.path(), &url);
    let out = brickci(
        &[
            "report",
            &saved,
            "--github-check",
            "true",
            "--pr-comment",
            "true",
        ],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("could not post the check run"),
        "{}",
        text(&out)
    );
    assert_eq!(
        data.lock().unwrap().comments.len(),
        1,
        "the comment was still posted"
    );
}
