//! Folding a retried notebook's results into its earlier ones (`brickci test --retries`).
//!
//! A case is known by its class and name. The retry's cases are the suite from now on; a case
//! that failed before keeps that failure in `failed_attempts`, so one that passes now is
//! flaky and one that fails again shows every attempt. A failure the retry does not report
//! at all (the first attempt crashed before its tests ran) stays as its own case: passed
//! when the whole retry passed, failed otherwise.

use super::{FailedAttempt, TestCase, TestStatus, TestSuite};

/// Whether the notebook behind `suite` should run again.
pub fn needs_retry(suite: &TestSuite) -> bool {
    !suite.passed()
}

pub fn merge(earlier: TestSuite, retry: TestSuite) -> TestSuite {
    let same = |a: &TestCase, b: &TestCase| a.name == b.name && a.classname == b.classname;
    let retry_passed = retry.passed();
    let mut cases: Vec<TestCase> = retry.cases;
    for case in &mut cases {
        if let Some(before) = earlier.cases.iter().find(|b| same(b, case)) {
            case.failed_attempts = history(before);
        }
    }
    let unmatched: Vec<TestCase> = earlier
        .cases
        .into_iter()
        .filter(|b| b.status == TestStatus::Failed && !cases.iter().any(|c| same(c, b)))
        .map(|b| {
            if !retry_passed {
                return b;
            }
            TestCase {
                status: TestStatus::Passed,
                failed_attempts: history(&b),
                message: None,
                trace: None,
                ..b
            }
        })
        .collect();
    // Unmatched earlier failures first: they are what the reader is looking for.
    let mut merged = unmatched;
    merged.extend(cases);
    TestSuite {
        name: earlier.name,
        format: retry.format,
        cases: merged,
    }
}

/// The failed attempts of `case` so far, its latest one included when it failed.
fn history(case: &TestCase) -> Vec<FailedAttempt> {
    let mut attempts = case.failed_attempts.clone();
    if case.status == TestStatus::Failed {
        attempts.push(FailedAttempt {
            message: case.message.clone(),
            trace: case.trace.clone(),
        });
    }
    attempts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ResultFormat;

    fn case(name: &str, status: TestStatus, message: Option<&str>) -> TestCase {
        TestCase {
            name: name.into(),
            classname: Some("nb".into()),
            status,
            duration_ms: None,
            message: message.map(str::to_string),
            trace: None,
            location: None,
            failed_attempts: Vec::new(),
        }
    }

    fn suite(format: ResultFormat, cases: Vec<TestCase>) -> TestSuite {
        TestSuite {
            name: "tests/test_a.py".into(),
            format,
            cases,
        }
    }

    #[test]
    fn a_case_that_fails_then_passes_is_flaky_and_keeps_the_failure() {
        let first = suite(
            ResultFormat::Json,
            vec![
                case("t1", TestStatus::Passed, None),
                case("t2", TestStatus::Failed, Some("timeout")),
            ],
        );
        let retry = suite(
            ResultFormat::Json,
            vec![
                case("t1", TestStatus::Passed, None),
                case("t2", TestStatus::Passed, None),
            ],
        );
        let merged = merge(first, retry);
        assert!(merged.passed());
        assert_eq!(merged.flaky(), 1);
        let t2 = merged.cases.iter().find(|c| c.name == "t2").unwrap();
        assert!(t2.is_flaky());
        assert_eq!(t2.failed_attempts[0].message.as_deref(), Some("timeout"));
        assert!(
            !merged
                .cases
                .iter()
                .find(|c| c.name == "t1")
                .unwrap()
                .is_flaky()
        );
    }

    #[test]
    fn a_case_failing_every_attempt_fails_with_each_attempt_recorded() {
        let first = suite(
            ResultFormat::Json,
            vec![case("t", TestStatus::Failed, Some("first"))],
        );
        let second = suite(
            ResultFormat::Json,
            vec![case("t", TestStatus::Failed, Some("second"))],
        );
        let third = suite(
            ResultFormat::Json,
            vec![case("t", TestStatus::Failed, Some("third"))],
        );
        let merged = merge(merge(first, second), third);
        assert!(!merged.passed());
        assert_eq!(merged.flaky(), 0);
        let t = &merged.cases[0];
        assert_eq!(t.message.as_deref(), Some("third"));
        let earlier: Vec<_> = t
            .failed_attempts
            .iter()
            .map(|a| a.message.as_deref().unwrap())
            .collect();
        assert_eq!(earlier, ["first", "second"]);
    }

    #[test]
    fn a_crash_before_the_tests_ran_then_a_clean_retry_is_flaky_not_lost() {
        let crashed = suite(
            ResultFormat::RunResult,
            vec![case("tests/test_a.py", TestStatus::Failed, Some("OOM"))],
        );
        let retry = suite(
            ResultFormat::Json,
            vec![
                case("t1", TestStatus::Passed, None),
                case("t2", TestStatus::Passed, None),
            ],
        );
        let merged = merge(crashed, retry);
        assert_eq!(merged.format, ResultFormat::Json);
        assert_eq!(merged.cases.len(), 3);
        assert!(merged.passed());
        assert_eq!(merged.flaky(), 1);
        assert_eq!(merged.cases[0].name, "tests/test_a.py");
    }

    #[test]
    fn an_earlier_crash_stays_failed_when_the_retry_fails_too() {
        let crashed = suite(
            ResultFormat::RunResult,
            vec![case("tests/test_a.py", TestStatus::Failed, Some("OOM"))],
        );
        let retry = suite(
            ResultFormat::Json,
            vec![case("t1", TestStatus::Failed, Some("assert"))],
        );
        let merged = merge(crashed, retry);
        assert_eq!(merged.count(TestStatus::Failed), 2);
        assert!(needs_retry(&merged));
    }
}
