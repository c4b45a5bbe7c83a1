//! Shared by the black-box tests: an in-process emulator and the real binary run against it
//! with a scrubbed environment.
#![allow(dead_code)]

mod process;
pub mod sdk_surface;
pub mod secret_scan;
pub use process::Brickci;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use brickci::emulator::{EmulatorConfig, EmulatorHandle, FaultRule, RequestRecord, start};

pub const TOKEN: &str = "dapi-emulator-token";

/// An emulator on its own runtime, so tests can block on the binary meanwhile.
pub struct TestEmulator {
    pub handle: Option<EmulatorHandle>,
    runtime: tokio::runtime::Runtime,
}

impl TestEmulator {
    pub fn start(config: EmulatorConfig) -> TestEmulator {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.block_on(start(config)).expect("emulator starts");
        TestEmulator {
            handle: Some(handle),
            runtime,
        }
    }

    /// Fast clock: a run's few emulated seconds pass in a blink.
    pub fn fast() -> TestEmulator {
        TestEmulator::start(EmulatorConfig {
            clock_speed: 50.0,
            ..EmulatorConfig::default()
        })
    }

    pub fn url(&self) -> String {
        self.handle.as_ref().unwrap().url()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.handle.as_ref().unwrap().requests()
    }

    pub fn fault(&self, spec: &str) {
        let rule: FaultRule = spec
            .parse()
            .unwrap_or_else(|e| panic!("fault {spec:?}: {e:?}"));
        self.handle.as_ref().unwrap().add_fault(rule);
    }

    /// A GET against the emulator's API with the test token, as JSON.
    pub fn get_json(&self, path_and_query: &str) -> serde_json::Value {
        let url = format!("{}{path_and_query}", self.url());
        self.runtime.block_on(async {
            brickci::http::client(&Default::default())
                .unwrap()
                .get(url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    /// A POST of JSON against the emulator's API with the test token.
    pub fn post_json(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}{path}", self.url());
        self.runtime.block_on(async {
            let resp = brickci::http::client(&Default::default())
                .unwrap()
                .post(url)
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
            resp.json().await.unwrap()
        })
    }

    /// Any call with a JSON body against the emulator's API with the test token: status and
    /// answer.
    pub fn send_json(
        &self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.url());
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.runtime.block_on(async {
            let resp = brickci::http::client(&Default::default())
                .unwrap()
                .request(method, url)
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or_default())
        })
    }

    /// Puts a notebook into the emulated workspace (folders created as needed).
    pub fn put_notebook(&self, path: &str, source: &str) {
        use base64::Engine;
        let parent = &path[..path.rfind('/').unwrap()];
        self.post_json(
            "/api/2.0/workspace/mkdirs",
            serde_json::json!({ "path": parent }),
        );
        self.post_json(
            "/api/2.0/workspace/import",
            serde_json::json!({
                "path": path,
                "format": "SOURCE",
                "language": "PYTHON",
                "overwrite": true,
                "content": base64::engine::general_purpose::STANDARD.encode(source),
            }),
        );
    }

    /// Requests whose path ends with `suffix` (and method matches).
    pub fn calls(&self, method: &str, suffix: &str) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_brickci")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary with only the given variables (plus PATH/HOME), like a clean CI step.
pub fn brickci(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Output {
    Brickci::new(args)
        .envs(env.iter().copied())
        .dir(cwd)
        .output()
}

pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Fails when any secret value appears in what the binary printed, other than in the one
/// line that registers it for masking with the runner (the runner swallows that line).
pub fn assert_no_secrets(out: &Output, secrets: &[&str]) {
    let all = text(out);
    for line in all.lines() {
        if line.starts_with("::add-mask::") || line.starts_with("##vso[task.setsecret]") {
            continue;
        }
        for s in secrets {
            assert!(
                !line.contains(s),
                "secret {s:?} leaked into output line {line:?}:\n{all}"
            );
        }
    }
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// The standard flags for a quick notebook run against the emulator.
pub fn run_env(emu: &TestEmulator) -> Vec<(String, String)> {
    vec![
        ("DATABRICKS_HOST".into(), emu.url()),
        ("DATABRICKS_TOKEN".into(), TOKEN.into()),
        ("BRICKCI_POLL_MIN".into(), "0.05".into()),
        ("BRICKCI_POLL_MAX".into(), "0.2".into()),
    ]
}

pub fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

pub fn write_notebook(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("# Databricks notebook source\n{body}")).unwrap();
    p
}

/// The venv made by scripts/test; in CI its absence is a failure, not a skip.
pub fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var("BRICKCI_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join(".venv"));
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI: the test venv is missing at {} (scripts/test creates it)",
        venv.display()
    );
    eprintln!(
        "skipping: no venv at {} (run scripts/test to create it)",
        venv.display()
    );
    None
}

/// Polls `f` until it holds or `limit` passes; whether it held.
pub fn wait_until(limit: std::time::Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// A copy of examples/bundle in a fresh folder (without build output).
pub fn example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/bundle"), dir.path());
    dir
}

/// Copies a folder without build output (`dist`, `__pycache__`).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if name == "dist" || name == "__pycache__" {
            continue;
        }
        let target = to.join(&name);
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The binary without its debug info, for deploys of bundles with callbacks (what deploy
/// uploads stays under the emulator's request size limit) and for the launcher's tests.
pub fn callback_binary(dir: &Path) -> PathBuf {
    let out = dir.join("brickci");
    let ok = Command::new("strip")
        .arg("-o")
        .arg(&out)
        .arg(bin())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "strip (binutils) is needed to make the callback binary");
    out
}
