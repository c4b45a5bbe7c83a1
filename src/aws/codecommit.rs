//! A CodeCommit pull request comment (PostCommentForPullRequest), idempotent per build.

use aws_sdk_codecommit::Client;

/// CodeCommit refuses comments over 10,240 characters.
const CONTENT_LIMIT: usize = 10_000;

#[derive(Debug, thiserror::Error)]
#[error(
    "CodeCommit PostCommentForPullRequest on pull request {pr_id} in {repository} failed: {message}"
)]
pub struct CodeCommitError {
    pub repository: String,
    pub pr_id: String,
    pub message: String,
    pub auth: bool,
}

pub struct PrComment<'a> {
    pub repository: &'a str,
    pub pr_id: &'a str,
    pub before_commit: &'a str,
    pub after_commit: &'a str,
    pub content: &'a str,
    /// Same token, same comment: a resent request posts nothing new.
    pub client_request_token: &'a str,
}

pub async fn post_pr_comment(
    client: &Client,
    c: &PrComment<'_>,
) -> Result<Option<String>, CodeCommitError> {
    let content = fit(c.content);
    let out = client
        .post_comment_for_pull_request()
        .repository_name(c.repository)
        .pull_request_id(c.pr_id)
        .before_commit_id(c.before_commit)
        .after_commit_id(c.after_commit)
        .content(content)
        .client_request_token(c.client_request_token)
        .send()
        .await
        .map_err(|e| {
            use aws_sdk_codecommit::error::ProvideErrorMetadata;
            let meta = e.meta();
            let code = meta.code().unwrap_or("error").to_string();
            let detail = meta
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| crate::databricks::error_chain(&e));
            CodeCommitError {
                repository: c.repository.to_string(),
                pr_id: c.pr_id.to_string(),
                auth: matches!(
                    code.as_str(),
                    "AccessDeniedException"
                        | "UnrecognizedClientException"
                        | "ExpiredTokenException"
                ),
                message: format!("{code}: {detail}"),
            }
        })?;
    Ok(out
        .comment()
        .and_then(|c| c.comment_id())
        .map(str::to_string))
}

fn fit(content: &str) -> String {
    if content.chars().count() <= CONTENT_LIMIT {
        return content.to_string();
    }
    let cut: String = content.chars().take(CONTENT_LIMIT - 40).collect();
    format!("{cut}\n\n_(report trimmed for CodeCommit)_")
}
