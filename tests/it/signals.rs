//! SIGTERM at each phase of `run`, `test` and `deploy`, against the emulator with latency
//! injected where the signal should land: exit 143, no run started after the signal, and
//! any run whose start was in flight cancelled (read from the emulator's request log).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use crate::common::*;

fn spawn(args: &[&str], emu: &TestEmulator, dir: &Path) -> Child {
    Brickci::new(args).against(emu).dir(dir).spawn()
}

/// Waits until `ready` holds (the phase to interrupt has begun), lets the request in flight
/// get going, sends SIGTERM, and returns the exit code and everything printed. A child
/// still running long after the signal is killed and the test fails.
fn terminate_when(mut child: Child, what: &str, ready: impl FnMut() -> bool) -> (i32, String) {
    if !wait_until(Duration::from_secs(30), ready) {
        let _ = child.kill();
        panic!("never reached: {what}");
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
        panic!("still running 30 s after SIGTERM during {what}");
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

/// Every run the log shows submitted was cancelled afterwards, and shows CANCELED.
fn submitted_runs_were_cancelled(emu: &TestEmulator, out: &str) {
    let submits =
        emu.calls("POST", "/jobs/runs/submit").len() + emu.calls("POST", "/jobs/run-now").len();
    let cancels = emu.calls("POST", "/jobs/runs/cancel");
    assert!(
        cancels.len() >= submits,
        "{submits} started, {} cancelled:\n{out}",
        cancels.len()
    );
    for c in cancels {
        let run_id = c.body["run_id"].as_i64().unwrap();
        assert!(
            wait_until(Duration::from_secs(10), || {
                emu.get_json(&format!("/api/2.2/jobs/runs/get?run_id={run_id}"))["state"]["result_state"]
                    == "CANCELED"
            }),
            "run {run_id} was not cancelled:\n{out}"
        );
    }
}

fn no_run_started(emu: &TestEmulator, out: &str) {
    assert!(emu.calls("POST", "/jobs/runs/submit").is_empty(), "{out}");
    assert!(emu.calls("POST", "/jobs/run-now").is_empty(), "{out}");
}

#[test]
fn run_notebook_sigterm_during_the_upload_starts_no_run() {
    let emu = TestEmulator::fast();
    emu.fault("POST */workspace/import=latency:4000*1");
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "nb.py", "print(1)\n");
    for extra in [None, Some("--no-wait")] {
        let mut args = vec!["run", "--notebook", "nb.py"];
        args.extend(extra);
        let child = spawn(&args, &emu, dir.path());
        let (code, out) = terminate_when(child, "the upload", || {
            !emu.calls("POST", "/workspace/mkdirs").is_empty()
        });
        assert_eq!(code, 143, "{out}");
        assert!(out.contains("no run was started"), "{out}");
        no_run_started(&emu, &out);
        emu.fault("POST */workspace/import=latency:4000*1");
    }
}

#[test]
fn run_notebook_sigterm_during_the_submit_cancels_the_run_it_started() {
    let emu = TestEmulator::fast();
    emu.fault("POST */jobs/runs/submit=latency:2000*1");
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "nb.py", "# brickci-emulator: duration 1h\n");
    let child = spawn(
        &["run", "--notebook", "nb.py", "--no-wait"],
        &emu,
        dir.path(),
    );
    let (code, out) = terminate_when(child, "the submit", || {
        !emu.calls("POST", "/workspace/import").is_empty()
    });
    assert_eq!(
        code, 143,
        "--no-wait does not turn a signal into success: {out}"
    );
    submitted_runs_were_cancelled(&emu, &out);
}

#[test]
fn run_notebook_sigterm_during_a_hanging_read_cancels_the_run() {
    let emu = TestEmulator::fast();
    // The first poll hangs for two minutes.
    emu.fault("GET */jobs/runs/get=latency:120000*1");
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "nb.py", "# brickci-emulator: duration 1h\n");
    let child = spawn(&["run", "--notebook", "nb.py"], &emu, dir.path());
    let (code, out) = terminate_when(child, "the first poll", || {
        !emu.calls("POST", "/jobs/runs/submit").is_empty()
    });
    assert_eq!(code, 143, "{out}");
    assert_eq!(emu.calls("POST", "/jobs/runs/submit").len(), 1);
    submitted_runs_were_cancelled(&emu, &out);
    // The run ended (cancelled), so its uploaded notebook could go; a running one stays.
    assert!(!emu.calls("POST", "/workspace/delete").is_empty(), "{out}");
}

#[test]
fn run_job_sigterm_while_finding_the_job_starts_nothing() {
    let emu = TestEmulator::fast();
    let created = emu.post_json(
        "/api/2.2/jobs/create",
        serde_json::json!({
            "name": "nightly",
            "tasks": [{ "task_key": "main", "notebook_task": { "notebook_path": "/Shared/nb" } }],
        }),
    );
    let job_id = created["job_id"].as_i64().unwrap().to_string();
    emu.fault("GET */jobs/get=latency:5000*1");
    let dir = tempfile::tempdir().unwrap();
    let child = spawn(&["run", "--job-id", &job_id], &emu, dir.path());
    // The job lookup is the first request and hangs for 5 s.
    let started = std::time::Instant::now();
    let (code, out) = terminate_when(child, "the job lookup", || {
        started.elapsed() > Duration::from_millis(700)
    });
    assert_eq!(code, 143, "{out}");
    no_run_started(&emu, &out);
}

#[test]
fn test_sigterm_during_the_upload_starts_no_run() {
    let emu = TestEmulator::fast();
    emu.fault("POST */workspace/import=latency:4000*1");
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "test_a.py", "print(1)\n");
    let child = spawn(&["test", "test_a.py"], &emu, dir.path());
    let (code, out) = terminate_when(child, "the upload", || {
        !emu.calls("POST", "/workspace/mkdirs").is_empty()
    });
    assert_eq!(code, 143, "{out}");
    no_run_started(&emu, &out);
}

#[test]
fn test_sigterm_during_the_submit_cancels_the_run_it_started() {
    let emu = TestEmulator::fast();
    emu.fault("POST */jobs/runs/submit=latency:2000*1");
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "test_a.py", "# brickci-emulator: duration 1h\n");
    let child = spawn(&["test", "test_a.py"], &emu, dir.path());
    let (code, out) = terminate_when(child, "the submit", || {
        !emu.calls("POST", "/workspace/import").is_empty()
    });
    assert_eq!(code, 143, "{out}");
    submitted_runs_were_cancelled(&emu, &out);
}

#[test]
fn deploy_sigterm_while_planning_writes_nothing() {
    let emu = TestEmulator::fast();
    // The first read of the deployment state hangs for two minutes.
    emu.fault("GET */workspace/export=latency:120000*1");
    let dir = example();
    let child = spawn(&["deploy"], &emu, dir.path());
    let (code, out) = terminate_when(child, "the plan", || !emu.requests().is_empty());
    assert_eq!(code, 143, "{out}");
    assert!(out.contains("nothing was deployed"), "{out}");
    let writes: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD") && !r.path.starts_with("/oidc/"))
        .collect();
    assert!(
        writes.is_empty(),
        "no lock, no state, no object: {writes:?}"
    );
}

#[test]
fn test_sigterm_while_reading_the_results_stops_at_once() {
    let emu = TestEmulator::fast();
    // Reading the finished run's output hangs for two minutes.
    emu.fault("GET */jobs/runs/get-output=latency:120000*1");
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "test_a.py", "print(1)\n");
    let child = spawn(&["test", "test_a.py"], &emu, dir.path());
    // Once the run has ended, brickci's next poll sees it and reads the output.
    let (code, out) = terminate_when(child, "reading the results", || {
        emu.get_json("/api/2.2/jobs/runs/list")["runs"]
            .as_array()
            .and_then(|r| r.first())
            .is_some_and(|r| r["state"]["life_cycle_state"] == "TERMINATED")
    });
    assert_eq!(code, 143, "{out}");
    assert_eq!(emu.calls("POST", "/jobs/runs/submit").len(), 1, "{out}");
    assert!(out.contains("stopped reading the results"), "{out}");
}

#[test]
fn run_sigterm_while_reading_the_results_stops_at_once() {
    let emu = TestEmulator::fast();
    emu.fault("GET */jobs/runs/get-output=latency:120000*1");
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "nb.py", "print(1)\n");
    let child = spawn(&["run", "--notebook", "nb.py"], &emu, dir.path());
    let (code, out) = terminate_when(child, "reading the results", || {
        emu.get_json("/api/2.2/jobs/runs/list")["runs"]
            .as_array()
            .and_then(|r| r.first())
            .is_some_and(|r| r["state"]["life_cycle_state"] == "TERMINATED")
    });
    assert_eq!(code, 143, "{out}");
    assert!(out.contains("stopped reading the results"), "{out}");
}
