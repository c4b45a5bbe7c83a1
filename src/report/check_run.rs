//! GitHub check run payloads: the completion with its output, and annotations at failing
//! lines in batches of 50 (the API's limit per request; later updates append).

use serde_json::{Value, json};

use super::{Report, ReportStatus, markdown, markup};
use crate::testing::SourceLocation;

/// GitHub's limit for `output.summary` and `output.text` (characters).
pub const TEXT_LIMIT: usize = 65_535;
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// Annotations beyond this stay in the summary: each batch is one more request.
pub const MAX_ANNOTATIONS: usize = 1_000;
/// GitHub's limits for an annotation's title and its message or raw details.
const TITLE_LIMIT: usize = 255;
const MESSAGE_LIMIT: usize = 64 * 1024 - 1;

pub fn conclusion(report: &Report) -> &'static str {
    match report.status {
        ReportStatus::Success => "success",
        ReportStatus::Failure => "failure",
        ReportStatus::Cancelled => "cancelled",
    }
}

/// Cuts text to at most `limit` bytes at a character boundary, saying so.
pub fn fit(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let note = "\n\n_(truncated)_";
    let mut cut = limit.saturating_sub(note.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{note}", &text[..cut])
}

/// One annotation per located failed test, then one warning per located flaky test (at
/// most [`MAX_ANNOTATIONS`] in all); the others stay in the summary.
pub fn annotations(report: &Report) -> Vec<Value> {
    let plain = |s: &str, limit| fit(&markup::strip_ansi(s), limit);
    let failed = report.failed_cases().filter_map(|c| {
        let mut a = at(c.location.as_ref()?, "failure");
        a["title"] = json!(plain(&format!("{} failed", c.name), TITLE_LIMIT));
        a["message"] = json!(plain(
            c.message.as_deref().unwrap_or("test failed"),
            MESSAGE_LIMIT
        ));
        if let Some(t) = &c.trace {
            a["raw_details"] = json!(plain(t, MESSAGE_LIMIT));
        }
        Some(a)
    });
    let flaky = report.flaky_cases().filter_map(|c| {
        let mut a = at(c.location.as_ref()?, "warning");
        let first = &c.failed_attempts[0];
        a["title"] = json!(plain(&format!("{} is flaky", c.name), TITLE_LIMIT));
        a["message"] = json!(plain(
            &format!(
                "passed on attempt {} after failing: {}",
                c.failed_attempts.len() + 1,
                first.message.as_deref().unwrap_or("failed")
            ),
            MESSAGE_LIMIT
        ));
        Some(a)
    });
    failed.chain(flaky).take(MAX_ANNOTATIONS).collect()
}

fn at(loc: &SourceLocation, level: &str) -> Value {
    json!({
        "path": loc.file.trim_start_matches("./"),
        "start_line": loc.line,
        "end_line": loc.line,
        "annotation_level": level,
    })
}

pub fn batches(annotations: Vec<Value>) -> Vec<Vec<Value>> {
    annotations
        .chunks(ANNOTATIONS_PER_REQUEST)
        .map(<[Value]>::to_vec)
        .collect()
}

/// Where the full report is, for the note of a cut summary or comment.
pub fn full_report_at(report: &Report) -> String {
    match &report.ci_run_url {
        Some(u) => format!(
            "the step summary and JUnit file of {}.",
            markup::link("the CI run", u)
        ),
        None => "the step summary and JUnit file of the CI run.".into(),
    }
}

/// `output` for a check run update: title, summary, and one batch of annotations.
pub fn output(report: &Report, batch: Vec<Value>) -> Value {
    outputs(report, vec![batch]).remove(0)
}

/// One `output` per batch of annotations (at least one), the summary rendered once.
pub fn outputs(report: &Report, mut batches: Vec<Vec<Value>>) -> Vec<Value> {
    if batches.is_empty() {
        batches.push(Vec::new());
    }
    let title = fit(&markup::strip_ansi(&report.headline()), 1000);
    let summary = markdown::render_within(report, TEXT_LIMIT, &full_report_at(report));
    batches
        .into_iter()
        .map(|batch| json!({ "title": title, "summary": summary, "annotations": batch }))
        .collect()
}
