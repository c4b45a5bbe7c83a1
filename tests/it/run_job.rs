//! `brickci run` for existing jobs, runs started elsewhere, and `brickci cancel`.

use crate::common::*;
use serde_json::json;

/// A nightly job: prep -> train (fails) -> publish; validate runs beside them.
fn nightly(emu: &TestEmulator) -> i64 {
    emu.put_notebook(
        "/Shared/nightly/prep",
        "dbutils.notebook.exit('prepared 10 rows')\n",
    );
    emu.put_notebook(
        "/Shared/nightly/train",
        "# brickci-emulator: fail \"ValueError: learning rate must be positive\"\n",
    );
    emu.put_notebook(
        "/Shared/nightly/publish",
        "dbutils.notebook.exit('published')\n",
    );
    emu.put_notebook(
        "/Shared/nightly/validate",
        "dbutils.notebook.exit('valid')\n",
    );
    let task = |key: &str, deps: &[&str]| {
        json!({
            "task_key": key,
            "notebook_task": { "notebook_path": format!("/Shared/nightly/{key}") },
            "depends_on": deps.iter().map(|d| json!({ "task_key": d })).collect::<Vec<_>>(),
        })
    };
    let created = emu.post_json(
        "/api/2.2/jobs/create",
        json!({
            "name": "nightly training",
            "tasks": [task("prep", &[]), task("train", &["prep"]), task("publish", &["train"]), task("validate", &[])],
        }),
    );
    created["job_id"].as_i64().unwrap()
}

fn env_for(emu: &TestEmulator, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = run_env(emu);
    env.extend(extra.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    env
}

#[test]
fn multi_task_job_with_a_failing_task_reports_every_task() {
    let emu = TestEmulator::fast();
    nightly(&emu);
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("out.json");
    let env = env_for(&emu, &[("BRICKCI_OUTPUT_FILE", outputs.to_str().unwrap())]);
    let out = brickci(
        &["run", "--job-name", "Nightly Training", "--param", "env=qa"],
        &as_refs(&env),
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    assert!(all.contains("task prep: SUCCESS"), "{all}");
    assert!(all.contains("task train: FAILED"), "{all}");
    assert!(all.contains("task publish: UPSTREAM_FAILED"), "{all}");
    assert!(all.contains("task validate: SUCCESS"), "{all}");
    assert!(
        all.contains("ValueError: learning rate must be positive"),
        "{all}"
    );
    assert!(all.contains("Traceback"), "{all}");
    assert!(all.contains("task prep output: prepared 10 rows"), "{all}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    assert_eq!(written["result-state"], "FAILED");
    let tasks: serde_json::Value =
        serde_json::from_str(written["task-states"].as_str().unwrap()).unwrap();
    assert_eq!(
        tasks,
        json!({ "prep": "SUCCESS", "train": "FAILED", "publish": "UPSTREAM_FAILED", "validate": "SUCCESS" })
    );
    let run_now = &emu.calls("POST", "/jobs/run-now")[0];
    assert_eq!(run_now.body["notebook_params"]["env"], "qa");
    assert!(run_now.body["idempotency_token"].is_string());
}

#[test]
fn only_checks_task_names_before_starting_anything() {
    let emu = TestEmulator::fast();
    let job_id = nightly(&emu).to_string();
    let dir = tempfile::tempdir().unwrap();
    let env = env_for(&emu, &[]);
    let out = brickci(
        &["run", "--job-id", &job_id, "--only", "trian"],
        &as_refs(&env),
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    assert!(
        all.contains("trian") && all.contains("prep, train, publish, validate"),
        "{all}"
    );
    assert!(emu.calls("POST", "/jobs/run-now").is_empty());
    let out = brickci(
        &["run", "--job-id", &job_id, "--only", "prep,validate"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.calls("POST", "/jobs/run-now")[0].body["only"],
        json!(["prep", "validate"])
    );
}

#[test]
fn no_wait_then_attach() {
    let emu = TestEmulator::fast();
    emu.put_notebook("/Shared/quick", "dbutils.notebook.exit('quick')\n");
    let job = emu.post_json(
        "/api/2.2/jobs/create",
        json!({ "name": "quick", "tasks": [{ "task_key": "q", "notebook_task": { "notebook_path": "/Shared/quick" } }] }),
    );
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("out.json");
    let env = env_for(&emu, &[("BRICKCI_OUTPUT_FILE", outputs.to_str().unwrap())]);
    let out = brickci(
        &["run", "--job-id", &job["job_id"].to_string(), "--no-wait"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        emu.calls("GET", "/jobs/runs/get").len() <= 1,
        "did not wait"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    let run_id = written["run-id"].as_str().unwrap().to_string();
    assert!(
        written["run-url"]
            .as_str()
            .unwrap()
            .contains(&format!("/run/{run_id}"))
    );
    let out = brickci(&["run", "--attach", &run_id], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("notebook output: quick"));
    assert!(
        emu.calls("POST", "/jobs/run-now").len() == 1,
        "attach starts nothing"
    );
    let out = brickci(&["run", "--attach", "424242"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no such run"));
}

#[test]
fn cancel_stops_the_run_an_earlier_step_started() {
    let emu = TestEmulator::fast();
    emu.put_notebook("/Shared/slow", "# brickci-emulator: duration 1h\n");
    let job = emu.post_json(
        "/api/2.2/jobs/create",
        json!({ "name": "slow", "tasks": [{ "task_key": "s", "notebook_task": { "notebook_path": "/Shared/slow" } }] }),
    );
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("gh_state");
    let env = env_for(
        &emu,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STATE", state.to_str().unwrap()),
        ],
    );
    let out = brickci(
        &["run", "--job-id", &job["job_id"].to_string(), "--no-wait"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let saved = std::fs::read_to_string(&state).unwrap();
    let run_id = saved
        .lines()
        .find_map(|l| l.strip_prefix("BRICKCI_RUN_ID="))
        .expect("run id saved as step state")
        .to_string();
    // The post step sees the state as STATE_<name>, as the runner passes it.
    let env = env_for(
        &emu,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("STATE_BRICKCI_RUN_ID", &run_id),
        ],
    );
    let out = brickci(&["cancel"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(emu.calls("POST", "/jobs/runs/cancel").len(), 1);
    let run = emu.get_json(&format!("/api/2.2/jobs/runs/get?run_id={run_id}"));
    assert_eq!(run["state"]["result_state"], "CANCELED", "{run}");
}

#[test]
fn ambiguous_or_unknown_job_names_are_bad_input() {
    let emu = TestEmulator::fast();
    for _ in 0..2 {
        emu.post_json(
            "/api/2.2/jobs/create",
            json!({ "name": "twin", "tasks": [] }),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let env = env_for(&emu, &[]);
    let out = brickci(&["run", "--job-name", "twin"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("2 jobs have this name"));
    let out = brickci(&["run", "--job-name", "nobody"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = brickci(&["run"], &as_refs(&env), dir.path());
    assert_eq!(
        code(&out),
        2,
        "clap refuses a run without a target: {}",
        text(&out)
    );
}

#[test]
fn git_ref_runs_the_commit_under_test_without_uploading() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("notebooks")).unwrap();
    let nb = write_notebook(&dir.path().join("notebooks"), "etl.py", "print(1)\n");
    let env = env_for(
        &emu,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/lakehouse"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_WORKSPACE", dir.path().to_str().unwrap()),
        ],
    );
    let out = brickci(
        &[
            "run",
            "--notebook",
            nb.to_str().unwrap(),
            "--git-ref",
            "0123abcd0123abcd",
        ],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        emu.calls("POST", "/workspace/import").is_empty(),
        "nothing uploaded"
    );
    let submit = &emu.calls("POST", "/jobs/runs/submit")[0].body;
    assert_eq!(
        submit["git_source"],
        json!({ "git_url": "https://github.com/acme/lakehouse", "git_provider": "gitHub", "git_commit": "0123abcd0123abcd" })
    );
    assert_eq!(
        submit["tasks"][0]["notebook_task"]["notebook_path"],
        "notebooks/etl"
    );
    assert_eq!(submit["tasks"][0]["notebook_task"]["source"], "GIT");
}

#[test]
fn restart_cancels_the_jobs_active_runs_before_starting_a_new_one() {
    let emu = TestEmulator::fast();
    emu.put_notebook("/Shared/slow", "# brickci-emulator: duration 1h\n");
    let created = emu.post_json(
        "/api/2.2/jobs/create",
        json!({"name": "slow", "max_concurrent_runs": 1,
               "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/slow"}}]}),
    );
    let job = created["job_id"].as_i64().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let first = Brickci::new(["run", "--job-id", &job, "--no-wait"])
        .against(&emu)
        .dir(dir.path())
        .output();
    assert_eq!(code(&first), 0, "{}", text(&first));
    let first_run = emu.calls("POST", "/jobs/run-now").len();
    assert_eq!(first_run, 1);
    let active = |emu: &TestEmulator| {
        emu.get_json(&format!(
            "/api/2.2/jobs/runs/list?job_id={job}&active_only=true"
        ))["runs"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    assert_eq!(active(&emu), 1);

    let second = Brickci::new(["run", "--job-id", &job, "--no-wait", "--restart"])
        .against(&emu)
        .dir(dir.path())
        .output();
    let all = text(&second);
    assert_eq!(code(&second), 0, "{all}");
    assert!(
        all.contains("--restart: cancelled the job's active runs"),
        "{all}"
    );
    assert_eq!(emu.calls("POST", "/jobs/runs/cancel").len(), 1, "{all}");
    // The cancel came first, then a new run: one active run, not the old one.
    let log = emu.requests();
    let cancel_at = log
        .iter()
        .position(|r| r.path.ends_with("/jobs/runs/cancel"))
        .unwrap();
    let start_at = log
        .iter()
        .rposition(|r| r.path.ends_with("/jobs/run-now"))
        .unwrap();
    assert!(cancel_at < start_at);
    assert_eq!(emu.calls("POST", "/jobs/run-now").len(), 2);
    assert_eq!(active(&emu), 1);

    // Nothing active: --restart cancels nothing and starts as usual.
    let idle = TestEmulator::fast();
    idle.put_notebook("/Shared/quick", "dbutils.notebook.exit('ok')\n");
    let created = idle.post_json(
        "/api/2.2/jobs/create",
        json!({"name": "quick", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/quick"}}]}),
    );
    let quick = created["job_id"].as_i64().unwrap().to_string();
    let out = Brickci::new(["run", "--job-id", &quick, "--restart"])
        .against(&idle)
        .dir(dir.path())
        .output();
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(idle.calls("POST", "/jobs/runs/cancel").is_empty());
}
