//! A cancelled CI step cancels its Databricks run; task inputs drive the binary; the
//! emulator serves from the command line.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use brickci::emulator::EmulatorConfig;
use common::*;

#[test]
fn sigterm_during_a_wait_cancels_the_run_and_exits_143() {
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 10.0,
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "slow.py", "# brickci-emulator: duration 1h\n");
    let mut child = Command::new(bin())
        .args(["run", "--notebook", nb.to_str().unwrap()])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("BRICKCI_POLL_MIN", "0.05")
        .env("BRICKCI_POLL_MAX", "0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
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
    let mut child = Command::new(bin())
        .args([
            "emulator",
            "--port",
            "0",
            "--fault",
            "GET /api/2.0/preview/scim/v2/Me=503:retry-after=1*1",
        ])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
