//! Bundles that share files through folders beside them (`include: [../common/...]`,
//! `sync.paths: [../common, .]`): the sync root is the common parent, as the Databricks CLI
//! computes it, files upload under `workspace.file_path` by their path from that root, and
//! nothing resolves outside it (nor, for includes, outside the Git repository).

use crate::common::{TestEmulator, as_refs, brickci, code, copy_tree, repo, run_env, text};
use serde_json::Value;
use std::path::Path;

/// The fixture repository (common/, bundle/, other/) copied into a fresh folder.
fn shared_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &repo().join("tests/fixtures/shared_folders"),
        &dir.path().join("repo"),
    );
    dir
}

fn validate_json(env: &[(&str, &str)], bundle: &Path) -> Value {
    let out = brickci(&["validate", "-o", "json"], env, bundle);
    assert_eq!(code(&out), 0, "validate -o json\n{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(&out)))
}

fn writes(emu: &TestEmulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn object_type(emu: &TestEmulator, path: &str) -> Option<String> {
    let status = emu.get_json(&format!("/api/2.0/workspace/get-status?path={path}"));
    status["object_type"].as_str().map(str::to_string)
}

#[test]
fn validate_shows_the_sync_root_relative_paths_and_translated_notebooks() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    let doc = validate_json(&as_refs(&env), &dir.path().join("repo/bundle"));
    assert_eq!(
        doc["sync"]["paths"],
        serde_json::json!(["common", "bundle"])
    );
    let files = doc["workspace"]["file_path"].as_str().unwrap().to_string();
    assert!(files.ends_with("/files"), "{files}");
    let notebook = |key: &str| {
        let tasks = doc["resources"]["jobs"]["etl"]["tasks"].as_array().unwrap();
        let task = tasks.iter().find(|t| t["task_key"] == key).unwrap();
        task["notebook_task"]["notebook_path"].clone()
    };
    assert_eq!(
        notebook("shared"),
        Value::String(format!("{files}/common/notebooks/etl"))
    );
    assert_eq!(
        notebook("own"),
        Value::String(format!("{files}/bundle/src/main"))
    );
    // The target came from ../common/targets.yml.
    assert_eq!(doc["bundle"]["target"], "dev");
}

#[test]
fn deploy_uploads_under_the_sync_root_and_a_second_deploy_writes_nothing() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    let bundle = dir.path().join("repo/bundle");
    let files = validate_json(&as_refs(&env), &bundle)["workspace"]["file_path"]
        .as_str()
        .unwrap()
        .to_string();
    let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), &bundle);
    assert_eq!(code(&out), 0, "deploy\n{}", text(&out));
    for (path, kind) in [
        ("common/notebooks/etl", "NOTEBOOK"),
        ("common/lib/helpers.py", "FILE"),
        ("bundle/src/main", "NOTEBOOK"),
        ("bundle/databricks.yml", "FILE"),
        ("common/targets.yml", "FILE"),
    ] {
        assert_eq!(
            object_type(&emu, &format!("{files}/{path}")).as_deref(),
            Some(kind),
            "{path}"
        );
    }
    // Outside every sync path, though under the sync root: not uploaded.
    assert_eq!(
        object_type(&emu, &format!("{files}/other/not_synced.py")),
        None
    );
    assert!(
        !bundle.parent().unwrap().join(".databricks").exists(),
        "local state belongs in the bundle's folder"
    );
    let first = writes(&emu).len();
    let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), &bundle);
    assert_eq!(code(&out), 0, "second deploy\n{}", text(&out));
    let again: Vec<String> = writes(&emu).into_iter().skip(first).collect();
    assert!(again.is_empty(), "the second deploy wrote {again:?}");
}

#[test]
fn a_sync_root_outside_the_git_repository_is_refused() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    // The repository is repo/bundle alone: ../common is outside it.
    std::fs::create_dir(dir.path().join("repo/bundle/.git")).unwrap();
    std::fs::write(
        dir.path().join("repo/bundle/.git/HEAD"),
        "ref: refs/heads/main\n",
    )
    .unwrap();
    let bundle = dir.path().join("repo/bundle");
    for command in [&["validate"][..], &["deploy", "--auto-approve"]] {
        let out = brickci(command, &as_refs(&env), &bundle);
        assert_eq!(code(&out), 2, "{command:?}\n{}", text(&out));
        let t = text(&out);
        assert!(t.contains("databricks.yml:"), "{t}");
        assert!(t.contains("is not within repository root"), "{t}");
    }
    assert!(writes(&emu).is_empty(), "{:?}", writes(&emu));
}

#[test]
fn a_symlink_out_of_the_sync_root_is_still_refused() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    let secret = dir.path().join("secret.py");
    std::fs::write(&secret, "token = 'never uploaded'\n").unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("repo/common/lib/leak.py")).unwrap();
    let bundle = dir.path().join("repo/bundle");
    let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), &bundle);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("leak.py") && t.contains("outside"), "{t}");
    assert!(writes(&emu).is_empty(), "{:?}", writes(&emu));
}

#[test]
fn a_notebook_path_climbing_out_of_the_sync_root_is_refused() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    let outside = dir.path().join("outside.py");
    std::fs::write(&outside, "# Databricks notebook source\nprint(1)\n").unwrap();
    let yml = dir.path().join("repo/bundle/databricks.yml");
    let text_before = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text_before.replace("./src/main.py", "../../outside.py"),
    )
    .unwrap();
    let bundle = dir.path().join("repo/bundle");
    let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), &bundle);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("../../outside.py"), "{}", text(&out));
    assert!(writes(&emu).is_empty(), "{:?}", writes(&emu));
}

#[test]
fn sync_paths_from_an_included_file_are_relative_to_that_file() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    let bundle = dir.path().join("repo/bundle");
    let yml = bundle.join("databricks.yml");
    let text_before = std::fs::read_to_string(&yml).unwrap();
    let moved = text_before
        .replace("sync:\n  paths:\n    - ../common\n    - .\n", "")
        .replace(
            "  - ../common/targets.yml\n",
            "  - ../common/targets.yml\n  - conf/*.yml\n",
        );
    assert_ne!(moved, text_before);
    std::fs::write(&yml, moved).unwrap();
    std::fs::create_dir(bundle.join("conf")).unwrap();
    std::fs::write(
        bundle.join("conf/sync.yml"),
        "sync:\n  paths:\n    - ../../common\n    - ..\n",
    )
    .unwrap();
    let doc = validate_json(&as_refs(&env), &bundle);
    assert_eq!(
        doc["sync"]["paths"],
        serde_json::json!(["common", "bundle"])
    );
    let files = doc["workspace"]["file_path"].as_str().unwrap();
    let tasks = doc["resources"]["jobs"]["etl"]["tasks"].as_array().unwrap();
    let shared = tasks.iter().find(|t| t["task_key"] == "shared").unwrap();
    assert_eq!(
        shared["notebook_task"]["notebook_path"],
        Value::String(format!("{files}/common/notebooks/etl"))
    );
}

#[test]
fn warnings_are_annotated_at_their_files_from_the_checkout_root() {
    let emu = TestEmulator::fast();
    let dir = shared_repo();
    let checkout = dir.path().join("repo");
    let yml = checkout.join("bundle/databricks.yml");
    let with_key = std::fs::read_to_string(&yml).unwrap() + "odd_key: 1\n";
    std::fs::write(&yml, with_key).unwrap();
    let shared = checkout.join("common/targets.yml");
    let with_key = std::fs::read_to_string(&shared).unwrap() + "shared_odd: 1\n";
    std::fs::write(&shared, with_key).unwrap();
    let ws = checkout.to_string_lossy().into_owned();
    let mut env = run_env(&emu);
    env.push(("GITHUB_ACTIONS".into(), "true".into()));
    env.push(("GITHUB_WORKSPACE".into(), ws));
    let out = brickci(
        &["validate", "--bundle-dir", "bundle"],
        &as_refs(&env),
        &checkout,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("::warning file=bundle/databricks.yml,line="),
        "{err}"
    );
    assert!(
        err.contains("::warning file=common/targets.yml,line="),
        "{err}"
    );
}

#[test]
fn python_resources_with_a_wider_sync_root_are_refused_by_name() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    let bundle = dir.path().join("repo/bundle");
    let yml = bundle.join("databricks.yml");
    let with_python = std::fs::read_to_string(&yml).unwrap()
        + "python:\n  resources:\n    - 'resources:load_resources'\n";
    std::fs::write(&yml, with_python).unwrap();
    let out = brickci(&["validate"], &as_refs(&env), &bundle);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("sync.paths reach outside its folder are not supported yet"),
        "{}",
        text(&out)
    );
    assert!(writes(&emu).is_empty(), "{:?}", writes(&emu));
}

#[test]
fn sync_paths_a_target_sets_move_the_sync_root_when_it_is_selected() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = shared_repo();
    let bundle = dir.path().join("repo/bundle");
    let yml = bundle.join("databricks.yml");
    let text_before = std::fs::read_to_string(&yml).unwrap();
    let moved = text_before.replace(
        "sync:\n  paths:\n    - ../common\n    - .\n",
        "targets:\n  ship:\n    sync:\n      paths:\n        - ../common\n        - .\n",
    );
    assert_ne!(moved, text_before);
    std::fs::write(&yml, moved).unwrap();
    let out = brickci(
        &["validate", "-o", "json", "-t", "ship"],
        &as_refs(&env),
        &bundle,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["sync"]["paths"],
        serde_json::json!(["common", "bundle"])
    );
    let files = doc["workspace"]["file_path"].as_str().unwrap();
    let tasks = doc["resources"]["jobs"]["etl"]["tasks"].as_array().unwrap();
    let shared = tasks.iter().find(|t| t["task_key"] == "shared").unwrap();
    assert_eq!(
        shared["notebook_task"]["notebook_path"],
        Value::String(format!("{files}/common/notebooks/etl"))
    );
    // The other target keeps the bundle's folder as the root: ../common is outside it.
    let out = brickci(&["validate", "-t", "dev"], &as_refs(&env), &bundle);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("is outside the bundle's folder"),
        "{}",
        text(&out)
    );
}
