//! Issue 15's later kinds deployed to the emulator, one block per kind: a bundle with it
//! deploys (with the development-mode presets), a change updates it in place, a second
//! deploy writes nothing, and prune deletes it.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

pub const HEAD: &str = r#"bundle:
  name: more
targets:
  dev:
    mode: development
    default: true
"#;

pub fn bundle(resources: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        format!("{HEAD}{resources}"),
    )
    .unwrap();
    dir
}

pub fn edit(dir: &Path, from: &str, to: &str) {
    let f = dir.join("databricks.yml");
    let s = std::fs::read_to_string(&f).unwrap();
    assert!(s.contains(from), "{from} not in the bundle");
    std::fs::write(f, s.replace(from, to)).unwrap();
}

pub fn deploy(emu: &TestEmulator, dir: &Path, extra: &[&str]) -> std::process::Output {
    let env = run_env(emu);
    let mut args = vec!["deploy"];
    args.extend_from_slice(extra);
    brickci(&args, &as_refs(&env), dir)
}

/// Writes since request `since`, as `METHOD path`, without the deployment's bookkeeping.
pub fn writes_since(emu: &TestEmulator, since: usize) -> Vec<String> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .filter(|r| !r.path.starts_with("/api/2.0/workspace") && !r.path.starts_with("/oidc/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Deploys once more and checks nothing but bookkeeping was written.
pub fn redeploy_is_quiet(emu: &TestEmulator, dir: &Path) {
    let before = emu.requests().len();
    let out = deploy(emu, dir, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("0 to create, 0 to update, 0 to delete"),
        "{}",
        text(&out)
    );
    let writes = writes_since(emu, before);
    assert!(writes.is_empty(), "a no-op redeploy wrote: {writes:?}");
}

/// Empties the bundle's resources and deploys with prune.
pub fn prune(emu: &TestEmulator, dir: &Path, deleted: usize) {
    std::fs::write(
        dir.join("databricks.yml"),
        format!("{HEAD}resources: {{}}\n"),
    )
    .unwrap();
    let out = deploy(emu, dir, &["--prune", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains(&format!("{deleted} to delete")),
        "{}",
        text(&out)
    );
}

const MODELS: &str = r#"resources:
  models:
    churn:
      name: churn
      description: first
      tags:
        - key: team
          value: ml
      permissions:
        - level: CAN_READ
          group_name: analysts
  jobs:
    score:
      name: score
      tasks:
        - task_key: t
          notebook_task:
            notebook_path: /Shared/score
            base_parameters:
              model_id: ${resources.models.churn.model_id}
"#;

fn model(emu: &TestEmulator, name: &str) -> Value {
    let q = url_escape(name);
    emu.get_json(&format!(
        "/api/2.0/mlflow/databricks/registered-models/get?name={q}"
    ))["registered_model_databricks"]
        .clone()
}

fn url_escape(s: &str) -> String {
    s.replace('[', "%5B")
        .replace(']', "%5D")
        .replace(' ', "%20")
}

#[test]
fn legacy_models_deploy_update_rename_redeploy_quietly_and_prune() {
    models_flow(&TestEmulator::fast());
}

/// Deploy, redeploy, change (rename, description, tag), redeploy, prune.
pub fn models_flow(emu: &TestEmulator) {
    let dir = bundle(MODELS);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let m = model(emu, "[dev ci_bot] churn");
    assert_eq!(m["description"], "first");
    let tags = m["tags"].as_array().unwrap();
    assert!(tags.contains(&json!({"key": "team", "value": "ml"})), "{m}");
    assert!(tags.iter().any(|t| t["key"] == "dev"), "preset tag: {m}");
    let id = m["id"].as_str().unwrap().to_string();
    let acl = emu.get_json(&format!("/api/2.0/permissions/registered-models/{id}"));
    let groups: Vec<&Value> = acl["access_control_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["group_name"])
        .collect();
    assert!(groups.contains(&&json!("analysts")), "{acl}");
    let job = &emu.get_json("/api/2.2/jobs/list")["jobs"][0];
    let job = emu.get_json(&format!("/api/2.2/jobs/get?job_id={}", job["job_id"]));
    assert_eq!(
        job["settings"]["tasks"][0]["notebook_task"]["base_parameters"]["model_id"],
        id.as_str(),
        "the computed model_id resolved"
    );
    redeploy_is_quiet(emu, dir.path());

    edit(dir.path(), "description: first", "description: second");
    edit(dir.path(), "value: ml", "value: ds");
    edit(dir.path(), "name: churn", "name: churn2");
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let writes = writes_since(emu, before);
    for w in [
        "POST /api/2.0/mlflow/registered-models/rename",
        "PATCH /api/2.0/mlflow/registered-models/update",
        "POST /api/2.0/mlflow/registered-models/set-tag",
    ] {
        assert!(writes.iter().any(|x| x == w), "no {w} in {writes:?}");
    }
    assert!(
        !writes.iter().any(|w| w.ends_with("/create")),
        "in place: {writes:?}"
    );
    let m = model(emu, "[dev ci_bot] churn2");
    assert_eq!(m["id"], id.as_str(), "renamed in place");
    assert_eq!(m["description"], "second");
    assert!(
        m["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "team", "value": "ds"}))
    );
    redeploy_is_quiet(emu, dir.path());

    prune(emu, dir.path(), 2);
    let gone = emu.calls("DELETE", "/api/2.0/mlflow/registered-models/delete");
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].status, 200);
    assert!(
        emu.get_json("/api/2.0/mlflow/registered-models/list")
            .get("registered_models")
            .is_none()
    );
}

const LOCATIONS: &str = r#"resources:
  external_locations:
    raw:
      name: raw_landing
      url: s3://acme-raw/landing
      credential_name: acme_cred
      comment: landing zone
      grants:
        - principal: data-eng
          privileges: [READ_FILES]
"#;

const LOCATION: &str = "/api/2.1/unity-catalog/external-locations";

#[test]
fn external_locations_deploy_with_grants_update_rename_replace_and_prune() {
    locations_flow(&TestEmulator::fast());
}

/// Deploy, redeploy, change (url, comment, grants, name), a new credential (replaced), prune.
pub fn locations_flow(emu: &TestEmulator) {
    let dir = bundle(LOCATIONS);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let l = emu.get_json(&format!("{LOCATION}/raw_landing"));
    assert_eq!(
        (l["url"].as_str(), l["comment"].as_str()),
        (Some("s3://acme-raw/landing"), Some("landing zone")),
        "not prefixed in development mode: {l}"
    );
    let g = emu.get_json("/api/2.1/unity-catalog/permissions/external_location/raw_landing");
    assert_eq!(g["privilege_assignments"][0]["principal"], "data-eng");
    redeploy_is_quiet(emu, dir.path());

    edit(dir.path(), "comment: landing zone", "comment: moved");
    edit(
        dir.path(),
        "s3://acme-raw/landing",
        "s3://acme-raw/landing2",
    );
    edit(dir.path(), "[READ_FILES]", "[READ_FILES, WRITE_FILES]");
    edit(dir.path(), "name: raw_landing", "name: raw_zone");
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let writes = writes_since(emu, before);
    assert_eq!(
        writes,
        [
            format!("PATCH {LOCATION}/raw_landing"),
            "PATCH /api/2.1/unity-catalog/permissions/external_location/raw_zone".to_string(),
        ],
        "in place"
    );
    let l = emu.get_json(&format!("{LOCATION}/raw_zone"));
    assert_eq!(
        (l["url"].as_str(), l["comment"].as_str()),
        (Some("s3://acme-raw/landing2"), Some("moved"))
    );
    let g = emu.get_json("/api/2.1/unity-catalog/permissions/external_location/raw_zone");
    assert_eq!(
        g["privilege_assignments"][0]["privileges"],
        json!(["READ_FILES", "WRITE_FILES"])
    );
    redeploy_is_quiet(emu, dir.path());

    edit(
        dir.path(),
        "credential_name: acme_cred",
        "credential_name: new_cred",
    );
    let env = run_env(emu);
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(
        text(&plan).contains("credential_name changes from \"acme_cred\" to \"new_cred\""),
        "{}",
        text(&plan)
    );
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.calls("DELETE", &format!("{LOCATION}/raw_zone")).len(),
        1
    );
    let l = emu.get_json(&format!("{LOCATION}/raw_zone"));
    assert_eq!(l["credential_name"], "new_cred", "replaced: {l}");
    let g = emu.get_json("/api/2.1/unity-catalog/permissions/external_location/raw_zone");
    assert_eq!(
        g["privilege_assignments"][0]["principal"], "data-eng",
        "grants again on the new location"
    );

    prune(emu, dir.path(), 1);
    assert_eq!(
        emu.calls("DELETE", &format!("{LOCATION}/raw_zone")).len(),
        2
    );
    assert!(
        emu.get_json(LOCATION)["external_locations"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    );
}

const DATABASES: &str = r#"resources:
  database_instances:
    orders:
      name: orders-db
      capacity: CU_1
      permissions:
        - level: CAN_USE
          group_name: apps
  jobs:
    sync:
      name: sync
      tasks:
        - task_key: t
          notebook_task:
            notebook_path: /Shared/sync
            base_parameters:
              host: ${resources.database_instances.orders.read_write_dns}
"#;

const INSTANCE: &str = "/api/2.0/database/instances";

#[test]
fn database_instances_wait_until_available_update_in_place_replace_and_prune() {
    databases_flow(&TestEmulator::fast());
}

/// Deploy (waits for AVAILABLE), redeploy, a new capacity (updated and waited for), a new
/// Postgres version (replaced), prune.
pub fn databases_flow(emu: &TestEmulator) {
    let dir = bundle(DATABASES);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let db = emu.get_json(&format!("{INSTANCE}/orders-db"));
    assert_eq!(db["state"], "AVAILABLE", "the deploy waited: {db}");
    let acl = emu.get_json("/api/2.0/permissions/database-instances/orders-db");
    assert!(acl.to_string().contains("\"apps\""), "{acl}");
    let job = &emu.get_json("/api/2.2/jobs/list")["jobs"][0];
    let job = emu.get_json(&format!("/api/2.2/jobs/get?job_id={}", job["job_id"]));
    assert_eq!(
        job["settings"]["tasks"][0]["notebook_task"]["base_parameters"]["host"],
        db["read_write_dns"],
        "the computed read_write_dns resolved"
    );
    redeploy_is_quiet(emu, dir.path());

    edit(dir.path(), "capacity: CU_1", "capacity: CU_2");
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let writes = writes_since(emu, before);
    assert!(
        writes.contains(&format!("PATCH {INSTANCE}/orders-db")),
        "{writes:?}"
    );
    let db = emu.get_json(&format!("{INSTANCE}/orders-db"));
    assert_eq!(
        (db["state"].as_str(), db["capacity"].as_str()),
        (Some("AVAILABLE"), Some("CU_2")),
        "the deploy waited for the update"
    );
    let patch = emu.calls("PATCH", "/orders-db");
    assert_eq!(patch[0].query, "update_mask=*");
    redeploy_is_quiet(emu, dir.path());

    edit(
        dir.path(),
        "capacity: CU_2",
        "capacity: CU_2\n      pg_version: PG_VERSION_15",
    );
    let env = run_env(emu);
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(
        text(&plan).contains("replaces orders-db"),
        "{}",
        text(&plan)
    );
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let db = emu.get_json(&format!("{INSTANCE}/orders-db"));
    assert_eq!(db["pg_version"], "PG_VERSION_15", "replaced: {db}");

    prune(emu, dir.path(), 2);
    let gone = emu.calls("DELETE", &format!("{INSTANCE}/orders-db"));
    assert_eq!(gone.len(), 2, "one replacement, one prune");
    assert!(
        gone.iter()
            .all(|r| r.query == "purge=true" && r.status == 200)
    );
}

const DATABASE_CATALOGS: &str = r#"resources:
  database_instances:
    main:
      name: main-db
      capacity: CU_1
  database_catalogs:
    orders:
      name: orders_cat
      database_instance_name: ${resources.database_instances.main.name}
      database_name: orders
      create_database_if_not_exists: true
"#;

#[test]
fn database_catalogs_follow_their_instance_are_replaced_on_change_and_pruned() {
    database_catalogs_flow(&TestEmulator::fast());
}

/// Deploy (instance first), redeploy, a new database name (replaced), prune.
pub fn database_catalogs_flow(emu: &TestEmulator) {
    let dir = bundle(DATABASE_CATALOGS);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let cat = emu.get_json("/api/2.0/database/catalogs/orders_cat");
    assert_eq!(
        (
            cat["database_instance_name"].as_str(),
            cat["database_name"].as_str()
        ),
        (Some("main-db"), Some("orders")),
        "{cat}"
    );
    redeploy_is_quiet(emu, dir.path());

    edit(
        dir.path(),
        "database_name: orders",
        "database_name: orders_v2",
    );
    let env = run_env(emu);
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(
        text(&plan).contains("replaces orders_cat: database_name changes"),
        "{}",
        text(&plan)
    );
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.get_json("/api/2.0/database/catalogs/orders_cat")["database_name"],
        "orders_v2"
    );
    assert!(
        emu.calls("PATCH", "/api/2.0/database/catalogs/orders_cat")
            .is_empty(),
        "no update"
    );

    prune(emu, dir.path(), 2);
    let gone = emu.calls("DELETE", "/api/2.0/database/catalogs/orders_cat");
    assert_eq!(gone.len(), 2, "one replacement, one prune");
    let order: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE" && r.path.starts_with("/api/2.0/database/"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        order.last().map(String::as_str),
        Some("/api/2.0/database/instances/main-db"),
        "the instance goes after its catalog: {order:?}"
    );
}

const SYNCED: &str = r#"resources:
  database_instances:
    main:
      name: sync-db
      capacity: CU_1
  synced_database_tables:
    orders:
      name: main.sales.orders_synced
      database_instance_name: ${resources.database_instances.main.name}
      logical_database_name: databricks_postgres
      spec:
        source_table_full_name: main.sales.orders
        primary_key_columns: [id]
        scheduling_policy: SNAPSHOT
        new_pipeline_spec:
          storage_catalog: main
          storage_schema: sales
"#;

const SYNCED_AT: &str = "/api/2.0/database/synced_tables/main.sales.orders_synced";

#[test]
fn synced_database_tables_deploy_are_replaced_on_a_spec_change_and_pruned() {
    synced_flow(&TestEmulator::fast());
}

/// Deploy, redeploy, a new scheduling policy (replaced, not patched), prune.
pub fn synced_flow(emu: &TestEmulator) {
    let dir = bundle(SYNCED);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let t = emu.get_json(SYNCED_AT);
    assert_eq!(t["effective_database_instance_name"], "sync-db", "{t}");
    assert!(t["data_synchronization_status"]["pipeline_id"].is_string());
    redeploy_is_quiet(emu, dir.path());

    edit(
        dir.path(),
        "scheduling_policy: SNAPSHOT",
        "scheduling_policy: TRIGGERED",
    );
    let env = run_env(emu);
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(
        text(&plan).contains("replaces main.sales.orders_synced"),
        "{}",
        text(&plan)
    );
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.get_json(SYNCED_AT)["spec"]["scheduling_policy"],
        "TRIGGERED"
    );
    assert!(emu.calls("PATCH", SYNCED_AT).is_empty(), "no update");

    prune(emu, dir.path(), 2);
    let gone = emu.calls("DELETE", SYNCED_AT);
    assert_eq!(gone.len(), 2, "one replacement, one prune");
    assert!(gone.iter().all(|r| r.status == 200 && r.query.is_empty()));
}

const SECRETS: &str = r#"resources:
  schemas:
    app:
      catalog_name: main
      name: app
  secrets:
    key:
      name: api_key
      catalog_name: main
      schema_name: ${resources.schemas.app.name}
      value: ${var.api_key}
      comment: for the app
variables:
  api_key:
    default: first-value-7f3a
"#;

/// The deploy state of the `more` bundle's dev target, as stored in the workspace.
fn state_text(emu: &TestEmulator) -> String {
    let path = "/Workspace/Users/ci-bot@example.com/.bundle/more/dev/state/brickci-state.json";
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", path)
        .append_pair("direct_download", "true")
        .finish();
    emu.get_json(&format!("/api/2.0/workspace/export?{q}"))
        .to_string()
}

const SECRET_AT: &str = "/api/2.1/unity-catalog/secrets/main.dev_ci_bot_app.api_key";

#[test]
fn uc_secrets_deploy_update_in_place_without_showing_the_value_and_prune() {
    secrets_flow(&TestEmulator::fast());
}

/// Deploy, redeploy, a new value and comment (updated in place), prune; the value never
/// appears in brickci's output.
pub fn secrets_flow(emu: &TestEmulator) {
    let dir = bundle(SECRETS);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        !emu.requests()
            .iter()
            .any(|r| r.query.contains("include_value")),
        "brickci never reads a secret's value back"
    );
    let s = emu.get_json(&format!("{SECRET_AT}?include_value=true"));
    assert_eq!(s["value"], "first-value-7f3a", "{s}");
    assert!(!text(&out).contains("first-value-7f3a"));
    // The printed configuration does not show it either.
    let env = run_env(emu);
    let shown = brickci(&["validate", "-o", "json"], &as_refs(&env), dir.path());
    assert_eq!(code(&shown), 0, "{}", text(&shown));
    assert!(
        !text(&shown).contains("first-value-7f3a"),
        "{}",
        text(&shown)
    );
    assert!(
        text(&shown).contains("\"value\": \"***\""),
        "{}",
        text(&shown)
    );
    // The deploy state (in the workspace) keeps a digest of the value, not the value.
    let recorded = state_text(emu);
    assert!(
        recorded.contains("\"value\": \"sha256:") || recorded.contains("\"value\":\"sha256:"),
        "{recorded}"
    );
    assert!(!recorded.contains("first-value-7f3a"), "{recorded}");
    redeploy_is_quiet(emu, dir.path());

    edit(dir.path(), "first-value-7f3a", "second-value-9c1d");
    // A new value is still a change the plan names, without showing either value.
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert_eq!(code(&plan), 0, "{}", text(&plan));
    assert!(text(&plan).contains("changed: value"), "{}", text(&plan));
    assert!(
        !text(&plan).contains("second-value-9c1d") && !text(&plan).contains("first-value-7f3a")
    );
    edit(dir.path(), "comment: for the app", "comment: rotated");
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!text(&out).contains("second-value-9c1d"), "{}", text(&out));
    let writes = writes_since(emu, before);
    assert_eq!(writes, [format!("PATCH {SECRET_AT}")], "in place");
    let s = emu.get_json(&format!("{SECRET_AT}?include_value=true"));
    assert_eq!(
        (s["value"].as_str(), s["comment"].as_str()),
        (Some("second-value-9c1d"), Some("rotated"))
    );
    redeploy_is_quiet(emu, dir.path());
    assert!(!state_text(emu).contains("second-value-9c1d"));

    prune(emu, dir.path(), 2);
    let gone = emu.calls("DELETE", SECRET_AT);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].status, 200);
}
