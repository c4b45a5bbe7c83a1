//! Which recorded files a deploy may delete: only what the state records, only when the
//! bundle no longer has it, and only under the target's own folders. The state file lives
//! in the workspace, where anyone with access can edit it: a recorded path outside the
//! target (or one that climbs out with `..`) is kept and said so, never deleted.

use std::collections::BTreeMap;

use super::plan::{Action, Op, Work};
use super::state::DeployState;
use crate::bundle::Workspace;

/// True when `path` is a clean absolute workspace path (no empty, `.` or `..` segment)
/// strictly under the target's root, file or artifact folder.
pub fn owned_by_target(path: &str, ws: &Workspace) -> bool {
    let clean = path.starts_with('/')
        && path
            .split('/')
            .skip(1)
            .all(|s| !s.is_empty() && s != "." && s != "..");
    clean
        && [&ws.root_path, &ws.file_path, &ws.artifact_path]
            .iter()
            .any(|root| strictly_under(path, root))
}

fn strictly_under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    // An empty root (or `/`) owns nothing: never the whole workspace.
    !root.is_empty()
        && path
            .strip_prefix(root)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
}

/// An action for every recorded file the bundle no longer has (`wanted` holds the remote
/// paths it uploads): deleted with `prune` when the target owns it, otherwise kept.
pub fn files_gone<V>(
    state: &DeployState,
    wanted: &BTreeMap<String, V>,
    ws: &Workspace,
    prune: bool,
) -> Vec<Action> {
    state
        .files
        .iter()
        .filter(|(remote, _)| !wanted.contains_key(*remote))
        .map(|(remote, entry)| {
            let (action, reason) = if !owned_by_target(remote, ws) {
                (
                    Op::Orphaned,
                    format!(
                        "recorded in the state but outside the target's folders ({}); never deleted",
                        ws.root_path
                    ),
                )
            } else if prune {
                (Op::Delete, "no longer in the bundle".to_string())
            } else {
                (
                    Op::Orphaned,
                    "no longer in the bundle; kept (--prune deletes it)".to_string(),
                )
            };
            Action {
                action,
                kind: entry.kind.clone(),
                name: remote.clone(),
                target: Some(remote.clone()),
                reason,
                work: Work::Remove,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::state::FileEntry;
    use proptest::prelude::*;

    const ROOT: &str = "/Workspace/Users/me/.bundle/b/dev";

    fn ws() -> Workspace {
        Workspace {
            host: None,
            root_path: ROOT.into(),
            file_path: format!("{ROOT}/files"),
            artifact_path: "/Volumes/main/ci/artifacts/b/dev".into(),
            state_path: format!("{ROOT}/state"),
            resource_path: format!("{ROOT}/resources"),
        }
    }

    #[test]
    fn paths_that_leave_or_are_not_under_the_target_are_not_owned() {
        let ws = ws();
        assert!(owned_by_target(&format!("{ROOT}/files/a.py"), &ws));
        assert!(owned_by_target(
            "/Volumes/main/ci/artifacts/b/dev/x.whl",
            &ws
        ));
        for p in [
            ROOT.to_string(),
            format!("{ROOT}/"),
            format!("{ROOT}/files/../../../../other/x"),
            format!("{ROOT}/./x"),
            format!("{ROOT}//x"),
            format!("{ROOT}-other/x"),
            "/Workspace/Users/me/.bundle/b/prod/files/a.py".into(),
            "files/a.py".into(),
            "/".into(),
            String::new(),
        ] {
            assert!(!owned_by_target(&p, &ws), "{p:?}");
        }
        let nothing = Workspace {
            root_path: "/".into(),
            file_path: String::new(),
            artifact_path: String::new(),
            ..ws
        };
        assert!(!owned_by_target("/Workspace/x", &nothing));
    }

    /// A workspace path built from pieces that include the dangerous ones.
    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("..".to_string()),
            Just(".".to_string()),
            Just(String::new()),
            Just("files".to_string()),
            Just("dev".to_string()),
            Just("Workspace".to_string()),
            Just("Volumes".to_string()),
            "[a-z]{1,3}",
        ]
    }

    fn remote() -> impl Strategy<Value = String> {
        let base = prop_oneof![
            Just(ROOT.to_string()),
            Just(format!("{ROOT}/files")),
            Just("/Volumes/main/ci/artifacts/b/dev".to_string()),
            Just("/Workspace/Users/other".to_string()),
            Just(String::new()),
            Just("/".to_string()),
        ];
        (base, prop::collection::vec(segment(), 0..5))
            .prop_map(|(b, segs)| format!("{b}/{}", segs.join("/")))
    }

    /// `path` with `.` and `..` applied, or None when it climbs above `/`.
    fn normalized(path: &str) -> Option<String> {
        let mut out: Vec<&str> = Vec::new();
        for s in path.split('/') {
            match s {
                "" | "." => {}
                ".." => {
                    out.pop()?;
                }
                s => out.push(s),
            }
        }
        Some(format!("/{}", out.join("/")))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn prune_deletes_only_recorded_unwanted_files_under_the_target(
            recorded in prop::collection::btree_set(remote(), 0..12),
            keep in prop::collection::vec(any::<bool>(), 12),
            extra_wanted in prop::collection::btree_set(remote(), 0..4),
            prune in any::<bool>(),
        ) {
            let ws = ws();
            let mut state = DeployState::new("b", "dev");
            let mut wanted: BTreeMap<String, ()> = BTreeMap::new();
            for (i, r) in recorded.iter().enumerate() {
                state.files.insert(r.clone(), FileEntry { hash: "h".into(), kind: "file".into() });
                if keep[i] {
                    wanted.insert(r.clone(), ());
                }
            }
            for w in &extra_wanted {
                wanted.insert(w.clone(), ());
            }
            let actions = files_gone(&state, &wanted, &ws, prune);
            for a in &actions {
                let target = a.target.as_deref().unwrap();
                prop_assert!(state.files.contains_key(target), "only what the state records");
                prop_assert!(!wanted.contains_key(target), "never what the bundle still has");
                if a.action == Op::Delete {
                    prop_assert!(prune, "deletes only with --prune");
                    // Lexically and after normalising, the path stays under a target folder.
                    let n = normalized(target);
                    prop_assert_eq!(n.as_deref(), Some(target), "no . or .. or //");
                    let roots = [ROOT.to_string() + "/", "/Volumes/main/ci/artifacts/b/dev/".to_string()];
                    prop_assert!(roots.iter().any(|r| target.starts_with(r.as_str())), "{} outside", target);
                }
            }
            // Every recorded, unwanted file has exactly one action.
            let unwanted = state.files.keys().filter(|k| !wanted.contains_key(*k)).count();
            prop_assert_eq!(actions.len(), unwanted);
        }
    }
}
