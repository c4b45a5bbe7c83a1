//! Workspace paths carry the `/Workspace` prefix, as the Databricks CLI gives them: a
//! configured `/Users/me/x` becomes `/Workspace/Users/me/x`, and the older spelling
//! `/Workspace${workspace.file_path}` (which would now double the prefix) loses its own.

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

/// `path` with `/Workspace` in front when it is an absolute path outside `/Workspace` and
/// `/Volumes`; None when it needs nothing (relative, a reference, already prefixed).
pub fn prefixed(path: &str) -> Option<String> {
    let inside = |root: &str| path == root || path.starts_with(&format!("{root}/"));
    (path.starts_with('/') && !inside("/Workspace") && !inside("/Volumes"))
        .then(|| format!("/Workspace{path}"))
}

const WORKSPACE_PATHS: &[&str] = &[
    "root_path",
    "file_path",
    "artifact_path",
    "state_path",
    "resource_path",
];

/// Rewrites `/Workspace${workspace.<path>}` and `/Workspace/${workspace.<path>}` to
/// `${workspace.<path>}` in every string of the tree, with a warning (as the CLI warns)
/// naming the setting (`path` is the node's own).
pub fn drop_doubled_prefixes(node: &mut Node, path: &str, diags: &mut Diagnostics) {
    match &mut node.kind {
        Kind::Str(s) if s.contains("/Workspace") => {
            let written = s.clone();
            for name in WORKSPACE_PATHS {
                let reference = format!("${{workspace.{name}}}");
                for spelled in [
                    format!("/Workspace/{reference}"),
                    format!("/Workspace{reference}"),
                ] {
                    if s.contains(&spelled) {
                        *s = s.replace(&spelled, &reference);
                    }
                }
            }
            if *s != written {
                diags.warn(
                    &node.loc,
                    path,
                    format!(
                        "{written:?} repeats the /Workspace prefix that ${{workspace.*}} paths already carry; read as {s:?}, write that instead"
                    ),
                );
            }
        }
        Kind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                drop_doubled_prefixes(item, &format!("{path}[{i}]"), diags);
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                let here = if path.is_empty() {
                    k.name.clone()
                } else {
                    format!("{path}.{}", k.name)
                };
                drop_doubled_prefixes(v, &here, diags);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_outside_workspace_and_volumes_get_the_prefix() {
        assert_eq!(
            prefixed("/Users/me@x.com/.bundle/b").as_deref(),
            Some("/Workspace/Users/me@x.com/.bundle/b")
        );
        assert_eq!(
            prefixed("/Shared/b").as_deref(),
            Some("/Workspace/Shared/b")
        );
        assert_eq!(prefixed("/Workspace/Shared/b"), None);
        assert_eq!(prefixed("/Volumes/c/s/v/x"), None);
        assert_eq!(prefixed("${var.root}/x"), None);
        assert_eq!(
            prefixed("/WorkspaceX/a").as_deref(),
            Some("/Workspace/WorkspaceX/a")
        );
    }

    #[test]
    fn the_older_spelling_is_read_as_the_reference_with_a_warning() {
        let mut tree = super::super::yaml::parse(
            std::path::Path::new("databricks.yml"),
            "jobs:\n  - nb: /Workspace${workspace.file_path}/nb\n  - nb: ${workspace.file_path}/nb\n",
        )
        .unwrap();
        let mut d = Diagnostics::default();
        drop_doubled_prefixes(&mut tree, "", &mut d);
        let w: Vec<String> = d.warnings().map(ToString::to_string).collect();
        assert_eq!(
            w,
            [
                "databricks.yml:2:9: jobs[0].nb: \"/Workspace${workspace.file_path}/nb\" repeats the /Workspace prefix that ${workspace.*} paths already carry; read as \"${workspace.file_path}/nb\", write that instead"
            ]
        );
        let items = tree.get("jobs").unwrap().items().unwrap();
        assert_eq!(
            items[0].get("nb").unwrap().as_str(),
            Some("${workspace.file_path}/nb")
        );
    }
}
