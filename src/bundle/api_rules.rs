//! What the Jobs and Permissions APIs would refuse, caught locally so a bad bundle fails
//! at validate with file:line:key instead of half-way through a deploy: task keys used twice,
//! `depends_on` naming a missing task or forming a loop, more tasks than a job may hold,
//! scalar fields of the wrong type, unknown permission levels.

use std::collections::BTreeMap;

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

/// The Jobs API takes at most this many tasks in one job.
pub const MAX_TASKS: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Str,
    Int,
    Bool,
    Map,
    Seq,
}

impl Want {
    fn name(self) -> &'static str {
        match self {
            Want::Str => "a string",
            Want::Int => "a whole number",
            Want::Bool => "true or false",
            Want::Map => "a map",
            Want::Seq => "a list",
        }
    }

    /// Null is left out (the CLI drops it); a string that is a number or boolean is what an
    /// interpolated `${var.x}` gives, and is converted like the CLI converts it.
    fn accepts(self, n: &Node) -> bool {
        match (self, &n.kind) {
            (_, Kind::Null) => true,
            // A reference not yet resolved (checked again once it is).
            (_, Kind::Str(s)) if s.contains("${") => true,
            (Want::Str, Kind::Str(_)) => true,
            (Want::Int, Kind::Int(_)) => true,
            (Want::Int, Kind::Str(s)) => s.trim().parse::<i64>().is_ok(),
            (Want::Bool, Kind::Bool(_)) => true,
            (Want::Bool, Kind::Str(s)) => matches!(s.as_str(), "true" | "false"),
            (Want::Map, Kind::Map(_)) => true,
            (Want::Seq, Kind::Seq(_)) => true,
            _ => false,
        }
    }
}

const JOB_FIELDS: &[(&str, Want)] = &[
    ("name", Want::Str),
    ("description", Want::Str),
    ("timeout_seconds", Want::Int),
    ("max_concurrent_runs", Want::Int),
    ("tags", Want::Map),
    ("tasks", Want::Seq),
    ("job_clusters", Want::Seq),
    ("parameters", Want::Seq),
    ("environments", Want::Seq),
    ("permissions", Want::Seq),
    ("schedule", Want::Map),
    ("trigger", Want::Map),
    ("git_source", Want::Map),
    ("email_notifications", Want::Map),
];

const TASK_FIELDS: &[(&str, Want)] = &[
    ("task_key", Want::Str),
    ("description", Want::Str),
    ("timeout_seconds", Want::Int),
    ("max_retries", Want::Int),
    ("min_retry_interval_millis", Want::Int),
    ("retry_on_timeout", Want::Bool),
    ("disabled", Want::Bool),
    ("run_if", Want::Str),
    ("existing_cluster_id", Want::Str),
    ("job_cluster_key", Want::Str),
    ("environment_key", Want::Str),
    ("depends_on", Want::Seq),
    ("libraries", Want::Seq),
    ("new_cluster", Want::Map),
    ("notebook_task", Want::Map),
    ("spark_python_task", Want::Map),
    ("python_wheel_task", Want::Map),
    ("sql_task", Want::Map),
];

const RUN_IF: &[&str] = &[
    "ALL_SUCCESS",
    "ALL_DONE",
    "NONE_FAILED",
    "AT_LEAST_ONE_SUCCESS",
    "ALL_FAILED",
    "AT_LEAST_ONE_FAILED",
];

/// Permission levels of the top-level `permissions` section (each kind's own are in its
/// `KindSpec::levels`).
const TOP_LEVELS: &[&str] = &["CAN_VIEW", "CAN_RUN", "CAN_MANAGE"];

/// The levels `kind`'s permissions take ("" is the top-level section); None: not checked.
fn levels_of(kind: &str) -> Option<&'static [&'static str]> {
    if kind.is_empty() {
        return Some(TOP_LEVELS);
    }
    crate::deploy::kinds::spec(kind)
        .map(|s| s.levels)
        .filter(|l| !l.is_empty())
}

const PRINCIPALS: &[&str] = &["user_name", "group_name", "service_principal_name"];

fn fields(node: &Node, table: &[(&str, Want)], path: &str, diags: &mut Diagnostics) {
    for (field, want) in table {
        if let Some(v) = node.get(field)
            && !want.accepts(v)
        {
            diags.push(
                &v.loc,
                format!("{path}.{field}"),
                format!("must be {}", want.name()),
            );
        }
    }
}

/// The Databricks CLI's reading of typed fields, before anything else looks at them: a
/// number or boolean where a string goes becomes that text; any other value of the wrong
/// type is a warning and left out, as the CLI leaves it out (`max_concurrent_runs: many`).
pub fn normalize(tree: &mut Node, diags: &mut Diagnostics) {
    let jobs = tree.get_mut("resources").and_then(|r| r.get_mut("jobs"));
    let Some(Kind::Map(jobs)) = jobs.map(|j| &mut j.kind) else {
        return;
    };
    for (key, settings) in jobs.iter_mut() {
        let path = format!("resources.jobs.{}", key.name);
        normalize_fields(settings, JOB_FIELDS, &path, diags);
        job_cluster_fields(settings, &path, diags);
        let Some(Kind::Seq(tasks)) = settings.get_mut("tasks").map(|t| &mut t.kind) else {
            continue;
        };
        for (i, task) in tasks.iter_mut().enumerate() {
            normalize_fields(task, TASK_FIELDS, &format!("{path}.tasks[{i}]"), diags);
        }
    }
}

/// What a `job_clusters` item holds; the CLI warns about anything else and leaves it out.
const JOB_CLUSTER_FIELDS: &[&str] = &["job_cluster_key", "new_cluster"];

fn job_cluster_fields(settings: &mut Node, path: &str, diags: &mut Diagnostics) {
    let Some(Kind::Seq(items)) = settings.get_mut("job_clusters").map(|c| &mut c.kind) else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        let Kind::Map(entries) = &mut item.kind else {
            continue;
        };
        entries.retain(|(key, _)| {
            let known = JOB_CLUSTER_FIELDS.contains(&key.name.as_str());
            if !known {
                diags.warn(
                    &key.loc,
                    format!("{path}.job_clusters[{i}]"),
                    format!("unknown field: {} (ignored)", key.name),
                );
            }
            known
        });
    }
}

fn normalize_fields(node: &mut Node, table: &[(&str, Want)], path: &str, diags: &mut Diagnostics) {
    let Kind::Map(entries) = &mut node.kind else {
        return;
    };
    entries.retain_mut(|(key, value)| {
        let Some((_, want)) = table.iter().find(|(f, _)| *f == key.name) else {
            return true;
        };
        let text = match &value.kind {
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        if let (Want::Str, Some(text)) = (want, text) {
            value.kind = Kind::Str(text);
        }
        if want.accepts(value) {
            return true;
        }
        diags.warn(
            &value.loc,
            format!("{path}.{}", key.name),
            format!("must be {}; ignored", want.name()),
        );
        false
    });
}

/// Checks one job's settings (`path` is `resources.jobs.<key>`).
pub fn job(settings: &Node, path: &str, diags: &mut Diagnostics) {
    fields(settings, JOB_FIELDS, path, diags);
    let tasks = settings
        .get("tasks")
        .and_then(Node::items)
        .unwrap_or_default();
    if tasks.len() > MAX_TASKS {
        let loc = &settings.get("tasks").unwrap_or(settings).loc;
        diags.push(
            loc,
            format!("{path}.tasks"),
            format!(
                "{} tasks; the Jobs API takes at most {MAX_TASKS} in one job",
                tasks.len()
            ),
        );
    }
    // task_key -> index of its first task.
    let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, task) in tasks.iter().enumerate() {
        let tpath = format!("{path}.tasks[{i}]");
        if !matches!(task.kind, Kind::Map(_)) {
            diags.push(&task.loc, &tpath, "must be a map of task settings");
            continue;
        }
        fields(task, TASK_FIELDS, &tpath, diags);
        if let Some(r) = task.get("run_if")
            && let Some(s) = r.as_str()
            && !s.contains("${")
            && !RUN_IF.contains(&s)
        {
            diags.deploy_error(
                &r.loc,
                format!("{tpath}.run_if"),
                format!("unknown value {s:?} (known: {})", RUN_IF.join(", ")),
            );
        }
        let Some(k) = task.get("task_key") else {
            continue;
        };
        // An empty key is reported as missing, not as shared.
        let Some(key) = k.as_str().filter(|k| !k.is_empty()) else {
            continue;
        };
        if let Some(first) = keys.get(key) {
            diags.push(
                &k.loc,
                format!("{tpath}.task_key"),
                format!(
                    "{key:?} is used by another task too (first at {}); task keys are unique in a job",
                    tasks[*first].loc
                ),
            );
        } else {
            keys.insert(key, i);
        }
    }
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, task) in tasks.iter().enumerate() {
        let key = task.get("task_key").and_then(Node::as_str).unwrap_or("");
        for (j, dep) in task
            .get("depends_on")
            .and_then(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let dpath = format!("{path}.tasks[{i}].depends_on[{j}].task_key");
            match dep.get("task_key").and_then(Node::as_str) {
                Some(d) if keys.contains_key(d) => edges.entry(key).or_default().push(d),
                Some(d) if d.contains("${") => {}
                Some(d) => diags.push(&dep.loc, dpath, format!("no task {d:?} in this job")),
                None => diags.push(&dep.loc, dpath, "must name a task: {task_key: <key>}"),
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let first = keys.get(cycle[0]).map(|i| &tasks[*i]).unwrap_or(settings);
        diags.push(
            &first.loc,
            format!("{path}.tasks"),
            format!("depends_on forms a loop: {}", cycle.join(" -> ")),
        );
    }
}

/// Every rule above over a whole merged tree (`resources.*` and the top-level
/// `permissions`); run before interpolation too, so what is wrong as written is reported
/// before the first request.
pub fn tree(tree: &Node, diags: &mut Diagnostics) {
    if let Some(p) = tree.get("permissions").filter(|p| p.items().is_some()) {
        permissions("", p, "permissions", diags);
    }
    let Some(kinds) = tree.get("resources").and_then(Node::entries) else {
        return;
    };
    for (kind, items) in kinds {
        for (key, settings) in items.entries().unwrap_or_default() {
            if !matches!(settings.kind, Kind::Map(_)) {
                continue;
            }
            let path = format!("resources.{}.{}", kind.name, key.name);
            if kind.name == "jobs" {
                job(settings, &path, diags);
            }
            if let Some(p) = settings.get("permissions") {
                permissions(&kind.name, p, &format!("{path}.permissions"), diags);
            }
        }
    }
}

/// One loop in the graph, as the keys along it ending where it starts.
fn find_cycle<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    // 0 unvisited, 1 on the current path, 2 done; iterative so a long chain cannot overflow.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    for &start in edges.keys() {
        if state.get(start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            let deps = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            if let Some(&d) = deps.get(*next) {
                *next += 1;
                match state.get(d).copied().unwrap_or(0) {
                    0 => {
                        state.insert(d, 1);
                        stack.push((d, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == d).unwrap_or(0);
                        let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(d);
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                state.insert(node, 2);
                stack.pop();
            }
        }
    }
    None
}

/// Checks a `permissions` list: each entry one principal and a level `kind` takes (`""` for
/// the top-level section). Kinds without a table here get their principals checked only.
pub fn permissions(kind: &str, list: &Node, path: &str, diags: &mut Diagnostics) {
    let Some(items) = list.items() else {
        if !list.is_null() {
            diags.push(
                &list.loc,
                path,
                "must be a list of {level, user_name|group_name|service_principal_name}",
            );
        }
        return;
    };
    let levels = levels_of(kind);
    for (i, p) in items.iter().enumerate() {
        let ppath = format!("{path}[{i}]");
        let who = PRINCIPALS.iter().filter(|k| p.get(k).is_some()).count();
        if who != 1 {
            diags.push(
                &p.loc,
                &ppath,
                format!("names exactly one of {}", PRINCIPALS.join(", ")),
            );
        }
        // A number or boolean level is read as its text, as the CLI reads it; an unknown
        // level only the API refuses (the CLI's validate warns).
        match (p.get("level"), levels) {
            (None, _) => diags.push(&p.loc, format!("{ppath}.level"), "is required"),
            (Some(l), Some(known)) => match l.scalar_text() {
                Some(s) if known.contains(&s.as_str()) || s.contains("${") => {}
                text => diags.deploy_error(
                    &l.loc,
                    format!("{ppath}.level"),
                    format!(
                        "unknown permission level{} (known here: {})",
                        text.map(|s| format!(" {s:?}")).unwrap_or_default(),
                        known.join(", ")
                    ),
                ),
            },
            (Some(l), None) if l.scalar_text().is_none() => {
                diags.push(&l.loc, format!("{ppath}.level"), "must be a string")
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diags_for(yaml: &str) -> String {
        let node = super::super::yaml::parse(std::path::Path::new("j.yml"), yaml).unwrap();
        let mut d = Diagnostics::default();
        job(&node, "resources.jobs.j", &mut d);
        // As plan and deploy see them: what only the API refuses is an error there.
        d.for_deploy().unwrap_or_else(|e| e).to_string()
    }

    #[test]
    fn duplicate_keys_missing_and_looping_dependencies_are_all_named() {
        let d = diags_for(
            "tasks:\n  - task_key: a\n    depends_on: [{task_key: c}]\n  - task_key: a\n  - task_key: b\n    depends_on: [{task_key: nope}]\n  - task_key: c\n    depends_on: [{task_key: a}]\n",
        );
        assert!(
            d.contains(
                "j.yml:4:15: resources.jobs.j.tasks[1].task_key: \"a\" is used by another task too"
            ),
            "{d}"
        );
        assert!(
            d.contains("resources.jobs.j.tasks[2].depends_on[0].task_key: no task \"nope\""),
            "{d}"
        );
        assert!(d.contains("depends_on forms a loop: a -> c -> a"), "{d}");
    }

    #[test]
    fn wrong_scalar_types_and_too_many_tasks_are_named() {
        let d = diags_for(
            "timeout_seconds: soon\ntasks:\n  - task_key: a\n    max_retries: [1]\n    disabled: maybe\n    run_if: SOMETIMES\n  - task_key: b\n    timeout_seconds: '60'\n",
        );
        assert!(
            d.contains("j.yml:1:18: resources.jobs.j.timeout_seconds: must be a whole number"),
            "{d}"
        );
        assert!(
            d.contains("tasks[0].max_retries: must be a whole number"),
            "{d}"
        );
        assert!(
            d.contains("tasks[0].disabled: must be true or false"),
            "{d}"
        );
        assert!(
            d.contains("tasks[0].run_if: unknown value \"SOMETIMES\""),
            "{d}"
        );
        assert!(!d.contains("tasks[1]"), "{d}");
        let many: String = (0..=MAX_TASKS)
            .map(|i| format!("  - task_key: t{i}\n"))
            .collect();
        let d = diags_for(&format!("tasks:\n{many}"));
        assert!(
            d.contains("1001 tasks; the Jobs API takes at most 1000"),
            "{d}"
        );
    }

    #[test]
    fn mistyped_fields_warn_and_are_left_out_and_scalars_become_text() {
        let mut tree = super::super::yaml::parse(
            std::path::Path::new("j.yml"),
            "resources:\n  jobs:\n    j:\n      name: 2024\n      max_concurrent_runs: many\n      tasks:\n        - task_key: 7\n          disabled: maybe\n          timeout_seconds: '60'\n",
        )
        .unwrap();
        let mut d = Diagnostics::default();
        normalize(&mut tree, &mut d);
        assert!(!d.has_errors());
        let w: Vec<String> = d.warnings().map(ToString::to_string).collect();
        assert_eq!(
            w,
            [
                "j.yml:5:28: resources.jobs.j.max_concurrent_runs: must be a whole number; ignored",
                "j.yml:8:21: resources.jobs.j.tasks[0].disabled: must be true or false; ignored",
            ]
        );
        let job = tree
            .get("resources")
            .unwrap()
            .get("jobs")
            .unwrap()
            .get("j")
            .unwrap();
        assert!(job.get("max_concurrent_runs").is_none());
        assert_eq!(job.get("name").unwrap().as_str(), Some("2024"));
        let task = &job.get("tasks").unwrap().items().unwrap()[0];
        assert_eq!(task.get("task_key").unwrap().as_str(), Some("7"));
        assert!(task.get("disabled").is_none());
        let mut again = Diagnostics::default();
        super::tree(&tree, &mut again);
        assert!(again.is_empty(), "{again}");
    }

    #[test]
    fn unknown_permission_levels_are_named_with_the_known_ones() {
        let node = super::super::yaml::parse(
            std::path::Path::new("p.yml"),
            "- {level: CAN_MANAGE_RUN, user_name: a@b}\n- {level: CAN_FLY, group_name: g}\n- {level: CAN_VIEW}\n",
        )
        .unwrap();
        let mut d = Diagnostics::default();
        permissions("jobs", &node, "resources.jobs.j.permissions", &mut d);
        assert!(d.warnings().any(|w| w.text().contains("CAN_FLY")));
        let d = d.for_deploy().unwrap_err().to_string();
        assert!(!d.contains("[0]"), "{d}");
        assert!(d.contains("permissions[1].level: unknown permission level \"CAN_FLY\" (known here: CAN_VIEW, CAN_MANAGE_RUN, IS_OWNER, CAN_MANAGE)"), "{d}");
        assert!(d.contains("permissions[2]: names exactly one of"), "{d}");
    }
}
