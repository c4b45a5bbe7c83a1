//! Workspace files and notebooks: content hashes, import formats, uploads, folders.

use sha2::{Digest, Sha256};

use crate::databricks::workspace::{self, ImportFormat, Language};
use crate::databricks::{Client, ClientError};

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How a local file is imported: notebooks by language (or Jupyter), everything else raw.
pub fn import_format(local: &str, notebook: bool) -> ImportFormat {
    if !notebook {
        return ImportFormat::Raw;
    }
    let ext = local.rsplit_once('.').map_or("", |(_, e)| e);
    if ext == "ipynb" {
        return ImportFormat::Jupyter;
    }
    Language::from_extension(ext).map_or(ImportFormat::Auto, ImportFormat::Source)
}

pub async fn upload(
    client: &Client,
    remote: &str,
    content: &[u8],
    format: ImportFormat,
) -> Result<(), ClientError> {
    workspace::import(client, remote, content, format, true).await
}

pub async fn put_workspace_file(
    client: &Client,
    path: &str,
    bytes: &[u8],
) -> Result<(), ClientError> {
    workspace::import(client, path, bytes, ImportFormat::Raw, true).await
}

/// The folders to create before writing `paths`: each parent once, only the deepest (mkdirs
/// creates the rest).
pub fn folders_for<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut dirs: Vec<String> = paths
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d.to_string()))
        .filter(|d| !d.is_empty())
        .collect();
    dirs.sort();
    dirs.dedup();
    let all = dirs.clone();
    dirs.retain(|d| {
        !all.iter().any(|o| {
            o.len() > d.len() && o.starts_with(d.as_str()) && o.as_bytes()[d.len()] == b'/'
        })
    });
    dirs
}

/// Whether any recorded path lies under `dir`: then `dir` exists (its upload made it).
pub fn recorded_under<'a>(mut recorded: impl Iterator<Item = &'a str>, dir: &str) -> bool {
    recorded.any(|p| p.len() > dir.len() && p.starts_with(dir) && p.as_bytes()[dir.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_exists_when_something_under_it_was_recorded() {
        let recorded = ["/r/files/a/x.py", "/r/files/ab/y.py", "/r/files/c/d/z.py"];
        let under = |d: &str| recorded_under(recorded.iter().copied(), d);
        assert!(under("/r/files/a"));
        assert!(under("/r/files/c"), "a parent of a recorded folder");
        assert!(!under("/r/files/a/b"));
        assert!(!under("/r/files/c/d/z.py/q"));
        assert!(!under("/r/file"), "a prefix that is not a folder of it");
    }

    #[test]
    fn only_the_deepest_folders_are_created() {
        let dirs = folders_for(
            [
                "/r/files/a/x.py",
                "/r/files/a/b/y.py",
                "/r/files/c.py",
                "/r/files/ab/z",
            ]
            .into_iter(),
        );
        assert_eq!(dirs, vec!["/r/files/a/b", "/r/files/ab"]);
    }
}
