//! `brickci trigger github` against a local GitHub stand-in: both dispatch answer forms
//! (200 with the run on 2026-03-10, 204 with the run found by its correlation id),
//! repository_dispatch, GitHub App tokens, limits, refusals, a lost answer, and --wait.
//! Request bodies are validated against GitHub's published OpenAPI description.

use crate::support::github_standin;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::*;
use github_standin::actions::{App, Workflow};
use github_standin::{Data, Recorded};
use serde_json::{Value, json};

const GH_TOKEN: &str = "ghs_testtoken0123456789abcdef";
const DISPATCH: &str = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";

struct StandIn {
    data: github_standin::Shared,
    url: String,
    _rt: tokio::runtime::Runtime,
}

/// A stand-in ("" for github.com, "/api/v3" for GHES) with deploy.yml (id 99), which
/// declares `model_version` and `brickci_correlation_id` and puts the latter in its run-name.
fn standin(prefix: &str) -> StandIn {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let data: github_standin::Shared = Arc::new(Mutex::new(Data::default()));
    {
        let mut d = data.lock().unwrap();
        d.actions.workflows.push(Workflow {
            file: "deploy.yml".into(),
            id: 99,
            inputs: vec!["model_version".into(), "brickci_correlation_id".into()],
            run_name_input: Some("brickci_correlation_id".into()),
        });
        d.actions.tokens.push(GH_TOKEN.into());
    }
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

impl StandIn {
    fn requests(&self) -> Vec<Recorded> {
        self.data.lock().unwrap().requests.clone()
    }

    fn dispatches(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("dispatches"))
            .collect()
    }
}

struct Outcome {
    out: std::process::Output,
    outputs: Value,
}

/// Runs `brickci trigger github` with GITHUB_TOKEN and outputs to a JSON file.
fn trigger(s: &StandIn, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    let mut all: Vec<&str> = vec!["trigger", "github", "--api-url", &s.url];
    all.extend_from_slice(args);
    let mut vars: Vec<(&str, &str)> = vec![
        ("BRICKCI_OUTPUT_FILE", outputs.to_str().unwrap()),
        ("BRICKCI_TRIGGER_POLL_MIN", "0.01"),
    ];
    vars.extend_from_slice(env);
    let out = brickci(&all, &vars, dir.path());
    let outputs = std::fs::read_to_string(&outputs)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    Outcome { out, outputs }
}

fn with_token() -> Vec<(&'static str, &'static str)> {
    vec![("GITHUB_TOKEN", "env:BOT_TOKEN"), ("BOT_TOKEN", GH_TOKEN)]
}

const WORKFLOW: &[&str] = &[
    "--repo",
    "acme/cd",
    "--workflow",
    "deploy.yml",
    "--ref",
    "main",
    "--input",
    "model_version=7",
];

fn validate_against_openapi(requests: &[Recorded], description: &str) {
    let Some(python) = venv_python() else { return };
    let spec = repo()
        .join(".cache/octokit-openapi/node_modules/@octokit/openapi/generated")
        .join(description);
    if !spec.exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI: GitHub's OpenAPI description is missing (scripts/setup-openapi installs it)"
        );
        eprintln!("skipping OpenAPI validation: run scripts/setup-openapi");
        return;
    }
    let list: Vec<Value> = requests
        .iter()
        .map(|r| json!({ "method": r.method, "template": r.template, "body": r.body, "query": r.query }))
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
fn github_com_answers_the_dispatch_with_the_run() {
    let s = standin("");
    let o = trigger(&s, WORKFLOW, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    assert_no_secrets(&o.out, &[GH_TOKEN]);
    let reqs = s.requests();
    assert_eq!(reqs.len(), 1, "the 200 names the run: no lookup: {reqs:?}");
    let d = &reqs[0];
    assert_eq!(d.template.as_deref(), Some(DISPATCH));
    assert_eq!(d.api_version.as_deref(), Some("2026-03-10"));
    assert_eq!(
        d.authorization.as_deref(),
        Some(&*format!("Bearer {GH_TOKEN}"))
    );
    assert_eq!(d.body["ref"], "main");
    assert_eq!(d.body["inputs"]["model_version"], "7");
    assert!(
        d.body["inputs"]["brickci_correlation_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("brickci-")),
        "{d:?}"
    );
    assert!(
        d.body.get("return_run_details").is_none(),
        "2026-03-10 has no such field"
    );
    let run = s.data.lock().unwrap().actions.runs[0].clone();
    assert_eq!(o.outputs["triggered-run-id"], run.id.to_string());
    assert_eq!(
        o.outputs["triggered-run-url"],
        format!("https://github.com/acme/cd/actions/runs/{}", run.id)
    );
    assert!(text(&o.out).contains(&format!("actions/runs/{}", run.id)));
    validate_against_openapi(&reqs, "api.github.com.json");
}

#[test]
fn ghes_without_run_details_finds_the_run_by_its_correlation_id() {
    let s = standin("/api/v3");
    s.data.lock().unwrap().actions.only_204 = true;
    let o = trigger(&s, WORKFLOW, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    let reqs = s.requests();
    let d = &s.dispatches()[0];
    assert_eq!(d.api_version.as_deref(), Some("2022-11-28"));
    assert_eq!(d.body["return_run_details"], true);
    let list: Vec<_> = reqs.iter().filter(|r| r.method == "GET").collect();
    assert!(!list.is_empty(), "{reqs:?}");
    assert_eq!(
        list[0].template.as_deref(),
        Some("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs")
    );
    let q = list[0].query.clone().unwrap_or_default();
    assert!(
        q.contains("event=workflow_dispatch") && q.contains("created=%3E%3D"),
        "{q}"
    );
    let run = s.data.lock().unwrap().actions.runs[0].clone();
    assert!(
        run.display_title
            .contains(d.body["inputs"]["brickci_correlation_id"].as_str().unwrap())
    );
    assert_eq!(o.outputs["triggered-run-id"], run.id.to_string());
    validate_against_openapi(&reqs, "ghes-3.19.json");
}

#[test]
fn repository_dispatch_finds_its_run_by_the_payload() {
    let s = standin("");
    let args = [
        "--repo",
        "acme/cd",
        "--event-type",
        "model-trained",
        "--payload",
        r#"{"model": "churn", "version": 7}"#,
    ];
    let o = trigger(&s, &args, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    let d = &s.dispatches()[0];
    assert_eq!(
        d.template.as_deref(),
        Some("/repos/{owner}/{repo}/dispatches")
    );
    assert_eq!(d.body["event_type"], "model-trained");
    assert_eq!(d.body["client_payload"]["version"], 7);
    assert!(d.body["client_payload"]["brickci_correlation_id"].is_string());
    let run = s.data.lock().unwrap().actions.runs[0].clone();
    assert_eq!(o.outputs["triggered-run-id"], run.id.to_string());
    validate_against_openapi(&s.requests(), "api.github.com.json");
    // Not a test of brickci: the validator itself refuses an undeclared query parameter.
    let mut bad = s
        .requests()
        .into_iter()
        .find(|r| r.method == "GET")
        .unwrap();
    bad.query = Some("evnt=repository_dispatch".into());
    let caught =
        std::panic::catch_unwind(|| validate_against_openapi(&[bad], "api.github.com.json"));
    assert!(caught.is_err() || venv_python().is_none());
}

#[test]
fn a_github_app_buys_an_installation_token_for_the_repository() {
    let s = standin("");
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/oidc_issuer_jwks.json")).unwrap(),
    )
    .unwrap();
    let k = &jwks["keys"][0];
    s.data.lock().unwrap().actions.app = Some(App {
        id: "123456".into(),
        n: k["n"].as_str().unwrap().into(),
        e: k["e"].as_str().unwrap().into(),
    });
    let key = repo().join("tests/fixtures/oidc_issuer_key.pem");
    let key_ref = format!("file:{}", key.display());
    let mut args = WORKFLOW.to_vec();
    args.extend_from_slice(&["--app-id", "123456", "--app-private-key-ref", &key_ref]);
    let o = trigger(&s, &args, &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    let token = github_standin::actions::installation_token();
    assert_eq!(token.len(), 520);
    assert_no_secrets(&o.out, &[&token, &token[..40]]);
    assert!(
        text(&o.out).contains(&format!("::add-mask::{token}")),
        "the whole token is masked: {}",
        text(&o.out)
    );
    let claims = s.data.lock().unwrap().actions.jwt_claims.clone();
    assert_eq!(
        claims.len(),
        2,
        "installation lookup and token, each with a valid JWT"
    );
    assert_eq!(claims[0]["iss"], "123456");
    let d = &s.dispatches()[0];
    assert_eq!(
        d.authorization.as_deref(),
        Some(&*format!("Bearer {token}"))
    );
    let mint = s
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/access_tokens"))
        .unwrap();
    assert_eq!(mint.body["repositories"], json!(["cd"]));
    validate_against_openapi(&s.requests(), "api.github.com.json");
}

#[test]
fn limits_are_refused_before_any_request() {
    let s = standin("");
    let many: Vec<String> = (0..25).map(|i| format!("k{i}=v")).collect();
    let mut over_count = vec![
        "--repo",
        "acme/cd",
        "--workflow",
        "deploy.yml",
        "--ref",
        "main",
    ];
    for m in &many {
        over_count.extend_from_slice(&["--input", m]);
    }
    let long = format!("model_version={}", "x".repeat(65_536));
    let too_big = format!("{{\"blob\": \"{}\"}}", "y".repeat(64 * 1024));
    let eleven = format!(
        "{{{}}}",
        (0..10)
            .map(|i| format!("\"k{i}\": 1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let long_type = "e".repeat(101);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (over_count.clone(), "25 workflow_dispatch inputs"),
        (
            vec![
                "--repo",
                "acme/cd",
                "--workflow",
                "deploy.yml",
                "--ref",
                "main",
                "--input",
                &long,
            ],
            "65,535 characters",
        ),
        (
            vec![
                "--repo",
                "acme/cd",
                "--event-type",
                "t",
                "--payload",
                &eleven,
            ],
            "at most 10 top-level keys",
        ),
        (
            vec![
                "--repo",
                "acme/cd",
                "--event-type",
                "t",
                "--payload",
                &too_big,
            ],
            "under 64 KB",
        ),
        (
            vec!["--repo", "acme/cd", "--event-type", &long_type],
            "event_type 1 to 100",
        ),
    ];
    for (args, limit) in &cases {
        let o = trigger(&s, args, &with_token());
        assert_eq!(code(&o.out), 2, "{limit}: {}", text(&o.out));
        assert!(text(&o.out).contains(limit), "{limit}: {}", text(&o.out));
    }
    // 10 inputs plus the correlation input: over GHES's 10, within github.com's 25.
    let ghes = standin("/api/v3");
    let ten: Vec<&str> = over_count.iter().take(6 + 2 * 10).copied().collect();
    let o = trigger(&ghes, &ten, &with_token());
    assert_eq!(code(&o.out), 2, "{}", text(&o.out));
    assert!(text(&o.out).contains("10 workflow_dispatch inputs on GitHub Enterprise Server"));
    assert!(s.requests().is_empty() && ghes.requests().is_empty());
}

#[test]
fn no_token_exits_3_naming_the_variable_and_the_permission() {
    let s = standin("");
    let o = trigger(&s, WORKFLOW, &[]);
    assert_eq!(code(&o.out), 3, "{}", text(&o.out));
    assert!(text(&o.out).contains("GITHUB_TOKEN") && text(&o.out).contains("actions: write"));
    let o = trigger(&s, &["--repo", "acme/cd", "--event-type", "go"], &[]);
    assert_eq!(code(&o.out), 3, "{}", text(&o.out));
    assert!(text(&o.out).contains("contents: write"), "{}", text(&o.out));
    assert!(s.requests().is_empty());
}

#[test]
fn an_unknown_workflow_or_an_undeclared_input_exits_2_naming_it() {
    let s = standin("");
    let o = trigger(
        &s,
        &[
            "--repo",
            "acme/cd",
            "--workflow",
            "nope.yml",
            "--ref",
            "main",
        ],
        &with_token(),
    );
    assert_eq!(code(&o.out), 2, "{}", text(&o.out));
    assert!(text(&o.out).contains("nope.yml") && text(&o.out).contains("acme/cd"));
    let o = trigger(
        &s,
        &[
            "--repo",
            "acme/cd",
            "--workflow",
            "deploy.yml",
            "--ref",
            "main",
            "--input",
            "stage=prod",
        ],
        &with_token(),
    );
    assert_eq!(code(&o.out), 2, "{}", text(&o.out));
    assert!(
        text(&o.out).contains("Unexpected inputs"),
        "{}",
        text(&o.out)
    );
    assert!(
        text(&o.out).contains("brickci_correlation_id"),
        "{}",
        text(&o.out)
    );
    assert!(s.data.lock().unwrap().actions.runs.is_empty());
}

#[test]
fn a_lost_answer_is_looked_up_not_sent_again() {
    let s = standin("");
    s.data.lock().unwrap().actions.drop_first_dispatch = true;
    let o = trigger(&s, WORKFLOW, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    assert_eq!(
        s.dispatches().len(),
        1,
        "exactly one dispatch: {:?}",
        s.requests()
    );
    let runs = s.data.lock().unwrap().actions.runs.clone();
    assert_eq!(runs.len(), 1);
    assert_eq!(o.outputs["triggered-run-id"], runs[0].id.to_string());
    assert!(text(&o.out).contains("looking for the run before sending again"));
}

#[test]
fn wait_follows_the_run_to_its_conclusion() {
    for (conclusion, exit) in [("success", 0), ("failure", 1)] {
        let s = standin("");
        s.data.lock().unwrap().actions.conclusion = conclusion.into();
        let mut args = WORKFLOW.to_vec();
        args.push("--wait");
        let o = trigger(&s, &args, &with_token());
        assert_eq!(code(&o.out), exit, "{}", text(&o.out));
        let t = text(&o.out);
        for state in ["queued", "in_progress", "completed"] {
            assert!(t.contains(state), "{state} is printed: {t}");
        }
        assert_eq!(o.outputs["triggered-conclusion"], conclusion);
        assert!(
            s.requests()
                .iter()
                .any(|r| r.template.as_deref()
                    == Some("/repos/{owner}/{repo}/actions/runs/{run_id}"))
        );
        assert_no_secrets(&o.out, &[GH_TOKEN]);
    }
}

#[test]
fn a_failed_dispatch_that_started_nothing_is_sent_once_more() {
    let s = standin("");
    s.data.lock().unwrap().actions.fail_first_dispatch = Some(502);
    let o = trigger(&s, WORKFLOW, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    let d = s.dispatches();
    assert_eq!(
        d.len(),
        2,
        "looked up, not found, sent once more: {:?}",
        s.requests()
    );
    let lookups = s.requests().iter().filter(|r| r.method == "GET").count();
    assert!(lookups >= 1, "the run was looked for before sending again");
    assert_eq!(
        d[0].body["inputs"]["brickci_correlation_id"],
        d[1].body["inputs"]["brickci_correlation_id"],
        "the same correlation id both times"
    );
    assert_eq!(s.data.lock().unwrap().actions.runs.len(), 1);
}

#[test]
fn without_a_correlation_input_a_lost_answer_is_never_sent_again() {
    let s = standin("");
    s.data.lock().unwrap().actions.drop_first_dispatch = true;
    let mut args = WORKFLOW.to_vec();
    args.extend_from_slice(&["--correlation-input", ""]);
    let o = trigger(&s, &args, &with_token());
    assert_eq!(code(&o.out), 4, "{}", text(&o.out));
    assert!(text(&o.out).contains("not sent again"), "{}", text(&o.out));
    assert_eq!(s.dispatches().len(), 1);
    assert!(s.dispatches()[0].body.get("inputs").unwrap()["brickci_correlation_id"].is_null());
}

#[test]
fn a_server_refusing_return_run_details_gets_the_dispatch_without_it() {
    let s = standin("/api/v3");
    s.data.lock().unwrap().actions.refuse_return_run_details = true;
    let o = trigger(&s, WORKFLOW, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    let d = s.dispatches();
    assert_eq!(d.len(), 2, "{:?}", s.requests());
    assert_eq!(d[0].body["return_run_details"], true);
    assert!(d[1].body.get("return_run_details").is_none());
    let run = s.data.lock().unwrap().actions.runs[0].clone();
    assert_eq!(o.outputs["triggered-run-id"], run.id.to_string());
}

#[test]
fn a_refused_token_exits_3_naming_the_permission() {
    let s = standin("");
    let o = trigger(
        &s,
        WORKFLOW,
        &[("GITHUB_TOKEN", "ghs_plantoken0123456789abcdef")],
    );
    assert_eq!(code(&o.out), 3, "{}", text(&o.out));
    assert!(text(&o.out).contains("actions: write"), "{}", text(&o.out));
    assert_no_secrets(&o.out, &["ghs_plantoken0123456789abcdef"]);
}

#[test]
fn wait_honours_retry_after() {
    let s = standin("");
    s.data.lock().unwrap().actions.throttle_first_get = true;
    let mut args = WORKFLOW.to_vec();
    args.push("--wait");
    let o = trigger(&s, &args, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    assert_eq!(o.outputs["triggered-conclusion"], "success");
    let gets = s
        .requests()
        .iter()
        .filter(|r| r.template.as_deref() == Some("/repos/{owner}/{repo}/actions/runs/{run_id}"))
        .count();
    assert!(gets >= 4, "the throttled GET was repeated: {gets}");
}

#[test]
fn a_server_without_the_new_api_version_is_asked_with_the_old_one() {
    let s = standin("");
    s.data.lock().unwrap().actions.only_2022_11_28 = true;
    let o = trigger(&s, WORKFLOW, &with_token());
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    let d = s.dispatches();
    assert_eq!(d.len(), 2, "{:?}", s.requests());
    assert_eq!(d[0].api_version.as_deref(), Some("2026-03-10"));
    assert_eq!(d[1].api_version.as_deref(), Some("2022-11-28"));
    assert_eq!(d[1].body["return_run_details"], true);
    let run = s.data.lock().unwrap().actions.runs[0].clone();
    assert_eq!(o.outputs["triggered-run-id"], run.id.to_string());
}

#[test]
fn outputs_reach_an_azure_devops_pipeline_too() {
    let s = standin("");
    let mut args = WORKFLOW.to_vec();
    args.push("--wait");
    let mut env = with_token();
    env.push(("TF_BUILD", "True"));
    let o = trigger(&s, &args, &env);
    assert_eq!(code(&o.out), 0, "{}", text(&o.out));
    let run = s.data.lock().unwrap().actions.runs[0].clone();
    let t = text(&o.out);
    for line in [
        format!(
            "##vso[task.setvariable variable=triggeredRunId;isOutput=true]{}",
            run.id
        ),
        "##vso[task.setvariable variable=triggeredConclusion;isOutput=true]success".to_string(),
    ] {
        assert!(t.contains(&line), "{line} in:\n{t}");
    }
    assert!(t.contains(
        "variable=triggeredRunUrl;isOutput=true]https://github.com/acme/cd/actions/runs/"
    ));
    assert_no_secrets(&o.out, &[GH_TOKEN]);
}

#[test]
fn a_run_that_cannot_be_found_is_said_plainly() {
    let s = standin("/api/v3");
    {
        let mut d = s.data.lock().unwrap();
        d.actions.only_204 = true;
        // This workflow's run-name does not carry the correlation id.
        d.actions.workflows[0].run_name_input = None;
    }
    let o = trigger(&s, WORKFLOW, &with_token());
    assert_eq!(
        code(&o.out),
        0,
        "dispatched; only the run is unknown: {}",
        text(&o.out)
    );
    assert!(text(&o.out).contains("run-name:"), "{}", text(&o.out));
    assert!(
        o.outputs["triggered-run-id"]
            .as_str()
            .is_none_or(str::is_empty)
    );
    let mut args = WORKFLOW.to_vec();
    args.push("--wait");
    let o = trigger(&s, &args, &with_token());
    assert_eq!(code(&o.out), 4, "nothing to wait for: {}", text(&o.out));
    assert!(
        text(&o.out).contains("${{ inputs.brickci_correlation_id }}"),
        "{}",
        text(&o.out)
    );
    assert_eq!(s.dispatches().len(), 2, "one per command, never resent");
}
