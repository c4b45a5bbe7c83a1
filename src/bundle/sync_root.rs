//! The sync root, as the Databricks CLI computes it: the bundle's folder, or the common
//! parent of it and every `sync.paths` entry that reaches outside it (`../common`). Files
//! upload under `workspace.file_path` relative to this root, and no local path may leave it.

use std::path::{Component, Path, PathBuf};

/// `p` with `.` and `..` folded away without touching the disk; `None` when `..` climbs
/// above the filesystem root.
pub fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() || out.as_os_str().is_empty() {
                    return None;
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

/// The sync root for a bundle at `bundle` (absolute, normalized) with `paths` (relative to
/// it): the shortest common parent. An entry climbing above `/` is skipped, as the CLI does.
pub fn infer(bundle: &Path, paths: &[String]) -> PathBuf {
    let mut root = bundle.to_path_buf();
    for p in paths {
        let Some(full) = normalize(&bundle.join(p)) else {
            continue;
        };
        while !full.starts_with(&root) {
            match root.parent() {
                Some(up) => root = up.to_path_buf(),
                None => break,
            }
        }
    }
    root
}

/// `path` relative to `base` (both absolute, normalized), `/`-separated, with leading `..`
/// when `path` is not under `base`; `"."` for `base` itself.
pub fn relative(base: &Path, path: &Path) -> String {
    let common = base
        .ancestors()
        .find(|a| path.starts_with(a))
        .unwrap_or(Path::new("/"));
    let ups = base
        .strip_prefix(common)
        .map(|r| r.components().count())
        .unwrap_or(0);
    let mut parts: Vec<String> = vec!["..".to_string(); ups];
    if let Ok(rest) = path.strip_prefix(common) {
        parts.extend(rest.iter().map(|s| s.to_string_lossy().into_owned()));
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// `sync.paths` rewritten relative to the sync root (the CLI's rewrite; `validate -o json`
/// shows these).
pub fn rewrite(bundle: &Path, root: &Path, paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|p| normalize(&bundle.join(p)))
        .map(|full| relative(root, &full))
        .collect()
}

/// `p` with `x/..` folded away, keeping leading `..` (for paths shown relative to a folder).
pub fn fold(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().map(|c| c.as_os_str()).collect()
}

/// The folder the places in a loaded bundle's diagnostics are relative to (its sync root),
/// spelled from `bundle_dir` as given (`bundle/..` becomes `.`): for annotations.
pub fn places_dir(bundle_dir: &Path, target: Option<&str>) -> PathBuf {
    match super::load::load(bundle_dir, target) {
        // From the folder given (the bundle's, or one inside it) to the sync root.
        Ok(l) => {
            let given = bundle_dir
                .canonicalize()
                .unwrap_or_else(|_| l.bundle_dir.clone());
            fold(&bundle_dir.join(relative(&given, &l.root)))
        }
        Err(_) => bundle_dir.to_path_buf(),
    }
}

/// The CLI refuses a sync root outside the Git repository holding the bundle. brickci also
/// refuses the filesystem root (a deploy would walk and upload the whole machine).
pub fn check_in_repo(bundle: &Path, root: &Path) -> Result<(), String> {
    if root.parent().is_none() {
        return Err(format!(
            "the sync root (the common parent of the bundle and its sync paths) is {:?}: keep sync paths inside the project",
            root.display().to_string()
        ));
    }
    match super::git::repo_root(bundle) {
        Some(repo) if !root.starts_with(&repo) => Err(format!(
            "path {:?} is not within repository root {:?}",
            root.display().to_string(),
            repo.display().to_string()
        )),
        _ => Ok(()),
    }
}

/// How far up `include:` may reach: the Git repository holding the bundle, else the sync
/// root's parent (a checkout's files never include the runner's files above it).
pub fn include_boundary(bundle: &Path, root: &Path) -> PathBuf {
    super::git::repo_root(bundle)
        .filter(|repo| root.starts_with(repo))
        .unwrap_or_else(|| root.parent().unwrap_or(root).to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_the_common_parent_of_the_bundle_and_its_sync_paths() {
        let b = Path::new("/r/bundle");
        assert_eq!(infer(b, &[]), PathBuf::from("/r/bundle"));
        assert_eq!(
            infer(b, &[".".into(), "src".into()]),
            PathBuf::from("/r/bundle")
        );
        assert_eq!(
            infer(b, &["../common".into(), ".".into()]),
            PathBuf::from("/r")
        );
        assert_eq!(infer(b, &["../../x/y".into()]), PathBuf::from("/"));
        assert_eq!(
            infer(b, &["../../../../x".into()]),
            PathBuf::from("/r/bundle")
        );
    }

    #[test]
    fn paths_are_rewritten_relative_to_the_root() {
        let b = Path::new("/r/bundle");
        let r = Path::new("/r");
        assert_eq!(
            rewrite(b, r, &["../common".into(), ".".into()]),
            ["common", "bundle"]
        );
        assert_eq!(relative(b, Path::new("/r/include.yml")), "../include.yml");
        assert_eq!(relative(b, b), ".");
    }

    #[test]
    fn fold_keeps_leading_parents() {
        assert_eq!(fold(Path::new("a/b/../c")), PathBuf::from("a/c"));
        assert_eq!(fold(Path::new("bundle/../x.yml")), PathBuf::from("x.yml"));
        assert_eq!(fold(Path::new("./../x.yml")), PathBuf::from("../x.yml"));
        assert_eq!(fold(Path::new("/r/b/..")), PathBuf::from("/r"));
    }

    #[test]
    fn the_filesystem_root_is_never_the_sync_root() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_in_repo(dir.path(), Path::new("/")).is_err());
        assert!(check_in_repo(dir.path(), dir.path()).is_ok());
    }
}
