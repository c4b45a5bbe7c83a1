//! The `resources` section after interpolation: only kinds brickci deploys (see
//! `deploy::kinds`), with their required fields,
//! tasks in key order, and local paths made workspace paths.
//! Fields brickci does not model pass through untouched.

use std::path::Path;

use super::error::Diagnostics;
use super::known_fields::RESOURCE_KINDS;
use super::model::{Resource, Workspace};
use super::paths::{Referenced, translate};
use super::yaml::{Key, Kind, Node};
use crate::deploy::kinds::KindSpec;

pub fn collect(
    tree: &mut Node,
    root: &Path,
    ws: &Workspace,
    diags: &mut Diagnostics,
) -> (Vec<Resource>, Vec<Referenced>) {
    let mut out = Vec::new();
    let mut referenced = Vec::new();
    let Some(resources) = tree.get_mut("resources") else {
        return (out, referenced);
    };
    if resources.is_null() {
        return (out, referenced);
    }
    let Kind::Map(kinds) = &mut resources.kind else {
        diags.push(
            &resources.loc,
            "resources",
            "must be a map of resource kinds",
        );
        return (out, referenced);
    };
    for (kind_key, items) in kinds.iter_mut() {
        let kind = kind_key.name.as_str();
        let Some(spec) = crate::deploy::kinds::spec(kind) else {
            let deployed = crate::deploy::kinds::names().join(", ");
            let message = if RESOURCE_KINDS.contains(&kind) {
                format!("brickci does not deploy {kind} (it deploys: {deployed})")
            } else {
                format!("unknown resource kind (known: {deployed})")
            };
            diags.push(&kind_key.loc, format!("resources.{kind}"), message);
            continue;
        };
        if items.is_null() {
            continue;
        }
        let Kind::Map(entries) = &mut items.kind else {
            diags.push(
                &items.loc,
                format!("resources.{kind}"),
                "must be a map of resource keys",
            );
            continue;
        };
        for (key, settings) in entries.iter_mut() {
            let path = format!("resources.{kind}.{}", key.name);
            if !key
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                || key.name.is_empty()
            {
                diags.push(
                    &key.loc,
                    &path,
                    "resource keys may hold only letters, digits, `_` and `-`",
                );
                continue;
            }
            // Refused before any request (see `undefined`).
            if settings.is_null() {
                continue;
            }
            if !matches!(settings.kind, Kind::Map(_)) {
                diags.push(&settings.loc, &path, "must be a map of settings");
                continue;
            }
            // Keys are unique across kinds too: `${resources.*}` and `run KEY` name one object.
            if let Some(other) = out.iter().find(|r| r.key == key.name) {
                diags.push(
                    &key.loc,
                    &path,
                    format!(
                        "the key {:?} is also used by resources.{}.{}; keys must be unique across resource kinds",
                        key.name, other.kind, other.key
                    ),
                );
                continue;
            }
            check_required(spec, key, settings, &path, diags);
            // Before the tasks are sorted, so indices name the task as written.
            if kind == "jobs" {
                super::api_rules::job(settings, &path, diags);
            }
            if let Some(p) = settings.get("permissions") {
                super::api_rules::permissions(kind, p, &format!("{path}.permissions"), diags);
            }
            sort_tasks(settings);
            unset_task_keys(settings);
            job_cluster_workers(settings);
            text_maps(settings);
            typed_scalars(settings);
            translate(kind, &key.name, settings, root, ws, &mut referenced, diags);
            out.push(Resource {
                kind: kind.to_string(),
                key: key.name.clone(),
                settings: settings.to_json(),
                loc: key.loc.clone(),
            });
        }
    }
    (out, referenced)
}

/// A resource key with nothing under it: the Databricks CLI refuses it as not defined.
/// Checked on the loaded tree, before any request.
pub fn undefined(tree: &Node, diags: &mut Diagnostics) {
    let kinds = tree.get("resources").and_then(Node::entries);
    for (kind, items) in kinds.unwrap_or_default() {
        for (key, settings) in items.entries().unwrap_or_default() {
            if settings.is_null() {
                let loc = if settings.loc.line > 0 {
                    &settings.loc
                } else {
                    &key.loc
                };
                diags.push(
                    loc,
                    format!("resources.{}.{}", kind.name, key.name),
                    format!(
                        "{} {} is not defined (it has no settings)",
                        kind.name.trim_end_matches('s'),
                        key.name
                    ),
                );
            }
        }
    }
}

/// Tasks in `task_key` order, as the Databricks CLI sends and prints them (after a target's
/// tasks were merged in by key).
fn sort_tasks(settings: &mut Node) {
    if let Some(Kind::Seq(tasks)) = settings.get_mut("tasks").map(|t| &mut t.kind) {
        tasks.sort_by(|a, b| {
            let k = |n: &Node| {
                n.get("task_key")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            k(a).cmp(&k(b))
        });
    }
}

/// Cluster settings that map names to text: a number or boolean there is sent as its text
/// (`spark.speculation: true` is "true"), as the CLI sends it.
const TEXT_MAPS: &[&str] = &["spark_conf", "spark_env_vars", "custom_tags"];

fn text_maps(node: &mut Node) {
    match &mut node.kind {
        Kind::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                if let (true, Kind::Map(items)) =
                    (TEXT_MAPS.contains(&key.name.as_str()), &mut value.kind)
                {
                    for (_, v) in items.iter_mut() {
                        if matches!(v.kind, Kind::Bool(_) | Kind::Int(_) | Kind::Float(_))
                            && let Some(text) = v.scalar_text()
                        {
                            v.kind = Kind::Str(text);
                        }
                    }
                } else {
                    text_maps(value);
                }
            }
        }
        Kind::Seq(items) => items.iter_mut().for_each(text_maps),
        _ => {}
    }
}

/// Settings that are numbers or booleans wherever they appear in a resource: a reference
/// gives text (`--var min_workers=1`), which is sent as the number or boolean the API takes,
/// as the CLI converts it by the field's type.
const BOOLEANS: &[&str] = &[
    "no_alert_for_canceled_runs",
    "no_alert_for_skipped_runs",
    "alert_on_last_attempt",
    "retry_on_timeout",
    "disabled",
    "continuous",
    "development",
    "photon",
    "serverless",
    "enable_elastic_disk",
    "enable_local_disk_encryption",
    "apply_policy_default_values",
];
const INTEGERS: &[&str] = &[
    "min_workers",
    "max_workers",
    "num_workers",
    "max_concurrent_runs",
    "timeout_seconds",
    "max_retries",
    "min_retry_interval_millis",
    "autotermination_minutes",
    "first_on_demand",
    "ebs_volume_count",
    "ebs_volume_size",
];
const FLOATS: &[&str] = &["spot_bid_max_price"];

fn typed_scalars(node: &mut Node) {
    match &mut node.kind {
        Kind::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                let name = key.name.as_str();
                let typed = match &value.kind {
                    Kind::Str(s) if BOOLEANS.contains(&name) => match s.as_str() {
                        "true" => Some(Kind::Bool(true)),
                        "false" => Some(Kind::Bool(false)),
                        _ => None,
                    },
                    Kind::Str(s) if INTEGERS.contains(&name) => {
                        s.trim().parse().ok().map(Kind::Int)
                    }
                    Kind::Str(s) if FLOATS.contains(&name) => {
                        s.trim().parse().ok().map(Kind::Float)
                    }
                    _ => None,
                };
                match typed {
                    Some(kind) => value.kind = kind,
                    None => typed_scalars(value),
                }
            }
        }
        Kind::Seq(items) => items.iter_mut().for_each(typed_scalars),
        _ => {}
    }
}

/// A job cluster without autoscale and without `num_workers` gets `num_workers: 0` (a
/// single-node cluster), as the CLI sends it rather than leave it to the API's default.
fn job_cluster_workers(settings: &mut Node) {
    let Some(Kind::Seq(clusters)) = settings.get_mut("job_clusters").map(|c| &mut c.kind) else {
        return;
    };
    for cluster in clusters.iter_mut() {
        let Some(spec) = cluster.get_mut("new_cluster") else {
            continue;
        };
        if matches!(spec.kind, Kind::Map(_))
            && spec.get("autoscale").is_none()
            && spec.get("num_workers").is_none()
        {
            let key = super::yaml::Key {
                name: "num_workers".into(),
                loc: spec.loc.clone(),
            };
            let zero = Node::new(Kind::Int(0), spec.loc.clone());
            spec.insert(key, zero);
        }
    }
}

/// A task without `task_key` (a deploy refuses it, validate warns) is printed with "" as
/// the CLI prints the unset required field.
fn unset_task_keys(settings: &mut Node) {
    let Some(Kind::Seq(tasks)) = settings.get_mut("tasks").map(|t| &mut t.kind) else {
        return;
    };
    for task in tasks.iter_mut() {
        if matches!(task.kind, Kind::Map(_)) && task.get("task_key").is_none() {
            let key = super::yaml::Key {
                name: "task_key".into(),
                loc: task.loc.clone(),
            };
            task.insert(key, Node::new(Kind::Str(String::new()), task.loc.clone()));
        }
    }
}

/// A required field that is missing: the Databricks CLI's validate only warns, its API
/// refuses; so a refusal at deploy ([`Diagnostics::deploy_error`]). One that is there but
/// empty passes the CLI's validate silently and is refused by the API: a refusal at deploy too.
fn check_required(
    spec: &KindSpec,
    key: &Key,
    settings: &Node,
    path: &str,
    diags: &mut Diagnostics,
) {
    let kind = spec.name;
    for field in spec.required {
        match settings.get(field) {
            Some(v) if v.as_str().is_some_and(|s| !s.is_empty()) => {}
            Some(v) => diags.deploy_error(
                &v.loc,
                format!("{path}.{field}"),
                "must be a non-empty string",
            ),
            None => diags.deploy_error(&key.loc, format!("{path}.{field}"), "is required"),
        }
    }
    if kind == "jobs" {
        for (i, task) in settings
            .get("tasks")
            .and_then(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if task
                .get("task_key")
                .and_then(Node::as_str)
                .is_none_or(str::is_empty)
            {
                // The CLI's validate passes it; the Jobs API refuses it.
                diags.deploy_error(
                    &task.loc,
                    format!("{path}.tasks[{i}].task_key"),
                    "is required (the Jobs API refuses a task without one)",
                );
            }
        }
    }
}

pub fn sync(tree: &Node, diags: &mut Diagnostics) -> (Vec<String>, Vec<String>) {
    let list = |k: &str, diags: &mut Diagnostics| -> Vec<String> {
        let Some(n) = tree.get("sync").and_then(|s| s.get(k)) else {
            return Vec::new();
        };
        match n.items() {
            Some(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            None => {
                diags.push(&n.loc, format!("sync.{k}"), "must be a list of globs");
                Vec::new()
            }
        }
    };
    if let Some(s) = tree.get("sync") {
        for (k, _) in s.entries().unwrap_or_default() {
            if !matches!(k.name.as_str(), "include" | "exclude" | "paths") {
                diags.push(
                    &k.loc,
                    format!("sync.{}", k.name),
                    "unknown sync setting (known: include, exclude, paths)",
                );
            }
        }
    }
    (list("include", diags), list("exclude", diags))
}
