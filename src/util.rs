//! Small helpers with no better home.

/// FNV-1a, for short stable ids (idempotency tokens, folder names). Not for security.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// An idempotency token for one request of one CI attempt: the same seed (the attempt) and
/// the same request give the same token, so a resent request finds the run it started; any
/// difference in the request gives another. Always 40 characters (the API allows 64).
pub fn idempotency_token(seed: &str, request: &[&str]) -> String {
    let text = format!("{seed}\u{0}{}", request.join("\u{0}"));
    let a = fnv1a64(text.as_bytes());
    let b = fnv1a64(format!("{text}\u{1}").as_bytes());
    format!("brickci-{a:016x}{b:016x}")
}

/// Parses `key=value` (for `--param`, `--var`); the error names the flag.
pub fn parse_key_value(flag: &str, raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("{flag} expects key=value, got {raw:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_tokens_differ_by_request_not_by_retry() {
        let t = idempotency_token(
            "gh-1-1-a-very-long-job-name-that-would-have-been-cut-off-before",
            &["job 5", "env=qa"],
        );
        assert_eq!(t.len(), 40);
        assert_eq!(
            t,
            idempotency_token(
                "gh-1-1-a-very-long-job-name-that-would-have-been-cut-off-before",
                &["job 5", "env=qa"]
            )
        );
        assert_ne!(
            t,
            idempotency_token(
                "gh-1-1-a-very-long-job-name-that-would-have-been-cut-off-before",
                &["job 5", "env=prod"]
            )
        );
        assert_ne!(
            t,
            idempotency_token(
                "gh-1-2-a-very-long-job-name-that-would-have-been-cut-off-before",
                &["job 5", "env=qa"]
            )
        );
    }

    #[test]
    fn stable_hash_and_key_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a64(b"a"), fnv1a64(b"b"));
        assert_eq!(
            parse_key_value("--param", "a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(
            parse_key_value("--param", "novalue")
                .unwrap_err()
                .contains("--param")
        );
        assert!(parse_key_value("--param", "=x").is_err());
    }
}
