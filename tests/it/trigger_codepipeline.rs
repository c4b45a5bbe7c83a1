//! `brickci trigger codepipeline` against moto's real server on 127.0.0.1 (StartPipelineExecution,
//! GetPipelineExecution). moto does not honour clientRequestToken, so its recording of the
//! requests shows the token is the same for the same CI attempt and request.

use crate::support::moto;

use std::path::Path;

use crate::common::*;
use base64::Engine;
use moto::Moto;

/// moto with pipeline `deploy-model` (a V2 pipeline declaring its variables).
fn moto() -> Option<Moto> {
    moto::start("moto_codepipeline_seed.py", &[])
}

/// The JSON bodies of the recorded requests for `target` (the X-Amz-Target operation).
fn recorded(moto: &Moto, target: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(&moto.recording).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| {
            e["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .any(|(k, v)| {
                    k.eq_ignore_ascii_case("x-amz-target")
                        && v.as_str().unwrap_or("").ends_with(target)
                })
        })
        .map(|e| {
            let body = e["body"].as_str().unwrap_or_default();
            let raw = if e["body_encoded"].as_bool() == Some(true) {
                base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .unwrap()
            } else {
                body.as_bytes().to_vec()
            };
            serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null)
        })
        .collect()
}

fn trigger(moto: &Moto, args: &[&str], run_id: &str, dir: &Path) -> std::process::Output {
    let output = dir.join(format!("output-{run_id}"));
    let mut all = vec!["trigger", "codepipeline"];
    all.extend(args);
    brickci(
        &all,
        &[
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_RUN_ID", run_id),
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_JOB", "cd"),
            ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ("BRICKCI_TRIGGER_POLL_MIN", "0.05"),
        ],
        dir,
    )
}

#[test]
fn the_same_attempt_and_request_send_the_same_token_and_wait_follows_to_success() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--name",
        "deploy-model",
        "--variable",
        "model_version=7",
        "--source-revision",
        "actionName=Source,revisionType=S3_OBJECT_VERSION_ID,revisionValue=v42",
        "--wait",
    ];
    let first = trigger(&moto, &args, "500", dir.path());
    let all = text(&first);
    assert_eq!(code(&first), 0, "{all}");
    assert!(all.contains(": Succeeded"), "{all}");
    assert!(
        all.contains(
            "console.aws.amazon.com/codesuite/codepipeline/pipelines/deploy-model/executions/"
        ),
        "{all}"
    );
    let outputs = std::fs::read_to_string(dir.path().join("output-500")).unwrap();
    assert!(
        outputs.contains("triggered-conclusion<<") || outputs.contains("triggered-conclusion="),
        "{outputs}"
    );
    assert!(outputs.contains("Succeeded"), "{outputs}");
    assert!(outputs.contains("triggered-run-url"), "{outputs}");
    // The step retried in the same attempt.
    assert_eq!(code(&trigger(&moto, &args, "500", dir.path())), 0);
    // Another CI run, and another request in the same run.
    assert_eq!(code(&trigger(&moto, &args, "501", dir.path())), 0);
    let mut other = args.to_vec();
    other[3] = "model_version=8";
    assert_eq!(code(&trigger(&moto, &other, "500", dir.path())), 0);

    let starts = recorded(&moto, "StartPipelineExecution");
    assert_eq!(starts.len(), 4, "{starts:?}");
    let tokens: Vec<&str> = starts
        .iter()
        .map(|s| s["clientRequestToken"].as_str().unwrap())
        .collect();
    assert_eq!(
        tokens[0], tokens[1],
        "same attempt, same request: same token"
    );
    assert_ne!(tokens[0], tokens[2], "another CI run");
    assert_ne!(tokens[0], tokens[3], "another request");
    assert!(
        tokens
            .iter()
            .all(|t| t.len() <= 128 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    );
    assert_eq!(starts[0]["name"], "deploy-model");
    assert_eq!(
        starts[0]["variables"],
        serde_json::json!([{ "name": "model_version", "value": "7" }])
    );
    assert_eq!(
        starts[0]["sourceRevisions"],
        serde_json::json!([{ "actionName": "Source", "revisionType": "S3_OBJECT_VERSION_ID", "revisionValue": "v42" }])
    );
    assert!(!recorded(&moto, "GetPipelineExecution").is_empty());
}

#[test]
fn unknown_pipeline_limits_and_missing_credentials() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = trigger(&moto, &["--name", "no-such-pipeline"], "600", dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no-such-pipeline"), "{}", text(&out));
    assert!(
        text(&out).contains("PipelineNotFoundException"),
        "{}",
        text(&out)
    );

    let before = recorded(&moto, "StartPipelineExecution").len();
    let long_value = format!("v={}", "x".repeat(1001));
    let too_many: Vec<String> = (0..51).map(|i| format!("v{i}=x")).collect();
    let mut many_args = vec!["--name", "deploy-model"];
    for v in &too_many {
        many_args.extend(["--variable", v.as_str()]);
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--name", "deploy model"], "--name"),
        (
            vec!["--name", "deploy-model", "--variable", "a.b=1"],
            "--variable a.b",
        ),
        (
            vec!["--name", "deploy-model", "--variable", &long_value],
            "1 to 1000",
        ),
        (many_args.clone(), "at most 50"),
        (
            vec![
                "--name",
                "deploy-model",
                "--source-revision",
                "actionName=Source,revisionType=BRANCH,revisionValue=main",
            ],
            "revisionType must be one of",
        ),
    ];
    for (args, named) in cases {
        let out = trigger(&moto, &args, "600", dir.path());
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
        assert!(text(&out).contains(named), "{args:?}: {}", text(&out));
    }
    assert_eq!(
        recorded(&moto, "StartPipelineExecution").len(),
        before,
        "nothing sent"
    );

    // No credentials anywhere (metadata disabled by the test helper): exit 3 naming them.
    let out = brickci(
        &["trigger", "codepipeline", "--name", "deploy-model"],
        &[
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("AWS_ACCESS_KEY_ID"), "{}", text(&out));
    assert_eq!(
        recorded(&moto, "StartPipelineExecution").len(),
        before,
        "nothing sent"
    );
}
