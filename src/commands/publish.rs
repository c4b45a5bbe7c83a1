//! Sends one report everywhere it belongs on this platform: JUnit file, step summary,
//! annotations, Azure DevOps test run, saved JSON, and (with a token) the GitHub check run
//! and the sticky PR comment.

use std::path::PathBuf;

use crate::cli::PublishArgs;
use crate::error::Error;
use crate::platform::{Annotation, Kind, Level, Platform};
use crate::report::{Report, azure_devops, markdown};
use crate::testing::{TestStatus, to_junit_xml};

fn io(what: &str, path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Io(format!("cannot write {what} {}: {e}", path.display()))
}

/// Where JUnit goes when no --junit is given: where each platform's publisher looks.
fn default_junit(platform: &Platform) -> Option<PathBuf> {
    let env = platform.env();
    match platform.kind() {
        Kind::AzureDevOps => Some(
            PathBuf::from(env.get("AGENT_TEMPDIRECTORY").unwrap_or(".")).join("brickci-junit.xml"),
        ),
        Kind::CodeBuild => Some(
            PathBuf::from(env.get("CODEBUILD_SRC_DIR").unwrap_or(".")).join("brickci-junit.xml"),
        ),
        _ => None,
    }
}

pub async fn publish(
    platform: &Platform,
    report: &Report,
    args: &PublishArgs,
) -> Result<(), Error> {
    let junit = args.junit.clone().or_else(|| default_junit(platform));
    if let Some(path) = &junit {
        std::fs::write(path, to_junit_xml(&report.tests, &report.title))
            .map_err(|e| io("JUnit", path, e))?;
        platform.info(&format!("JUnit written to {}", path.display()));
        platform
            .set_output("junit", &path.display().to_string())
            .map_err(|e| Error::Io(e.to_string()))?;
    }
    if let Some(path) = &args.report_json {
        let json = serde_json::to_string_pretty(report).map_err(|e| Error::Io(e.to_string()))?;
        std::fs::write(path, json).map_err(|e| io("the report", path, e))?;
    }
    let posted_check = super::publish_github::publish(platform, report, args).await?;
    match platform.kind() {
        Kind::AzureDevOps => {
            // The agent reads these from stdout: a test run from the JUnit file, one issue per failure.
            for line in
                azure_devops::logging_commands(report, junit.as_deref().and_then(|p| p.to_str()))
            {
                platform.command(&line);
            }
            super::publish_azure::pr_comment(platform, report, args).await?;
        }
        // A check run carries the annotations already; otherwise pin failures to lines here.
        _ if !posted_check => annotate(platform, report),
        _ => {}
    }
    super::publish_codecommit::pr_comment(platform, report, args).await?;
    platform
        .summary(&markdown::render(report))
        .map_err(|e| Error::Io(e.to_string()))?;
    let c = report.counts();
    let out = |k: &str, v: String| {
        platform
            .set_output(k, &v)
            .map_err(|e| Error::Io(e.to_string()))
    };
    out("tests-passed", c.passed.to_string())?;
    out("tests-failed", c.failed.to_string())?;
    out("tests-skipped", c.skipped.to_string())?;
    Ok(())
}

fn annotate(platform: &Platform, report: &Report) {
    for case in report
        .tests
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.status == TestStatus::Failed)
    {
        platform.annotate(&Annotation {
            level: Some(Level::Error),
            message: case.message.clone().unwrap_or_else(|| "test failed".into()),
            title: Some(format!("{} failed", case.name)),
            file: case.location.as_ref().map(|l| l.file.clone()),
            line: case.location.as_ref().map(|l| l.line),
            ..Annotation::default()
        });
    }
}
