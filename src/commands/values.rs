//! Flag values checked before the first request, so a bad value is exit 2 that names the
//! flag and nothing has been written.

use serde_json::Value;

use crate::error::Error;
use crate::util::parse_key_value;

/// The Jobs API's `timeout_seconds` is a 32-bit integer; anything larger is refused there.
pub const MAX_TIMEOUT_SECONDS: u64 = i32::MAX as u64;

/// `KEY=VALUE` flags, each key once (a repeated key is an error, as the Databricks CLI
/// treats `--var`: which value wins would be a guess).
pub fn key_values(flag: &str, raw: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for item in raw {
        let (k, v) = parse_key_value(flag, item).map_err(Error::bad_input)?;
        if out.iter().any(|(have, _)| *have == k) {
            return Err(Error::bad_input(format!(
                "{flag} {k}=... is given more than once; give each key once"
            )));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// `--new-cluster`: a JSON object (a cluster spec), nothing else.
pub fn new_cluster(raw: Option<&str>) -> Result<Option<Value>, Error> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => Ok(Some(v)),
        Ok(_) => Err(Error::bad_input(
            "--new-cluster must be a JSON object (a cluster spec, as `new_cluster` in the Jobs API)",
        )),
        Err(e) => Err(Error::bad_input(format!(
            "--new-cluster is not valid JSON: {e}"
        ))),
    }
}

/// `--timeout` in seconds: 0 (no limit) up to what the Jobs API takes.
pub fn timeout(secs: u64) -> Result<(), Error> {
    if secs > MAX_TIMEOUT_SECONDS {
        return Err(Error::bad_input(format!(
            "--timeout {secs} is more than the Jobs API takes ({MAX_TIMEOUT_SECONDS} seconds)"
        )));
    }
    Ok(())
}

/// `--workspace-dir`: an absolute workspace folder, without `.` or `..` parts; returned
/// without its trailing `/`.
pub fn workspace_dir(raw: &str) -> Result<String, Error> {
    let trimmed = raw.trim_end_matches('/');
    let bad = !raw.starts_with('/')
        || trimmed.is_empty()
        || trimmed
            .split('/')
            .skip(1)
            .any(|p| p.is_empty() || p == "." || p == "..")
        || raw.chars().any(char::is_control);
    if bad {
        return Err(Error::bad_input(format!(
            "--workspace-dir {raw:?} must be an absolute workspace folder (/Users/..., /Workspace/...) without `.` or `..` parts"
        )));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_json_that_is_not_an_object_and_odd_folders_are_refused() {
        let kv = |v: &[&str]| {
            key_values(
                "--param",
                &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(kv(&["a=1", "b=2"]).unwrap().len(), 2);
        assert!(
            kv(&["a=1", "a=2"])
                .unwrap_err()
                .to_string()
                .contains("--param a=")
        );
        assert!(new_cluster(Some("{\"num_workers\": 1}")).unwrap().is_some());
        for bad in ["[1]", "\"x\"", "3", "null", "{"] {
            assert!(new_cluster(Some(bad)).is_err(), "{bad}");
        }
        assert!(timeout(0).is_ok() && timeout(MAX_TIMEOUT_SECONDS).is_ok());
        assert!(timeout(MAX_TIMEOUT_SECONDS + 1).is_err());
        assert_eq!(workspace_dir("/Users/a/b/").unwrap(), "/Users/a/b");
        for bad in [
            "Users/a",
            "/Users/../etc",
            "/Users/./a",
            "/",
            "/a//b",
            "/a/\n",
        ] {
            assert!(workspace_dir(bad).is_err(), "{bad}");
        }
    }
}
