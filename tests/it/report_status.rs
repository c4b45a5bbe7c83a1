//! `brickci report` takes its verdict from the saved cases and runs, never from the saved
//! `status` field: an edited "success" over a failed case still fails.

use crate::common::{brickci, code, text};
use brickci::report::{Report, ReportStatus, RunSummary};
use brickci::testing::{ResultFormat, TestCase, TestStatus, TestSuite};

fn case(name: &str, status: TestStatus) -> TestCase {
    TestCase {
        failed_attempts: Vec::new(),
        name: name.into(),
        classname: None,
        status,
        duration_ms: None,
        message: None,
        trace: None,
        location: None,
    }
}

fn report(saved: ReportStatus, cases: Vec<TestCase>, run_state: Option<&str>) -> Report {
    Report {
        key: "tests".into(),
        title: "brickci tests".into(),
        status: saved,
        target: None,
        commit: None,
        ci_run_url: None,
        plan: None,
        runs: run_state
            .map(|s| RunSummary {
                retried: false,
                name: "tests".into(),
                run_id: 1,
                url: None,
                result_state: Some(s.into()),
                duration_ms: None,
                tasks: Vec::new(),
            })
            .into_iter()
            .collect(),
        tests: vec![TestSuite {
            name: "suite".into(),
            format: ResultFormat::Json,
            cases,
        }],
    }
}

fn exit_of(r: &Report) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, serde_json::to_string(r).unwrap()).unwrap();
    let out = brickci(&["report", path.to_str().unwrap()], &[], dir.path());
    (code(&out), text(&out))
}

#[test]
fn the_verdict_comes_from_the_cases_and_runs() {
    use ReportStatus::*;
    use TestStatus::*;
    let cases = [
        // (saved status, cases, run state, expected exit)
        (
            Success,
            vec![case("a", Passed), case("b", Failed)],
            Some("SUCCESS"),
            1,
        ),
        (Success, vec![case("a", Passed)], Some("FAILED"), 1),
        (Failure, vec![], None, 0),
        (Success, vec![case("a", Passed)], Some("CANCELED"), 1),
        (Failure, vec![case("a", Passed)], Some("SUCCESS"), 0),
        (
            Cancelled,
            vec![case("a", Passed), case("s", Skipped)],
            Some("SUCCESS"),
            0,
        ),
    ];
    for (saved, cases, run, want) in cases {
        let r = report(saved, cases.clone(), run);
        let (got, out) = exit_of(&r);
        assert_eq!(
            got, want,
            "saved {saved:?}, cases {cases:?}, run {run:?}:\n{out}"
        );
    }
}
