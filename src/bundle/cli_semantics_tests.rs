//! Behaviours learnt from the Databricks CLI's `bundle validate` acceptance cases, each on a
//! bundle written here.

use super::tests::{bundle, load};

#[test]
fn a_declared_value_is_final_and_may_be_a_map_without_a_type() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: v}\nvariables:\n  size:\n    value: large\n  cluster:\n    value:\n      node_type_id: n2\n      num_workers: 3\nresources:\n  jobs:\n    j:\n      name: j-${var.size}\n      job_clusters:\n        - job_cluster_key: c\n          new_cluster: ${var.cluster}\ntargets:\n  dev:\n    variables:\n      size: small\n",
    )]);
    let b = load(dir.path(), Some("dev"), &[]).unwrap();
    let j = &b.resource("jobs", "j").unwrap().settings;
    assert_eq!(j["name"], "j-large");
    assert_eq!(j["job_clusters"][0]["new_cluster"]["num_workers"], 3);
    let errs = load(dir.path(), Some("dev"), &[("size", "tiny")])
        .unwrap_err()
        .to_string();
    assert!(
        errs.contains("size: the variable already has a value"),
        "{errs}"
    );
}

#[test]
fn map_defaults_without_a_type_refer_to_each_other() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: x}\nvariables:\n  a:\n    default:\n      a_1: 500\n      a_2: ${var.b.b_2}\n  b:\n    default:\n      b_1: ${var.a.a_1}\n      b_2: 2.5\nresources:\n  jobs:\n    j:\n      name: j\n      tags:\n        from_a: ${var.a.a_2}\n        from_b: ${var.b.b_1}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let tags = &b.resource("jobs", "j").unwrap().settings["tags"];
    assert_eq!(tags["from_a"], 2.5);
    assert_eq!(tags["from_b"], 500);
}

#[test]
fn run_as_names_exactly_one_identity() {
    let cases = [
        ("run_as: {}\n", Some("neither is set")),
        ("run_as:\n  user_name: \"\"\n", Some("neither is set")),
        (
            "run_as:\n  service_principal_name: \"\"\n  user_name: \"\"\n",
            Some("neither is set"),
        ),
        (
            "run_as:\n  service_principal_name: sp\n  user_name: me@example.com\n",
            Some("not both"),
        ),
        ("run_as:\n  service_principal_name: sp\n", None),
    ];
    for (run_as, want) in cases {
        let dir = bundle(&[(
            "databricks.yml",
            &format!("bundle: {{name: r}}\n{run_as}resources:\n  jobs:\n    j: {{name: j}}\n"),
        )]);
        match (load(dir.path(), None, &[]), want) {
            (Ok(_), None) => {}
            (Err(e), Some(w)) => {
                let e = e.to_string();
                assert!(
                    e.contains("databricks.yml:") && e.contains(w),
                    "{run_as}: {e}"
                );
            }
            (r, w) => panic!("{run_as}: got ok={}, wanted error {w:?}", r.is_ok()),
        }
    }
}

#[test]
fn the_engine_is_terraform_or_direct_in_the_bundle_or_a_target() {
    let ok = bundle(&[(
        "databricks.yml",
        "bundle:\n  name: e\n  engine: direct\ntargets:\n  a:\n    default: true\n  b:\n    bundle:\n      engine: terraform\n",
    )]);
    load(ok.path(), Some("a"), &[]).unwrap();
    load(ok.path(), Some("b"), &[]).unwrap();
    let bad = bundle(&[(
        "databricks.yml",
        "bundle:\n  name: e\ntargets:\n  default:\n    bundle:\n      engine: invalid_engine\n",
    )]);
    let e = load(bad.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("databricks.yml:6:15: bundle.engine: must be \"terraform\" or \"direct\""),
        "{e}"
    );
}

#[test]
fn a_dbt_project_directory_may_be_the_bundle_folder_from_a_subfolder() {
    let dir = bundle(&[
        (
            "databricks.yml",
            "bundle: {name: dbt}\ninclude:\n  - resources/*.yml\n",
        ),
        (
            "resources/job.yml",
            "resources:\n  jobs:\n    dbt_job:\n      name: dbt_job\n      tasks:\n        - task_key: dbt\n          dbt_task:\n            project_directory: ../\n            commands: [\"dbt deps\"]\n",
        ),
    ]);
    let b = load(dir.path(), None, &[]).unwrap();
    let task = &b.resource("jobs", "dbt_job").unwrap().settings["tasks"][0];
    assert_eq!(
        task["dbt_task"]["project_directory"],
        b.workspace.file_path.clone()
    );
    // One level further up is outside.
    std::fs::write(
        dir.path().join("resources/job.yml"),
        "resources:\n  jobs:\n    dbt_job:\n      name: dbt_job\n      tasks:\n        - task_key: dbt\n          dbt_task:\n            project_directory: ../../\n",
    )
    .unwrap();
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(e.contains("resources/job.yml:8:32"), "{e}");
    assert!(e.contains("is outside the bundle's folder"), "{e}");
}

#[test]
fn a_library_an_artifact_builds_need_not_exist_at_validate() {
    let job = "resources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          spark_jar_task: {main_class_name: a.B}\n          libraries:\n            - jar: ./target/app.jar\n";
    let with_artifact = format!(
        "bundle: {{name: jar}}\nartifacts:\n  app:\n    type: jar\n    build: mvn package\n    files:\n      - source: ./target/app.jar\n{job}"
    );
    let dir = bundle(&[("databricks.yml", &with_artifact)]);
    load(dir.path(), None, &[]).unwrap();
    // Without an artifact that makes it, a deploy refuses it at its place (validate warns).
    let dir = bundle(&[("databricks.yml", &format!("bundle: {{name: jar}}\n{job}"))]);
    let e = load(dir.path(), None, &[])
        .unwrap()
        .warnings
        .deploy_refusals()
        .to_string();
    assert!(
        e.contains("databricks.yml:10:20: resources.jobs.j.tasks[0].libraries[0].jar: ./target/app.jar does not exist"),
        "{e}"
    );
}

#[test]
fn job_items_merge_by_key_after_references_are_resolved() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: m}\nvariables:\n  mykey:\n    default: key\n  cluster:\n    type: complex\n    default: {node_type_id: n2, num_workers: 2}\nresources:\n  jobs:\n    by_var:\n      name: a\n      job_clusters:\n        - job_cluster_key: key\n          new_cluster: {spark_version: 13.3.x-scala2.12}\n    keyless:\n      name: b\n      job_clusters:\n        - new_cluster: {node_type_id: random, spark_version: 13.3.x-scala2.12}\ntargets:\n  dev:\n    resources:\n      jobs:\n        by_var:\n          job_clusters:\n            - job_cluster_key: ${var.mykey}\n              new_cluster: {node_type_id: i3.xlarge, num_workers: 1}\n        keyless:\n          job_clusters:\n            - new_cluster: ${var.cluster}\n",
    )]);
    let b = load(dir.path(), Some("dev"), &[]).unwrap();
    let by_var = &b.resource("jobs", "by_var").unwrap().settings["job_clusters"];
    assert_eq!(
        by_var,
        &serde_json::json!([{"job_cluster_key": "key", "new_cluster": {"spark_version": "13.3.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}}])
    );
    let keyless = &b.resource("jobs", "keyless").unwrap().settings["job_clusters"];
    assert_eq!(
        keyless,
        &serde_json::json!([{"job_cluster_key": "", "new_cluster": {"spark_version": "13.3.x-scala2.12", "node_type_id": "n2", "num_workers": 2}}])
    );
}

#[test]
fn only_the_artifact_path_may_be_a_volume() {
    for field in ["root_path", "file_path", "state_path", "resource_path"] {
        let dir = bundle(&[(
            "databricks.yml",
            &format!("bundle: {{name: v}}\nworkspace:\n  {field}: /Volumes/main/default/x\n"),
        )]);
        let e = load(dir.path(), None, &[]).unwrap_err().to_string();
        assert!(
            e.contains("databricks.yml:3:")
                && e.contains(&format!(
                    "workspace.{field}: /Volumes/main/default/x is a volume path"
                )),
            "{field}: {e}"
        );
    }
    let ok = bundle(&[(
        "databricks.yml",
        "bundle: {name: v}\nworkspace:\n  artifact_path: /Volumes/main/default/artifacts\n",
    )]);
    load(ok.path(), None, &[]).unwrap();
}

#[test]
fn deployment_ids_are_reserved() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: r}\nresources:\n  jobs:\n    j:\n      name: j\n      deployment:\n        kind: BUNDLE\n        deployment_id: dep-1\n  pipelines:\n    p:\n      name: p\n      deployment:\n        version_id: v-1\n",
    )]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains(
            "databricks.yml:8:24: resources.jobs.j.deployment.deployment_id: is set by the deploy"
        ),
        "{e}"
    );
    assert!(
        e.contains("databricks.yml:13:21: resources.pipelines.p.deployment.version_id: is set by the deploy"),
        "{e}"
    );
}

#[test]
fn a_loop_through_map_values_is_left_unresolved_but_a_string_loop_is_an_error() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: c}\nvariables:\n  a:\n    default:\n      hello: ${var.b}\n  b:\n    default:\n      hello: ${var.a}\n  odd:\n    type: INVALID_TYPE\n    default: x\n",
    )]);
    load(dir.path(), None, &[]).unwrap();
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: c}\nvariables:\n  a:\n    default: ${var.b}\n  b:\n    default: ${var.a}\n",
    )]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(e.contains("is part of a reference loop"), "{e}");
}

#[test]
fn validate_json_shows_the_targets_value_as_the_default_and_no_borrowed_host() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: j}\nvariables:\n  tail:\n    default: x\n  size:\n    default: s\ntargets:\n  y:\n    variables:\n      tail: y\n      size: {default: m}\n",
    )]);
    let b = load(dir.path(), Some("y"), &[]).unwrap();
    let doc = super::validate_json(&b);
    assert_eq!(
        doc["variables"]["tail"],
        serde_json::json!({"default": "y", "value": "y"})
    );
    assert_eq!(
        doc["variables"]["size"],
        serde_json::json!({"default": "m", "value": "m"})
    );
    assert!(
        doc["workspace"].get("host").is_none(),
        "{}",
        doc["workspace"]
    );
    let set = bundle(&[(
        "databricks.yml",
        "bundle: {name: j}\nworkspace:\n  host: https://adb-1.2.azuredatabricks.net\n",
    )]);
    let doc = super::validate_json(&load(set.path(), None, &[]).unwrap());
    assert_eq!(
        doc["workspace"]["host"],
        "https://adb-1.2.azuredatabricks.net"
    );
}

#[test]
fn pipeline_library_globs_become_one_library_per_file() {
    let nb = "# Databricks notebook source\nprint(1)\n";
    let dir = bundle(&[
        (
            "databricks.yml",
            "bundle: {name: g}\ninclude: [resources/*.yml]\n",
        ),
        (
            "resources/p.yml",
            "resources:\n  pipelines:\n    p:\n      name: p\n      libraries:\n        - notebook: {path: ../notebooks/*}\n        - file: {path: ../files/*.py}\n        - notebook: {path: /Workspace/Shared/*.ipynb}\n",
        ),
        ("notebooks/b.py", nb),
        ("notebooks/a.py", nb),
        ("files/x.py", "print(2)\n"),
        ("files/y.txt", "not python\n"),
    ]);
    let b = load(dir.path(), None, &[]).unwrap();
    let fp = &b.workspace.file_path;
    assert_eq!(
        b.resource("pipelines", "p").unwrap().settings["libraries"],
        serde_json::json!([
            {"notebook": {"path": format!("{fp}/notebooks/a")}},
            {"notebook": {"path": format!("{fp}/notebooks/b")}},
            {"file": {"path": format!("{fp}/files/x.py")}},
            {"notebook": {"path": "/Workspace/Shared/*.ipynb"}},
        ])
    );
}

#[test]
fn a_pipeline_file_library_may_not_be_a_notebook() {
    let dir = bundle(&[
        (
            "databricks.yml",
            "bundle: {name: f}\nresources:\n  pipelines:\n    p:\n      name: p\n      libraries:\n        - file: {path: ./notebooks/loader.py}\n",
        ),
        (
            "notebooks/loader.py",
            "# Databricks notebook source\nprint(1)\n",
        ),
    ]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("databricks.yml:7:24: resources.pipelines.p.libraries[0].file.path: ./notebooks/loader.py is a notebook"),
        "{e}"
    );
}

#[test]
fn a_project_folder_is_not_a_file_to_upload_on_its_own() {
    let dir = bundle(&[
        (
            "databricks.yml",
            "bundle: {name: d}\ninclude: [resources/*.yml]\n",
        ),
        (
            "resources/j.yml",
            "resources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: a\n          dbt_task: {project_directory: ../, commands: [dbt run]}\n        - task_key: b\n          dbt_task: {project_directory: ../dbt, commands: [dbt run]}\n",
        ),
        ("dbt/dbt_project.yml", "name: x\n"),
    ]);
    let b = load(dir.path(), None, &[]).unwrap();
    assert!(b.referenced.is_empty(), "{:?}", b.referenced);
}

#[test]
fn what_only_the_api_refuses_is_a_warning_at_validate_and_an_error_for_deploy() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: d}\nworkspace:\n  root_path: shared/${bundle.name}\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - notebook_task: {notebook_path: /Shared/nb}\n          run_if: SOMETIMES\n  secret_scopes:\n    s:\n      name: s\n      permissions:\n        - level: 7\n          group_name: users\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let warned: Vec<String> = b.warnings.warnings().map(ToString::to_string).collect();
    for want in [
        "workspace.root_path: must be an absolute workspace path",
        "resources.jobs.j.tasks[0].task_key: is required",
        "resources.jobs.j.tasks[0].run_if: unknown value \"SOMETIMES\"",
        "resources.secret_scopes.s.permissions[0].level: unknown permission level \"7\"",
    ] {
        assert!(
            warned.iter().any(|w| w.contains(want)),
            "{want}: {warned:?}"
        );
    }
    // Printed as the CLI prints it: the unset task key as "", the path as written.
    let j = &b.resource("jobs", "j").unwrap().settings;
    assert_eq!(j["tasks"][0]["task_key"], "");
    assert_eq!(b.workspace.root_path, "shared/d");
    // Checked before and after references are resolved: each is shown once.
    let refused = b.warnings.clone().for_deploy().unwrap_err();
    let distinct: std::collections::BTreeSet<String> =
        refused.errors().map(ToString::to_string).collect();
    assert_eq!(distinct.len(), 4, "{refused}");
}

#[test]
fn a_reference_built_from_a_reference_is_resolved_in_turn() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: n}\nvariables:\n  region: {default: eu}\n  bucket_eu: {default: data-eu}\n  bucket_us: {default: data-us}\n  bucket: {default: \"s3://${var.bucket_${var.region}}/raw\"}\nresources:\n  jobs:\n    j:\n      name: j\n      tags: {where: \"${var.bucket}\"}\ntargets:\n  eu: {default: true}\n  us:\n    variables:\n      region: us\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        b.resource("jobs", "j").unwrap().settings["tags"]["where"],
        "s3://data-eu/raw"
    );
    let b = load(dir.path(), Some("us"), &[]).unwrap();
    assert_eq!(
        b.resource("jobs", "j").unwrap().settings["tags"]["where"],
        "s3://data-us/raw"
    );
}

#[test]
fn an_optional_field_set_to_an_empty_variable_is_left_out_but_a_tag_keeps_it() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: e}\nvariables:\n  policy: {default: \"\"}\nresources:\n  clusters:\n    c:\n      spark_version: 15.4.x-scala2.12\n      num_workers: 1\n      policy_id: ${var.policy}\n      custom_tags: {policy: \"${var.policy}\"}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let c = &b.resource("clusters", "c").unwrap().settings;
    assert!(c.get("policy_id").is_none(), "{c}");
    assert_eq!(c["custom_tags"]["policy"], "");
}

#[test]
fn a_resource_that_is_not_a_map_is_dropped_with_a_warning_and_a_target_map_taken() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: m}\nresources:\n  clusters:\n    c: placeholder\ntargets:\n  dev:\n    resources:\n      clusters:\n        c:\n          spark_version: 15.4.x-scala2.12\n          num_workers: 2\n",
    )]);
    let b = load(dir.path(), Some("dev"), &[]).unwrap();
    assert_eq!(
        b.resource("clusters", "c").unwrap().settings["num_workers"],
        2
    );
    let warned: Vec<String> = b.warnings.warnings().map(ToString::to_string).collect();
    assert!(
        warned.iter().any(|w| w
            == "databricks.yml:4:8: resources.clusters.c: expected map, found a string (ignored)"),
        "{warned:?}"
    );
}

#[test]
fn a_complex_variable_in_a_target_may_be_written_as_a_definition() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: c}\nvariables:\n  cluster:\n    type: complex\n    default: {num_workers: 1}\nresources:\n  jobs:\n    j:\n      name: j\n      job_clusters:\n        - job_cluster_key: k\n          new_cluster: ${var.cluster}\ntargets:\n  as_value:\n    variables:\n      cluster: {num_workers: 2}\n  as_definition:\n    variables:\n      cluster:\n        default: {num_workers: 3}\n",
    )]);
    for (target, workers) in [("as_value", 2), ("as_definition", 3)] {
        let b = load(dir.path(), Some(target), &[]).unwrap();
        let j = &b.resource("jobs", "j").unwrap().settings;
        assert_eq!(
            j["job_clusters"][0]["new_cluster"],
            serde_json::json!({"num_workers": workers})
        );
    }
}

#[test]
fn a_field_of_a_complex_list_item_is_reachable_and_a_repeated_key_takes_the_last_value() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: l}\nvariables:\n  libs:\n    type: complex\n    default:\n      - whl: /Shared/a.whl\n      - jar: /Shared/b.jar\nresources:\n  jobs:\n    j:\n      name: first\n      name: \"uses ${var.libs[1].jar}\"\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    assert_eq!(
        b.resource("jobs", "j").unwrap().settings["name"],
        "uses /Shared/b.jar"
    );
    let warned: Vec<String> = b.warnings.warnings().map(ToString::to_string).collect();
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("databricks.yml:12:7: duplicate mapping key: name")),
        "{warned:?}"
    );
}

#[test]
fn a_script_env_may_refer_only_to_what_is_known_before_the_script() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: s}\nvariables:\n  who: {default: ci}\nscripts:\n  hello:\n    env:\n      WHO: ${var.who}\n      WHERE: ${workspace.root_path}\n      LATER: ${resources.jobs.j.id}\n      ELSE: ${something.else}\n    content: echo hi\nresources:\n  jobs:\n    j: {name: j}\n",
    )]);
    let e = load(dir.path(), None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("scripts.hello.env.LATER: ${resources.jobs.j.id} cannot be used"),
        "{e}"
    );
    assert!(
        e.contains("scripts.hello.env.ELSE: ${something.else} cannot be used"),
        "{e}"
    );
    assert!(!e.contains("env.WHO") && !e.contains("env.WHERE"), "{e}");
}

#[test]
fn job_clusters_drop_unknown_fields_and_get_zero_workers_unless_autoscaled() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: w}\nresources:\n  jobs:\n    j:\n      name: j\n      job_clusters:\n        - job_cluster_key: single\n          spark_version: 15.4.x-scala2.12\n          new_cluster: {node_type_id: n1}\n        - job_cluster_key: auto\n          new_cluster:\n            node_type_id: n1\n            autoscale: {min_workers: 1, max_workers: 2}\n        - job_cluster_key: fixed\n          new_cluster: {node_type_id: n1, num_workers: 3}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let c = &b.resource("jobs", "j").unwrap().settings["job_clusters"];
    assert_eq!(
        c[0],
        serde_json::json!({"job_cluster_key": "single", "new_cluster": {"node_type_id": "n1", "num_workers": 0}})
    );
    assert!(c[1]["new_cluster"].get("num_workers").is_none());
    assert_eq!(c[2]["new_cluster"]["num_workers"], 3);
    let warned: Vec<String> = b.warnings.warnings().map(ToString::to_string).collect();
    assert!(
        warned.iter().any(|w| w
            == "databricks.yml:8:11: resources.jobs.j.job_clusters[0]: unknown field: spark_version (ignored)"),
        "{warned:?}"
    );
}

#[test]
fn spark_conf_values_are_text_even_from_a_complex_variable() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: t}\nvariables:\n  conf:\n    type: complex\n    default: {spark.speculation: true, spark.task.cpus: 2}\nresources:\n  jobs:\n    j:\n      name: j\n      job_clusters:\n        - job_cluster_key: k\n          new_cluster:\n            num_workers: 1\n            spark_conf: ${var.conf}\n            custom_tags: {cost_center: 42}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let c = &b.resource("jobs", "j").unwrap().settings["job_clusters"][0]["new_cluster"];
    assert_eq!(
        c["spark_conf"],
        serde_json::json!({"spark.speculation": "true", "spark.task.cpus": "2"})
    );
    assert_eq!(c["custom_tags"]["cost_center"], "42");
    assert_eq!(c["num_workers"], 1);
}

#[test]
fn a_number_or_boolean_given_as_text_is_sent_as_the_field_takes_it() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: n}\nvariables:\n  quiet: {}\n  low: {}\n  bid: {}\nresources:\n  jobs:\n    j:\n      name: j\n      notification_settings:\n        no_alert_for_canceled_runs: ${var.quiet}\n      tags: {low: \"${var.low}\"}\n      tasks:\n        - task_key: t\n          notebook_task: {notebook_path: /Shared/nb}\n          new_cluster:\n            autoscale: {min_workers: \"${var.low}\", max_workers: 4}\n            azure_attributes: {spot_bid_max_price: \"${var.bid}\"}\n",
    )]);
    let b = load(
        dir.path(),
        None,
        &[("quiet", "true"), ("low", "1"), ("bid", "0.5")],
    )
    .unwrap();
    let j = &b.resource("jobs", "j").unwrap().settings;
    assert_eq!(
        j["notification_settings"]["no_alert_for_canceled_runs"],
        true
    );
    let c = &j["tasks"][0]["new_cluster"];
    assert_eq!(
        c["autoscale"],
        serde_json::json!({"min_workers": 1, "max_workers": 4})
    );
    assert_eq!(c["azure_attributes"]["spot_bid_max_price"], 0.5);
    // Text fields stay text.
    assert_eq!(j["tags"]["low"], "1");
}

#[test]
fn validate_json_prints_resource_references_as_written_and_the_deploy_resolves_them() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: r}\nvariables:\n  a:\n    default: ${resources.schemas.bar.name}\nresources:\n  schemas:\n    bar:\n      catalog_name: main\n      name: bar\n    foo:\n      catalog_name: main\n      name: foo\n      comment: from ${var.a}\n  volumes:\n    v:\n      catalog_name: main\n      schema_name: bar\n      name: v\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    // What is deployed is resolved...
    let foo = &b.resource("schemas", "foo").unwrap().settings;
    assert_eq!(foo["comment"], "from bar");
    assert_eq!(
        b.resource("volumes", "v").unwrap().settings["schema_name"],
        "bar"
    );
    // ...what validate prints keeps the references, as the CLI's does.
    let doc = super::validate_json(&b);
    assert_eq!(
        doc["resources"]["schemas"]["foo"]["comment"],
        "from ${resources.schemas.bar.name}"
    );
    assert_eq!(
        doc["variables"]["a"]["value"],
        "${resources.schemas.bar.name}"
    );
    // A literal name of the bundle's own schema is a reference (the CLI's UC dependencies);
    // the path derived from it is printed resolved.
    let v = &doc["resources"]["volumes"]["v"];
    assert_eq!(v["schema_name"], "${resources.schemas.bar.name}");
    assert_eq!(v["volume_path"], "/Volumes/main/bar/v");
}

#[test]
fn names_brickci_takes_from_the_key_are_printed_as_the_cli_holds_them() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: n}\nresources:\n  jobs:\n    nightly: {}\n  clusters:\n    shared: {spark_version: '15.4.x-scala2.12'}\n  pipelines:\n    etl: {}\ntargets:\n  prod: {}\n  dev:\n    mode: development\n",
    )]);
    let b = load(dir.path(), Some("prod"), &[]).unwrap();
    // The deploy names them after their keys (to find a lost create by name again)...
    assert_eq!(
        b.resource("jobs", "nightly").unwrap().settings["name"],
        "nightly"
    );
    assert_eq!(
        b.resource("clusters", "shared").unwrap().settings["cluster_name"],
        "shared"
    );
    // ...validate prints the CLI's view: a job is "Untitled", the others have no name.
    let doc = super::validate_json(&b);
    assert_eq!(doc["resources"]["jobs"]["nightly"]["name"], "Untitled");
    assert!(
        doc["resources"]["clusters"]["shared"]
            .get("cluster_name")
            .is_none()
    );
    assert!(doc["resources"]["pipelines"]["etl"].get("name").is_none());
    // In development mode the CLI prefixes the empty name.
    let dev = super::validate_json(&load(dir.path(), Some("dev"), &[]).unwrap());
    let name = dev["resources"]["jobs"]["nightly"]["name"]
        .as_str()
        .unwrap();
    assert!(name.starts_with("[dev ") && name.ends_with("] "), "{name}");
}

#[test]
fn an_empty_required_name_and_an_artifact_file_without_source_pass_validate_and_stop_a_deploy() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: r}\nartifacts:\n  a:\n    files:\n      - {}\nresources:\n  models:\n    m:\n      name: \"\"\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let refused = b.warnings.clone().for_deploy().unwrap_err().to_string();
    assert!(
        refused
            .contains("databricks.yml:9:13: resources.models.m.name: must be a non-empty string"),
        "{refused}"
    );
    assert!(
        refused.contains("databricks.yml:5:9: artifacts.a.files[0].source: is required"),
        "{refused}"
    );
}

#[test]
fn legacy_run_as_hands_pipelines_to_the_identity_and_refuses_nothing() {
    let dir = bundle(&[(
        "databricks.yml",
        "bundle: {name: l}\nrun_as:\n  service_principal_name: sp-app\nexperimental:\n  use_legacy_run_as: true\nresources:\n  pipelines:\n    p:\n      name: p\n      permissions:\n        - {level: CAN_VIEW, service_principal_name: sp-app}\n        - {level: CAN_VIEW, user_name: viewer@example.com}\n  jobs:\n    j: {name: j}\n  model_serving_endpoints:\n    e: {name: e}\n",
    )]);
    let b = load(dir.path(), None, &[]).unwrap();
    let warned: Vec<String> = b.warnings.warnings().map(ToString::to_string).collect();
    assert!(
        warned.iter().any(|w| w.contains(
            "databricks.yml:5:22: experimental.use_legacy_run_as: legacy run_as is experimental"
        )),
        "{warned:?}"
    );
    let doc = super::validate_json(&b);
    let p = &doc["resources"]["pipelines"]["p"];
    assert!(p.get("run_as").is_none(), "{p}");
    assert_eq!(
        p["permissions"],
        serde_json::json!([
            {"level": "CAN_VIEW", "user_name": "viewer@example.com"},
            {"level": "IS_OWNER", "service_principal_name": "sp-app"},
            {"level": "CAN_MANAGE", "user_name": "jane.doe@example.com"},
        ])
    );
    assert_eq!(
        doc["resources"]["jobs"]["j"]["run_as"],
        serde_json::json!({"service_principal_name": "sp-app"})
    );
}
