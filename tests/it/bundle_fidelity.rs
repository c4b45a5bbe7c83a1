//! Behaviour matched to the Databricks CLI's own acceptance cases (issue 13): what
//! `validate` prints when it fails, `--include-locations`, immutable workspace paths.

use std::path::Path;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

fn bundle_dir(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("databricks.yml"), yaml).unwrap();
    dir
}

fn validate(dir: &Path, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    brickci(&all, &as_refs(env), dir)
}

#[test]
fn an_unreadable_git_folder_still_prints_the_configuration_and_fails() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = bundle_dir("bundle:\n  name: g\n");
    // A `.git` file must name the git dir; an empty one names none.
    std::fs::write(dir.path().join(".git"), "").unwrap();
    let out = validate(dir.path(), &env, &["-o", "json"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the configuration");
    assert_eq!(
        json["bundle"]["git"],
        serde_json::json!({"bundle_root_path": "."})
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = format!(
        "expected {:?} to contain a line with \"gitdir: [...]\"",
        dir.path().join(".git").display().to_string()
    );
    assert!(
        stderr.contains(&format!("warning: (git): failed to read .git: {why}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "the bundle configuration is invalid:\n(git): {why}"
        )),
        "{stderr}"
    );
    // The text summary too, without a verdict; a deploy refuses before writing.
    let out = validate(dir.path(), &env, &[]);
    assert_eq!(code(&out), 2);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("Name: g\nTarget: default\n"), "{stdout}");
    assert!(!stdout.contains("Validation OK!"), "{stdout}");
    let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        emu.requests()
            .iter()
            .all(|r| matches!(r.method.as_str(), "GET" | "HEAD")),
        "a write was sent"
    );
}

#[test]
fn an_unreadable_head_is_two_warnings_and_validate_passes() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = bundle_dir("bundle:\n  name: g\n");
    // A folder where HEAD should be: unreadable as a file, even for root.
    std::fs::create_dir_all(dir.path().join(".git/HEAD")).unwrap();
    let out = validate(dir.path(), &env, &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["bundle"]["git"],
        serde_json::json!({"bundle_root_path": "."})
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: (git): failed to load current branch: open HEAD: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: (git): failed to load latest commit: open HEAD: "),
        "{stderr}"
    );
}

#[test]
fn include_locations_lists_every_place_a_merged_resource_was_set_at() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = bundle_dir(
        "bundle:\n  name: l\ninclude:\n  - job.yml\ntargets:\n  dev:\n    resources:\n      jobs:\n        j: {name: dev}\n",
    );
    std::fs::write(
        dir.path().join("job.yml"),
        "resources:\n  jobs:\n    j:\n      name: j\n",
    )
    .unwrap();
    let out = validate(
        dir.path(),
        &env,
        &["-o", "json", "-t", "dev", "--include-locations"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = &json["__locations"];
    assert_eq!(
        at["files"],
        serde_json::json!(["databricks.yml", "job.yml"])
    );
    assert_eq!(
        at["locations"]["resources.jobs.j"],
        serde_json::json!([[1, 4, 7], [0, 9, 12]])
    );
    // Without the flag the document has no such section.
    let out = validate(dir.path(), &env, &["-o", "json", "-t", "dev"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json.get("__locations").is_none());
}

/// An emulator holding a cluster on `spark_version`, and a current user without a display name.
fn emulator_with_cluster(spark_version: &str) -> TestEmulator {
    TestEmulator::start(brickci::emulator::EmulatorConfig {
        clock_speed: 50.0,
        objects: serde_json::json!({
            "current_user": {"displayName": null},
            "clusters": [{"cluster_id": "0101-old", "cluster_name": "old", "state": "RUNNING",
                          "spark_version": spark_version}],
        }),
        ..Default::default()
    })
}

const WHEEL_ON_CLUSTER: &str = "bundle:\n  name: w\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          existing_cluster_id: 0101-old\n          python_wheel_task: {package_name: p, entry_point: e}\n          libraries:\n            - whl: ./dist/p.whl\n";

#[test]
fn a_local_wheel_on_a_cluster_named_by_id_is_checked_against_its_runtime() {
    let emu = emulator_with_cluster("7.3.x-scala2.12");
    let env = run_env(&emu);
    let dir = bundle_dir(WHEEL_ON_CLUSTER);
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    std::fs::write(dir.path().join("dist/p.whl"), "wheel").unwrap();
    let out = validate(dir.path(), &env, &["-o", "json"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("databricks.yml:9:32: resources.jobs.j.tasks[0].existing_cluster_id: task t uses cluster with incompatible DBR version 7.3.x-scala2.12"),
        "{stderr}"
    );
    // The configuration is still printed; the caller has no display name.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["workspace"]["current_user"]
            .get("displayName")
            .is_none(),
        "{json}"
    );
    assert_eq!(
        json["workspace"]["current_user"]["userName"],
        "ci-bot@example.com"
    );
    let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        emu.requests()
            .iter()
            .all(|r| matches!(r.method.as_str(), "GET" | "HEAD")),
        "a write was sent"
    );
    // A current runtime passes; so does a cluster the API does not know.
    let emu = emulator_with_cluster("15.4.x-scala2.12");
    let out = validate(dir.path(), &run_env(&emu), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let emu = TestEmulator::fast();
    let out = validate(dir.path(), &run_env(&emu), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}
