//! Renderings of one report compared with golden files (BRICKCI_BLESS=1 rewrites them).

use brickci::report::{
    PlanSummary, Report, ReportStatus, RunSummary, TaskSummary, azure_devops, check_run, markdown,
};
use brickci::testing::{
    ResultFormat, SourceLocation, TestCase, TestStatus, TestSuite, to_junit_xml,
};

/// Compares `actual` with `tests/golden/<name>` (BRICKCI_BLESS=1 rewrites it).
pub fn golden(name: &str, actual: &str) {
    let path = crate::common::repo().join("tests/golden").join(name);
    if std::env::var("BRICKCI_BLESS").is_ok() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {} (BRICKCI_BLESS=1 writes it)", path.display()));
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "{name} differs from its golden file ({} vs {} lines):\n{}",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

fn case(name: &str, status: TestStatus, line: Option<u32>) -> TestCase {
    TestCase {
        failed_attempts: Vec::new(),
        name: name.into(),
        classname: Some("tests/test_sales".into()),
        status,
        duration_ms: Some(1500),
        message: (status == TestStatus::Failed).then(|| format!("AssertionError: {name} | <bad>")),
        trace: (status == TestStatus::Failed).then(|| {
            "Traceback (most recent call last):\n  File \"x\", line 3\nAssertionError".into()
        }),
        location: line.map(|l| SourceLocation {
            file: "tests/test_sales.py".into(),
            line: l,
        }),
    }
}

pub fn sample() -> Report {
    Report {
        key: "tests".into(),
        title: "brickci test".into(),
        status: ReportStatus::Failure,
        target: Some("qa".into()),
        commit: Some("0123456789abcdef0123".into()),
        ci_run_url: Some("https://github.com/o/r/actions/runs/1".into()),
        plan: Some(PlanSummary {
            creates: 2,
            updates: 1,
            replaces: 0,
            deletes: 0,
            unchanged: 40,
            markdown: None,
        }),
        runs: vec![RunSummary {
            retried: false,
            name: "tests".into(),
            run_id: 77,
            url: Some("https://example.cloud.databricks.com/?o=1#job/1/run/77".into()),
            result_state: Some("FAILED".into()),
            duration_ms: Some(95_000),
            tasks: vec![
                TaskSummary {
                    key: "test_sales".into(),
                    result_state: Some("FAILED".into()),
                    start_ms: Some(1_700_000_000_000),
                    end_ms: Some(1_700_000_060_000),
                    error: None,
                },
                TaskSummary {
                    key: "test_orders".into(),
                    result_state: Some("SUCCESS".into()),
                    start_ms: Some(1_700_000_000_000),
                    end_ms: Some(1_700_000_030_000),
                    error: None,
                },
            ],
        }],
        tests: vec![TestSuite {
            name: "tests/test_sales".into(),
            format: ResultFormat::Nutter,
            cases: vec![
                case("totals", TestStatus::Passed, None),
                case("negative_amounts", TestStatus::Failed, Some(12)),
                case("later", TestStatus::Skipped, None),
            ],
        }],
    }
}

#[test]
fn markdown_report() {
    golden("report.md", &markdown::render(&sample()));
}

#[test]
fn replacements_get_their_own_column_when_there_are_any() {
    let mut r = sample();
    r.plan.as_mut().unwrap().replaces = 1;
    let md = markdown::render(&r);
    assert!(
        md.contains("| create | update | replace | delete | unchanged |\n|---:|---:|---:|---:|---:|\n| 2 | 1 | 1 | 0 | 40 |"),
        "{md}"
    );
    let old: PlanSummary =
        serde_json::from_str(r#"{"creates": 1, "updates": 0, "deletes": 0, "unchanged": 2}"#)
            .unwrap();
    assert_eq!(old.replaces, 0, "a report saved before replacements reads");
}

#[test]
fn sticky_comment_carries_its_marker() {
    let body = markdown::comment_body(&sample());
    assert!(body.starts_with("<!-- brickci:report:tests -->\n"));
}

#[test]
fn azure_devops_commands() {
    golden(
        "azure_devops.txt",
        &(azure_devops::logging_commands(&sample(), Some("/agent/_temp/brickci-junit.xml"))
            .join("\n")
            + "\n"),
    );
}

#[test]
fn junit_for_codebuild_and_azure_devops() {
    let xml = to_junit_xml(&sample().tests, "brickci");
    golden("junit.xml", &xml);
}

#[test]
fn check_run_annotations_come_in_batches_of_50() {
    let mut report = sample();
    report.tests[0].cases = (1..=120)
        .map(|i| case(&format!("t{i}"), TestStatus::Failed, Some(i)))
        .collect();
    let batches = check_run::batches(check_run::annotations(&report));
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![50, 50, 20]
    );
    assert_eq!(batches[2][19]["start_line"], 120);
    assert_eq!(batches[0][0]["annotation_level"], "failure");
    assert_eq!(batches[0][0]["path"], "tests/test_sales.py");
    let out = check_run::output(&report, batches[0].clone());
    assert!(out["summary"].as_str().unwrap().len() <= check_run::TEXT_LIMIT);
}

#[test]
fn report_json_round_trips() {
    let r = sample();
    let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}
