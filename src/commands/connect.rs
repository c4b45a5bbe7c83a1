//! Host and credentials from the environment, into a ready client.

use std::sync::Arc;

use crate::auth::{AuthConfig, Credentials, normalize_host, resolve_credentials};
use crate::databricks::{Client, RetryPolicy};
use crate::error::Error;
use crate::http::{HttpOptions, client as http_client};
use crate::platform::Platform;

/// Builds the Databricks client from `DATABRICKS_*` variables. Secrets are masked on the
/// platform before anything else can print them.
pub fn client_from_env(platform: &Platform, retry: RetryPolicy) -> Result<Client, Error> {
    let env = platform.env();
    let cfg = AuthConfig::from_env(env.iter());
    for secret in [&cfg.token, &cfg.client_secret].into_iter().flatten() {
        platform.mask(secret);
    }
    let host = normalize_host(cfg.host.as_deref().unwrap_or(""))?;
    let credentials = resolve_credentials(&cfg, &host)?;
    build(host, credentials, retry)
}

pub fn build(
    host: url::Url,
    credentials: Arc<dyn Credentials>,
    retry: RetryPolicy,
) -> Result<Client, Error> {
    let http = http_client(&HttpOptions::default()).map_err(|e| Error::Io(e.to_string()))?;
    Ok(Client::new(http, host, credentials, retry))
}
