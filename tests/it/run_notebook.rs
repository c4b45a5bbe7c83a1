//! `brickci run --notebook` against the emulator, as a CI step would run it.

use crate::common::*;

fn run(
    emu: &TestEmulator,
    notebook: &std::path::Path,
    extra: &[(&str, &str)],
) -> std::process::Output {
    let env = run_env(emu);
    let mut env = as_refs(&env);
    env.extend_from_slice(extra);
    brickci(
        &["run", "--notebook", notebook.to_str().unwrap()],
        &env,
        notebook.parent().unwrap(),
    )
}

#[test]
fn successful_notebook_shows_run_url_and_output() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(
        dir.path(),
        "etl.py",
        "print('hi')\ndbutils.notebook.exit(\"rows=42\")\n",
    );
    let out = run(&emu, &nb, &[]);
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("rows=42"), "{all}");
    assert!(all.contains("run page: http://127.0.0.1"), "{all}");
    assert!(all.contains("SUCCESS"), "{all}");
    assert!(
        all.contains("state: RUNNING"),
        "state changes are shown: {all}"
    );
    assert_no_secrets(&out, &[TOKEN]);
    // The temporary upload folder is gone afterwards.
    let deletes = emu.calls("POST", "/workspace/delete");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].body["recursive"], true);
    assert!(
        deletes[0].body["path"]
            .as_str()
            .unwrap()
            .contains("/.brickci/tmp/")
    );
}

#[test]
fn failing_notebook_exits_1_with_error_and_trace() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(
        dir.path(),
        "check.py",
        "# brickci-emulator: fail \"AssertionError: expected 1000 rows\"\nassert False\n",
    );
    let out = run(&emu, &nb, &[]);
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    assert!(all.contains("FAILED"), "{all}");
    assert!(all.contains("AssertionError: expected 1000 rows"), "{all}");
    assert!(all.contains("Traceback"), "trace is shown: {all}");
}

#[test]
fn rate_limits_and_server_errors_are_retried_after_retry_after() {
    let emu = TestEmulator::fast();
    emu.fault("GET /api/2.2/jobs/runs/get=429:retry-after=1*2");
    emu.fault("POST /api/2.0/workspace/import=503*1");
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('done')\n");
    let out = run(&emu, &nb, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let gets = emu.calls("GET", "/jobs/runs/get");
    let limited: Vec<_> = gets.iter().filter(|r| r.status == 429).collect();
    assert_eq!(limited.len(), 2, "{gets:?}");
    for r in &limited {
        let next = gets
            .iter()
            .find(|n| n.seq > r.seq)
            .expect("a retry follows");
        assert!(
            next.at_ms - r.at_ms >= 1000,
            "retry came {} ms after a Retry-After: 1",
            next.at_ms - r.at_ms
        );
    }
    let imports = emu.calls("POST", "/workspace/import");
    assert_eq!(
        imports.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![503, 200]
    );
}

#[test]
fn lost_submit_response_starts_one_run_only() {
    let emu = TestEmulator::fast();
    emu.fault("POST /api/2.2/jobs/runs/submit=drop-after-apply*1");
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('once')\n");
    let out = run(&emu, &nb, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let submits = emu.calls("POST", "/jobs/runs/submit");
    assert_eq!(submits.len(), 2, "the lost submit was resent: {submits:?}");
    assert_eq!(
        submits[0].body["idempotency_token"],
        submits[1].body["idempotency_token"]
    );
    let listed = brickci_runs_count(&emu);
    assert_eq!(listed, 1, "exactly one run exists");
}

fn brickci_runs_count(emu: &TestEmulator) -> usize {
    let v = emu.get_json("/api/2.2/jobs/runs/list");
    v["runs"].as_array().map(Vec::len).unwrap_or(0)
}

#[test]
fn bad_token_exits_3_and_says_what_to_check() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('x')\n");
    let out = run(
        &emu,
        &nb,
        &[("DATABRICKS_TOKEN", "dapi-wrong-secret-value")],
    );
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(all.contains("DATABRICKS_TOKEN"), "{all}");
    assert_no_secrets(&out, &["dapi-wrong-secret-value"]);
    assert!(
        emu.calls("POST", "/workspace/import").is_empty(),
        "nothing written"
    );
}

#[test]
fn unreachable_host_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('x')\n");
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    let out = brickci(
        &[
            "run",
            "--notebook",
            nb.to_str().unwrap(),
            "--retry-timeout",
            "2",
        ],
        &[
            ("DATABRICKS_HOST", "http://127.0.0.1:9"),
            ("DATABRICKS_TOKEN", TOKEN),
        ],
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 4, "{all}");
    assert!(all.contains("cannot reach"), "{all}");
    assert_no_secrets(&out, &[TOKEN]);
}

#[test]
fn bad_input_exits_2_before_any_request() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "x\n");
    let out = run(&emu, &nb, &[("BRICKCI_NEW_CLUSTER", "{not json")]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = run(&emu, &dir.path().join("missing.py"), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("missing.py"));
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[test]
fn outputs_in_github_format() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('line one')\n");
    let out_file = dir.path().join("gh_output");
    std::fs::write(&out_file, "").unwrap();
    let out = run(
        &emu,
        &nb,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", out_file.to_str().unwrap()),
            ("GITHUB_RUN_ID", "77"),
            ("GITHUB_RUN_ATTEMPT", "1"),
        ],
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(
        all.contains(&format!("::add-mask::{TOKEN}")),
        "the token is masked first: {all}"
    );
    assert_no_secrets(&out, &[TOKEN]);
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        written.contains("result-state=SUCCESS") || written.contains("result-state<<"),
        "{written}"
    );
    assert!(written.contains("line one"), "{written}");
    assert!(written.contains("run-url"), "{written}");
    assert!(written.contains("run-id"), "{written}");
}

#[test]
fn outputs_in_azure_devops_format() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('ado value')\n");
    let out = run(
        &emu,
        &nb,
        &[
            ("TF_BUILD", "True"),
            ("BUILD_BUILDID", "12"),
            ("SYSTEM_JOBID", "j1"),
        ],
    );
    // Runner commands that are not log go to stderr (the agent reads both streams), so
    // stdout stays the log and any document alone.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        stderr.contains("##vso[task.setvariable variable=resultState;isOutput=true]SUCCESS"),
        "{stderr}"
    );
    assert!(
        stderr.contains("##vso[task.setvariable variable=notebookOutput;isOutput=true]ado value"),
        "{stderr}"
    );
    assert!(
        stderr.contains("##vso[task.setsecret]"),
        "the token is registered as a secret: {stderr}"
    );
    assert!(!stdout.contains("##vso[task.set"), "{stdout}");
}
