//! A cached OAuth token renewed before it expires; concurrent callers share one renewal.

use std::future::Future;
use std::time::Instant;

use tokio::sync::Mutex;

use super::{AuthError, CachedToken, Secret, TokenResponse};

#[derive(Default)]
pub struct TokenCache {
    cached: std::sync::Mutex<Option<CachedToken>>,
    refresh: Mutex<()>,
}

impl TokenCache {
    fn fresh(&self) -> Option<Secret> {
        let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|t| t.is_fresh(Instant::now()))
            .map(|t| t.token.clone())
    }

    /// The cached token, or a new one from `fetch` when it is stale.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Secret, AuthError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse, AuthError>>,
    {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let _guard = self.refresh.lock().await;
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let cached = CachedToken::new(fetch().await?, Instant::now());
        let token = cached.token.clone();
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(cached);
        Ok(token)
    }

    pub fn clear(&self) {
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
