//! What the Python build reports (`diagnostics.json`: one JSON object a line, with
//! `severity`, `summary`, `detail`, `location` and `path`), turned into brickci's located
//! messages. An exception's traceback names the line that raised it: the innermost frame in
//! the bundle's own code (not the interpreter's or an installed package's) is the place.

use std::path::Path;

use serde::Deserialize;

use super::locations::source_loc;
use crate::bundle::yaml::Loc;

#[derive(Deserialize)]
struct Raw {
    severity: String,
    summary: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    location: Option<RawLocation>,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
struct RawLocation {
    file: String,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    column: Option<u64>,
}

/// One message from the Python build.
#[derive(Debug, Clone, PartialEq)]
pub struct PyDiagnostic {
    pub error: bool,
    /// Where it points, when the Python side or its traceback says.
    pub loc: Option<Loc>,
    /// The configuration path it is about (`resources.jobs.x`), or empty.
    pub path: String,
    /// Summary, with the exception's own line when there was one.
    pub message: String,
}

/// Parses the file; `skip` names the folders whose frames are not the bundle's code (the
/// virtualenv).
pub fn parse(text: &str, root: &Path, skip: &[&Path]) -> Result<Vec<PyDiagnostic>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let raw: Raw =
            serde_json::from_str(line).map_err(|e| format!("diagnostics line {}: {e}", i + 1))?;
        let error = match raw.severity.as_str() {
            "error" => true,
            "warning" => false,
            other => {
                return Err(format!(
                    "diagnostics line {}: unknown severity {other:?}",
                    i + 1
                ));
            }
        };
        let detail = raw.detail.as_deref().map(crate::util::strip_ansi);
        let raised = detail.as_deref().and_then(|d| raising_frame(d, root, skip));
        let given = raw
            .location
            .filter(|l| !l.file.is_empty())
            .map(|l| source_loc(root, &l.file, l.line, l.column));
        let mut message = raw.summary.trim().to_string();
        if let Some(exception) = detail.as_deref().and_then(exception_line) {
            message = format!("{message}: {exception}");
        }
        out.push(PyDiagnostic {
            error,
            loc: raised.or(given),
            path: raw.path.unwrap_or_default(),
            message,
        });
    }
    Ok(out)
}

/// The innermost `File "...", line N` frame of a traceback that is the bundle's own code.
fn raising_frame(detail: &str, root: &Path, skip: &[&Path]) -> Option<Loc> {
    detail
        .lines()
        .rev()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix("File \"")?;
            let (file, rest) = rest.split_once('"')?;
            let line: u64 = rest
                .strip_prefix(", line ")?
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()?;
            Some((file, line))
        })
        .find(|(file, _)| {
            let p = Path::new(file);
            p.is_absolute()
                && p.starts_with(root)
                && !skip.iter().any(|s| p.starts_with(s))
                && !file.contains("/site-packages/")
        })
        .map(|(file, line)| source_loc(root, file, Some(line), Some(1)))
}

/// The traceback's last line (`ValueError: ...`), when the detail is a traceback.
fn exception_line(detail: &str) -> Option<String> {
    if !detail.contains("Traceback (most recent call last)") {
        return None;
    }
    let body = detail.split("\n\nExplanation:").next().unwrap_or(detail);
    body.lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with(' '))
        .map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traceback(frames: &[(&str, u64)], last: &str) -> String {
        let mut s = String::from("Traceback (most recent call last):\n");
        for (f, l) in frames {
            s.push_str(&format!(
                "  File \"{f}\", line {l}, in <module>\n    x = y()\n"
            ));
        }
        s.push_str(last);
        s.push('\n');
        s
    }

    #[test]
    fn an_exception_points_at_the_bundle_line_that_raised_it() {
        let detail = traceback(
            &[
                (
                    "/venv/lib/python3.11/site-packages/databricks/bundles/core/_load.py",
                    78,
                ),
                ("<frozen importlib._bootstrap>", 1204),
                ("/b/resources/bad.py", 6),
                ("/b/resources/bad.py", 4),
                ("/b/.venv/lib/python3.11/x.py", 10),
            ],
            "ValueError: cluster size must be positive",
        );
        let line = serde_json::json!({
            "severity": "error",
            "summary": "Error while loading 'resources.bad'",
            "detail": detail,
        })
        .to_string();
        let venv = Path::new("/b/.venv");
        let d = parse(&line, Path::new("/b"), &[venv]).unwrap();
        assert_eq!(d.len(), 1);
        assert!(d[0].error);
        assert_eq!(
            d[0].loc.as_ref().unwrap().to_string(),
            "resources/bad.py:4:1"
        );
        assert_eq!(
            d[0].message,
            "Error while loading 'resources.bad': ValueError: cluster size must be positive"
        );
    }

    #[test]
    fn a_warning_keeps_its_given_place_and_path() {
        let line = r#"{"severity": "warning", "summary": "job has no tags", "location": {"file": "resources/a.py", "line": 3, "column": 1}, "path": "resources.jobs.a"}"#;
        let d = parse(line, Path::new("/b"), &[]).unwrap();
        assert!(!d[0].error);
        assert_eq!(d[0].loc.as_ref().unwrap().to_string(), "resources/a.py:3:1");
        assert_eq!(d[0].path, "resources.jobs.a");
        assert_eq!(d[0].message, "job has no tags");
        assert!(
            parse(
                r#"{"severity": "fatal", "summary": "x"}"#,
                Path::new("/b"),
                &[]
            )
            .is_err()
        );
    }
}
