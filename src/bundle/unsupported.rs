//! What the bundle format allows but brickci does not do, refused before any request with
//! the key that asks for it: resource kinds brickci does not deploy.

use super::error::Diagnostics;
use super::known_fields::RESOURCE_KINDS;
use super::yaml::Node;

/// `resources.<kind>` for a kind of the format that brickci does not deploy. (Kinds the
/// format does not know were warned about and dropped when the files were read.) Every kind
/// of the format deploys today; this guards the next one the format gains.
pub fn kinds(tree: &Node, diags: &mut Diagnostics) {
    refuse(tree, diags, |kind| {
        RESOURCE_KINDS.contains(&kind) && crate::deploy::kinds::spec(kind).is_none()
    });
}

fn refuse(tree: &Node, diags: &mut Diagnostics, not_deployed: impl Fn(&str) -> bool) {
    let Some(kinds) = tree.get("resources").and_then(Node::entries) else {
        return;
    };
    for (key, _) in kinds {
        let kind = key.name.as_str();
        if not_deployed(kind) {
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

    #[test]
    fn a_kind_brickci_does_not_deploy_is_named_at_its_key() {
        let doc = super::super::yaml::parse(
            Path::new("databricks.yml"),
            "resources:\n  future_kind: {a: {}}\n  jobs: {}\n",
        )
        .unwrap();
        let mut diags = Diagnostics::default();
        refuse(&doc, &mut diags, |k| k == "future_kind");
        let e: Vec<String> = diags.errors().map(ToString::to_string).collect();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with(
                "databricks.yml:2:3: resources.future_kind: brickci does not deploy future_kind (it deploys: secret_scopes,"
            ),
            "{e:?}"
        );
    }

    #[test]
    fn every_kind_of_the_bundle_format_deploys() {
        let missing: Vec<&str> = RESOURCE_KINDS
            .iter()
            .copied()
            .filter(|k| crate::deploy::kinds::spec(k).is_none())
            .collect();
        assert!(missing.is_empty(), "not deployed: {missing:?}");
        assert_eq!(crate::deploy::kinds::names().len(), RESOURCE_KINDS.len());
    }
}
