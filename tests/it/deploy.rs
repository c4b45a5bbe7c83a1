//! `brickci deploy` of the example bundle against the emulator: what is sent, what is not,
//! and how a deploy resumes, prunes, locks and adopts.

use std::path::Path;

use crate::common::{TestEmulator, as_refs, brickci, code, example, run_env, text};
use serde_json::json;

fn deploy(emu: &TestEmulator, dir: &Path, extra: &[&str]) -> std::process::Output {
    let env = run_env(emu);
    let mut args = vec!["deploy"];
    args.extend_from_slice(extra);
    brickci(&args, &as_refs(&env), dir)
}

fn is_write(r: &brickci::emulator::RequestRecord) -> bool {
    !matches!(r.method.as_str(), "GET" | "HEAD") && !r.path.starts_with("/oidc/")
}

/// Writes since request number `since`.
fn writes_since(emu: &TestEmulator, since: usize) -> Vec<brickci::emulator::RequestRecord> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(is_write)
        .collect()
}

/// Workspace imports of bundle content (not the lock or the state file).
fn content_imports(writes: &[brickci::emulator::RequestRecord]) -> Vec<String> {
    writes
        .iter()
        .filter(|r| r.path == "/api/2.0/workspace/import")
        .filter_map(|r| r.body["path"].as_str().map(str::to_string))
        .filter(|p| !p.contains("/state/"))
        .collect()
}

fn root(emu: &TestEmulator) -> String {
    let _ = emu;
    "/Workspace/Users/ci-bot@example.com/.bundle/shop/dev".into()
}

fn state(emu: &TestEmulator) -> serde_json::Value {
    let path = format!("{}/state/brickci-state.json", root(emu));
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", &path)
        .append_pair("direct_download", "true")
        .finish();
    emu.get_json(&format!("/api/2.0/workspace/export?{q}"))
}

#[test]
fn first_deploy_creates_everything_and_a_second_sends_no_writes() {
    let emu = TestEmulator::fast();
    let dir = example();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let st = state(&emu);
    let job_id: i64 = st["resources"]["jobs"]["nightly"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let job = emu.get_json(&format!("/api/2.2/jobs/get?job_id={job_id}"));
    let s = &job["settings"];
    assert_eq!(s["name"], "[dev ci_bot] shop nightly");
    assert_eq!(s["schedule"]["pause_status"], "PAUSED");
    assert_eq!(
        s["max_concurrent_runs"], 4,
        "development mode runs four at once"
    );
    assert_eq!(
        s["max_concurrent_runs"], 4,
        "development mode runs four at once"
    );
    assert_eq!(
        s["job_clusters"][0]["new_cluster"]["instance_pool_id"], "0101-120000-pool1234",
        "lookup: of the pool"
    );
    let cluster_id = st["resources"]["clusters"]["interactive"]["id"]
        .as_str()
        .unwrap();
    assert_eq!(
        s["tasks"][1]["existing_cluster_id"], cluster_id,
        "${{resources.clusters.interactive.id}} filled in"
    );
    assert_eq!(
        s["tasks"][2]["libraries"][0]["whl"],
        format!(
            "{}/artifacts/.internal/shop_utils-0.1.0-py3-none-any.whl",
            root(&emu)
        )
    );
    assert_eq!(
        s["tasks"][0]["notebook_task"]["notebook_path"],
        format!("{}/files/src/ingest", root(&emu))
    );
    // The cluster was stopped after create; the schema and volume exist; the wheel was uploaded.
    assert_eq!(
        emu.get_json(&format!("/api/2.1/clusters/get?cluster_id={cluster_id}"))["state"],
        "TERMINATED"
    );
    assert_eq!(
        emu.get_json("/api/2.1/unity-catalog/volumes/main.dev_ci_bot_sales_dev.landing")["volume_type"],
        "MANAGED"
    );
    let volume = emu.calls("POST", "/unity-catalog/volumes");
    assert!(
        volume[0].body.get("volume_path").is_none(),
        "volume_path is computed, not sent: {}",
        volume[0].body
    );
    let whl = emu.get_json(&format!("/api/2.0/workspace/get-status?path={}/artifacts/.internal/shop_utils-0.1.0-py3-none-any.whl", root(&emu)));
    assert_eq!(whl["object_type"], "FILE");
    let nb = emu.get_json(&format!(
        "/api/2.0/workspace/get-status?path={}/files/src/train",
        root(&emu)
    ));
    assert_eq!(nb["object_type"], "NOTEBOOK");
    let perms = emu.get_json(&format!("/api/2.0/permissions/jobs/{job_id}"));
    assert_eq!(perms["access_control_list"][0]["group_name"], "users");
    // No lock left behind.
    let lock = emu
        .requests()
        .into_iter()
        .filter(|r| {
            r.path == "/api/2.0/workspace/delete"
                && r.body["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("deploy.lock"))
        })
        .count();
    assert_eq!(lock, 1);

    let path = format!("{}/state/metadata.json", root(&emu));
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", &path)
        .append_pair("direct_download", "true")
        .finish();
    let meta = emu.get_json(&format!("/api/2.0/workspace/export?{q}"));
    assert_eq!(
        meta["config"]["resources"]["jobs"]["nightly"],
        json!({"id": job_id.to_string(), "relative_path": "resources/jobs.yml"})
    );

    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("0 to create, 0 to update, 0 to delete, 15 unchanged"),
        "{}",
        text(&out)
    );
    let writes = writes_since(&emu, before);
    assert!(
        writes.is_empty(),
        "a no-op redeploy wrote: {:?}",
        writes
            .iter()
            .map(|w| format!("{} {}", w.method, w.path))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_changed_notebook_sends_exactly_its_import_and_prune_deletes_only_what_left() {
    let emu = TestEmulator::fast();
    let dir = example();
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    std::fs::write(
        dir.path().join("src/report.py"),
        "# Databricks notebook source\ndbutils.notebook.exit('v2')\n",
    )
    .unwrap();
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let writes = writes_since(&emu, before);
    assert_eq!(
        content_imports(&writes),
        vec![format!("{}/files/src/report", root(&emu))]
    );
    let other: Vec<String> = writes
        .iter()
        .filter(|w| {
            !(w.path == "/api/2.0/workspace/import"
                || (w.path.ends_with("/delete")
                    && w.body["path"]
                        .as_str()
                        .is_some_and(|p| p.contains("/state/")))
                || (w.path.ends_with("/mkdirs")
                    && w.body["path"]
                        .as_str()
                        .is_some_and(|p| p.contains("/state"))))
        })
        .map(|w| format!("{} {}", w.method, w.path))
        .collect();
    assert!(
        other.is_empty(),
        "unexpected writes (no mkdirs: the state shows the folder exists): {other:?}"
    );

    // Gone from the bundle: kept without --prune, deleted (only it) with it.
    std::fs::remove_file(dir.path().join("src/settings.json")).unwrap();
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("orphaned"), "{}", text(&out));
    assert!(writes_since(&emu, before).is_empty());
    let out = deploy(&emu, dir.path(), &["--prune"]);
    assert_eq!(
        code(&out),
        2,
        "a destructive plan needs --auto-approve when not interactive: {}",
        text(&out)
    );
    assert!(text(&out).contains("--auto-approve"));
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &["--prune", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let deletes: Vec<String> = writes_since(&emu, before)
        .into_iter()
        .filter(|w| w.path == "/api/2.0/workspace/delete")
        .filter_map(|w| w.body["path"].as_str().map(str::to_string))
        .filter(|p| !p.ends_with("deploy.lock"))
        .collect();
    assert_eq!(
        deletes,
        vec![format!("{}/files/src/settings.json", root(&emu))]
    );
}

#[test]
fn an_interrupted_deploy_is_completed_by_the_next_without_duplicates() {
    let emu = TestEmulator::fast();
    let dir = example();
    // The job create fails hard; everything before it is done and must be recorded.
    emu.fault("POST /api/2.2/jobs/create=500*20");
    let out = deploy(&emu, dir.path(), &["--retry-timeout", "1"]);
    assert_eq!(code(&out), 4, "{}", text(&out));
    assert!(
        text(&out).contains("the next deploy resumes"),
        "{}",
        text(&out)
    );
    let st = state(&emu);
    assert!(
        st["resources"]["clusters"]["interactive"]["id"].is_string(),
        "{st}"
    );
    assert!(st["resources"]["jobs"].get("nightly").is_none());
    emu.handle.as_ref().unwrap().clear_faults();
    // The second create's answer is lost after the job was made: found by name, not repeated.
    emu.fault("POST /api/2.2/jobs/create=drop-after-apply*1");
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.calls("POST", "/clusters/create").len(),
        1,
        "the cluster was not created twice"
    );
    assert_eq!(emu.calls("POST", "/unity-catalog/schemas").len(), 1);
    let jobs = emu.get_json("/api/2.2/jobs/list");
    assert_eq!(
        jobs["jobs"].as_array().map_or(0, Vec::len),
        1,
        "exactly one job: {jobs}"
    );
    assert_eq!(
        state(&emu)["resources"]["jobs"]["nightly"]["id"],
        json!(jobs["jobs"][0]["job_id"].to_string())
    );
}

#[test]
fn sigterm_stops_a_deploy_that_saves_its_state_releases_the_lock_and_exits_143() {
    let emu = TestEmulator::fast();
    let dir = example();
    // The job create is slow, so the signal lands while the deploy is under way.
    emu.fault("POST /api/2.2/jobs/create=latency:2000*1");
    let child = crate::common::Brickci::new(["deploy"])
        .against(&emu)
        .dir(dir.path())
        .spawn();
    assert!(
        crate::common::wait_until(std::time::Duration::from_secs(60), || !emu
            .calls("POST", "/clusters/create")
            .is_empty()),
        "the deploy reached the cluster"
    );
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 143, "{}", text(&out));
    assert!(
        text(&out).contains("SIGTERM: deploy stopped after"),
        "{}",
        text(&out)
    );
    // What was done is recorded, and the lock is gone.
    let st = state(&emu);
    assert!(
        st["resources"]["clusters"]["interactive"]["id"].is_string(),
        "{st}"
    );
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", &format!("{}/state/deploy.lock", root(&emu)))
        .finish();
    let lock = emu.get_json(&format!("/api/2.0/workspace/get-status?{q}"));
    assert_eq!(
        lock["error_code"], "RESOURCE_DOES_NOT_EXIST",
        "the lock was left behind: {lock}"
    );
    // The next deploy finishes the job without making anything twice.
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(emu.calls("POST", "/clusters/create").len(), 1);
    let jobs = emu.get_json("/api/2.2/jobs/list");
    assert_eq!(
        jobs["jobs"].as_array().map_or(0, Vec::len),
        1,
        "exactly one job: {jobs}"
    );
}

#[test]
fn a_resource_refering_to_a_later_kind_waits_for_it_instead_of_being_skipped() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    // Clusters deploy before experiments, but this cluster needs the experiment's id.
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: refs\nresources:\n  experiments:\n    runs:\n      name: /Shared/refs-runs\n  clusters:\n    c:\n      cluster_name: c\n      spark_version: 15.4.x-scala2.12\n      node_type_id: i3.xlarge\n      num_workers: 1\n      spark_env_vars:\n        EXPERIMENT_ID: ${resources.experiments.runs.id}\n",
    )
    .unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let created = emu.calls("POST", "/clusters/create");
    assert_eq!(created.len(), 1, "{}", text(&out));
    let experiment = emu.calls("POST", "/mlflow/experiments/create");
    assert_eq!(experiment.len(), 1);
    let st = emu.get_json(&format!(
        "/api/2.0/workspace/export?direct_download=true&path={}",
        "/Workspace/Users/ci-bot@example.com/.bundle/refs/default/state/brickci-state.json"
    ));
    assert_eq!(
        created[0].body["spark_env_vars"]["EXPERIMENT_ID"],
        st["resources"]["experiments"]["runs"]["id"],
        "{st}"
    );
}

#[test]
fn permissions_dropped_from_the_bundle_are_revoked() {
    let emu = TestEmulator::fast();
    let dir = example();
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    let job_id = state(&emu)["resources"]["jobs"]["nightly"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let perms = emu.get_json(&format!("/api/2.0/permissions/jobs/{job_id}"));
    assert_eq!(perms["access_control_list"][0]["group_name"], "users");
    let yml = dir.path().join("databricks.yml");
    let text_before = std::fs::read_to_string(&yml).unwrap();
    let without = text_before.replace(
        "permissions:\n  - level: CAN_VIEW\n    group_name: users\n",
        "",
    );
    assert_ne!(without, text_before, "the example grants CAN_VIEW to users");
    std::fs::write(&yml, without).unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("permissions changed"), "{}", text(&out));
    let perms = emu.get_json(&format!("/api/2.0/permissions/jobs/{job_id}"));
    assert_eq!(
        perms["access_control_list"].as_array().map(Vec::len),
        Some(0),
        "{perms}"
    );
}

#[test]
fn moving_a_schema_to_another_catalog_is_refused_before_any_write() {
    let emu = TestEmulator::fast();
    let dir = example();
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &["--var", "catalog=archive"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "resources.schemas.sales.catalog_name changes from \"main\" to \"archive\", which Unity Catalog cannot change in place"
        ),
        "{}",
        text(&out)
    );
    assert!(writes_since(&emu, before).is_empty());
}

#[test]
fn two_files_bound_for_one_workspace_path_are_refused() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: twins\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/load.py"),
        "# Databricks notebook source\nprint(1)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/load.sql"),
        "-- Databricks notebook source\nSELECT 1\n",
    )
    .unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("src/load.py and src/load.sql would both be uploaded to"),
        "{}",
        text(&out)
    );
    assert!(writes_since(&emu, 0).is_empty());
}

/// A bundle whose only artifact is a prebuilt wheel of `size` bytes, stored under `artifact_path`.
fn wheel_bundle(artifact_path: &str, size: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    let wheel: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("dist/lib-1.0-py3-none-any.whl"), wheel).unwrap();
    std::fs::write(
        dir.path().join("job.py"),
        "# Databricks notebook source\nprint(1)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        format!("bundle:\n  name: wheels\nworkspace:\n  artifact_path: {artifact_path}\nartifacts:\n  lib:\n    type: whl\n    files:\n      - source: dist/*.whl\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          notebook_task: {{notebook_path: ./job.py}}\n          libraries:\n            - whl: ./dist/lib-1.0-py3-none-any.whl\n"),
    )
    .unwrap();
    dir
}

#[test]
fn artifacts_go_to_a_volume_through_the_files_api_and_to_dbfs_in_blocks() {
    let emu = TestEmulator::fast();
    emu.post_json(
        "/api/2.1/unity-catalog/schemas",
        json!({"name": "libs", "catalog_name": "main"}),
    );
    emu.post_json(
        "/api/2.1/unity-catalog/volumes",
        json!({"name": "wheels", "catalog_name": "main", "schema_name": "libs", "volume_type": "MANAGED"}),
    );
    let dir = wheel_bundle("/Volumes/main/libs/wheels/ci", 3000);
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let remote = "/Volumes/main/libs/wheels/ci/.internal/lib-1.0-py3-none-any.whl";
    let puts = emu.calls("PUT", &format!("/api/2.0/fs/files{remote}"));
    assert_eq!(puts.len(), 1, "one Files API upload");
    let job = &emu.calls("POST", "/jobs/create")[0].body;
    assert_eq!(job["tasks"][0]["libraries"][0]["whl"], remote);

    // 2.5 MB to DBFS: create, three blocks of at most 1 MB, close.
    let dir = wheel_bundle("dbfs:/FileStore/ci", 2_500_000);
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(emu.calls("POST", "/api/2.0/dbfs/create").len(), 1);
    assert_eq!(emu.calls("POST", "/api/2.0/dbfs/add-block").len(), 3);
    assert_eq!(emu.calls("POST", "/api/2.0/dbfs/close").len(), 1);
    let status = emu
        .get_json("/api/2.0/dbfs/get-status?path=/FileStore/ci/.internal/lib-1.0-py3-none-any.whl");
    assert_eq!(status["file_size"], 2_500_000, "{status}");
    // Same bundle and target: the job is reset to point at the new place.
    let job = &emu.calls("POST", "/jobs/reset")[0].body["new_settings"];
    assert_eq!(
        job["tasks"][0]["libraries"][0]["whl"],
        "dbfs:/FileStore/ci/.internal/lib-1.0-py3-none-any.whl"
    );
}

#[test]
fn the_lock_is_honoured_and_forced_only_on_request() {
    let emu = TestEmulator::fast();
    let dir = example();
    let state_dir = format!("{}/state", root(&emu));
    emu.post_json("/api/2.0/workspace/mkdirs", json!({ "path": state_dir }));
    let held = json!({"ID": "0b8f0c32-1111-2222-3333-444455556666", "AcquisitionTime": "2026-11-24T10:00:00Z", "IsForced": false, "User": "someone@example.com"});
    use base64::Engine;
    emu.post_json("/api/2.0/workspace/import", json!({ "path": format!("{state_dir}/deploy.lock"), "format": "RAW", "content": base64::engine::general_purpose::STANDARD.encode(held.to_string()) }));
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("held by someone@example.com since 2026-11-24T10:00:00Z"),
        "{}",
        text(&out)
    );
    assert_eq!(emu.calls("POST", "/jobs/create").len(), 0);
    let out = deploy(&emu, dir.path(), &["--force-lock"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(emu.calls("POST", "/jobs/create").len(), 1);
}

#[test]
fn ids_from_a_databricks_cli_deployment_are_adopted() {
    let emu = TestEmulator::fast();
    let dir = example();
    let existing = emu.post_json(
        "/api/2.2/jobs/create",
        json!({ "name": "made by the databricks cli" }),
    );
    let id = existing["job_id"].as_i64().unwrap();
    let state_dir = format!("{}/state", root(&emu));
    emu.post_json("/api/2.0/workspace/mkdirs", json!({ "path": state_dir }));
    let tf = json!({"version": 4, "resources": [{"mode": "managed", "type": "databricks_job", "name": "nightly", "instances": [{"attributes": {"id": id.to_string()}}]}]});
    use base64::Engine;
    emu.post_json("/api/2.0/workspace/import", json!({ "path": format!("{state_dir}/terraform.tfstate"), "format": "RAW", "content": base64::engine::general_purpose::STANDARD.encode(tf.to_string()) }));
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("adopted from the Databricks CLI"),
        "{}",
        text(&out)
    );
    assert_eq!(
        emu.calls("POST", "/jobs/create").len(),
        1,
        "only the test's own create"
    );
    assert_eq!(emu.calls("POST", "/jobs/reset").len(), 1);
    assert_eq!(
        emu.get_json(&format!("/api/2.2/jobs/get?job_id={id}"))["settings"]["name"],
        "[dev ci_bot] shop nightly"
    );
}

#[test]
fn plan_is_data_in_three_forms_and_writes_nothing() {
    let emu = TestEmulator::fast();
    let dir = example();
    let env = run_env(&emu);
    let out = brickci(&["plan", "-o", "json"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json_start = stdout.find("{\n").unwrap();
    let plan: serde_json::Value = serde_json::from_str(&stdout[json_start..]).unwrap();
    assert_eq!(plan["summary"]["create"], 15);
    let job = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "jobs")
        .unwrap();
    assert_eq!(job["action"], "create");
    assert_eq!(job["name"], "nightly");
    let out = brickci(&["plan", "-o", "markdown"], &as_refs(&env), dir.path());
    assert!(
        text(&out).contains("| ➕ create | jobs | `nightly` | new |"),
        "{}",
        text(&out)
    );
    assert!(
        emu.requests().iter().all(|r| !is_write(r)),
        "plan wrote something"
    );
    // Changes show the settings paths that differ.
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    let out = brickci(
        &["plan", "-t", "dev", "--var", "notify=ops@example.com"],
        &as_refs(&env),
        dir.path(),
    );
    let all = text(&out);
    let line = all
        .lines()
        .find(|l| l.contains("nightly"))
        .unwrap_or_default();
    assert!(
        line.starts_with("update") && line.ends_with("changed: email_notifications.on_failure[0]"),
        "{all}"
    );
}

#[test]
fn a_piped_document_is_the_document_alone_on_every_platform() {
    let emu = TestEmulator::fast();
    let dir = example();
    let base = run_env(&emu);
    for platform in [
        &[("TF_BUILD", "True"), ("BUILD_BUILDID", "3")][..],
        &[("GITHUB_ACTIONS", "true")][..],
        &[][..],
    ] {
        let mut env = as_refs(&base);
        env.extend_from_slice(platform);
        for command in ["plan", "validate"] {
            let out = brickci(&[command, "-o", "json"], &env, dir.path());
            assert_eq!(code(&out), 0, "{platform:?} {command}: {}", text(&out));
            // Progress, the build's own output, masks, outputs and summaries: all on stderr.
            let stdout = String::from_utf8_lossy(&out.stdout);
            let parsed = serde_json::from_str::<serde_json::Value>(&stdout);
            assert!(
                parsed.is_ok(),
                "{platform:?} {command}: stdout is not one JSON document:\n{stdout}"
            );
        }
    }
}

#[test]
fn validate_prints_the_resolved_configuration() {
    let emu = TestEmulator::fast();
    let dir = example();
    let env = run_env(&emu);
    let out = brickci(
        &["validate", "-t", "prod", "-o", "json"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["bundle"],
        json!({"environment": "prod", "git": {"bundle_root_path": "."}, "mode": "production", "name": "shop", "target": "prod"})
    );
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "keys print sorted, as the Databricks CLI prints them"
    );
    assert_eq!(
        v["workspace"]["root_path"],
        "/Workspace/Shared/.bundle/shop/prod"
    );
    assert_eq!(
        v["workspace"]["file_path"],
        "/Workspace/Shared/.bundle/shop/prod/files"
    );
    assert_eq!(v["variables"]["notify"]["value"], "oncall@example.com");
    assert_eq!(
        v["variables"]["deployer"]["lookup"],
        json!({"service_principal": "ci-deployer"})
    );
    let job = &v["resources"]["jobs"]["nightly"];
    assert_eq!(job["name"], "shop nightly");
    assert_eq!(
        job["run_as"]["service_principal_name"],
        "9f0c6f2e-1d2b-4c8a-9e43-5b1a2c3d4e5f"
    );
    assert_eq!(
        job["tasks"][2]["task_key"], "train",
        "tasks in task_key order"
    );
    assert_eq!(
        job["tasks"][2]["timeout_seconds"], 7200,
        "the target's task override merged by task_key"
    );
    assert_eq!(
        job["deployment"],
        json!({"kind": "BUNDLE", "metadata_file_path": "/Workspace/Shared/.bundle/shop/prod/state/metadata.json"})
    );
    assert_eq!(
        (
            job["edit_mode"].as_str(),
            job["format"].as_str(),
            job["max_concurrent_runs"].as_i64()
        ),
        (Some("UI_LOCKED"), Some("MULTI_TASK"), Some(1))
    );
    assert_eq!(job["schedule"]["pause_status"], "UNPAUSED");
    assert_eq!(
        v["resources"]["clusters"]["interactive"]["autotermination_minutes"], 30,
        "a user value beats the default"
    );
    assert_eq!(job["tasks"].as_array().unwrap().len(), 3);
    assert!(v.get("targets").is_none());
}

/// A `lookup:` that finds nothing is a configuration error: exit 2, file:line, no writes.
#[test]
fn a_failed_lookup_names_the_variable_and_writes_nothing() {
    let emu = TestEmulator::fast();
    let dir = example();
    let yml = std::fs::read_to_string(dir.path().join("databricks.yml"))
        .unwrap()
        .replace("instance_pool: ci-pool", "instance_pool: no-such-pool");
    std::fs::write(dir.path().join("databricks.yml"), yml).unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("databricks.yml:17:22: variables.pool_id.lookup.instance_pool: no instance pool named \"no-such-pool\""), "{}", text(&out));
    assert!(emu.requests().iter().all(|r| !is_write(r)));
}

/// The S4 layout: cluster and job JSON folders, jobs naming their cluster by name.
#[test]
fn a_folder_of_job_json_deploys_by_name_with_cluster_names_resolved() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let legacy = crate::common::repo().join("examples/legacy");
    let args = ["deploy", "--clusters-dir", "clusters", "--jobs-dir", "jobs"];
    let out = brickci(&args, &as_refs(&env), &legacy);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let clusters = emu.get_json("/api/2.1/clusters/list");
    let small = clusters["clusters"][0]["cluster_id"]
        .as_str()
        .unwrap()
        .to_string();
    let jobs = emu.get_json("/api/2.2/jobs/list?expand_tasks=true");
    let by_name = |n: &str| {
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["settings"]["name"] == n)
            .cloned()
            .unwrap()
    };
    let single = by_name("Test-DevOps-Job-Interactive-Cluster");
    let single = emu.get_json(&format!("/api/2.2/jobs/get?job_id={}", single["job_id"]));
    assert_eq!(single["settings"]["existing_cluster_id"], small.as_str());
    let multi = emu.get_json(&format!(
        "/api/2.2/jobs/get?job_id={}",
        by_name("Nightly-Multi-Task")["job_id"]
    ));
    assert_eq!(
        multi["settings"]["tasks"][0]["existing_cluster_id"],
        small.as_str()
    );
    assert_eq!(
        multi["settings"]["tasks"][1]["existing_cluster_id"], "0923-164208-meows279",
        "an id stays an id"
    );
    // Again: found by name, so edited and reset, never duplicated.
    let out = brickci(&args, &as_refs(&env), &legacy);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("updated job Nightly-Multi-Task"),
        "{}",
        text(&out)
    );
    assert_eq!(emu.calls("POST", "/jobs/create").len(), 2);
    assert_eq!(emu.calls("POST", "/jobs/reset").len(), 2);
    assert_eq!(emu.calls("POST", "/clusters/create").len(), 1);
    assert_eq!(emu.calls("POST", "/clusters/edit").len(), 1);

    // A cluster name nobody defines: exit 2 naming the file and key, nothing written.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("jobs")).unwrap();
    std::fs::write(
        dir.path().join("jobs/j.json"),
        r#"{"name": "x", "tasks": [{"task_key": "a", "existing_cluster_id": "Huge"}]}"#,
    )
    .unwrap();
    let before = emu.requests().len();
    let out = brickci(
        &["deploy", "--jobs-dir", "jobs"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("j.json: tasks.0.existing_cluster_id: no cluster named \"Huge\""),
        "{}",
        text(&out)
    );
    assert!(writes_since(&emu, before).is_empty());
    std::fs::write(
        dir.path().join("jobs/j.json"),
        "{\"name\": \"x\",\n \"tasks\": [}\n",
    )
    .unwrap();
    let out = brickci(
        &["deploy", "--jobs-dir", "jobs"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("j.json:2:12: invalid JSON"),
        "{}",
        text(&out)
    );
}

/// A bundle of `files` notebooks in 20 folders and `jobs` jobs.
fn many(dir: &Path, files: usize, jobs: usize) {
    let mut yaml = String::from("bundle:\n  name: many\nresources:\n  jobs:\n");
    for j in 0..jobs {
        yaml.push_str(&format!(
            "    job_{j}:\n      name: job-{j}\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: ./src/f{}/nb_{j}.py\n",
            j % 20
        ));
    }
    yaml.push_str("targets:\n  dev:\n    default: true\n");
    std::fs::write(dir.join("databricks.yml"), yaml).unwrap();
    for i in 0..files {
        let folder = dir.join(format!("src/f{}", i % 20));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join(format!("nb_{i}.py")),
            format!("# Databricks notebook source\nprint({i})\n"),
        )
        .unwrap();
    }
}

fn many_root() -> &'static str {
    "/Workspace/Users/ci-bot@example.com/.bundle/many/dev"
}

fn described(reqs: &[brickci::emulator::RequestRecord]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect()
}

#[test]
fn a_noop_redeploy_stays_flat_at_1k_and_10k_files_with_20_jobs() {
    for files in [1_000, 10_000] {
        let emu = TestEmulator::fast();
        let dir = tempfile::tempdir().unwrap();
        many(dir.path(), files, 20);
        let out = deploy(&emu, dir.path(), &[]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        let before = emu.requests().len();
        let out = deploy(&emu, dir.path(), &[]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert!(text(&out).contains("nothing to deploy"), "{}", text(&out));
        let reqs: Vec<_> = emu.requests().into_iter().skip(before).collect();
        assert!(
            reqs.len() <= 10,
            "{files} files: a no-op redeploy made {} requests: {:?}",
            reqs.len(),
            described(&reqs)
        );
        assert!(
            emu.calls("GET", "/jobs/get").is_empty(),
            "one list, not a GET per job"
        );
    }
}

#[test]
fn one_changed_file_in_a_deployed_folder_is_one_request_and_a_removed_folder_is_made_again() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    many(dir.path(), 40, 2);
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    std::fs::write(
        dir.path().join("src/f3/nb_3.py"),
        "# Databricks notebook source\nprint('v2')\n",
    )
    .unwrap();
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Everything but the lock and the state, which every deploy that writes handles.
    let content: Vec<_> = emu
        .requests()
        .into_iter()
        .skip(before)
        .filter(|r| {
            let touches_state = r.body["path"]
                .as_str()
                .or_else(|| r.query.contains("state").then_some("state"))
                .is_some_and(|p| p.contains("state"));
            is_write(r) && !touches_state
        })
        .collect();
    assert_eq!(
        described(&content),
        vec!["POST /api/2.0/workspace/import?".to_string()],
        "one request for one changed file"
    );
    assert_eq!(
        content[0].body["path"],
        format!("{}/files/src/f3/nb_3", many_root())
    );

    // The folder is deleted behind brickci's back: the upload makes it again.
    emu.post_json(
        "/api/2.0/workspace/delete",
        json!({ "path": format!("{}/files/src/f3", many_root()), "recursive": true }),
    );
    std::fs::write(
        dir.path().join("src/f3/nb_3.py"),
        "# Databricks notebook source\nprint('v3')\n",
    )
    .unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let nb = emu.get_json(&format!(
        "/api/2.0/workspace/get-status?path={}/files/src/f3/nb_3",
        many_root()
    ));
    assert_eq!(nb["object_type"], "NOTEBOOK", "{nb}");
}

#[test]
fn a_job_deleted_out_of_band_is_noticed_through_the_list_and_created_again() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    many(dir.path(), 20, 3);
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    let st = {
        let path = format!("{}/state/brickci-state.json", many_root());
        emu.get_json(&format!(
            "/api/2.0/workspace/export?path={path}&direct_download=true"
        ))
    };
    let gone = st["resources"]["jobs"]["job_1"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    emu.post_json(
        "/api/2.2/jobs/delete",
        json!({ "job_id": gone.parse::<i64>().unwrap() }),
    );
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("no longer exists"), "{}", text(&out));
    let creates: Vec<_> = emu
        .requests()
        .into_iter()
        .skip(before)
        .filter(|r| r.path == "/api/2.2/jobs/create")
        .collect();
    assert_eq!(creates.len(), 1, "only the deleted job is made again");
    assert_eq!(creates[0].body["name"], "job-1");
    assert!(
        emu.calls("GET", "/jobs/get").is_empty(),
        "found by the list"
    );
    let jobs = emu.get_json("/api/2.2/jobs/list?limit=100");
    let names: Vec<&str> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["settings"]["name"].as_str())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn a_deploy_over_the_workspaces_rate_limit_backs_off_and_succeeds() {
    let emu = TestEmulator::start(brickci::emulator::EmulatorConfig {
        clock_speed: 50.0,
        rate_limits: vec!["POST */workspace/import=20".parse().unwrap()],
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    many(dir.path(), 60, 0);
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: many\ntargets:\n  dev:\n    default: true\n",
    )
    .unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let imports = emu.calls("POST", "/workspace/import");
    let refused = imports.iter().filter(|r| r.status == 429).count();
    assert!(refused > 0, "the limit was reached");
    assert!(
        imports
            .iter()
            .filter(|r| r.status == 429)
            .all(|r| r.fault.as_deref() == Some("rate-limit 20/s")),
        "the log names the limit"
    );
    // Every notebook landed once, and a redeploy has nothing to do.
    let mut landed: Vec<String> = imports
        .iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| r.body["path"].as_str().map(str::to_string))
        .filter(|p| p.contains("/files/src/"))
        .collect();
    landed.sort();
    let n = landed.len();
    landed.dedup();
    assert_eq!((n, landed.len()), (60, 60));
    let out = deploy(&emu, dir.path(), &[]);
    assert!(text(&out).contains("nothing to deploy"), "{}", text(&out));
}

#[test]
fn fail_on_active_runs_refuses_to_deploy_over_a_running_job() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle: {name: busy}\nresources:\n  jobs:\n    slow:\n      name: slow\n      tasks:\n        - task_key: t\n          notebook_task: {notebook_path: ./slow.py}\ntargets:\n  dev: {default: true}\n",
    )
    .unwrap();
    let notebook = "# Databricks notebook source\n# brickci-emulator: duration 1h\n";
    std::fs::write(dir.path().join("slow.py"), notebook).unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let jobs = emu.get_json("/api/2.2/jobs/list");
    let job_id = jobs["jobs"][0]["job_id"].as_i64().unwrap();
    let run = emu.post_json("/api/2.2/jobs/run-now", json!({ "job_id": job_id }));
    let run_id = run["run_id"].as_i64().unwrap();
    std::fs::write(dir.path().join("slow.py"), format!("{notebook}# changed\n")).unwrap();
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &["--fail-on-active-runs"]);
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    assert!(
        all.contains(&format!("jobs.slow (job {job_id}: runs {run_id})")),
        "{all}"
    );
    assert!(
        content_imports(&writes_since(&emu, before)).is_empty(),
        "{all}"
    );
    // Without the flag the deploy goes ahead.
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}
