//! Report publishing: one report sent everywhere it belongs on this platform: JUnit file, saved JSON, step
//! summary, outputs, annotations, Azure DevOps test run, and (with a token) the GitHub check
//! run and the sticky PR comment.
//!
//! The tests have already run when this is called, so nothing here changes the verdict: a
//! destination that cannot be written or posted to is a warning, and the local files are
//! written before anything is posted. `checks` finds the unwritable files and the
//! posts that could never be made before the work starts.

pub mod azure_devops;
pub mod checks;
mod codecommit;
pub mod github;

use std::path::{Path, PathBuf};

use crate::cli::PublishArgs;
use crate::platform::{Annotation, Kind, Level, Platform, SUMMARY_LIMIT};
use crate::report::{Report, check_run, markdown};
use crate::signal::{Interrupt, Signal};
use crate::testing::{TestSuite, to_junit_xml};

/// GitHub shows at most 10 error annotations from workflow commands per step.
const MAX_ANNOTATIONS: usize = 10;
/// The runner cuts an annotation's message at 4096 characters.
const ANNOTATION_MESSAGE_LIMIT: usize = 4000;

/// Where JUnit goes when no --junit is given: where each platform's publisher looks.
pub fn default_junit(platform: &Platform) -> Option<PathBuf> {
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

/// Writes the local files, then posts; a signal stops the posting (returned, for the exit
/// code), never the local files.
pub async fn publish(
    platform: &Platform,
    report: &Report,
    args: &PublishArgs,
    interrupt: &mut Interrupt,
) -> Option<Signal> {
    let warn = |what: &str, e: &dyn std::fmt::Display| {
        platform.warn(&format!("could not {what} (the test results stand): {e}"));
    };
    // Local files first: they hold the full report that every cut destination points at.
    let junit = args.junit.clone().or_else(|| default_junit(platform));
    let mut junit_written = None;
    if let Some(path) = &junit {
        match write_report_file(
            path,
            &to_junit_xml(&plain_suites(&report.tests), &report.title),
        ) {
            Ok(()) => {
                platform.info(&format!("JUnit written to {}", path.display()));
                junit_written = Some(path.clone());
                if let Err(e) = platform.set_output("junit", &path.display().to_string()) {
                    warn("set the junit output", &e);
                }
            }
            Err(e) => warn(&format!("write JUnit to {}", path.display()), &e),
        }
    }
    if let Some(path) = &args.report_json {
        let written = serde_json::to_string_pretty(report)
            .map_err(|e| e.to_string())
            .and_then(|json| write_report_file(path, &json).map_err(|e| e.to_string()));
        if let Err(e) = written {
            warn(&format!("write the report to {}", path.display()), &e);
        }
    }
    let summary = markdown::render_within(
        report,
        summary_room(platform),
        &summary_full_at(junit_written.as_deref(), args.report_json.as_deref()),
    );
    if let Err(e) = platform.summary(&summary) {
        warn("write the step summary", &e);
    }
    let c = report.counts();
    for (k, v) in [
        ("tests-passed", c.passed),
        ("tests-failed", c.failed),
        ("tests-skipped", c.skipped),
    ] {
        if let Err(e) = platform.set_output(k, &v.to_string()) {
            warn(&format!("set the {k} output"), &e);
        }
    }
    if platform.kind() == Kind::AzureDevOps {
        // The agent reads these from stdout: a test run from the JUnit file, issues for failures.
        let junit = junit_written.as_deref().and_then(|p| p.to_str());
        for line in crate::report::azure_devops::logging_commands(report, junit) {
            platform.command(&line);
        }
    }

    let posted = interrupt.guard(post(platform, report, args)).await;
    match posted {
        Ok(()) => None,
        Err(signal) => {
            platform.warn(&format!(
                "{}: stopped posting the report; the local files are written",
                signal.name()
            ));
            Some(signal)
        }
    }
}

/// The remote destinations: check run, PR comments, Azure DevOps test run and issues.
async fn post(platform: &Platform, report: &Report, args: &PublishArgs) {
    let warn = |what: &str, e: &dyn std::fmt::Display| {
        platform.warn(&format!("could not {what} (the test results stand): {e}"));
    };
    let posted_check = match github::publish(platform, report, args).await {
        Ok(posted) => posted,
        Err(e) => {
            warn("post to GitHub", &e);
            false
        }
    };
    match platform.kind() {
        Kind::AzureDevOps => {
            if let Err(e) = azure_devops::pr_comment(platform, report, args).await {
                warn("comment on the pull request", &e);
            }
        }
        // A check run carries the annotations already; otherwise pin failures to lines here.
        _ if !posted_check => annotate(platform, report),
        _ => {}
    }
    if let Err(e) = codecommit::pr_comment(platform, report, args).await {
        warn("comment on the CodeCommit pull request", &e);
    }
}

/// The suites without terminal escapes or other control characters, which XML 1.0 does not
/// allow (a JUnit reader would refuse the whole file).
fn plain_suites(suites: &[TestSuite]) -> Vec<TestSuite> {
    let plain = crate::report::markup::strip_ansi;
    let mut suites = suites.to_vec();
    for s in &mut suites {
        s.name = plain(&s.name);
        for c in &mut s.cases {
            c.name = plain(&c.name);
            c.classname = c.classname.as_deref().map(plain);
            c.message = c.message.as_deref().map(plain);
            c.trace = c.trace.as_deref().map(plain);
            for a in &mut c.failed_attempts {
                a.message = a.message.as_deref().map(plain);
                a.trace = a.trace.as_deref().map(plain);
            }
        }
    }
    suites
}

/// Room left in this step's summary: GitHub drops a summary over 1 MiB entirely.
fn summary_room(platform: &Platform) -> usize {
    let used = match platform.kind() {
        Kind::GitHubActions => platform
            .env()
            .get("GITHUB_STEP_SUMMARY")
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| m.len() as usize)
            .unwrap_or(0),
        _ => 0,
    };
    SUMMARY_LIMIT.saturating_sub(used)
}

fn summary_full_at(junit: Option<&Path>, json: Option<&Path>) -> String {
    let files: Vec<String> = junit
        .iter()
        .chain(json.iter())
        .map(|p| crate::report::markup::code(&p.display().to_string(), false))
        .collect();
    if files.is_empty() {
        "write it with --junit or --report-json.".into()
    } else {
        format!("{}.", files.join(" and "))
    }
}

fn annotate(platform: &Platform, report: &Report) {
    let failed: Vec<_> = report.failed_cases().collect();
    let shown = crate::report::shown_within(failed.len(), MAX_ANNOTATIONS);
    let plain = crate::report::markup::strip_ansi;
    for case in &failed[..shown] {
        let message = plain(case.message.as_deref().unwrap_or("test failed"));
        platform.annotate(&Annotation {
            level: Some(Level::Error),
            message: crate::report::markup::clip(&message, ANNOTATION_MESSAGE_LIMIT),
            title: Some(check_run::fit(
                &plain(&format!("{} failed", case.name)),
                255,
            )),
            file: case.location.as_ref().map(|l| l.file.clone()),
            line: case.location.as_ref().map(|l| l.line),
            ..Annotation::default()
        });
    }
    if shown < failed.len() {
        platform.annotate(&Annotation {
            level: Some(Level::Error),
            message: format!(
                "{} more tests failed: see the step summary",
                failed.len() - shown
            ),
            ..Annotation::default()
        });
    }
    let flaky: Vec<&str> = report.flaky_cases().map(|c| c.name.as_str()).collect();
    if !flaky.is_empty() {
        let names = plain(&flaky.join(", "));
        platform.annotate(&Annotation {
            level: Some(Level::Warning),
            message: crate::report::markup::clip(
                &format!(
                    "{} flaky tests (failed, then passed on a retry): {names}",
                    flaky.len()
                ),
                ANNOTATION_MESSAGE_LIMIT,
            ),
            ..Annotation::default()
        });
    }
}

/// A report file, its folder created first (`--junit test-results/junit.xml` on a fresh
/// checkout), as test runners do.
fn write_report_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, contents)
}
