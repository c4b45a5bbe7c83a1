//! Databricks credentials: where a token comes from, and the headers each call carries.

pub mod azure;
mod config;
mod federation;
pub mod id_token;
mod m2m;
mod oauth_token;
mod pat;
pub mod secret;
mod token_cache;

use std::future::Future;
use std::pin::Pin;

use reqwest::header::{HeaderName, HeaderValue};

pub use config::{
    AUTH_METHODS, AuthConfig, AuthReport, HostError, azure_env, normalize_host, resolve_credentials,
};
pub use federation::FederatedCredentials;
pub use m2m::M2mCredentials;
pub use oauth_token::{CachedToken, TokenResponse};
pub use pat::PatCredentials;
pub use secret::Secret;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub type Headers = Vec<(HeaderName, HeaderValue)>;

/// A source of request headers for one auth method. Token sources cache and refresh.
pub trait Credentials: Send + Sync {
    /// The method's name as the SDKs spell it (`pat`, `oauth-m2m`, ...).
    fn method(&self) -> String;
    fn headers<'a>(
        &'a self,
        http: &'a reqwest::Client,
    ) -> BoxFuture<'a, Result<Headers, AuthError>>;
    /// Forget a cached token (the server rejected it); the next call fetches a new one.
    fn invalidate(&self) {}
    /// Non-secret facts for `brickci auth check` (e.g. the ID token's claims).
    fn details(&self) -> Vec<String> {
        Vec::new()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no Databricks credentials found: {0}")]
    NoCredentials(String),
    #[error(
        "more than one authorization method configured: {0}; set DATABRICKS_AUTH_TYPE to choose one"
    )]
    Ambiguous(String),
    /// The second field lists every method (from `AUTH_METHODS`).
    #[error("auth type {0:?} is not one brickci knows (known: {1})")]
    UnknownType(String, String),
    #[error("{method}: {variable} is required but not set")]
    Missing {
        method: &'static str,
        variable: &'static str,
    },
    #[error("{method}: the token endpoint {endpoint} rejected the request: {message}")]
    Rejected {
        method: &'static str,
        endpoint: String,
        message: String,
    },
    #[error("{method}: cannot get a token from {endpoint}: {message}")]
    Unavailable {
        method: &'static str,
        endpoint: String,
        message: String,
    },
    #[error("a credential contains characters that cannot be sent in an HTTP header")]
    BadHeader,
}

/// `Authorization: Bearer <token>`, marked sensitive so no debug output shows it.
pub fn bearer(token: &Secret) -> Result<Headers, AuthError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| AuthError::BadHeader)?;
    value.set_sensitive(true);
    Ok(vec![(reqwest::header::AUTHORIZATION, value)])
}
