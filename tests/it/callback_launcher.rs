//! The callback's Python launcher (src/trigger/callback/launcher.py) under `python3`, with a
//! stand-in for `dbutils` (tests/python/dbutils_standin). The binary it starts is a
//! probe script that records its arguments and environment, or the real brickci.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const TOKEN: &str = "ghp_launchersecret0123456789";

fn launcher() -> PathBuf {
    repo().join("src/trigger/callback/launcher.py")
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Case {
    dir: tempfile::TempDir,
    probe: PathBuf,
}

/// A probe "binary": writes its argv and environment to probe.json, sets an output the
/// way brickci does, and exits with $PROBE_EXIT.
fn case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    let record = dir.path().join("probe.json");
    std::fs::write(
        &probe,
        format!(
            "#!/usr/bin/env python3\nimport json, os, sys\njson.dump({{'argv': sys.argv[1:], 'env': dict(os.environ), 'exe': sys.argv[0]}}, open({:?}, 'w'))\njson.dump({{'triggered-run-id': '5'}}, open(os.environ['BRICKCI_OUTPUT_FILE'], 'w'))\nsys.exit(int(os.environ.get('PROBE_EXIT', '0')))\n",
            record.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("secrets.json"),
        format!("{{\"cicd\": {{\"gh\": \"{TOKEN}\"}}}}"),
    )
    .unwrap();
    Case { dir, probe }
}

impl Case {
    fn run(&self, launcher_args: &[String], extra_env: &[(&str, &str)]) -> Output {
        self.run_with("", launcher_args, extra_env)
    }

    /// `prelude`: Python run before the launcher (to pose as another machine).
    fn run_with(&self, prelude: &str, args: &[String], extra_env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("python3");
        cmd.arg("-c")
            .arg(format!(
                "import runpy, sys\n{prelude}\nsys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')"
            ))
            .arg(launcher())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PYTHONPATH", repo().join("tests/python/dbutils_standin"))
            .env("STANDIN_SECRETS", self.dir.path().join("secrets.json"))
            .env("STANDIN_TASK_VALUES", self.dir.path().join("values.jsonl"))
            .env("TMPDIR", self.dir.path());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.output().expect("python3 runs")
    }

    fn args(&self, sha: &str, secret: &str, rest: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--binary".into(),
            self.probe.display().to_string(),
            "--sha256".into(),
            sha.into(),
            "--secret".into(),
            format!("GITHUB_TOKEN=cicd/{secret}"),
            "--env".into(),
            "DATABRICKS_JOB_RUN_ID=77".into(),
            "--".into(),
        ];
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    }

    fn probe_record(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("probe.json")).ok()?;
        serde_json::from_str(&text).ok()
    }
}

#[test]
fn the_token_reaches_the_binary_only_through_its_environment() {
    let c = case();
    let sha = sha256(&c.probe);
    let out = c.run(
        &c.args(&sha, "gh", &["callback", "github", "--repo=o/r"]),
        &[],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rec = c.probe_record().expect("the probe ran");
    assert_eq!(
        rec["argv"],
        serde_json::json!(["callback", "github", "--repo=o/r"])
    );
    assert_eq!(rec["env"]["GITHUB_TOKEN"], TOKEN);
    assert_eq!(rec["env"]["DATABRICKS_JOB_RUN_ID"], "77");
    // It ran a private copy, not the file in the workspace; the copy is gone afterwards.
    let exe = PathBuf::from(rec["exe"].as_str().unwrap());
    assert_ne!(exe, c.probe);
    assert!(!exe.exists(), "the private copy is removed");
    assert!(!rec["argv"].to_string().contains(TOKEN));
    assert_no_secrets(&out, &[TOKEN]);
    // The binary's outputs become task values.
    let values = std::fs::read_to_string(c.dir.path().join("values.jsonl")).unwrap();
    assert!(
        values.contains("{\"key\": \"triggered_run_id\", \"value\": \"5\"}"),
        "{values}"
    );
}

#[test]
fn the_binary_exit_code_is_the_task_exit_code() {
    let c = case();
    let sha = sha256(&c.probe);
    let out = c.run(&c.args(&sha, "gh", &["callback"]), &[("PROBE_EXIT", "3")]);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("brickci callback exited with 3"));
}

#[test]
fn a_binary_that_is_not_the_deployed_one_is_never_run() {
    let c = case();
    let out = c.run(&c.args(&"0".repeat(64), "gh", &["callback"]), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("is not the one deploy uploaded"),
        "{}",
        text(&out)
    );
    assert!(c.probe_record().is_none(), "the probe must not run");
}

#[test]
fn a_missing_secret_is_named_without_running_the_binary() {
    let c = case();
    let sha = sha256(&c.probe);
    let out = c.run(&c.args(&sha, "nope", &["callback"]), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("'nope'")
            && t.contains("'cicd'")
            && t.contains("GITHUB_TOKEN")
            && t.contains("READ"),
        "{t}"
    );
    assert!(c.probe_record().is_none());
}

#[test]
fn on_arm_compute_the_launcher_says_so_plainly() {
    let c = case();
    let sha = sha256(&c.probe);
    let out = c.run_with(
        "import platform\nplatform.machine = lambda: 'aarch64'",
        &c.args(&sha, "gh", &["callback"]),
        &[],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("built for Linux x86_64") && t.contains("aarch64") && t.contains("compute:"),
        "{t}"
    );
    assert!(c.probe_record().is_none());
}

#[test]
fn workspace_volume_and_dbfs_paths_map_to_the_driver_s_mounts() {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import runpy, sys\nm = runpy.run_path(sys.argv[1])\nfor p in sys.argv[2:]:\n    print(m['local_path'](p))",
        )
        .arg(launcher())
        .args([
            "/Users/a@b.c/.bundle/x/artifacts/.brickci/brickci",
            "/Workspace/Shared/b",
            "/Volumes/main/ci/v/brickci",
            "dbfs:/FileStore/brickci",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/Workspace/Users/a@b.c/.bundle/x/artifacts/.brickci/brickci\n/Workspace/Shared/b\n/Volumes/main/ci/v/brickci\n/dbfs/FileStore/brickci\n",
        "{}",
        text(&out)
    );
}

#[test]
fn the_real_binary_refuses_a_reference_databricks_did_not_substitute() {
    let c = case();
    let bins = tempfile::tempdir().unwrap();
    let real = callback_binary(bins.path());
    let sha = sha256(&real);
    let args: Vec<String> = [
        "--binary",
        real.to_str().unwrap(),
        "--sha256",
        &sha,
        "--secret",
        "GITHUB_TOKEN=cicd/gh",
        "--env",
        "DATABRICKS_JOB_RUN_ID=77",
        "--env",
        "DATABRICKS_RUNTIME_VERSION=15.4",
        "--",
        "callback",
        "github",
        "--repo=o/r",
        "--workflow=cd.yml",
        "--ref=main",
        "--input=model_version={{tasks.train.values.model_version}}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = c.run(&args, &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("task train set no value \"model_version\""),
        "{}",
        text(&out)
    );
    assert_no_secrets(&out, &[TOKEN]);
}
