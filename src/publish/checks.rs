//! What publishing needs, checked before the work: report files that can be written and
//! posts asked for explicitly that can be made. Exit 2 naming the flag, nothing left behind.

use std::path::Path;

use crate::cli::PublishArgs;
use crate::error::Error;
use crate::platform::{Kind, Platform};

use super::default_junit;

/// Fails (exit 2, naming the flag) when a report file could not be written, so a run is
/// never started only to lose its results. Leaves nothing behind.
pub fn check_destinations(platform: &Platform, args: &PublishArgs) -> Result<(), Error> {
    let junit = match &args.junit {
        Some(p) => Some(("--junit", p.clone())),
        None => default_junit(platform).map(|p| ("the JUnit file (default place)", p)),
    };
    let files = junit
        .into_iter()
        .chain(args.report_json.clone().map(|p| ("--report-json", p)));
    for (flag, path) in files {
        writable(&path).map_err(|why| {
            Error::bad_input(format!(
                "{flag} {}: cannot write there: {why}",
                path.display()
            ))
        })?;
    }
    explicit_posts_possible(platform, args)
}

/// A post asked for explicitly (`true`) that could never be made is bad input, found
/// before the work rather than after it.
fn explicit_posts_possible(platform: &Platform, args: &PublishArgs) -> Result<(), Error> {
    let ado = platform.kind() == Kind::AzureDevOps;
    let pr = platform.context().pr_number;
    let github_comment = !ado && args.pr_comment == "true";
    if args.github_check == "true" || github_comment {
        if super::github::token(platform).is_none() {
            return Err(Error::bad_input(
                "--github-check/--pr-comment true need GITHUB_TOKEN (pass secrets.GITHUB_TOKEN or github.token)",
            ));
        }
        if platform.context().repository.is_none() {
            return Err(Error::bad_input(
                "--github-check/--pr-comment true need GITHUB_REPOSITORY",
            ));
        }
    }
    if github_comment && pr.is_none() {
        return Err(Error::bad_input(
            "--pr-comment true, but this run is not for a pull request",
        ));
    }
    if ado
        && args.pr_comment == "true"
        && (pr.is_none() || platform.env().get("SYSTEM_ACCESSTOKEN").is_none())
    {
        return Err(Error::bad_input(
            "--pr-comment true needs a pull request build and SYSTEM_ACCESSTOKEN (map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken))",
        ));
    }
    let codecommit = [
        &args.codecommit_repository,
        &args.codecommit_pr_id,
        &args.codecommit_before_commit,
        &args.codecommit_after_commit,
    ];
    if codecommit.iter().any(|g| g.is_some()) && codecommit.iter().any(|g| g.is_none()) {
        return Err(Error::bad_input(
            "a CodeCommit comment needs all of --codecommit-repository, --codecommit-pr-id, --codecommit-before-commit and --codecommit-after-commit",
        ));
    }
    Ok(())
}

/// Whether `path` can be created or replaced, without changing what is there.
fn writable(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("the path is empty".into());
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err("it exists and is not a regular file".into());
        }
        return std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|e| e.to_string());
    }
    // A folder that does not exist yet is created when the file is written: check the
    // nearest one that does exist takes new entries (probe it, then take the probe away).
    if let Some(parent) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !parent.exists()
    {
        let existing = parent
            .ancestors()
            .find(|a| !a.as_os_str().is_empty() && a.exists())
            .unwrap_or(Path::new("."));
        if !existing.is_dir() {
            return Err(format!("{} is not a folder", existing.display()));
        }
        let probe = existing.join(format!(".brickci-probe-{}", std::process::id()));
        std::fs::create_dir(&probe).map_err(|e| format!("{}: {e}", existing.display()))?;
        return std::fs::remove_dir(&probe).map_err(|e| e.to_string());
    }
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| e.to_string())?;
    drop(created);
    std::fs::remove_file(path).map_err(|e| e.to_string())
}
