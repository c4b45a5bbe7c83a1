//! Azure DevOps: publish the JUnit file as a test run and raise an issue per failure.

use super::{Report, markup};
use crate::platform::escape::azure_devops as esc;

/// The agent keeps 10 error issues per step; the rest are named in one more issue.
pub const MAX_ISSUES: usize = 10;
/// Characters of a failure message in an issue (the test run has it whole).
const MESSAGE_LIMIT: usize = 4000;

pub fn logging_commands(report: &Report, junit_path: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(path) = junit_path {
        out.push(format!(
            "##vso[results.publish type=JUnit;resultFiles={};mergeResults=true;runTitle={};failTaskOnFailedTests=false;publishRunAttachments=true]",
            esc(path),
            esc(&markup::strip_ansi(&report.title))
        ));
    }
    let failed: Vec<_> = report.failed_cases().collect();
    let shown = super::shown_within(failed.len(), MAX_ISSUES);
    for case in &failed[..shown] {
        let mut props = String::from("type=error");
        if let Some(loc) = &case.location {
            props.push_str(&format!(
                ";sourcepath={};linenumber={}",
                esc(&loc.file),
                loc.line
            ));
        }
        let message = format!(
            "{}: {}",
            case.name,
            case.message.as_deref().unwrap_or("failed")
        );
        let message = markup::clip(&markup::strip_ansi(&message), MESSAGE_LIMIT);
        out.push(format!("##vso[task.logissue {props}]{}", esc(&message)));
    }
    if shown < failed.len() {
        out.push(format!(
            "##vso[task.logissue type=error]{} more failed tests: see the Tests tab or the summary",
            failed.len() - shown
        ));
    }
    // Flaky tests passed; one warning names them (the Tests tab shows each attempt).
    let flaky: Vec<&str> = report.flaky_cases().map(|c| c.name.as_str()).collect();
    if !flaky.is_empty() {
        let names = markup::clip(&markup::strip_ansi(&flaky.join(", ")), MESSAGE_LIMIT);
        out.push(format!(
            "##vso[task.logissue type=warning]{} flaky tests (failed, then passed on a retry): {}",
            flaky.len(),
            esc(&names)
        ));
    }
    out
}
