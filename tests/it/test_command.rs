//! `brickci test` end to end against the emulator: every result form, a crash, JUnit,
//! the step summary, annotations at failing lines, lanes for --max-parallel.

use std::path::Path;

use crate::common::*;

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, format!("# Databricks notebook source\n{body}")).unwrap();
}

fn suite_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let nutter = include_str!("../fixtures/nutter_results.txt").replace('\n', "");
    write(
        dir.path(),
        "tests/test_sales.py",
        &format!(
            "from runtime.nutterfixture import NutterFixture\n\nclass Sales(NutterFixture):\n    def assertion_row_count(self):\n        assert True\n\n    def assertion_no_negative_amounts(self):\n        assert all(a >= 0 for a in amounts), \"found a negative amount: -5\"\n\n    def assertion_schema(self):\n        raise KeyError('region')\n\ndbutils.notebook.exit('{nutter}')\n"
        ),
    );
    write(
        dir.path(),
        "tests/test_orders.py",
        "dbutils.notebook.exit('{\"tests\": [{\"name\": \"orders_load\", \"status\": \"passed\", \"duration_ms\": 40}, {\"name\": \"orders_dedup\", \"status\": \"skipped\"}]}')\n",
    );
    write(
        dir.path(),
        "tests/test_smoke.py",
        "print('no report, just runs')\n",
    );
    write(
        dir.path(),
        "tests/test_crash.py",
        "# brickci-emulator: fail \"NameError: name 'spark_session' is not defined\"\nspark_session.sql('x')\n",
    );
    dir
}

#[test]
fn results_of_every_form_reach_junit_summary_and_annotations() {
    let emu = TestEmulator::fast();
    let dir = suite_dir();
    let junit = dir.path().join("junit.xml");
    let summary = dir.path().join("summary.md");
    let saved = dir.path().join("report.json");
    let env = run_env(&emu);
    let mut env = as_refs(&env);
    env.extend([
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("GITHUB_WORKSPACE", dir.path().to_str().unwrap()),
    ]);
    let out = brickci(
        &[
            "test",
            "tests/test_*.py",
            "--junit",
            junit.to_str().unwrap(),
            "--report-json",
            saved.to_str().unwrap(),
            "--max-parallel",
            "2",
        ],
        &env,
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    // Failures pinned to the failing line of the local notebook (nutter trace -> source line).
    assert!(all.contains("::error file=tests/test_sales.py,line=9,title=no_negative_amounts failed::AssertionError: found a negative amount: -5"), "{all}");
    assert!(all.contains("::error file=tests/test_sales.py,line=11,title=schema failed::KeyError: column 'region' is missing"), "{all}");
    assert!(
        all.contains("NameError: name 'spark_session' is not defined"),
        "{all}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"tests="7""#)
            && xml.contains(r#"failures="3""#)
            && xml.contains(r#"skipped="1""#),
        "{xml}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("### Tests: 3 passed, 3 failed, 1 skipped"),
        "{md}"
    );
    assert!(md.contains("```mermaid"), "{md}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(report["status"], "failure");
    // Two lanes: the third and fourth notebooks wait for the first and second, whatever they did.
    let submit = &emu.calls("POST", "/jobs/runs/submit")[0];
    let tasks = submit.body["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 4);
    assert!(tasks[0].get("depends_on").is_none() && tasks[1].get("depends_on").is_none());
    assert_eq!(tasks[2]["depends_on"][0]["task_key"], tasks[0]["task_key"]);
    assert_eq!(tasks[2]["run_if"], "ALL_DONE");
    // The uploads are removed afterwards.
    assert_eq!(emu.calls("POST", "/workspace/delete").len(), 1);
}

#[test]
fn saved_report_renders_again_for_azure_devops() {
    let emu = TestEmulator::fast();
    let dir = suite_dir();
    let saved = dir.path().join("report.json");
    let env = run_env(&emu);
    let out = brickci(
        &[
            "test",
            "tests/test_orders.py",
            "tests/test_smoke.py",
            "--report-json",
            saved.to_str().unwrap(),
        ],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let temp = dir.path().join("agent_temp");
    std::fs::create_dir_all(&temp).unwrap();
    let out = brickci(
        &["report", saved.to_str().unwrap()],
        &[
            ("TF_BUILD", "True"),
            ("AGENT_TEMPDIRECTORY", temp.to_str().unwrap()),
        ],
        dir.path(),
    );
    // The agent reads commands on both streams (the summary's goes to stderr).
    let stdout = text(&out);
    assert_eq!(code(&out), 0, "{stdout}");
    let junit = temp.join("brickci-junit.xml");
    assert!(
        stdout.contains(&format!(
            "##vso[results.publish type=JUnit;resultFiles={}",
            junit.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("##vso[task.uploadsummary]"), "{stdout}");
    assert!(
        std::fs::read_to_string(junit)
            .unwrap()
            .contains("orders_load")
    );
}

#[test]
fn bad_test_inputs_write_nothing() {
    let emu = TestEmulator::fast();
    let dir = suite_dir();
    let env = run_env(&emu);
    let out = brickci(&["test", "tests/nothing_*.py"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("nothing_*.py"));
    let out = brickci(
        &["test", "tests/test_orders.py", "--new-cluster", "{"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = brickci(
        &[
            "report",
            dir.path().join("tests/test_orders.py").to_str().unwrap(),
        ],
        &[],
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[test]
fn tasks_of_a_deployed_job_as_tests() {
    let emu = TestEmulator::fast();
    emu.put_notebook("/Shared/it/checks", "dbutils.notebook.exit('{\"tests\": [{\"name\": \"row_count\", \"status\": \"passed\"}, {\"name\": \"freshness\", \"status\": \"failed\", \"message\": \"data is 3 days old\"}]}')\n");
    emu.put_notebook("/Shared/it/smoke", "print('ok')\n");
    let task = |k: &str| serde_json::json!({ "task_key": k, "notebook_task": { "notebook_path": format!("/Shared/it/{k}") } });
    emu.post_json("/api/2.2/jobs/create", serde_json::json!({ "name": "integration tests", "tasks": [task("checks"), task("smoke")] }));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let env = run_env(&emu);
    let out = brickci(
        &[
            "test",
            "--job-name",
            "integration tests",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &as_refs(&env),
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    assert!(
        all.contains("FAILED: checks (1 passed, 1 failed, 0 skipped)"),
        "{all}"
    );
    assert!(
        all.contains("passed: smoke (1 passed, 0 failed, 0 skipped)"),
        "{all}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("data is 3 days old"), "{xml}");
    assert!(
        emu.calls("POST", "/workspace/import").len() == 2,
        "only the test setup imported notebooks"
    );
}
