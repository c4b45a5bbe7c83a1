//! Whether a PR deployment's pull request is closed, asked of the forge its metadata names:
//! GitHub (`GET /repos/{owner}/{repo}/pulls/{n}`, `state`; GITHUB_TOKEN, GITHUB_API_URL) or
//! Azure Repos (`GET .../pullrequests/{id}`, `status` completed or abandoned;
//! SYSTEM_ACCESSTOKEN). Whatever cannot be asked is unknown: age alone decides then.

use std::time::Duration;

use super::metadata::PrMetadata;
use crate::auth::Secret;
use crate::platform::Platform;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrState {
    Open,
    /// Closed, merged, completed or abandoned: the forge's word for it.
    Closed(String),
    /// Why the state is not known.
    Unknown(String),
}

/// A token from the environment, which may be a secret reference (env:, file:, aws-sm://,
/// azure-kv://): resolved and masked.
async fn token(platform: &Platform, name: &str, raw: Option<String>) -> Result<Secret, String> {
    let raw = raw
        .filter(|v| !v.is_empty())
        .ok_or(format!("{name} is not set"))?;
    let token = crate::secrets::resolve(name, &raw, platform.env().map())
        .await
        .map_err(|e| e.to_string())?;
    platform.mask(token.expose());
    Ok(token)
}

pub async fn state(platform: &Platform, m: &PrMetadata) -> PrState {
    let env = platform.env();
    let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).map(str::to_string);
    match m.provider.as_str() {
        "github" => {
            let Some(repo) = m.repository.as_deref() else {
                return PrState::Unknown("the metadata names no repository".into());
            };
            let raw = get("GITHUB_TOKEN").or_else(|| platform.input("github-token"));
            let token = match token(platform, "GITHUB_TOKEN", raw).await {
                Ok(t) => t,
                Err(why) => return PrState::Unknown(why),
            };
            let api = get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into());
            github(&api, token, repo, m.pr).await
        }
        "azure_devops" => {
            let Some(repo) = &m.azure_devops else {
                return PrState::Unknown("the metadata names no Azure Repos repository".into());
            };
            let token = match token(platform, "SYSTEM_ACCESSTOKEN", get("SYSTEM_ACCESSTOKEN")).await
            {
                Ok(t) => t,
                Err(why) => return PrState::Unknown(why),
            };
            let url = format!(
                "{}/{}/_apis/git/repositories/{}/pullrequests/{}?api-version=7.1",
                repo.collection_uri.trim_end_matches('/'),
                repo.project,
                repo.repository_id,
                m.pr
            );
            azure(url, token).await
        }
        other => PrState::Unknown(format!("brickci cannot ask {other} about pull requests")),
    }
}

async fn github(api: &str, token: Secret, repo: &str, pr: u64) -> PrState {
    let rest = match crate::github::rest::Rest::new(api, token, crate::github::rest::is_dotcom(api))
    {
        Ok(r) => r,
        Err(e) => return PrState::Unknown(e.to_string()),
    };
    match rest.get(&format!("/repos/{repo}/pulls/{pr}"), &[]).await {
        Ok(pull) => match pull["state"].as_str() {
            Some("open") => PrState::Open,
            Some(s) => PrState::Closed(s.to_string()),
            None => PrState::Unknown("GitHub's answer has no `state`".into()),
        },
        // A pull request that is gone (or its repository) cannot reopen; a token that may
        // not read it (401/403) says nothing about it.
        Err(crate::github::GitHubError::Call {
            status: Some(404), ..
        }) => PrState::Closed("gone (GitHub answered 404)".into()),
        Err(e) => PrState::Unknown(e.to_string()),
    }
}

async fn azure(url: String, token: Secret) -> PrState {
    let http = match crate::http::client(&crate::http::HttpOptions {
        connect_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(30),
    }) {
        Ok(h) => h,
        Err(e) => return PrState::Unknown(e.to_string()),
    };
    let auth = crate::azure_devops::AdoAuth::Bearer(token);
    match crate::azure_devops::request(&http, &auth, reqwest::Method::GET, url, None, true).await {
        Ok(answer) => match answer.body["status"].as_str() {
            Some(s @ ("completed" | "abandoned")) => PrState::Closed(s.to_string()),
            Some(_) => PrState::Open,
            None => PrState::Unknown("Azure DevOps' answer has no `status`".into()),
        },
        Err(e) => PrState::Unknown(e.to_string()),
    }
}
