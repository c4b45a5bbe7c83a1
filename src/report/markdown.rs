//! The markdown report: status, target, commit, plan, runs with links and durations, tests
//! with failures first, and a mermaid gantt chart of task timings.

use std::fmt::Write;

use super::{Report, ReportStatus};
use crate::testing::{TestCase, TestStatus};

/// The hidden marker that finds a report's sticky PR comment again.
pub fn sticky_marker(key: &str) -> String {
    format!("<!-- brickci:report:{} -->", key.replace("--", "-"))
}

/// Text made safe for a table cell or a line of markdown.
pub fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
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

pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## {} {}\n",
        icon(report.status),
        cell(&report.headline())
    );
    let mut facts = Vec::new();
    if let Some(t) = &report.target {
        facts.push(format!("**Target** `{}`", cell(t)));
    }
    if let Some(c) = &report.commit {
        facts.push(format!(
            "**Commit** `{}`",
            cell(&c.chars().take(12).collect::<String>())
        ));
    }
    if let Some(u) = &report.ci_run_url {
        facts.push(format!("[CI run]({u})"));
    }
    if !facts.is_empty() {
        let _ = writeln!(md, "{}\n", facts.join(" · "));
    }
    if let Some(p) = &report.plan {
        let _ = writeln!(
            md,
            "### Deploy plan\n\n| create | update | delete | unchanged |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n",
            p.creates, p.updates, p.deletes, p.unchanged
        );
        if let Some(table) = &p.markdown {
            let _ = writeln!(
                md,
                "<details><summary>Changes</summary>\n\n{table}\n\n</details>\n"
            );
        }
    }
    if !report.runs.is_empty() {
        let _ = writeln!(
            md,
            "### Runs\n\n| run | result | duration |\n|---|---|---:|"
        );
        for r in &report.runs {
            let name = match &r.url {
                Some(u) => format!("[{}]({u})", cell(&r.name)),
                None => cell(&r.name),
            };
            let _ = writeln!(
                md,
                "| {name} | {} | {} |",
                r.result_state.as_deref().unwrap_or("-"),
                r.duration_ms.map(seconds).unwrap_or_default()
            );
            for t in r.tasks.iter().filter(|_| r.tasks.len() > 1) {
                let took = match (t.start_ms, t.end_ms) {
                    (Some(s), Some(e)) if s > 0 && e > s => seconds(e - s),
                    _ => String::new(),
                };
                let _ = writeln!(
                    md,
                    "| ↳ `{}` | {} | {took} |",
                    cell(&t.key),
                    t.result_state.as_deref().unwrap_or("-")
                );
            }
        }
        md.push('\n');
    }
    tests(&mut md, report);
    timeline(&mut md, report);
    md
}

fn tests(md: &mut String, report: &Report) {
    let c = report.counts();
    if c.passed + c.failed + c.skipped == 0 {
        return;
    }
    let _ = writeln!(
        md,
        "### Tests: {} passed, {} failed, {} skipped\n",
        c.passed, c.failed, c.skipped
    );
    let failed: Vec<&TestCase> = report
        .tests
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.status == TestStatus::Failed)
        .collect();
    for case in &failed {
        let place = match &case.location {
            Some(l) => format!(" — `{}:{}`", cell(&l.file), l.line),
            None => case
                .classname
                .as_deref()
                .map(|c| format!(" — `{}`", cell(c)))
                .unwrap_or_default(),
        };
        let _ = writeln!(
            md,
            "- ❌ **{}**{place}: {}",
            cell(&case.name),
            cell(case.message.as_deref().unwrap_or("failed"))
        );
        if let Some(trace) = &case.trace {
            let fence = if trace.contains("```") { "~~~~" } else { "```" };
            let _ = writeln!(
                md,
                "\n<details><summary>trace of {}</summary>\n\n{fence}\n{}\n{fence}\n\n</details>\n",
                cell(&case.name),
                trace.trim_end()
            );
        }
    }
    let _ = writeln!(
        md,
        "\n<details><summary>All tests</summary>\n\n| test | suite | result | duration |\n|---|---|---|---:|"
    );
    for suite in &report.tests {
        let mut cases: Vec<&TestCase> = suite.cases.iter().collect();
        cases.sort_by_key(|c| match c.status {
            TestStatus::Failed => 0,
            TestStatus::Skipped => 1,
            TestStatus::Passed => 2,
        });
        for case in cases {
            let r = match case.status {
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
                "| {} | `{}` | {r} | {d} |",
                cell(&case.name),
                cell(&suite.name)
            );
        }
    }
    md.push_str("\n</details>\n\n");
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
            let _ = writeln!(md, "    section {}", mermaid_text(run));
            section = run.clone();
        }
        let tag = if *bad { "crit, " } else { "" };
        let _ = writeln!(md, "    {} :{tag}t{i}, {s}, {e}", mermaid_text(task));
    }
    md.push_str("```\n");
}

fn mermaid_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, ':' | '#' | ';' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The PR comment: the marker, then the report.
pub fn comment_body(report: &Report) -> String {
    format!("{}\n{}", sticky_marker(&report.key), render(report))
}
