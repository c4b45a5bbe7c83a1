//! Plain REST calls to GitHub for the Actions endpoints (dispatch, runs, App tokens), where
//! the API version header and the exact status matter. GETs wait out rate limits and
//! transient failures (bounded); POSTs are sent once and say whether a failure is ambiguous.

use std::time::Duration;

use serde_json::Value;

use crate::auth::Secret;

use super::GitHubError;

/// github.com answers a workflow dispatch with the run (200); GHES keeps the older version.
pub const DOTCOM_API_VERSION: &str = "2026-03-10";
pub const GHES_API_VERSION: &str = "2022-11-28";

const MAX_GET_ATTEMPTS: u32 = 6;
/// A rate limit reset further away than this is waited for in steps of it.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// A POST that did not come back with a status: whether GitHub may have acted on it.
#[derive(Debug)]
pub struct SendFailure {
    pub call: String,
    pub message: String,
    /// The request may have reached GitHub (timeout, dropped connection, 5xx).
    pub ambiguous: bool,
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

pub struct Rest {
    http: reqwest::Client,
    api_url: String,
    token: Secret,
    api_version: &'static str,
}

/// GHES serves its API under `/api/v3`; everything else (api.github.com, GHE.com's
/// `api.<name>.ghe.com`) is GitHub's cloud with the newer API version.
pub fn is_dotcom(api_url: &str) -> bool {
    !api_url.trim_end_matches('/').ends_with("/api/v3")
}

impl Rest {
    pub fn new(api_url: &str, token: Secret, dotcom: bool) -> Result<Rest, GitHubError> {
        let http = crate::http::client(&crate::http::HttpOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        })
        .map_err(|e| GitHubError::Client(e.to_string()))?;
        Ok(Rest {
            http,
            api_url: api_url.trim_end_matches('/').to_string(),
            token,
            api_version: if dotcom {
                DOTCOM_API_VERSION
            } else {
                GHES_API_VERSION
            },
        })
    }

    pub fn api_version(&self) -> &'static str {
        self.api_version
    }

    /// For a server that refused the version chosen from its URL.
    pub fn set_api_version(&mut self, version: &'static str) {
        self.api_version = version;
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.api_url))
            .bearer_auth(self.token.expose())
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", self.api_version)
    }

    /// GET with bounded retries on 429, 5xx, an exhausted rate limit and transport errors.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, GitHubError> {
        let call = format!("GET {path}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= MAX_GET_ATTEMPTS;
            let resp = match self
                .request(reqwest::Method::GET, path)
                .query(query)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if !last => {
                    tracing::debug!("{call}: {}", crate::databricks::error_chain(&e));
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                Err(e) => {
                    return Err(GitHubError::Call {
                        call,
                        status: None,
                        message: crate::databricks::error_chain(&e),
                    });
                }
            };
            let status = resp.status().as_u16();
            if !last && let Some(wait) = throttled(status, resp.headers(), attempt) {
                tracing::debug!("{call}: HTTP {status}, waiting {wait:?}");
                tokio::time::sleep(wait).await;
                continue;
            }
            let answer = read(resp).await;
            return if (200..300).contains(&status) {
                Ok(answer.body)
            } else {
                Err(failed(call, &answer))
            };
        }
    }

    /// POST once. A status comes back as an [`Answer`] whatever it is; a 5xx or a failure
    /// after the request may have left is ambiguous: the caller looks before sending again.
    pub async fn post_once(&self, path: &str, body: &Value) -> Result<Answer, SendFailure> {
        let call = format!("POST {path}");
        match self
            .request(reqwest::Method::POST, path)
            .json(body)
            .send()
            .await
        {
            Ok(resp) => {
                let answer = read(resp).await;
                if answer.status >= 500 {
                    return Err(SendFailure {
                        message: failed(call.clone(), &answer).to_string(),
                        call,
                        ambiguous: true,
                    });
                }
                Ok(answer)
            }
            Err(e) => Err(SendFailure {
                call,
                message: crate::databricks::error_chain(&e),
                // A refused connection never carried the request.
                ambiguous: !e.is_connect(),
            }),
        }
    }
}

async fn read(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// The error for a non-2xx answer, with GitHub's message (and its validation details).
pub fn failed(call: String, answer: &Answer) -> GitHubError {
    GitHubError::Call {
        call,
        status: Some(answer.status),
        message: describe(answer),
    }
}

/// `HTTP <status>: <GitHub's message>; <each validation error>`.
pub fn describe(answer: &Answer) -> String {
    let mut message = answer.body["message"]
        .as_str()
        .unwrap_or("no message")
        .to_string();
    for e in answer.body["errors"].as_array().into_iter().flatten() {
        if let Some(m) = e.as_str().or_else(|| e["message"].as_str()) {
            message.push_str(&format!("; {m}"));
        }
    }
    format!("HTTP {}: {message}", answer.status)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.min(6)).min(MAX_WAIT)
}

/// How long to wait before retrying a GET, or None if the answer is final: 429 and 5xx
/// (honouring `Retry-After`), and a 403 whose rate limit is used up (until its reset).
fn throttled(status: u16, headers: &reqwest::header::HeaderMap, attempt: u32) -> Option<Duration> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    let retry_after = header("retry-after").and_then(|v| v.parse::<u64>().ok());
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    if !(status == 429 || status >= 500 || (status == 403 && (exhausted || retry_after.is_some())))
    {
        return None;
    }
    if let Some(s) = retry_after {
        return Some(Duration::from_secs(s).min(MAX_WAIT));
    }
    if exhausted
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok())
    {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return Some(Duration::from_secs(reset.saturating_sub(now) + 1).min(MAX_WAIT));
    }
    Some(backoff(attempt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotcom_or_enterprise() {
        assert!(is_dotcom("https://api.github.com"));
        assert!(is_dotcom("http://127.0.0.1:4000"));
        assert!(!is_dotcom("https://ghes.example.com/api/v3"));
        assert!(!is_dotcom("http://127.0.0.1:4000/api/v3"));
    }

    #[test]
    fn rate_limits_are_waited_out_and_other_refusals_are_final() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(throttled(404, &h, 1), None);
        assert_eq!(throttled(403, &h, 1), None, "a permission refusal is final");
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(throttled(429, &h, 1), Some(Duration::from_secs(7)));
        assert_eq!(throttled(403, &h, 1), Some(Duration::from_secs(7)));
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "1".parse().unwrap());
        assert_eq!(throttled(403, &h, 1), Some(Duration::from_secs(1)));
    }
}
