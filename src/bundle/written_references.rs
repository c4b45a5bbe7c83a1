//! The Databricks CLI's `validate` leaves every `${resources.*}` reference as written (its
//! deploy resolves them); brickci resolves what the configuration already knows (names,
//! catalogs) while loading. This puts the CLI's form back into the `validate -o json` view.

use serde_json::Value;

use super::interpolate::{Resolver, references};
use super::yaml::{Kind, Node};

/// Settings brickci derives from resolved ones that the CLI prints resolved too.
const DERIVED: &[&str] = &["volume_path"];

pub struct WrittenReferences<'a> {
    tree: &'a Node,
    resolver: Resolver<'a>,
}

impl<'a> WrittenReferences<'a> {
    /// `tree` is the configuration after presets, before references are resolved.
    pub fn new(tree: &'a Node) -> Self {
        WrittenReferences {
            tree,
            resolver: Resolver::new(tree).keeping_resource_references(),
        }
    }

    /// Rewrites `view` (the resolved form of the setting at `path`) where a string refers,
    /// directly or through variables, to a resource.
    pub fn restore(&mut self, path: &str, view: &mut Value) {
        if let Some(node) = super::interpolate::find(self.tree, path) {
            self.walk(node, path, view, true);
        }
    }

    fn walk(&mut self, node: &Node, path: &str, view: &mut Value, top: bool) {
        match (&node.kind, view) {
            (Kind::Str(s), view) if !references(s).is_empty() => {
                let kept = self.resolver.resolve(node, path).to_json();
                if kept.as_str().is_some_and(mentions_a_resource) {
                    *view = kept;
                }
            }
            (Kind::Map(entries), Value::Object(o)) => {
                for (k, child) in entries {
                    if top && DERIVED.contains(&k.name.as_str()) {
                        continue;
                    }
                    if let Some(v) = o.get_mut(&k.name) {
                        self.walk(child, &format!("{path}.{}", k.name), v, false);
                    }
                }
            }
            // Only a list that kept its shape (tasks merged by key do not).
            (Kind::Seq(items), Value::Array(a)) if items.len() == a.len() => {
                for (i, (child, v)) in items.iter().zip(a.iter_mut()).enumerate() {
                    self.walk(child, &format!("{path}[{i}]"), v, false);
                }
            }
            _ => {}
        }
    }
}

fn mentions_a_resource(s: &str) -> bool {
    references(s)
        .iter()
        .any(|(_, r)| r.starts_with("resources."))
}
