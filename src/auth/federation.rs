//! Workload identity federation: a CI job's ID token exchanged at the workspace token
//! endpoint (RFC 8693) for a Databricks token; `DATABRICKS_CLIENT_ID` names the service
//! principal whose federation policy trusts the token. No stored secret at all.

use tokio::sync::Mutex;
use url::Url;

use super::id_token::{Claims, IdTokenSource, claims};
use super::m2m::{endpoint, post_token_form};
use super::token_cache::TokenCache;
use super::{AuthError, BoxFuture, Credentials, Headers, Secret, bearer};

pub struct FederatedCredentials {
    host: Url,
    client_id: Option<String>,
    source: IdTokenSource,
    /// `DATABRICKS_TOKEN_AUDIENCE`; else the token endpoint URL, as the SDKs default.
    audience: Option<String>,
    token_endpoint: Mutex<Option<String>>,
    cache: TokenCache,
    last_claims: std::sync::Mutex<Option<Claims>>,
}

impl FederatedCredentials {
    pub fn new(
        host: Url,
        client_id: Option<String>,
        source: IdTokenSource,
        audience: Option<String>,
    ) -> Self {
        FederatedCredentials {
            host,
            client_id,
            source,
            audience,
            token_endpoint: Mutex::new(None),
            cache: TokenCache::default(),
            last_claims: std::sync::Mutex::new(None),
        }
    }

    async fn token(&self, http: &reqwest::Client) -> Result<Secret, AuthError> {
        self.cache
            .get(|| async {
                let endpoint = endpoint(&self.token_endpoint, http, &self.host).await;
                let audience = self.audience.clone().unwrap_or_else(|| endpoint.clone());
                let id_token = self.source.fetch(http, &audience).await?;
                *self.last_claims.lock().unwrap_or_else(|p| p.into_inner()) =
                    claims(id_token.expose());
                let mut form = vec![
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:token-exchange",
                    ),
                    ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
                    ("subject_token", id_token.expose()),
                    ("scope", "all-apis"),
                ];
                if let Some(id) = &self.client_id {
                    form.push(("client_id", id));
                }
                post_token_form(http, &endpoint, self.source.method(), &form, None).await
            })
            .await
    }
}

impl Credentials for FederatedCredentials {
    fn method(&self) -> String {
        self.source.method().into()
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

    fn details(&self) -> Vec<String> {
        let Some(c) = self
            .last_claims
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return Vec::new();
        };
        let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        vec![
            format!("id token issuer:   {}", show(c.iss)),
            format!("id token subject:  {}", show(c.sub)),
            format!("id token audience: {}", show(c.aud)),
        ]
    }
}
