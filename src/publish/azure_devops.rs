//! The Azure DevOps side of publishing: the sticky PR thread comment (Azure Repos only),
//! with `SYSTEM_ACCESSTOKEN` mapped into the step's environment.

use crate::azure_devops::{AzureDevOps, ThreadAction};
use crate::cli::PublishArgs;
use crate::error::Error;
use crate::http::{HttpOptions, client};
use crate::platform::Platform;
use crate::report::check_run::full_report_at;
use crate::report::{Report, markdown};

/// Azure DevOps refuses a thread comment over 150,000 characters ("A discussion comment
/// cannot be longer than 150000 characters"; not in the REST reference, seen from the API).
pub const COMMENT_LIMIT: usize = 150_000;

pub async fn pr_comment(
    platform: &Platform,
    report: &Report,
    args: &PublishArgs,
) -> Result<(), Error> {
    sticky_comment(
        platform,
        &args.pr_comment,
        &markdown::sticky_marker(&report.key),
        &markdown::comment_body_within(report, COMMENT_LIMIT, &full_report_at(report)),
    )
    .await
}

/// Opens or edits the PR thread whose first comment carries `marker`; `flag` is
/// `--pr-comment` (auto, true, false). Shared by the test report and `brickci plan`.
pub async fn sticky_comment(
    platform: &Platform,
    flag: &str,
    marker: &str,
    body: &str,
) -> Result<(), Error> {
    let env = platform.env();
    let explicit = flag == "true";
    let pr = platform.context().pr_number;
    let azure_repos = env
        .get("BUILD_REPOSITORY_PROVIDER")
        .is_none_or(|p| p == "TfsGit");
    let token = env.get("SYSTEM_ACCESSTOKEN");
    if !super::github::wanted(flag, pr.is_some() && token.is_some() && azure_repos) {
        return Ok(());
    }
    let (Some(pr), Some(token)) = (pr, token) else {
        return Err(Error::bad_input(
            "--pr-comment true needs a pull request build and SYSTEM_ACCESSTOKEN (map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken))",
        ));
    };
    let token = crate::secrets::resolve("SYSTEM_ACCESSTOKEN", token, env.map()).await?;
    platform.mask(token.expose());
    let var = |k: &str| {
        env.get(k)
            .ok_or_else(|| Error::bad_input(format!("{k} is not set")))
    };
    let project = env
        .get("SYSTEM_TEAMPROJECTID")
        .map(Ok)
        .unwrap_or_else(|| var("SYSTEM_TEAMPROJECT"))?;
    let http = client(&HttpOptions::default()).map_err(|e| Error::Io(e.to_string()))?;
    let ado = AzureDevOps::new(
        http,
        var("SYSTEM_COLLECTIONURI")?,
        project,
        var("BUILD_REPOSITORY_ID")?,
        token,
    );
    match ado.upsert_pr_thread_comment(pr, marker, body).await {
        Ok(ThreadAction::Created(id)) => platform.info(&format!("PR {pr}: thread {id} created")),
        Ok(ThreadAction::Updated { thread, .. }) => platform.info(&format!("PR {pr}: thread {thread} updated")),
        Err(e) if explicit => return Err(Error::Forge { message: e.to_string(), auth: e.is_auth() }),
        Err(e) => platform.warn(&format!("could not comment on the pull request (the build service needs 'Contribute to pull requests'): {e}")),
    }
    Ok(())
}
