//! Host and credentials from the environment, into a ready client.

use std::sync::Arc;

use crate::auth::{AuthConfig, AuthReport, Credentials, normalize_host, resolve_credentials};
use crate::databricks::{Client, RetryPolicy};
use crate::error::Error;
use crate::http::{HttpOptions, client as http_client};
use crate::platform::Platform;

/// Builds the Databricks client from `DATABRICKS_*` variables (secret references resolved,
/// values masked on the platform before anything else can print them).
pub async fn client_from_env(
    platform: &Platform,
    retry: RetryPolicy,
    auth_type: Option<String>,
) -> Result<(Client, AuthReport), Error> {
    client_with_env(platform, platform.env(), retry, auth_type).await
}

/// As [`client_from_env`], from the given variables (one target's of several, see
/// `fanout::credentials`); secrets are masked on `platform`.
pub async fn client_with_env(
    platform: &Platform,
    env: &crate::platform::Env,
    retry: RetryPolicy,
    auth_type: Option<String>,
) -> Result<(Client, AuthReport), Error> {
    let mut cfg = AuthConfig::from_env(env.iter());
    if auth_type.is_some() {
        cfg.auth_type = auth_type;
    }
    for (what, slot) in [
        ("DATABRICKS_TOKEN", &mut cfg.token),
        ("DATABRICKS_CLIENT_SECRET", &mut cfg.client_secret),
        ("ARM_CLIENT_SECRET", &mut cfg.arm_client_secret),
    ] {
        if let Some(raw) = slot.as_deref() {
            let secret = crate::secrets::resolve(what, raw, env.map()).await?;
            platform.mask(secret.expose());
            *slot = Some(secret.expose().to_string());
        }
    }
    for key in [
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "SYSTEM_ACCESSTOKEN",
        "DATABRICKS_OIDC_TOKEN",
    ] {
        if let Some(v) = env.get(key) {
            platform.mask(v);
        }
    }
    let host = normalize_host(cfg.host.as_deref().unwrap_or(""))?;
    let (credentials, report) = resolve_credentials(&cfg, env.map(), &host)?;
    Ok((build(host, credentials, retry)?, report))
}

pub fn build(
    host: url::Url,
    credentials: Arc<dyn Credentials>,
    retry: RetryPolicy,
) -> Result<Client, Error> {
    let http = http_client(&HttpOptions::default()).map_err(|e| Error::Io(e.to_string()))?;
    Ok(Client::new(http, host, credentials, retry))
}
