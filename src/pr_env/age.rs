//! `--older-than`: a whole number with a unit (s, m, h, d, w), e.g. `7d`, `36h`.

/// Seconds in the duration `raw` names.
pub fn parse(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => 0,
    };
    let n: Option<u64> = digits.parse().ok();
    match (n, unit_secs) {
        (Some(n), u) if u > 0 && n > 0 => n
            .checked_mul(u)
            .ok_or_else(|| format!("{raw:?} is too long")),
        _ => Err(format!(
            "{raw:?} is not a duration (a whole number > 0 and a unit: s, m, h, d or w, e.g. 7d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn units() {
        assert_eq!(parse("7d"), Ok(604_800));
        assert_eq!(parse("36h"), Ok(129_600));
        assert_eq!(parse("2w"), Ok(1_209_600));
        assert_eq!(parse("90m"), Ok(5_400));
        assert_eq!(parse("30s"), Ok(30));
    }

    #[test]
    fn bad_values_say_what_is_wanted() {
        for bad in [
            "",
            "7",
            "d",
            "7days",
            "-1d",
            "0d",
            "1.5d",
            "7D",
            "99999999999999999999w",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("7x").unwrap_err().contains("s, m, h, d or w"));
    }
}
