//! The GitHub side of publishing: check run and sticky PR comment, when a token is there.
//! For a test report a failure to post is a warning (the verdict stays the tests'; an
//! explicit `true` that could never post is refused before the tests run). `brickci plan`
//! posts its own sticky comment through the same path ([`sticky_comment`]), where an
//! explicit `true` that fails fails the step.

use crate::cli::PublishArgs;
use crate::error::Error;
use crate::github::{CommentAction, GitHub, GitHubError};
use crate::platform::{Kind, Platform};
use crate::report::{Report, check_run, markdown};

/// GitHub refuses an issue comment body over 65,536 characters (422).
pub const COMMENT_LIMIT: usize = 65_536;

/// An `auto|true|false` flag: `auto` is what the circumstances allow.
pub(super) fn wanted(flag: &str, auto: bool) -> bool {
    match flag {
        "true" => true,
        "false" => false,
        _ => auto,
    }
}

/// The repository a run belongs to, with a client that can write to it.
struct Repository {
    gh: GitHub,
    owner: String,
    repo: String,
    full: String,
}

/// GITHUB_TOKEN, or the action's `github-token` input; unresolved (maybe a secret reference).
pub(super) fn token(platform: &Platform) -> Option<String> {
    platform
        .env()
        .get("GITHUB_TOKEN")
        .map(str::to_string)
        .or_else(|| platform.input("github-token"))
}

/// Resolves the token (it may be a secret reference: aws-sm://, azure-kv://, env:, file:),
/// masks it and opens the run's repository.
async fn connect(platform: &Platform, token: &str) -> Result<Repository, Error> {
    let ctx = platform.context();
    let token = crate::secrets::resolve("GITHUB_TOKEN", token, platform.env().map()).await?;
    platform.mask(token.expose());
    let full = ctx
        .repository
        .clone()
        .ok_or_else(|| Error::bad_input("GITHUB_REPOSITORY is not set"))?;
    let (owner, repo) = full
        .split_once('/')
        .ok_or_else(|| Error::bad_input(format!("GITHUB_REPOSITORY {full:?} is not owner/repo")))?;
    let (owner, repo) = (owner.to_string(), repo.to_string());
    let api = ctx
        .api_url
        .clone()
        .unwrap_or_else(|| "https://api.github.com".into());
    let gh = GitHub::new(&api, &token).map_err(|e| forge(&e))?;
    Ok(Repository {
        gh,
        owner,
        repo,
        full,
    })
}

/// Creates or edits the PR comment carrying `marker`. Asked for explicitly (`--pr-comment
/// true`), a failure fails the step; otherwise it is a warning.
async fn upsert_comment(
    platform: &Platform,
    r: &Repository,
    explicit: bool,
    marker: &str,
    body: &str,
) -> Result<(), Error> {
    let Some(pr) = platform.context().pr_number else {
        return Err(Error::bad_input(
            "--pr-comment true, but this run is not for a pull request",
        ));
    };
    match r
        .gh
        .upsert_sticky_comment(&r.owner, &r.repo, pr, marker, body)
        .await
    {
        Ok(CommentAction::Created(id)) => platform.info(&format!("PR #{pr}: comment {id} created")),
        Ok(CommentAction::Updated(id)) => platform.info(&format!("PR #{pr}: comment {id} updated")),
        Err(e) if explicit => return Err(forge(&e)),
        Err(e) => platform.warn(&format!(
            "could not post the PR comment (needs pull-requests: write): {e}"
        )),
    }
    Ok(())
}

/// A sticky PR comment alone (`brickci plan`): `flag` is `--pr-comment` (auto, true, false);
/// `body` should contain `marker`, which finds the comment again on the next run.
pub async fn sticky_comment(
    platform: &Platform,
    flag: &str,
    marker: &str,
    body: &str,
) -> Result<(), Error> {
    let token = token(platform);
    let on_pr = platform.kind() == Kind::GitHubActions && platform.context().pr_number.is_some();
    if !wanted(flag, on_pr && token.is_some()) {
        return Ok(());
    }
    let Some(token) = token else {
        return Err(Error::bad_input(
            "--pr-comment true, but GITHUB_TOKEN is not set (pass secrets.GITHUB_TOKEN or github.token; the comment needs pull-requests: write)",
        ));
    };
    let r = connect(platform, &token).await?;
    upsert_comment(platform, &r, flag == "true", marker, body).await
}

/// Posts the check run and the PR comment as asked; returns whether a check run was posted.
pub async fn publish(
    platform: &Platform,
    report: &Report,
    args: &PublishArgs,
) -> Result<bool, Error> {
    let on_github = platform.kind() == Kind::GitHubActions;
    let ctx = platform.context();
    let token = token(platform);
    let want_check = wanted(
        &args.github_check,
        on_github && token.is_some() && ctx.sha.is_some(),
    );
    // On Azure DevOps `--pr-comment` means its own PR thread (publish::azure_devops), never GitHub's.
    let want_comment = platform.kind() != Kind::AzureDevOps
        && wanted(
            &args.pr_comment,
            on_github && token.is_some() && ctx.pr_number.is_some(),
        );
    if !want_check && !want_comment {
        return Ok(false);
    }
    let Some(token) = token else {
        return Err(Error::bad_input(
            "GITHUB_TOKEN is needed to post a check run or PR comment (pass secrets.GITHUB_TOKEN or github.token)",
        ));
    };
    let r = connect(platform, &token).await?;

    // The tests have run: a post that fails is a warning, whatever the flag said.
    let mut posted = false;
    if want_check {
        match check(
            &r.gh,
            &r.owner,
            &r.repo,
            report,
            ctx.sha.as_deref(),
            ctx.run_url.as_deref(),
        )
        .await
        {
            Ok(id) => {
                platform.info(&format!("check run {id} posted to {}", r.full));
                posted = true;
            }
            Err(e) => platform.warn(&format!(
                "could not post the check run (needs checks: write): {e}"
            )),
        }
    }
    if want_comment {
        upsert_comment(
            platform,
            &r,
            false,
            &markdown::sticky_marker(&report.key),
            &markdown::comment_body_within(
                report,
                COMMENT_LIMIT,
                &check_run::full_report_at(report),
            ),
        )
        .await?;
    }
    Ok(posted)
}

async fn check(
    gh: &GitHub,
    owner: &str,
    repo: &str,
    report: &Report,
    sha: Option<&str>,
    details: Option<&str>,
) -> Result<u64, GitHubError> {
    let sha = sha.unwrap_or_default();
    let id = gh
        .create_check_run(owner, repo, &report.title, sha, details)
        .await?;
    let outputs = check_run::outputs(report, check_run::batches(check_run::annotations(report)));
    gh.complete_check_run(owner, repo, id, check_run::conclusion(report), outputs)
        .await?;
    Ok(id)
}

fn forge(e: &GitHubError) -> Error {
    Error::Forge {
        message: e.to_string(),
        auth: e.is_auth(),
    }
}
