//! The settings the bundle format knows, section by section (the Databricks CLI's
//! configuration types). A key it does not know is a warning, as in the CLI, and is dropped,
//! as the CLI drops it, so nothing downstream sees it. Resource settings themselves (a job's
//! fields) are the APIs' business and pass through; only the resource kinds are checked here.

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

/// What a setting holds, as far as its keys are checked.
enum Shape {
    /// Anything: not checked further.
    Any,
    /// A map with these keys.
    Fields(&'static [(&'static str, Shape)]),
    /// A map of names to settings of one shape (`targets`, `variables`).
    MapOf(&'static Shape),
    /// A list of settings of one shape (`permissions`).
    ListOf(&'static Shape),
}

use Shape::{Any, Fields, ListOf, MapOf};

const GIT: Shape = Fields(&[
    ("branch", Any),
    ("origin_url", Any),
    ("commit", Any),
    ("bundle_root_path", Any),
    ("actual_branch", Any),
]);

const DEPLOYMENT: Shape = Fields(&[
    ("fail_on_active_runs", Any),
    ("lock", Fields(&[("enabled", Any), ("force", Any)])),
]);

const BUNDLE: Shape = Fields(&[
    ("name", Any),
    ("target", Any),
    ("environment", Any),
    ("terraform", Any),
    ("force", Any),
    ("git", GIT),
    ("mode", Any),
    ("compute_id", Any),
    ("cluster_id", Any),
    ("engine", Any),
    ("deployment", DEPLOYMENT),
    ("databricks_cli_version", Any),
    ("uuid", Any),
]);

const WORKSPACE: Shape = Fields(&[
    ("host", Any),
    ("profile", Any),
    ("auth_type", Any),
    ("metadata_service_url", Any),
    ("client_id", Any),
    ("google_service_account", Any),
    ("azure_workspace_resource_id", Any),
    ("azure_use_msi", Any),
    ("azure_client_id", Any),
    ("azure_tenant_id", Any),
    ("azure_environment", Any),
    ("azure_login_app_id", Any),
    ("experimental_is_unified_host", Any),
    ("account_id", Any),
    ("workspace_id", Any),
    ("current_user", Any),
    ("root_path", Any),
    ("file_path", Any),
    ("resource_path", Any),
    ("artifact_path", Any),
    ("state_path", Any),
    ("snapshot_path", Any),
]);

const VARIABLE: Shape = Fields(&[
    ("type", Any),
    ("default", Any),
    ("description", Any),
    ("value", Any),
    ("lookup", Any),
]);

const ARTIFACT: Shape = Fields(&[
    ("type", Any),
    ("path", Any),
    (
        "files",
        ListOf(&Fields(&[
            ("source", Any),
            ("patched", Any),
            ("remote_path", Any),
        ])),
    ),
    ("build", Any),
    ("executable", Any),
    ("dynamic_version", Any),
]);

const SYNC: Shape = Fields(&[("paths", Any), ("include", Any), ("exclude", Any)]);

const RUN_AS: Shape = Fields(&[
    ("user_name", Any),
    ("service_principal_name", Any),
    ("group_name", Any),
]);

const PERMISSIONS: Shape = ListOf(&Fields(&[
    ("level", Any),
    ("user_name", Any),
    ("service_principal_name", Any),
    ("group_name", Any),
]));

const PRESETS: Shape = Fields(&[
    ("name_prefix", Any),
    ("pipelines_development", Any),
    ("trigger_pause_status", Any),
    ("jobs_max_concurrent_runs", Any),
    ("source_linked_deployment", Any),
    ("artifacts_dynamic_version", Any),
    ("tags", Any),
]);

const EXPERIMENTAL: Shape = Fields(&[
    ("scripts", Any),
    ("immutable_folder", Any),
    ("python_wheel_wrapper", Any),
    ("use_legacy_run_as", Any),
    ("pydabs", Any),
    ("python", Any),
    ("skip_artifact_cleanup", Any),
    ("skip_name_prefix_for_schema", Any),
    ("record_deployment_history", Any),
]);

/// Every resource kind of the bundle format (whether or not brickci deploys it).
pub const RESOURCE_KINDS: &[&str] = &[
    "alerts",
    "apps",
    "catalogs",
    "clusters",
    "dashboards",
    "database_catalogs",
    "database_instances",
    "experiments",
    "external_locations",
    "genie_spaces",
    "instance_pools",
    "job_runs",
    "jobs",
    "model_serving_endpoints",
    "models",
    "pipelines",
    "postgres_branches",
    "postgres_catalogs",
    "postgres_databases",
    "postgres_endpoints",
    "postgres_projects",
    "postgres_roles",
    "postgres_synced_tables",
    "quality_monitors",
    "registered_models",
    "schemas",
    "secret_scopes",
    "secrets",
    "sql_warehouses",
    "synced_database_tables",
    "vector_search_endpoints",
    "vector_search_indexes",
    "volumes",
];

const TARGET: Shape = Fields(&[
    ("default", Any),
    ("mode", Any),
    ("presets", PRESETS),
    ("compute_id", Any),
    ("cluster_id", Any),
    ("bundle", BUNDLE),
    ("workspace", WORKSPACE),
    ("artifacts", MapOf(&ARTIFACT)),
    // Kinds are checked by `resource_kinds`.
    ("resources", Any),
    // A target gives a variable's value directly (`x: 1`, a complex value's map) or as
    // `{default: 1}`; a map that is not exactly such a definition is a value, so the CLI
    // never reports its keys.
    ("variables", Any),
    ("git", GIT),
    ("run_as", RUN_AS),
    ("sync", SYNC),
    ("permissions", PERMISSIONS),
]);

/// The shape of each top-level key that has one; the others hold anything.
fn top_level_shape(name: &str) -> &'static Shape {
    match name {
        "bundle" => &BUNDLE,
        "workspace" => &WORKSPACE,
        "variables" => &MapOf(&VARIABLE),
        "artifacts" => &MapOf(&ARTIFACT),
        "targets" | "environments" => &MapOf(&TARGET),
        "sync" => &SYNC,
        "run_as" => &RUN_AS,
        "permissions" => &PERMISSIONS,
        "presets" => &PRESETS,
        "experimental" => &EXPERIMENTAL,
        _ => &Any,
    }
}

/// Warns about, and drops, every key of `doc` (one file) the format does not know.
/// `top_level` lists the known top-level keys.
pub fn check(doc: &mut Node, top_level: &[&str], diags: &mut Diagnostics) {
    let Kind::Map(entries) = &mut doc.kind else {
        return;
    };
    entries.retain_mut(|(key, value)| {
        if !top_level.contains(&key.name.as_str()) {
            diags.warn(
                &key.loc,
                &key.name,
                format!(
                    "unknown top-level key, ignored (known: {})",
                    top_level.join(", ")
                ),
            );
            return false;
        }
        walk(value, top_level_shape(&key.name), &key.name, diags);
        true
    });
    resource_kinds(doc.get_mut("resources"), "resources", diags);
    for section in ["targets", "environments"] {
        let Some(Kind::Map(targets)) = doc.get_mut(section).map(|t| &mut t.kind) else {
            continue;
        };
        for (name, target) in targets.iter_mut() {
            let path = format!("{section}.{}.resources", name.name);
            resource_kinds(target.get_mut("resources"), &path, diags);
        }
    }
}

fn walk(node: &mut Node, shape: &Shape, path: &str, diags: &mut Diagnostics) {
    match (shape, &mut node.kind) {
        (Fields(known), Kind::Map(entries)) => entries.retain_mut(|(key, value)| {
            let here = format!("{path}.{}", key.name);
            match known.iter().find(|(name, _)| *name == key.name) {
                Some((_, inner)) => {
                    walk(value, inner, &here, diags);
                    true
                }
                None => {
                    let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
                    diags.warn(
                        &key.loc,
                        here,
                        format!("unknown field, ignored (known: {})", names.join(", ")),
                    );
                    false
                }
            }
        }),
        (MapOf(inner), Kind::Map(entries)) => {
            for (key, value) in entries.iter_mut() {
                walk(value, inner, &format!("{path}.{}", key.name), diags);
            }
        }
        (ListOf(inner), Kind::Seq(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, inner, &format!("{path}[{i}]"), diags);
            }
        }
        // Other values are the type checks' business.
        _ => {}
    }
}

/// A resource kind the format does not know, or one that is not a map, is a warning and
/// dropped (`resources.job`).
fn resource_kinds(resources: Option<&mut Node>, path: &str, diags: &mut Diagnostics) {
    let Some(Kind::Map(kinds)) = resources.map(|r| &mut r.kind) else {
        return;
    };
    kinds.retain(|(key, value)| {
        if RESOURCE_KINDS.contains(&key.name.as_str()) {
            // The CLI ignores a kind that is not a map of resources (`jobs: [a, b]`).
            if matches!(value.kind, Kind::Map(_) | Kind::Null) {
                return true;
            }
            diags.warn(
                &value.loc,
                format!("{path}.{}", key.name),
                "must be a map of resource keys; ignored",
            );
            return false;
        }
        diags.warn(
            &key.loc,
            format!("{path}.{}", key.name),
            format!(
                "unknown resource kind, ignored (brickci deploys: {})",
                crate::deploy::kinds::names().join(", ")
            ),
        );
        false
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn checked(yaml: &str) -> (Node, Diagnostics) {
        let mut doc = super::super::yaml::parse(Path::new("databricks.yml"), yaml).unwrap();
        let mut diags = Diagnostics::default();
        check(
            &mut doc,
            &["bundle", "targets", "resources", "sync"],
            &mut diags,
        );
        (doc, diags)
    }

    fn warnings(d: &Diagnostics) -> Vec<String> {
        d.warnings().map(ToString::to_string).collect()
    }

    #[test]
    fn unknown_keys_warn_with_place_and_path_and_are_dropped() {
        let (doc, d) = checked(
            "bundle:\n  name: b\n  nmae: c\ncommon: &c {x: 1}\ntargets:\n  dev:\n    workspaces: {}\n    sync: {exclude_paths: [x]}\nresources:\n  job: {}\n  jobs: {}\n  schemas: [a]\n",
        );
        assert!(!d.has_errors());
        let w = warnings(&d);
        assert_eq!(w.len(), 6, "{w:?}");
        assert!(
            w[0].starts_with(
                "databricks.yml:3:3: bundle.nmae: unknown field, ignored (known: name,"
            ),
            "{w:?}"
        );
        assert!(
            w[1].starts_with("databricks.yml:4:1: common: unknown top-level key, ignored"),
            "{w:?}"
        );
        assert!(
            w[2].starts_with("databricks.yml:7:5: targets.dev.workspaces: unknown field"),
            "{w:?}"
        );
        assert!(
            w[3].starts_with("databricks.yml:8:12: targets.dev.sync.exclude_paths: unknown field"),
            "{w:?}"
        );
        assert!(
            w[4].starts_with("databricks.yml:10:3: resources.job: unknown resource kind, ignored"),
            "{w:?}"
        );
        assert_eq!(
            w[5],
            "databricks.yml:12:12: resources.schemas: must be a map of resource keys; ignored"
        );
        assert!(doc.get("common").is_none());
        assert!(doc.get("bundle").unwrap().get("nmae").is_none());
        assert!(doc.get("resources").unwrap().get("job").is_none());
        assert!(doc.get("resources").unwrap().get("jobs").is_some());
    }

    #[test]
    fn known_settings_and_resource_bodies_pass() {
        let (_, d) = checked(
            "bundle:\n  name: b\n  git: {branch: main}\ntargets:\n  dev:\n    variables: {x: 1, cluster: {spark_version: 15.4.x, num_workers: 2}}\n    resources:\n      jobs:\n        j: {anything: 1}\nresources:\n  model_serving_endpoints: {}\n",
        );
        assert!(d.is_empty(), "{:?}", warnings(&d));
    }
}
