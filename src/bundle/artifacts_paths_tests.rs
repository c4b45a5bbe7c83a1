//! Artifacts, paths and validate's output as the Databricks CLI's `bundle validate` has them,
//! each on a bundle written here.

use serde_json::json;

use super::tests::{bundle, load};

fn root(dir: &tempfile::TempDir) -> String {
    dir.path().canonicalize().unwrap().display().to_string()
}

#[test]
fn artifacts_print_absolute_paths_with_globs_expanded_when_nothing_is_built() {
    let dir = bundle(&[
        (
            "databricks.yml",
            "bundle: {name: a}\ninclude: [conf/art.yml]\npresets: {artifacts_dynamic_version: true}\n",
        ),
        (
            "conf/art.yml",
            "artifacts:\n  made:\n    build: make\n    files:\n      - source: out/lib.jar\n  found:\n    files:\n      - source: 'data/*.txt'\n  wheel:\n    type: whl\n    build: true\n",
        ),
        ("conf/data/b.txt", ""),
        ("conf/data/a.txt", ""),
    ]);
    let b = load(dir.path(), None, &[]).unwrap();
    let r = root(&dir);
    let a = &super::validate_json(&b)["artifacts"];
    assert_eq!(
        a["made"],
        json!({"build": "make", "path": r, "files": [{"source": format!("{r}/conf/out/lib.jar")}]})
    );
    assert_eq!(
        a["found"]["files"],
        json!([{"source": format!("{r}/conf/data/a.txt")}, {"source": format!("{r}/conf/data/b.txt")}])
    );
    // `build: true` is the command `true`; a wheel gets the default glob and the preset.
    assert_eq!(
        a["wheel"],
        json!({"build": "true", "type": "whl", "path": r, "dynamic_version": true,
               "files": [{"source": format!("{r}/dist/*.whl")}]})
    );
    assert_eq!(a["found"].get("dynamic_version"), None);
}

#[test]
fn an_artifact_glob_nothing_matches_without_a_build_is_an_error_at_its_place() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: a}\nartifacts:\n  x:\n    files:\n      - source: 'b*.txt'\n",
    )]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("databricks.yml:5:17: artifacts.x.files[0].source: b*.txt: no matching files"),
        "{e}"
    );
}

#[test]
fn an_artifact_with_nothing_under_it_is_refused() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: a}\nartifacts:\n  empty:\n  # build: later\n",
    )]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("artifacts.empty: artifact not properly configured"),
        "{e}"
    );
}

#[test]
fn a_resource_with_nothing_under_it_is_not_defined() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: a}\nresources:\n  pipelines:\n    p:\n  jobs:\n    j: {name: j}\n",
    )]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("resources.pipelines.p: pipeline p is not defined"),
        "{e}"
    );
}

#[test]
fn required_fields_the_api_needs_are_deploy_refusals_and_volume_paths_leave_them_empty() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: a}\nresources:\n  volumes:\n    v:\n      comment: c\n  schemas:\n    s: {name: s}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let refused = b.warnings.deploy_refusals().to_string();
    for key in [
        "resources.volumes.v.name: is required",
        "resources.volumes.v.catalog_name: is required",
        "resources.schemas.s.catalog_name: is required",
    ] {
        assert!(refused.contains(key), "{refused}");
    }
    // Deploy refusals only: validate warns about nothing else here.
    assert_eq!(
        b.warnings.deploy_refusals().0.len(),
        b.warnings.warnings().count()
    );
    let v = &super::validate_json(&b)["resources"]["volumes"]["v"];
    assert_eq!(v["volume_path"], "/Volumes///");
}

#[test]
fn an_unnamed_pipeline_is_named_after_its_key_for_the_deploy_only() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: a}\nresources:\n  pipelines:\n    taxis: {catalog: c}\n    named: {name: given}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        b.resource("pipelines", "taxis").unwrap().settings["name"],
        "taxis"
    );
    let out = super::validate_json(&b);
    assert_eq!(out["resources"]["pipelines"]["taxis"].get("name"), None);
    assert_eq!(out["resources"]["pipelines"]["named"]["name"], "given");
}

#[test]
fn a_designer_notebook_keeps_its_suffix_in_the_workspace() {
    let dir = bundle(&[
        (
            "databricks.yml",
            "bundle: {name: d}\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: a\n          notebook_task: {notebook_path: ./src/flow.designer.ipynb}\n        - task_key: b\n          notebook_task: {notebook_path: ./src/plain.ipynb}\n",
        ),
        ("src/flow.designer.ipynb", "{\"cells\": []}"),
        ("src/plain.ipynb", "{\"cells\": []}"),
    ]);
    let b = load(dir.path(), None, &[]).unwrap();
    let tasks = &b.resource("jobs", "j").unwrap().settings["tasks"];
    let files = &b.workspace.file_path;
    assert_eq!(
        tasks[0]["notebook_task"]["notebook_path"],
        format!("{files}/src/flow.designer.ipynb")
    );
    assert_eq!(
        tasks[1]["notebook_task"]["notebook_path"],
        format!("{files}/src/plain")
    );
}

#[test]
fn a_bare_relative_name_is_a_local_path_that_must_exist() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: d}\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: a\n          notebook_task: {notebook_path: my notebook}\n",
    )]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(e.contains("my notebook does not exist"), "{e}");
}

#[test]
fn local_libraries_on_a_runtime_before_13_1_are_refused_unless_the_wrapper_is_on() {
    let yml = |extra: &str, version: &str| {
        format!(
            "bundle: {{name: w}}\n{extra}resources:\n  clusters:\n    c: {{spark_version: {version}, num_workers: 1}}\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          existing_cluster_id: ${{resources.clusters.c.id}}\n          python_wheel_task: {{package_name: p, entry_point: e}}\n          libraries:\n            - whl: ./dist/*.whl\n"
        )
    };
    let dir = bundle(&[("databricks.yml", &yml("", "12.2.x-scala2.12"))]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("task t uses incompatible DBR version 12.2.x-scala2.12"),
        "{e}"
    );
    for (extra, version) in [
        ("", "14.2.x-scala2.12"),
        (
            "experimental: {python_wheel_wrapper: true}\n",
            "12.2.x-scala2.12",
        ),
    ] {
        let dir = bundle(&[("databricks.yml", &yml(extra, version))]);
        load(dir.path(), None, &[]).unwrap();
    }
}

#[test]
fn the_bundle_is_found_from_a_folder_inside_it() {
    let dir = bundle(&[
        ("databricks.yml", "bundle: {name: up}\n"),
        ("resources/.keep", ""),
    ]);
    let b = load(&dir.path().join("resources"), None, &[]).unwrap();
    assert_eq!(b.name, "up");
    assert_eq!(b.bundle_dir, dir.path().canonicalize().unwrap());
}

#[test]
fn skip_name_prefix_for_schema_may_come_from_a_variable() {
    let yml = "bundle: {name: s}\nvariables:\n  skip: {default: false}\nexperimental:\n  skip_name_prefix_for_schema: ${var.skip}\nresources:\n  schemas:\n    s: {name: sales, catalog_name: main}\ntargets:\n  dev: {mode: development, default: true}\n";
    let dir = bundle(&[("databricks.yml", yml)]);
    let name = |vars: &[(&str, &str)]| {
        let b = load(dir.path(), None, vars).unwrap();
        b.resource("schemas", "s").unwrap().settings["name"].clone()
    };
    assert_eq!(name(&[]), "dev_jane_doe_sales");
    assert_eq!(name(&[("skip", "true")]), "sales");
}

#[test]
fn a_bundle_folder_whose_path_reads_as_a_glob_is_refused() {
    let dir = bundle(&[("[abc]/databricks.yml", "bundle: {name: g}\n")]);
    let e = load(&dir.path().join("[abc]"), None, &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("glob pattern character '['"), "{e}");
}

#[test]
fn a_top_level_permission_for_a_principal_a_job_names_is_a_warning_and_the_job_level_kept() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: p}\npermissions:\n  - {level: CAN_MANAGE, user_name: a@x.com}\nresources:\n  jobs:\n    j:\n      name: j\n      permissions:\n        - {level: CAN_VIEW, user_name: a@x.com}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let w: Vec<String> = b.warnings.warnings().map(|w| w.to_string()).collect();
    let w = w.join("\n");
    assert!(
        w.contains("databricks.yml:3:5: permissions: 'jobs' already has permissions set for 'a@x.com' user name"),
        "{w}"
    );
    let printed = &super::validate_json(&b)["resources"]["jobs"]["j"]["permissions"];
    assert_eq!(
        printed,
        &json!([
            {"level": "CAN_VIEW", "user_name": "a@x.com"},
            {"level": "IS_OWNER", "user_name": "jane.doe@example.com"}
        ])
    );
}
