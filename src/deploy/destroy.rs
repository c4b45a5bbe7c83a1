//! What `brickci destroy` removes: every object and file the target's state records (a plan
//! against an empty bundle, so deletions run in the same reverse dependency order as a
//! prune), then the target's root folder — only when it is the deployment's own folder.

use crate::bundle::Bundle;

/// The bundle with nothing in it: planned against the state, everything recorded goes.
pub fn emptied(bundle: &Bundle) -> Bundle {
    let mut empty = bundle.clone();
    empty.resources.clear();
    empty.artifacts.clear();
    empty
}

/// Why the root folder must stay, if it must: it holds no state of this deployment, or it is
/// a folder people keep other things in (a home folder, `/Shared`, the workspace's top).
pub fn root_kept_because(root_path: &str, state_path: &str) -> Option<String> {
    let root = root_path.trim_end_matches('/');
    if !state_path.starts_with(&format!("{root}/")) {
        return Some(format!(
            "the state ({state_path}) is not inside the root folder {root_path}"
        ));
    }
    let parts: Vec<&str> = root
        .strip_prefix("/Workspace")
        .unwrap_or(root)
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    let shared_top = match parts.first() {
        Some(&"Users") | Some(&"Repos") => parts.len() < 3,
        Some(_) => parts.len() < 2,
        None => true,
    };
    if shared_top || parts.iter().any(|p| *p == "." || *p == "..") {
        return Some(format!(
            "{root_path} is not a folder of this deployment alone"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_folder_goes_with_its_state() {
        assert_eq!(
            root_kept_because(
                "/Workspace/Users/me@x.com/.bundle/shop/dev",
                "/Workspace/Users/me@x.com/.bundle/shop/dev/state"
            ),
            None
        );
        assert_eq!(
            root_kept_because("/Shared/shop", "/Shared/shop/state"),
            None
        );
    }

    #[test]
    fn home_folders_and_the_top_stay() {
        for root in [
            "/",
            "/Workspace",
            "/Users/me@x.com",
            "/Workspace/Users/me@x.com",
            "/Shared",
            "/Repos/me@x.com",
        ] {
            let state = format!("{}/state", root.trim_end_matches('/'));
            assert!(root_kept_because(root, &state).is_some(), "{root}");
        }
    }

    #[test]
    fn a_root_without_the_state_inside_stays() {
        assert!(root_kept_because("/Shared/shop", "/Shared/state/shop").is_some());
        assert!(root_kept_because("/Shared/shop", "/Shared/shopping/state").is_some());
        assert!(root_kept_because("/Shared/a/../b", "/Shared/a/../b/state").is_some());
    }
}
