//! Several targets in one step: `deploy -t a -t b` and `--targets GLOB` against two
//! emulators (two workspaces), each target with its own host and token.

use std::path::Path;

use brickci::emulator::EmulatorConfig;
use serde_json::Value;

use crate::common::*;

const EU_TOKEN: &str = "dapi-eu-workspace-token-41";
const US_TOKEN: &str = "dapi-us-workspace-token-42";
const BAD_TOKEN: &str = "dapi-revoked-us-token-43";

/// An emulator that accepts `token` (and the tests' own, which brickci is never given).
fn workspace(token: &str) -> TestEmulator {
    TestEmulator::start(EmulatorConfig {
        clock_speed: 50.0,
        tokens: vec![TOKEN.into(), token.into()],
        ..EmulatorConfig::default()
    })
}

/// A bundle whose targets each name their workspace: `(target, host)`, in this order.
fn bundle(targets: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut y = String::from(
        "bundle:\n  name: fleet\nresources:\n  jobs:\n    nightly:\n      name: nightly-${bundle.target}\n      tasks:\n        - task_key: main\n          notebook_task:\n            notebook_path: ./nb.py\ntargets:\n",
    );
    for (name, host) in targets {
        y.push_str(&format!("  {name}:\n    workspace:\n      host: {host}\n"));
    }
    std::fs::write(dir.path().join("databricks.yml"), y).unwrap();
    write_notebook(dir.path(), "nb.py", "print('hi')\n");
    dir
}

/// `BRICKCI_<TARGET>_DATABRICKS_HOST` for every target of the bundle in `dir`, as a CI
/// configuration would pin them (brickci never takes a host from the bundle alone).
fn pinned_hosts(dir: &Path) -> Vec<(String, String)> {
    let y = std::fs::read_to_string(dir.join("databricks.yml")).unwrap();
    let mut target = None;
    let mut out = Vec::new();
    for line in y.lines() {
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            target = Some(name.to_string());
        } else if let (Some(t), Some(host)) = (&target, line.trim().strip_prefix("host: ")) {
            let var = t
                .to_uppercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
            out.push((format!("BRICKCI_{var}_DATABRICKS_HOST"), host.to_string()));
        }
    }
    out
}

fn step(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Brickci::new(args)
        .envs(pinned_hosts(dir))
        .envs(env.iter().copied())
        .dir(dir)
        .output()
}

fn job_names(emu: &TestEmulator) -> Vec<String> {
    let list = emu.get_json("/api/2.2/jobs/list");
    let mut names: Vec<String> = list["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| j["settings"]["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Requests the emulator refused for their credentials (an unknown token is a 403).
fn refused(emu: &TestEmulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| matches!(r.status, 401 | 403))
        .count()
}

fn json_report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", text(out)))
}

#[test]
fn a_fan_out_deploys_each_target_to_its_own_workspace_with_its_own_token() {
    let (eu, us) = (workspace(EU_TOKEN), workspace(US_TOKEN));
    let dir = bundle(&[("prod-eu", &eu.url()), ("prod-us", &us.url())]);
    let scratch = tempfile::tempdir().unwrap();
    let outputs = scratch.path().join("outputs.json");
    let out = step(
        dir.path(),
        &["deploy", "-t", "prod-eu", "-t", "prod-us", "-o", "json"],
        &[
            ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
            ("BRICKCI_PROD_US_DATABRICKS_TOKEN", US_TOKEN),
            ("BRICKCI_OUTPUT_FILE", outputs.to_str().unwrap()),
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[EU_TOKEN, US_TOKEN]);
    // Each workspace holds its own target's objects only, reached with its own token
    // (each emulator refuses the other's token).
    assert_eq!(job_names(&eu), ["nightly-prod-eu"]);
    assert_eq!(job_names(&us), ["nightly-prod-us"]);
    assert_eq!((refused(&eu), refused(&us)), (0, 0));
    let report = json_report(&out);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{report:#}");
    for (t, name) in targets.iter().zip(["prod-eu", "prod-us"]) {
        assert_eq!(t["target"], name);
        assert_eq!(t["ok"], true, "{report:#}");
        assert_eq!(t["error"], Value::Null);
        assert_eq!(t["plan"]["target"], name);
        assert!(t["plan"]["summary"]["create"].as_u64().unwrap() >= 1);
    }
    // Each target's step outputs, under its name in one output (one name would be
    // overwritten by the other target's value).
    let file: Value = serde_json::from_slice(&std::fs::read(&outputs).unwrap()).unwrap();
    let results: Value =
        serde_json::from_str(file["target-results"].as_str().expect("target-results")).unwrap();
    for (name, emu) in [("prod-eu", &eu), ("prod-us", &us)] {
        let job = emu.get_json("/api/2.2/jobs/list")["jobs"][0]["job_id"].to_string();
        assert_eq!(results[name]["status"], "succeeded", "{results:#}");
        assert_eq!(results[name]["exit_code"], 0, "{results:#}");
        let ids: Value = serde_json::from_str(results[name]["job-ids"].as_str().unwrap()).unwrap();
        assert_eq!(ids["nightly"].as_str(), Some(job.as_str()), "{results:#}");
        assert_eq!(results[name]["target"], name, "{results:#}");
    }
    assert_eq!(
        file["job-ids"], "",
        "no one target's value under the plain name"
    );
    // Each target's log is one block, apart from the other's.
    let log = String::from_utf8_lossy(&out.stderr);
    let eu_at = log.find("── target prod-eu").expect("prod-eu's block");
    let us_at = log.find("── target prod-us").expect("prod-us's block");
    let (first, second) = if eu_at < us_at {
        ("prod-eu", us_at)
    } else {
        ("prod-us", eu_at)
    };
    let block = &log[eu_at.min(us_at)..second];
    let other = if first == "prod-eu" {
        "prod-us"
    } else {
        "prod-eu"
    };
    assert!(
        block.contains(&format!("deployed fleet target {first}")) && !block.contains(other),
        "{log}"
    );

    // Again, nothing to do: both say so, as markdown with a section per target.
    let again = step(
        dir.path(),
        &["deploy", "--targets", "prod-*", "-o", "markdown"],
        &[
            ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
            ("BRICKCI_PROD_US_DATABRICKS_TOKEN", US_TOKEN),
        ],
    );
    assert_eq!(code(&again), 0, "{}", text(&again));
    let md = String::from_utf8_lossy(&again.stdout);
    assert!(md.starts_with("### brickci deploy: 2 target(s)"), "{md}");
    for t in ["prod-eu", "prod-us"] {
        assert!(md.contains(&format!("| `{t}` | ✅ succeeded |")), "{md}");
        assert!(md.contains(&format!("#### `{t}`")), "{md}");
    }
    assert!(md.contains("0 to create, 0 to update, 0 to delete"), "{md}");
}

#[test]
fn a_failing_target_does_not_stop_the_other() {
    let (eu, us) = (workspace(EU_TOKEN), workspace(US_TOKEN));
    let dir = bundle(&[("prod-eu", &eu.url()), ("prod-us", &us.url())]);
    let out = step(
        dir.path(),
        &["deploy", "-t", "prod-us", "-t", "prod-eu"],
        &[
            ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
            ("BRICKCI_PROD_US_DATABRICKS_TOKEN", BAD_TOKEN),
            // A global token is never used by a target with its own.
            ("DATABRICKS_TOKEN", US_TOKEN),
        ],
    );
    // The credentials class: exit 3.
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert_no_secrets(&out, &[EU_TOKEN, US_TOKEN, BAD_TOKEN]);
    assert_eq!(job_names(&eu), ["nightly-prod-eu"]);
    assert!(job_names(&us).is_empty());
    assert!(refused(&us) > 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("deploy: 2 target(s), 1 succeeded, 1 failed, 0 skipped"),
        "{stdout}"
    );
    assert!(stdout.contains("\n  prod-eu  ok "), "{stdout}");
    assert!(
        stdout.contains("\n  prod-us  FAILED    exit 3: "),
        "{stdout}"
    );
    assert!(
        text(&out).contains("BRICKCI_PROD_US_DATABRICKS_TOKEN"),
        "the help names the target's variable: {}",
        text(&out)
    );
}

#[test]
fn fail_fast_with_one_at_a_time_skips_the_rest() {
    let (a, b, c) = (
        workspace(EU_TOKEN),
        workspace(US_TOKEN),
        workspace(US_TOKEN),
    );
    let dir = bundle(&[
        ("prod-a", &a.url()),
        ("prod-b", &b.url()),
        ("prod-c", &c.url()),
    ]);
    let out = step(
        dir.path(),
        &[
            "deploy",
            "--targets",
            "prod-*",
            "--fail-fast",
            "--parallel",
            "1",
            "-o",
            "json",
        ],
        &[
            ("BRICKCI_PROD_A_DATABRICKS_TOKEN", BAD_TOKEN),
            ("DATABRICKS_TOKEN", US_TOKEN),
        ],
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    let report = json_report(&out);
    let status: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["failed", "skipped", "skipped"], "{report:#}");
    assert_eq!(report["targets"][1]["ok"], false);
    // Skipped targets' workspaces never heard from brickci.
    assert!(b.requests().is_empty() && c.requests().is_empty());

    // Without --fail-fast the others go on (with the global token).
    let out = step(
        dir.path(),
        &[
            "deploy",
            "--targets",
            "prod-*",
            "--parallel",
            "1",
            "-o",
            "json",
        ],
        &[
            ("BRICKCI_PROD_A_DATABRICKS_TOKEN", BAD_TOKEN),
            ("DATABRICKS_TOKEN", US_TOKEN),
        ],
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    let report = json_report(&out);
    let ok: Vec<bool> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(ok, [false, true, true], "{report:#}");
    assert_eq!(job_names(&c), ["nightly-prod-c"]);
}

#[test]
fn a_glob_picks_targets_by_name_and_one_matching_nothing_is_bad_input() {
    let (eu, us) = (workspace(EU_TOKEN), workspace(US_TOKEN));
    let dir = bundle(&[
        ("dev", &eu.url()),
        ("prod-eu", &eu.url()),
        ("prod-us", &us.url()),
    ]);
    let env = [
        ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
        ("BRICKCI_PROD_US_DATABRICKS_TOKEN", US_TOKEN),
    ];
    let out = step(
        dir.path(),
        &["plan", "--targets", "prod-*", "-o", "json"],
        &env,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = json_report(&out);
    let names: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prod-eu", "prod-us"]);
    // A plan writes nothing.
    assert!(job_names(&eu).is_empty() && job_names(&us).is_empty());

    let before = eu.requests().len() + us.requests().len();
    let out = step(dir.path(), &["deploy", "--targets", "qa-*"], &env);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"qa-*\"") && err.contains("targets: dev, prod-eu, prod-us"),
        "{err}"
    );
    assert_eq!(
        eu.requests().len() + us.requests().len(),
        before,
        "no request"
    );

    let out = step(dir.path(), &["destroy", "-t", "dev", "-t", "prod-eu"], &env);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("destroy takes one target"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_single_target_keeps_todays_output() {
    let eu = workspace(EU_TOKEN);
    let dir = bundle(&[
        ("prod-eu", &eu.url()),
        ("prod-us", "https://unused.example.com"),
    ]);
    let global = [
        ("DATABRICKS_HOST", eu.url()),
        ("DATABRICKS_TOKEN", EU_TOKEN.to_string()),
    ];
    let global: Vec<(&str, &str)> = global.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = step(dir.path(), &["plan", "-t", "prod-eu"], &global);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("target(s)") && !stdout.contains("── target"),
        "{stdout}"
    );
    // The same as the one target the variable names, which never went through the fan-out.
    let by_variable = step(
        dir.path(),
        &["plan"],
        &[global.clone(), vec![("BRICKCI_TARGET", "prod-eu")]].concat(),
    );
    assert_eq!(code(&by_variable), 0, "{}", text(&by_variable));
    assert_eq!(stdout, String::from_utf8_lossy(&by_variable.stdout));
    let json = step(
        dir.path(),
        &["plan", "-t", "prod-eu", "-o", "json"],
        &global,
    );
    let plan = json_report(&json);
    assert_eq!(
        plan["target"], "prod-eu",
        "the plan itself, not a report: {plan:#}"
    );
}

#[test]
fn run_starts_the_same_job_in_every_target_and_reports_each() {
    let (eu, us) = (workspace(EU_TOKEN), workspace(US_TOKEN));
    let dir = bundle(&[("prod-eu", &eu.url()), ("prod-us", &us.url())]);
    let env = [
        ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
        ("BRICKCI_PROD_US_DATABRICKS_TOKEN", US_TOKEN),
        ("BRICKCI_POLL_MIN", "0.05"),
        ("BRICKCI_POLL_MAX", "0.2"),
    ];
    let out = step(dir.path(), &["deploy", "--targets", "prod-*"], &env);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // The US copy of the notebook fails.
    let jobs = us.get_json("/api/2.2/jobs/list?expand_tasks=true");
    let path = jobs["jobs"][0]["settings"]["tasks"][0]["notebook_task"]["notebook_path"]
        .as_str()
        .unwrap()
        .to_string();
    us.put_notebook(&path, "# brickci-emulator: fail \"us data missing\"\n");

    let out = step(
        dir.path(),
        &["run", "-t", "prod-eu", "-t", "prod-us", "nightly"],
        &env,
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_no_secrets(&out, &[EU_TOKEN, US_TOKEN]);
    assert_eq!(eu.calls("POST", "/jobs/run-now").len(), 1);
    assert_eq!(us.calls("POST", "/jobs/run-now").len(), 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("run: 2 target(s), 1 succeeded, 1 failed, 0 skipped"),
        "{stdout}"
    );
    let eu_line = stdout.lines().find(|l| l.starts_with("  prod-eu")).unwrap();
    assert!(
        eu_line.contains("ok") && eu_line.ends_with("SUCCESS"),
        "{stdout}"
    );
    let us_line = stdout.lines().find(|l| l.starts_with("  prod-us")).unwrap();
    assert!(
        us_line.contains("FAILED    exit 1: the run ended FAILED"),
        "{stdout}"
    );
}

#[test]
fn test_runs_the_same_tests_in_every_target_with_a_report_each() {
    let (eu, us) = (workspace(EU_TOKEN), workspace(US_TOKEN));
    let dir = bundle(&[("prod-eu", &eu.url()), ("prod-us", &us.url())]);
    write_notebook(
        dir.path(),
        "test_orders.py",
        "dbutils.notebook.exit('{\"tests\": [{\"name\": \"orders_load\", \"status\": \"passed\"}]}')\n",
    );
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "").unwrap();
    let out = step(
        dir.path(),
        &[
            "test",
            "test_orders.py",
            "--targets",
            "prod-*",
            "--junit",
            "out/junit.xml",
        ],
        &[
            ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
            ("BRICKCI_PROD_US_DATABRICKS_TOKEN", US_TOKEN),
            ("BRICKCI_POLL_MIN", "0.05"),
            ("BRICKCI_POLL_MAX", "0.2"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("GITHUB_WORKSPACE", dir.path().to_str().unwrap()),
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[EU_TOKEN, US_TOKEN]);
    assert_eq!(eu.calls("POST", "/jobs/runs/submit").len(), 1);
    assert_eq!(us.calls("POST", "/jobs/runs/submit").len(), 1);
    for t in ["prod-eu", "prod-us"] {
        let junit = std::fs::read_to_string(dir.path().join(format!("out/junit.{t}.xml")))
            .unwrap_or_else(|e| panic!("{t}'s JUnit: {e}\n{}", text(&out)));
        assert!(junit.contains("orders_load"), "{junit}");
    }
    assert!(!dir.path().join("out/junit.xml").exists());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("test: 2 target(s), 2 succeeded"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  prod-us  ok        1 passed, 0 failed, 0 skipped"),
        "{stdout}"
    );
    // One summary: the combined report, each target's test report in its section.
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        md.matches("### brickci test: 2 target(s)").count(),
        1,
        "{md}"
    );
    for t in ["prod-eu", "prod-us"] {
        assert!(md.contains(&format!("#### `{t}`")), "{md}");
        assert!(
            md.contains(&format!("brickci test \\({t}\\) passed")),
            "{md}"
        );
    }
}

#[test]
fn sigterm_cancels_every_targets_run_and_exits_143() {
    use std::time::Duration;
    let (eu, us) = (workspace(EU_TOKEN), workspace(US_TOKEN));
    let dir = bundle(&[("prod-eu", &eu.url()), ("prod-us", &us.url())]);
    std::fs::write(
        dir.path().join("nb.py"),
        "# Databricks notebook source\n# brickci-emulator: duration 1h\n",
    )
    .unwrap();
    let env = [
        ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
        ("BRICKCI_PROD_US_DATABRICKS_TOKEN", US_TOKEN),
        ("BRICKCI_POLL_MIN", "0.05"),
        ("BRICKCI_POLL_MAX", "0.2"),
    ];
    let out = step(dir.path(), &["deploy", "--targets", "prod-*"], &env);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let mut child = Brickci::new(["run", "--targets", "prod-*", "nightly"])
        .envs(pinned_hosts(dir.path()))
        .envs(env)
        .dir(dir.path())
        .spawn();
    let started = wait_until(Duration::from_secs(30), || {
        !eu.calls("POST", "/jobs/run-now").is_empty()
            && !us.calls("POST", "/jobs/run-now").is_empty()
    });
    if !started {
        let _ = child.kill();
        panic!("the runs never started");
    }
    std::thread::sleep(Duration::from_millis(300));
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut status = None;
    wait_until(Duration::from_secs(30), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let Some(status) = status else {
        let _ = child.kill();
        panic!("still running 30 s after SIGTERM");
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(143), "{}", text(&out));
    assert_eq!(
        eu.calls("POST", "/jobs/runs/cancel").len(),
        1,
        "{}",
        text(&out)
    );
    assert_eq!(
        us.calls("POST", "/jobs/runs/cancel").len(),
        1,
        "{}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("run: 2 target(s), 0 succeeded, 2 failed"),
        "{stdout}"
    );
}

#[test]
fn a_workspace_fault_in_one_target_and_the_exit_code_of_the_worst_failure() {
    let (eu, us, asia) = (
        workspace(EU_TOKEN),
        workspace(US_TOKEN),
        workspace(US_TOKEN),
    );
    let dir = bundle(&[
        ("prod-eu", &eu.url()),
        ("prod-us", &us.url()),
        ("prod-asia", &asia.url()),
    ]);
    // The EU workspace keeps failing job creates: the API class (4).
    eu.fault("POST /api/2.2/jobs/create=500*50");
    let env = [
        ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", EU_TOKEN),
        ("BRICKCI_PROD_US_DATABRICKS_TOKEN", US_TOKEN),
        ("BRICKCI_PROD_ASIA_DATABRICKS_TOKEN", US_TOKEN),
    ];
    let out = step(
        dir.path(),
        &[
            "deploy",
            "--targets",
            "prod-*",
            "--retry-timeout",
            "1",
            "-o",
            "json",
        ],
        &env,
    );
    assert_eq!(code(&out), 4, "{}", text(&out));
    let report = json_report(&out);
    let codes: Vec<i64> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["exit_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [4, 0, 0], "{report:#}");
    assert!(
        report["targets"][0]["error"]
            .as_str()
            .unwrap()
            .contains("the next deploy resumes"),
        "{report:#}"
    );
    assert_eq!(job_names(&us), ["nightly-prod-us"]);
    assert_eq!(job_names(&asia), ["nightly-prod-asia"]);

    // With the US token revoked too, credentials (3) outrank the API (4).
    let out = step(
        dir.path(),
        &[
            "deploy",
            "--targets",
            "prod-*",
            "--retry-timeout",
            "1",
            "-o",
            "json",
        ],
        &[
            env[0],
            ("BRICKCI_PROD_US_DATABRICKS_TOKEN", BAD_TOKEN),
            env[2],
        ],
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert_no_secrets(&out, &[EU_TOKEN, US_TOKEN, BAD_TOKEN]);
}

/// The bundle is part of the pull request: a target it points at another server never gets
/// credentials there, whether the CI names no host for it or a different one.
#[test]
fn a_host_only_the_bundle_names_never_receives_credentials() {
    let (eu, elsewhere) = (workspace(EU_TOKEN), workspace(US_TOKEN));
    let dir = bundle(&[("prod-eu", &eu.url()), ("prod-evil", &elsewhere.url())]);
    let run = |env: &[(&str, &str)]| {
        Brickci::new(["plan", "--targets", "prod-*"])
            .envs(env.iter().copied())
            .env("BRICKCI_PROD_EU_DATABRICKS_HOST", eu.url())
            .dir(dir.path())
            .output()
    };
    // No host for prod-evil in the environment: refused, naming the variable to set.
    let out = run(&[("DATABRICKS_TOKEN", EU_TOKEN)]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("BRICKCI_PROD_EVIL_DATABRICKS_HOST"),
        "{}",
        text(&out)
    );
    // A global host: prod-evil talks to it, and its bundle's other host is refused.
    let out = run(&[
        ("DATABRICKS_TOKEN", EU_TOKEN),
        ("DATABRICKS_HOST", &eu.url()),
    ]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("workspace.host"), "{}", text(&out));
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );
}
