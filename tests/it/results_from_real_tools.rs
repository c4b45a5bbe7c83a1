//! Test results produced by the real tools (nutter and pytest, from the test venv) are read
//! by brickci's parsers.

use std::process::Command;

use crate::common::*;
use brickci::testing::{NotebookRunResult, ResultFormat, TestStatus, parse_notebook_result};

fn notebook_result(exit: &str) -> NotebookRunResult<'_> {
    NotebookRunResult {
        notebook: "/Repos/ci/tests/t",
        exit_value: Some(exit),
        truncated: false,
        run_succeeded: true,
        result_state: "SUCCESS",
        error: None,
        error_trace: None,
        duration_ms: None,
    }
}

#[test]
fn nutter_serialized_results_made_by_nutter() {
    let Some(python) = venv_python() else { return };
    let out = Command::new(python)
        .arg(repo().join("tests/python/make_nutter_results.py"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exit = String::from_utf8(out.stdout).unwrap();
    let suite = parse_notebook_result(&notebook_result(&exit));
    assert_eq!(suite.format, ResultFormat::Nutter);
    assert_eq!(suite.count(TestStatus::Passed), 1, "{suite:?}");
    assert_eq!(suite.count(TestStatus::Failed), 2, "{suite:?}");
    let failed = suite
        .cases
        .iter()
        .find(|c| c.name == "no_negative_amounts")
        .unwrap();
    assert_eq!(
        failed.message.as_deref(),
        Some("AssertionError: found a negative amount: -5")
    );
}

#[test]
fn pytest_junit_xml_made_by_pytest() {
    let Some(python) = venv_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let xml_path = dir.path().join("junit.xml");
    let out = Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(format!("--junitxml={}", xml_path.display()))
        .arg(repo().join("tests/python/pytest_sample"))
        .output()
        .unwrap();
    // pytest exits 1 because one test fails, by design.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let suite = parse_notebook_result(&notebook_result(&xml));
    assert_eq!(suite.format, ResultFormat::Junit);
    let status = |n: &str| suite.cases.iter().find(|c| c.name == n).map(|c| c.status);
    assert_eq!(status("test_add"), Some(TestStatus::Passed));
    assert_eq!(status("test_div"), Some(TestStatus::Failed));
    assert_eq!(status("test_later"), Some(TestStatus::Skipped));
    let div = suite.cases.iter().find(|c| c.name == "test_div").unwrap();
    assert!(
        div.message
            .as_deref()
            .unwrap()
            .contains("half is not a quarter"),
        "{div:?}"
    );
}
