//! Azure DevOps REST: the sticky PR thread comment (Azure Repos), with the build's
//! `System.AccessToken`. Throttling answers (429/503) are waited out as `Retry-After` says.
//! Pipelines and their runs (for `brickci trigger azure-devops`) are in `pipelines`.

pub mod pipelines;

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::Secret;

const API_VERSION: &str = "7.1";
const MAX_ATTEMPTS: u32 = 4;
/// A longer wait than this is not worth holding a pipeline for a comment.
const MAX_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum AzureDevOpsError {
    #[error("Azure DevOps {call} failed: HTTP {status}: {message}")]
    Http {
        call: String,
        status: u16,
        message: String,
    },
    #[error("Azure DevOps {call}: cannot reach the server: {message}")]
    Transport { call: String, message: String },
}

impl AzureDevOpsError {
    pub fn status(&self) -> Option<u16> {
        match self {
            AzureDevOpsError::Http { status, .. } => Some(*status),
            AzureDevOpsError::Transport { .. } => None,
        }
    }

    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            AzureDevOpsError::Http {
                status: 401 | 403,
                ..
            }
        )
    }
}

/// How a request proves who sends it: an OAuth token (`System.AccessToken`, Entra ID) as a
/// bearer token, a personal access token by basic authentication with an empty user.
#[derive(Clone)]
pub enum AdoAuth {
    Bearer(Secret),
    Pat(Secret),
}

/// A successful answer: its JSON body and the continuation token of a paged list.
pub struct Answer {
    pub body: Value,
    pub continuation: Option<String>,
}

/// One REST call; 429 (and 503 when `retry_unavailable`) are waited out as `Retry-After`
/// says. A request that must not be sent twice blindly passes `retry_unavailable: false`.
pub async fn request(
    http: &reqwest::Client,
    auth: &AdoAuth,
    method: reqwest::Method,
    url: String,
    body: Option<&Value>,
    retry_unavailable: bool,
) -> Result<Answer, AzureDevOpsError> {
    let call = format!("{method} {}", url.split('?').next().unwrap_or(&url));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut req = http.request(method.clone(), &url);
        req = match auth {
            AdoAuth::Bearer(t) => req.bearer_auth(t.expose()),
            AdoAuth::Pat(t) => req.basic_auth("", Some(t.expose())),
        };
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| AzureDevOpsError::Transport {
            call: call.clone(),
            message: crate::databricks::error_chain(&e),
        })?;
        let status = resp.status().as_u16();
        let retry = status == 429 || (status == 503 && retry_unavailable);
        if retry && attempt < MAX_ATTEMPTS {
            let wait = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .unwrap_or(Duration::from_secs(1 << attempt));
            tokio::time::sleep(wait.min(MAX_WAIT)).await;
            continue;
        }
        let continuation = resp
            .headers()
            .get("x-ms-continuationtoken")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| text.chars().take(300).collect());
            return Err(AzureDevOpsError::Http {
                call,
                status,
                message,
            });
        }
        return Ok(Answer {
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            continuation,
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAction {
    Created(u64),
    Updated { thread: u64, comment: u64 },
}

pub struct AzureDevOps {
    http: reqwest::Client,
    /// `{collection}{project}/_apis/git/repositories/{repo}`.
    repo_url: String,
    token: Secret,
}

impl AzureDevOps {
    pub fn new(
        http: reqwest::Client,
        collection_uri: &str,
        project: &str,
        repository_id: &str,
        token: Secret,
    ) -> AzureDevOps {
        let base = collection_uri.trim_end_matches('/');
        AzureDevOps {
            http,
            repo_url: format!("{base}/{project}/_apis/git/repositories/{repository_id}"),
            token,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<&Value>,
    ) -> Result<Value, AzureDevOpsError> {
        let auth = AdoAuth::Bearer(self.token.clone());
        let answer = request(&self.http, &auth, method, url, body, true).await?;
        Ok(answer.body)
    }

    /// Edits the first comment of the thread carrying `marker`, or opens a new thread.
    pub async fn upsert_pr_thread_comment(
        &self,
        pr_id: u64,
        marker: &str,
        body: &str,
    ) -> Result<ThreadAction, AzureDevOpsError> {
        let threads_url = format!("{}/pullRequests/{pr_id}/threads", self.repo_url);
        let list = self
            .send(
                reqwest::Method::GET,
                format!("{threads_url}?api-version={API_VERSION}"),
                None,
            )
            .await?;
        let ours = list["value"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|t| {
                let first = t["comments"].as_array()?.first()?;
                // At the start only: a marker quoted inside another report is not ours.
                first["content"]
                    .as_str()?
                    .starts_with(marker)
                    .then(|| (t["id"].as_u64(), first["id"].as_u64()))
            });
        if let Some((Some(thread), Some(comment))) = ours {
            let url =
                format!("{threads_url}/{thread}/comments/{comment}?api-version={API_VERSION}");
            self.send(
                reqwest::Method::PATCH,
                url,
                Some(&json!({ "content": body })),
            )
            .await?;
            return Ok(ThreadAction::Updated { thread, comment });
        }
        let new = json!({
            "comments": [{ "parentCommentId": 0, "content": body, "commentType": "text" }],
            "status": "active",
            "properties": { "brickci.report": { "$type": "System.String", "$value": marker } },
        });
        let created = self
            .send(
                reqwest::Method::POST,
                format!("{threads_url}?api-version={API_VERSION}"),
                Some(&new),
            )
            .await?;
        Ok(ThreadAction::Created(
            created["id"].as_u64().unwrap_or_default(),
        ))
    }
}
