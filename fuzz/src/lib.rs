//! What the bundle targets share: one scratch bundle folder per fuzzing process, loaded
//! the way `brickci deploy` loads it, with the bundle's Python code never run.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use brickci::bundle::{Identity, LoadOptions, prepare};

fn folder() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a scratch folder");
        std::fs::create_dir_all(dir.path().join("src")).expect("src/");
        std::fs::write(
            dir.path().join("src/nb.py"),
            "# Databricks notebook source\nprint(1)\n",
        )
        .expect("a notebook");
        dir
    })
}

/// Loads `root` as `databricks.yml` with `included` as `extra.yml` beside it, answers every
/// lookup, and resolves the bundle. Errors are the expected outcome of most inputs.
pub fn load(root: &str, included: &str) {
    let dir = folder().path();
    std::fs::write(dir.join("databricks.yml"), root).expect("write databricks.yml");
    std::fs::write(dir.join("extra.yml"), included).expect("write extra.yml");
    let env: BTreeMap<String, String> = [(
        "DATABRICKS_BUNDLE_RESTRICTED_CODE_EXECUTION".to_string(),
        "1".to_string(),
    )]
    .into();
    let opts = LoadOptions {
        dir,
        target: None,
        vars: &[],
        env: &env,
        host: Some("https://adb-1.2.azuredatabricks.net"),
        pr: None,
    };
    let me = Identity {
        user_name: "ci-bot@example.com".into(),
        display_name: None,
        id: None,
    };
    let Ok(prepared) = prepare(&opts, me) else {
        return;
    };
    let answers = prepared
        .lookups
        .iter()
        .map(|l| (l.variable.clone(), Ok(format!("id-of-{}", l.name))))
        .collect();
    let _ = prepared.finish(&answers);
}

/// Reads `value` as a test notebook's exit value, as `brickci test` does, and renders the
/// outcome as JUnit XML (what the parsers produce must be writable, too).
pub fn exit_value(value: &str) {
    use brickci::testing::{NotebookRunResult, parse_notebook_result, to_junit_xml};
    let suite = parse_notebook_result(&NotebookRunResult {
        notebook: "/Workspace/tests/test_fuzz",
        exit_value: Some(value),
        truncated: false,
        run_succeeded: true,
        result_state: "SUCCESS",
        error: None,
        error_trace: None,
        duration_ms: Some(1),
    });
    let _ = to_junit_xml(&[suite], "fuzz");
}
