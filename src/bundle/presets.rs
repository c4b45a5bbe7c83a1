//! What the Databricks CLI adds to resources before they are resolved, so brickci deploys
//! (and `validate` prints) the same settings: defaults (job `max_concurrent_runs`, `queue`,
//! `deployment` metadata, `edit_mode`, `format`; pipeline `edition`, `channel`; cluster
//! auto-termination; volume type), development mode (name prefix, `dev` tag, paused triggers,
//! four concurrent runs, pipelines in development), `run_as`, and a target's `cluster_id`.
//! Applied before interpolation, so `${resources.schemas.x.name}` sees the prefixed name.

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

/// `[dev jane_doe] ` as Unity Catalog names take it: `dev_jane_doe_`.
fn uc_prefix(short: &str) -> String {
    format!("dev_{short}_")
}

pub fn apply(tree: &mut Node, selected: &Selected, identity: &Identity) {
    let run_as = tree.get("run_as").filter(|r| !r.is_null()).cloned();
    let dev = selected.mode.as_deref() == Some("development");
    let short = identity.short_name();
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
            match kind.as_str() {
                "jobs" => job(settings, &k.name, &loc, dev, &short),
                "pipelines" => pipeline(settings, &k.name, &loc, dev, &short),
                "clusters" => {
                    default(settings, "cluster_name", text(&k.name, &loc));
                    default(
                        settings,
                        "autotermination_minutes",
                        Node::new(Kind::Int(60), loc.clone()),
                    );
                    if dev {
                        prefix(settings, "cluster_name", &format!("[dev {short}] "));
                    }
                }
                "volumes" => default(settings, "volume_type", text("MANAGED", &loc)),
                "schemas" | "registered_models" if dev => {
                    prefix(settings, "name", &uc_prefix(&short))
                }
                "experiments" if dev => {
                    // An experiment's name is a workspace path: the prefix goes on its last part.
                    if let Some(Kind::Str(s)) = settings.get_mut("name").map(|n| &mut n.kind)
                        && let Some((dir, base)) = s.rsplit_once('/')
                    {
                        *s = format!("{dir}/[dev {short}] {base}");
                    }
                }
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
        && !s.starts_with(prefix)
    {
        *s = format!("{prefix}{s}");
    }
}

fn job(settings: &mut Node, name: &str, loc: &Loc, dev: bool, short: &str) {
    default(settings, "name", text(name, loc));
    let runs = if dev { 4 } else { 1 };
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
    for trigger in ["schedule", "trigger", "continuous"] {
        if let Some(t) = settings
            .get_mut(trigger)
            .filter(|t| matches!(t.kind, Kind::Map(_)))
        {
            default(
                t,
                "pause_status",
                text(if dev { "PAUSED" } else { "UNPAUSED" }, loc),
            );
        }
    }
    if dev {
        prefix(settings, "name", &format!("[dev {short}] "));
        match settings.get_mut("tags") {
            Some(tags) if matches!(tags.kind, Kind::Map(_)) => {
                default(tags, "dev", text(short, loc))
            }
            _ => settings.insert(key("tags", loc), map(vec![("dev", text(short, loc))], loc)),
        }
    }
}

fn pipeline(settings: &mut Node, name: &str, loc: &Loc, dev: bool, short: &str) {
    default(settings, "name", text(name, loc));
    default(settings, "edition", text("ADVANCED", loc));
    default(settings, "channel", text("CURRENT", loc));
    deployment(settings, loc);
    if dev {
        prefix(settings, "name", &format!("[dev {short}] "));
        default(
            settings,
            "development",
            Node::new(Kind::Bool(true), loc.clone()),
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
