//! The official Databricks SDK for Python against the emulator: the emulator must answer
//! what the real service answers, as far as the SDK can tell.

use std::process::Command;

use crate::common::*;
use brickci::emulator::EmulatorConfig;

fn run_sdk(emu: &TestEmulator, auth: &[(&str, &str)]) -> std::process::Output {
    let python = venv_python().expect("venv present");
    let mut cmd = Command::new(python);
    cmd.arg(repo().join("tests/python/sdk_against_emulator.py"))
        .env_clear();
    for key in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    // Nothing leaves 127.0.0.1: no config file, no cloud metadata, no proxy.
    cmd.env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in auth {
        cmd.env(k, v);
    }
    cmd.output().expect("python runs")
}

#[test]
fn official_sdk_with_a_personal_access_token() {
    if venv_python().is_none() {
        return;
    }
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 100.0,
        ..EmulatorConfig::default()
    });
    let out = run_sdk(&emu, &[("DATABRICKS_TOKEN", TOKEN)]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("auth=pat") && all.contains("sdk checks passed"),
        "{all}"
    );
}

#[test]
fn official_sdk_with_oauth_m2m_through_discovery() {
    if venv_python().is_none() {
        return;
    }
    // On a fast clock tokens live shorter in real time; the SDK renews anything within 40 s
    // of expiry, so give it an hour of real time.
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 100.0,
        token_ttl_secs: 360_000,
        ..EmulatorConfig::default()
    });
    let out = run_sdk(
        &emu,
        &[
            ("DATABRICKS_CLIENT_ID", "emulator-sp"),
            ("DATABRICKS_CLIENT_SECRET", "emulator-sp-secret"),
        ],
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("auth=oauth-m2m"), "{all}");
    // The SDK found the token endpoint through host metadata, as against a real workspace.
    assert!(
        !emu.calls("GET", "/.well-known/databricks-config")
            .is_empty()
    );
    assert_eq!(emu.calls("POST", "/oidc/v1/token").len(), 1);
}

#[test]
fn official_sdk_across_the_deploy_surface() {
    if venv_python().is_none() {
        return;
    }
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 100.0,
        ..EmulatorConfig::default()
    });
    let python = venv_python().unwrap();
    let mut out = Command::new(python)
        .arg(repo().join("tests/python/sdk_deploy_surface.py"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The SDK pages until the server says stop: a paging bug would loop forever.
    let started = std::time::Instant::now();
    while out.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = out.kill();
            let log: Vec<String> = emu
                .requests()
                .iter()
                .rev()
                .take(5)
                .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
                .collect();
            panic!("the SDK script did not finish in 120 s; last requests: {log:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = out.wait_with_output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("sdk deploy-surface checks passed"), "{all}");
}
