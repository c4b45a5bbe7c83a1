//! Where a CI job's OIDC ID token comes from: GitHub Actions, Azure DevOps, a variable or a
//! file. The token is exchanged for a Databricks token (see `federation`).

use std::path::PathBuf;

use base64::Engine;
use serde::Serialize;

use super::{AuthError, Secret};
use crate::databricks::error_chain;

#[derive(Debug)]
pub enum IdTokenSource {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (`id-token: write`).
    GitHubActions {
        request_url: String,
        request_token: Secret,
    },
    /// The job's OIDC token endpoint, with `SYSTEM_ACCESSTOKEN`.
    AzureDevOps { url: String, access_token: Secret },
    /// A token in a variable (GitLab `id_tokens:`, CodeBuild, anything).
    Variable { name: String, value: Secret },
    /// A token in a file, read again at every renewal (rotating projected tokens).
    File { path: PathBuf },
}

/// The ID token's non-secret claims, for `brickci auth check`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Option<String>,
    pub exp: Option<i64>,
}

/// Reads the claims of a JWT without verifying it (the server verifies).
pub fn claims(jwt: &str) -> Option<Claims> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let s = |k: &str| v[k].as_str().map(str::to_string);
    let aud = match &v["aud"] {
        serde_json::Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => other.as_str().map(str::to_string),
    };
    Some(Claims {
        iss: s("iss"),
        sub: s("sub"),
        aud,
        exp: v["exp"].as_i64(),
    })
}

impl IdTokenSource {
    pub fn method(&self) -> &'static str {
        match self {
            IdTokenSource::GitHubActions { .. } => "github-oidc",
            IdTokenSource::AzureDevOps { .. } => "azure-devops-oidc",
            IdTokenSource::Variable { .. } => "env-oidc",
            IdTokenSource::File { .. } => "file-oidc",
        }
    }

    /// Gets an ID token. `audience` applies to GitHub; Azure DevOps fixes its own.
    pub async fn fetch(&self, http: &reqwest::Client, audience: &str) -> Result<Secret, AuthError> {
        let method = self.method();
        let unavailable = |endpoint: &str, message: String| AuthError::Unavailable {
            method,
            endpoint: endpoint.to_string(),
            message,
        };
        match self {
            IdTokenSource::GitHubActions {
                request_url,
                request_token,
            } => {
                let sep = if request_url.contains('?') { '&' } else { '?' };
                let audience: String =
                    url::form_urlencoded::byte_serialize(audience.as_bytes()).collect();
                let url = format!("{request_url}{sep}audience={audience}");
                let endpoint = request_url
                    .split('?')
                    .next()
                    .unwrap_or(request_url)
                    .to_string();
                let resp = http
                    .get(&url)
                    .bearer_auth(request_token.expose())
                    .header("accept", "application/json")
                    .send()
                    .await
                    .map_err(|e| unavailable(&endpoint, error_chain(&e)))?;
                let status = resp.status();
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                if !status.is_success() {
                    return Err(unavailable(
                        &endpoint,
                        format!(
                            "HTTP {status}; does the workflow have `permissions: id-token: write`?"
                        ),
                    ));
                }
                body["value"]
                    .as_str()
                    .map(Secret::new)
                    .ok_or_else(|| unavailable(&endpoint, "no `value` in the answer".into()))
            }
            IdTokenSource::AzureDevOps { url, access_token } => {
                let resp = http
                    .post(url)
                    .bearer_auth(access_token.expose())
                    .header("content-type", "application/json")
                    .header("content-length", "0")
                    .send()
                    .await
                    .map_err(|e| unavailable(url, error_chain(&e)))?;
                let status = resp.status();
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                if !status.is_success() {
                    return Err(unavailable(
                        url,
                        format!("HTTP {status}; is SYSTEM_ACCESSTOKEN mapped into the step?"),
                    ));
                }
                body["oidcToken"]
                    .as_str()
                    .map(Secret::new)
                    .ok_or_else(|| unavailable(url, "no `oidcToken` in the answer".into()))
            }
            IdTokenSource::Variable { value, .. } => Ok(value.clone()),
            // Never a FIFO (it would block) or a file under /proc (environ is not a token).
            IdTokenSource::File { path } => crate::bundle::local_file::Roots::anywhere()
                .read_limited(std::path::Path::new(path), 1024 * 1024)
                .map(|t| Secret::new(String::from_utf8_lossy(&t).trim()))
                .map_err(|e| unavailable(&path.display().to_string(), e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_without_verifying() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/heads/main","aud":["a","b"],"exp":5}"#);
        let c = claims(&format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig")).unwrap();
        assert_eq!(c.sub.as_deref(), Some("repo:o/r:ref:refs/heads/main"));
        assert_eq!(c.aud.as_deref(), Some("a, b"));
        assert_eq!(c.exp, Some(5));
        assert!(claims("not-a-jwt").is_none());
    }
}
