//! What the Databricks CLI only warns about is a warning: printed with its place, sent as a
//! GitHub or Azure DevOps annotation, exit 0 and `validate -o json` unchanged; `--strict`
//! (or BRICKCI_STRICT) makes it an error. Static problems are all refused before any request.

use std::path::Path;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

const CLEAN: &str = "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: a\n          notebook_task: {notebook_path: /Shared/nb}\n";

/// A checkout holding `bundles/app/databricks.yml`: `CLEAN` plus `extra` at line 10.
fn checkout(extra: &str) -> tempfile::TempDir {
    checkout_of(&format!("{CLEAN}{extra}"))
}

fn checkout_of(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("bundles/app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("databricks.yml"), yaml).unwrap();
    dir
}

fn env_with(emu: &TestEmulator, more: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = run_env(emu);
    env.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn writes(emu: &TestEmulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn json_of(dir: &Path, env: &[(String, String)]) -> serde_json::Value {
    let out = brickci(
        &["validate", "-o", "json", "--bundle-dir", "bundles/app"],
        &as_refs(env),
        dir,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

#[test]
fn a_warning_is_printed_with_its_place_and_validate_passes() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = checkout("common_permissions: &p\n  permissions: []\n");
    let out = brickci(
        &["validate", "--bundle-dir", "bundles/app"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let lines: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.contains("common_permissions"))
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 1, "{}", text(&out));
    assert!(
        lines[0].starts_with(
            "bundles/app/databricks.yml:10:1: warning: common_permissions: unknown top-level key, ignored (known: bundle,"
        ),
        "{}",
        lines[0]
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Validation OK!"));
}

#[test]
fn validate_json_is_the_same_document_with_or_without_an_unknown_key() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let clean = checkout("");
    let noisy = checkout("extra_anchors:\n  a: &a 1\n");
    assert_eq!(json_of(clean.path(), &env), json_of(noisy.path(), &env));
    // The plan's document too: the warning goes to stderr only.
    let out = brickci(
        &["plan", "-o", "json", "--bundle-dir", "bundles/app"],
        &as_refs(&env),
        noisy.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("one JSON document");
    assert!(stderr(&out).contains("warning: extra_anchors: unknown top-level key"));
}

#[test]
fn warnings_are_annotations_on_github_and_azure_devops() {
    let emu = TestEmulator::fast();
    // `%`, `;`, `]` and `,` in a key are command syntax: escaped, never a second command.
    let dir = checkout("'odd;key],50%': 1\n");
    let ws = dir.path().to_string_lossy().into_owned();
    let github = env_with(
        &emu,
        &[("GITHUB_ACTIONS", "true"), ("GITHUB_WORKSPACE", &ws)],
    );
    let out = brickci(
        &["validate", "--bundle-dir", "bundles/app"],
        &as_refs(&github),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let line = stderr(&out)
        .lines()
        .find(|l| l.starts_with("::warning "))
        .unwrap_or_default()
        .to_string();
    assert!(
        line.starts_with(
            "::warning file=bundles/app/databricks.yml,line=10,col=1::odd;key],50%25: unknown top-level key, ignored"
        ),
        "{}",
        text(&out)
    );
    // From a step's working-directory inside the checkout, the file is still named from the
    // checkout's root.
    let out = brickci(
        &["validate", "--bundle-dir", "app"],
        &as_refs(&github),
        &dir.path().join("bundles"),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        stderr(&out).contains("::warning file=bundles/app/databricks.yml,line=10,col=1::"),
        "{}",
        text(&out)
    );
    let azure = env_with(&emu, &[("TF_BUILD", "True")]);
    let out = brickci(
        &["validate", "--bundle-dir", "bundles/app"],
        &as_refs(&azure),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let line = stderr(&out)
        .lines()
        .find(|l| l.starts_with("##vso[task.logissue type=warning"))
        .unwrap_or_default()
        .to_string();
    assert!(
        line.starts_with(
            "##vso[task.logissue type=warning;sourcepath=bundles/app/databricks.yml;linenumber=10;columnnumber=1]odd%3Bkey%5D,50%AZP25: unknown top-level key, ignored"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn strict_from_the_flag_or_the_environment_refuses_before_any_request() {
    let emu = TestEmulator::fast();
    let dir = checkout("targets:\n  dev:\n    default: true\n    workspaces: {root_path: /x}\n");
    // Errors name the place within the bundle, as every configuration error does.
    let expect =
        "databricks.yml:13:5: targets.dev.workspaces: unknown field, ignored (known: default,";
    for (args, extra) in [
        (
            vec!["deploy", "--strict", "--bundle-dir", "bundles/app"],
            vec![],
        ),
        (
            vec!["plan", "--bundle-dir", "bundles/app"],
            vec![("BRICKCI_STRICT", "true")],
        ),
    ] {
        let env = env_with(&emu, &extra);
        let out = brickci(&args, &as_refs(&env), dir.path());
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
        let all = text(&out);
        let first = all
            .lines()
            .skip_while(|l| !l.ends_with("the bundle configuration is invalid:"))
            .nth(1)
            .unwrap_or_default();
        assert!(first.starts_with(expect), "{args:?}: {all}");
    }
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[test]
fn every_static_problem_is_reported_at_once_before_any_request() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = checkout_of(
        "bundle:\n  name: b\nvariables:\n  needed: {description: no value anywhere}\n  pool:\n    lookup: {instance_pool: no-such-pool}\nresources:\n  jobs:\n    j: {tasks: [{task_key: t}, {task_key: t}]}\npython:\n  venv_path: .venv\n  resources: ['resources:load']\nunknown_thing: 1\n",
    );
    let out = brickci(
        &["deploy", "--bundle-dir", "bundles/app"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    let all = text(&out);
    for expected in [
        "bundles/app/databricks.yml:13:1: warning: unknown_thing: unknown top-level key, ignored",
        "\ndatabricks.yml:4:3: variables.needed: no value assigned to required variable needed",
        "\ndatabricks.yml:11:14: python.venv_path: .venv/bin/python3 does not exist",
        "\ndatabricks.yml:9:43: resources.jobs.j.tasks[1].task_key: \"t\" is used by another task too",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
    assert!(writes(&emu).is_empty());
}

#[test]
fn another_workspace_host_is_refused_before_any_lookup() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = checkout(
        "workspace:\n  host: https://other.cloud.databricks.com\nvariables:\n  pool:\n    lookup: {instance_pool: shared}\n",
    );
    let out = brickci(
        &["plan", "--bundle-dir", "bundles/app"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "target default deploys to https://other.cloud.databricks.com (workspace.host) but DATABRICKS_HOST is {}",
            emu.url().trim_end_matches('/')
        )),
        "{}",
        text(&out)
    );
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}
