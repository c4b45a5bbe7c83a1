//! How two pieces of configuration combine: an included file into the root, a target's
//! overrides into the top level. Maps merge key by key (the later value wins), sequences
//! append, except the lists whose items have a key (`tasks` by `task_key`, ...), where an
//! item with a known key merges into the existing one.

use super::yaml::{Kind, Node};

/// Sequences whose items are identified by a field, merged by that field.
const KEYED_LISTS: &[(&str, &str)] = &[
    ("tasks", "task_key"),
    ("job_clusters", "job_cluster_key"),
    ("environments", "environment_key"),
    ("parameters", "name"),
];

/// Merges `from` into `into`. `name` is the key `into` sits under.
pub fn merge(into: &mut Node, from: Node, name: &str) {
    match (&mut into.kind, from.kind) {
        (Kind::Map(_), Kind::Map(entries)) => {
            for (key, value) in entries {
                match into.get_mut(&key.name) {
                    Some(existing) => {
                        let name = key.name.clone();
                        merge(existing, value, &name);
                    }
                    None => into.insert(key, value),
                }
            }
        }
        (Kind::Seq(items), Kind::Seq(more)) => {
            match KEYED_LISTS.iter().find(|(list, _)| *list == name) {
                Some((_, field)) => merge_keyed(items, more, field),
                None => items.extend(more),
            }
        }
        (_, kind) => {
            into.kind = kind;
            into.loc = from.loc;
        }
    }
}

fn merge_keyed(items: &mut Vec<Node>, more: Vec<Node>, field: &str) {
    for item in more {
        let id = item.get(field).and_then(Node::as_str).map(str::to_string);
        let existing = id.as_deref().and_then(|id| {
            items
                .iter_mut()
                .find(|i| i.get(field).and_then(Node::as_str) == Some(id))
        });
        match existing {
            Some(e) => merge(e, item, ""),
            None => items.push(item),
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
        merge(&mut base, over, "");
        let j = base.to_json();
        assert_eq!(j["job"]["name"], "b");
        assert_eq!(j["job"]["tags"], serde_json::json!({"x": 1, "y": 2}));
        assert_eq!(j["job"]["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(j["job"]["tasks"][0]["timeout_seconds"], 9);
        assert_eq!(j["job"]["email"], serde_json::json!(["a", "b"]));
        // The overriding value's place is kept, so errors point at the override.
        assert_eq!(base.get("job").unwrap().get("name").unwrap().loc.line, 2);
    }
}
