//! An app's source folder, summed up: a digest of its files (paths and contents, as the
//! sync would carry them, `.gitignore` honoured) kept in the app's settings as
//! `source_digest`, so a change to the app's code is a change to the app and the deploy
//! deploys it again. The field is brickci's; it is never sent to the API.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::yaml::{Key, Kind, Node};

/// The settings field holding the digest.
pub const FIELD: &str = "source_digest";

/// Files read at most (a folder larger than this is summed up by the first ones).
const MAX_FILES: usize = 10_000;

/// The digest of the files under `dir`, or None when it is not a folder.
pub fn digest(dir: &Path) -> Option<String> {
    if !dir.is_dir() {
        return None;
    }
    let mut files: Vec<_> = ignore::WalkBuilder::new(dir)
        .follow_links(false)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .take(MAX_FILES)
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        let rel = f.strip_prefix(dir).unwrap_or(&f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(std::fs::read(&f).unwrap_or_default());
        h.update([0]);
    }
    Some(hex::encode(h.finalize()))
}

/// Records the digest of the app's local `source_code_path` (relative to the YAML file
/// naming it) in its settings.
pub fn record(settings: &mut Node) {
    let Some(node) = settings.get("source_code_path") else {
        return;
    };
    let Some(p) = node.as_str().filter(|p| super::paths::is_local(p)) else {
        return;
    };
    let loc = node.loc.clone();
    if let Some(d) = digest(&loc.dir().join(p)) {
        settings.insert(
            Key {
                name: FIELD.into(),
                loc: loc.clone(),
            },
            Node::new(Kind::Str(d), loc),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_names_and_contents_and_skips_ignored_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("app.py"), "print(1)\n").unwrap();
        let first = digest(d).unwrap();
        assert_eq!(digest(d).unwrap(), first, "stable");
        std::fs::write(d.join(".gitignore"), "*.log\n").unwrap();
        let with_ignore = digest(d).unwrap();
        std::fs::write(d.join("debug.log"), "noise").unwrap();
        assert_eq!(
            digest(d).unwrap(),
            with_ignore,
            "ignored files do not count"
        );
        std::fs::write(d.join("app.py"), "print(2)\n").unwrap();
        assert_ne!(digest(d).unwrap(), with_ignore);
        assert!(digest(&d.join("missing")).is_none());
    }
}
