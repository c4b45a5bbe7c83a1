//! `brickci gate` against the emulator's MLflow: runs seeded through the REST API, then each
//! comparison passes and fails as it should, and bad input stops before anything is decided.

use crate::common::*;
use serde_json::{Value, json};

const EXP: &str = "/Shared/churn";

fn experiment(emu: &TestEmulator) -> String {
    let r = emu.post_json("/api/2.0/mlflow/experiments/create", json!({ "name": EXP }));
    r["experiment_id"].as_str().unwrap().to_string()
}

/// A run started at `start` with the given metrics, FINISHED unless `status` says otherwise.
fn seed_run(
    emu: &TestEmulator,
    exp: &str,
    start: u64,
    metrics: &[(&str, f64)],
    status: &str,
) -> String {
    let r = emu.post_json(
        "/api/2.0/mlflow/runs/create",
        json!({ "experiment_id": exp, "start_time": start, "run_name": format!("train-{start}") }),
    );
    let id = r["run"]["info"]["run_id"].as_str().unwrap().to_string();
    let ms: Vec<Value> = metrics
        .iter()
        .map(|(k, v)| json!({ "key": k, "value": v, "timestamp": start, "step": 0 }))
        .collect();
    emu.post_json(
        "/api/2.0/mlflow/runs/log-batch",
        json!({ "run_id": id, "metrics": ms }),
    );
    emu.post_json(
        "/api/2.0/mlflow/runs/update",
        json!({ "run_id": id, "status": status, "end_time": start + 10 }),
    );
    id
}

struct Gate {
    out: std::process::Output,
    outputs: String,
    summary: String,
}

fn gate(emu: &TestEmulator, args: &[&str]) -> Gate {
    let dir = tempfile::tempdir().unwrap();
    let mut env = run_env(emu);
    let p = |n: &str| dir.path().join(n).display().to_string();
    env.push(("GITHUB_ACTIONS".into(), "true".into()));
    env.push(("GITHUB_OUTPUT".into(), p("output")));
    env.push(("GITHUB_STEP_SUMMARY".into(), p("summary")));
    env.push(("RUNNER_TEMP".into(), dir.path().display().to_string()));
    let mut all = vec!["gate"];
    all.extend_from_slice(args);
    let out = brickci(&all, &as_refs(&env), dir.path());
    Gate {
        out,
        outputs: std::fs::read_to_string(p("output")).unwrap_or_default(),
        summary: std::fs::read_to_string(p("summary")).unwrap_or_default(),
    }
}

/// The value GitHub reads for an output (heredoc form `name<<DELIM\nvalue\nDELIM`).
fn output(g: &Gate, name: &str) -> Option<String> {
    let mut lines = g.outputs.lines();
    while let Some(l) = lines.next() {
        if let Some(v) = l.strip_prefix(&format!("{name}=")) {
            return Some(v.to_string());
        }
        if let Some(delim) = l.strip_prefix(&format!("{name}<<")) {
            let v: Vec<&str> = lines.by_ref().take_while(|x| *x != delim).collect();
            return Some(v.join("\n"));
        }
    }
    None
}

#[test]
fn threshold_passes_and_fails_and_direction_is_honoured() {
    let emu = TestEmulator::fast();
    let exp = experiment(&emu);
    seed_run(
        &emu,
        &exp,
        1_000,
        &[("val_auc", 0.70), ("rmse", 3.0)],
        "FINISHED",
    );
    let cand = seed_run(
        &emu,
        &exp,
        2_000,
        &[("val_auc", 0.82), ("rmse", 2.0)],
        "FINISHED",
    );
    // A later run that failed is not the default candidate.
    seed_run(&emu, &exp, 3_000, &[("val_auc", 0.99)], "FAILED");

    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "val_auc",
            "--threshold",
            "0.8",
        ],
    );
    assert_eq!(code(&g.out), 0, "{}", text(&g.out));
    assert_eq!(
        output(&g, "candidate-run-id").as_deref(),
        Some(cand.as_str())
    );
    assert_eq!(output(&g, "gate-passed").as_deref(), Some("true"));
    let metrics: Value = serde_json::from_str(&output(&g, "candidate-metrics").unwrap()).unwrap();
    assert_eq!(metrics, json!({ "val_auc": 0.82, "rmse": 2.0 }));
    assert!(
        g.summary
            .contains("| val\\_auc | higher | 0.82 | 0.8 | pass |"),
        "{}",
        g.summary
    );

    let g = gate(
        &emu,
        &[
            "--experiment",
            &exp,
            "--metric",
            "val_auc",
            "--threshold",
            "0.9",
        ],
    );
    assert_eq!(code(&g.out), 1, "{}", text(&g.out));
    assert_eq!(output(&g, "gate-passed").as_deref(), Some("false"));

    // rmse 2.0 against 2.5: lower is better passes, higher-is-better fails.
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "rmse:min",
            "--threshold",
            "2.5",
        ],
    );
    assert_eq!(code(&g.out), 0, "{}", text(&g.out));
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "rmse",
            "--threshold",
            "2.5",
        ],
    );
    assert_eq!(code(&g.out), 1, "{}", text(&g.out));
    // --min-delta: 0.82 is not 0.05 above 0.8.
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "val_auc",
            "--threshold",
            "0.8",
            "--min-delta",
            "0.05",
        ],
    );
    assert_eq!(code(&g.out), 1, "{}", text(&g.out));
}

#[test]
fn best_of_n_pages_through_earlier_runs() {
    let emu = TestEmulator::fast();
    let exp = experiment(&emu);
    // 120 earlier finished runs: the best (0.90) is the oldest of the last 110, so finding
    // it takes three pages of runs search; the older 0.95 is outside best-of:110.
    seed_run(&emu, &exp, 100, &[("val_auc", 0.95)], "FINISHED");
    for i in 0..119u64 {
        let v = if i == 9 {
            0.90
        } else {
            0.5 + (i as f64) / 1000.0
        };
        seed_run(&emu, &exp, 1_000 + i, &[("val_auc", v)], "FINISHED");
    }
    let cand = seed_run(&emu, &exp, 5_000, &[("val_auc", 0.91)], "FINISHED");
    let before = emu.requests().len();

    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "val_auc",
            "--compare",
            "best-of:110",
        ],
    );
    assert_eq!(code(&g.out), 0, "{}", text(&g.out));
    assert_eq!(
        output(&g, "candidate-run-id").as_deref(),
        Some(cand.as_str())
    );
    assert!(g.summary.contains("| 0.91 | 0.9 | pass |"), "{}", g.summary);
    let searches: Vec<_> = emu
        .calls("POST", "/mlflow/runs/search")
        .into_iter()
        .filter(|r| r.seq as usize > before)
        .collect();
    assert!(searches.len() >= 4, "candidate + three pages: {searches:?}");
    assert!(searches.iter().any(|r| r.body.get("page_token").is_some()));

    // Against all 120 the older 0.95 wins: the candidate fails.
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "val_auc",
            "--compare",
            "best-of:120",
        ],
    );
    assert_eq!(code(&g.out), 1, "{}", text(&g.out));
    assert!(
        g.summary.contains("| 0.91 | 0.95 | fail |"),
        "{}",
        g.summary
    );
}

#[test]
fn first_run_has_no_baseline_pass_with_note_or_fail_when_required() {
    let emu = TestEmulator::fast();
    let exp = experiment(&emu);
    seed_run(&emu, &exp, 1_000, &[("rmse", 2.0)], "FINISHED");
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "rmse:min",
            "--compare",
            "best-of:5",
        ],
    );
    assert_eq!(code(&g.out), 0, "{}", text(&g.out));
    assert!(text(&g.out).contains("no baseline"), "{}", text(&g.out));
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "rmse:min",
            "--compare",
            "best-of:5",
            "--require-baseline",
        ],
    );
    assert_eq!(code(&g.out), 1, "{}", text(&g.out));
    assert_eq!(output(&g, "gate-passed").as_deref(), Some("false"));
}

fn put_json(emu: &TestEmulator, path: &str, body: Value) {
    let url = format!("{}{path}", emu.url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = brickci::http::client(&Default::default())
            .unwrap()
            .put(url)
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "PUT {path}: {}", resp.status());
    });
}

#[test]
fn alias_champion_is_the_baseline_and_the_candidate_version_is_output() {
    let emu = TestEmulator::fast();
    let exp = experiment(&emu);
    emu.post_json(
        "/api/2.1/unity-catalog/schemas",
        json!({ "name": "ml", "catalog_name": "main" }),
    );
    emu.post_json(
        "/api/2.1/unity-catalog/models",
        json!({ "name": "churn", "catalog_name": "main", "schema_name": "ml" }),
    );
    let model = "main.ml.churn";
    // No alias yet: nothing to compare with.
    let first = seed_run(&emu, &exp, 1_000, &[("rmse", 2.0)], "FINISHED");
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "rmse:min",
            "--compare",
            "alias:champion",
            "--model",
            model,
        ],
    );
    assert_eq!(code(&g.out), 0, "{}", text(&g.out));
    assert!(text(&g.out).contains("no baseline"), "{}", text(&g.out));
    assert_eq!(output(&g, "candidate-model-version"), None);

    let reg = |run: &str| {
        emu.post_json(
            "/api/2.0/mlflow/unity-catalog/model-versions/create",
            json!({ "name": model, "source": format!("dbfs:/x/{run}/model"), "run_id": run }),
        )["model_version"]["version"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let v1 = reg(&first);
    put_json(
        &emu,
        &format!("/api/2.1/unity-catalog/models/{model}/aliases/champion"),
        json!({ "version_num": v1.parse::<i64>().unwrap() }),
    );

    let better = seed_run(&emu, &exp, 2_000, &[("rmse", 1.5)], "FINISHED");
    let v2 = reg(&better);
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--metric",
            "rmse:min",
            "--compare",
            "alias:champion",
            "--model",
            model,
        ],
    );
    assert_eq!(code(&g.out), 0, "{}", text(&g.out));
    assert_eq!(
        output(&g, "candidate-model-version").as_deref(),
        Some(v2.as_str())
    );
    assert!(
        g.summary.contains("| rmse | lower | 1.5 | 2 | pass |"),
        "{}",
        g.summary
    );

    let worse = seed_run(&emu, &exp, 3_000, &[("rmse", 2.5)], "FINISHED");
    let g = gate(
        &emu,
        &[
            "--experiment",
            EXP,
            "--run-id",
            &worse,
            "--metric",
            "rmse:min",
            "--compare",
            "alias:champion",
            "--model",
            model,
        ],
    );
    assert_eq!(code(&g.out), 1, "{}", text(&g.out));
    assert_eq!(
        output(&g, "candidate-run-id").as_deref(),
        Some(worse.as_str())
    );
}

#[test]
fn bad_input_exits_2_with_only_reads() {
    let emu = TestEmulator::fast();
    let exp = experiment(&emu);
    seed_run(&emu, &exp, 1_000, &[("val_auc", 0.8)], "FINISHED");
    let elsewhere = emu.post_json(
        "/api/2.0/mlflow/experiments/create",
        json!({ "name": "/Shared/other" }),
    );
    let elsewhere = elsewhere["experiment_id"].as_str().unwrap();
    let other = seed_run(&emu, elsewhere, 1_000, &[("val_auc", 0.8)], "FINISHED");
    let before = emu.requests().len();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--experiment",
                EXP,
                "--run-id",
                &other,
                "--metric",
                "val_auc",
                "--threshold",
                "1",
            ],
            "belongs to experiment",
        ),
        (
            &[
                "--experiment",
                EXP,
                "--metric",
                "val_auc",
                "--compare",
                "alias:champion",
                "--model",
                "main.ml.typo",
            ],
            "--model main.ml.typo",
        ),
        (
            &["--experiment", EXP, "--metric", "f1", "--threshold", "0.5"],
            "--metric f1",
        ),
        (
            &[
                "--experiment",
                "/Shared/nope",
                "--metric",
                "val_auc",
                "--threshold",
                "0.5",
            ],
            "--experiment /Shared/nope",
        ),
        (
            &["--experiment", EXP, "--metric", "val_auc"],
            "give one comparison",
        ),
        (
            &[
                "--experiment",
                EXP,
                "--metric",
                "val_auc",
                "--compare",
                "best-of:0",
            ],
            "best-of:N",
        ),
        (
            &[
                "--experiment",
                EXP,
                "--metric",
                "val_auc",
                "--compare",
                "alias:champion",
            ],
            "--model",
        ),
        (
            &[
                "--experiment",
                EXP,
                "--metric",
                "val_auc",
                "--compare",
                "alias:c",
                "--model",
                "churn",
            ],
            "catalog.schema.model",
        ),
        (
            &[
                "--experiment",
                EXP,
                "--run-id",
                "0123abc",
                "--metric",
                "val_auc",
                "--threshold",
                "1",
            ],
            "--run-id 0123abc",
        ),
        (
            &[
                "--experiment",
                EXP,
                "--metric",
                "val_auc",
                "--threshold",
                "1",
                "--compare",
                "best-of:2",
            ],
            "cannot be used with",
        ),
    ];
    for (args, says) in cases {
        let g = gate(&emu, args);
        assert_eq!(code(&g.out), 2, "{args:?}: {}", text(&g.out));
        assert!(text(&g.out).contains(says), "{args:?}: {}", text(&g.out));
        assert_eq!(output(&g, "gate-passed"), None, "{args:?}");
    }
    for r in emu.requests().into_iter().skip(before) {
        assert!(
            r.method == "GET" || r.path.ends_with("/mlflow/runs/search"),
            "only reads: {} {}",
            r.method,
            r.path
        );
    }
}

/// The official Databricks SDK for Python drives the MLflow surface the gate reads.
#[test]
fn official_sdk_drives_the_mlflow_surface() {
    let Some(python) = venv_python() else {
        return;
    };
    let emu = TestEmulator::fast();
    let out = std::process::Command::new(python)
        .arg(repo().join("tests/python/sdk_mlflow_surface.py"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("sdk mlflow-surface checks passed"), "{all}");
}

/// From an action step's inputs (`command: gate`, one metric per line), as the wrappers start it.
#[test]
fn gate_runs_from_task_inputs_with_metrics_one_per_line() {
    let emu = TestEmulator::fast();
    let exp = experiment(&emu);
    let cand = seed_run(
        &emu,
        &exp,
        1_000,
        &[("val_auc", 0.8), ("loss", 0.3)],
        "FINISHED",
    );
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let env = vec![
        ("GITHUB_ACTIONS".to_string(), "true".to_string()),
        ("GITHUB_OUTPUT".into(), p("output")),
        ("GITHUB_STEP_SUMMARY".into(), p("summary")),
        ("RUNNER_TEMP".into(), p("")),
        ("INPUT_HOST".into(), emu.url()),
        ("INPUT_TOKEN".into(), TOKEN.into()),
        ("INPUT_COMMAND".into(), "gate".into()),
        ("INPUT_EXPERIMENT".into(), EXP.into()),
        ("INPUT_METRIC".into(), "val_auc\nloss:min".into()),
        ("INPUT_THRESHOLD".into(), "0.5".into()),
    ];
    let out = brickci(&[], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let g = Gate {
        out,
        outputs: std::fs::read_to_string(p("output")).unwrap_or_default(),
        summary: std::fs::read_to_string(p("summary")).unwrap_or_default(),
    };
    assert_eq!(
        output(&g, "candidate-run-id").as_deref(),
        Some(cand.as_str())
    );
    assert!(
        g.summary.contains("| loss | lower | 0.3 | 0.5 | pass |"),
        "{}",
        g.summary
    );
    assert!(
        g.summary
            .contains("| val\\_auc | higher | 0.8 | 0.5 | pass |"),
        "{}",
        g.summary
    );
}

/// Metric and run names are the trainer's text: in the summary they stay inside their cell.
#[test]
fn hostile_metric_names_stay_in_their_table_cell() {
    let emu = TestEmulator::fast();
    let exp = experiment(&emu);
    let name = "auc|<img src=x>@team";
    seed_run(&emu, &exp, 1_000, &[(name, 0.9)], "FINISHED");
    let g = gate(
        &emu,
        &["--experiment", EXP, "--metric", name, "--threshold", "0.5"],
    );
    assert_eq!(code(&g.out), 0, "{}", text(&g.out));
    assert!(
        g.summary
            .contains("| auc\\|&lt;img src=x&gt;@&#8203;team | higher | 0.9 | 0.5 | pass |"),
        "{}",
        g.summary
    );
    assert!(!g.summary.contains("<img"), "{}", g.summary);
}
