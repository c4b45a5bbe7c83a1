//! Deploying the kinds of issue 15 brickci now has modules for (catalogs, SQL warehouses,
//! instance pools, alerts, dashboards, apps) to the emulator: a bundle with them deploys,
//! a change updates in place (or replaces, saying why), a second deploy writes nothing,
//! and prune deletes them.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

const BUNDLE: &str = r#"bundle:
  name: kinds
targets:
  dev:
    mode: development
    default: true
resources:
  catalogs:
    sales:
      name: sales_ci
      comment: from the bundle
      grants:
        - principal: data-eng
          privileges: [USE_CATALOG]
  sql_warehouses:
    wh:
      name: bi
      cluster_size: X-Small
      auto_stop_mins: 10
      permissions:
        - level: CAN_USE
          group_name: analysts
  instance_pools:
    pool:
      instance_pool_name: etl
      node_type_id: i3.xlarge
      max_capacity: 4
  alerts:
    rows:
      display_name: rows
      query_text: select count(*) as n from sales_ci.default.t
      warehouse_id: ${resources.sql_warehouses.wh.id}
      evaluation:
        source: {name: n}
        comparison_operator: GREATER_THAN
        threshold: {value: {double_value: 10}}
      schedule: {quartz_cron_schedule: "0 0 * * * ?", timezone_id: UTC}
  dashboards:
    board:
      display_name: Sales
      file_path: ./sales.lvdash.json
      warehouse_id: ${resources.sql_warehouses.wh.id}
  apps:
    web:
      name: sales-web
      description: sales app
      source_code_path: ./app
"#;

fn bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("databricks.yml"), BUNDLE).unwrap();
    std::fs::write(
        p.join("sales.lvdash.json"),
        r#"{"pages":[{"name":"p1","displayName":"Overview"}]}"#,
    )
    .unwrap();
    std::fs::create_dir(p.join("app")).unwrap();
    std::fs::write(p.join("app/app.py"), "print('serving')\n").unwrap();
    dir
}

fn edit(dir: &Path, from: &str, to: &str) {
    let f = dir.join("databricks.yml");
    let s = std::fs::read_to_string(&f).unwrap();
    assert!(s.contains(from), "{from} not in the bundle");
    std::fs::write(f, s.replace(from, to)).unwrap();
}

fn deploy(emu: &TestEmulator, dir: &Path, extra: &[&str]) -> std::process::Output {
    let env = run_env(emu);
    let mut args = vec!["deploy"];
    args.extend_from_slice(extra);
    brickci(&args, &as_refs(&env), dir)
}

/// Writes since request `since`, as `METHOD path`, leaving out the deployment's own
/// bookkeeping (lock, state, metadata, synced files).
fn writes_since(emu: &TestEmulator, since: usize) -> Vec<String> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .filter(|r| !r.path.starts_with("/api/2.0/workspace") && !r.path.starts_with("/oidc/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn the_one(emu: &TestEmulator, path: &str, array: &str, name_field: &str, name: &str) -> Value {
    let list = emu.get_json(path);
    list[array]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x[name_field] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

#[test]
fn the_new_kinds_deploy_with_presets_references_and_permissions_and_redeploy_quietly() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let catalog = emu.get_json("/api/2.1/unity-catalog/catalogs/sales_ci");
    assert_eq!(
        catalog["comment"], "from the bundle",
        "catalogs are not prefixed"
    );
    let grants = emu.get_json("/api/2.1/unity-catalog/permissions/catalog/sales_ci");
    assert_eq!(grants["privilege_assignments"][0]["principal"], "data-eng");

    let wh = the_one(
        &emu,
        "/api/2.0/sql/warehouses",
        "warehouses",
        "name",
        "[dev ci_bot] bi",
    );
    let wh_id = wh["id"].as_str().unwrap().to_string();
    assert!(
        matches!(wh["state"].as_str(), Some("STOPPING" | "STOPPED")),
        "stopped after create: {wh}"
    );
    assert_eq!(wh["tags"]["custom_tags"][0]["key"], "dev");
    let acl = emu.get_json(&format!("/api/2.0/permissions/warehouses/{wh_id}"));
    assert_eq!(acl["access_control_list"][0]["group_name"], "analysts");

    let pool = the_one(
        &emu,
        "/api/2.0/instance-pools/list",
        "instance_pools",
        "instance_pool_name",
        "[dev ci_bot] etl",
    );
    assert_eq!(pool["custom_tags"]["dev"], "ci_bot");

    let alert = &emu.get_json("/api/2.0/alerts")["alerts"][0];
    assert_eq!(alert["display_name"], "[dev ci_bot] rows");
    assert_eq!(
        alert["warehouse_id"],
        wh_id.as_str(),
        "the reference resolved"
    );
    assert_eq!(
        alert["schedule"]["pause_status"], "PAUSED",
        "development mode pauses"
    );
    assert_eq!(
        alert["parent_path"],
        "/Workspace/Users/ci-bot@example.com/.bundle/kinds/dev/resources"
    );

    let board = &emu.get_json("/api/2.0/lakeview/dashboards")["dashboards"][0];
    let board_id = board["dashboard_id"].as_str().unwrap();
    assert_eq!(board["display_name"], "[dev ci_bot] Sales");
    assert!(
        board["serialized_dashboard"]
            .as_str()
            .unwrap()
            .contains("Overview")
    );
    let published = emu.get_json(&format!(
        "/api/2.0/lakeview/dashboards/{board_id}/published"
    ));
    assert_eq!(published["embed_credentials"], false);
    assert_eq!(published["warehouse_id"], wh_id.as_str());

    let app = emu.get_json("/api/2.0/apps/sales-web");
    assert_eq!(app["compute_status"]["state"], "ACTIVE");
    assert_eq!(app["app_status"]["state"], "RUNNING");
    assert_eq!(
        app["active_deployment"]["source_code_path"],
        "/Workspace/Users/ci-bot@example.com/.bundle/kinds/dev/files/app"
    );

    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("0 to create, 0 to update, 0 to delete"),
        "{}",
        text(&out)
    );
    let writes = writes_since(&emu, before);
    assert!(writes.is_empty(), "a no-op redeploy wrote: {writes:?}");
}

#[test]
fn a_change_updates_each_kind_in_place_and_a_new_node_type_replaces_the_pool() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    edit(dir.path(), "comment: from the bundle", "comment: changed");
    edit(dir.path(), "auto_stop_mins: 10", "auto_stop_mins: 20");
    edit(dir.path(), "max_capacity: 4", "max_capacity: 6");
    edit(dir.path(), "double_value: 10", "double_value: 20");
    edit(dir.path(), "description: sales app", "description: new");
    edit(
        dir.path(),
        "privileges: [USE_CATALOG]",
        "privileges: [USE_CATALOG, USE_SCHEMA]",
    );
    std::fs::write(
        dir.path().join("sales.lvdash.json"),
        r#"{"pages":[{"name":"p1","displayName":"Changed"}]}"#,
    )
    .unwrap();
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("0 to create, 8 to update, 0 to delete"),
        "six resources and two files: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("changed: comment, grants[0].privileges"),
        "{}",
        text(&out)
    );
    let writes = writes_since(&emu, before);
    for expected in [
        "PATCH /api/2.1/unity-catalog/catalogs/sales_ci",
        "PATCH /api/2.1/unity-catalog/permissions/catalog/sales_ci",
        "POST /api/2.0/instance-pools/edit",
        "POST /api/2.0/apps/sales-web/update",
        "POST /api/2.0/apps/sales-web/deployments",
    ] {
        assert!(
            writes.iter().any(|w| w == expected),
            "no {expected} in {writes:?}"
        );
    }
    assert!(
        writes
            .iter()
            .any(|w| w.starts_with("POST /api/2.0/sql/warehouses/") && w.ends_with("/edit"))
    );
    assert!(
        writes
            .iter()
            .any(|w| w.starts_with("PATCH /api/2.0/alerts/"))
    );
    assert!(
        writes
            .iter()
            .any(|w| w.starts_with("PATCH /api/2.0/lakeview/dashboards/"))
    );
    assert!(
        !writes.iter().any(|w| w.contains("create")),
        "in place: {writes:?}"
    );
    let grants = emu.get_json("/api/2.1/unity-catalog/permissions/catalog/sales_ci");
    assert_eq!(
        grants["privilege_assignments"][0]["privileges"],
        serde_json::json!(["USE_CATALOG", "USE_SCHEMA"])
    );
    let alert = &emu.get_json("/api/2.0/alerts")["alerts"][0];
    assert_eq!(
        alert["evaluation"]["threshold"]["value"]["double_value"],
        20
    );
    let board = &emu.get_json("/api/2.0/lakeview/dashboards")["dashboards"][0];
    assert!(
        board["serialized_dashboard"]
            .as_str()
            .unwrap()
            .contains("Changed")
    );
    assert_eq!(
        emu.get_json("/api/2.0/apps/sales-web")["description"],
        "new"
    );

    let old = the_one(
        &emu,
        "/api/2.0/instance-pools/list",
        "instance_pools",
        "instance_pool_name",
        "[dev ci_bot] etl",
    );
    edit(
        dir.path(),
        "node_type_id: i3.xlarge",
        "node_type_id: m5.large",
    );
    let env = run_env(&emu);
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(
        text(&plan).contains("node_type_id changes from \"i3.xlarge\" to \"m5.large\""),
        "{}",
        text(&plan)
    );
    let out = deploy(&emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let new = the_one(
        &emu,
        "/api/2.0/instance-pools/list",
        "instance_pools",
        "instance_pool_name",
        "[dev ci_bot] etl",
    );
    assert_ne!(new["instance_pool_id"], old["instance_pool_id"]);
    assert_eq!(new["node_type_id"], "m5.large");
}

#[test]
fn prune_deletes_every_new_kind() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    assert_eq!(code(&deploy(&emu, dir.path(), &[])), 0);
    let wh = the_one(
        &emu,
        "/api/2.0/sql/warehouses",
        "warehouses",
        "name",
        "[dev ci_bot] bi",
    );
    let start = BUNDLE.find("resources:").unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        format!("{}resources: {{}}\n", &BUNDLE[..start]),
    )
    .unwrap();
    let out = deploy(&emu, dir.path(), &["--prune", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("6 to delete"), "{}", text(&out));
    let before = emu.requests().len();
    let _ = before;
    for path in [
        "/api/2.1/unity-catalog/catalogs/sales_ci".to_string(),
        format!("/api/2.0/sql/warehouses/{}", wh["id"].as_str().unwrap()),
        "/api/2.0/apps/sales-web".to_string(),
    ] {
        let calls = emu.calls("DELETE", &path);
        assert_eq!(calls.len(), 1, "{path}");
        assert_eq!(calls[0].status, 200, "{path}");
    }
    assert!(
        emu.get_json("/api/2.0/instance-pools/list")["instance_pools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["instance_pool_name"] == "ci-pool")
    );
    assert!(
        emu.get_json("/api/2.0/alerts").get("alerts").is_none(),
        "purged"
    );
    assert!(
        emu.get_json("/api/2.0/lakeview/dashboards")
            .get("dashboards")
            .is_none(),
        "trashed"
    );
}

#[test]
fn keep_clusters_running_leaves_a_new_warehouse_running() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let out = deploy(&emu, dir.path(), &["--keep-clusters-running"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(emu.calls("POST", "/stop").is_empty());
    let wh = the_one(
        &emu,
        "/api/2.0/sql/warehouses",
        "warehouses",
        "name",
        "[dev ci_bot] bi",
    );
    assert!(
        matches!(wh["state"].as_str(), Some("STARTING" | "RUNNING")),
        "{wh}"
    );
}

#[test]
fn app_code_changes_redeploy_and_a_failing_deployment_fails_the_deploy_with_its_reason() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let failing = "# brickci-emulator: fail \"ModuleNotFoundError: No module named 'streamlit'\"\n";
    // A new app whose first deployment fails is not left behind.
    std::fs::write(dir.path().join("app/app.py"), failing).unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("ModuleNotFoundError"), "{}", text(&out));
    assert!(
        text(&out).contains("apps.web"),
        "names the resource: {}",
        text(&out)
    );
    assert_eq!(emu.calls("DELETE", "/api/2.0/apps/sales-web").len(), 1);

    std::fs::write(dir.path().join("app/app.py"), "print('v1')\n").unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let good =
        emu.get_json("/api/2.0/apps/sales-web")["active_deployment"]["deployment_id"].clone();

    // Only the code changes: the app is deployed again.
    std::fs::write(dir.path().join("app/app.py"), failing).unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("changed: source_digest"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("ModuleNotFoundError"), "{}", text(&out));
    let app = emu.get_json("/api/2.0/apps/sales-web");
    assert_eq!(
        app["active_deployment"]["deployment_id"], good,
        "the running one stays"
    );

    std::fs::write(dir.path().join("app/app.py"), "print('v2')\n").unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let app = emu.get_json("/api/2.0/apps/sales-web");
    assert_ne!(app["active_deployment"]["deployment_id"], good);
    assert_eq!(app["app_status"]["state"], "RUNNING");
}

#[test]
fn a_dashboard_file_that_is_missing_or_not_json_is_refused_before_any_write() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    std::fs::write(dir.path().join("sales.lvdash.json"), "not json").unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("databricks.yml:") && text(&out).contains("file_path"),
        "{}",
        text(&out)
    );
    edit(dir.path(), "./sales.lvdash.json", "./nowhere.lvdash.json");
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("nowhere.lvdash.json"), "{}", text(&out));
    assert!(writes_since(&emu, 0).is_empty());
}

#[test]
fn references_to_computed_fields_of_an_app_and_a_warehouse_are_filled_in() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let job = "  jobs:\n    smoke:\n      name: smoke\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: /Shared/nb\n            base_parameters:\n              app_url: ${resources.apps.web.url}\n              jdbc: ${resources.sql_warehouses.wh.jdbc_url}\n              sp: ${resources.apps.web.service_principal_client_id}\n";
    let yml = dir.path().join("databricks.yml");
    let s = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(&yml, format!("{s}{job}")).unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let app = emu.get_json("/api/2.0/apps/sales-web");
    let wh = the_one(
        &emu,
        "/api/2.0/sql/warehouses",
        "warehouses",
        "name",
        "[dev ci_bot] bi",
    );
    let jobs = emu.get_json("/api/2.2/jobs/list");
    let job_id = jobs["jobs"][0]["job_id"].as_i64().unwrap();
    let job = emu.get_json(&format!("/api/2.2/jobs/get?job_id={job_id}"));
    let params = &job["settings"]["tasks"][0]["notebook_task"]["base_parameters"];
    assert_eq!(params["app_url"], app["url"]);
    assert_eq!(params["jdbc"], wh["jdbc_url"]);
    assert_eq!(params["sp"], app["service_principal_client_id"]);
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        writes_since(&emu, before),
        Vec::<String>::new(),
        "{}",
        text(&out)
    );
}

/// A volume naming the bundle's own catalog and schema by their literal names follows them,
/// as the Databricks CLI makes such names references: in development mode the schema is
/// prefixed, and the volume is created in the prefixed schema (not in one that does not exist).
#[test]
fn a_volume_in_the_bundles_own_schema_follows_its_development_prefix() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        concat!(
            "bundle: {name: uc}\n",
            "targets: {dev: {mode: development, default: true}}\n",
            "resources:\n",
            "  catalogs: {cat: {name: lake}}\n",
            "  schemas: {raw: {catalog_name: lake, name: raw}}\n",
            "  volumes: {landing: {catalog_name: lake, schema_name: raw, name: landing, volume_type: MANAGED}}\n",
        ),
    )
    .unwrap();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let creates = emu.calls("POST", "/api/2.1/unity-catalog/volumes");
    assert_eq!(creates.len(), 1, "{}", text(&out));
    let schema = creates[0].body["schema_name"].as_str().unwrap_or_default();
    assert!(
        schema.starts_with("dev_") && schema.ends_with("_raw"),
        "the volume went to schema {schema:?}"
    );
    assert_eq!(creates[0].body["catalog_name"], "lake");
    // Its own schema was created first, under that name.
    let schemas = emu.calls("POST", "/api/2.1/unity-catalog/schemas");
    assert_eq!(schemas.len(), 1);
    assert_eq!(schemas[0].body["name"], schema);
    let again = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&again), 0, "{}", text(&again));
    assert_eq!(emu.calls("POST", "/api/2.1/unity-catalog/volumes").len(), 1);
}

#[test]
fn an_apps_inline_config_rides_on_its_deployment_and_a_change_deploys_it_again() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    edit(
        dir.path(),
        "      source_code_path: ./app\n",
        "      source_code_path: ./app\n      config:\n        command: [streamlit, run, app.py]\n        env:\n          - name: MODE\n            value: prod\n",
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let sent = emu.calls("POST", "/api/2.0/apps/sales-web/deployments");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body["command"],
        json!(["streamlit", "run", "app.py"])
    );
    assert_eq!(
        sent[0].body["env_vars"],
        json!([{"name": "MODE", "value": "prod"}])
    );

    edit(dir.path(), "value: prod", "value: staging");
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let sent = emu.calls("POST", "/api/2.0/apps/sales-web/deployments");
    assert_eq!(sent.len(), 2, "a new environment is a new deployment");
    assert_eq!(
        sent[1].body["env_vars"],
        json!([{"name": "MODE", "value": "staging"}])
    );
}
