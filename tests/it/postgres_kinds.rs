//! The seven Lakebase `postgres_*` kinds deployed to the emulator: each created under its
//! parent by reference, waited for (operations, an endpoint's reconciliation), updated in
//! place with an `update_mask` of what changed, replaced when a fixed setting changes (the
//! plan says why; the deploy needs --auto-approve), quiet on a second deploy, and pruned
//! children first.

use std::path::Path;

use brickci::emulator::RequestRecord;
use serde_json::Value;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};
use crate::more_kinds::{bundle, deploy, edit, prune, redeploy_is_quiet};

const PG: &str = "/api/2.0/postgres";

fn get(emu: &TestEmulator, name: &str) -> Value {
    emu.get_json(&format!("{PG}/{name}"))
}

fn gone(emu: &TestEmulator, name: &str) -> bool {
    get(emu, name)["error_code"] == "NOT_FOUND"
}

/// A query parameter of a logged request, decoded.
fn param(r: &RequestRecord, key: &str) -> Option<String> {
    url::form_urlencoded::parse(r.query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The Postgres API writes (not GET) since request `since`: `METHOD path?query`.
fn pg_writes(emu: &TestEmulator, since: usize) -> Vec<RequestRecord> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| r.method != "GET" && r.path.starts_with(PG))
        .collect()
}

/// The settings of the bundle's only job.
fn job_settings(emu: &TestEmulator) -> Value {
    let job = &emu.get_json("/api/2.2/jobs/list")["jobs"][0];
    emu.get_json(&format!("/api/2.2/jobs/get?job_id={}", job["job_id"]))["settings"].clone()
}

fn plan(emu: &TestEmulator, dir: &Path) -> String {
    let env = run_env(emu);
    text(&brickci(&["plan"], &as_refs(&env), dir))
}

const CHAIN: &str = r#"resources:
  postgres_projects:
    shop:
      project_id: shop
      display_name: Shop
      pg_version: 16
      history_retention_duration: 604800s
      default_endpoint_settings:
        autoscaling_limit_min_cu: 0.5
        autoscaling_limit_max_cu: 4
      permissions:
        - level: CAN_USE
          group_name: analysts
  postgres_branches:
    dev:
      parent: ${resources.postgres_projects.shop.id}
      branch_id: dev
      no_expiry: true
  postgres_endpoints:
    reader:
      parent: ${resources.postgres_branches.dev.id}
      endpoint_id: reader
      endpoint_type: ENDPOINT_TYPE_READ_ONLY
      autoscaling_limit_min_cu: 0.5
      autoscaling_limit_max_cu: 2
  jobs:
    report:
      name: report
      tasks:
        - task_key: t
          notebook_task:
            notebook_path: /Shared/report
            base_parameters:
              host: ${resources.postgres_endpoints.reader.host}
              branch: ${resources.postgres_branches.dev.name}
"#;

#[test]
fn projects_branches_and_endpoints_chain_update_in_place_replace_and_prune() {
    chain_flow(&TestEmulator::fast());
}

/// Deploy the chain, redeploy, update each in place, replace the branch (its endpoint
/// follows it), prune.
pub fn chain_flow(emu: &TestEmulator) {
    let dir = bundle(CHAIN);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let p = get(emu, "projects/shop");
    assert_eq!(p["status"]["display_name"], "Shop", "{p}");
    assert_eq!(p["status"]["pg_version"], 16);
    let create = emu.calls("POST", "/api/2.0/postgres/projects");
    assert_eq!(param(&create[0], "project_id").as_deref(), Some("shop"));
    let body = create[0].body.as_object().unwrap();
    assert_eq!(body.keys().collect::<Vec<_>>(), ["spec"], "{body:?}");
    assert!(create[0].body["spec"].get("project_id").is_none());
    assert!(create[0].body["spec"].get("permissions").is_none());
    let b = get(emu, "projects/shop/branches/dev");
    assert_eq!(b["parent"], "projects/shop", "the reference resolved: {b}");
    assert_eq!(b["status"]["current_state"], "READY", "{b}");
    let e = get(emu, "projects/shop/branches/dev/endpoints/reader");
    assert_eq!(
        e["status"]["endpoint_type"], "ENDPOINT_TYPE_READ_ONLY",
        "{e}"
    );
    assert!(
        e["status"].get("pending_state").is_none(),
        "the deploy waited for the endpoint to reconcile: {e}"
    );
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.method == "GET" && r.path.contains("/operations/")),
        "operations were polled"
    );
    let acl = emu.get_json("/api/2.0/permissions/database-projects/shop");
    let list = acl["access_control_list"].as_array().unwrap();
    assert!(
        list.iter()
            .any(|a| a["group_name"] == "analysts" && a["permission_level"] == "CAN_USE"),
        "{acl}"
    );
    let job = job_settings(emu);
    let params = &job["tasks"][0]["notebook_task"]["base_parameters"];
    assert_eq!(params["branch"], "projects/shop/branches/dev", "{job}");
    assert_eq!(params["host"], e["status"]["hosts"]["host"], "{job}");
    redeploy_is_quiet(emu, dir.path());

    // In place: the masks name just what changed; purge_on_delete is no spec field.
    edit(
        dir.path(),
        "display_name: Shop",
        "display_name: Shop 2\n      purge_on_delete: true",
    );
    edit(
        dir.path(),
        "autoscaling_limit_max_cu: 2",
        "autoscaling_limit_max_cu: 3",
    );
    edit(dir.path(), "no_expiry: true", "ttl: 604800s");
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let writes = pg_writes(emu, before);
    let masks: Vec<(String, Option<String>)> = writes
        .iter()
        .map(|r| (format!("{} {}", r.method, r.path), param(r, "update_mask")))
        .collect();
    assert_eq!(
        masks,
        [
            (
                "PATCH /api/2.0/postgres/projects/shop".to_string(),
                Some("spec.display_name".to_string())
            ),
            (
                "PATCH /api/2.0/postgres/projects/shop/branches/dev".to_string(),
                Some("spec.no_expiry,spec.ttl".to_string())
            ),
            (
                "PATCH /api/2.0/postgres/projects/shop/branches/dev/endpoints/reader".to_string(),
                Some("spec.autoscaling_limit_max_cu".to_string())
            ),
        ],
        "only the changes are sent"
    );
    assert_eq!(
        get(emu, "projects/shop")["status"]["display_name"],
        "Shop 2"
    );
    let e = get(emu, "projects/shop/branches/dev/endpoints/reader");
    assert_eq!(e["status"]["autoscaling_limit_max_cu"], 3);
    let b = get(emu, "projects/shop/branches/dev");
    assert!(b["status"]["expire_time"].is_string(), "a ttl now: {b}");
    redeploy_is_quiet(emu, dir.path());

    // A new branch id is a new branch; its endpoint follows it.
    edit(dir.path(), "branch_id: dev", "branch_id: dev2");
    let shown = plan(emu, dir.path());
    assert!(
        shown.contains(
            "replaces projects/shop/branches/dev: branch_id changes from \"dev\" to \"dev2\""
        ),
        "{shown}"
    );
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_ne!(
        code(&out),
        0,
        "a replacement needs --auto-approve: {}",
        text(&out)
    );
    assert!(
        text(&out).contains(
            "postgres_branches dev (replaced) (with its databases, roles and endpoints, and all their data)"
        ),
        "the data that goes is named: {}",
        text(&out)
    );
    assert!(pg_writes(emu, before).is_empty(), "nothing was written");
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(gone(emu, "projects/shop/branches/dev"));
    let e = get(emu, "projects/shop/branches/dev2/endpoints/reader");
    assert_eq!(e["parent"], "projects/shop/branches/dev2", "{e}");
    redeploy_is_quiet(emu, dir.path());

    let before = emu.requests().len();
    prune(emu, dir.path(), 4);
    let deletes: Vec<String> = pg_writes(emu, before)
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect();
    assert_eq!(
        deletes,
        [
            "/api/2.0/postgres/projects/shop/branches/dev2/endpoints/reader?",
            "/api/2.0/postgres/projects/shop/branches/dev2?",
            "/api/2.0/postgres/projects/shop?purge=true",
        ],
        "children first; the project purged as asked"
    );
    assert!(gone(emu, "projects/shop"));
}

const OWNED: &str = r#"resources:
  postgres_projects:
    app:
      project_id: app
      display_name: App
  postgres_branches:
    main:
      parent: ${resources.postgres_projects.app.id}
      branch_id: production
      replace_existing: true
      no_expiry: true
  postgres_roles:
    owner:
      parent: ${resources.postgres_branches.main.id}
      role_id: owner
      postgres_role: app_owner
      attributes:
        createdb: true
  postgres_databases:
    orders:
      parent: ${resources.postgres_branches.main.id}
      database_id: orders
      postgres_database: orders
      role: ${resources.postgres_roles.owner.id}
"#;

#[test]
fn roles_and_databases_on_the_taken_over_default_branch_update_replace_and_prune() {
    owned_flow(&TestEmulator::fast());
}

/// The project's default branch taken over with replace_existing, a role and a database
/// it owns; updates in place, the role replaced for a new Postgres name, prune (the
/// default branch goes with its project).
pub fn owned_flow(emu: &TestEmulator) {
    let dir = bundle(OWNED);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let took = emu.calls("POST", "/api/2.0/postgres/projects/app/branches");
    assert_eq!(param(&took[0], "replace_existing").as_deref(), Some("true"));
    assert_eq!(took[0].status, 200, "taken over, not refused");
    let br = "projects/app/branches/production";
    let r = get(emu, &format!("{br}/roles/owner"));
    assert_eq!(r["status"]["postgres_role"], "app_owner", "{r}");
    assert_eq!(r["status"]["attributes"]["createdb"], true);
    let d = get(emu, &format!("{br}/databases/orders"));
    assert_eq!(d["status"]["role"], format!("{br}/roles/owner"), "{d}");
    redeploy_is_quiet(emu, dir.path());

    edit(
        dir.path(),
        "createdb: true",
        "createdb: true\n        createrole: true",
    );
    edit(
        dir.path(),
        "postgres_database: orders",
        "postgres_database: orders_v2",
    );
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let masks: Vec<Option<String>> = pg_writes(emu, before)
        .iter()
        .map(|r| param(r, "update_mask"))
        .collect();
    assert_eq!(
        masks,
        [
            Some("spec.attributes.createrole".to_string()),
            Some("spec.postgres_database".to_string())
        ]
    );
    let r = get(emu, &format!("{br}/roles/owner"));
    assert_eq!(r["status"]["attributes"]["createrole"], true, "{r}");
    let d = get(emu, &format!("{br}/databases/orders"));
    assert_eq!(d["status"]["postgres_database"], "orders_v2", "{d}");

    edit(
        dir.path(),
        "postgres_role: app_owner",
        "postgres_role: app_admin",
    );
    let shown = plan(emu, dir.path());
    assert!(
        shown.contains(
            "replaces projects/app/branches/production/roles/owner: postgres_role changes"
        ),
        "{shown}"
    );
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let w: Vec<String> = pg_writes(emu, before)
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        w,
        [
            format!("DELETE {PG}/{br}/roles/owner"),
            format!("POST {PG}/{br}/roles")
        ],
        "replaced, not patched"
    );
    assert_eq!(
        get(emu, &format!("{br}/roles/owner"))["status"]["postgres_role"],
        "app_admin"
    );

    let before = emu.requests().len();
    prune(emu, dir.path(), 4);
    let deletes: Vec<(String, u16)> = pg_writes(emu, before)
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(
        deletes,
        [
            (format!("{PG}/{br}/databases/orders"), 200),
            (format!("{PG}/{br}/roles/owner"), 200),
            (format!("{PG}/{br}"), 400),
            (format!("{PG}/projects/app"), 200),
        ],
        "the default branch is left to its project"
    );
    assert!(gone(emu, br));
}

const LAKE: &str = r#"resources:
  postgres_projects:
    lake:
      project_id: lake
  postgres_roles:
    owner:
      parent: ${resources.postgres_projects.lake.default_branch}
      role_id: owner
      postgres_role: lake_owner
  postgres_databases:
    sales:
      parent: ${resources.postgres_projects.lake.default_branch}
      database_id: sales
      postgres_database: sales
      role: ${resources.postgres_roles.owner.id}
  postgres_catalogs:
    sales_cat:
      catalog_id: lake_cat
      branch: ${resources.postgres_projects.lake.default_branch}
      postgres_database: sales
  postgres_synced_tables:
    orders:
      synced_table_id: lake_cat.public.orders
      source_table_full_name: main.sales.orders
      primary_key_columns: [id]
      scheduling_policy: SNAPSHOT
  jobs:
    sync_report:
      name: sync_report
      tasks:
        - task_key: t
          notebook_task:
            notebook_path: /Shared/report
            base_parameters:
              pipeline: ${resources.postgres_synced_tables.orders.pipeline_id}
"#;

#[test]
fn catalogs_and_synced_tables_are_replaced_on_any_change_and_pruned() {
    lake_flow(&TestEmulator::fast());
}

/// A catalog over a database on the project's default branch (a computed reference) and
/// a table synced into it; a new scheduling policy replaces the table; prune.
pub fn lake_flow(emu: &TestEmulator) {
    let dir = bundle(LAKE);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let c = get(emu, "catalogs/lake_cat");
    assert_eq!(
        c["status"]["branch"], "projects/lake/branches/production",
        "{c}"
    );
    assert_eq!(c["status"]["postgres_database"], "sales");
    let t = get(emu, "synced_tables/lake_cat.public.orders");
    assert_eq!(t["status"]["project"], "projects/lake", "{t}");
    let job = job_settings(emu);
    let params = &job["tasks"][0]["notebook_task"]["base_parameters"];
    assert_eq!(params["pipeline"], t["status"]["pipeline_id"], "{job}");
    redeploy_is_quiet(emu, dir.path());

    edit(
        dir.path(),
        "scheduling_policy: SNAPSHOT",
        "scheduling_policy: TRIGGERED",
    );
    let shown = plan(emu, dir.path());
    assert!(
        shown.contains("replaces synced_tables/lake_cat.public.orders: scheduling_policy changes"),
        "{shown}"
    );
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let w: Vec<String> = pg_writes(emu, before)
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        w,
        [
            format!("DELETE {PG}/synced_tables/lake_cat.public.orders"),
            format!("POST {PG}/synced_tables")
        ]
    );
    redeploy_is_quiet(emu, dir.path());

    let before = emu.requests().len();
    prune(emu, dir.path(), 6);
    let deletes: Vec<String> = pg_writes(emu, before)
        .iter()
        .map(|r| r.path.trim_start_matches(PG).to_string())
        .collect();
    assert_eq!(
        deletes,
        [
            "/synced_tables/lake_cat.public.orders",
            "/catalogs/lake_cat",
            "/projects/lake/branches/production/databases/sales",
            "/projects/lake/branches/production/roles/owner",
            "/projects/lake",
        ]
    );
}

#[test]
fn a_failed_operation_fails_the_deploy_with_its_error() {
    let emu = TestEmulator::fast();
    let dir = bundle(
        "resources:\n  postgres_projects:\n    bad:\n      project_id: bad\n      display_name: FAIL_OPERATION\n",
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out)
            .contains("the operation failed: provisioning projects/bad failed (INTERNAL_ERROR)"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_replaced_project_takes_its_branch_along_and_the_branch_is_made_again() {
    let emu = TestEmulator::fast();
    let dir = bundle(
        r#"resources:
  postgres_projects:
    p:
      project_id: pgv
      pg_version: 16
  postgres_branches:
    b:
      parent: ${resources.postgres_projects.p.id}
      branch_id: feature
      no_expiry: true
"#,
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let uid = get(&emu, "projects/pgv/branches/feature")["uid"].clone();
    edit(dir.path(), "pg_version: 16", "pg_version: 17");
    let shown = plan(&emu, dir.path());
    assert!(
        shown.contains("replaces projects/pgv: pg_version changes from 16 to 17"),
        "{shown}"
    );
    let out = deploy(&emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(get(&emu, "projects/pgv")["status"]["pg_version"], 17);
    let b = get(&emu, "projects/pgv/branches/feature");
    assert_eq!(b["status"]["current_state"], "READY", "made again: {b}");
    assert_ne!(
        b["uid"], uid,
        "a new branch, the old one went with its project"
    );
    redeploy_is_quiet(&emu, dir.path());
}

#[test]
fn a_project_adopted_from_the_databricks_cli_is_updated_without_its_fixed_settings() {
    use base64::Engine;
    let emu = TestEmulator::fast();
    emu.post_json(
        "/api/2.0/postgres/projects?project_id=legacy",
        serde_json::json!({"spec": {"display_name": "Old", "pg_version": 16}}),
    );
    let state_dir = "/Workspace/Users/ci-bot@example.com/.bundle/more/dev/state";
    emu.post_json(
        "/api/2.0/workspace/mkdirs",
        serde_json::json!({ "path": state_dir }),
    );
    let tf = serde_json::json!({"version": 4, "resources": [{"mode": "managed", "type": "databricks_postgres_project", "name": "p", "instances": [{"attributes": {"id": "8c1e1d0a-uid", "name": "projects/legacy"}}]}]});
    emu.post_json(
        "/api/2.0/workspace/import",
        serde_json::json!({ "path": format!("{state_dir}/terraform.tfstate"), "format": "RAW",
            "content": base64::engine::general_purpose::STANDARD.encode(tf.to_string()) }),
    );
    let dir = bundle(
        "resources:\n  postgres_projects:\n    p:\n      project_id: legacy\n      display_name: New\n      pg_version: 16\n",
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("adopted"), "{}", text(&out));
    assert_eq!(
        emu.calls("POST", "/api/2.0/postgres/projects").len(),
        1,
        "only the test's own create"
    );
    let patch = emu.calls("PATCH", "/api/2.0/postgres/projects/legacy");
    assert_eq!(
        param(&patch[0], "update_mask").as_deref(),
        Some("spec.display_name"),
        "pg_version cannot be updated, so it is not in the mask"
    );
    assert_eq!(
        get(&emu, "projects/legacy")["status"]["display_name"],
        "New"
    );
    redeploy_is_quiet(&emu, dir.path());
}

#[test]
fn an_endpoint_still_reconciling_is_deleted_once_it_has() {
    // Slow enough that the endpoint is still reconciling when the prune reaches it.
    let emu = TestEmulator::start(brickci::emulator::EmulatorConfig {
        clock_speed: 2.0,
        ..Default::default()
    });
    let dir = bundle(
        r#"resources:
  postgres_projects:
    p:
      project_id: rec
  postgres_endpoints:
    ro:
      parent: ${resources.postgres_projects.p.default_branch}
      endpoint_id: ro
      endpoint_type: ENDPOINT_TYPE_READ_ONLY
"#,
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let ro = format!("{PG}/projects/rec/branches/production/endpoints/ro");
    let (status, _) = emu.send_json(
        "PATCH",
        &format!("{ro}?update_mask=spec.disabled"),
        serde_json::json!({"spec": {"endpoint_type": "ENDPOINT_TYPE_READ_ONLY", "disabled": false}}),
    );
    assert_eq!(status, 200);
    prune(&emu, dir.path(), 2);
    let tries: Vec<u16> = emu
        .calls("DELETE", "/endpoints/ro")
        .iter()
        .map(|r| r.status)
        .collect();
    // The update keeps it reconciling for 5 s: the first delete is refused, a later one
    // goes through.
    assert!(
        tries.len() >= 2 && tries[..tries.len() - 1].iter().all(|s| *s == 409),
        "{tries:?}"
    );
    assert_eq!(tries.last(), Some(&200), "{tries:?}");
    assert!(gone(&emu, "projects/rec"));
}

#[test]
fn a_branch_moved_to_a_new_project_is_replaced_only_once_the_plan_shows_it() {
    let emu = TestEmulator::fast();
    let dir = bundle(
        r#"resources:
  postgres_projects:
    a:
      project_id: first
  postgres_branches:
    b:
      parent: ${resources.postgres_projects.a.id}
      branch_id: work
      no_expiry: true
"#,
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    edit(
        dir.path(),
        "  postgres_branches:",
        "    c:\n      project_id: second\n  postgres_branches:",
    );
    edit(
        dir.path(),
        "${resources.postgres_projects.a.id}",
        "${resources.postgres_projects.c.id}",
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("its name becomes projects/second/branches/work"),
        "{}",
        text(&out)
    );
    assert!(
        get(&emu, "projects/first/branches/work")["name"].is_string(),
        "nothing deleted unasked"
    );
    let shown = plan(&emu, dir.path());
    assert!(
        shown.contains("replaces projects/first/branches/work: parent changes from \"projects/first\" to \"projects/second\""),
        "{shown}"
    );
    let out = deploy(&emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(gone(&emu, "projects/first/branches/work"));
    assert_eq!(
        get(&emu, "projects/second/branches/work")["parent"],
        "projects/second"
    );
}

#[test]
fn a_role_without_an_id_gets_the_one_the_service_picks() {
    let emu = TestEmulator::fast();
    let dir = bundle(
        r#"resources:
  postgres_projects:
    p:
      project_id: picked
  postgres_roles:
    reader:
      parent: ${resources.postgres_projects.p.default_branch}
      postgres_role: reader
"#,
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let roles = get(&emu, "projects/picked/branches/production/roles");
    let names: Vec<&str> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names.len(), 1, "{roles}");
    assert!(
        names[0].starts_with("projects/picked/branches/production/roles/role-"),
        "{names:?}"
    );
    redeploy_is_quiet(&emu, dir.path());
    prune(&emu, dir.path(), 2);
    assert_eq!(
        emu.calls("DELETE", names[0]).len(),
        1,
        "the picked name was recorded and deleted"
    );
}

#[test]
fn validate_json_shows_the_kinds_as_the_cli_does() {
    let emu = TestEmulator::fast();
    let dir = bundle(&format!(
        "permissions:\n  - level: CAN_VIEW\n    group_name: readers\n{CHAIN}"
    ));
    let env = run_env(&emu);
    let out = brickci(&["validate", "-o", "json"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &doc["resources"];
    let p = &r["postgres_projects"]["shop"];
    assert_eq!(p["project_id"], "shop");
    let acl = p["permissions"].as_array().unwrap();
    assert!(
        acl.contains(&serde_json::json!({"level": "CAN_USE", "group_name": "readers"})),
        "the top-level CAN_VIEW is CAN_USE on a project: {p}"
    );
    assert!(
        acl.iter()
            .any(|a| a["level"] == "CAN_MANAGE" && a["user_name"] == "ci-bot@example.com"),
        "the deployer manages it: {p}"
    );
    let b = &r["postgres_branches"]["dev"];
    assert_eq!(
        b["parent"], "${resources.postgres_projects.shop.id}",
        "references stay as written"
    );
    assert!(b.get("permissions").is_none(), "branches have none: {b}");
    assert!(
        r["postgres_endpoints"]["reader"]
            .get("permissions")
            .is_none()
    );
}
