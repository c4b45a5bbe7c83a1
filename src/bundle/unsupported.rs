//! What the bundle format allows but brickci does not do, refused before any request with
//! the key that asks for it: resource kinds brickci does not deploy and Python-defined
//! resources.

use super::error::Diagnostics;
use super::known_fields::RESOURCE_KINDS;
use super::resources::KINDS;
use super::yaml::Node;

/// `resources.<kind>` for a kind of the format that brickci does not deploy. (Kinds the
/// format does not know were warned about and dropped when the files were read.)
pub fn kinds(tree: &Node, diags: &mut Diagnostics) {
    let Some(kinds) = tree.get("resources").and_then(Node::entries) else {
        return;
    };
    for (key, _) in kinds {
        let kind = key.name.as_str();
        if RESOURCE_KINDS.contains(&kind) && !KINDS.contains(&kind) {
            diags.push(
                &key.loc,
                format!("resources.{kind}"),
                format!(
                    "brickci does not deploy {kind} (it deploys: {})",
                    KINDS.join(", ")
                ),
            );
        }
    }
}

/// Resources or mutators defined in Python (`python.resources`, `python.mutators`, and the
/// older `experimental.python` / `experimental.pydabs`).
pub fn python(tree: &Node, diags: &mut Diagnostics) {
    let places = [
        ("python", tree.get("python")),
        (
            "experimental.python",
            tree.get("experimental").and_then(|e| e.get("python")),
        ),
        (
            "experimental.pydabs",
            tree.get("experimental").and_then(|e| e.get("pydabs")),
        ),
    ];
    for (path, section) in places {
        for (key, value) in section.and_then(Node::entries).unwrap_or_default() {
            let asks = matches!(key.name.as_str(), "resources" | "mutators")
                || (path == "experimental.pydabs" && key.name == "enabled");
            if asks && !is_empty(value) {
                diags.push(
                    &key.loc,
                    format!("{path}.{}", key.name),
                    "brickci does not run Python-defined resources or mutators yet; define these resources in YAML, or deploy this bundle with the Databricks CLI",
                );
            }
        }
    }
}

fn is_empty(v: &Node) -> bool {
    v.is_null()
        || v.items().is_some_and(<[Node]>::is_empty)
        || v.entries().is_some_and(<[_]>::is_empty)
        || matches!(v.kind, super::yaml::Kind::Bool(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn errors(yaml: &str) -> Vec<String> {
        let doc = super::super::yaml::parse(Path::new("databricks.yml"), yaml).unwrap();
        let mut diags = Diagnostics::default();
        kinds(&doc, &mut diags);
        python(&doc, &mut diags);
        diags.errors().map(ToString::to_string).collect()
    }

    #[test]
    fn kinds_brickci_does_not_deploy_and_python_resources_are_named() {
        let e = errors(
            "resources:\n  apps: {a: {}}\n  jobs: {}\npython:\n  venv_path: .venv\n  resources:\n    - 'resources:load_resources'\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("databricks.yml:2:3: resources.apps: brickci does not deploy apps")
        );
        assert!(e[1].starts_with(
            "databricks.yml:6:3: python.resources: brickci does not run Python-defined resources"
        ));
    }

    #[test]
    fn a_python_section_without_resources_is_fine() {
        assert!(errors("python:\n  venv_path: .venv\n  resources: []\nexperimental:\n  pydabs: {enabled: false}\n").is_empty());
    }
}
