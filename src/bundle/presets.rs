//! What the Databricks CLI adds to resources before they are resolved, so brickci deploys
//! (and `validate` prints) the same settings: defaults (job `max_concurrent_runs`, `queue`,
//! `deployment` metadata, `edit_mode`, `format`; pipeline `edition`, `channel`; cluster
//! auto-termination; volume type), `presets:` (name prefix, tags, concurrent runs, paused
//! triggers, pipelines in development; development mode fills the unset ones),
//! `run_as`, and a target's `cluster_id`.
//! Applied before interpolation, so `${resources.schemas.x.name}` sees the prefixed name.

use super::error::Diagnostics;
use super::model::Identity;
use super::target::Selected;
use super::yaml::{Key, Kind, Loc, Node};

fn text(s: &str, loc: &Loc) -> Node {
    Node::new(Kind::Str(s.to_string()), loc.clone())
}

fn key(name: &str, loc: &Loc) -> Key {
    Key {
        name: name.to_string(),
        loc: loc.clone(),
    }
}

fn default(settings: &mut Node, field: &str, value: Node) {
    if settings.get(field).is_none() {
        let loc = value.loc.clone();
        settings.insert(key(field, &loc), value);
    }
}

fn map(entries: Vec<(&str, Node)>, loc: &Loc) -> Node {
    Node::new(
        Kind::Map(entries.into_iter().map(|(k, v)| (key(k, loc), v)).collect()),
        loc.clone(),
    )
}

/// The `presets:` section, with what development mode fills in where it is unset
/// (the CLI's apply_target_mode.go).
#[derive(Debug, Default)]
struct Presets {
    name_prefix: String,
    tags: Vec<(String, String)>,
    jobs_max_concurrent_runs: Option<i64>,
    trigger_pause_status: Option<String>,
    pipelines_development: Option<bool>,
}

fn presets(tree: &Node, dev: bool, short: &str, diags: &mut Diagnostics) -> Presets {
    let mut p = Presets::default();
    let section = tree.get("presets").filter(|n| !n.is_null());
    if let Some(section) = section.filter(|n| !matches!(n.kind, Kind::Map(_))) {
        diags.push(&section.loc, "presets", "must be a map");
    }
    for (k, v) in section.and_then(Node::entries).unwrap_or_default() {
        let path = format!("presets.{}", k.name);
        match (k.name.as_str(), &v.kind) {
            (_, Kind::Null) => {}
            ("name_prefix", Kind::Str(s)) => p.name_prefix = s.clone(),
            ("tags", Kind::Map(tags)) => {
                for (tk, tv) in tags {
                    match &tv.kind {
                        Kind::Str(s) => p.tags.push((tk.name.clone(), s.clone())),
                        _ => diags.push(&tv.loc, format!("{path}.{}", tk.name), "must be a string"),
                    }
                }
            }
            // 0 means unset, as in the CLI.
            ("jobs_max_concurrent_runs", Kind::Int(0)) => {}
            ("jobs_max_concurrent_runs", Kind::Int(n)) => p.jobs_max_concurrent_runs = Some(*n),
            ("trigger_pause_status", Kind::Str(s)) if s == "PAUSED" || s == "UNPAUSED" => {
                if dev && s == "UNPAUSED" {
                    diags.push(
                        &v.loc,
                        path,
                        "a target with `mode: development` cannot unpause triggers by default",
                    );
                }
                p.trigger_pause_status = Some(s.clone());
            }
            ("trigger_pause_status", _) => diags.push(&v.loc, path, "must be PAUSED or UNPAUSED"),
            ("pipelines_development", Kind::Bool(b)) => p.pipelines_development = Some(*b),
            ("name_prefix", _) => diags.push(&v.loc, path, "must be a string"),
            ("tags", _) => diags.push(&v.loc, path, "must be a map of strings"),
            ("jobs_max_concurrent_runs", _) => diags.push(&v.loc, path, "must be a number"),
            ("pipelines_development", _) => diags.push(&v.loc, path, "must be true or false"),
            // Other presets (source_linked_deployment, artifacts_dynamic_version, ...)
            // change nothing brickci deploys.
            _ => {}
        }
    }
    if dev {
        if p.name_prefix.is_empty() {
            p.name_prefix = format!("[dev {short}] ");
        }
        if !p.tags.iter().any(|(k, _)| k == "dev") {
            p.tags.push(("dev".into(), short.to_string()));
        }
        p.jobs_max_concurrent_runs.get_or_insert(4);
        p.trigger_pause_status
            .get_or_insert_with(|| "PAUSED".into());
        if p.pipelines_development != Some(false) {
            p.pipelines_development = Some(true);
        }
    }
    p.tags.sort();
    p
}

/// Adds `tags` a map lacks (`tags`, `custom_tags`).
fn tag_map(settings: &mut Node, field: &str, tags: &[(String, String)], loc: &Loc) {
    if tags.is_empty() {
        return;
    }
    if !matches!(settings.get(field).map(|t| &t.kind), Some(Kind::Map(_))) {
        settings.insert(
            key(field, loc),
            Node::new(Kind::Map(Vec::new()), loc.clone()),
        );
    }
    let map = settings.get_mut(field).expect("inserted above");
    for (k, v) in tags {
        default(map, k, text(v, loc));
    }
}

/// Adds `tags` a `[{key, value}]` list lacks (models, experiments).
fn tag_list(settings: &mut Node, tags: &[(String, String)], loc: &Loc) {
    if tags.is_empty() {
        return;
    }
    if !matches!(settings.get("tags").map(|t| &t.kind), Some(Kind::Seq(_))) {
        settings.insert(
            key("tags", loc),
            Node::new(Kind::Seq(Vec::new()), loc.clone()),
        );
    }
    let Some(Kind::Seq(list)) = settings.get_mut("tags").map(|t| &mut t.kind) else {
        return;
    };
    for (k, v) in tags {
        if !list
            .iter()
            .any(|t| t.get("key").and_then(Node::as_str) == Some(k))
        {
            list.push(map(
                vec![("key", text(k, loc)), ("value", text(v, loc))],
                loc,
            ));
        }
    }
}

/// A name prefix as Unity Catalog and serving endpoints take it (`[dev jane] ` ->
/// `dev_jane_`), as the CLI's normalizePrefix.
fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.replace('[', "");
    let p = p.trim_matches(' ');
    let suffix = if p.ends_with(']') { "_" } else { "" };
    let mut out = String::new();
    for c in p.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    format!("{}{suffix}", out.trim_matches('_'))
}

pub fn apply(tree: &mut Node, selected: &Selected, identity: &Identity, diags: &mut Diagnostics) {
    let run_as = tree.get("run_as").filter(|r| !r.is_null()).cloned();
    let dev = selected.mode.as_deref() == Some("development");
    let short = identity.short_name();
    let presets = presets(tree, dev, &short, diags);
    // May be a reference (`${var.skip}`): resolved here, as the prefixes are applied now.
    let skip_schema_prefix = tree
        .get("experimental")
        .and_then(|e| e.get("skip_name_prefix_for_schema"))
        .map(|n| {
            super::interpolate::Resolver::new(tree)
                .resolve(n, "experimental.skip_name_prefix_for_schema")
        })
        .is_some_and(|n| match &n.kind {
            Kind::Bool(b) => *b,
            Kind::Str(s) => s == "true",
            _ => false,
        });
    let prefix_text = presets.name_prefix.clone();
    let uc = if prefix_text.is_empty() {
        String::new()
    } else {
        normalize_prefix(&prefix_text)
    };
    let Some(Kind::Map(kinds)) = tree.get_mut("resources").map(|r| &mut r.kind) else {
        return;
    };
    for (kind_key, items) in kinds.iter_mut() {
        let kind = kind_key.name.clone();
        let Kind::Map(entries) = &mut items.kind else {
            continue;
        };
        for (k, settings) in entries.iter_mut() {
            if settings.is_null() {
                settings.kind = Kind::Map(Vec::new());
            }
            if !matches!(settings.kind, Kind::Map(_)) {
                continue;
            }
            let loc = k.loc.clone();
            let tags = &presets.tags;
            match kind.as_str() {
                "jobs" => {
                    job(settings, &k.name, &loc, &presets);
                    prefix(settings, "name", &prefix_text);
                    tag_map(settings, "tags", tags, &loc);
                }
                "pipelines" => {
                    pipeline(settings, &k.name, &loc, &presets);
                    prefix(settings, "name", &prefix_text);
                    tag_map(settings, "tags", tags, &loc);
                }
                "clusters" => {
                    default(settings, "cluster_name", text(&k.name, &loc));
                    default(
                        settings,
                        "autotermination_minutes",
                        Node::new(Kind::Int(60), loc.clone()),
                    );
                    prefix(settings, "cluster_name", &prefix_text);
                    tag_map(settings, "custom_tags", tags, &loc);
                }
                "instance_pools" => {
                    prefix(settings, "instance_pool_name", &prefix_text);
                    tag_map(settings, "custom_tags", tags, &loc);
                }
                "volumes" => {
                    default(settings, "volume_type", text("MANAGED", &loc));
                    volume_path(settings, &k.name, &loc, diags);
                }
                "schemas" if !skip_schema_prefix => prefix(settings, "name", &uc),
                "registered_models" | "model_serving_endpoints" => prefix(settings, "name", &uc),
                "models" => {
                    prefix(settings, "name", &prefix_text);
                    tag_list(settings, tags, &loc);
                }
                "experiments" => {
                    // An experiment's name is a workspace path: the prefix goes on its last part.
                    if let Some(Kind::Str(s)) = settings.get_mut("name").map(|n| &mut n.kind)
                        && !prefix_text.is_empty()
                    {
                        *s = match s.rsplit_once('/') {
                            Some((dir, base)) if !base.starts_with(&prefix_text) => {
                                format!("{dir}/{prefix_text}{base}")
                            }
                            Some(_) => s.clone(),
                            None if s.starts_with(&prefix_text) => s.clone(),
                            None => format!("{prefix_text}{s}"),
                        };
                    }
                    tag_list(settings, tags, &loc);
                }
                "dashboards" | "alerts" => prefix(settings, "display_name", &prefix_text),
                "sql_warehouses" => prefix(settings, "name", &prefix_text),
                _ => {}
            }
            if matches!(kind.as_str(), "jobs" | "pipelines")
                && let Some(r) = &run_as
            {
                default(settings, "run_as", r.clone());
            }
            if kind == "jobs"
                && let Some(cluster) = &selected.cluster_id
                && let Some(Kind::Seq(tasks)) = settings.get_mut("tasks").map(|t| &mut t.kind)
            {
                for task in tasks {
                    override_compute(task, cluster, &loc);
                }
            }
        }
    }
}

/// Runs a task on `cluster` when it names compute of its own (`new_cluster`,
/// `existing_cluster_id`, `job_cluster_key`, `environment_key`); a `for_each_task` is
/// judged by its inner task, as the CLI's OverrideCompute. Tasks without compute (SQL,
/// `run_job_task`, ...) are left alone.
fn override_compute(task: &mut Node, cluster: &Node, loc: &Loc) {
    let task = match task.get_mut("for_each_task") {
        Some(each) if each.get("task").is_some() => each.get_mut("task").expect("checked"),
        _ => task,
    };
    const COMPUTE: [&str; 4] = [
        "new_cluster",
        "existing_cluster_id",
        "job_cluster_key",
        "environment_key",
    ];
    if !COMPUTE
        .iter()
        .any(|f| task.get(f).is_some_and(|v| !v.is_null()))
    {
        return;
    }
    for gone in COMPUTE {
        task.remove(gone);
    }
    task.insert(key("existing_cluster_id", loc), cluster.clone());
}

fn prefix(settings: &mut Node, field: &str, prefix: &str) {
    if let Some(Kind::Str(s)) = settings.get_mut(field).map(|n| &mut n.kind)
        && !prefix.is_empty()
        && !s.starts_with(prefix)
    {
        *s = format!("{prefix}{s}");
    }
}

fn job(settings: &mut Node, name: &str, loc: &Loc, presets: &Presets) {
    default(settings, "name", text(name, loc));
    let runs = presets.jobs_max_concurrent_runs.unwrap_or(1);
    default(
        settings,
        "max_concurrent_runs",
        Node::new(Kind::Int(runs), loc.clone()),
    );
    default(
        settings,
        "queue",
        map(
            vec![("enabled", Node::new(Kind::Bool(true), loc.clone()))],
            loc,
        ),
    );
    deployment(settings, loc);
    settings.insert(key("edit_mode", loc), text("UI_LOCKED", loc));
    settings.insert(key("format", loc), text("MULTI_TASK", loc));
    let pause = presets
        .trigger_pause_status
        .as_deref()
        .unwrap_or("UNPAUSED");
    for trigger in ["schedule", "trigger", "continuous"] {
        if let Some(t) = settings
            .get_mut(trigger)
            .filter(|t| matches!(t.kind, Kind::Map(_)))
        {
            default(t, "pause_status", text(pause, loc));
        }
    }
}

/// Where an unnamed pipeline's name comes from: brickci names it after its key for the
/// deploy; the Databricks CLI does not, so `validate -o json` leaves it out.
pub const NAMED_AFTER_KEY: &str = "(named after its key)";

fn pipeline(settings: &mut Node, name: &str, loc: &Loc, presets: &Presets) {
    default(
        settings,
        "name",
        text(name, &Loc::synthetic(NAMED_AFTER_KEY)),
    );
    default(settings, "edition", text("ADVANCED", loc));
    default(settings, "channel", text("CURRENT", loc));
    deployment(settings, loc);
    if presets.pipelines_development == Some(true) {
        settings.insert(
            key("development", loc),
            Node::new(Kind::Bool(true), loc.clone()),
        );
    }
    // Paused triggers: a continuous pipeline runs only when started.
    if presets.trigger_pause_status.as_deref() == Some("PAUSED")
        && settings.get("continuous").is_some()
    {
        settings.insert(
            key("continuous", loc),
            Node::new(Kind::Bool(false), loc.clone()),
        );
    }
}

/// Jobs and pipelines say which bundle deployed them, and where its metadata is.
fn deployment(settings: &mut Node, loc: &Loc) {
    let metadata = text("${workspace.state_path}/metadata.json", loc);
    settings.insert(
        key("deployment", loc),
        map(
            vec![
                ("kind", text("BUNDLE", loc)),
                ("metadata_file_path", metadata),
            ],
            loc,
        ),
    );
}

/// `volume_path` (`/Volumes/<catalog>/<schema>/<name>`), computed as the CLI computes it so
/// `${resources.volumes.<key>.volume_path}` works; read-only, and never sent to the API.
fn volume_path(settings: &mut Node, key_name: &str, loc: &Loc, diags: &mut Diagnostics) {
    if let Some(given) = settings.get("volume_path") {
        diags.push(
            &given.loc,
            format!("resources.volumes.{key_name}.volume_path"),
            "is computed and read-only; remove it from the configuration",
        );
        return;
    }
    // A part not set is empty, as the CLI prints it (`/Volumes///`); a deploy refuses the
    // volume for the missing field.
    let part = |field: &str| {
        if settings.get(field).is_some() {
            format!("${{resources.volumes.{key_name}.{field}}}")
        } else {
            String::new()
        }
    };
    let path = format!(
        "/Volumes/{}/{}/{}",
        part("catalog_name"),
        part("schema_name"),
        part("name")
    );
    settings.insert(key("volume_path", loc), text(&path, loc));
}
