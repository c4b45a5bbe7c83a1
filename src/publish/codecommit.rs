//! The CodeCommit side of publishing: a pull request comment, when the PR is named.

use crate::aws::codecommit::{PrComment, post_pr_comment};
use crate::cli::PublishArgs;
use crate::error::Error;
use crate::platform::Platform;
use crate::report::check_run::full_report_at;
use crate::report::{Report, markdown};

/// CodeCommit refuses a comment over 10,240 characters (CommentContentSizeLimitExceededException).
pub const COMMENT_LIMIT: usize = 10_240;
use crate::util::fnv1a64;

pub async fn pr_comment(
    platform: &Platform,
    report: &Report,
    args: &PublishArgs,
) -> Result<(), Error> {
    let given = [
        &args.codecommit_repository,
        &args.codecommit_pr_id,
        &args.codecommit_before_commit,
        &args.codecommit_after_commit,
    ];
    if given.iter().all(|g| g.is_none()) {
        return Ok(());
    }
    let (Some(repository), Some(pr_id), Some(before), Some(after)) = (
        args.codecommit_repository.as_deref(),
        args.codecommit_pr_id.as_deref(),
        args.codecommit_before_commit.as_deref(),
        args.codecommit_after_commit.as_deref(),
    ) else {
        return Err(Error::bad_input(
            "a CodeCommit comment needs all of --codecommit-repository, --codecommit-pr-id, --codecommit-before-commit and --codecommit-after-commit",
        ));
    };
    let body = markdown::comment_body_within(report, COMMENT_LIMIT, &full_report_at(report));
    let seed = platform.idempotency_seed().unwrap_or_default();
    let token = format!(
        "brickci-{:016x}",
        fnv1a64(format!("{seed}{pr_id}{after}{body}").as_bytes())
    );
    let config = crate::aws::config(platform.env().get("BRICKCI_AWS_ENDPOINT_URL")).await;
    let client = aws_sdk_codecommit::Client::new(&config);
    let comment = PrComment {
        repository,
        pr_id,
        before_commit: before,
        after_commit: after,
        content: &body,
        client_request_token: &token,
    };
    match post_pr_comment(&client, &comment).await {
        Ok(id) => {
            platform.info(&format!(
                "CodeCommit pull request {pr_id}: comment {} posted",
                id.unwrap_or_default()
            ));
            Ok(())
        }
        Err(e) => Err(Error::Forge {
            auth: e.auth,
            message: e.to_string(),
        }),
    }
}
