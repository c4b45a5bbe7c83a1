//! Loading whole bundles from folders: includes, targets, variables, paths, errors.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{Identity, LoadOptions, prepare};
use super::{Bundle, Diagnostics};

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn me() -> Identity {
    Identity {
        user_name: "jane.doe@example.com".into(),
        display_name: None,
        id: None,
    }
}

/// A bundle folder holding these files (name, text), folders made as needed.
pub fn bundle(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

pub fn load(
    dir: &Path,
    target: Option<&str>,
    vars: &[(&str, &str)],
) -> Result<Bundle, Diagnostics> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = BTreeMap::new();
    let opts = LoadOptions {
        dir,
        target,
        vars: &vars,
        env: &env,
        host: Some("https://adb-1.2.azuredatabricks.net"),
        pr: None,
    };
    let prepared = prepare(&opts, me())?;
    let answers = prepared
        .lookups
        .iter()
        .map(|l| {
            let answer = if l.name == "missing" {
                Err(format!("no {} named {:?}", l.kind, l.name))
            } else {
                Ok(format!("{}-id-of-{}", l.kind, l.name))
            };
            (l.variable.clone(), answer)
        })
        .collect();
    prepared.finish(&answers)
}

const NB: &str = "# Databricks notebook source\nprint(1)\n";

#[test]
fn a_full_bundle_resolves_for_each_target() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: shop\ninclude:\n  - resources/*.yml\nvariables:\n  catalog:\n    default: dev_cat\n  pool:\n    lookup:\n      instance_pool: ${bundle.target}-pool\ntargets:\n  dev:\n    default: true\n    mode: development\n  prod:\n    mode: production\n    workspace:\n      root_path: /Shared/shop/${bundle.target}\n    variables:\n      catalog: prod_cat\n    resources:\n      jobs:\n        etl:\n          tasks:\n            - task_key: load\n              timeout_seconds: 60\n",
            ),
            (
                "resources/etl.yml",
                "resources:\n  jobs:\n    etl:\n      name: ETL ${var.catalog}\n      schedule: {quartz_cron_expression: '0 0 * * * ?', timezone_id: UTC}\n      tasks:\n        - task_key: load\n          notebook_task:\n            notebook_path: ../src/load.py\n          new_cluster: {spark_version: 15.4.x-scala2.12, instance_pool_id: '${var.pool}'}\n        - task_key: report\n          depends_on: [{task_key: load}]\n          notebook_task: {notebook_path: ../src/report.ipynb}\n          existing_cluster_id: ${resources.clusters.shared.id}\n  clusters:\n    shared: {spark_version: 15.4.x-scala2.12, num_workers: 1}\n",
            ),
            ("src/load.py", NB),
            ("src/report.ipynb", "{\"cells\": []}"),
        ],
    );
    let dev = load(dir.path(), None, &[]).unwrap();
    assert_eq!(dev.target, "dev");
    assert_eq!(
        dev.workspace.root_path,
        "/Workspace/Users/jane.doe@example.com/.bundle/shop/dev"
    );
    assert_eq!(
        dev.workspace.file_path,
        format!("{}/files", dev.workspace.root_path)
    );
    let etl = dev.resource("jobs", "etl").unwrap();
    assert_eq!(etl.settings["name"], "[dev jane_doe] ETL dev_cat");
    assert_eq!(etl.settings["schedule"]["pause_status"], "PAUSED");
    assert_eq!(etl.settings["tags"]["dev"], "jane_doe");
    assert_eq!(
        etl.settings["tasks"][0]["notebook_task"]["notebook_path"],
        format!("{}/src/load", dev.workspace.file_path)
    );
    assert_eq!(
        etl.settings["tasks"][1]["notebook_task"]["notebook_path"],
        format!("{}/src/report", dev.workspace.file_path)
    );
    assert_eq!(
        etl.settings["tasks"][0]["new_cluster"]["instance_pool_id"],
        "instance_pool-id-of-dev-pool"
    );
    assert_eq!(
        etl.settings["tasks"][1]["existing_cluster_id"],
        "${resources.clusters.shared.id}"
    );
    assert_eq!(dev.referenced.len(), 2);

    let prod = load(dir.path(), Some("prod"), &[]).unwrap();
    assert_eq!(
        prod.workspace.state_path,
        "/Workspace/Shared/shop/prod/state"
    );
    let etl = prod.resource("jobs", "etl").unwrap();
    assert_eq!(etl.settings["name"], "ETL prod_cat");
    assert_eq!(etl.settings["schedule"]["pause_status"], "UNPAUSED");
    assert_eq!(etl.settings["tasks"][0]["timeout_seconds"], 60);
    assert_eq!(etl.settings["tasks"].as_array().unwrap().len(), 2);

    let cli = load(dir.path(), Some("prod"), &[("catalog", "x")]).unwrap();
    assert_eq!(
        cli.resource("jobs", "etl").unwrap().settings["name"],
        "ETL x"
    );
}

#[test]
fn short_names_follow_the_cli() {
    let id = |u: &str, d: Option<&str>| Identity {
        user_name: u.into(),
        display_name: d.map(str::to_string),
        id: None,
    };
    assert_eq!(id("John.Doe+x@corp.com", None).short_name(), "john_doe_x");
    assert_eq!(id("__a..b__@x", None).short_name(), "a_b");
    assert_eq!(
        id("9f0c6f2e-1d2b-4c8a-9e43-5b1a2c3d4e5f", Some("CI Deployer")).short_name(),
        "ci_deployer"
    );
}

#[test]
fn errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: b\ninclude: [jobs.yml]\nvariables:\n  need: {description: required}\n  pool:\n    lookup: {instance_pool: missing}\n",
            ),
            (
                "jobs.yml",
                "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n          notebook_task: {notebook_path: ../outside.py}\n        - task_key: b\n          notebook_task: {notebook_path: ./nope.py}\n",
            ),
        ],
    );
    let errs = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        errs.contains("databricks.yml:5:3: variables.need: no value assigned"),
        "{errs}"
    );
    let errs = load(dir.path(), None, &[("need", "x")])
        .unwrap_err()
        .to_string();
    assert!(errs.contains("databricks.yml:7:29: variables.pool.lookup.instance_pool: no instance_pool named \"missing\""), "{errs}");
    let errs = load(dir.path(), None, &[("need", "x"), ("pool", "p")])
        .unwrap_err()
        .to_string();
    assert!(errs.contains("jobs.yml:6:42: resources.jobs.j.tasks[0].notebook_task.notebook_path: ../outside.py is outside the bundle's folder"), "{errs}");
    assert!(errs.contains("jobs.yml:8:42: resources.jobs.j.tasks[1].notebook_task.notebook_path: ./nope.py does not exist"), "{errs}");
}

#[test]
fn an_artifact_may_be_built_at_the_bundle_root() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nartifacts:\n  whl: {type: whl, path: ., build: 'true'}\ntargets:\n  dev:\n    default: true\n",
        )],
    );
    let dev = load(dir.path(), None, &[]).unwrap();
    assert_eq!(dev.artifacts.len(), 1);
    assert_eq!(dir.path().join(&dev.artifacts[0].path), dir.path().join(""));
}

#[test]
fn included_files_add_variables_targets_and_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: b\ninclude: [more/*.yml]\nvariables:\n  a: {default: one}\ntargets:\n  dev:\n    default: true\n",
            ),
            (
                "more/vars.yml",
                "variables:\n  b: {default: two}\ntargets:\n  dev:\n    variables: {a: uno}\n  prod:\n    variables: {b: dos}\nartifacts:\n  whl: {type: whl, path: ., build: 'true'}\nresources:\n  jobs:\n    j: {name: '${var.a}-${var.b}'}\n",
            ),
        ],
    );
    let dev = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        dev.resource("jobs", "j").unwrap().settings["name"],
        "uno-two"
    );
    assert_eq!(dev.artifacts.len(), 1);
    let prod = load(dir.path(), Some("prod"), &[]).unwrap();
    assert_eq!(
        prod.resource("jobs", "j").unwrap().settings["name"],
        "one-dos"
    );

    // A resource key still belongs to one file.
    write(
        dir.path(),
        &[("more/again.yml", "resources:\n  jobs:\n    j: {name: x}\n")],
    );
    let errs = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        errs.contains(
            "more/vars.yml:12:5: resources.jobs.j: defined twice; first at more/again.yml:3:5"
        ),
        "{errs}"
    );
}

#[test]
fn a_target_value_replaces_a_declared_lookup() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nvariables:\n  pool:\n    lookup: {instance_pool: missing}\ntargets:\n  dev:\n    default: true\n    variables:\n      pool: pool-1\n  prod:\n    variables:\n      pool: {default: pool-2}\n  qa: {}\nresources:\n  jobs:\n    j: {name: '${var.pool}'}\n",
        )],
    );
    for (target, want) in [("dev", "pool-1"), ("prod", "pool-2")] {
        let b = load(dir.path(), Some(target), &[]).unwrap();
        assert_eq!(b.resource("jobs", "j").unwrap().settings["name"], want);
        assert!(b.variables["pool"].lookup.is_none());
    }
    let errs = load(dir.path(), Some("qa"), &[]).unwrap_err().to_string();
    assert!(errs.contains("no instance_pool named"), "{errs}");
}

#[test]
fn a_target_replaces_run_as_and_merges_git_into_bundle_git() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\n  git: {origin_url: 'https://a/x.git'}\nrun_as: {user_name: a@example.com}\ntargets:\n  dev:\n    default: true\n    run_as: {service_principal_name: 1234}\n    git: {branch: main}\n",
        )],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    let tree = b.tree.to_json();
    assert_eq!(
        tree["run_as"],
        serde_json::json!({"service_principal_name": 1234})
    );
    assert_eq!(tree["bundle"]["git"]["branch"], "main");
    assert_eq!(tree["bundle"]["git"]["origin_url"], "https://a/x.git");
    assert!(tree.get("git").is_none(), "{tree}");
}

#[test]
fn a_target_pipeline_cluster_merges_into_the_base_cluster_by_label() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nresources:\n  pipelines:\n    foo:\n      name: job\n      clusters:\n        - label: default\n          spark_conf: {foo: bar}\ntargets:\n  staging:\n    resources:\n      pipelines:\n        foo:\n          clusters:\n            - node_type_id: i3.2xlarge\n              num_workers: 4\n",
        )],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        b.resource("pipelines", "foo").unwrap().settings["clusters"],
        serde_json::json!([{"label": "default", "spark_conf": {"foo": "bar"}, "node_type_id": "i3.2xlarge", "num_workers": 4}])
    );
}

#[test]
fn a_target_cluster_id_only_replaces_compute_tasks_already_have() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      tasks:\n        - task_key: nc\n          new_cluster: {num_workers: 1}\n        - task_key: jc\n          job_cluster_key: c\n        - task_key: env\n          environment_key: e\n        - task_key: sql\n          sql_task: {warehouse_id: w}\n        - task_key: each\n          for_each_task:\n            inputs: '[1]'\n            task:\n              task_key: inner\n              existing_cluster_id: old\n        - task_key: each_sql\n          for_each_task:\n            inputs: '[1]'\n            task: {task_key: inner2, sql_task: {warehouse_id: w}}\ntargets:\n  dev:\n    cluster_id: c-1\n",
        )],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    let tasks = b.resource("jobs", "j").unwrap().settings["tasks"].clone();
    let task = |k: &str| {
        tasks
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["task_key"] == k)
            .unwrap()
            .clone()
    };
    for k in ["nc", "jc", "env"] {
        let t = task(k);
        assert_eq!(t["existing_cluster_id"], "c-1", "{t}");
        assert!(t.get("new_cluster").is_none());
        assert!(t.get("job_cluster_key").is_none());
        assert!(t.get("environment_key").is_none());
    }
    assert!(task("sql").get("existing_cluster_id").is_none());
    assert_eq!(
        task("each")["for_each_task"]["task"]["existing_cluster_id"],
        "c-1"
    );
    assert!(task("each").get("existing_cluster_id").is_none());
    let each_sql = task("each_sql");
    assert!(each_sql.get("existing_cluster_id").is_none());
    assert!(
        each_sql["for_each_task"]["task"]
            .get("existing_cluster_id")
            .is_none()
    );
}

#[test]
fn unset_known_settings_resolve_empty_and_other_dollar_text_stays() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      tags: {commit: '${bundle.git.commit}', mode: '${bundle.mode}', cluster: '${bundle.cluster_id}'}\n      job_clusters:\n        - job_cluster_key: c\n          new_cluster: {spark_env_vars: {LOGS: '${HOME}/logs'}}\ntargets:\n  dev:\n    default: true\n  staging:\n    cluster_id: c-1\n",
        )],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    let j = &b.resource("jobs", "j").unwrap().settings;
    assert_eq!(
        j["tags"],
        serde_json::json!({"commit": "", "mode": "", "cluster": ""})
    );
    assert_eq!(
        j["job_clusters"][0]["new_cluster"]["spark_env_vars"]["LOGS"],
        "${HOME}/logs"
    );
    let b = load(dir.path(), Some("staging"), &[]).unwrap();
    assert_eq!(
        b.resource("jobs", "j").unwrap().settings["tags"]["cluster"],
        "c-1"
    );
}

#[test]
fn presets_apply_to_every_kind_and_development_fills_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      schedule: {quartz_cron_expression: '0 0 * * * ?', timezone_id: UTC}\n      tags: {team: mine}\n  pipelines:\n    p: {continuous: true}\n  schemas:\n    s: {name: raw, catalog_name: main}\n  clusters:\n    c: {spark_version: x, num_workers: 1}\ntargets:\n  qa:\n    default: true\n    presets:\n      name_prefix: '[qa] '\n      tags: {team: data, env: qa}\n      jobs_max_concurrent_runs: 7\n      trigger_pause_status: PAUSED\n      pipelines_development: true\n  dev:\n    mode: development\n  dev_named:\n    mode: development\n    presets: {name_prefix: 'team_'}\n",
        )],
    );
    let qa = load(dir.path(), None, &[]).unwrap();
    let j = &qa.resource("jobs", "j").unwrap().settings;
    assert_eq!(j["name"], "[qa] j");
    assert_eq!(j["tags"], serde_json::json!({"team": "mine", "env": "qa"}));
    assert_eq!(j["max_concurrent_runs"], 7);
    assert_eq!(j["schedule"]["pause_status"], "PAUSED");
    let p = &qa.resource("pipelines", "p").unwrap().settings;
    assert_eq!(p["name"], "[qa] p");
    assert_eq!(p["development"], true);
    assert_eq!(p["continuous"], false);
    assert_eq!(p["tags"]["team"], "data");
    assert_eq!(
        qa.resource("schemas", "s").unwrap().settings["name"],
        "qa_raw"
    );
    let c = &qa.resource("clusters", "c").unwrap().settings;
    assert_eq!(c["cluster_name"], "[qa] c");
    assert_eq!(c["custom_tags"]["env"], "qa");

    let dev = load(dir.path(), Some("dev"), &[]).unwrap();
    let p = &dev.resource("pipelines", "p").unwrap().settings;
    assert_eq!(p["name"], "[dev jane_doe] p");
    assert_eq!(p["continuous"], false);
    assert_eq!(p["tags"]["dev"], "jane_doe");
    assert_eq!(
        dev.resource("schemas", "s").unwrap().settings["name"],
        "dev_jane_doe_raw"
    );

    let errs = load(dir.path(), Some("dev_named"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        errs.contains(
            "databricks.yml:27:28: presets.name_prefix: must contain the current user name"
        ),
        "{errs}"
    );
}

#[test]
fn pipeline_root_path_globs_and_for_each_tasks_become_workspace_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: b\ninclude: [resources/*.yml]\n",
            ),
            (
                "resources/p.yml",
                "resources:\n  pipelines:\n    p:\n      root_path: ../src\n      libraries:\n        - glob: {include: ../src/transforms/**}\n        - glob: {include: /Workspace/shared/**}\n  jobs:\n    j:\n      tasks:\n        - task_key: each\n          for_each_task:\n            inputs: '[1, 2]'\n            task:\n              task_key: inner\n              notebook_task: {notebook_path: ../src/nb.py}\n              libraries: [{requirements: ../src/req.txt}]\n",
            ),
            ("src/nb.py", NB),
            ("src/req.txt", "x\n"),
            ("src/transforms/t.py", "x = 1\n"),
        ],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    let files = &b.workspace.file_path;
    let p = &b.resource("pipelines", "p").unwrap().settings;
    assert_eq!(p["root_path"], format!("{files}/src"));
    assert_eq!(
        p["libraries"][0]["glob"]["include"],
        format!("{files}/src/transforms/**")
    );
    assert_eq!(p["libraries"][1]["glob"]["include"], "/Workspace/shared/**");
    let inner = &b.resource("jobs", "j").unwrap().settings["tasks"][0]["for_each_task"]["task"];
    assert_eq!(
        inner["notebook_task"]["notebook_path"],
        format!("{files}/src/nb")
    );
    assert_eq!(
        inner["libraries"][0]["requirements"],
        format!("{files}/src/req.txt")
    );

    write(
        dir.path(),
        &[(
            "resources/p.yml",
            "resources:\n  pipelines:\n    p:\n      root_path: ../src/nb.py\n",
        )],
    );
    let errs = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        errs.contains(
            "resources/p.yml:4:18: resources.pipelines.p.root_path: ../src/nb.py is not a folder"
        ),
        "{errs}"
    );
}

#[test]
fn workspace_paths_get_the_workspace_prefix_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "bundle.yaml",
            "bundle:\n  name: b\nworkspace:\n  root_path: /Users/jane.doe@example.com/.bundle/b\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: /Workspace${workspace.file_path}/nb\n          spark_python_task:\n            python_file: /Workspace/${workspace.root_path}/x.py\n",
        )],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    let root = "/Workspace/Users/jane.doe@example.com/.bundle/b";
    assert_eq!(b.workspace.root_path, root);
    assert_eq!(b.workspace.file_path, format!("{root}/files"));
    let task = &b.resource("jobs", "j").unwrap().settings["tasks"][0];
    assert_eq!(
        task["notebook_task"]["notebook_path"],
        format!("{root}/files/nb")
    );
    assert_eq!(
        task["spark_python_task"]["python_file"],
        format!("{root}/x.py")
    );
}

#[test]
fn zero_concurrent_runs_in_presets_means_unset() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\npresets:\n  jobs_max_concurrent_runs: 0\nresources:\n  jobs:\n    j: {name: j}\ntargets:\n  dev:\n    mode: development\n",
        )],
    );
    let dev = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        dev.resource("jobs", "j").unwrap().settings["max_concurrent_runs"],
        4,
        "development's default, not 0"
    );
}

#[test]
fn include_globs_match_as_the_cli_matches_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: b\ninclude:\n  - 'resources/**/*.yml'\n",
            ),
            (
                "resources/top.yml",
                "resources:\n  jobs:\n    top: {name: top}\n",
            ),
            (
                "resources/a/one.yml",
                "resources:\n  jobs:\n    one: {name: one}\n",
            ),
            (
                "resources/a/b/two.yml",
                "resources:\n  jobs:\n    two: {name: two}\n",
            ),
        ],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    let keys: Vec<&str> = b.resources.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        ["one"],
        "`**` is one segment, as in Go's filepath.Glob"
    );

    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: b\ninclude:\n  - 'resources/a/*'\n",
            ),
            ("resources/a/notes.txt", "x"),
        ],
    );
    let errs = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        errs.contains("include[0]: resources/a/notes.txt is not a YAML or JSON file"),
        "{errs}"
    );
}

#[test]
fn the_variable_overrides_file_beats_target_values_but_not_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: b\nvariables:\n  catalog:\n    default: main\n  size:\n    default: small\n  cluster:\n    type: complex\n    default: {num_workers: 1}\nresources:\n  jobs:\n    j:\n      name: ${var.catalog}-${var.size}\n      job_clusters:\n        - job_cluster_key: c\n          new_cluster: ${var.cluster}\ntargets:\n  qa:\n    variables:\n      catalog: qa_cat\n",
            ),
            (
                ".databricks/bundle/qa/variable-overrides.json",
                "{\"catalog\": \"file_cat\", \"size\": \"large\", \"cluster\": {\"num_workers\": 8}}",
            ),
        ],
    );
    let b = load(dir.path(), Some("qa"), &[]).unwrap();
    let j = &b.resource("jobs", "j").unwrap().settings;
    assert_eq!(j["name"], "file_cat-large");
    assert_eq!(j["job_clusters"][0]["new_cluster"]["num_workers"], 8);
    let b = load(dir.path(), Some("qa"), &[("size", "tiny")]).unwrap();
    assert_eq!(
        b.resource("jobs", "j").unwrap().settings["name"],
        "file_cat-tiny"
    );

    write(
        dir.path(),
        &[(
            ".databricks/bundle/qa/variable-overrides.json",
            "{\"size\": {\"x\": 1}, \"nope\": 1}",
        )],
    );
    let errs = load(dir.path(), Some("qa"), &[]).unwrap_err().to_string();
    assert!(
        errs.contains("size: the variable is not of type complex"),
        "{errs}"
    );
    assert!(
        errs.contains("nope: the variable overrides file sets a variable that is not declared"),
        "{errs}"
    );
}

#[test]
fn a_volume_path_is_computed_for_references_and_cannot_be_set() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nresources:\n  schemas:\n    raw: {name: raw, catalog_name: main}\n  volumes:\n    landing:\n      name: landing\n      catalog_name: main\n      schema_name: ${resources.schemas.raw.name}\n  jobs:\n    j:\n      name: j\n      parameters:\n        - {name: in, default: '${resources.volumes.landing.volume_path}/in'}\ntargets:\n  dev:\n    mode: development\n",
        )],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        b.resource("jobs", "j").unwrap().settings["parameters"][0]["default"],
        "/Volumes/main/dev_jane_doe_raw/landing/in"
    );
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nresources:\n  volumes:\n    v: {name: v, catalog_name: c, schema_name: s, volume_path: /Volumes/x}\n",
        )],
    );
    let errs = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        errs.contains("resources.volumes.v.volume_path: is computed and read-only"),
        "{errs}"
    );
}

#[test]
fn workspace_host_is_the_workspace_brickci_talks_to_unless_the_bundle_says() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "databricks.yml",
            "bundle:\n  name: b\nresources:\n  jobs:\n    j: {name: '${workspace.host}'}\n",
        )],
    );
    let b = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        b.resource("jobs", "j").unwrap().settings["name"],
        "https://adb-1.2.azuredatabricks.net"
    );
}

#[test]
fn a_notebook_over_the_import_limit_is_named_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        "{NB}{}",
        "#".repeat(super::local_file::IMPORT_LIMIT as usize)
    );
    write(
        dir.path(),
        &[
            (
                "databricks.yml",
                "bundle:\n  name: b\nresources:\n  jobs:\n    j:\n      tasks:\n        - task_key: t\n          notebook_task: {notebook_path: ./big.py}\n",
            ),
            ("big.py", &big),
        ],
    );
    let errs = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        errs.contains("databricks.yml:8:42: resources.jobs.j.tasks[0].notebook_task.notebook_path: ./big.py is")
            && errs.contains("the workspace imports notebooks up to 10485760 bytes"),
        "{errs}"
    );
}
