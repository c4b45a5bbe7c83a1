//! The markdown report: status, target, commit, plan, runs with links and durations, tests
//! with failures first, and a mermaid gantt chart of task timings. Every piece of text that
//! did not come from brickci goes through [`markup`]; [`render_within`] fits the report to
//! a destination's size limit.

use std::fmt::Write;

use super::markup::{self, code, text};
use super::{Report, ReportStatus};
use crate::testing::{TestCase, TestStatus};

/// The hidden marker that finds a report's sticky PR comment again.
pub fn sticky_marker(key: &str) -> String {
    format!(
        "<!-- brickci:report:{} -->",
        markup::strip_ansi(key)
            .replace("--", "-")
            .replace(['<', '>', '\n', '\r'], "")
    )
}

fn seconds(ms: i64) -> String {
    if ms >= 60_000 {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

fn icon(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Success => "✅",
        ReportStatus::Failure => "❌",
        ReportStatus::Cancelled => "⏹️",
    }
}

/// How much of the report to show: everything, or less of it to fit a limit.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// Characters of each failure message.
    message: Option<usize>,
    /// Characters of each trace, and how many failures show one.
    trace: Option<usize>,
    traces: usize,
    /// Failures listed with their message, and rows in the table of all tests.
    failures: usize,
    rows: usize,
    /// The plan's rendered table of changes.
    plan_table: bool,
}

const FULL: Shape = Shape {
    message: None,
    trace: None,
    traces: usize::MAX,
    failures: usize::MAX,
    rows: usize::MAX,
    plan_table: true,
};

/// The whole report, whatever its size.
pub fn render(report: &Report) -> String {
    render_shaped(report, &FULL, None)
}

/// The report in at most `limit` bytes (a byte count is never below the character count
/// GitHub and Azure DevOps measure). When something is left out, a note says what, and
/// `full_at` (markdown) says where the full report is. Long messages and traces are cut
/// before any test leaves the list.
pub fn render_within(report: &Report, limit: usize, full_at: &str) -> String {
    let whole = render(report);
    if whole.len() <= limit {
        return whole;
    }
    let note = |what: &str| {
        format!(
            "\n> [!WARNING]\n> This report was cut to fit {limit} characters ({what}). The full report: {full_at}\n\n"
        )
    };
    // Shorter messages and traces first: every test stays listed.
    for (message, trace, traces) in [(2000, 4000, 50), (500, 1000, 10), (200, 0, 0)] {
        let shape = Shape {
            message: Some(message),
            trace: Some(trace),
            traces,
            ..FULL
        };
        let md = render_shaped(
            report,
            &shape,
            Some(&note("long messages and traces shortened")),
        );
        if md.len() <= limit {
            return md;
        }
    }
    // Then fewer rows: the most that fit (failures come first in both lists).
    let total = report.tests.iter().map(|s| s.cases.len()).sum::<usize>();
    let shaped = |rows: usize| {
        let shape = Shape {
            message: Some(200),
            trace: Some(0),
            traces: 0,
            failures: rows.min(200),
            rows,
            plan_table: false,
        };
        let failed = report.counts().failed;
        let what = format!(
            "traces left out, {} of {failed} failures described, {} of {total} tests listed",
            rows.min(200).min(failed),
            rows.min(total)
        );
        render_shaped(report, &shape, Some(&note(&what)))
    };
    let (mut lo, mut hi) = (0usize, total);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if shaped(mid).len() <= limit {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let md = shaped(lo);
    if md.len() <= limit {
        return md;
    }
    // Not even the headline and the note fit: the note alone, cut at a character boundary.
    let mut md = format!(
        "## {} {}\n{}",
        icon(report.status),
        text(&report.headline()),
        note("only the headline fits")
    );
    let mut cut = limit.min(md.len());
    while !md.is_char_boundary(cut) {
        cut -= 1;
    }
    md.truncate(cut);
    md
}

fn render_shaped(report: &Report, shape: &Shape, note: Option<&str>) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## {} {}\n",
        icon(report.status),
        text(&report.headline())
    );
    if let Some(note) = note {
        md.push_str(note);
    }
    let mut facts = Vec::new();
    if let Some(t) = &report.target {
        facts.push(format!("**Target** {}", code(t, false)));
    }
    if let Some(c) = &report.commit {
        facts.push(format!(
            "**Commit** {}",
            code(&c.chars().take(12).collect::<String>(), false)
        ));
    }
    if let Some(u) = &report.ci_run_url {
        facts.push(markup::link("CI run", u));
    }
    if !facts.is_empty() {
        let _ = writeln!(md, "{}\n", facts.join(" · "));
    }
    if let Some(p) = &report.plan {
        // Replacements get a column when there are any.
        if p.replaces > 0 {
            let _ = writeln!(
                md,
                "### Deploy plan\n\n| create | update | replace | delete | unchanged |\n|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} |\n",
                p.creates, p.updates, p.replaces, p.deletes, p.unchanged
            );
        } else {
            let _ = writeln!(
                md,
                "### Deploy plan\n\n| create | update | delete | unchanged |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n",
                p.creates, p.updates, p.deletes, p.unchanged
            );
        }
        // The table was rendered by brickci (deploy::render), from escaped names.
        if let Some(table) = p.markdown.as_ref().filter(|_| shape.plan_table) {
            let _ = writeln!(
                md,
                "<details><summary>Changes</summary>\n\n{}\n\n</details>\n",
                table.replace("</details>", "&lt;/details&gt;")
            );
        }
    }
    runs(&mut md, report);
    tests(&mut md, report, shape);
    timeline(&mut md, report);
    md
}

fn runs(md: &mut String, report: &Report) {
    if report.runs.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Runs\n\n| run | result | duration |\n|---|---|---:|"
    );
    for r in &report.runs {
        let name = match &r.url {
            Some(u) => markup::link(&r.name, u),
            None => text(&r.name),
        };
        let _ = writeln!(
            md,
            "| {name} | {} | {} |",
            text(r.result_state.as_deref().unwrap_or("-")),
            r.duration_ms.map(seconds).unwrap_or_default()
        );
        for t in r.tasks.iter().filter(|_| r.tasks.len() > 1) {
            let took = match (t.start_ms, t.end_ms) {
                (Some(s), Some(e)) if s > 0 && e > s => seconds(e - s),
                _ => String::new(),
            };
            let _ = writeln!(
                md,
                "| ↳ {} | {} | {took} |",
                code(&t.key, true),
                text(t.result_state.as_deref().unwrap_or("-"))
            );
        }
    }
    md.push('\n');
}

fn tests(md: &mut String, report: &Report, shape: &Shape) {
    let c = report.counts();
    if c.passed + c.failed + c.skipped == 0 {
        return;
    }
    let _ = writeln!(
        md,
        "### Tests: {}, {} failed, {} skipped\n",
        c.passed_text(),
        c.failed,
        c.skipped
    );
    let failed: Vec<&TestCase> = report.failed_cases().collect();
    let clip = |s: &str, max: Option<usize>| match max {
        Some(m) => markup::clip(s, m),
        None => s.to_string(),
    };
    for (i, case) in failed.iter().enumerate().take(shape.failures) {
        let place = match &case.location {
            Some(l) => format!(" — {}", code(&format!("{}:{}", l.file, l.line), false)),
            None => case
                .classname
                .as_deref()
                .map(|c| format!(" — {}", code(c, false)))
                .unwrap_or_default(),
        };
        let _ = writeln!(
            md,
            "- ❌ **{}**{place}: {}",
            text(&case.name),
            text(&clip(
                case.message.as_deref().unwrap_or("failed"),
                shape.message
            ))
        );
        if let Some(trace) = case.trace.as_ref().filter(|_| i < shape.traces) {
            if shape.trace == Some(0) {
                continue;
            }
            let _ = writeln!(
                md,
                "\n<details><summary>trace of {}</summary>\n\n{}\n</details>\n",
                markup::html(&case.name),
                markup::fenced(&clip(trace, shape.trace), "")
            );
        }
    }
    if failed.len() > shape.failures {
        let _ = writeln!(
            md,
            "- … and {} more failures",
            failed.len() - shape.failures
        );
    }
    flaky(md, report, shape);
    let _ = writeln!(
        md,
        "\n<details><summary>All tests</summary>\n\n| test | suite | result | duration |\n|---|---|---|---:|"
    );
    let mut cases: Vec<(&TestCase, &str)> = report
        .tests
        .iter()
        .flat_map(|s| s.cases.iter().map(move |c| (c, s.name.as_str())))
        .collect();
    // Failures first across suites, so a cut list still shows every failure it can.
    cases.sort_by_key(|(c, _)| match c.status {
        TestStatus::Failed => 0,
        TestStatus::Passed if c.is_flaky() => 1,
        TestStatus::Skipped => 2,
        TestStatus::Passed => 3,
    });
    for (case, suite) in cases.iter().take(shape.rows) {
        let r = match case.status {
            TestStatus::Passed if case.is_flaky() => "⚠️ flaky",
            TestStatus::Passed => "✅ passed",
            TestStatus::Failed => "❌ failed",
            TestStatus::Skipped => "⏭️ skipped",
        };
        let d = case
            .duration_ms
            .map(|ms| seconds(ms as i64))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | {} | {r} | {d} |",
            text(&case.name),
            code(suite, true)
        );
    }
    if cases.len() > shape.rows {
        let _ = writeln!(
            md,
            "| … and {} more tests | | | |",
            cases.len() - shape.rows
        );
    }
    md.push_str("\n</details>\n\n");
}

/// Tests that failed and then passed on a retry, each with its first failure: they passed,
/// but somebody should look.
fn flaky(md: &mut String, report: &Report, shape: &Shape) {
    let flaky: Vec<&TestCase> = report.flaky_cases().collect();
    for case in flaky.iter().take(shape.failures) {
        let attempts = case.failed_attempts.len();
        let first = case.failed_attempts[0]
            .message
            .as_deref()
            .unwrap_or("failed");
        let first = match shape.message {
            Some(m) => markup::clip(first, m),
            None => first.to_string(),
        };
        let _ = writeln!(
            md,
            "- ⚠️ **{}** is flaky: passed on attempt {} after: {}",
            text(&case.name),
            attempts + 1,
            text(&first)
        );
    }
    if flaky.len() > shape.failures {
        let _ = writeln!(
            md,
            "- … and {} more flaky tests",
            flaky.len() - shape.failures
        );
    }
}

/// Task durations as a gantt chart (GitHub and Azure DevOps render mermaid).
fn timeline(md: &mut String, report: &Report) {
    let rows: Vec<(String, String, i64, i64, bool)> = report
        .runs
        .iter()
        .flat_map(|r| {
            r.tasks
                .iter()
                .filter_map(move |t| match (t.start_ms, t.end_ms) {
                    (Some(s), Some(e)) if s > 0 && e >= s => Some((
                        r.name.clone(),
                        t.key.clone(),
                        s,
                        e.max(s + 1),
                        t.result_state.as_deref() != Some("SUCCESS"),
                    )),
                    _ => None,
                })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Timeline\n\n```mermaid\ngantt\n    dateFormat x\n    axisFormat %H:%M:%S"
    );
    let mut section = String::new();
    for (i, (run, task, s, e, bad)) in rows.iter().enumerate() {
        if *run != section {
            let _ = writeln!(md, "    section {}", markup::mermaid(run));
            section = run.clone();
        }
        let tag = if *bad { "crit, " } else { "" };
        let _ = writeln!(md, "    {} :{tag}t{i}, {s}, {e}", markup::mermaid(task));
    }
    md.push_str("```\n");
}

/// The PR comment: the marker, then the report.
pub fn comment_body(report: &Report) -> String {
    format!("{}\n{}", sticky_marker(&report.key), render(report))
}

/// The PR comment within `limit` (marker included); see [`render_within`].
pub fn comment_body_within(report: &Report, limit: usize, full_at: &str) -> String {
    let marker = sticky_marker(&report.key);
    let room = limit.saturating_sub(marker.len() + 1);
    format!("{marker}\n{}", render_within(report, room, full_at))
}
