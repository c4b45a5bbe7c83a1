//! Azure DevOps: publish the JUnit file as a test run and raise an issue per failure.

use super::Report;
use crate::platform::escape::azure_devops as esc;
use crate::testing::TestStatus;

pub fn logging_commands(report: &Report, junit_path: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(path) = junit_path {
        out.push(format!(
            "##vso[results.publish type=JUnit;resultFiles={};mergeResults=true;runTitle={};failTaskOnFailedTests=false;publishRunAttachments=true]",
            esc(path),
            esc(&report.title)
        ));
    }
    for case in report
        .tests
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.status == TestStatus::Failed)
    {
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
        out.push(format!("##vso[task.logissue {props}]{}", esc(&message)));
    }
    out
}
