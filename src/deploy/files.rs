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

#[cfg(test)]
mod tests {
    use super::*;

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
