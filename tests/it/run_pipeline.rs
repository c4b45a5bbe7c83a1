//! `brickci run -t T KEY` where KEY is a pipeline of the bundle: an update started with the
//! refresh flags asked for, followed to its end, its error events shown when it fails, and
//! stopped on SIGTERM; the emulator's request log shows what reached the workspace.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::common::*;

const STATE_DIR: &str = "/Workspace/Users/ci-bot@example.com/.bundle/mlops/dev/state";
const NOTEBOOK: &str = "/Shared/mlops/ingest";

/// A bundle deployed by the Databricks CLI with a job `train_model` and a pipeline `ingest`
/// whose one library is a notebook with `source`; the pipeline's id.
fn deployed(emu: &TestEmulator, source: &str) -> String {
    deployed_with(emu, source, "train_model")
}

fn deployed_with(emu: &TestEmulator, source: &str, job_key: &str) -> String {
    emu.put_notebook(NOTEBOOK, source);
    emu.put_notebook("/Shared/mlops/train", "dbutils.notebook.exit('ok')\n");
    let pipeline = emu.post_json(
        "/api/2.0/pipelines",
        json!({ "name": "[dev ci_bot] ingest", "libraries": [{ "notebook": { "path": NOTEBOOK } }] }),
    );
    let pipeline_id = pipeline["pipeline_id"].as_str().unwrap().to_string();
    let job = emu.post_json(
        "/api/2.2/jobs/create",
        json!({ "name": "[dev ci_bot] train", "tasks": [{ "task_key": "train", "notebook_task": { "notebook_path": "/Shared/mlops/train" } }] }),
    );
    let job_id = job["job_id"].as_i64().unwrap();
    let state = json!({
        "version": 4,
        "resources": [
            { "mode": "managed", "type": "databricks_job", "name": job_key, "instances": [{ "attributes": { "id": job_id.to_string() } }] },
            { "mode": "managed", "type": "databricks_pipeline", "name": "ingest", "instances": [{ "attributes": { "id": pipeline_id } }] },
        ],
    });
    emu.post_json("/api/2.0/workspace/mkdirs", json!({ "path": STATE_DIR }));
    emu.post_json(
        "/api/2.0/workspace/import",
        json!({
            "path": format!("{STATE_DIR}/terraform.tfstate"),
            "format": "AUTO",
            "overwrite": true,
            "content": base64::engine::general_purpose::STANDARD.encode(state.to_string()),
        }),
    );
    pipeline_id
}

fn bundle_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: mlops\ntargets:\n  dev:\n    mode: development\n    default: true\n",
    )
    .unwrap();
    dir
}

fn run(emu: &TestEmulator, dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["run", "-t", "dev"];
    all.extend_from_slice(args);
    Brickci::new(&all).against(emu).dir(dir).output()
}

fn update(emu: &TestEmulator, pipeline_id: &str, update_id: &str) -> Value {
    emu.get_json(&format!(
        "/api/2.0/pipelines/{pipeline_id}/updates/{update_id}"
    ))["update"]
        .clone()
}

fn started_update_ids(emu: &TestEmulator, pipeline_id: &str) -> Vec<String> {
    emu.get_json(&format!("/api/2.0/pipelines/{pipeline_id}/updates"))["updates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u["update_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_update_runs_to_completed_showing_its_states() {
    let emu = TestEmulator::fast();
    // Three minutes of RUNNING on the fast clock: seconds of real time, seen by any poll.
    let pid = deployed(&emu, "# brickci-emulator: duration 3m\n");
    let dir = bundle_dir();
    let out = run(&emu, dir.path(), &["ingest"]);
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(
        all.contains("starting an update of pipeline ingest"),
        "{all}"
    );
    assert!(all.contains("update state: RUNNING"), "{all}");
    assert!(all.contains("update state: COMPLETED"), "{all}");
    assert!(all.contains("finished: COMPLETED"), "{all}");
    let ids = started_update_ids(&emu, &pid);
    assert_eq!(ids.len(), 1, "{all}");
    assert!(all.contains(&format!("update {} started", ids[0])), "{all}");
    assert_eq!(update(&emu, &pid, &ids[0])["state"], "COMPLETED");
    // Nothing asked for: the whole graph, no selection.
    let start = &emu.calls("POST", &format!("/pipelines/{pid}/updates"))[0];
    assert!(
        start.body.get("refresh_selection").is_none(),
        "{:?}",
        start.body
    );
    assert!(start.body.get("full_refresh").is_none(), "{:?}", start.body);
}

#[test]
fn a_failing_update_exits_1_and_shows_its_error_events() {
    let emu = TestEmulator::fast();
    let pid = deployed(
        &emu,
        "# brickci-emulator: fail \"AnalysisException: Table or view not found: raw.sales\"\n",
    );
    let dir = bundle_dir();
    let summary = dir.path().join("summary.md");
    let out = Brickci::new(["run", "-t", "dev", "ingest"])
        .against(&emu)
        .env("BRICKCI_SUMMARY_FILE", &summary)
        .dir(dir.path())
        .output();
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    assert!(all.contains("finished: FAILED"), "{all}");
    assert!(
        all.contains("AnalysisException: Table or view not found: raw.sales"),
        "{all}"
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("Pipeline ingest: FAILED"), "{summary}");
    assert!(
        summary.contains("AnalysisException: Table or view not found: raw.sales"),
        "{summary}"
    );
    // The events were asked for this update's errors only.
    let ids = started_update_ids(&emu, &pid);
    let events = emu.calls("GET", &format!("/pipelines/{pid}/events"));
    assert!(!events.is_empty(), "{all}");
    let query = &events[0].query;
    assert!(
        query.contains(&ids[0]) && query.contains("ERROR"),
        "{query}"
    );
}

#[test]
fn refresh_flags_reach_the_start_request() {
    let emu = TestEmulator::fast();
    let pid = deployed(&emu, "x = 1\n");
    let dir = bundle_dir();
    let out = run(
        &emu,
        dir.path(),
        &[
            "ingest",
            "--refresh",
            "sales,orders",
            "--refresh",
            "customers",
            "--full-refresh-table",
            "dim_date",
            "--validate-only",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(&emu, dir.path(), &["ingest", "--full-refresh"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let starts = emu.calls("POST", &format!("/pipelines/{pid}/updates"));
    assert_eq!(starts.len(), 2);
    assert_eq!(
        starts[0].body["refresh_selection"],
        json!(["sales", "orders", "customers"])
    );
    assert_eq!(
        starts[0].body["full_refresh_selection"],
        json!(["dim_date"])
    );
    assert_eq!(starts[0].body["validate_only"], true);
    assert_eq!(starts[1].body["full_refresh"], true);
    // The emulator kept them on the update.
    let ids = started_update_ids(&emu, &pid);
    assert_eq!(update(&emu, &pid, &ids[0])["full_refresh"], true);
    assert_eq!(
        update(&emu, &pid, &ids[1])["refresh_selection"],
        json!(["sales", "orders", "customers"])
    );

    // A full refresh of everything and a selection at once: refused before anything starts.
    let out = run(
        &emu,
        dir.path(),
        &["ingest", "--full-refresh", "--refresh", "sales"],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--full-refresh"), "{}", text(&out));
    assert_eq!(
        emu.calls("POST", &format!("/pipelines/{pid}/updates"))
            .len(),
        2
    );
}

#[test]
fn flags_for_the_other_kind_and_unknown_or_shared_keys_are_bad_input() {
    let emu = TestEmulator::fast();
    let pid = deployed_with(&emu, "x = 1\n", "train_model");
    let dir = bundle_dir();
    let out = run(&emu, dir.path(), &["train_model", "--full-refresh"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("--full-refresh only applies to pipelines"),
        "{}",
        text(&out)
    );
    let out = run(&emu, dir.path(), &["ingest", "--param", "day=1"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("--param only applies to jobs"),
        "{}",
        text(&out)
    );
    let out = run(&emu, dir.path(), &["nightly"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("(jobs: train_model; pipelines: ingest)"),
        "{}",
        text(&out)
    );
    assert!(emu.calls("POST", "/jobs/run-now").is_empty());
    assert!(
        emu.calls("POST", &format!("/pipelines/{pid}/updates"))
            .is_empty()
    );
}

#[test]
fn a_key_that_is_a_job_and_a_pipeline_must_say_which() {
    let emu = TestEmulator::fast();
    let pid = deployed_with(&emu, "x = 1\n", "ingest");
    let dir = bundle_dir();
    let out = run(&emu, dir.path(), &["ingest"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("both a job and a pipeline") && text(&out).contains("pipelines.ingest"),
        "{}",
        text(&out)
    );
    let out = run(&emu, dir.path(), &["pipelines.ingest"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.calls("POST", &format!("/pipelines/{pid}/updates"))
            .len(),
        1
    );
}

#[test]
fn no_wait_prints_the_update_id_and_restart_stops_the_active_update() {
    let emu = TestEmulator::fast();
    // An hour of RUNNING: the update is still active when the next run starts.
    let pid = deployed(&emu, "# brickci-emulator: duration 1h\n");
    let dir = bundle_dir();
    let out = run(&emu, dir.path(), &["ingest", "--no-wait"]);
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    let first = started_update_ids(&emu, &pid).remove(0);
    assert!(
        all.contains(&format!("update {first} started; not waiting")),
        "{all}"
    );

    // Another start while it runs is refused by the workspace: said plainly.
    let out = run(&emu, dir.path(), &["ingest", "--no-wait"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("already has an active update") && text(&out).contains("--restart"),
        "{}",
        text(&out)
    );

    let out = run(&emu, dir.path(), &["ingest", "--restart", "--no-wait"]);
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(
        all.contains(&format!(
            "--restart: stopped the pipeline's active update {first}"
        )),
        "{all}"
    );
    assert_eq!(
        emu.calls("POST", &format!("/pipelines/{pid}/stop")).len(),
        1
    );
    assert_eq!(update(&emu, &pid, &first)["state"], "CANCELED");
    assert_eq!(started_update_ids(&emu, &pid).len(), 2);
}

/// Starts `run -t dev ingest ARGS`, waits until `ready`, sends SIGTERM; the exit code and
/// everything printed. A child still running long after the signal fails the test.
fn terminate_when(
    emu: &TestEmulator,
    dir: &Path,
    args: &[&str],
    ready: impl FnMut() -> bool,
) -> (i32, String) {
    let mut all = vec!["run", "-t", "dev", "ingest"];
    all.extend_from_slice(args);
    let mut child = Brickci::new(&all).against(emu).dir(dir).spawn();
    if !wait_until(Duration::from_secs(30), ready) {
        let _ = child.kill();
        panic!("never got to the point to signal");
    }
    std::thread::sleep(Duration::from_millis(300));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut status = None;
    wait_until(Duration::from_secs(30), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let Some(status) = status else {
        let _ = child.kill();
        panic!("still running 30 s after SIGTERM");
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    (status.code().unwrap_or(-1), out)
}

#[test]
fn sigterm_during_an_update_stops_it() {
    let emu = TestEmulator::fast();
    let pid = deployed(&emu, "# brickci-emulator: duration 1h\n");
    let dir = bundle_dir();
    let (code, out) = terminate_when(&emu, dir.path(), &[], || {
        emu.calls("GET", "")
            .iter()
            .any(|r| r.path.contains(&format!("/pipelines/{pid}/updates/")))
    });
    assert_eq!(code, 143, "{out}");
    assert!(
        out.contains("stopping the update: received SIGTERM"),
        "{out}"
    );
    assert_eq!(
        emu.calls("POST", &format!("/pipelines/{pid}/stop")).len(),
        1,
        "{out}"
    );
    let id = started_update_ids(&emu, &pid).remove(0);
    assert!(
        wait_until(Duration::from_secs(10), || update(&emu, &pid, &id)["state"]
            == "CANCELED"),
        "{out}"
    );
}

#[test]
fn sigterm_while_the_start_is_in_flight_stops_the_update_it_started() {
    let emu = TestEmulator::fast();
    let pid = deployed(&emu, "# brickci-emulator: duration 1h\n");
    emu.fault("POST */updates=latency:2000*1");
    let dir = bundle_dir();
    let (code, out) = terminate_when(&emu, dir.path(), &["--no-wait"], || {
        !emu.calls("GET", "/workspace/export").is_empty()
    });
    assert_eq!(
        code, 143,
        "--no-wait does not turn a signal into success: {out}"
    );
    // The start was answered after the signal; the update it started was stopped.
    let ids = started_update_ids(&emu, &pid);
    assert_eq!(ids.len(), 1, "{out}");
    assert!(
        out.contains(&format!(
            "SIGTERM: update {} of pipeline {pid} was stopped",
            ids[0]
        )),
        "{out}"
    );
    for id in ids {
        assert!(
            wait_until(Duration::from_secs(10), || update(&emu, &pid, &id)["state"]
                == "CANCELED"),
            "update {id} was left running:\n{out}"
        );
    }
    assert!(out.contains("SIGTERM"), "{out}");
}

#[test]
fn the_official_python_sdk_drives_updates_and_events() {
    let Some(python) = venv_python() else {
        return;
    };
    let emu = TestEmulator::fast();
    let out = Command::new(python)
        .arg(repo().join("tests/python/sdk_pipelines.py"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("python runs");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("sdk pipeline checks passed"), "{all}");
    assert_eq!(
        emu.calls("POST", "/stop").len(),
        1,
        "stop_and_wait sends one stop"
    );
}

#[test]
fn deploy_fail_on_active_runs_refuses_over_a_running_pipeline_update() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle: {name: busy}\nresources:\n  pipelines:\n    ingest:\n      name: ingest\n      libraries:\n        - notebook: {path: ./ingest.py}\ntargets:\n  dev: {default: true}\n",
    )
    .unwrap();
    let notebook = "# Databricks notebook source\n# brickci-emulator: duration 1h\n";
    std::fs::write(dir.path().join("ingest.py"), notebook).unwrap();
    let deploy = |extra: &[&str]| {
        let mut args = vec!["deploy"];
        args.extend_from_slice(extra);
        Brickci::new(&args).against(&emu).dir(dir.path()).output()
    };
    let out = deploy(&[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Started by the bundle's own `run`, found through brickci's deployment state.
    let out = Brickci::new(["run", "ingest", "--no-wait"])
        .against(&emu)
        .dir(dir.path())
        .output();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let pid = emu.get_json("/api/2.0/pipelines")["statuses"][0]["pipeline_id"]
        .as_str()
        .unwrap()
        .to_string();
    let uid = started_update_ids(&emu, &pid).remove(0);
    std::fs::write(
        dir.path().join("ingest.py"),
        format!("{notebook}# changed\n"),
    )
    .unwrap();
    let before = emu.requests().len();
    let out = deploy(&["--fail-on-active-runs"]);
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    assert!(
        all.contains(&format!("pipelines.ingest (pipeline {pid}: update {uid})")),
        "{all}"
    );
    // The lock was taken and given back; the changed notebook was not written.
    let wrote = emu.requests()[before..].iter().any(|r| {
        r.method == "POST"
            && r.path.ends_with("/workspace/import")
            && r.body["path"]
                .as_str()
                .is_some_and(|p| p.contains("ingest"))
    });
    assert!(!wrote, "{all}");
    assert!(all.contains("--restart"), "{all}");
}

#[test]
fn an_update_past_the_timeout_is_stopped_and_fails() {
    let emu = TestEmulator::fast();
    let pid = deployed(&emu, "# brickci-emulator: duration 1h\n");
    let dir = bundle_dir();
    let out = run(&emu, dir.path(), &["ingest", "--timeout", "1"]);
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    assert!(
        all.contains("stopping the update: timeout of 1s reached"),
        "{all}"
    );
    assert!(
        all.contains("did not finish within 1s; it was stopped"),
        "{all}"
    );
    assert_eq!(
        emu.calls("POST", &format!("/pipelines/{pid}/stop")).len(),
        1
    );
    let id = started_update_ids(&emu, &pid).remove(0);
    assert!(
        wait_until(Duration::from_secs(10), || update(&emu, &pid, &id)["state"]
            == "CANCELED"),
        "{all}"
    );
}

/// A GitHub step's environment: its state file and runner temp in `dir`, the emulator's
/// connection.
fn github_step_env(emu: &TestEmulator, dir: &Path) -> Vec<(String, String)> {
    let mut env = run_env(emu);
    env.push(("GITHUB_ACTIONS".into(), "true".into()));
    let state = dir.join("state").display().to_string();
    env.push(("GITHUB_STATE".into(), state));
    let tmp = dir.join("tmp").display().to_string();
    env.push(("RUNNER_TEMP".into(), tmp));
    env
}

#[test]
fn the_post_step_and_cancel_saved_stop_a_pipeline_update_left_running() {
    let emu = TestEmulator::fast();
    let pid = deployed(&emu, "# brickci-emulator: duration 1h\n");
    let dir = bundle_dir();
    let env = github_step_env(&emu, dir.path());
    // The main step is killed outright (a cancelled job's container) while it follows the update.
    let mut main = Brickci::new(["run", "-t", "dev", "ingest"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .dir(dir.path())
        .spawn();
    let path = format!("/pipelines/{pid}/updates/");
    assert!(
        wait_until(Duration::from_secs(20), || emu
            .calls("GET", "")
            .iter()
            .filter(|r| r.path.contains(&path))
            .count()
            >= 2),
        "the update was started and is being followed"
    );
    main.kill().unwrap();
    main.wait().unwrap();
    let first = started_update_ids(&emu, &pid).remove(0);
    let state = dir.path().join("state");
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(
        saved.contains(&format!("BRICKCI_PIPELINE_UPDATES={pid}/{first}\n")),
        "{saved}"
    );
    assert!(saved.ends_with("BRICKCI_RUN_DONE=false\n"), "{saved}");
    let runs = dir.path().join("tmp/brickci/runs");
    assert!(runs.join(format!("update-{first}.json")).exists());

    // The post step: the /brickci-post symlink, the same connection, the saved state.
    let post = dir.path().join("brickci-post");
    std::os::unix::fs::symlink(bin(), &post).unwrap();
    let mut post_env = env.clone();
    for line in saved.lines() {
        let (k, v) = line.split_once('=').unwrap();
        post_env.push((format!("STATE_{k}"), v.to_string()));
    }
    let out = Command::new(&post)
        .env_clear()
        .envs(post_env.iter().map(|(k, v)| (k, v)))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stops = format!("/pipelines/{pid}/stop");
    assert_eq!(emu.calls("POST", &stops).len(), 1, "{}", text(&out));
    assert_eq!(update(&emu, &pid, &first)["state"], "CANCELED");
    assert_eq!(
        started_update_ids(&emu, &pid).len(),
        1,
        "never re-runs the command"
    );
    assert!(!runs.join(format!("update-{first}.json")).exists());

    // --no-wait hands the update over: a later step's `cancel --saved` stops it.
    std::fs::remove_file(&state).unwrap();
    let out = Brickci::new(["run", "-t", "dev", "ingest", "--no-wait"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .dir(dir.path())
        .output();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let second = started_update_ids(&emu, &pid)
        .into_iter()
        .find(|u| *u != first)
        .unwrap();
    assert!(runs.join(format!("update-{second}.json")).exists());
    let out = Brickci::new(["cancel", "--saved", "--wait", "10"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .dir(dir.path())
        .output();
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(emu.calls("POST", &stops).len(), 2, "{}", text(&out));
    assert_eq!(update(&emu, &pid, &second)["state"], "CANCELED");
    assert!(std::fs::read_dir(&runs).unwrap().next().is_none());
    // Nothing left: a second `cancel --saved` stops nothing.
    let out = Brickci::new(["cancel", "--saved"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .dir(dir.path())
        .output();
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(emu.calls("POST", &stops).len(), 2, "{}", text(&out));
}

#[test]
fn an_azure_devops_cleanup_step_stops_the_update_a_step_saved() {
    let emu = TestEmulator::fast();
    let pid = deployed(&emu, "# brickci-emulator: duration 1h\n");
    let dir = bundle_dir();
    let out = Brickci::new(["run", "-t", "dev", "ingest", "--no-wait"])
        .against(&emu)
        .env("TF_BUILD", "True")
        .dir(dir.path())
        .output();
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    let update_id = started_update_ids(&emu, &pid).remove(0);
    let saved = format!("{pid}/{update_id}");
    let line = format!("##vso[task.setvariable variable=BRICKCI_STATE_PIPELINE_UPDATES]{saved}");
    assert!(all.contains(&line), "{all}");
    // A later step of the job (`condition: canceled()`) sees the job variable.
    let out = Brickci::new(["cancel", "--wait", "10"])
        .against(&emu)
        .env("TF_BUILD", "True")
        .env("BRICKCI_STATE_PIPELINE_UPDATES", &saved)
        .dir(dir.path())
        .output();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stops = format!("/pipelines/{pid}/stop");
    assert_eq!(emu.calls("POST", &stops).len(), 1, "{}", text(&out));
    assert_eq!(update(&emu, &pid, &update_id)["state"], "CANCELED");
}
