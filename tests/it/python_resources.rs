//! Resources defined in Python (`python:` in databricks.yml) with the real PyPI package
//! databricks-bundles from the test venv: validated, deployed to the emulator, and refused
//! with their Python file and line when broken.

use std::path::{Path, PathBuf};

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};
use serde_json::Value;

/// A copy of tests/fixtures/python_bundle whose `.venv` is the test venv (as a developer's
/// checkout has its own); None (a skip) only outside CI.
fn python_bundle() -> Option<(tempfile::TempDir, PathBuf)> {
    let python = crate::common::venv_python()?;
    let venv = python.parent().unwrap().parent().unwrap().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_tree(
        &crate::common::repo().join("tests/fixtures/python_bundle"),
        dir.path(),
    );
    std::os::unix::fs::symlink(&venv, dir.path().join(".venv")).unwrap();
    Some((dir, venv))
}

fn writes(emu: &TestEmulator, since: usize) -> Vec<String> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn validate_json(emu: &TestEmulator, dir: &Path) -> Value {
    let out = brickci(&["validate", "-o", "json"], &as_refs(&run_env(emu)), dir);
    assert_eq!(code(&out), 0, "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("validate -o json prints JSON")
}

#[test]
fn python_jobs_validate_deploy_and_a_second_deploy_writes_nothing() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    let emu = TestEmulator::fast();
    let doc = validate_json(&emu, dir.path());
    let jobs = &doc["resources"]["jobs"];
    // Defined in resources/nightly_trips.py: presets, variables and paths apply as in YAML.
    let nightly = &jobs["nightly_trips"];
    assert_eq!(nightly["name"], "[dev ci_bot] nightly trips");
    assert_eq!(nightly["schedule"]["pause_status"], "PAUSED");
    let task = &nightly["tasks"][0]["notebook_task"];
    assert_eq!(task["base_parameters"]["catalog"], "dev_catalog");
    assert_eq!(
        task["notebook_path"],
        "/Workspace/Users/ci-bot@example.com/.bundle/taxi_pipelines/dev/files/src/ingest"
    );
    // The mutator tagged both the Python job and the YAML one; the YAML job's path stays
    // relative to its own file.
    for key in ["nightly_trips", "cleanup"] {
        assert_eq!(jobs[key]["tags"]["team"], "data-eng", "{key}");
        assert_eq!(jobs[key]["tags"]["deployed_for"], "dev", "{key}");
    }
    assert_eq!(
        jobs["cleanup"]["tasks"][0]["notebook_task"]["notebook_path"],
        "/Workspace/Users/ci-bot@example.com/.bundle/taxi_pipelines/dev/files/src/vacuum"
    );
    // Nothing was written into the checkout (no bytecode next to the resources).
    assert!(!dir.path().join("resources/__pycache__").exists());

    let env = run_env(&emu);
    let out = brickci(&["deploy"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let listed = emu.get_json("/api/2.2/jobs/list");
    let names: Vec<&str> = listed["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["settings"]["name"].as_str())
        .collect();
    assert!(names.contains(&"[dev ci_bot] nightly trips"), "{names:?}");
    assert!(names.contains(&"[dev ci_bot] cleanup"), "{names:?}");

    let before = emu.requests().len();
    let out = brickci(&["deploy"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let again = writes(&emu, before);
    assert!(
        again.is_empty(),
        "second deploy wrote {again:?}\n{}",
        text(&out)
    );
    assert!(text(&out).contains("nothing to deploy"), "{}", text(&out));
}

#[test]
fn a_broken_python_resource_is_refused_naming_its_file_and_line() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    std::fs::write(
        dir.path().join("resources/broken.py"),
        "from databricks.bundles.jobs import Job\n\n\ndef cluster_size():\n    raise ValueError(\"cluster size must be positive\")\n\n\nbroken = Job(name=\"broken\", max_concurrent_runs=cluster_size())\n",
    )
    .unwrap();
    let emu = TestEmulator::fast();
    let out = brickci(&["deploy"], &as_refs(&run_env(&emu)), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "resources/broken.py:5:1: python: Error while loading 'resources.broken': ValueError: cluster size must be positive"
        ),
        "{}",
        text(&out)
    );
    // Refused in the checks before the first request: not even the identity was asked.
    assert!(emu.requests().is_empty(), "{:?}", writes(&emu, 0));
}

#[test]
fn a_python_job_with_a_bad_path_is_refused_at_its_python_line() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    std::fs::write(
        dir.path().join("resources/typo.py"),
        "from databricks.bundles.jobs import Job\n\ntypo = Job.from_dict(\n    {\n        \"name\": \"typo\",\n        \"tasks\": [{\"task_key\": \"t\", \"notebook_task\": {\"notebook_path\": \"src/ingest_typo.py\"}}],\n    }\n)\n",
    )
    .unwrap();
    let emu = TestEmulator::fast();
    let out = brickci(&["validate"], &as_refs(&run_env(&emu)), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "resources/typo.py:3:1: resources.jobs.typo.tasks[0].notebook_task.notebook_path: src/ingest_typo.py does not exist"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn a_missing_venv_is_refused_before_any_request_naming_venv_path() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    std::fs::remove_file(dir.path().join(".venv")).unwrap();
    let emu = TestEmulator::fast();
    let out = brickci(&["validate"], &as_refs(&run_env(&emu)), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("databricks.yml:8:14: python.venv_path: .venv/bin/python3 does not exist")
            && all.contains("pip install databricks-bundles"),
        "{all}"
    );
    assert!(emu.requests().is_empty(), "{:?}", emu.requests().len());
}

#[test]
fn a_venv_without_databricks_bundles_names_the_package() {
    let Some((dir, venv)) = python_bundle() else {
        return;
    };
    // A real virtualenv, empty.
    std::fs::remove_file(dir.path().join(".venv")).unwrap();
    let made = std::process::Command::new(venv.join("bin/python"))
        .args(["-m", "venv", "--without-pip"])
        .arg(dir.path().join(".venv"))
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let emu = TestEmulator::fast();
    let out = brickci(&["validate"], &as_refs(&run_env(&emu)), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("the PyPI package databricks-bundles is not installed (.venv/bin/pip install databricks-bundles)"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_python_code_gets_no_credentials() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    std::fs::write(
        dir.path().join("resources/snoop.py"),
        "import os\n\nfrom databricks.bundles.jobs import Job\n\nsnoop = Job(name=os.environ.get(\"DATABRICKS_TOKEN\", \"no token\") + \" / \" + os.environ.get(\"DATABRICKS_HOST\", \"no host\"))\n",
    )
    .unwrap();
    let emu = TestEmulator::fast();
    let doc = validate_json(&emu, dir.path());
    assert_eq!(
        doc["resources"]["jobs"]["snoop"]["name"],
        format!("[dev ci_bot] no token / {}", emu.url())
    );
}

#[test]
fn python_warnings_are_shown_and_the_bundle_still_validates() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    std::fs::write(
        dir.path().join("resources/__init__.py"),
        "from databricks.bundles.core import Location, Resources, load_resources_from_current_package_module\n\n\ndef load_resources():\n    resources = load_resources_from_current_package_module()\n    resources.add_diagnostic_warning(\"jobs without an owner tag\", location=Location(file=\"resources/__init__.py\", line=6, column=5))\n    return resources\n",
    )
    .unwrap();
    let emu = TestEmulator::fast();
    let out = brickci(&["validate"], &as_refs(&run_env(&emu)), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .matches("resources/__init__.py:6:5: warning: python: jobs without an owner tag")
            .count(),
        1,
        "{}",
        text(&out)
    );
}

#[test]
fn python_code_that_does_not_finish_is_stopped_at_the_timeout() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    std::fs::write(
        dir.path().join("resources/slow.py"),
        "import time\n\ntime.sleep(60)\n",
    )
    .unwrap();
    let emu = TestEmulator::fast();
    let mut env = run_env(&emu);
    env.push(("BRICKCI_PYTHON_TIMEOUT".into(), "1".into()));
    let out = brickci(&["validate"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "databricks.yml:7:1: python: the bundle's Python code did not finish within 1s"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn restricted_code_execution_refuses_python_before_any_request() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    let emu = TestEmulator::fast();
    let mut env = run_env(&emu);
    env.push((
        "DATABRICKS_BUNDLE_RESTRICTED_CODE_EXECUTION".into(),
        "1".into(),
    ));
    let out = brickci(&["validate"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("databricks.yml:7:1: python: running the bundle's Python code is not allowed when DATABRICKS_BUNDLE_RESTRICTED_CODE_EXECUTION is set"),
        "{}",
        text(&out)
    );
    assert!(emu.requests().is_empty());
}

#[test]
fn without_venv_path_the_python3_on_path_runs_the_code() {
    let Some((dir, venv)) = python_bundle() else {
        return;
    };
    // As in a CI job that activated its virtualenv (or installed into the runner's Python).
    std::fs::remove_file(dir.path().join(".venv")).unwrap();
    let yml = dir.path().join("databricks.yml");
    let text_before = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(&yml, text_before.replace("  venv_path: .venv\n", "")).unwrap();
    let emu = TestEmulator::fast();
    let mut env = run_env(&emu);
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.push(("PATH".into(), path));
    let out = brickci(&["validate", "-o", "json"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["resources"]["jobs"]["nightly_trips"]["name"],
        "[dev ci_bot] nightly trips"
    );
    assert_eq!(
        doc["experimental"]["python"]["mutators"][0],
        "mutators:add_team_tags"
    );
}

#[test]
fn the_python_code_runs_once_per_command() {
    let Some((dir, _)) = python_bundle() else {
        return;
    };
    let count = dir.path().join("runs.txt");
    std::fs::write(
        dir.path().join("resources/counted.py"),
        "import os\n\nwith open(os.environ[\"RUNS_FILE\"], \"a\") as f:\n    f.write(\"run\\n\")\n",
    )
    .unwrap();
    let emu = TestEmulator::fast();
    let mut env = run_env(&emu);
    env.push(("RUNS_FILE".into(), count.display().to_string()));
    let out = brickci(&["deploy"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "run\n");
}
