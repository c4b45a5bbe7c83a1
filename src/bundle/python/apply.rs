//! Puts what the Python build returned back into the configuration tree. The build returns
//! the whole configuration; only `resources` may differ from what it was given, and by phase:
//! `load_resources` only adds resources, `apply_mutators` only changes existing ones. What
//! Python left as it was keeps its YAML place; what it added or changed takes its place in the
//! Python code, so later errors name the `.py` file and line.

use serde_json::{Map, Value};

use super::locations::Locations;
use crate::bundle::error::Diagnostics;
use crate::bundle::yaml::{Key, Kind, Loc, Node};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    LoadResources,
    ApplyMutators,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::LoadResources => "load_resources",
            Phase::ApplyMutators => "apply_mutators",
        }
    }
}

/// Where new values are placed: their Python location, else `fallback` (the `python:` key).
pub struct Places<'a> {
    pub locations: &'a Locations,
    pub fallback: &'a Loc,
}

impl Places<'_> {
    fn at(&self, path: &[String]) -> Loc {
        self.locations
            .find(path)
            .cloned()
            .unwrap_or_else(|| self.fallback.clone())
    }

    /// A node for `value` found at `path`, each part placed.
    fn build(&self, value: &Value, path: &mut Vec<String>) -> Node {
        let loc = self.at(path);
        let kind = match value {
            Value::Array(items) => Kind::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.with(path, format!("[{i}]"), |p| self.build(v, p)))
                    .collect(),
            ),
            Value::Object(map) => Kind::Map(
                map.iter()
                    .map(|(k, v)| {
                        let node = self.with(path, k.clone(), |p| self.build(v, p));
                        let key = Key {
                            name: k.clone(),
                            loc: node.loc.clone(),
                        };
                        (key, node)
                    })
                    .collect(),
            ),
            scalar => return Node::from_json(scalar, &loc),
        };
        Node::new(kind, loc)
    }

    fn with<T>(
        &self,
        path: &mut Vec<String>,
        seg: String,
        f: impl FnOnce(&mut Vec<String>) -> T,
    ) -> T {
        path.push(seg);
        let out = f(path);
        path.pop();
        out
    }

    /// `left` changed to `right`: what is equal keeps its node (and YAML place); what
    /// differs is built from `right`. An empty map or list Python left out stays (it omits
    /// them; they mean nothing).
    fn overlay(&self, left: &Node, right: &Value, path: &mut Vec<String>) -> Node {
        if left.to_json() == *right {
            return left.clone();
        }
        match (&left.kind, right) {
            (Kind::Map(entries), Value::Object(map)) => {
                let mut out: Vec<(Key, Node)> = Vec::new();
                for (k, v) in entries {
                    match map.get(&k.name) {
                        Some(r) => {
                            let node = self.with(path, k.name.clone(), |p| self.overlay(v, r, p));
                            out.push((k.clone(), node));
                        }
                        None if is_empty(v) => out.push((k.clone(), v.clone())),
                        None => {}
                    }
                }
                for (k, r) in map {
                    if left.get(k).is_none() {
                        let node = self.with(path, k.clone(), |p| self.build(r, p));
                        let key = Key {
                            name: k.clone(),
                            loc: node.loc.clone(),
                        };
                        out.push((key, node));
                    }
                }
                Node::new(Kind::Map(out), self.at(path))
            }
            (Kind::Seq(items), Value::Array(rights)) => {
                let out = rights
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        self.with(path, format!("[{i}]"), |p| match items.get(i) {
                            Some(l) => self.overlay(l, r, p),
                            None => self.build(r, p),
                        })
                    })
                    .collect();
                Node::new(Kind::Seq(out), self.at(path))
            }
            _ => self.build(right, path),
        }
    }
}

fn is_empty(n: &Node) -> bool {
    match &n.kind {
        Kind::Null => true,
        Kind::Map(e) => e.is_empty(),
        Kind::Seq(s) => s.is_empty(),
        _ => false,
    }
}

fn object(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// Merges `output` (the build's answer to `input`) into `tree`.
pub fn apply(
    tree: &mut Node,
    input: &Value,
    output: &Value,
    phase: Phase,
    places: &Places,
    section: &str,
    diags: &mut Diagnostics,
) {
    let (inp, out) = (object(Some(input)), object(Some(output)));
    if !matches!(output, Value::Object(_)) {
        diags.push(
            places.fallback,
            section,
            "the Python build returned no configuration",
        );
        return;
    }
    // Everything but resources must come back as it went.
    for key in inp.keys().chain(out.keys()) {
        if key != "resources" && inp.get(key) != out.get(key) {
            diags.push(
                places.fallback,
                section,
                format!("the Python code changed `{key}`; it may only add resources (resources) or change them (mutators)"),
            );
            return;
        }
    }
    let (inp, out) = (object(inp.get("resources")), object(out.get("resources")));
    for (kind, items) in &inp {
        for name in object(Some(items)).keys() {
            if object(out.get(kind)).get(name).is_none() {
                let loc = resource_key(tree, kind, name)
                    .map_or_else(|| places.fallback.clone(), |k| k.loc.clone());
                diags.push(
                    &loc,
                    format!("resources.{kind}.{name}"),
                    "the Python code removed this resource; resources can be added or changed, not removed",
                );
            }
        }
    }
    for (kind, items) in &out {
        let before = object(inp.get(kind));
        let Value::Object(items) = items else {
            continue;
        };
        for (name, value) in items {
            let mut path = vec!["resources".to_string(), kind.clone(), name.clone()];
            let key_path = format!("resources.{kind}.{name}");
            match (before.get(name), phase) {
                (Some(old), _) if old == value => {}
                (Some(_), Phase::LoadResources) => {
                    let first = resource_key(tree, kind, name).map(|k| k.loc.to_string());
                    diags.push(
                        &places.at(&path),
                        key_path,
                        format!(
                            "is defined by the Python code and already{}; a resource is defined once (use a mutator to change one)",
                            first.map(|f| format!(" at {f}")).unwrap_or_default()
                        ),
                    );
                }
                (Some(_), Phase::ApplyMutators) => {
                    if let Some(node) = resource_mut(tree, kind, name) {
                        *node = places.overlay(node, value, &mut path);
                    }
                }
                (None, Phase::ApplyMutators) => diags.push(
                    &places.at(&path),
                    key_path,
                    "was added by a mutator; mutators change resources, the functions in `resources` add them",
                ),
                (None, Phase::LoadResources) => {
                    let node = places.build(value, &mut path);
                    insert_resource(tree, kind, name, node);
                }
            }
        }
    }
}

/// Where `resources.<kind>.<name>` is written.
fn resource_key<'t>(tree: &'t Node, kind: &str, name: &str) -> Option<&'t Key> {
    tree.get("resources")?.get(kind)?.key(name)
}

fn resource_mut<'t>(tree: &'t mut Node, kind: &str, name: &str) -> Option<&'t mut Node> {
    tree.get_mut("resources")?.get_mut(kind)?.get_mut(name)
}

/// Adds `resources.<kind>.<name>`, making the maps on the way.
fn insert_resource(tree: &mut Node, kind: &str, name: &str, node: Node) {
    let loc = node.loc.clone();
    let key = |n: &str| Key {
        name: n.to_string(),
        loc: loc.clone(),
    };
    let mut parent = tree;
    for part in ["resources", kind] {
        if parent
            .get(part)
            .is_none_or(|n| !matches!(n.kind, Kind::Map(_)))
        {
            parent.insert(key(part), Node::new(Kind::Map(Vec::new()), loc.clone()));
        }
        parent = parent.get_mut(part).expect("inserted above");
    }
    parent.insert(key(name), node);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::yaml::parse;
    use serde_json::json;
    use std::path::Path;

    fn resource<'t>(tree: &'t Node, kind: &str, name: &str) -> Option<&'t Node> {
        tree.get("resources")?.get(kind)?.get(name)
    }

    fn tree() -> Node {
        parse(
            Path::new("databricks.yml"),
            "bundle:\n  name: b\nresources:\n  jobs:\n    y:\n      name: yaml\n      tags: {}\n      tasks:\n        - task_key: a\n          notebook_task:\n            notebook_path: ./src/nb.py\n",
        )
        .unwrap()
    }

    fn locations() -> Locations {
        Locations::parse(
            concat!(
                "{\"path\": \"resources.jobs.p\", \"file\": \"resources/p.py\", \"line\": 3, \"column\": 1}\n",
                "{\"path\": \"resources.jobs.y\", \"file\": \"mutators.py\", \"line\": 7, \"column\": 1}\n",
            ),
            Path::new("/b"),
        )
        .unwrap()
    }

    #[test]
    fn added_resources_take_their_python_place() {
        let mut t = tree();
        let input = t.to_json();
        let mut output = input.clone();
        output["resources"]["jobs"]["p"] = json!({"name": "py", "tasks": [{"task_key": "m"}]});
        let fallback = Loc::synthetic("python");
        let l = locations();
        let places = Places {
            locations: &l,
            fallback: &fallback,
        };
        let mut d = Diagnostics::default();
        apply(
            &mut t,
            &input,
            &output,
            Phase::LoadResources,
            &places,
            "python",
            &mut d,
        );
        assert!(d.is_empty(), "{d}");
        let p = resource(&t, "jobs", "p").unwrap();
        assert_eq!(
            p.get("tasks").unwrap().loc.to_string(),
            "resources/p.py:3:1"
        );
        assert_eq!(p.to_json(), output["resources"]["jobs"]["p"]);
    }

    #[test]
    fn a_mutation_keeps_the_yaml_place_of_what_it_left_alone() {
        let mut t = tree();
        let input = t.to_json();
        let mut output = input.clone();
        // Python omits the empty tags map and adds a field.
        output["resources"]["jobs"]["y"] = json!({
            "name": "yaml",
            "max_concurrent_runs": 2,
            "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "./src/nb.py"}}],
        });
        let fallback = Loc::synthetic("python");
        let l = locations();
        let places = Places {
            locations: &l,
            fallback: &fallback,
        };
        let mut d = Diagnostics::default();
        apply(
            &mut t,
            &input,
            &output,
            Phase::ApplyMutators,
            &places,
            "python",
            &mut d,
        );
        assert!(d.is_empty(), "{d}");
        let y = resource(&t, "jobs", "y").unwrap();
        assert_eq!(
            y.get("max_concurrent_runs").unwrap().loc.to_string(),
            "mutators.py:7:1"
        );
        assert_eq!(
            y.get("tasks").unwrap().loc.file.to_str(),
            Some("databricks.yml")
        );
        assert!(y.get("tags").is_some());
    }

    #[test]
    fn each_phase_refuses_what_it_may_not_do() {
        let fallback = Loc::synthetic("python");
        let l = locations();
        let places = Places {
            locations: &l,
            fallback: &fallback,
        };
        let run = |phase, edit: &dyn Fn(&mut Value)| {
            let mut t = tree();
            let input = t.to_json();
            let mut output = input.clone();
            edit(&mut output);
            let mut d = Diagnostics::default();
            apply(&mut t, &input, &output, phase, &places, "python", &mut d);
            d.to_string()
        };
        let changed = run(Phase::LoadResources, &|o| {
            o["resources"]["jobs"]["y"]["name"] = json!("x")
        });
        assert!(
            changed.contains(
                "resources.jobs.y: is defined by the Python code and already at databricks.yml:5:5"
            ),
            "{changed}"
        );
        let added = run(Phase::ApplyMutators, &|o| {
            o["resources"]["jobs"]["p"] = json!({})
        });
        assert!(
            added.contains("resources/p.py:3:1: resources.jobs.p: was added by a mutator"),
            "{added}"
        );
        let removed = run(Phase::ApplyMutators, &|o| {
            o["resources"]["jobs"] = json!({})
        });
        assert!(
            removed.contains("resources.jobs.y: the Python code removed this resource"),
            "{removed}"
        );
        let other = run(Phase::ApplyMutators, &|o| o["bundle"]["name"] = json!("z"));
        assert!(
            other.contains("the Python code changed `bundle`"),
            "{other}"
        );
    }
}
