//! nutter's results: the base64 pickle of a `TestResults` object holding `TestResult`s
//! (`test_name`, `passed`, `execution_time` in seconds, `exception`, `stack_trace`).

use base64::Engine;
use serde_json::Value;

use super::{ParseError, TestCase, TestStatus, pickle};

pub fn parse(value: &str, notebook: &str) -> Result<Vec<TestCase>, ParseError> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| ParseError::Nutter(format!("bad base64: {e}")))?;
    let root = pickle::read(&bytes).map_err(|e| ParseError::Nutter(e.to_string()))?;
    let class = root["__class__"].as_str().unwrap_or("");
    if !class.ends_with("TestResults") {
        return Err(ParseError::Nutter(format!(
            "expected a TestResults object, found {class:?}"
        )));
    }
    let results = root["results"]
        .as_array()
        .ok_or_else(|| ParseError::Nutter("TestResults has no results list".into()))?;
    results.iter().map(|r| case(r, notebook)).collect()
}

fn case(r: &Value, notebook: &str) -> Result<TestCase, ParseError> {
    let name = r["test_name"]
        .as_str()
        .ok_or_else(|| ParseError::Nutter("a TestResult has no test_name".into()))?;
    let passed = r["passed"]
        .as_bool()
        .ok_or_else(|| ParseError::Nutter(format!("test {name} has no passed flag")))?;
    let message = (!passed).then(|| exception_text(&r["exception"]));
    let trace = r["stack_trace"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok(TestCase {
        failed_attempts: Vec::new(),
        name: name.to_string(),
        classname: Some(notebook.to_string()),
        status: if passed {
            TestStatus::Passed
        } else {
            TestStatus::Failed
        },
        duration_ms: r["execution_time"]
            .as_f64()
            .map(|s| (s * 1000.0).round() as u64),
        message,
        trace,
        location: None,
    })
}

/// `builtins.AssertionError("x")` as `AssertionError: x`.
fn exception_text(e: &Value) -> String {
    let class = e["__class__"].as_str().unwrap_or("Exception");
    let short = class.rsplit('.').next().unwrap_or(class);
    let args: Vec<String> = e["__args__"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    if args.is_empty() {
        short.to_string()
    } else {
        format!("{short}: {}", args.join(", "))
    }
}
