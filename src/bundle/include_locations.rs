//! `validate -o json --include-locations`: the `__locations` section the Databricks CLI adds,
//! every place a top-level section, a resource kind, a resource, a job's `tasks` and each
//! task was set at (a value merged from several files has several), as
//! `[file index, line, column]` with `files` the bundle-relative paths, sorted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

use super::model::Bundle;
use super::yaml::{Loc, Node};

/// The structure's version, as the CLI numbers it.
const VERSION: u64 = 1;

pub fn render<'b>(bundle: &'b Bundle) -> Value {
    let mut at: Vec<(String, Vec<&Loc>)> = Vec::new();
    // `include` was read and left the tree; the CLI still places it.
    let include: Vec<&Loc> = bundle
        .include_places
        .iter()
        .filter(|l| l.line > 0)
        .collect();
    if !include.is_empty() {
        at.push(("include".into(), include));
    }
    let mut add = |path: String, node: &'b Node| {
        // Values no file set (defaults, the current user) have no place.
        let places: Vec<&Loc> = node.places().filter(|l| l.line > 0).collect();
        if !places.is_empty() {
            at.push((path, places));
        }
    };
    for (key, section) in bundle.tree.entries().unwrap_or_default() {
        // The selected target is folded in; the others are gone, as in the CLI.
        if key.name != "targets" {
            add(key.name.clone(), section);
        }
    }
    let resources = bundle.tree.get("resources").and_then(Node::entries);
    for (kind, group) in resources.unwrap_or_default() {
        add(format!("resources.{}", kind.name), group);
        for (key, resource) in group.entries().unwrap_or_default() {
            let path = format!("resources.{}.{}", kind.name, key.name);
            add(path.clone(), resource);
            if kind.name != "jobs" {
                continue;
            }
            if let Some(tasks) = resource.get("tasks") {
                add(format!("{path}.tasks"), tasks);
                for (i, task) in tasks.items().unwrap_or_default().iter().enumerate() {
                    add(format!("{path}.tasks[{i}]"), task);
                }
            }
        }
    }
    let file_of = |loc: &Loc| file_name(&bundle.root, &bundle.bundle_dir, &loc.file);
    let files: Vec<String> = at
        .iter()
        .flat_map(|(_, places)| places.iter().map(|l| file_of(l)))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut locations = BTreeMap::new();
    for (path, places) in at {
        let list: Vec<Value> = places
            .iter()
            .map(|l| {
                let file = files.binary_search(&file_of(l)).expect("listed above");
                json!([file, l.line, l.column])
            })
            .collect();
        locations.insert(path, Value::Array(list));
    }
    json!({"version": VERSION, "files": files, "locations": locations})
}

/// A place's file (relative to the sync root), relative to the bundle's folder.
fn file_name(root: &Path, bundle_dir: &Path, file: &Path) -> String {
    let full = super::sync_root::fold(&root.join(file));
    super::sync_root::relative(bundle_dir, &full).replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::super::tests::{bundle, load};
    use super::*;

    #[test]
    fn a_value_merged_from_an_include_and_a_target_keeps_both_places() {
        let dir = bundle(&[
            (
                "databricks.yml",
                "bundle:\n  name: b\ninclude:\n  - res/*.yml\ntargets:\n  dev:\n    resources:\n      jobs:\n        j:\n          name: dev\n          tasks:\n            - task_key: t\n              notebook_task: {notebook_path: /x}\n",
            ),
            (
                "res/job.yml",
                "resources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          notebook_task: {notebook_path: /y}\n",
            ),
        ]);
        let b = load(dir.path(), Some("dev"), &[]).unwrap();
        let doc = render(&b);
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["files"], json!(["databricks.yml", "res/job.yml"]));
        let at = &doc["locations"];
        assert_eq!(at["bundle"], json!([[0, 2, 3]]));
        assert_eq!(at["include"], json!([[0, 4, 3]]));
        // The include's place first, then the target's.
        assert_eq!(at["resources.jobs.j"], json!([[1, 4, 7], [0, 10, 11]]));
        assert_eq!(
            at["resources.jobs.j.tasks[0]"],
            json!([[1, 6, 11], [0, 12, 15]])
        );
        // Only the sections, resources, tasks: not every field; not the other targets.
        assert!(at.get("resources.jobs.j.name").is_none());
        assert!(at.get("targets").is_none());
    }

    #[test]
    fn a_replaced_value_lists_the_override_first() {
        let mut diags = super::super::Diagnostics::default();
        let place = |line| Loc {
            file: std::sync::Arc::new("a.yml".into()),
            line,
            column: 1,
        };
        let mut base = Node::new(super::super::yaml::Kind::Str("a".into()), place(1));
        let over = Node::new(super::super::yaml::Kind::Str("b".into()), place(2));
        super::super::merge::merge(&mut base, over, "x", &mut diags);
        let lines: Vec<u64> = base.places().map(|l| l.line).collect();
        assert_eq!(lines, [2, 1]);
    }
}
