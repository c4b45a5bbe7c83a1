//! Every file a brickci process writes under a test's temporary folders is searched for
//! the suite's secret values (tests/fixtures/test-secrets.txt), as scripts/test searches
//! the output. Files the test itself wrote before the run (a config holding a token on
//! purpose) are told apart by a snapshot: only a file that is new or changed is blamed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The secret values, without comments and blank lines.
pub fn secret_values() -> &'static [String] {
    static SECRETS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SECRETS.get_or_init(|| {
        std::fs::read_to_string(super::repo().join("tests/fixtures/test-secrets.txt"))
            .expect("tests/fixtures/test-secrets.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    })
}

/// The test's own folder holding `p`: the first component under the system's temporary
/// folder (never that folder itself, which other processes share).
fn test_folder(p: &Path) -> Option<PathBuf> {
    if !p.is_absolute() {
        return None;
    }
    let tmp = std::env::temp_dir();
    let tmp = tmp.canonicalize().unwrap_or(tmp);
    let p = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let first = p.strip_prefix(&tmp).ok()?.components().next()?;
    Some(tmp.join(first))
}

/// The folders to watch for a run in `cwd` with these arguments and variables.
pub fn folders(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::iter::once(cwd.to_string_lossy().as_ref())
        .chain(args.iter().copied())
        .chain(env.iter().map(|(_, v)| *v))
        .filter(|s| s.starts_with('/'))
        .filter_map(|s| test_folder(Path::new(s)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every file under the watched folders with its length and modification time: a file
/// whose pair is unchanged after the run was not written by it, so only new or changed files
/// are read and searched (reading them all twice per run made the tests that put a 60 MB
/// binary beside the bundle take a minute).
#[derive(Default)]
pub struct Snapshot(BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)>);

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => files(&e.path(), out),
            Ok(t) if t.is_file() => out.push(e.path()),
            _ => {}
        }
    }
}

fn stamped(folders: &[PathBuf]) -> BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)> {
    let mut all = Vec::new();
    for f in folders {
        files(f, &mut all);
    }
    all.into_iter()
        .filter_map(|p| {
            let m = std::fs::metadata(&p).ok()?;
            Some((p, (m.len(), m.modified().ok())))
        })
        .collect()
}

/// The secrets the file at `p` holds.
fn secrets_in(p: &Path) -> Vec<&'static str> {
    let Ok(bytes) = std::fs::read(p) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    secret_values()
        .iter()
        .filter(|s| text.contains(s.as_str()))
        .map(String::as_str)
        .collect()
}

impl Snapshot {
    pub fn take(folders: &[PathBuf]) -> Snapshot {
        Snapshot(stamped(folders))
    }

    /// Fails naming each file, new or changed since the snapshot, that holds a secret
    /// (never the value itself, which would leak it into the output).
    pub fn assert_no_new_secrets(&self, folders: &[PathBuf]) {
        let mut leaks = Vec::new();
        for (path, stamp) in stamped(folders) {
            if self.0.get(&path) == Some(&stamp) {
                continue;
            }
            let found = secrets_in(&path);
            if found.is_empty() {
                continue;
            }
            let which: Vec<String> = found
                .iter()
                .map(|s| {
                    let n = secret_values().iter().position(|v| v == s).unwrap_or(0);
                    format!("secret #{} of tests/fixtures/test-secrets.txt", n + 1)
                })
                .collect();
            leaks.push(format!("{}: {}", path.display(), which.join(", ")));
        }
        assert!(
            leaks.is_empty(),
            "brickci wrote a test secret into a file:\n{}",
            leaks.join("\n")
        );
    }
}
