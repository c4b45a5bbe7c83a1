//! A cancelled CI step cancels its Databricks run; task inputs drive the binary; the
//! emulator serves from the command line.

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use brickci::emulator::EmulatorConfig;

#[test]
fn sigterm_during_a_wait_cancels_the_run_and_exits_143() {
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 10.0,
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "slow.py", "# brickci-emulator: duration 1h\n");
    let mut child = Brickci::new(["run", "--notebook", nb.to_str().unwrap()])
        .env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("BRICKCI_POLL_MIN", "0.05")
        .env("BRICKCI_POLL_MAX", "0.1")
        .spawn();
    assert!(
        wait_until(Duration::from_secs(20), || emu
            .calls("GET", "/jobs/runs/get")
            .len()
            >= 3),
        "the run was submitted and is being watched"
    );
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut exit = None;
    wait_until(Duration::from_secs(10), || {
        exit = child.try_wait().unwrap();
        exit.is_some()
    });
    let Some(status) = exit else {
        let _ = child.kill();
        panic!("still running 10 s after SIGTERM");
    };
    let took = sent.elapsed();
    let mut out = String::new();
    // The log on stdout, brickci's own warnings (the cancellation) on stderr.
    for line in BufReader::new(child.stdout.take().unwrap())
        .lines()
        .chain(BufReader::new(child.stderr.take().unwrap()).lines())
    {
        out.push_str(&line.unwrap());
        out.push('\n');
    }
    assert_eq!(status.code(), Some(143), "{out}");
    assert!(
        took < Duration::from_secs(5),
        "exited {took:?} after SIGTERM, before a runner's kill"
    );
    let cancels = emu.calls("POST", "/jobs/runs/cancel");
    assert_eq!(cancels.len(), 1, "{cancels:?}");
    let run_id = cancels[0].body["run_id"].as_i64().unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || {
            emu.get_json(&format!("/api/2.2/jobs/runs/get?run_id={run_id}"))["state"]["result_state"]
                == "CANCELED"
        }),
        "the emulator shows the run CANCELED"
    );
    assert!(out.contains("cancelling the run"), "{out}");
}

#[test]
fn github_action_inputs_become_the_command() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(
        dir.path(),
        "nb.py",
        "dbutils.notebook.exit('from inputs')\n",
    );
    let env = run_env(&emu);
    let mut env = as_refs(&env);
    let nb_path = nb.to_str().unwrap().to_string();
    env.extend([
        ("GITHUB_ACTIONS", "true"),
        ("INPUT_COMMAND", "run"),
        ("INPUT_NOTEBOOK", nb_path.as_str()),
        ("INPUT_PARAM", "env=qa\nregion=eu\n"),
    ]);
    let out = brickci(&[], &env, dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("from inputs"));
    let submit = &emu.calls("POST", "/jobs/runs/submit")[0];
    let params = &submit.body["tasks"][0]["notebook_task"]["base_parameters"];
    assert_eq!(params["env"], "qa");
    assert_eq!(params["region"], "eu");
}

#[test]
fn emulator_command_serves_with_faults_from_flags() {
    let mut child = Brickci::new([
        "emulator",
        "--port",
        "0",
        "--fault",
        "GET /api/2.0/preview/scim/v2/Me=503:retry-after=1*1",
    ])
    .spawn();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let out = brickci(
        &["auth", "check"],
        &[("DATABRICKS_HOST", &url), ("DATABRICKS_TOKEN", TOKEN)],
        &repo(),
    );
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(code(&out), 0, "the 503 was retried: {}", text(&out));
    assert!(
        status.success(),
        "the emulator stops cleanly on SIGINT: {status:?}"
    );
}

/// The env of a docker action step as the runner forms it: every declared input as
/// `INPUT_<NAME>` upper-cased with hyphens kept, empty when unset; no DATABRICKS_* set.
fn github_step(
    emu: &TestEmulator,
    dir: &std::path::Path,
    inputs: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("GITHUB_ACTIONS".into(), "true".into()),
        (
            "GITHUB_OUTPUT".into(),
            dir.join("output").display().to_string(),
        ),
        (
            "GITHUB_STATE".into(),
            dir.join("state").display().to_string(),
        ),
        ("RUNNER_TEMP".into(), dir.join("tmp").display().to_string()),
        ("BRICKCI_POLL_MIN".into(), "0.05".into()),
        ("BRICKCI_POLL_MAX".into(), "0.2".into()),
        ("INPUT_HOST".into(), emu.url()),
        ("INPUT_TOKEN".into(), TOKEN.into()),
        ("INPUT_TARGET".into(), String::new()),
        ("INPUT_JOB-ID".into(), String::new()),
    ];
    for (k, v) in inputs {
        env.push((format!("INPUT_{}", k.to_uppercase()), v.to_string()));
    }
    env
}

#[test]
fn github_inputs_as_the_runner_forms_them_reach_the_run() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('done')\n");
    let env = github_step(
        &emu,
        dir.path(),
        &[
            ("command", "run"),
            ("notebook", nb.to_str().unwrap()),
            ("cluster-id", "1124-000001-abc"),
            ("params", "a=-1\nb=two\n"),
            ("auth-type", "pat"),
            ("keep-upload", "True"),
        ],
    );
    let out = brickci(&[], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains(&format!("::add-mask::{TOKEN}")),
        "the token input is masked"
    );
    let submit = &emu.calls("POST", "/jobs/runs/submit")[0];
    let task = &submit.body["tasks"][0];
    assert_eq!(task["existing_cluster_id"], "1124-000001-abc", "{task}");
    assert_eq!(task["notebook_task"]["base_parameters"]["a"], "-1");
    let outputs = std::fs::read_to_string(dir.path().join("output")).unwrap();
    assert!(outputs.contains("result-state=SUCCESS"), "{outputs}");
    assert!(outputs.contains("notebook-output=done"), "{outputs}");
}

#[test]
fn azure_devops_task_inputs_in_camel_case_reach_the_run() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('done')\n");
    let nb = nb.to_str().unwrap();
    let env = [
        ("TF_BUILD", "True"),
        ("DATABRICKS_HOST", &emu.url()),
        ("DATABRICKS_TOKEN", TOKEN),
        ("INPUT_COMMAND", "run"),
        ("INPUT_NOTEBOOK", nb),
        ("INPUT_CLUSTERID", "1124-000002-def"),
        ("INPUT_NOWAIT", "true"),
    ];
    let out = brickci(&[], &env, dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let submit = &emu.calls("POST", "/jobs/runs/submit")[0];
    assert_eq!(
        submit.body["tasks"][0]["existing_cluster_id"],
        "1124-000002-def"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("##vso[task.setvariable variable=runId;isOutput=true]"),
        "{}",
        text(&out)
    );
}

#[test]
fn bad_inputs_exit_2_naming_the_input_before_any_request() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("command", "run"),
                ("notebook", "nb.py"),
                ("no-wait", "yes"),
            ],
            "input `no-wait` must be true or false",
        ),
        (
            &[("command", "runn")],
            "input `command`: \"runn\" is not a brickci command; valid: auth check, cancel, deploy, destroy, gate, gc, plan, report, run, test, trigger azure-devops, trigger codepipeline, trigger github, validate",
        ),
        (
            &[("command", "run")],
            "command `run` needs one of the inputs",
        ),
        (
            &[("command", "report")],
            "input `report` is required for command `report`",
        ),
    ];
    for (inputs, message) in cases {
        let env = github_step(&emu, dir.path(), inputs);
        let out = brickci(&[], &as_refs(&env), dir.path());
        assert_eq!(code(&out), 2, "{inputs:?}: {}", text(&out));
        assert!(text(&out).contains(message), "{inputs:?}: {}", text(&out));
    }
    let mut env = github_step(&emu, dir.path(), &[("command", "auth check")]);
    env.push(("GITHUB_OUTPUT".into(), "/nonexistent/dir/output".into()));
    env.retain(|(k, v)| k != "GITHUB_OUTPUT" || v.starts_with("/nonexistent"));
    let out = brickci(&[], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("GITHUB_OUTPUT names /nonexistent/dir/output"),
        "{}",
        text(&out)
    );
    assert!(
        emu.requests().is_empty(),
        "no request was made: {:?}",
        emu.requests().len()
    );
}

#[test]
fn inputs_json_lists_every_input_per_command() {
    let out = brickci(&["inputs", "-o", "json"], &[], &repo());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = |c: &str| -> Vec<String> {
        v["commands"][c]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    for n in [
        "cluster-id",
        "notebook",
        "key",
        "params",
        "job-id",
        "no-wait",
        "timeout",
        "new-cluster",
    ] {
        assert!(names("run").contains(&n.to_string()), "run {n}");
    }
    for n in ["tests", "junit", "report-json", "check-run", "pr-comment"] {
        assert!(names("test").contains(&n.to_string()), "test {n}");
    }
    assert!(names("report").contains(&"report".to_string()));
    let common: Vec<&str> = v["common"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        common.contains(&"github-token") && common.contains(&"auth-type"),
        "{common:?}"
    );
    assert_eq!(
        v["commands"]["run"]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "no-wait")
            .unwrap()["kind"],
        "bool"
    );
}

fn post_step(
    post: &std::path::Path,
    env: &[(String, String)],
    dir: &std::path::Path,
) -> std::process::Output {
    std::process::Command::new(post)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(dir)
        .output()
        .unwrap()
}

/// What the runner passes the post step: the main step's `$GITHUB_STATE` as `STATE_<name>`.
fn with_state(env: &[(String, String)], state_file: &std::path::Path) -> Vec<(String, String)> {
    let mut env = env.to_vec();
    let state = std::fs::read_to_string(state_file).unwrap_or_default();
    for line in state.lines() {
        let (k, v) = line.split_once('=').unwrap();
        env.push((format!("STATE_{k}"), v.to_string()));
    }
    env
}

#[test]
fn the_post_step_cancels_a_run_the_main_step_left_and_cancel_saved_finds_the_rest() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "slow.py", "# brickci-emulator: duration 1h\n");
    let env = github_step(
        &emu,
        dir.path(),
        &[("command", "run"), ("notebook", nb.to_str().unwrap())],
    );
    // The main step is killed outright (a cancelled job's container) while it waits.
    let mut main = Brickci::new::<[&str; 0], &str>([])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .dir(dir.path())
        .spawn();
    assert!(
        wait_until(Duration::from_secs(20), || emu
            .calls("GET", "/jobs/runs/get")
            .len()
            >= 2),
        "the run was submitted and is being watched"
    );
    main.kill().unwrap();
    main.wait().unwrap();
    let state = dir.path().join("state");
    let saved = std::fs::read_to_string(&state).unwrap();
    let run_id: i64 = saved
        .lines()
        .find_map(|l| l.strip_prefix("BRICKCI_RUN_ID="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(saved.ends_with("BRICKCI_RUN_DONE=false\n"), "{saved}");
    assert!(
        dir.path()
            .join(format!("tmp/brickci/runs/{run_id}.json"))
            .exists()
    );
    // The post step: the image's /brickci-post symlink, the same inputs, the saved state.
    let post = dir.path().join("brickci-post");
    std::os::unix::fs::symlink(bin(), &post).unwrap();
    let out = post_step(&post, &with_state(&env, &state), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let cancels = emu.calls("POST", "/jobs/runs/cancel");
    assert_eq!(cancels.len(), 1, "{}", text(&out));
    assert_eq!(cancels[0].body["run_id"], run_id);
    assert_eq!(
        emu.calls("POST", "/jobs/runs/submit").len(),
        1,
        "never re-runs the command"
    );
    assert!(
        wait_until(Duration::from_secs(10), || {
            emu.get_json(&format!("/api/2.2/jobs/runs/get?run_id={run_id}"))["state"]["result_state"]
                == "CANCELED"
        }),
        "the emulator shows the run CANCELED"
    );
    // --no-wait hands the run over: its post step leaves it; `cancel --saved` stops it.
    std::fs::remove_file(&state).unwrap();
    let env = github_step(
        &emu,
        dir.path(),
        &[
            ("command", "run"),
            ("notebook", nb.to_str().unwrap()),
            ("no-wait", "true"),
        ],
    );
    let out = brickci(&[], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = post_step(&post, &with_state(&env, &state), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("leaving it running"), "{}", text(&out));
    assert_eq!(
        emu.calls("POST", "/jobs/runs/cancel").len(),
        1,
        "{}",
        text(&out)
    );
    let mut cancel_env = env.clone();
    cancel_env.retain(|(k, _)| !k.starts_with("INPUT_"));
    cancel_env.push(("DATABRICKS_HOST".into(), emu.url()));
    cancel_env.push(("DATABRICKS_TOKEN".into(), TOKEN.into()));
    let out = brickci(
        &["cancel", "--saved", "--wait", "10"],
        &as_refs(&cancel_env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.calls("POST", "/jobs/runs/cancel").len(),
        2,
        "{}",
        text(&out)
    );
    assert!(
        std::fs::read_dir(dir.path().join("tmp/brickci/runs"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn a_run_the_main_step_saw_finish_is_left_alone_by_the_post_step() {
    for command in ["run", "test"] {
        let emu = TestEmulator::fast();
        let dir = tempfile::tempdir().unwrap();
        let nb = write_notebook(dir.path(), "test_quick.py", "print(1)\n");
        // `test` takes globs inside the working directory.
        let (input, value) = match command {
            "run" => ("notebook", nb.to_str().unwrap()),
            _ => ("tests", "test_quick.py"),
        };
        let env = github_step(&emu, dir.path(), &[("command", command), (input, value)]);
        let out = brickci(&[], &as_refs(&env), dir.path());
        assert_eq!(code(&out), 0, "{command}: {}", text(&out));
        let state = dir.path().join("state");
        let saved = std::fs::read_to_string(&state).unwrap();
        assert!(
            saved.ends_with("BRICKCI_RUN_DONE=true\n"),
            "{command}: {saved}"
        );
        let runs = dir.path().join("tmp/brickci/runs");
        assert!(
            std::fs::read_dir(&runs).map_or(true, |mut d| d.next().is_none()),
            "{command}: no run file left for a finished run"
        );
        let post = dir.path().join("brickci-post");
        std::os::unix::fs::symlink(bin(), &post).unwrap();
        let out = post_step(&post, &with_state(&env, &state), dir.path());
        assert_eq!(code(&out), 0, "{command}: {}", text(&out));
        assert!(
            emu.calls("POST", "/jobs/runs/cancel").is_empty(),
            "{command}: {}",
            text(&out)
        );
    }
}

#[test]
fn codebuild_outputs_keep_no_value_from_an_earlier_command() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let ok = write_notebook(dir.path(), "ok.py", "dbutils.notebook.exit('fine')\n");
    let tests = dir.path().join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    write_notebook(
        &tests,
        "test_x.py",
        "# brickci-emulator: fail \"AssertionError: no\"\n",
    );
    let mut env = run_env(&emu);
    env.push(("CODEBUILD_BUILD_ID".into(), "proj:1".into()));
    env.push(("CODEBUILD_SRC_DIR".into(), dir.path().display().to_string()));
    let env = as_refs(&env);
    let out = brickci(
        &["run", "--notebook", ok.to_str().unwrap()],
        &env,
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let vars = std::fs::read_to_string(dir.path().join("brickci-outputs.env")).unwrap();
    assert!(
        vars.contains("export BRICKCI_RESULT_STATE='SUCCESS'"),
        "{vars}"
    );
    let out = brickci(&["test", "tests/test_*.py"], &env, dir.path());
    assert_eq!(code(&out), 1, "{}", text(&out));
    let vars = std::fs::read_to_string(dir.path().join("brickci-outputs.env")).unwrap();
    assert!(vars.contains("export BRICKCI_TESTS_FAILED='1'"), "{vars}");
    assert!(
        vars.contains("export BRICKCI_RESULT_STATE=''"),
        "no stale SUCCESS: {vars}"
    );
    assert!(vars.contains("export BRICKCI_NOTEBOOK_OUTPUT=''"), "{vars}");
}

#[test]
fn a_databricks_job_is_told_by_job_context_not_the_runtime_alone() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "ok.py", "dbutils.notebook.exit('fine')\n");
    let mut env = run_env(&emu);
    env.push(("DATABRICKS_RUNTIME_VERSION".into(), "15.4".into()));
    let args = ["run", "--notebook", nb.to_str().unwrap()];
    // An interactive cluster: a terminal, no outputs file.
    let out = brickci(&args, &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!dir.path().join("brickci-outputs.json").exists());
    // Job compute: outputs in ./brickci-outputs.json.
    env.push(("DB_IS_JOB_CLUSTER".into(), "TRUE".into()));
    let out = brickci(&args, &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("brickci-outputs.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["notebook-output"], "fine");
}
