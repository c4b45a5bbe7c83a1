//! GitHub through octocrab: check runs (annotations in batches of 50) and the sticky PR
//! comment found by its hidden marker. The base URL comes from `GITHUB_API_URL`, so GitHub
//! Enterprise Server works too.

pub mod actions;
pub mod app;
pub mod rest;

use std::time::Duration;

use octocrab::Octocrab;
use serde_json::{Value, json};

use crate::auth::Secret;

/// Bounds the comment search: 50 pages of 100 comments.
const MAX_COMMENT_PAGES: u32 = 50;

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub API URL {0:?} is not valid: {1}")]
    BadUrl(String, String),
    #[error("cannot set up the GitHub client: {0}")]
    Client(String),
    #[error("GitHub {call} failed: {message}")]
    Call {
        call: String,
        status: Option<u16>,
        message: String,
    },
}

impl GitHubError {
    /// 401/403: the token is missing a permission or is not valid.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            GitHubError::Call {
                status: Some(401 | 403),
                ..
            }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAction {
    Created(u64),
    Updated(u64),
}

pub struct GitHub {
    client: Octocrab,
}

fn call_error(call: String, e: octocrab::Error) -> GitHubError {
    match e {
        octocrab::Error::GitHub { source, .. } => GitHubError::Call {
            call,
            status: Some(source.status_code.as_u16()),
            message: format!("HTTP {}: {}", source.status_code.as_u16(), source.message),
        },
        other => GitHubError::Call {
            call,
            status: None,
            message: crate::databricks::error_chain(&other),
        },
    }
}

impl GitHub {
    pub fn new(api_url: &str, token: &Secret) -> Result<GitHub, GitHubError> {
        let client = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| GitHubError::BadUrl(api_url.to_string(), e.to_string()))?
            .personal_token(token.expose().to_string())
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .set_write_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| GitHubError::Client(e.to_string()))?;
        Ok(GitHub { client })
    }

    /// Starts a check run (in progress) and returns its id.
    pub async fn create_check_run(
        &self,
        owner: &str,
        repo: &str,
        name: &str,
        head_sha: &str,
        details_url: Option<&str>,
    ) -> Result<u64, GitHubError> {
        let route = format!("/repos/{owner}/{repo}/check-runs");
        let mut body = json!({ "name": name, "head_sha": head_sha, "status": "in_progress", "external_id": "brickci" });
        if let Some(u) = details_url {
            body["details_url"] = json!(u);
        }
        let created: Value = self
            .client
            .post(&route, Some(&body))
            .await
            .map_err(|e| call_error(format!("POST {route}"), e))?;
        created["id"].as_u64().ok_or_else(|| GitHubError::Call {
            call: format!("POST {route}"),
            status: None,
            message: "no id in the answer".into(),
        })
    }

    /// Completes a check run. The first request carries the conclusion and up to 50
    /// annotations; each further batch is an update that appends its annotations.
    pub async fn complete_check_run(
        &self,
        owner: &str,
        repo: &str,
        id: u64,
        conclusion: &str,
        outputs: Vec<Value>,
    ) -> Result<(), GitHubError> {
        let route = format!("/repos/{owner}/{repo}/check-runs/{id}");
        for (i, output) in outputs.into_iter().enumerate() {
            let body = if i == 0 {
                json!({ "status": "completed", "conclusion": conclusion, "output": output })
            } else {
                json!({ "output": output })
            };
            let _: Value = self
                .client
                .patch(&route, Some(&body))
                .await
                .map_err(|e| call_error(format!("PATCH {route}"), e))?;
        }
        Ok(())
    }

    /// Edits the PR comment carrying `marker`, or creates it: one comment per report key.
    pub async fn upsert_sticky_comment(
        &self,
        owner: &str,
        repo: &str,
        pr: u64,
        marker: &str,
        body: &str,
    ) -> Result<CommentAction, GitHubError> {
        let list = format!("/repos/{owner}/{repo}/issues/{pr}/comments");
        let mut found = None;
        for page in 1..=MAX_COMMENT_PAGES {
            let params = [("per_page", "100".to_string()), ("page", page.to_string())];
            let comments: Vec<Value> = self
                .client
                .get(&list, Some(&params))
                .await
                .map_err(|e| call_error(format!("GET {list}"), e))?;
            found = comments
                .iter()
                .find(|c| c["body"].as_str().is_some_and(|b| b.starts_with(marker)))
                .and_then(|c| c["id"].as_u64());
            if found.is_some() || comments.len() < 100 {
                break;
            }
        }
        match found {
            Some(id) => {
                let route = format!("/repos/{owner}/{repo}/issues/comments/{id}");
                let _: Value = self
                    .client
                    .patch(&route, Some(&json!({ "body": body })))
                    .await
                    .map_err(|e| call_error(format!("PATCH {route}"), e))?;
                Ok(CommentAction::Updated(id))
            }
            None => {
                let created: Value = self
                    .client
                    .post(&list, Some(&json!({ "body": body })))
                    .await
                    .map_err(|e| call_error(format!("POST {list}"), e))?;
                Ok(CommentAction::Created(
                    created["id"].as_u64().unwrap_or_default(),
                ))
            }
        }
    }
}
