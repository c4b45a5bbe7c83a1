use super::*;

fn result<'a>(exit: Option<&'a str>, ok: bool) -> NotebookRunResult<'a> {
    NotebookRunResult {
        notebook: "/Repos/ci/tests/test_sales",
        exit_value: exit,
        truncated: false,
        run_succeeded: ok,
        result_state: if ok { "SUCCESS" } else { "FAILED" },
        error: (!ok).then_some("NameError: name 'spark' is not defined"),
        error_trace: (!ok).then_some("Traceback ...\nNameError"),
        duration_ms: Some(1200),
    }
}

#[test]
fn real_nutter_output_is_read_without_python() {
    let raw = include_str!("../../tests/fixtures/nutter_results.txt");
    let suite = parse_notebook_result(&result(Some(raw), true));
    assert_eq!(suite.format, ResultFormat::Nutter);
    let by_name = |n: &str| {
        suite
            .cases
            .iter()
            .find(|c| c.name == n)
            .unwrap_or_else(|| panic!("{n}: {suite:?}"))
    };
    assert_eq!(by_name("row_count").status, TestStatus::Passed);
    let neg = by_name("no_negative_amounts");
    assert_eq!(neg.status, TestStatus::Failed);
    assert_eq!(
        neg.message.as_deref(),
        Some("AssertionError: found a negative amount: -5")
    );
    assert!(neg.trace.as_deref().unwrap().contains("Traceback"));
    assert_eq!(
        by_name("schema").message.as_deref(),
        Some("KeyError: column 'region' is missing")
    );
    assert_eq!(suite.cases.len(), 3);
}

#[test]
fn json_form_and_its_mistakes() {
    let ok = r#"{"tests":[{"name":"a","status":"passed","duration_ms":5},{"name":"b","status":"failed","message":"boom"},{"name":"c","status":"skipped"}]}"#;
    let suite = parse_notebook_result(&result(Some(ok), true));
    assert_eq!(suite.format, ResultFormat::Json);
    assert_eq!(
        (
            suite.count(TestStatus::Passed),
            suite.count(TestStatus::Failed),
            suite.count(TestStatus::Skipped)
        ),
        (1, 1, 1)
    );
    let bad = r#"{"tests":[{"name":"a","status":"green"}]}"#;
    let suite = parse_notebook_result(&result(Some(bad), true));
    assert!(
        !suite.passed(),
        "an unreadable report is a failure, not a pass"
    );
    assert!(suite.cases[0].message.as_deref().unwrap().contains("green"));
    // A JSON exit value that is not a report is just an exit value.
    let plain = parse_notebook_result(&result(Some(r#"{"rows": 5}"#), true));
    assert_eq!(plain.format, ResultFormat::RunResult);
    assert!(plain.passed());
}

#[test]
fn pytest_junit_xml() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="3"><testcase classname="tests.test_math" name="test_add" time="0.001"/><testcase classname="tests.test_math" name="test_div" time="0.002"><failure message="ZeroDivisionError: division by zero">def test_div():
&gt;       1 / 0
E       ZeroDivisionError: division by zero</failure></testcase><testcase classname="tests.test_math" name="test_skip" time="0"><skipped message="not today"/></testcase></testsuite></testsuites>"#;
    let suite = parse_notebook_result(&result(Some(xml), true));
    assert_eq!(suite.format, ResultFormat::Junit);
    assert_eq!(suite.cases[1].status, TestStatus::Failed);
    assert_eq!(
        suite.cases[1].message.as_deref(),
        Some("ZeroDivisionError: division by zero")
    );
    assert_eq!(suite.cases[2].status, TestStatus::Skipped);
    assert_eq!(suite.cases[0].classname.as_deref(), Some("tests.test_math"));
}

#[test]
fn never_a_silent_pass() {
    let crashed = parse_notebook_result(&result(None, false));
    assert!(!crashed.passed());
    assert!(
        crashed.cases[0]
            .message
            .as_deref()
            .unwrap()
            .contains("NameError")
    );
    assert!(crashed.cases[0].trace.is_some());
    let truncated = NotebookRunResult {
        truncated: true,
        ..result(Some(r#"{"tests":[{"name":"a","sta"#), true)
    };
    let suite = parse_notebook_result(&truncated);
    assert!(!suite.passed());
    assert!(
        suite.cases[0]
            .message
            .as_deref()
            .unwrap()
            .contains("truncated")
    );
    let garbled_nutter = parse_notebook_result(&result(Some("gASVnotbase64!!"), true));
    assert!(!garbled_nutter.passed());
    let reported_then_failed = parse_notebook_result(&result(
        Some(r#"{"tests":[{"name":"a","status":"passed"}]}"#),
        false,
    ));
    assert!(!reported_then_failed.passed());
    let no_report_ok = parse_notebook_result(&result(None, true));
    assert!(no_report_ok.passed());
    assert_eq!(no_report_ok.cases[0].name, "test_sales");
}

#[test]
fn failures_are_located_in_the_notebook() {
    let source = "# Databricks notebook source\nclass T(NutterFixture):\n    def assertion_total(self):\n        total = 3\n        assert total == 4, 'bad total'\n\n    def assertion_other(self):\n        assert False\n";
    let mut suite = TestSuite {
        name: "nb".into(),
        format: ResultFormat::Nutter,
        cases: vec![
            TestCase {
                failed_attempts: Vec::new(),
                name: "total".into(),
                classname: None,
                status: TestStatus::Failed,
                duration_ms: None,
                message: Some("AssertionError: bad total".into()),
                trace: Some("Traceback (most recent call last):\n  File \"<command-1>\", line 4, in assertion_total\n    assert total == 4, 'bad total'\nAssertionError: bad total".into()),
                location: None,
            },
            TestCase {
                failed_attempts: Vec::new(),
                name: "other".into(),
                classname: None,
                status: TestStatus::Failed,
                duration_ms: None,
                message: None,
                trace: None,
                location: None,
            },
        ],
    };
    locate_failures(&mut suite, source, "tests/test_totals.py");
    assert_eq!(
        suite.cases[0].location,
        Some(SourceLocation {
            file: "tests/test_totals.py".into(),
            line: 5
        })
    );
    assert_eq!(suite.cases[1].location.as_ref().map(|l| l.line), Some(7));
}

#[test]
fn junit_output_round_trips_through_the_reader() {
    let raw = include_str!("../../tests/fixtures/nutter_results.txt");
    let suite = parse_notebook_result(&result(Some(raw), true));
    let xml = to_junit_xml(std::slice::from_ref(&suite), "brickci");
    let back = junit_in::parse(&xml).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(
        back.iter()
            .filter(|c| c.status == TestStatus::Failed)
            .count(),
        2
    );
    assert!(xml.contains("found a negative amount"));
}

#[test]
fn a_shared_reference_pickle_bomb_is_a_failed_case_with_the_reason() {
    use base64::Engine;
    for depth in [20, 30, 39] {
        let raw = base64::engine::general_purpose::STANDARD.encode(super::pickle::bomb(depth));
        let suite = parse_notebook_result(&result(Some(&raw), true));
        assert_eq!(suite.format, ResultFormat::Nutter, "depth {depth}");
        assert_eq!(suite.cases.len(), 1, "depth {depth}: {suite:?}");
        let case = &suite.cases[0];
        assert_eq!(case.status, TestStatus::Failed);
        let message = case.message.as_deref().unwrap_or_default();
        assert!(message.contains("expands to more than"), "{message}");
    }
}
