//! How two pieces of configuration combine: an included file into the root, a target's
//! overrides into the top level. Maps merge key by key (the later value wins), sequences
//! append, except the lists whose items have a key (`tasks` by `task_key`, ...), where an
//! item with a known key merges into the existing one. A null override keeps the base (an
//! entry whose settings are all commented out changes nothing); a map or list cannot be
//! overridden by another kind of value.

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

/// Sequences whose items are identified by a field, merged by that field.
const KEYED_LISTS: &[(&str, &str)] = &[
    ("tasks", "task_key"),
    ("job_clusters", "job_cluster_key"),
    ("environments", "environment_key"),
    ("parameters", "name"),
];

/// Merges `from` into `into`. `path` is the dotted key path `into` sits at (its last
/// segment picks the keyed lists); a kind mismatch is reported there.
/// The merged value keeps every place it was set at (the base's then the override's for
/// maps and lists, the override's first for a replaced value), as `--include-locations` shows.
pub fn merge(into: &mut Node, from: Node, path: &str, diags: &mut Diagnostics) {
    if from.is_null() {
        into.add_places_of(&from);
        return;
    }
    if into.is_null() {
        let base = std::mem::replace(into, from);
        into.add_places_of(&base);
        return;
    }
    let into_kind = into.type_name();
    let from_places: Vec<_> = from.places().cloned().collect();
    match (&mut into.kind, from.kind) {
        (Kind::Map(_), Kind::Map(entries)) => {
            for (key, value) in entries {
                match into.get_mut(&key.name) {
                    Some(existing) => {
                        let sub = join(path, &key.name);
                        merge(existing, value, &sub, diags);
                    }
                    None => into.insert(key, value),
                }
            }
            into.also.extend(from_places);
        }
        (Kind::Seq(items), Kind::Seq(more)) => {
            let name = last_segment(path);
            match KEYED_LISTS.iter().find(|(list, _)| *list == name) {
                Some((_, field)) => merge_keyed(items, more, field, path, diags),
                None => items.extend(more),
            }
            into.also.extend(from_places);
        }
        (base, kind)
            if matches!(base, Kind::Map(_) | Kind::Seq(_))
                || matches!(kind, Kind::Map(_) | Kind::Seq(_)) =>
        {
            let from = Node::new(kind, from.loc);
            diags.push(
                &from.loc,
                path,
                format!(
                    "cannot override {into_kind} with {} (first set at {})",
                    from.type_name(),
                    into.loc
                ),
            );
        }
        (_, kind) => {
            into.kind = kind;
            let mut places = from_places.into_iter();
            let base = std::mem::replace(&mut into.loc, places.next().expect("its own place"));
            let older = std::mem::replace(&mut into.also, places.collect());
            into.also.push(base);
            into.also.extend(older);
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `resources.jobs.j.tasks` -> `tasks`; `...tasks[0]` -> `` (an item is not a list name).
fn last_segment(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    if last.ends_with(']') { "" } else { last }
}

fn merge_keyed(
    items: &mut Vec<Node>,
    more: Vec<Node>,
    field: &str,
    path: &str,
    diags: &mut Diagnostics,
) {
    for item in more {
        let id = item.get(field).and_then(Node::as_str).map(str::to_string);
        let existing = id.as_deref().and_then(|id| {
            items
                .iter()
                .position(|i| i.get(field).and_then(Node::as_str) == Some(id))
        });
        match existing {
            Some(i) => merge(&mut items[i], item, &format!("{path}[{i}]"), diags),
            None => items.push(item),
        }
    }
}

/// Job lists merged again by key once references are resolved, as the CLI's MergeJobClusters,
/// MergeJobParameters and MergeJobTasks run after variables: a target's
/// `job_cluster_key: ${var.key}` or a keyless `new_cluster: ${var.cluster}` then merges into
/// the base item with the same key (a missing key counts as "").
const JOB_KEYED_LISTS: &[(&str, &str)] = &[
    ("job_clusters", "job_cluster_key"),
    ("parameters", "name"),
    ("tasks", "task_key"),
];

pub fn merge_jobs_by_resolved_key(tree: &mut Node, diags: &mut Diagnostics) {
    let Some(Kind::Map(jobs)) = tree
        .get_mut("resources")
        .and_then(|r| r.get_mut("jobs"))
        .map(|j| &mut j.kind)
    else {
        return;
    };
    for (job_key, job) in jobs.iter_mut() {
        for (list, field) in JOB_KEYED_LISTS {
            let Some(Node {
                kind: Kind::Seq(items),
                ..
            }) = job.get_mut(list)
            else {
                continue;
            };
            let path = format!("resources.jobs.{}.{list}", job_key.name);
            let mut out: Vec<(String, usize, Node)> = Vec::new();
            for item in std::mem::take(items) {
                let id = match item.get(field) {
                    None => String::new(),
                    Some(k) => k
                        .as_str()
                        .map_or_else(|| k.to_json().to_string(), str::to_string),
                };
                match out.iter().position(|(k, _, _)| *k == id) {
                    Some(i) => {
                        merge(&mut out[i].2, item, &format!("{path}[{i}]"), diags);
                        out[i].1 += 1;
                    }
                    None => out.push((id, 1, item)),
                }
            }
            for (id, count, mut item) in out {
                // The CLI names the merged item by its key, "" when none was given.
                if count > 1 && item.get(field).is_none() && matches!(item.kind, Kind::Map(_)) {
                    let loc = item.loc.clone();
                    let key = super::yaml::Key {
                        name: (*field).into(),
                        loc: loc.clone(),
                    };
                    item.insert(key, Node::new(Kind::Str(id), loc));
                }
                items.push(item);
            }
        }
    }
}

/// Pipeline clusters with the same `label` (case-insensitive; none is `default`) merge into
/// the first, which gets the lower-cased label, as the CLI's MergePipelineClusters: a
/// target's `clusters: [{label: default, ...}]` adds to the base cluster, not a second one.
pub fn merge_pipeline_clusters(tree: &mut Node, diags: &mut Diagnostics) {
    let Some(Kind::Map(pipelines)) = tree
        .get_mut("resources")
        .and_then(|r| r.get_mut("pipelines"))
        .map(|p| &mut p.kind)
    else {
        return;
    };
    for (key, pipeline) in pipelines.iter_mut() {
        let Some(Node {
            kind: Kind::Seq(clusters),
            ..
        }) = pipeline.get_mut("clusters")
        else {
            continue;
        };
        let path = format!("resources.pipelines.{}.clusters", key.name);
        let mut out: Vec<(String, Node)> = Vec::new();
        for cluster in std::mem::take(clusters) {
            let label = match cluster.get("label").map(|l| &l.kind) {
                None | Some(Kind::Null) => "default".to_string(),
                Some(Kind::Str(s)) => s.to_lowercase(),
                Some(_) => {
                    let loc = &cluster.get("label").expect("matched above").loc;
                    diags.push(loc, format!("{path}.label"), "must be a string");
                    continue;
                }
            };
            match out.iter().position(|(l, _)| *l == label) {
                Some(i) => merge(&mut out[i].1, cluster, &format!("{path}[{i}]"), diags),
                None => out.push((label, cluster)),
            }
        }
        for (label, mut cluster) in out {
            let loc = cluster
                .get("label")
                .map_or(cluster.loc.clone(), |l| l.loc.clone());
            if matches!(cluster.kind, Kind::Map(_)) {
                let key = super::yaml::Key {
                    name: "label".into(),
                    loc: loc.clone(),
                };
                cluster.insert(key, Node::new(Kind::Str(label), loc));
            }
            clusters.push(cluster);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::yaml::parse;
    use std::path::Path;

    fn yaml(s: &str) -> Node {
        parse(Path::new("t.yml"), s).unwrap()
    }

    #[test]
    fn maps_merge_sequences_append_tasks_merge_by_key() {
        let mut base = yaml(
            "job:\n  name: a\n  tags: {x: 1}\n  tasks:\n    - task_key: t1\n      timeout_seconds: 5\n  email: [a]\n",
        );
        let over = yaml(
            "job:\n  name: b\n  tags: {y: 2}\n  tasks:\n    - task_key: t1\n      timeout_seconds: 9\n    - task_key: t2\n  email: [b]\n",
        );
        let mut diags = Diagnostics::default();
        merge(&mut base, over, "", &mut diags);
        assert!(diags.is_empty());
        let j = base.to_json();
        assert_eq!(j["job"]["name"], "b");
        assert_eq!(j["job"]["tags"], serde_json::json!({"x": 1, "y": 2}));
        assert_eq!(j["job"]["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(j["job"]["tasks"][0]["timeout_seconds"], 9);
        assert_eq!(j["job"]["email"], serde_json::json!(["a", "b"]));
        // The overriding value's place is kept, so errors point at the override.
        assert_eq!(base.get("job").unwrap().get("name").unwrap().loc.line, 2);
    }

    #[test]
    fn a_null_override_keeps_the_base_and_kind_mismatches_are_errors() {
        let mut base = yaml("resources:\n  jobs:\n    j: {name: a}\n");
        let over = yaml("resources:\n  jobs:\n    j:\n");
        let mut diags = Diagnostics::default();
        merge(&mut base, over, "", &mut diags);
        assert!(diags.is_empty());
        assert_eq!(base.to_json()["resources"]["jobs"]["j"]["name"], "a");
        let mut again = base.clone();
        merge(&mut again, yaml("resources:\n"), "", &mut diags);
        // The same value; the null's place joins the places it was set at.
        assert_eq!(again.to_json(), base.to_json());
        assert_eq!(again.get("resources").unwrap().also.len(), 2);

        merge(
            &mut base,
            yaml("resources:\n  jobs:\n    j: oops\n"),
            "",
            &mut diags,
        );
        assert_eq!(
            diags.to_string(),
            "t.yml:3:8: resources.jobs.j: cannot override a map with a string (first set at t.yml:3:8)"
        );
    }

    #[test]
    fn pipeline_clusters_merge_by_label() {
        let mut tree = yaml(
            "resources:\n  pipelines:\n    p:\n      clusters:\n        - spark_conf: {foo: bar}\n        - label: Maintenance\n          num_workers: 1\n        - label: DEFAULT\n          num_workers: 4\n        - label: maintenance\n          num_workers: 2\n",
        );
        let mut diags = Diagnostics::default();
        merge_pipeline_clusters(&mut tree, &mut diags);
        assert!(diags.is_empty());
        assert_eq!(
            tree.to_json()["resources"]["pipelines"]["p"]["clusters"],
            serde_json::json!([
                {"spark_conf": {"foo": "bar"}, "label": "default", "num_workers": 4},
                {"label": "maintenance", "num_workers": 2},
            ])
        );
    }
}
