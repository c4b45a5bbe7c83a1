//! Test results from notebook exit values: nutter's serialized results, brickci's JSON, or
//! JUnit XML; otherwise the notebook is one test case by its run result. A notebook that
//! crashed before reporting is a failed case with its error and trace, never a silent pass.

mod json_form;
mod junit_in;
pub mod junit_out;
mod locate;
mod nutter;
pub mod pickle;
pub mod retry;

use serde::{Deserialize, Serialize};

pub use junit_out::to_junit_xml;
pub use locate::locate_failures;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub name: String,
    /// The notebook (or JUnit class) the case belongs to.
    #[serde(default)]
    pub classname: Option<String>,
    pub status: TestStatus,
    #[serde(default)]
    pub duration_ms: Option<u64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub trace: Option<String>,
    #[serde(default)]
    pub location: Option<SourceLocation>,
    /// Earlier attempts that failed (`brickci test --retries`): a passed case with any is
    /// flaky; a failed one failed every attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_attempts: Vec<FailedAttempt>,
}

/// What one failed attempt of a case said, kept when a retry ran it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedAttempt {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub trace: Option<String>,
}

impl TestCase {
    /// Failed at first, passed on a retry.
    pub fn is_flaky(&self) -> bool {
        self.status == TestStatus::Passed && !self.failed_attempts.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultFormat {
    Nutter,
    Json,
    Junit,
    /// No report in the exit value: the notebook is one case by its run result.
    RunResult,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSuite {
    /// The notebook path or task key.
    pub name: String,
    pub format: ResultFormat,
    pub cases: Vec<TestCase>,
}

impl TestSuite {
    pub fn count(&self, status: TestStatus) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }

    pub fn passed(&self) -> bool {
        self.count(TestStatus::Failed) == 0
    }

    pub fn flaky(&self) -> usize {
        self.cases.iter().filter(|c| c.is_flaky()).count()
    }
}

/// What a test notebook's run left behind.
#[derive(Debug, Clone)]
pub struct NotebookRunResult<'a> {
    pub notebook: &'a str,
    pub exit_value: Option<&'a str>,
    pub truncated: bool,
    pub run_succeeded: bool,
    pub result_state: &'a str,
    pub error: Option<&'a str>,
    pub error_trace: Option<&'a str>,
    pub duration_ms: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a nutter result: {0}")]
    Nutter(String),
    #[error("not brickci's JSON form: {0}")]
    Json(String),
    #[error("not JUnit XML: {0}")]
    Junit(String),
}

/// Reads a notebook's exit value in whichever form it is, never passing a broken report.
pub fn parse_notebook_result(r: &NotebookRunResult) -> TestSuite {
    let value = r.exit_value.map(str::trim).filter(|v| !v.is_empty());
    let parsed = value.and_then(|v| detect(v, r.notebook));
    match parsed {
        Some((format, Ok(mut cases))) => {
            for c in &mut cases {
                c.classname.get_or_insert_with(|| r.notebook.to_string());
            }
            // A report from a run that then failed still fails the notebook.
            if !r.run_succeeded {
                cases.push(crash_case(
                    r,
                    "the notebook reported results but its run did not succeed",
                ));
            }
            TestSuite {
                name: r.notebook.to_string(),
                format,
                cases,
            }
        }
        Some((format, Err(e))) => {
            let why = if r.truncated {
                format!("{e} (the exit value was truncated at 5 MB)")
            } else {
                e.to_string()
            };
            TestSuite {
                name: r.notebook.to_string(),
                format,
                cases: vec![crash_case(r, &why)],
            }
        }
        None => {
            let case = if r.run_succeeded {
                TestCase {
                    failed_attempts: Vec::new(),
                    name: short_name(r.notebook),
                    classname: Some(r.notebook.to_string()),
                    status: TestStatus::Passed,
                    duration_ms: r.duration_ms,
                    message: None,
                    trace: None,
                    location: None,
                }
            } else {
                crash_case(r, "the notebook failed before reporting results")
            };
            TestSuite {
                name: r.notebook.to_string(),
                format: ResultFormat::RunResult,
                cases: vec![case],
            }
        }
    }
}

/// Which form an exit value is in, and its cases; None when it is no report at all.
fn detect(v: &str, notebook: &str) -> Option<(ResultFormat, Result<Vec<TestCase>, ParseError>)> {
    if v.starts_with('<') {
        return Some((ResultFormat::Junit, junit_in::parse(v)));
    }
    if v.starts_with('{') {
        let looks_like_ours = serde_json::from_str::<serde_json::Value>(v)
            .map(|j| j.get("tests").is_some())
            .unwrap_or(true);
        return looks_like_ours.then(|| (ResultFormat::Json, json_form::parse(v)));
    }
    // nutter: a base64 pickle, which starts with the protocol marker 0x80 (base64 "gA").
    if v.starts_with("gA") {
        return Some((ResultFormat::Nutter, nutter::parse(v, notebook)));
    }
    None
}

fn short_name(notebook: &str) -> String {
    notebook.rsplit('/').next().unwrap_or(notebook).to_string()
}

fn crash_case(r: &NotebookRunResult, why: &str) -> TestCase {
    let message = match r.error {
        Some(e) => format!("{why}: {e}"),
        None => format!("{why} (result {})", r.result_state),
    };
    TestCase {
        failed_attempts: Vec::new(),
        name: short_name(r.notebook),
        classname: Some(r.notebook.to_string()),
        status: TestStatus::Failed,
        duration_ms: r.duration_ms,
        message: Some(message),
        trace: r.error_trace.map(str::to_string),
        location: None,
    }
}

#[cfg(test)]
mod tests;
