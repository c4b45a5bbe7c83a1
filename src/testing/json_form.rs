//! brickci's own form: `{"tests": [{"name", "status": "passed|failed|skipped",
//! "duration_ms", "message"}]}` (`trace`, `file` and `line` are optional).

use serde::Deserialize;

use super::{ParseError, SourceLocation, TestCase, TestStatus};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    tests: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    status: String,
    #[serde(default)]
    duration_ms: Option<u64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    trace: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<u32>,
}

pub fn parse(value: &str) -> Result<Vec<TestCase>, ParseError> {
    let doc: Doc = serde_json::from_str(value).map_err(|e| ParseError::Json(e.to_string()))?;
    doc.tests
        .into_iter()
        .map(|t| {
            let status = match t.status.to_ascii_lowercase().as_str() {
                "passed" | "pass" | "ok" => TestStatus::Passed,
                "failed" | "fail" | "error" => TestStatus::Failed,
                "skipped" | "skip" => TestStatus::Skipped,
                other => {
                    return Err(ParseError::Json(format!(
                        "test {:?} has unknown status {other:?}",
                        t.name
                    )));
                }
            };
            Ok(TestCase {
                failed_attempts: Vec::new(),
                name: t.name,
                classname: None,
                status,
                duration_ms: t.duration_ms,
                message: t.message,
                trace: t.trace,
                location: match (t.file, t.line) {
                    (Some(file), Some(line)) => Some(SourceLocation { file, line }),
                    _ => None,
                },
            })
        })
        .collect()
}
