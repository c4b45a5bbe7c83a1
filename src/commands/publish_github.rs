//! The GitHub side of publishing: check run and sticky PR comment, when a token is there.
//! With `auto` a failure to post is a warning (the verdict stays the tests'); asked for
//! explicitly (`true`), it fails the step.

use crate::cli::PublishArgs;
use crate::error::Error;
use crate::github::{CommentAction, GitHub, GitHubError};
use crate::platform::{Kind, Platform};
use crate::report::{Report, check_run, markdown};

fn wanted(flag: &str, auto: bool) -> bool {
    match flag {
        "true" => true,
        "false" => false,
        _ => auto,
    }
}

/// Posts the check run and the PR comment as asked; returns whether a check run was posted.
pub async fn publish(
    platform: &Platform,
    report: &Report,
    args: &PublishArgs,
) -> Result<bool, Error> {
    let on_github = platform.kind() == Kind::GitHubActions;
    let ctx = platform.context();
    let token = platform
        .env()
        .get("GITHUB_TOKEN")
        .map(str::to_string)
        .or_else(|| platform.input("github-token"));
    let want_check = wanted(
        &args.github_check,
        on_github && token.is_some() && ctx.sha.is_some(),
    );
    let want_comment = wanted(
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
    // The token may be a secret reference (aws-sm://, azure-kv://, env:, file:).
    let token = crate::secrets::resolve("GITHUB_TOKEN", &token, platform.env().map()).await?;
    platform.mask(token.expose());
    let repository = ctx
        .repository
        .clone()
        .ok_or_else(|| Error::bad_input("GITHUB_REPOSITORY is not set"))?;
    let (owner, repo) = repository.split_once('/').ok_or_else(|| {
        Error::bad_input(format!(
            "GITHUB_REPOSITORY {repository:?} is not owner/repo"
        ))
    })?;
    let api = ctx
        .api_url
        .clone()
        .unwrap_or_else(|| "https://api.github.com".into());
    let gh = GitHub::new(&api, &token).map_err(|e| forge(&e))?;

    let mut posted = false;
    if want_check {
        let explicit = args.github_check == "true";
        match check(
            &gh,
            owner,
            repo,
            report,
            ctx.sha.as_deref(),
            ctx.run_url.as_deref(),
        )
        .await
        {
            Ok(id) => {
                platform.info(&format!("check run {id} posted to {repository}"));
                posted = true;
            }
            Err(e) if explicit => return Err(forge(&e)),
            Err(e) => platform.warn(&format!(
                "could not post the check run (needs checks: write): {e}"
            )),
        }
    }
    if want_comment {
        let explicit = args.pr_comment == "true";
        let Some(pr) = ctx.pr_number else {
            return Err(Error::bad_input(
                "--pr-comment true, but this run is not for a pull request",
            ));
        };
        let marker = markdown::sticky_marker(&report.key);
        match gh
            .upsert_sticky_comment(owner, repo, pr, &marker, &markdown::comment_body(report))
            .await
        {
            Ok(CommentAction::Created(id)) => {
                platform.info(&format!("PR #{pr}: comment {id} created"))
            }
            Ok(CommentAction::Updated(id)) => {
                platform.info(&format!("PR #{pr}: comment {id} updated"))
            }
            Err(e) if explicit => return Err(forge(&e)),
            Err(e) => platform.warn(&format!(
                "could not post the PR comment (needs pull-requests: write): {e}"
            )),
        }
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
    let mut batches = check_run::batches(check_run::annotations(report));
    if batches.is_empty() {
        batches.push(Vec::new());
    }
    let outputs = batches
        .into_iter()
        .map(|b| check_run::output(report, b))
        .collect();
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
