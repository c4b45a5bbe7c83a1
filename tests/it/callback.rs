//! The callback end to end: a bundle whose training job declares `brickci: callbacks:` is
//! deployed to the emulator. The deploy uploads the binary and the launcher and adds the
//! final task. `brickci run` starts the job, and the emulator runs the callback task: it
//! executes the uploaded binary with the substituted parameters and the token from the
//! secret scope. The GitHub stand-in then receives the dispatch, and the token appears in
//! no request, output or job setting.

use crate::support::github_standin;

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::common::*;
use github_standin::Data;
use github_standin::actions::Workflow;
use serde_json::{Value, json};

const GH_TOKEN: &str = "ghs_callbacktoken0123456789abcdefXYZ";

struct GitHub {
    data: github_standin::Shared,
    url: String,
    _server: github_standin::Running,
}

fn github() -> GitHub {
    let data: github_standin::Shared = Arc::new(Mutex::new(Data::default()));
    {
        let mut d = data.lock().unwrap();
        d.actions.workflows.push(Workflow {
            file: "cd.yml".into(),
            id: 42,
            inputs: vec![
                "model_version".into(),
                "training_run".into(),
                "brickci_correlation_id".into(),
            ],
            run_name_input: Some("brickci_correlation_id".into()),
        });
        d.actions.tokens.push(GH_TOKEN.into());
    }
    let server = github_standin::start(data.clone(), "");
    GitHub {
        data,
        url: server.url.clone(),
        _server: server,
    }
}

impl GitHub {
    fn dispatches(&self) -> Vec<github_standin::Recorded> {
        let d = self.data.lock().unwrap();
        d.requests
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("dispatches"))
            .cloned()
            .collect()
    }
}

const TRAIN: &str = "# Databricks notebook source\nversion = 7\ndbutils.jobs.taskValues.set(key=\"model_version\", value=\"7\")\n";

fn bundle(dir: &Path, train: &str, secret_key: &str) {
    std::fs::write(dir.join("train.py"), train).unwrap();
    std::fs::write(
        dir.join("databricks.yml"),
        format!(
            r#"bundle:
  name: training
variables:
  github_api:
    default: https://api.github.com
resources:
  jobs:
    train:
      name: train
      tasks:
        - task_key: train
          notebook_task:
            notebook_path: ./train.py
brickci:
  callbacks:
    train:
      github:
        repo: acme/cd
        workflow: cd.yml
        ref: main
        api_url: ${{var.github_api}}
        inputs:
          model_version: "{{{{tasks.train.values.model_version}}}}"
          training_run: "{{{{job.run_id}}}}"
      secrets:
        GITHUB_TOKEN:
          scope: cicd
          key: {secret_key}
targets:
  dev:
    default: true
"#
        ),
    )
    .unwrap();
}

struct World {
    emu: TestEmulator,
    gh: GitHub,
    dir: tempfile::TempDir,
    _bin: tempfile::TempDir,
    env: Vec<(String, String)>,
}

fn world(train: &str, secret_key: &str) -> World {
    let emu = TestEmulator::fast();
    let gh = github();
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path(), train, secret_key);
    let bin_dir = tempfile::tempdir().unwrap();
    let binary = callback_binary(bin_dir.path());
    let mut env = run_env(&emu);
    env.push((
        "BRICKCI_CALLBACK_BINARY".into(),
        binary.display().to_string(),
    ));
    env.push(("BUNDLE_VAR_github_api".into(), gh.url.clone()));
    emu.post_json("/api/2.0/secrets/scopes/create", json!({ "scope": "cicd" }));
    emu.post_json(
        "/api/2.0/secrets/put",
        json!({ "scope": "cicd", "key": "github-token", "string_value": GH_TOKEN }),
    );
    World {
        emu,
        gh,
        dir,
        _bin: bin_dir,
        env,
    }
}

impl World {
    fn brickci(&self, args: &[&str]) -> std::process::Output {
        brickci(args, &as_refs(&self.env), self.dir.path())
    }

    fn job(&self) -> Value {
        let list = self.emu.get_json("/api/2.2/jobs/list");
        let id = list["jobs"][0]["job_id"].as_i64().expect("a deployed job");
        self.emu.get_json(&format!("/api/2.2/jobs/get?job_id={id}"))
    }

    /// The callback task's run output of the job's latest run.
    fn callback_output(&self) -> Value {
        let runs = self.emu.get_json("/api/2.2/jobs/runs/list");
        let run_id = runs["runs"][0]["run_id"].as_i64().unwrap();
        let run = self
            .emu
            .get_json(&format!("/api/2.2/jobs/runs/get?run_id={run_id}"));
        let task = run["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["task_key"] == "brickci_callback")
            .unwrap()
            .clone();
        self.emu.get_json(&format!(
            "/api/2.2/jobs/runs/get-output?run_id={}",
            task["run_id"]
        ))
    }
}

#[test]
fn a_finished_training_job_dispatches_the_cd_workflow_with_its_model_version() {
    let w = world(TRAIN, "github-token");
    let deployed = w.brickci(&["deploy", "--auto-approve"]);
    assert_eq!(code(&deployed), 0, "{}", text(&deployed));

    // The job now ends with the callback task, which holds no token.
    let job = w.job();
    let tasks = job["settings"]["tasks"].as_array().unwrap();
    let cb = tasks
        .iter()
        .find(|t| t["task_key"] == "brickci_callback")
        .expect("deploy added the callback task");
    assert_eq!(cb["depends_on"], json!([{ "task_key": "train" }]));
    assert_eq!(cb["run_if"], "ALL_SUCCESS");
    let py = &cb["spark_python_task"];
    assert!(
        py["python_file"]
            .as_str()
            .unwrap()
            .ends_with("/artifacts/.brickci/brickci_callback.py"),
        "{py}"
    );

    let run = w.brickci(&["run", "train"]);
    assert_eq!(code(&run), 0, "{}", text(&run));
    let sent = w.gh.dispatches();
    assert_eq!(sent.len(), 1, "one dispatch: {sent:?}");
    assert_eq!(
        sent[0].template.as_deref(),
        Some("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")
    );
    // The token the scope holds is what GitHub was shown.
    assert_eq!(
        sent[0].authorization.as_deref(),
        Some(format!("Bearer {GH_TOKEN}").as_str())
    );
    let inputs = &sent[0].body["inputs"];
    assert_eq!(inputs["model_version"], "7", "{inputs}");
    let runs = w.emu.get_json("/api/2.2/jobs/runs/list");
    let run_id = runs["runs"][0]["run_id"].as_i64().unwrap();
    assert_eq!(inputs["training_run"], run_id.to_string(), "{inputs}");

    // The token: only in the secret scope, never in a request, output or setting.
    let log = serde_json::to_string(&w.emu.requests()).unwrap();
    assert!(
        !log.contains(GH_TOKEN),
        "the emulator's request log holds the token"
    );
    assert!(!w.job().to_string().contains(GH_TOKEN));
    let output = w.callback_output();
    assert!(!output.to_string().contains(GH_TOKEN), "{output}");
    assert_no_secrets(&deployed, &[GH_TOKEN]);
    assert_no_secrets(&run, &[GH_TOKEN]);

    // Nothing changed: the second deploy writes nothing (the binary is not sent again).
    let again = w.brickci(&["deploy", "--auto-approve"]);
    assert_eq!(code(&again), 0, "{}", text(&again));
    assert!(
        text(&again).contains("nothing to deploy"),
        "{}",
        text(&again)
    );
}

#[test]
fn a_task_value_never_set_fails_the_callback_naming_it_and_nothing_is_dispatched() {
    let w = world(
        "# Databricks notebook source\nprint('trained, forgot the value')\n",
        "github-token",
    );
    let deployed = w.brickci(&["deploy", "--auto-approve"]);
    assert_eq!(code(&deployed), 0, "{}", text(&deployed));
    let run = w.brickci(&["run", "train"]);
    assert_eq!(code(&run), 1, "{}", text(&run));
    assert!(w.gh.dispatches().is_empty());
    let output = w.callback_output();
    let error = output["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("{{tasks.train.values.model_version}}")
            && error.contains("task train set no value \"model_version\""),
        "{output}"
    );
}

#[test]
fn a_missing_secret_fails_the_callback_naming_scope_and_key() {
    let w = world(TRAIN, "no-such-key");
    let deployed = w.brickci(&["deploy", "--auto-approve"]);
    assert_eq!(code(&deployed), 0, "{}", text(&deployed));
    let run = w.brickci(&["run", "train"]);
    assert_eq!(code(&run), 1, "{}", text(&run));
    assert!(w.gh.dispatches().is_empty());
    let error = w.callback_output()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("\"no-such-key\"")
            && error.contains("\"cicd\"")
            && error.contains("GITHUB_TOKEN"),
        "{error}"
    );
}

#[test]
fn outside_a_databricks_job_the_callback_refuses_and_points_at_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let out = brickci(
        &[
            "callback",
            "github",
            "--repo=o/r",
            "--workflow=cd.yml",
            "--ref=main",
        ],
        &[("GITHUB_TOKEN", GH_TOKEN)],
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("brickci trigger"), "{}", text(&out));
}

#[test]
fn a_broken_declaration_is_refused_at_validate_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: b\nresources:\n  jobs:\n    train:\n      name: t\n      tasks:\n        - task_key: a\n          notebook_task:\n            notebook_path: /Shared/a\nbrickci:\n  callbacks:\n    train:\n      when: sometimes\n      github:\n        repo: o/r\n        workflow: cd.yml\n      secrets:\n        PATH: {scope: s, key: k}\n    nosuchjob:\n      codepipeline: {name: p}\n",
    )
    .unwrap();
    let emu = TestEmulator::fast();
    let out = brickci(&["validate"], &as_refs(&run_env(&emu)), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    for expected in [
        "databricks.yml:14:13: brickci.callbacks.train.when: must be success, failure or always",
        "brickci.callbacks.train.github.ref: is required",
        "databricks.yml:19:9: brickci.callbacks.train.secrets.PATH:",
        "databricks.yml:20:5: brickci.callbacks.nosuchjob: no job \"nosuchjob\"",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
    }
}
