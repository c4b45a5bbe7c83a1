//! `resources.quality_monitors` deployed to the emulator: created and waited on until active,
//! updated in place, replaced when its assets folder changes (the plan says why), deleted by
//! prune, a second deploy writes nothing, references to its computed fields, and a failed
//! monitor reported with the API's message.

use std::path::Path;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};
use serde_json::Value;

const ROOT: &str = "/Workspace/Users/ci-bot@example.com/.bundle/mon/default";

fn write(dir: &Path, monitor: &str) {
    let yml = format!(
        "bundle:\n  name: mon\nresources:\n  schemas:\n    s:\n      name: quality\n      catalog_name: main\n{monitor}"
    );
    std::fs::write(dir.join("databricks.yml"), yml).unwrap();
}

fn monitor(assets: &str, slicing: &str) -> String {
    format!(
        "  quality_monitors:\n    orders:\n      table_name: main.quality.orders\n      output_schema_name: main.quality\n      assets_dir: {assets}\n      snapshot: {{}}\n      slicing_exprs: [{slicing}]\n"
    )
}

fn deploy(emu: &TestEmulator, dir: &Path, extra: &[&str]) -> std::process::Output {
    let env = run_env(emu);
    let mut args = vec!["deploy"];
    args.extend_from_slice(extra);
    brickci(&args, &as_refs(&env), dir)
}

fn writes_since(emu: &TestEmulator, since: usize) -> Vec<(String, String)> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .filter(|r| !r.path.starts_with("/api/2.0/workspace/"))
        .map(|r| (r.method, r.path))
        .collect()
}

const MONITOR: &str = "/api/2.1/unity-catalog/tables/main.quality.orders/monitor";

fn state(emu: &TestEmulator) -> Value {
    let path = format!("{ROOT}/state/brickci-state.json");
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", &path)
        .append_pair("direct_download", "true")
        .finish();
    emu.get_json(&format!("/api/2.0/workspace/export?{q}"))
}

#[test]
fn a_monitor_is_created_active_updated_replaced_and_pruned() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &monitor("/Shared/monitors/a", "\"region\""));
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let m = emu.get_json(MONITOR);
    assert_eq!(
        m["status"], "MONITOR_STATUS_ACTIVE",
        "waited until active: {m}"
    );
    assert_eq!(m["slicing_exprs"], serde_json::json!(["region"]));
    let st = state(&emu);
    let entry = &st["resources"]["quality_monitors"]["orders"];
    assert_eq!(entry["id"], "main.quality.orders");
    assert_eq!(
        entry["computed"]["dashboard_id"], m["dashboard_id"],
        "computed fields kept for references"
    );

    // Nothing changed: nothing written.
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(writes_since(&emu, before), vec![], "{}", text(&out));

    // A slicing change is an update in place (PUT), the monitor's version moves on.
    write(dir.path(), &monitor("/Shared/monitors/a", "\"country\""));
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        writes_since(&emu, before),
        vec![("PUT".to_string(), MONITOR.to_string())]
    );
    let m = emu.get_json(MONITOR);
    assert_eq!(m["slicing_exprs"], serde_json::json!(["country"]));
    assert_eq!(m["monitor_version"], 2);

    // A new assets folder cannot be updated: the plan says it replaces the monitor, the
    // deploy needs approval, then deletes and creates it.
    write(dir.path(), &monitor("/Shared/monitors/b", "\"country\""));
    let out = brickci(&["plan"], &as_refs(&run_env(&emu)), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("replaces main.quality.orders: assets_dir changes from \"/Shared/monitors/a\" to \"/Shared/monitors/b\", which a monitor cannot change in place"),
        "{}",
        text(&out)
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(
        code(&out),
        2,
        "a replacement needs approval: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("quality_monitors orders (replaced)"),
        "{}",
        text(&out)
    );
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        writes_since(&emu, before),
        vec![
            ("DELETE".to_string(), MONITOR.to_string()),
            ("POST".to_string(), MONITOR.to_string())
        ]
    );
    assert_eq!(emu.get_json(MONITOR)["assets_dir"], "/Shared/monitors/b");

    // Gone from the bundle: prune deletes it (before its schema would go).
    write(dir.path(), "");
    let out = deploy(&emu, dir.path(), &["--prune", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.get_json(MONITOR)["error_code"],
        "RESOURCE_DOES_NOT_EXIST"
    );
}

#[test]
fn a_reference_to_a_computed_field_is_filled_after_the_monitor_is_created() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let job = "  jobs:\n    report:\n      name: report\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: /Shared/nb\n            base_parameters:\n              dashboard: ${resources.quality_monitors.orders.dashboard_id}\n";
    write(
        dir.path(),
        &format!("{}{job}", monitor("/Shared/monitors/a", "\"region\"")),
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let st = state(&emu);
    let job_id = st["resources"]["jobs"]["report"]["id"].as_str().unwrap();
    let job = emu.get_json(&format!("/api/2.2/jobs/get?job_id={job_id}"));
    let dashboard = emu.get_json(MONITOR)["dashboard_id"].clone();
    assert!(dashboard.is_string(), "{dashboard}");
    assert_eq!(
        job["settings"]["tasks"][0]["notebook_task"]["base_parameters"]["dashboard"],
        dashboard
    );
    // Settled: a second deploy writes nothing.
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(writes_since(&emu, before), vec![], "{}", text(&out));
}

#[test]
fn a_monitor_that_fails_is_reported_with_the_apis_message() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &monitor("/Shared/emulator-fail", "\"region\""));
    let out = deploy(&emu, dir.path(), &[]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("quality_monitors.orders")
            && all.contains("MONITOR_STATUS_FAILED")
            && all.contains("permission denied"),
        "{all}"
    );
}

#[test]
fn a_monitor_without_its_required_fields_is_refused_before_any_request() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "  quality_monitors:\n    orders:\n      table_name: main.quality.orders\n      snapshot: {}\n",
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("resources.quality_monitors.orders.output_schema_name")
            && all.contains("resources.quality_monitors.orders.assets_dir"),
        "{all}"
    );
    assert!(
        emu.requests().iter().all(|r| !r.path.contains("/monitor")),
        "nothing sent"
    );
}
