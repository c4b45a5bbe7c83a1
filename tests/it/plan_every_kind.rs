//! One bundle with an object of every kind brickci deploys (`kinds::REGISTRY`), deployed to
//! the emulator, then changed so its plan has each op: create, update, replace, delete
//! (`--prune`) and unchanged. The plan in text (`-v`), `-o json` and `-o markdown` is
//! compared with golden files (BRICKCI_BLESS=1 rewrites them). A kind added to the registry
//! without an object here fails the first assertion, saying so.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};
use crate::report_golden::golden;

/// One object per kind, keyed by kind: (kind, YAML under `resources.<kind>`).
const OBJECTS: &[(&str, &str)] = &[
    ("secret_scopes", "    scope:\n      name: every-scope\n"),
    (
        "catalogs",
        "    cat:\n      name: every_cat\n      comment: first\n",
    ),
    (
        "external_locations",
        "    loc:\n      name: every_loc\n      url: s3://acme-raw/every\n      credential_name: acme_cred\n",
    ),
    (
        "schemas",
        "    schema:\n      name: quality\n      catalog_name: main\n",
    ),
    (
        "volumes",
        "    vol:\n      name: every_vol\n      catalog_name: main\n      schema_name: ${resources.schemas.schema.name}\n      volume_type: MANAGED\n",
    ),
    (
        "secrets",
        "    secret:\n      name: api_key\n      catalog_name: main\n      schema_name: ${resources.schemas.schema.name}\n      value: not-shown-anywhere\n",
    ),
    (
        "instance_pools",
        "    pool:\n      instance_pool_name: every-pool\n      node_type_id: i3.xlarge\n      max_capacity: 4\n",
    ),
    (
        "clusters",
        "    cluster:\n      cluster_name: every-cluster\n      spark_version: 15.4.x-scala2.12\n      node_type_id: i3.xlarge\n      num_workers: 1\n",
    ),
    (
        "sql_warehouses",
        "    wh:\n      name: every-wh\n      cluster_size: X-Small\n",
    ),
    (
        "database_instances",
        "    db:\n      name: every-db\n      capacity: CU_1\n",
    ),
    (
        "database_catalogs",
        "    dbcat:\n      name: every_dbcat\n      database_instance_name: ${resources.database_instances.db.name}\n      database_name: orders\n      create_database_if_not_exists: true\n",
    ),
    (
        "synced_database_tables",
        "    synced:\n      name: main.sales.orders_synced\n      database_instance_name: ${resources.database_instances.db.name}\n      logical_database_name: databricks_postgres\n      spec:\n        source_table_full_name: main.sales.orders\n        primary_key_columns: [id]\n        scheduling_policy: SNAPSHOT\n        new_pipeline_spec:\n          storage_catalog: main\n          storage_schema: sales\n",
    ),
    ("postgres_projects", "    pg:\n      project_id: every\n"),
    (
        "postgres_branches",
        "    branch:\n      parent: ${resources.postgres_projects.pg.id}\n      branch_id: dev\n      no_expiry: true\n",
    ),
    (
        "postgres_endpoints",
        "    ep:\n      parent: ${resources.postgres_branches.branch.id}\n      endpoint_id: reader\n      endpoint_type: ENDPOINT_TYPE_READ_ONLY\n      autoscaling_limit_min_cu: 0.5\n      autoscaling_limit_max_cu: 2\n",
    ),
    (
        "postgres_roles",
        "    role:\n      parent: ${resources.postgres_projects.pg.default_branch}\n      role_id: owner\n      postgres_role: every_owner\n",
    ),
    (
        "postgres_databases",
        "    pgdb:\n      parent: ${resources.postgres_projects.pg.default_branch}\n      database_id: sales\n      postgres_database: sales\n      role: ${resources.postgres_roles.role.id}\n",
    ),
    (
        "postgres_catalogs",
        "    pgcat:\n      catalog_id: every_pg_cat\n      branch: ${resources.postgres_projects.pg.default_branch}\n      postgres_database: sales\n",
    ),
    (
        "postgres_synced_tables",
        "    pgsync:\n      synced_table_id: every_pg_cat.public.orders\n      source_table_full_name: main.sales.orders\n      primary_key_columns: [id]\n      scheduling_policy: SNAPSHOT\n",
    ),
    ("experiments", "    exp:\n      name: /Shared/every-exp\n"),
    ("models", "    model:\n      name: every-model\n"),
    (
        "registered_models",
        "    rm:\n      name: every_rm\n      catalog_name: main\n      schema_name: ${resources.schemas.schema.name}\n",
    ),
    (
        "model_serving_endpoints",
        "    endpoint:\n      name: every-endpoint\n      config:\n        served_entities:\n          - entity_name: main.ml.churn\n            entity_version: \"1\"\n            workload_size: Small\n            scale_to_zero_enabled: true\n",
    ),
    (
        "vector_search_endpoints",
        "    vs:\n      name: every-vs\n      endpoint_type: STANDARD\n",
    ),
    (
        "vector_search_indexes",
        "    index:\n      name: main.quality.every_index\n      endpoint_name: ${resources.vector_search_endpoints.vs.name}\n      primary_key: id\n      index_type: DIRECT_ACCESS\n      direct_access_index_spec:\n        schema_json: '{\"id\":\"integer\",\"vec\":\"array<float>\"}'\n        embedding_vector_columns:\n          - name: vec\n            embedding_dimension: 8\n",
    ),
    (
        "pipelines",
        "    pipe:\n      name: every-pipe\n      libraries:\n        - notebook:\n            path: ./src/ingest.py\n",
    ),
    (
        "jobs",
        "    job:\n      name: every-job\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: ./src/ingest.py\n",
    ),
    (
        "alerts",
        "    alert:\n      display_name: every-alert\n      warehouse_id: ${resources.sql_warehouses.wh.id}\n      file_path: ./every.dbalert.json\n",
    ),
    (
        "dashboards",
        "    board:\n      display_name: every-board\n      file_path: ./every.lvdash.json\n      warehouse_id: ${resources.sql_warehouses.wh.id}\n",
    ),
    (
        "genie_spaces",
        "    space:\n      title: every-space\n      warehouse_id: ${resources.sql_warehouses.wh.id}\n      file_path: ./every.geniespace.json\n",
    ),
    (
        "apps",
        "    app:\n      name: every-app\n      source_code_path: ./app\n",
    ),
    (
        "quality_monitors",
        "    mon:\n      table_name: main.quality.orders\n      output_schema_name: main.quality\n      assets_dir: /Shared/monitors/every\n      snapshot: {}\n",
    ),
    (
        "job_runs",
        "    run:\n      job_id: ${resources.jobs.job.id}\n",
    ),
];

const ALERT: &str = r#"{
  "evaluation": {"source": {"name": "n"}, "comparison_operator": "GREATER_THAN",
                 "threshold": {"value": {"double_value": 10}}},
  "schedule": {"quartz_cron_schedule": "0 0 * * * ?", "timezone_id": "UTC"},
  "query_lines": ["select count(*) as n from main.sales.orders"]
}"#;

fn databricks_yml(objects: &[(&str, String)]) -> String {
    let mut out = String::from("bundle:\n  name: every\nresources:\n");
    for (kind, yaml) in objects {
        out.push_str(&format!("  {kind}:\n{yaml}"));
    }
    out
}

fn bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let objects: Vec<(&str, String)> = OBJECTS.iter().map(|(k, y)| (*k, y.to_string())).collect();
    std::fs::write(p.join("databricks.yml"), databricks_yml(&objects)).unwrap();
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::write(
        p.join("src/ingest.py"),
        "# Databricks notebook source\nprint('ingest')\n",
    )
    .unwrap();
    std::fs::write(p.join("every.dbalert.json"), ALERT).unwrap();
    std::fs::write(
        p.join("every.lvdash.json"),
        r#"{"pages":[{"name":"p1","displayName":"Overview"}]}"#,
    )
    .unwrap();
    std::fs::write(
        p.join("every.geniespace.json"),
        r#"{"version": 2, "data_sources": {"tables": [{"identifier": "main.sales.orders"}]}}"#,
    )
    .unwrap();
    std::fs::create_dir(p.join("app")).unwrap();
    std::fs::write(p.join("app/app.py"), "print('serving')\n").unwrap();
    dir
}

fn run(emu: &TestEmulator, dir: &Path, args: &[&str]) -> std::process::Output {
    brickci(args, &as_refs(&run_env(emu)), dir)
}

#[test]
fn the_bundle_has_an_object_of_every_deployed_kind() {
    let here: BTreeSet<&str> = OBJECTS.iter().map(|(k, _)| *k).collect();
    let registry: BTreeSet<&str> = brickci::deploy::kinds::names().into_iter().collect();
    let missing: Vec<&&str> = registry.difference(&here).collect();
    assert!(
        missing.is_empty(),
        "kinds brickci deploys with no object in tests/it/plan_every_kind.rs OBJECTS: {missing:?}; add one of each (deployable to the emulator), then rewrite the golden files with BRICKCI_BLESS=1"
    );
    let unknown: Vec<&&str> = here.difference(&registry).collect();
    assert!(unknown.is_empty(), "not deployed kinds: {unknown:?}");
}

#[test]
fn a_plan_with_every_kind_and_every_op_renders_in_text_json_and_markdown() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(&emu, dir.path(), &["plan"]);
    assert!(
        text(&out).contains("0 to create, 0 to update, 0 to delete"),
        "every object deployed as planned: {}",
        text(&out)
    );

    // create (a second job), update (a comment), replace (a pool's node type), delete (the
    // experiment, with --prune); the rest unchanged.
    let mut objects: Vec<(&str, String)> = Vec::new();
    for (kind, yaml) in OBJECTS {
        let yaml = match *kind {
            "experiments" => continue,
            "catalogs" => yaml.replace("comment: first", "comment: second"),
            "instance_pools" => yaml.replace("i3.xlarge", "m5.large"),
            "jobs" => format!(
                "{yaml}    job_new:\n      name: every-job-new\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: ./src/ingest.py\n"
            ),
            _ => yaml.to_string(),
        };
        objects.push((kind, yaml));
    }
    std::fs::write(dir.path().join("databricks.yml"), databricks_yml(&objects)).unwrap();

    let out = run(&emu, dir.path(), &["plan", "--prune", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let mut doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ops: BTreeSet<&str> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        BTreeSet::from(["create", "delete", "replace", "unchanged", "update"]),
        "{doc}"
    );
    let kinds: BTreeSet<&str> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    for (kind, _) in OBJECTS {
        assert!(kinds.contains(kind), "no {kind} row: {doc}");
    }
    // Ids the emulator makes up differ each run: named by what they are.
    let mut ids: Vec<(String, String)> = Vec::new();
    for a in doc["actions"].as_array_mut().unwrap() {
        let named = format!(
            "[{}.{} id]",
            a["kind"].as_str().unwrap(),
            a["name"].as_str().unwrap()
        );
        if let Some(t) = a["target"]
            .as_str()
            .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        {
            ids.push((t.to_string(), named.clone()));
            a["target"] = Value::String(named);
        }
    }
    ids.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
    let redact = |s: &str| {
        ids.iter().fold(s.to_string(), |s, (id, named)| {
            s.replace(&format!("replaces {id}:"), &format!("replaces {named}:"))
        })
    };
    for a in doc["actions"].as_array_mut().unwrap() {
        let reason = redact(a["reason"].as_str().unwrap());
        a["reason"] = Value::String(reason);
    }
    golden(
        "plan_every_kind.json",
        &format!("{}\n", serde_json::to_string_pretty(&doc).unwrap()),
    );

    let out = run(&emu, dir.path(), &["plan", "--prune", "-v"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    golden(
        "plan_every_kind.txt",
        &redact(&String::from_utf8_lossy(&out.stdout)),
    );
    let out = run(&emu, dir.path(), &["plan", "--prune", "-o", "markdown"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    golden(
        "plan_every_kind.md",
        &redact(&String::from_utf8_lossy(&out.stdout)),
    );

    // The plan is what the deploy does.
    let out = run(&emu, dir.path(), &["deploy", "--prune", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(&emu, dir.path(), &["plan"]);
    assert!(
        text(&out).contains("0 to create, 0 to update, 0 to delete"),
        "{}",
        text(&out)
    );
}
