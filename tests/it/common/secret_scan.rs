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

/// What each file holding a secret looked like: its bytes' length and a cheap digest.
#[derive(Default)]
pub struct Snapshot(BTreeMap<PathBuf, (u64, u64)>);

fn digest(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

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

/// Files under `folders` that hold a secret, with the secrets found.
fn holding_secrets(folders: &[PathBuf]) -> Vec<(PathBuf, Vec<u8>, Vec<&'static str>)> {
    let mut all = Vec::new();
    for f in folders {
        files(f, &mut all);
    }
    all.into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let found: Vec<&'static str> = {
                let text = String::from_utf8_lossy(&bytes);
                secret_values()
                    .iter()
                    .filter(|s| text.contains(s.as_str()))
                    .map(String::as_str)
                    .collect()
            };
            (!found.is_empty()).then_some((p, bytes, found))
        })
        .collect()
}

impl Snapshot {
    pub fn take(folders: &[PathBuf]) -> Snapshot {
        Snapshot(
            holding_secrets(folders)
                .into_iter()
                .map(|(p, b, _)| (p, (b.len() as u64, digest(&b))))
                .collect(),
        )
    }

    /// Fails naming each file, new or changed since the snapshot, that holds a secret
    /// (never the value itself, which would leak it into the output).
    pub fn assert_no_new_secrets(&self, folders: &[PathBuf]) {
        let mut leaks = Vec::new();
        for (path, bytes, found) in holding_secrets(folders) {
            if self.0.get(&path) == Some(&(bytes.len() as u64, digest(&bytes))) {
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
