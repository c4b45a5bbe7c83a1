//! Hostile text from notebooks, traces and test names through every renderer: it stays in
//! its cell, code span or code block (no headings, links, images, HTML, mentions or ANSI).

use crate::common::*;

use brickci::report::{Report, ReportStatus, RunSummary, TaskSummary, check_run, markdown};
use brickci::testing::{ResultFormat, SourceLocation, TestCase, TestStatus, TestSuite};

const HOSTILE: &str = "x</summary></details>\n# Owned\n![img](http://evil/p.png) [click](http://evil/) @octocat <script>alert(1)</script> | \u{1b}[31mred\u{1b}[0m\n```\n~~~~\n<!-- brickci:report:other -->";

fn hostile_report() -> Report {
    let case = |i: u32, status| TestCase {
        failed_attempts: Vec::new(),
        name: format!("t{i} {HOSTILE}"),
        classname: Some("tests/x".into()),
        status,
        duration_ms: Some(1),
        message: Some(format!("failed: {HOSTILE}")),
        trace: Some(format!("Traceback\n{HOSTILE}\n````````\nend")),
        location: Some(SourceLocation {
            file: "tests/x.py".into(),
            line: i,
        }),
    };
    Report {
        key: "tests".into(),
        title: format!("title {HOSTILE}"),
        status: ReportStatus::Failure,
        target: Some("qa`` `x".into()),
        commit: Some("abc".into()),
        ci_run_url: Some("https://ci/run/1) [x](http://evil".into()),
        plan: None,
        runs: vec![RunSummary {
            retried: false,
            name: format!("run {HOSTILE}"),
            run_id: 1,
            url: Some("javascript:alert(1)".into()),
            result_state: Some(format!("FAILED {HOSTILE}")),
            duration_ms: Some(10),
            tasks: vec![
                TaskSummary {
                    key: format!("task {HOSTILE}"),
                    result_state: Some("FAILED".into()),
                    start_ms: Some(1),
                    end_ms: Some(2),
                    error: None,
                },
                TaskSummary {
                    key: "ok".into(),
                    result_state: Some("SUCCESS".into()),
                    start_ms: Some(1),
                    end_ms: Some(2),
                    error: None,
                },
            ],
        }],
        tests: vec![TestSuite {
            name: format!("suite {HOSTILE}"),
            format: ResultFormat::Json,
            cases: vec![
                case(1, TestStatus::Failed),
                case(2, TestStatus::Failed),
                case(3, TestStatus::Passed),
            ],
        }],
    }
}

/// Lines outside fenced code blocks, tracked as CommonMark does: a fence closes on a line of
/// the same character at least as long as the opening one. Panics if a block never closes.
fn outside_code_blocks(md: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for line in md.lines() {
        let t = line.trim_start_matches(' ');
        let indent = line.len() - t.len();
        let run = |c: char| t.chars().take_while(|x| *x == c).count();
        match open {
            Some((c, n)) => {
                if indent <= 3 && run(c) >= n && t.trim_end().chars().all(|x| x == c) {
                    open = None;
                }
            }
            None => {
                let (b, tl) = (run('`'), run('~'));
                if indent <= 3 && (b >= 3 || tl >= 3) {
                    open = Some(if b >= 3 { ('`', b) } else { ('~', tl) });
                } else {
                    out.push(line);
                }
            }
        }
    }
    assert!(open.is_none(), "a code block never closes:\n{md}");
    out
}

/// Strips inline code spans (backtick runs matched by an equal run) from a line.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let n = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + n..];
        let delim = "`".repeat(n);
        // The closing run must be exactly n long.
        let mut search = 0;
        let mut close = None;
        while let Some(i) = after[search..].find(&delim) {
            let at = search + i;
            let longer = after[at + n..].starts_with('`') || (at > 0 && after[..at].ends_with('`'));
            if !longer {
                close = Some(at);
                break;
            }
            search = at + n;
        }
        match close {
            Some(at) => rest = &after[at + n..],
            None => {
                out.push_str(&delim);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn assert_contained(md: &str, details: usize) {
    assert!(!md.contains('\u{1b}'), "ANSI escape left in:\n{md}");
    let lines = outside_code_blocks(md);
    let allowed_headings = [
        "## ",
        "### Runs",
        "### Tests",
        "### Timeline",
        "### Deploy plan",
    ];
    for line in &lines {
        // A `<details><summary>` line is raw HTML (not markdown): only tags could escape it.
        if let Some(inner) = line
            .strip_prefix("<details><summary>")
            .and_then(|l| l.strip_suffix("</summary>"))
        {
            assert!(!inner.contains(['<', '>']), "HTML got through in {line:?}");
            assert!(!inner.contains("@octocat"), "{line:?}");
            continue;
        }
        let prose = without_code_spans(line);
        if line.starts_with('#') {
            assert!(
                allowed_headings.iter().any(|h| line.starts_with(h)),
                "a heading from untrusted text: {line:?}"
            );
        }
        for bad in [
            "@octocat",
            "![",
            "](http://evil",
            "<script",
            "</summary></details>",
            "javascript:",
            "<!--",
        ] {
            assert!(!prose.contains(bad), "{bad:?} got through in {line:?}");
        }
    }
    let opened = lines.iter().filter(|l| l.contains("<details>")).count();
    let closed = lines.iter().filter(|l| l.trim() == "</details>").count();
    let stray = lines
        .iter()
        .filter(|l| without_code_spans(l).contains("</details>") && l.trim() != "</details>")
        .count();
    assert_eq!((opened, closed, stray), (details, details, 0), "{md}");
}

#[test]
fn every_markdown_renderer_keeps_hostile_text_in_its_place() {
    let r = hostile_report();
    // Two traces and the table of all tests.
    assert_contained(&markdown::render(&r), 3);
    let comment = markdown::comment_body_within(&r, 65_536, "the CI run");
    assert!(comment.starts_with("<!-- brickci:report:tests -->\n"));
    assert_contained(comment.split_once('\n').unwrap().1, 3);
    let out = check_run::output(&r, check_run::annotations(&r));
    assert_contained(out["summary"].as_str().unwrap(), 3);
    for a in out["annotations"].as_array().unwrap() {
        for field in ["title", "message", "raw_details"] {
            assert!(!a[field].as_str().unwrap().contains('\u{1b}'), "{a}");
        }
    }
    // Cut to a small size, the structure still holds (traces dropped first).
    let small = markdown::render_within(&r, 3_000, "the CI run");
    assert!(small.len() <= 3_000);
    assert_contained(&small, 1);
}

#[test]
fn run_links_take_only_http_urls_percent_encoded() {
    let md = markdown::render(&hostile_report());
    assert!(
        md.contains("[CI run](https://ci/run/1%29%20%5Bx%5D%28http://evil)"),
        "{md}"
    );
    assert!(!md.contains("](javascript"), "{md}");
}

#[test]
fn a_trace_cannot_close_its_fence() {
    let md = markdown::render(&hostile_report());
    // The trace holds a run of 8 backticks: its fence is longer.
    assert!(md.contains("\n`````````\nTraceback"), "{md}");
}

#[test]
fn colour_codes_and_markup_from_notebooks_reach_neither_log_nor_summary() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    // An exit value with a raw ESC (the log) and JSON-escaped ones inside test results.
    write_notebook(
        dir.path(),
        "test_colour.py",
        "dbutils.notebook.exit('{\"tests\": [{\"name\": \"t\\u001b[31m1 </details> @octocat\", \"status\": \"failed\", \"message\": \"boom\\u001b[0m ![x](http://evil/)\"}]}')\n",
    );
    write_notebook(
        dir.path(),
        "colour.py",
        "dbutils.notebook.exit('\u{1b}[32mgreen\u{1b}[0m done')\n",
    );
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "").unwrap();
    let junit = dir.path().join("junit.xml");
    let env = run_env(&emu);
    let mut env = as_refs(&env);
    env.extend([
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ]);
    let out = brickci(&["run", "--notebook", "colour.py"], &env, dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("green done"), "{}", text(&out));
    assert!(!text(&out).contains('\u{1b}'), "{}", text(&out));

    let out = brickci(
        &["test", "test_colour.py", "--junit", junit.to_str().unwrap()],
        &env,
        dir.path(),
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("boom"), "{md}");
    assert_contained(&md, 1);
    assert!(!text(&out).contains('\u{1b}'), "{}", text(&out));
    // XML 1.0 allows no ESC: a JUnit reader would refuse the file.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("boom") && !xml.contains('\u{1b}'), "{xml}");
}
