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

/// `scheme://user:password@host` -> `scheme://***@host` in every URL of `text`: a URL shown
/// in a message or a log never carries a credential.
pub fn redact_userinfo(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | ')') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) if at > 0 => {
                out.push_str("***");
                rest = &tail[at..];
            }
            _ => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Removes terminal escape sequences (CSI, OSC/DCS/SOS/PM/APC strings, two-byte ESC forms)
/// and other control characters but LF, CR and tab: they can rewrite a terminal's or a log
/// viewer's line. Notebook and pytest output is often coloured.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates up to a final byte in @..~
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC / DCS / PM / APC: up to BEL or ESC \
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            '\n' | '\r' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_userinfo_is_redacted() {
        use super::redact_userinfo;
        assert_eq!(
            redact_userinfo("host http://user:secret@h.example:8080/x and https://a@b/c, mail a@b"),
            "host http://***@h.example:8080/x and https://***@b/c, mail a@b"
        );
        assert_eq!(redact_userinfo("https://h/p?q=a@b"), "https://h/p?q=a@b");
        assert_eq!(
            redact_userinfo("error for url (http://u:pw@h:1/api?x=1) and https://a@b/c"),
            "error for url (http://***@h:1/api?x=1) and https://***@b/c"
        );
    }

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

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (days to dates by the
/// proleptic Gregorian calendar).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod rfc3339_tests {
    #[test]
    fn known_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
