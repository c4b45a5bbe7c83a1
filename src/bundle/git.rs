//! What `bundle.git` says about the checkout the bundle lives in, read from `.git` directly
//! (no git binary needed in a container): the bundle's path inside the repository, branch,
//! commit and origin URL. Outside a repository only `bundle_root_path: "."`.

use std::path::{Path, PathBuf};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct GitInfo {
    pub bundle_root_path: String,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub origin_url: Option<String>,
    /// What could not be read, as the Databricks CLI warns about it (`failed to read .git:
    /// ...`, `failed to load current branch: ...`).
    pub warnings: Vec<String>,
    /// Why the repository could not be opened (a `.git` file naming no git dir, an
    /// unreadable `config`): the CLI's validate still prints the configuration, then fails.
    pub error: Option<String>,
}

/// The folder holding `.git` (a directory, or a file pointing to one for worktrees).
pub fn repo_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The git dir of the checkout at `root`, opened as the CLI opens it: `.git` is a folder, or
/// a file with a `gitdir: ...` line; the repository's `config` must be readable when it exists.
fn open(root: &Path) -> Result<PathBuf, String> {
    let dot = root.join(".git");
    let meta = std::fs::metadata(&dot).map_err(|e| format!(".git: {e}"))?;
    let dir = if meta.is_dir() {
        dot
    } else {
        let text = std::fs::read_to_string(&dot).map_err(|e| format!(".git: {e}"))?;
        let named = text
            .lines()
            .filter_map(|l| l.split_once(": "))
            .find_map(|(k, v)| (k == "gitdir").then(|| v.trim().to_string()));
        match named {
            Some(p) if !p.is_empty() => root.join(p),
            _ => {
                return Err(format!(
                    "expected {:?} to contain a line with \"gitdir: [...]\"",
                    dot.display().to_string()
                ));
            }
        }
    };
    match std::fs::read(common_dir(&dir).join("config")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!(
            "unable to load repository specific gitconfig: open config: {e}"
        )),
        _ => Ok(dir),
    }
}

/// Where a worktree's shared files are (`commondir`), else the git dir itself.
fn common_dir(dir: &Path) -> PathBuf {
    std::fs::read_to_string(dir.join("commondir"))
        .ok()
        .map_or_else(|| dir.to_path_buf(), |c| dir.join(c.trim()))
}

fn resolve_ref(dir: &Path, name: &str) -> Option<String> {
    if let Ok(id) = std::fs::read_to_string(dir.join(name)) {
        return Some(id.trim().to_string());
    }
    // Worktrees keep shared refs in the common dir.
    let common = std::fs::read_to_string(dir.join("commondir"))
        .ok()
        .map(|c| dir.join(c.trim()));
    for d in [Some(dir.to_path_buf()), common].into_iter().flatten() {
        if let Ok(id) = std::fs::read_to_string(d.join(name)) {
            return Some(id.trim().to_string());
        }
        let packed = std::fs::read_to_string(d.join("packed-refs")).unwrap_or_default();
        if let Some(line) = packed.lines().find(|l| l.ends_with(&format!(" {name}"))) {
            return line.split_whitespace().next().map(str::to_string);
        }
    }
    None
}

fn origin(dir: &Path) -> Option<String> {
    let config = std::fs::read_to_string(common_dir(dir).join("config")).ok()?;
    let mut in_origin = false;
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            in_origin = line == "[remote \"origin\"]";
        } else if in_origin && let Some(url) = line.strip_prefix("url") {
            let url = url.trim_start().trim_start_matches('=').trim();
            return Some(strip_userinfo(url));
        }
    }
    None
}

/// The origin without `user:password@`: CI checkouts carry tokens there
/// (`https://x-access-token:<t>@github.com/...`) and the URL is published in validate
/// output and the deployment metadata. scp-form `git@host:o/r.git` has no secret and no
/// `://`, so it is left as is.
fn strip_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // The authority ends at the first `/`, `?` or `#` (RFC 3986); the userinfo is what
    // precedes its last `@`.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

pub fn read(bundle_root: &Path) -> GitInfo {
    let Some(root) = repo_root(bundle_root) else {
        return GitInfo {
            bundle_root_path: ".".into(),
            ..GitInfo::default()
        };
    };
    let rel = bundle_root
        .strip_prefix(&root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let bundle_root_path = if rel.is_empty() { ".".into() } else { rel };
    let dir = match open(&root) {
        Ok(dir) => dir,
        // Nothing more can be read; the worktree root still places the bundle.
        Err(why) => {
            return GitInfo {
                bundle_root_path,
                warnings: vec![format!("failed to read .git: {why}")],
                error: Some(why),
                ..GitInfo::default()
            };
        }
    };
    let mut warnings = Vec::new();
    let head = std::fs::read_to_string(dir.join("HEAD")).unwrap_or_else(|e| {
        warnings.push(format!("failed to load current branch: open HEAD: {e}"));
        warnings.push(format!("failed to load latest commit: open HEAD: {e}"));
        String::new()
    });
    let head = head.trim();
    let (branch, commit) = match head.strip_prefix("ref: ") {
        Some(r) => (
            r.strip_prefix("refs/heads/").map(str::to_string),
            resolve_ref(&dir, r),
        ),
        None if !head.is_empty() => (None, Some(head.to_string())),
        None => (None, None),
    };
    // Published in the deployment metadata: only ever an object id, whatever the file held.
    let commit = commit
        .filter(|c| (4..=64).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_hexdigit()));
    GitInfo {
        bundle_root_path,
        branch,
        commit,
        origin_url: origin(&dir),
        warnings,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_branch_commit_and_origin_without_git() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(
            git.join("packed-refs"),
            "# pack-refs\n0123abcd refs/heads/main\n",
        )
        .unwrap();
        std::fs::write(git.join("config"), "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://github.com/acme/shop.git\n").unwrap();
        std::fs::create_dir_all(dir.path().join("bundles/shop")).unwrap();
        let info = read(&dir.path().join("bundles/shop"));
        assert_eq!(info.bundle_root_path, "bundles/shop");
        assert_eq!(info.branch.as_deref(), Some("main"));
        assert_eq!(info.commit.as_deref(), Some("0123abcd"));
        assert_eq!(
            info.origin_url.as_deref(),
            Some("https://github.com/acme/shop.git")
        );
    }

    #[test]
    fn an_unreadable_repository_gives_the_root_path_a_warning_and_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        // An empty `.git` file names no git dir.
        std::fs::write(dir.path().join(".git"), "").unwrap();
        let info = read(&dir.path().join("sub"));
        assert_eq!(info.bundle_root_path, "sub");
        assert_eq!(
            (info.branch, info.commit, info.origin_url),
            (None, None, None)
        );
        let why = info.error.unwrap();
        assert!(
            why.contains("to contain a line with \"gitdir: [...]\""),
            "{why}"
        );
        assert_eq!(info.warnings, [format!("failed to read .git: {why}")]);
        // A `config` that cannot be read (a folder here: root reads any file).
        std::fs::remove_file(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git/config")).unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        let info = read(dir.path());
        let why = info.error.unwrap();
        assert!(
            why.starts_with("unable to load repository specific gitconfig: open config: "),
            "{why}"
        );
        assert_eq!(info.branch, None);
    }

    #[test]
    fn an_unreadable_head_is_two_warnings_and_no_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git/HEAD")).unwrap();
        let info = read(dir.path());
        assert_eq!(info.error, None);
        assert_eq!(info.branch, None);
        assert_eq!(info.warnings.len(), 2);
        assert!(info.warnings[0].starts_with("failed to load current branch: open HEAD: "));
        assert!(info.warnings[1].starts_with("failed to load latest commit: open HEAD: "));
    }

    #[test]
    fn origin_loses_credentials_but_keeps_the_rest() {
        let cases = [
            (
                "https://gitlab-ci-token:glcbt-64_abc@gitlab.com/g/p.git",
                "https://gitlab.com/g/p.git",
            ),
            (
                "https://x-access-token:ghs_secret@github.com/o/r",
                "https://github.com/o/r",
            ),
            (
                "https://org@dev.azure.com/org/proj/_git/repo",
                "https://dev.azure.com/org/proj/_git/repo",
            ),
            ("ssh://git@host:2222/o/r.git", "ssh://host:2222/o/r.git"),
            ("https://tok@host", "https://host"),
            // An `@` after the host is part of the path, not a userinfo.
            ("https://host/o/r@v1.git", "https://host/o/r@v1.git"),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            ("https://github.com/o/r.git", "https://github.com/o/r.git"),
            ("/srv/git/r.git", "/srv/git/r.git"),
        ];
        for (raw, want) in cases {
            assert_eq!(strip_userinfo(raw), want, "{raw}");
        }
    }

    #[test]
    fn origin_read_from_config_has_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        std::fs::create_dir_all(&git).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(
            git.join("config"),
            "[remote \"origin\"]\n\turl = https://gitlab-ci-token:secret@gitlab.com/g/p.git\n",
        )
        .unwrap();
        let info = read(dir.path());
        assert_eq!(
            info.origin_url.as_deref(),
            Some("https://gitlab.com/g/p.git")
        );
    }
}
