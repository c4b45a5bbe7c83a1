//! OAuth machine-to-machine: a service principal's client id and secret exchanged at the
//! workspace token endpoint (found through host metadata, as the SDKs do).

use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use url::Url;

use super::{
    AuthError, BoxFuture, CachedToken, Credentials, Headers, Secret, TokenResponse, bearer,
};
use crate::databricks::error_chain;

const METHOD: &str = "oauth-m2m";

pub struct M2mCredentials {
    host: Url,
    client_id: String,
    client_secret: Secret,
    token_endpoint: Mutex<Option<String>>,
    cached: std::sync::Mutex<Option<CachedToken>>,
    // Serialises refreshes so concurrent calls share one token request.
    refresh: Mutex<()>,
}

impl M2mCredentials {
    pub fn new(host: Url, client_id: String, client_secret: Secret) -> Self {
        M2mCredentials {
            host,
            client_id,
            client_secret,
            token_endpoint: Mutex::new(None),
            cached: std::sync::Mutex::new(None),
            refresh: Mutex::new(()),
        }
    }

    fn fresh_token(&self) -> Option<Secret> {
        let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|t| t.is_fresh(Instant::now()))
            .map(|t| t.token.clone())
    }

    async fn token(&self, http: &reqwest::Client) -> Result<Secret, AuthError> {
        if let Some(t) = self.fresh_token() {
            return Ok(t);
        }
        let _guard = self.refresh.lock().await;
        if let Some(t) = self.fresh_token() {
            return Ok(t);
        }
        let endpoint = self.endpoint(http).await;
        let resp = request_token(http, &endpoint, &self.client_id, &self.client_secret).await?;
        let cached = CachedToken::new(resp, Instant::now());
        let token = cached.token.clone();
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(cached);
        Ok(token)
    }

    async fn endpoint(&self, http: &reqwest::Client) -> String {
        let mut slot = self.token_endpoint.lock().await;
        if let Some(e) = slot.as_ref() {
            return e.clone();
        }
        let found = discover_token_endpoint(http, &self.host).await;
        *slot = Some(found.clone());
        found
    }
}

impl Credentials for M2mCredentials {
    fn method(&self) -> String {
        METHOD.into()
    }

    fn headers<'a>(
        &'a self,
        http: &'a reqwest::Client,
    ) -> BoxFuture<'a, Result<Headers, AuthError>> {
        Box::pin(async move { bearer(&self.token(http).await?) })
    }

    fn invalidate(&self) {
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

fn base(host: &Url) -> String {
    host.as_str().trim_end_matches('/').to_string()
}

/// Host metadata, then the workspace's OAuth metadata, then the well-known path.
pub(crate) async fn discover_token_endpoint(http: &reqwest::Client, host: &Url) -> String {
    let base = base(host);
    let get_json = |url: String| async move {
        let resp = http.get(&url).send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        resp.json::<serde_json::Value>().await.ok()
    };
    let mut metadata_urls = Vec::new();
    if let Some(cfg) = get_json(format!("{base}/.well-known/databricks-config")).await
        && let Some(oidc) = cfg.get("oidc_endpoint").and_then(|v| v.as_str())
    {
        let account = cfg.get("account_id").and_then(|v| v.as_str()).unwrap_or("");
        let oidc = oidc.replace("{account_id}", account);
        metadata_urls.push(format!(
            "{}/.well-known/oauth-authorization-server",
            oidc.trim_end_matches('/')
        ));
    }
    metadata_urls.push(format!(
        "{base}/oidc/.well-known/oauth-authorization-server"
    ));
    for url in metadata_urls {
        if let Some(meta) = get_json(url).await
            && let Some(ep) = meta.get("token_endpoint").and_then(|v| v.as_str())
        {
            return ep.to_string();
        }
    }
    format!("{base}/oidc/v1/token")
}

/// POSTs the client-credentials grant, retrying 429/503 and connection failures briefly.
async fn request_token(
    http: &reqwest::Client,
    endpoint: &str,
    client_id: &str,
    secret: &Secret,
) -> Result<TokenResponse, AuthError> {
    let form = [("grant_type", "client_credentials"), ("scope", "all-apis")];
    let mut last = String::new();
    for attempt in 0..5u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt - 1))).await;
        }
        let sent = http
            .post(endpoint)
            .basic_auth(client_id, Some(secret.expose()))
            .form(&form)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                last = error_chain(&e);
                continue;
            }
        };
        let status = resp.status();
        if status.as_u16() == 429 || status.as_u16() == 503 {
            if let Some(secs) = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
            {
                tokio::time::sleep(Duration::from_secs(secs.min(30))).await;
            }
            last = format!("HTTP {status}");
            continue;
        }
        let body = resp.bytes().await.unwrap_or_default();
        if !status.is_success() {
            let err = crate::databricks::ApiError::from_response(
                crate::databricks::CallContext {
                    method: "POST".into(),
                    path: endpoint.into(),
                    object: format!("client {client_id}"),
                },
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                &body,
                None,
                None,
            );
            return Err(AuthError::Rejected {
                method: METHOD,
                endpoint: endpoint.into(),
                message: format!("HTTP {}: {}", status.as_u16(), err.message),
            });
        }
        return serde_json::from_slice(&body).map_err(|e| AuthError::Unavailable {
            method: METHOD,
            endpoint: endpoint.into(),
            message: format!("unexpected token response: {e}"),
        });
    }
    Err(AuthError::Unavailable {
        method: METHOD,
        endpoint: endpoint.into(),
        message: last,
    })
}
