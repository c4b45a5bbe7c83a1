//! GitHub check run payloads: the completion with its output, and annotations at failing
//! lines in batches of 50 (the API's limit per request; later updates append).

use serde_json::{Value, json};

use super::{Report, ReportStatus, markdown};
use crate::testing::TestStatus;

/// GitHub's limit for `output.summary` and `output.text`.
pub const TEXT_LIMIT: usize = 65_535;
pub const ANNOTATIONS_PER_REQUEST: usize = 50;

pub fn conclusion(report: &Report) -> &'static str {
    match report.status {
        ReportStatus::Success => "success",
        ReportStatus::Failure => "failure",
        ReportStatus::Cancelled => "cancelled",
    }
}

/// Cuts text to GitHub's limit at a character boundary, saying so.
pub fn fit(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let note = "\n\n_(truncated)_";
    let mut cut = limit - note.len();
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{note}", &text[..cut])
}

/// One annotation per located failed test; unlocated failures stay in the summary.
pub fn annotations(report: &Report) -> Vec<Value> {
    report
        .tests
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.status == TestStatus::Failed)
        .filter_map(|c| {
            let loc = c.location.as_ref()?;
            let mut a = json!({
                "path": loc.file.trim_start_matches("./"),
                "start_line": loc.line,
                "end_line": loc.line,
                "annotation_level": "failure",
                "title": fit(&format!("{} failed", c.name), 255),
                "message": fit(c.message.as_deref().unwrap_or("test failed"), 64 * 1024 - 1),
            });
            if let Some(t) = &c.trace {
                a["raw_details"] = json!(fit(t, 64 * 1024 - 1));
            }
            Some(a)
        })
        .collect()
}

pub fn batches(annotations: Vec<Value>) -> Vec<Vec<Value>> {
    annotations
        .chunks(ANNOTATIONS_PER_REQUEST)
        .map(<[Value]>::to_vec)
        .collect()
}

/// `output` for a check run update: title, summary, and one batch of annotations.
pub fn output(report: &Report, batch: Vec<Value>) -> Value {
    json!({
        "title": fit(&report.headline(), 1000),
        "summary": fit(&markdown::render(report), TEXT_LIMIT),
        "annotations": batch,
    })
}
