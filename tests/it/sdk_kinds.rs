//! The official Databricks SDK for Python drives the emulator's endpoints for the kinds of
//! issue 15 (catalogs, grants, warehouses, pools, alerts, dashboards, apps), waiters
//! included: the emulator must answer what the SDK accepts and reach the states it waits for.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use brickci::emulator::EmulatorConfig;

#[test]
fn official_sdk_across_the_new_kinds() {
    let Some(python) = venv_python() else {
        return;
    };
    // 100 emulated seconds per real second: a warehouse starts in 0.3 s, an app deploys in 0.2 s.
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 100.0,
        ..EmulatorConfig::default()
    });
    let mut child = Command::new(python)
        .arg(repo().join("tests/python/sdk_kinds_surface.py"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A waiter that never sees its state would poll until its own timeout; stop earlier
    // with the last requests, which say where it hung.
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            let last: Vec<String> = emu
                .requests()
                .iter()
                .rev()
                .take(5)
                .map(|r| format!("{} {}?{} -> {}", r.method, r.path, r.query, r.status))
                .collect();
            panic!("the SDK script did not finish in 180 s; last requests: {last:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("sdk kinds-surface checks passed"), "{all}");
    // Every call the SDK made reached a route: no 405, and 404s only from lookups of
    // things the script had deleted or never made.
    let log = emu.requests();
    assert!(log.iter().all(|r| r.status != 405), "a method had no route");
    for path in [
        "/api/2.1/unity-catalog/catalogs",
        "/api/2.0/sql/warehouses",
        "/api/2.0/instance-pools/create",
        "/api/2.0/alerts",
        "/api/2.0/lakeview/dashboards",
        "/api/2.0/apps",
    ] {
        assert!(
            log.iter()
                .any(|r| r.method == "POST" && r.path == path && r.status == 200),
            "no successful create at {path}"
        );
    }
    let deploys = emu.calls("POST", "/deployments");
    assert_eq!(
        deploys.len(),
        2,
        "one deployment that succeeds, one that fails"
    );
}
