//! `brickci test --retries`: notebooks that failed run again; a test that passes on a retry is
//! flaky (JUnit `flakyFailure`, a mark in the summary and the annotations) and passes the
//! build unless `--no-flaky`; one failing every attempt fails with each attempt kept.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, format!("# Databricks notebook source\n{body}")).unwrap();
}

/// A steady notebook, one that fails its first run only, and (optionally) one that always fails.
fn suite(always_failing: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tests/test_steady.py", "print('fine')\n");
    write(
        dir.path(),
        "tests/test_flaky.py",
        "# brickci-emulator: fail-first 1 \"ConnectionResetError: peer reset\"\nprint('x')\n",
    );
    if always_failing {
        write(
            dir.path(),
            "tests/test_broken.py",
            "# brickci-emulator: fail \"AssertionError: 2 != 3\"\nassert 2 == 3\n",
        );
    }
    dir
}

fn test_step(
    emu: &TestEmulator,
    dir: &Path,
    extra: &[&str],
) -> (std::process::Output, String, String, Value) {
    let junit = dir.join("junit.xml");
    let summary = dir.join("summary.md");
    let saved = dir.join("report.json");
    let mut args = vec![
        "test",
        "tests/test_*.py",
        "--junit",
        junit.to_str().unwrap(),
        "--report-json",
        saved.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = Brickci::new(args)
        .against(emu)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_WORKSPACE", dir)
        .dir(dir)
        .output();
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    let md = std::fs::read_to_string(&summary).unwrap_or_default();
    let report = std::fs::read_to_string(&saved)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out, xml, md, report)
}

/// The notebook paths each submitted run ran, in order.
fn submitted(emu: &TestEmulator) -> Vec<Vec<String>> {
    emu.calls("POST", "/jobs/runs/submit")
        .iter()
        .map(|c| {
            let mut paths: Vec<String> = c.body["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let p = t["notebook_task"]["notebook_path"].as_str().unwrap();
                    p.rsplit('/').next().unwrap().to_string()
                })
                .collect();
            paths.sort();
            paths
        })
        .collect()
}

#[test]
fn a_test_passing_on_retry_is_flaky_and_passes_the_build() {
    let emu = TestEmulator::fast();
    let dir = suite(false);
    let (out, xml, md, report) = test_step(&emu, dir.path(), &["--retries", "2"]);
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    // Only the failed notebook runs again, once: it passed on the first retry.
    assert_eq!(
        submitted(&emu),
        [vec!["test_flaky", "test_steady"], vec!["test_flaky"]]
    );
    assert!(
        all.contains("retry 1 of 2: running 1 failed test notebooks again"),
        "{all}"
    );
    assert!(all.contains("::warning::1 flaky tests"), "{all}");
    // JUnit: a pass carrying the failed attempt, as nextest and Surefire write it.
    let case = xml
        .split("<testcase")
        .skip(1)
        .find(|c| c.contains("test_flaky"))
        .unwrap();
    assert!(case.contains("<flakyFailure"), "{xml}");
    assert!(case.contains("ConnectionResetError: peer reset"), "{xml}");
    assert!(!case.contains("<failure"), "{xml}");
    assert_eq!(xml.matches("<flakyFailure").count(), 1, "{xml}");
    // The summary marks it and says what the first attempt said.
    assert!(md.contains("2 passed (1 flaky), 0 failed"), "{md}");
    assert!(md.contains("⚠️ flaky"), "{md}");
    assert!(
        md.lines()
            .any(|l| l.contains("is flaky: passed on attempt 2 after: ")
                && l.contains("ConnectionResetError: peer reset")),
        "{md}"
    );
    // The saved report keeps both runs; `brickci report` derives the same verdict from it.
    assert_eq!(report["status"], "success");
    assert_eq!(report["runs"].as_array().unwrap().len(), 2);
    assert_eq!(report["runs"][0]["retried"], true);
    let saved = dir.path().join("report.json");
    let again = brickci(&["report", saved.to_str().unwrap()], &[], dir.path());
    assert_eq!(code(&again), 0, "{}", text(&again));
}

#[test]
fn with_no_flaky_a_flaky_test_fails_the_build() {
    let emu = TestEmulator::fast();
    let dir = suite(false);
    let (out, xml, _, report) = test_step(&emu, dir.path(), &["--retries", "1", "--no-flaky"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(xml.contains("<flakyFailure"), "{xml}");
    assert_eq!(report["status"], "failure");
}

#[test]
fn a_test_failing_every_attempt_fails_with_each_attempt_kept() {
    let emu = TestEmulator::fast();
    let dir = suite(true);
    let (out, xml, md, _) = test_step(&emu, dir.path(), &["--retries", "2"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    // The broken notebook runs three times; the flaky one stops once it passes.
    assert_eq!(
        submitted(&emu),
        [
            vec!["test_broken", "test_flaky", "test_steady"],
            vec!["test_broken", "test_flaky"],
            vec!["test_broken"],
        ]
    );
    let broken = xml
        .split("<testcase")
        .skip(1)
        .find(|c| c.contains("test_broken"))
        .unwrap();
    assert!(broken.contains("<failure"), "{xml}");
    assert_eq!(broken.matches("<rerunFailure").count(), 2, "{xml}");
    assert!(md.contains("2 passed (1 flaky), 1 failed"), "{md}");
}

#[test]
fn without_retries_nothing_runs_twice_and_retries_are_bounded() {
    let emu = TestEmulator::fast();
    let dir = suite(false);
    let (out, xml, _, _) = test_step(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(submitted(&emu).len(), 1);
    assert!(!xml.contains("<flakyFailure"), "{xml}");
    // More than five retries is refused before anything is uploaded.
    let out = brickci(
        &["test", "tests/test_*.py", "--retries", "9"],
        &[],
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--retries"), "{}", text(&out));
}
