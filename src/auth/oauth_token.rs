//! OAuth token responses and a cache that renews a token before it expires.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::Secret;

#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

#[derive(Clone)]
pub struct CachedToken {
    pub token: Secret,
    obtained: Instant,
    lifetime: Duration,
}

impl CachedToken {
    pub fn new(resp: TokenResponse, now: Instant) -> Self {
        CachedToken {
            token: Secret::new(resp.access_token),
            obtained: now,
            // Without a stated lifetime assume the usual hour.
            lifetime: Duration::from_secs(resp.expires_in.unwrap_or(3600)),
        }
    }

    /// Renew once less than min(lifetime/2, 20 min) is left, as the SDKs do, so a long
    /// wait never sends a token that expires in flight.
    pub fn is_fresh(&self, now: Instant) -> bool {
        let window = (self.lifetime / 2).min(Duration::from_secs(20 * 60));
        now < self.obtained + self.lifetime.saturating_sub(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renews_before_expiry() {
        let now = Instant::now();
        let t = CachedToken::new(
            TokenResponse {
                access_token: "a".into(),
                token_type: None,
                expires_in: Some(3600),
            },
            now,
        );
        assert!(t.is_fresh(now + Duration::from_secs(39 * 60)));
        assert!(!t.is_fresh(now + Duration::from_secs(41 * 60)));
        let short = CachedToken::new(
            TokenResponse {
                access_token: "a".into(),
                token_type: None,
                expires_in: Some(60),
            },
            now,
        );
        assert!(short.is_fresh(now + Duration::from_secs(29)));
        assert!(!short.is_fresh(now + Duration::from_secs(31)));
    }
}
