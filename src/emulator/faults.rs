//! Fault injection: latency, error statuses (429 with Retry-After, 5xx), dropped connections,
//! and "lost responses" where the request takes effect but the answer never arrives.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FaultKind {
    /// Answer normally after this delay.
    Latency { ms: u64 },
    /// Answer with this status (429/503 carry `Retry-After` when given) without acting.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Close the connection without acting.
    Drop,
    /// Act, then close the connection before the answer.
    DropAfterApply,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// HTTP method to match; None matches all.
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern; `*` matches any run of characters, `/` included.
    pub path: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests to affect; None means every one.
    #[serde(default)]
    pub count: Option<u32>,
    /// The share of matching requests affected (0-100), drawn from the emulator's seeded
    /// generator so a failing run replays; None means every matching one.
    #[serde(default)]
    pub percent: Option<f64>,
}

impl FaultRule {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        request_matches(self.method.as_deref(), &self.path, method, path)
    }

    pub fn describe(&self) -> String {
        match &self.kind {
            FaultKind::Latency { ms } => format!("latency {ms}ms"),
            FaultKind::Status { status, .. } => format!("status {status}"),
            FaultKind::Drop => "drop".into(),
            FaultKind::DropAfterApply => "drop-after-apply".into(),
        }
    }
}

/// A request against a rule's optional method and path glob (faults and rate limits).
pub(super) fn request_matches(
    rule_method: Option<&str>,
    rule_path: &str,
    method: &str,
    path: &str,
) -> bool {
    rule_method.is_none_or(|m| m.eq_ignore_ascii_case(method)) && glob(rule_path, path)
}

/// `[METHOD ]PATH` of a rule: the method upper-cased if given; `None` for an empty path.
pub(super) fn method_and_path(target: &str) -> Option<(Option<String>, String)> {
    let (method, path) = match target.trim().split_once(' ') {
        Some((m, p)) => (Some(m.trim().to_uppercase()), p.trim().to_string()),
        None => (None, target.trim().to_string()),
    };
    (!path.is_empty()).then_some((method, path))
}

pub(super) fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

#[derive(Debug, thiserror::Error)]
#[error(
    "fault {spec:?}: {reason} (expected [METHOD ]PATH=KIND[@P%][*COUNT], KIND one of latency:MS, STATUS[:retry-after=S], drop, drop-after-apply)"
)]
pub struct FaultParseError {
    spec: String,
    reason: String,
}

/// `[METHOD ]PATH=KIND[@P%][*COUNT]`, e.g. `POST /api/2.2/jobs/runs/submit=drop-after-apply*1`,
/// `*/runs/get=429:retry-after=2*3`, `*=latency:50`, `*=503@10%`.
impl FromStr for FaultRule {
    type Err = FaultParseError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| FaultParseError {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let (target, action) = spec.rsplit_once('=').ok_or_else(|| err("no '='"))?;
        // `retry-after=2` has its own '=': split at the '=' that follows the path instead.
        let (target, action) = match target.split_once('=') {
            Some((t, a)) => (t, format!("{a}={action}")),
            None => (target, action.to_string()),
        };
        let (method, path) = method_and_path(target).ok_or_else(|| err("empty path"))?;
        let (kind, count) = match action.rsplit_once('*') {
            Some((k, c)) => (
                k.to_string(),
                Some(c.parse::<u32>().map_err(|_| err("count is not a number"))?),
            ),
            None => (action.clone(), None),
        };
        let (kind, percent) = match kind.rsplit_once('@') {
            Some((k, p)) => {
                let p: f64 = p
                    .strip_suffix('%')
                    .and_then(|n| n.parse().ok())
                    .filter(|n| (0.0..=100.0).contains(n))
                    .ok_or_else(|| err("a share is @P% with P from 0 to 100"))?;
                (k.to_string(), Some(p))
            }
            None => (kind, None),
        };
        let kind = match kind.as_str() {
            "drop" => FaultKind::Drop,
            "drop-after-apply" => FaultKind::DropAfterApply,
            k if k.starts_with("latency:") => FaultKind::Latency {
                ms: k["latency:".len()..]
                    .parse()
                    .map_err(|_| err("latency needs milliseconds"))?,
            },
            k => {
                let (status, opts) = k.split_once(':').unwrap_or((k, ""));
                let status: u16 = status.parse().map_err(|_| err("unknown kind"))?;
                if !(400..=599).contains(&status) {
                    return Err(err("status must be 400-599"));
                }
                let retry_after = match opts.strip_prefix("retry-after=") {
                    Some(s) => Some(s.parse().map_err(|_| err("retry-after needs seconds"))?),
                    None if opts.is_empty() => None,
                    None => return Err(err("unknown status option")),
                };
                FaultKind::Status {
                    status,
                    retry_after,
                }
            }
        };
        Ok(FaultRule {
            method,
            path,
            kind,
            count,
            percent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_flag_syntax() {
        let r: FaultRule = "POST /api/2.2/jobs/runs/submit=drop-after-apply*1"
            .parse()
            .unwrap();
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.kind, FaultKind::DropAfterApply);
        assert_eq!(r.count, Some(1));
        let r: FaultRule = "*/jobs/runs/get=429:retry-after=2*3".parse().unwrap();
        assert_eq!(
            r.kind,
            FaultKind::Status {
                status: 429,
                retry_after: Some(2)
            }
        );
        assert_eq!(r.count, Some(3));
        assert!(r.matches("GET", "/api/2.2/jobs/runs/get"));
        assert!(!r.matches("GET", "/api/2.2/jobs/runs/get-output"));
        let r: FaultRule = "*=latency:50".parse().unwrap();
        assert_eq!(r.kind, FaultKind::Latency { ms: 50 });
        assert!(r.matches("POST", "/anything"));
        let r: FaultRule = "POST */import=drop-after-apply@2.5%*10".parse().unwrap();
        assert_eq!(r.kind, FaultKind::DropAfterApply);
        assert_eq!((r.percent, r.count), (Some(2.5), Some(10)));
        let r: FaultRule = "*=503:retry-after=1@10%".parse().unwrap();
        assert_eq!(r.percent, Some(10.0));
        assert!("*=503@150%".parse::<FaultRule>().is_err());
        assert!("*=503@ten%".parse::<FaultRule>().is_err());
        assert!("/x=teapot".parse::<FaultRule>().is_err());
        assert!("/x=200".parse::<FaultRule>().is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("/api/*/jobs/*", "/api/2.2/jobs/runs/get"));
        assert!(glob("*", ""));
        assert!(!glob("/a*b", "/a"));
    }
}
