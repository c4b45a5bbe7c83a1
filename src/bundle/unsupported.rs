//! What the bundle format allows but brickci does not do, refused before any request with
//! the key that asks for it: resource kinds brickci does not deploy.

use super::error::Diagnostics;
use super::known_fields::RESOURCE_KINDS;
use super::yaml::Node;

/// `resources.<kind>` for a kind of the format that brickci does not deploy. (Kinds the
/// format does not know were warned about and dropped when the files were read.)
pub fn kinds(tree: &Node, diags: &mut Diagnostics) {
    let Some(kinds) = tree.get("resources").and_then(Node::entries) else {
        return;
    };
    for (key, _) in kinds {
        let kind = key.name.as_str();
        if RESOURCE_KINDS.contains(&kind) && crate::deploy::kinds::spec(kind).is_none() {
            diags.push(
                &key.loc,
                format!("resources.{kind}"),
                format!(
                    "brickci does not deploy {kind} (it deploys: {})",
                    crate::deploy::kinds::names().join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn errors(yaml: &str) -> Vec<String> {
        let doc = super::super::yaml::parse(Path::new("databricks.yml"), yaml).unwrap();
        let mut diags = Diagnostics::default();
        kinds(&doc, &mut diags);
        diags.errors().map(ToString::to_string).collect()
    }

    #[test]
    fn kinds_brickci_does_not_deploy_are_named() {
        let e = errors("resources:\n  postgres_synced_tables: {a: {}}\n  jobs: {}\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with(
            "databricks.yml:2:3: resources.postgres_synced_tables: brickci does not deploy postgres_synced_tables"
        ));
    }
}
