//! Genie spaces and job runs deployed to the emulator. A space: content from a file or
//! inline YAML, created in a folder made for it, updated in place (its folder too), made
//! again when trashed by hand, pruned, and quiet on a second deploy. A run: started by the
//! deploy and waited for; a redeploy with the same settings starts nothing, a changed
//! setting or a run that failed deletes the old run and starts another (no approval asked),
//! `on_bundle_deploy` starts one on every deploy, and a run still going is cancelled before
//! it is deleted.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text, write_notebook};

/// The bundle's head: each flow its own name, so flows can share an emulator.
fn head(name: &str) -> String {
    format!("bundle:\n  name: {name}\ntargets:\n  dev:\n    mode: development\n    default: true\n")
}

const WAREHOUSE: &str = "a1b2c3d4e5f60718";

fn bundle(name: &str, resources: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        format!("{}{resources}", head(name)),
    )
    .unwrap();
    dir
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let f = dir.join(file);
    let s = std::fs::read_to_string(&f).unwrap();
    assert!(s.contains(from), "{from} not in {file}");
    std::fs::write(f, s.replace(from, to)).unwrap();
}

fn run(emu: &TestEmulator, dir: &Path, args: &[&str]) -> std::process::Output {
    let env = run_env(emu);
    brickci(args, &as_refs(&env), dir)
}

fn deploy_ok(emu: &TestEmulator, dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["deploy"];
    args.extend_from_slice(extra);
    let out = run(emu, dir, &args);
    assert_eq!(code(&out), 0, "{}", text(&out));
    text(&out)
}

/// Writes since request `since`, as `METHOD path`, without the deployment's bookkeeping.
fn writes_since(emu: &TestEmulator, since: usize) -> Vec<String> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .filter(|r| !r.path.starts_with("/api/2.0/workspace") && !r.path.starts_with("/oidc/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Deploys once more and checks nothing but bookkeeping was written.
fn redeploy_is_quiet(emu: &TestEmulator, dir: &Path) {
    let before = emu.requests().len();
    let out = deploy_ok(emu, dir, &[]);
    assert!(
        out.contains("0 to create, 0 to update, 0 to delete"),
        "{out}"
    );
    let writes = writes_since(emu, before);
    assert!(writes.is_empty(), "a no-op redeploy wrote: {writes:?}");
}

/// Empties the bundle's resources and deploys with prune.
fn prune(emu: &TestEmulator, dir: &Path, name: &str, deleted: usize) {
    std::fs::write(
        dir.join("databricks.yml"),
        format!("{}resources: {{}}\n", head(name)),
    )
    .unwrap();
    let out = deploy_ok(emu, dir, &["--prune", "--auto-approve"]);
    assert!(out.contains(&format!("{deleted} to delete")), "{out}");
}

fn plan(emu: &TestEmulator, dir: &Path) -> String {
    let out = run(emu, dir, &["plan"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    text(&out)
}

// ---- Genie spaces ----

const SPACES: &str = r#"resources:
  genie_spaces:
    sales:
      title: Sales
      description: first
      warehouse_id: a1b2c3d4e5f60718
      file_path: ./sales.geniespace.json
      permissions:
        - level: CAN_READ
          group_name: analysts
    inline:
      title: Inline
      warehouse_id: a1b2c3d4e5f60718
      parent_path: /Shared/genie
      serialized_space:
        version: 1
        config:
          sample_questions: [how many]
"#;

const SALES: &str = r#"{"version": 2, "config": {"sample_questions": ["top customers"]}}"#;

fn spaces(emu: &TestEmulator) -> Vec<Value> {
    emu.get_json("/api/2.0/genie/spaces")["spaces"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The space titled so, with its content and etag.
fn space(emu: &TestEmulator, title: &str) -> Value {
    let id = spaces(emu)
        .into_iter()
        .find(|s| s["title"] == title)
        .unwrap_or_else(|| panic!("no space {title:?}: {:?}", spaces(emu)))["space_id"]
        .as_str()
        .unwrap()
        .to_string();
    emu.get_json(&format!(
        "/api/2.0/genie/spaces/{id}?include_serialized_space=true"
    ))
}

fn content(space: &Value) -> Value {
    serde_json::from_str(space["serialized_space"].as_str().unwrap()).unwrap()
}

#[test]
fn genie_spaces_deploy_from_file_and_inline_update_in_place_come_back_and_prune() {
    genie_flow(&TestEmulator::fast());
}

/// Deploy, redeploy, change (description, file, folder), redeploy, trash by hand, prune.
pub fn genie_flow(emu: &TestEmulator) {
    let dir = bundle("gj", SPACES);
    std::fs::write(dir.path().join("sales.geniespace.json"), SALES).unwrap();
    deploy_ok(emu, dir.path(), &[]);

    let sales = space(emu, "[dev ci_bot] Sales");
    assert_eq!(sales["description"], "first");
    assert_eq!(sales["warehouse_id"], WAREHOUSE);
    assert_eq!(
        content(&sales),
        serde_json::from_str::<Value>(SALES).unwrap()
    );
    assert_eq!(
        sales["parent_path"], "/Users/ci-bot@example.com/.bundle/gj/dev/resources",
        "in the bundle's resource folder"
    );
    let inline = space(emu, "[dev ci_bot] Inline");
    assert_eq!(inline["parent_path"], "/Shared/genie");
    let sent = emu
        .calls("POST", "/api/2.0/genie/spaces")
        .into_iter()
        .find(|r| r.body["title"] == "[dev ci_bot] Inline" && r.status == 200)
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(sent.body["serialized_space"].as_str().unwrap()).unwrap(),
        json!({"version": 1, "config": {"sample_questions": ["how many"]}}),
        "inline YAML is sent as its JSON text"
    );
    assert!(
        emu.calls("POST", "/api/2.0/workspace/mkdirs")
            .iter()
            .any(|r| r.body["path"] == "/Workspace/Shared/genie"),
        "the missing folder was made"
    );
    let sales_id = sales["space_id"].as_str().unwrap().to_string();
    let acl = emu.get_json(&format!("/api/2.0/permissions/genie/{sales_id}"));
    let entries = acl["access_control_list"].as_array().unwrap();
    assert!(
        entries.contains(&json!({"group_name": "analysts", "permission_level": "CAN_READ"})),
        "{acl}"
    );
    redeploy_is_quiet(emu, dir.path());

    edit(
        dir.path(),
        "databricks.yml",
        "description: first",
        "description: second",
    );
    edit(
        dir.path(),
        "databricks.yml",
        "/Shared/genie",
        "/Shared/genie2",
    );
    edit(
        dir.path(),
        "sales.geniespace.json",
        "top customers",
        "top products",
    );
    let p = plan(emu, dir.path());
    assert!(!p.contains("replaces"), "updated in place: {p}");
    let before = emu.requests().len();
    deploy_ok(emu, dir.path(), &[]);
    let writes = writes_since(emu, before);
    assert_eq!(
        writes
            .iter()
            .filter(|w| w.starts_with("PATCH /api/2.0/genie/spaces/"))
            .count(),
        2,
        "{writes:?}"
    );
    assert!(
        !writes
            .iter()
            .any(|w| w == "POST /api/2.0/genie/spaces" || w.starts_with("DELETE")),
        "in place: {writes:?}"
    );
    let sales2 = space(emu, "[dev ci_bot] Sales");
    assert_eq!(sales2["space_id"], sales_id.as_str());
    assert_eq!(sales2["description"], "second");
    assert_eq!(
        content(&sales2)["config"]["sample_questions"][0],
        "top products"
    );
    assert_ne!(
        sales2["etag"], sales["etag"],
        "the new content moved the etag"
    );
    let inline2 = space(emu, "[dev ci_bot] Inline");
    assert_eq!(inline2["space_id"], inline["space_id"]);
    assert_eq!(
        inline2["parent_path"], "/Shared/genie2",
        "moved, not replaced"
    );
    redeploy_is_quiet(emu, dir.path());

    // Trashed by hand: read as gone, so made again.
    let trashed = emu.requests().len();
    let status = delete_by_hand(emu, &format!("/api/2.0/genie/spaces/{sales_id}"));
    assert_eq!(status, 200);
    assert!(plan(emu, dir.path()).contains("no longer exists; created again"));
    deploy_ok(emu, dir.path(), &[]);
    let again = space(emu, "[dev ci_bot] Sales");
    assert_ne!(again["space_id"], sales_id.as_str());
    assert!(writes_since(emu, trashed).contains(&"POST /api/2.0/genie/spaces".to_string()));

    prune(emu, dir.path(), "gj", 2);
    assert!(spaces(emu).is_empty(), "{:?}", spaces(emu));
    let gone = emu.calls(
        "DELETE",
        &format!("/{}", again["space_id"].as_str().unwrap()),
    );
    assert_eq!(gone.last().map(|r| r.status), Some(200));
}

/// A DELETE with the test token (someone trashing a space by hand); its status.
fn delete_by_hand(emu: &TestEmulator, path: &str) -> u16 {
    let url = format!("{}{path}", emu.url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        brickci::http::client(&Default::default())
            .unwrap()
            .delete(url)
            .bearer_auth(crate::common::TOKEN)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

#[test]
fn genie_space_settings_the_cli_refuses_are_refused_before_any_request() {
    let emu = TestEmulator::fast();
    let cases = [
        (
            "      etag: \"3\"\n      serialized_space: \"{}\"\n",
            "has an etag set",
        ),
        (
            "      file_path: ./s.geniespace.json\n      serialized_space: {version: 1}\n",
            "set file_path or serialized_space, not both",
        ),
        (
            "      serialized_space: 7\n",
            "must be a string, a map or a list",
        ),
    ];
    for (extra, expected) in cases {
        let dir = bundle(
            "gj",
            &format!(
                "resources:\n  genie_spaces:\n    s:\n      title: s\n      warehouse_id: w\n{extra}"
            ),
        );
        std::fs::write(dir.path().join("s.geniespace.json"), "{}").unwrap();
        let out = run(&emu, dir.path(), &["validate"]);
        assert_eq!(code(&out), 2, "{}", text(&out));
        assert!(text(&out).contains(expected), "{expected}: {}", text(&out));
    }
    assert!(writes_since(&emu, 0).is_empty());
}

// ---- Job runs ----

const RUNS: &str = r#"resources:
  jobs:
    nightly:
      name: nightly
      parameters:
        - name: env
          default: none
      tasks:
        - task_key: main
          notebook_task:
            notebook_path: ./hello.py
  job_runs:
    once:
      job_id: ${resources.jobs.nightly.id}
      job_parameters:
        env: dev
"#;

fn run_nows(emu: &TestEmulator) -> Vec<Value> {
    emu.calls("POST", "/api/2.2/jobs/run-now")
        .into_iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body)
        .collect()
}

fn run_of(emu: &TestEmulator, id: &str) -> Value {
    emu.get_json(&format!("/api/2.2/jobs/runs/get?run_id={id}"))
}

fn last_run_id(emu: &TestEmulator) -> String {
    let runs = emu.get_json("/api/2.2/jobs/runs/list");
    runs["runs"][0]["run_id"].to_string()
}

#[test]
fn a_job_run_starts_once_waits_reruns_on_change_and_every_deploy_when_asked_and_prunes() {
    runs_flow(&TestEmulator::fast());
}

pub fn runs_flow(emu: &TestEmulator) {
    let dir = bundle("runs", RUNS);
    write_notebook(dir.path(), "hello.py", "print('hi')\n");
    let out = deploy_ok(emu, dir.path(), &[]);
    let starts = run_nows(emu);
    assert_eq!(starts.len(), 1, "{out}");
    let job_id = emu.get_json("/api/2.2/jobs/list")["jobs"][0]["job_id"].clone();
    assert_eq!(starts[0]["job_id"], job_id, "the job's id, as a number");
    assert_eq!(starts[0]["job_parameters"], json!({"env": "dev"}));
    assert!(
        starts[0]["idempotency_token"].is_string(),
        "{:?}",
        starts[0]
    );
    let first = last_run_id(emu);
    let r = run_of(emu, &first);
    assert_eq!(r["state"]["result_state"], "SUCCESS", "{r}");
    // Where to watch it is said as the deploy starts waiting (at the default log level).
    let url = r["run_page_url"].as_str().unwrap_or_default();
    assert!(!url.is_empty(), "{r}");
    assert!(
        out.contains(&format!(
            "job_runs.once ({first}): waiting for run {first}: {url}"
        )),
        "{out}"
    );
    let polls = emu.calls("GET", "/api/2.2/jobs/runs/get");
    assert!(
        polls.iter().any(|p| p.query.contains(&first)),
        "the deploy waited for the run"
    );
    redeploy_is_quiet(emu, dir.path());
    assert_eq!(run_nows(emu).len(), 1, "a redeploy starts no run");

    // A changed setting: the old run goes, another starts; no approval asked.
    edit(dir.path(), "databricks.yml", "env: dev", "env: prod");
    let p = plan(emu, dir.path());
    assert!(
        p.contains(&format!("replaces {first}")) && p.contains("job_parameters changes"),
        "{p}"
    );
    deploy_ok(emu, dir.path(), &[]);
    let deleted = emu.calls("POST", "/api/2.2/jobs/runs/delete");
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        deleted[0].body,
        json!({"run_id": first.parse::<i64>().unwrap()})
    );
    assert_eq!(deleted[0].status, 200);
    let starts = run_nows(emu);
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[1]["job_parameters"], json!({"env": "prod"}));
    assert_ne!(
        starts[0]["idempotency_token"],
        starts[1]["idempotency_token"]
    );
    let second = last_run_id(emu);
    assert_ne!(second, first);
    redeploy_is_quiet(emu, dir.path());

    // on_bundle_deploy: a run on every deploy, even with nothing changed.
    edit(
        dir.path(),
        "databricks.yml",
        "      job_parameters:",
        "      lifecycle:\n        triggers:\n          - on_bundle_deploy: true\n      job_parameters:",
    );
    deploy_ok(emu, dir.path(), &[]);
    assert_eq!(run_nows(emu).len(), 3);
    assert!(plan(emu, dir.path()).contains("on_bundle_deploy"));
    deploy_ok(emu, dir.path(), &[]);
    assert_eq!(run_nows(emu).len(), 4, "again, with nothing changed");
    // Without the trigger: the state follows, no run starts.
    edit(
        dir.path(),
        "databricks.yml",
        "      lifecycle:\n        triggers:\n          - on_bundle_deploy: true\n",
        "",
    );
    let before = emu.requests().len();
    deploy_ok(emu, dir.path(), &[]);
    assert!(
        writes_since(emu, before).is_empty(),
        "{:?}",
        writes_since(emu, before)
    );
    redeploy_is_quiet(emu, dir.path());

    let current = last_run_id(emu);
    prune(emu, dir.path(), "runs", 2);
    let deleted = emu.calls("POST", "/api/2.2/jobs/runs/delete");
    assert_eq!(
        deleted.last().unwrap().body,
        json!({"run_id": current.parse::<i64>().unwrap()})
    );
    assert!(
        emu.get_json("/api/2.2/jobs/runs/list")
            .get("runs")
            .is_none()
    );
}

#[test]
fn a_failed_run_fails_the_deploy_naming_the_task_and_the_next_deploy_runs_it_again() {
    let emu = TestEmulator::fast();
    let dir = bundle("runs", RUNS);
    write_notebook(
        dir.path(),
        "hello.py",
        "# brickci-emulator: fail-first 1 \"flaky source\"\nprint('hi')\n",
    );
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("did not succeed: FAILED"), "{all}");
    assert!(
        all.contains("task \"main\"") && all.contains("flaky source"),
        "{all}"
    );
    let failed = last_run_id(&emu);

    let p = plan(&emu, dir.path());
    assert!(
        p.contains(&format!("replaces {failed}")) && p.contains("ended FAILED"),
        "{p}"
    );
    deploy_ok(&emu, dir.path(), &[]);
    let deleted = emu.calls("POST", "/api/2.2/jobs/runs/delete");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].body["run_id"].to_string(), failed);
    let again = last_run_id(&emu);
    assert_eq!(run_of(&emu, &again)["state"]["result_state"], "SUCCESS");
    redeploy_is_quiet(&emu, dir.path());
}

#[test]
fn a_run_still_going_is_cancelled_before_it_is_deleted() {
    let emu = TestEmulator::fast();
    let dir = bundle("runs", RUNS);
    write_notebook(
        dir.path(),
        "hello.py",
        "# brickci-emulator: duration 1h\nprint('hi')\n",
    );
    // The wait stops at its first look: the deploy fails with the run going.
    emu.fault("GET /api/2.2/jobs/runs/get=403*1");
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    let going = last_run_id(&emu);
    let life = run_of(&emu, &going)["state"]["life_cycle_state"].clone();
    assert!(life == "PENDING" || life == "RUNNING", "{life}");

    prune(&emu, dir.path(), "runs", 2);
    let log: Vec<(String, u16)> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/jobs/runs/cancel") || r.path.ends_with("/jobs/runs/delete"))
        .map(|r| (r.path.rsplit('/').next().unwrap().to_string(), r.status))
        .collect();
    assert_eq!(
        log,
        vec![("cancel".to_string(), 200), ("delete".to_string(), 200)]
    );
}

#[test]
fn job_run_settings_the_cli_refuses_are_refused_before_any_request() {
    let emu = TestEmulator::fast();
    let cases = [
        ("      idempotency_token: abc\n", "idempotency_token"),
        (
            "      lifecycle:\n        triggers:\n          - on_bundle_deploy: false\n",
            "must be true",
        ),
        (
            "      lifecycle:\n        prevent_destroy: true\n        triggers:\n          - on_bundle_deploy: true\n",
            "prevent_destroy",
        ),
    ];
    for (extra, expected) in cases {
        let dir = bundle(
            "runs",
            &format!("resources:\n  job_runs:\n    r:\n      job_id: 12\n{extra}"),
        );
        let out = run(&emu, dir.path(), &["validate"]);
        assert_eq!(code(&out), 2, "{}", text(&out));
        assert!(text(&out).contains(expected), "{expected}: {}", text(&out));
    }
    assert!(writes_since(&emu, 0).is_empty());
}

#[test]
fn validate_json_shows_the_run_request_and_the_space_as_the_cli_does() {
    let emu = TestEmulator::fast();
    let dir = bundle(
        "shape",
        "resources:\n  jobs:\n    j: {name: j, tasks: [{task_key: t, notebook_task: {notebook_path: /Shared/x}}]}\n  job_runs:\n    r:\n      job_id: ${resources.jobs.j.id}\n      job_parameters: {env: dev}\n  genie_spaces:\n    g:\n      title: G\n      warehouse_id: w\n      serialized_space: {version: 1}\n",
    );
    let out = run(&emu, dir.path(), &["validate", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["resources"]["job_runs"]["r"],
        json!({"job_id": "${resources.jobs.j.id}", "job_parameters": {"env": "dev"}}),
        "the job's id is known only at deploy"
    );
    let g = &doc["resources"]["genie_spaces"]["g"];
    assert_eq!(
        g["serialized_space"], "{\"version\":1}",
        "inline YAML as JSON text"
    );
    assert_eq!(g["title"], "[dev ci_bot] G");
    assert_eq!(
        g["parent_path"],
        "/Workspace/Users/ci-bot@example.com/.bundle/shape/dev/resources"
    );
}
