//! One report model, rendered per place: markdown (step summary, PR comment), GitHub check
//! run payloads, Azure DevOps logging commands, JUnit. Saved as JSON, it is what
//! `brickci report` renders later.

pub mod azure_devops;
pub mod check_run;
pub mod markdown;
pub mod markup;
pub mod targets;

use serde::{Deserialize, Serialize};

use crate::testing::{TestCase, TestStatus, TestSuite};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    Success,
    Failure,
    Cancelled,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub creates: usize,
    pub updates: usize,
    /// Objects deleted and created anew (the plan's `replace`); 0 in reports from before.
    #[serde(default)]
    pub replaces: usize,
    pub deletes: usize,
    pub unchanged: usize,
    /// A rendered table of the changes, when the deploy gave one.
    #[serde(default)]
    pub markdown: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    pub key: String,
    #[serde(default)]
    pub result_state: Option<String>,
    #[serde(default)]
    pub start_ms: Option<i64>,
    #[serde(default)]
    pub end_ms: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub name: String,
    pub run_id: i64,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub result_state: Option<String>,
    #[serde(default)]
    pub duration_ms: Option<i64>,
    #[serde(default)]
    pub tasks: Vec<TaskSummary>,
    /// Its failed test notebooks ran again in a later run (`test --retries`): the verdict is
    /// the tests' and the last run's, not this one's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retried: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Identifies the sticky PR comment this report owns (one per key).
    pub key: String,
    pub title: String,
    pub status: ReportStatus,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub commit: Option<String>,
    /// The CI run that produced the report.
    #[serde(default)]
    pub ci_run_url: Option<String>,
    #[serde(default)]
    pub plan: Option<PlanSummary>,
    #[serde(default)]
    pub runs: Vec<RunSummary>,
    #[serde(default)]
    pub tests: Vec<TestSuite>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Of the passed, those that failed first and passed on a retry.
    pub flaky: usize,
}

impl Counts {
    /// "3 passed" or "3 passed (1 flaky)".
    pub fn passed_text(&self) -> String {
        if self.flaky > 0 {
            format!("{} passed ({} flaky)", self.passed, self.flaky)
        } else {
            format!("{} passed", self.passed)
        }
    }
}

/// How many of `n` items a destination that keeps at most `max` shows: all when they fit,
/// else `max - 1`, leaving room for one "N more" line.
pub fn shown_within(n: usize, max: usize) -> usize {
    if n > max { max - 1 } else { n }
}

impl Report {
    /// The failed test cases, in report order.
    pub fn failed_cases(&self) -> impl Iterator<Item = &TestCase> {
        self.tests
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| c.status == TestStatus::Failed)
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.tests {
            c.passed += s.count(TestStatus::Passed);
            c.failed += s.count(TestStatus::Failed);
            c.skipped += s.count(TestStatus::Skipped);
            c.flaky += s.flaky();
        }
        c
    }

    /// The cases that passed only on a retry, in report order.
    pub fn flaky_cases(&self) -> impl Iterator<Item = &TestCase> {
        self.tests
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| c.is_flaky())
    }

    /// One line: "3 passed (1 flaky), 1 failed" or the run result.
    pub fn headline(&self) -> String {
        let c = self.counts();
        let word = match self.status {
            ReportStatus::Success => "passed",
            ReportStatus::Failure => "failed",
            ReportStatus::Cancelled => "cancelled",
        };
        if c.passed + c.failed + c.skipped > 0 {
            let mut s = format!(
                "{} {word}: {}, {} failed",
                self.title,
                c.passed_text(),
                c.failed
            );
            if c.skipped > 0 {
                s.push_str(&format!(", {} skipped", c.skipped));
            }
            s
        } else {
            format!("{} {word}", self.title)
        }
    }
}
