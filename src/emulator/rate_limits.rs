//! Per-endpoint rate limits, as a workspace enforces them: a token bucket per rule that
//! refills `rps` tokens a second and holds at most max(1, rps). A request that finds a
//! matching bucket empty is answered 429 `REQUEST_LIMIT_EXCEEDED` with `Retry-After`.

use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::faults::{method_and_path, request_matches};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// HTTP method to match; None matches all.
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern, as for faults: `*` matches any run of characters.
    pub path: String,
    /// Requests per second the bucket refills (and, at least 1, how many it holds).
    pub rps: f64,
}

impl RateLimit {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        request_matches(self.method.as_deref(), &self.path, method, path)
    }

    pub fn describe(&self) -> String {
        format!("rate-limit {}/s", self.rps)
    }

    fn burst(&self) -> f64 {
        self.rps.max(1.0)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("rate limit {spec:?}: {reason} (expected [METHOD ]PATH=RPS, e.g. 'POST */import=5')")]
pub struct RateLimitParseError {
    spec: String,
    reason: String,
}

/// `[METHOD ]PATH=RPS`, e.g. `POST /api/2.0/workspace/import=5`, `*=100`.
impl FromStr for RateLimit {
    type Err = RateLimitParseError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| RateLimitParseError {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let (target, rps) = spec.rsplit_once('=').ok_or_else(|| err("no '='"))?;
        let rps: f64 = rps
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r > 0.0)
            .ok_or_else(|| err("RPS must be a number above 0"))?;
        let (method, path) = method_and_path(target).ok_or_else(|| err("empty path"))?;
        Ok(RateLimit { method, path, rps })
    }
}

/// A rule and its bucket.
#[derive(Debug, Clone)]
pub struct Limiter {
    pub rule: RateLimit,
    tokens: f64,
    refilled: Instant,
}

impl Limiter {
    pub fn new(rule: RateLimit, now: Instant) -> Limiter {
        Limiter {
            tokens: rule.burst(),
            rule,
            refilled: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let secs = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + secs * self.rule.rps).min(self.rule.burst());
        self.refilled = now;
    }

    /// How long until a token is there (zero when one is).
    fn wait(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rule.rps)
        }
    }
}

/// Takes a token from every bucket the request matches, or none: the rule that refused it
/// and the whole seconds to wait (`Retry-After` is an integer, at least 1).
pub fn admit(
    limiters: &mut [Limiter],
    method: &str,
    path: &str,
    now: Instant,
) -> Result<(), (RateLimit, u64)> {
    let mut refusal: Option<(RateLimit, Duration)> = None;
    for l in limiters.iter_mut().filter(|l| l.rule.matches(method, path)) {
        l.refill(now);
        let wait = l.wait();
        if !wait.is_zero() && refusal.as_ref().is_none_or(|(_, w)| wait > *w) {
            refusal = Some((l.rule.clone(), wait));
        }
    }
    if let Some((rule, wait)) = refusal {
        return Err((rule, wait.as_secs_f64().ceil().max(1.0) as u64));
    }
    for l in limiters.iter_mut().filter(|l| l.rule.matches(method, path)) {
        l.tokens -= 1.0;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_flag_syntax() {
        let r: RateLimit = "POST */workspace/import=5".parse().unwrap();
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.path, "*/workspace/import");
        assert_eq!(r.rps, 5.0);
        assert!(r.matches("post", "/api/2.0/workspace/import"));
        assert!(!r.matches("GET", "/api/2.0/workspace/import"));
        let r: RateLimit = "*=0.5".parse().unwrap();
        assert!(r.method.is_none() && r.rps == 0.5);
        for bad in ["*", "*=0", "*=-1", "*=fast", "=5", "*=inf"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bucket_holds_its_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let rule: RateLimit = "*/import=5".parse().unwrap();
        let mut ls = vec![Limiter::new(rule, t0)];
        for _ in 0..5 {
            assert!(admit(&mut ls, "POST", "/api/2.0/workspace/import", t0).is_ok());
        }
        let (_, retry_after) = admit(&mut ls, "POST", "/api/2.0/workspace/import", t0).unwrap_err();
        assert_eq!(retry_after, 1, "a token comes back within a second");
        // Other paths are not limited.
        assert!(admit(&mut ls, "GET", "/api/2.0/workspace/list", t0).is_ok());
        // 0.2 s later one token is back, and only one.
        let t1 = t0 + Duration::from_millis(200);
        assert!(admit(&mut ls, "POST", "/x/import", t1).is_ok());
        assert!(admit(&mut ls, "POST", "/x/import", t1).is_err());
        // A long pause refills to the burst, not beyond.
        let t2 = t1 + Duration::from_secs(60);
        let admitted = (0..20)
            .filter(|_| admit(&mut ls, "POST", "/x/import", t2).is_ok())
            .count();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn a_slow_limit_holds_one_and_asks_for_a_longer_wait() {
        let t0 = Instant::now();
        let mut ls = vec![Limiter::new("*=0.25".parse().unwrap(), t0)];
        assert!(admit(&mut ls, "GET", "/a", t0).is_ok());
        assert_eq!(admit(&mut ls, "GET", "/a", t0).unwrap_err().1, 4);
    }

    #[test]
    fn a_refusal_by_one_rule_takes_no_token_from_another() {
        let t0 = Instant::now();
        let mut ls = vec![
            Limiter::new("*=100".parse().unwrap(), t0),
            Limiter::new("*/import=1".parse().unwrap(), t0),
        ];
        assert!(admit(&mut ls, "POST", "/import", t0).is_ok());
        assert!(admit(&mut ls, "POST", "/import", t0).is_err());
        let global = (0..200)
            .filter(|_| admit(&mut ls, "GET", "/list", t0).is_ok())
            .count();
        assert_eq!(
            global, 99,
            "the refused import took nothing from the global bucket"
        );
    }

    #[tokio::test]
    async fn over_the_limit_the_service_answers_429_with_its_body_and_the_log_shows_it() {
        let config = crate::emulator::EmulatorConfig {
            rate_limits: vec!["GET */workspace/list=1".parse().unwrap()],
            ..Default::default()
        };
        let emu = crate::emulator::start(config).await.unwrap();
        let http = crate::http::client(&Default::default()).unwrap();
        let get = || {
            http.get(format!("{}/api/2.0/workspace/list?path=/", emu.url()))
                .bearer_auth("dapi-emulator-token")
                .send()
        };
        assert_eq!(get().await.unwrap().status(), 200);
        let refused = get().await.unwrap();
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["retry-after"], "1");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["error_code"], "REQUEST_LIMIT_EXCEEDED");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        let log = emu.requests();
        assert_eq!(
            log.iter().map(|r| r.status).collect::<Vec<_>>(),
            vec![200, 429]
        );
        assert_eq!(log[1].fault.as_deref(), Some("rate-limit 1/s"));
        // Removed at run time, the limit no longer applies.
        emu.clear_rate_limits();
        assert_eq!(get().await.unwrap().status(), 200);
        emu.shutdown().await;
    }
}
