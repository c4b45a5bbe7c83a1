//! Which local files a deploy uploads: everything under the bundle's folder that Git would
//! keep (`.gitignore`, `.git/info/exclude`), narrowed by `sync.exclude`, widened by
//! `sync.include` (for build output Git ignores), plus every file a resource points at.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::bundle::Bundle;
use crate::bundle::local_file::{Refused, Roots};
use crate::bundle::paths::{RefKind, is_notebook, strip_extension};

/// A local file and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalFile {
    /// Relative to the bundle root, `/`-separated.
    pub local: String,
    pub remote: String,
    pub notebook: bool,
}

fn globset(patterns: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_start_matches("./");
        // A bare folder name means everything in it.
        for pat in [p.to_string(), format!("{}/**", p.trim_end_matches('/'))] {
            b.add(Glob::new(&pat).map_err(|e| format!("sync pattern {p:?}: {e}"))?);
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// The files to upload, sorted by local path.
pub fn files(bundle: &Bundle) -> Result<Vec<LocalFile>, String> {
    let root = &bundle.root;
    let mut seen = synced(
        root,
        &bundle.sync_paths,
        &bundle.sync_include,
        &bundle.sync_exclude,
    )?;
    for r in &bundle.referenced {
        if r.kind != RefKind::Library {
            seen.insert(r.local.clone());
        }
    }
    let mut out = Vec::new();
    for rel in seen {
        let notebook = is_notebook(&root.join(&rel));
        let remote = if notebook {
            format!("{}/{}", bundle.workspace.file_path, strip_extension(&rel))
        } else {
            format!("{}/{rel}", bundle.workspace.file_path)
        };
        out.push(LocalFile {
            local: rel,
            remote,
            notebook,
        });
    }
    Ok(out)
}

/// The synced files' paths relative to `root` (the sync root), under one of `paths` (all of
/// `root` when empty), every one checked: a file the walk would upload that resolves
/// outside the roots or is not a regular file is an error naming it.
pub fn synced(
    root: &Path,
    paths: &[String],
    sync_include: &[String],
    sync_exclude: &[String],
) -> Result<std::collections::BTreeSet<String>, String> {
    let include = globset(sync_include)?;
    let exclude = globset(sync_exclude)?;
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .filter_entry(|e| {
            e.file_name() != ".git" && e.file_name() != ".databricks" && !own_output(e.path())
        })
        .build();
    let roots = Roots::new(root);
    let mut seen = std::collections::BTreeSet::new();
    let mut refused = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            continue;
        }
        if let Some(rel) = relative(root, entry.path())
            && under(paths, &rel)
            && !exclude.is_match(&rel)
        {
            take(&roots, entry.path(), rel, &mut seen, &mut refused);
        }
    }
    // `sync.include` brings back what Git ignores.
    if !sync_include.is_empty() {
        for entry in walkdir(root) {
            if let Some(rel) = relative(root, &entry)
                && under(paths, &rel)
                && include.is_match(&rel)
                && !exclude.is_match(&rel)
            {
                take(&roots, &entry, rel, &mut seen, &mut refused);
            }
        }
    }
    if !refused.is_empty() {
        return Err(format!(
            "sync: these files would be uploaded but are refused (exclude them with sync.exclude or remove them):\n{}",
            refused.join("\n")
        ));
    }
    Ok(seen)
}

/// Adds a walked entry (a file, a symlink or a special file) to the upload set when it
/// resolves to a regular file inside the roots; a symlink to a folder inside is skipped (the
/// walk reaches its files by their own path); anything else is refused.
fn take(
    roots: &Roots,
    path: &Path,
    rel: String,
    seen: &mut std::collections::BTreeSet<String>,
    refused: &mut Vec<String>,
) {
    match roots.file(path) {
        Ok(_) => {
            seen.insert(rel);
        }
        Err(Refused::Special { what: "folder", .. }) => {}
        Err(e) => refused.push(format!("  {e}")),
    }
}

/// True when `rel` is in one of the `sync.paths` folders (or is one of those files).
fn under(paths: &[String], rel: &str) -> bool {
    paths.is_empty()
        || paths.iter().any(|p| {
            p == "." || rel == p || rel.starts_with(&format!("{}/", p.trim_end_matches('/')))
        })
}

fn relative(root: &Path, p: &Path) -> Option<String> {
    let rel = p.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// brickci's own outputs files, which CodeBuild and Databricks job runs write into the
/// checkout (often the bundle root): step metadata, rewritten by every command, never part
/// of the bundle.
fn own_output(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        n == crate::platform::OUTPUTS_FILE || n == crate::platform::OUTPUTS_ENV_FILE
    })
}

/// `files` without the outputs files brickci writes under a name of the user's
/// (`$BRICKCI_OUTPUT_FILE`, which may point into the bundle): uploading them would make every
/// deploy write, since every command rewrites them. Compared as real paths.
pub fn without_outputs(
    mut files: Vec<LocalFile>,
    root: &Path,
    outputs: &[std::path::PathBuf],
) -> Vec<LocalFile> {
    let outputs: Vec<std::path::PathBuf> = outputs
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    if !outputs.is_empty() {
        files.retain(|f| {
            root.join(&f.local)
                .canonicalize()
                .map_or(true, |p| !outputs.contains(&p))
        });
    }
    files
}

/// Every file under `root` except `.git`, without ignore rules.
fn walkdir(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() && e.file_name() != ".git" => stack.push(p),
                Ok(t) if t.is_dir() => {}
                Ok(_) if own_output(&p) => {}
                // Files, symlinks and special files: `take` decides.
                Ok(_) => out.push(p),
                Err(_) => {}
            }
        }
    }
    out
}
