//! Workspace paths carry the `/Workspace` prefix, as the Databricks CLI gives them: a
//! configured `/Users/me/x` becomes `/Workspace/Users/me/x`, and the older spelling
//! `/Workspace${workspace.file_path}` (which would now double the prefix) loses its own.

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
/// `${workspace.<path>}` in every string of the tree.
pub fn drop_doubled_prefixes(node: &mut Node) {
    match &mut node.kind {
        Kind::Str(s) if s.contains("/Workspace") => {
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
        }
        Kind::Seq(items) => items.iter_mut().for_each(drop_doubled_prefixes),
        Kind::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, v)| drop_doubled_prefixes(v)),
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
}
