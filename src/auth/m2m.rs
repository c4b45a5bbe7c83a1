//! OAuth machine-to-machine: a service principal's client id and secret exchanged at the
//! workspace token endpoint (found through host metadata, as the SDKs do).

use std::time::Duration;

use tokio::sync::Mutex;
use url::Url;

use super::token_cache::TokenCache;
use super::{AuthError, BoxFuture, Credentials, Headers, Secret, TokenResponse, bearer};
use crate::databricks::error_chain;

const METHOD: &str = "oauth-m2m";

pub struct M2mCredentials {
    host: Url,
    client_id: String,
    client_secret: Secret,
    token_endpoint: Mutex<Option<String>>,
    cache: TokenCache,
}

impl M2mCredentials {
    pub fn new(host: Url, client_id: String, client_secret: Secret) -> Self {
        M2mCredentials {
            host,
            client_id,
            client_secret,
            token_endpoint: Mutex::new(None),
            cache: TokenCache::default(),
        }
    }

    async fn token(&self, http: &reqwest::Client) -> Result<Secret, AuthError> {
        self.cache
            .get(|| async {
                let endpoint = endpoint(&self.token_endpoint, http, &self.host).await;
                let form = [("grant_type", "client_credentials"), ("scope", "all-apis")];
                post_token_form(
                    http,
                    &endpoint,
                    METHOD,
                    &form,
                    Some((&self.client_id, &self.client_secret)),
                )
                .await
            })
            .await
    }
}

/// The token endpoint, discovered once and remembered.
pub(crate) async fn endpoint(
    slot: &Mutex<Option<String>>,
    http: &reqwest::Client,
    host: &Url,
) -> String {
    let mut slot = slot.lock().await;
    if let Some(e) = slot.as_ref() {
        return e.clone();
    }
    let found = discover_token_endpoint(http, host).await;
    *slot = Some(found.clone());
    found
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
        self.cache.clear();
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

/// POSTs a token form (client credentials or token exchange), retrying 429/503 and
/// connection failures briefly. Errors name the endpoint and the server's reason, never the
/// credentials.
pub(crate) async fn post_token_form(
    http: &reqwest::Client,
    endpoint: &str,
    method: &'static str,
    form: &[(&str, &str)],
    basic: Option<(&str, &Secret)>,
) -> Result<TokenResponse, AuthError> {
    let mut last = String::new();
    for attempt in 0..5u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt - 1))).await;
        }
        let mut req = http.post(endpoint).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret.expose()));
        }
        let resp = match req.send().await {
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
                    object: String::new(),
                },
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                &body,
                None,
                None,
            );
            let code = err.error_code.map(|c| format!("{c}: ")).unwrap_or_default();
            return Err(AuthError::Rejected {
                method,
                endpoint: endpoint.into(),
                message: format!("HTTP {}: {code}{}", status.as_u16(), err.message),
            });
        }
        return serde_json::from_slice(&body).map_err(|e| AuthError::Unavailable {
            method,
            endpoint: endpoint.into(),
            message: format!("unexpected token response: {e}"),
        });
    }
    Err(AuthError::Unavailable {
        method,
        endpoint: endpoint.into(),
        message: last,
    })
}
