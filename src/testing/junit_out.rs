//! JUnit XML for Azure DevOps `PublishTestResults`, CodeBuild reports, GitLab and others.

use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Report, TestCase as JCase, TestCaseStatus, TestRerun, TestSuite as JSuite,
};

use super::{FailedAttempt, TestStatus, TestSuite};

pub fn to_junit_xml(suites: &[TestSuite], name: &str) -> String {
    let mut report = Report::new(name);
    for suite in suites {
        let mut js = JSuite::new(suite.name.as_str());
        for case in &suite.cases {
            let status = match case.status {
                TestStatus::Passed => TestCaseStatus::success(),
                TestStatus::Skipped => {
                    let mut s = TestCaseStatus::skipped();
                    if let Some(m) = &case.message {
                        s.set_message(m.as_str());
                    }
                    s
                }
                TestStatus::Failed => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    if let Some(m) = &case.message {
                        s.set_message(m.as_str());
                    }
                    if let Some(t) = case.trace.as_ref().or(case.message.as_ref()) {
                        s.set_description(t.as_str());
                    }
                    s
                }
            };
            let mut status = status;
            // Earlier failed attempts: `flakyFailure` under a pass, `rerunFailure` under a
            // failure, as nextest and Surefire write them.
            status.add_reruns(case.failed_attempts.iter().map(rerun));
            let mut jc = JCase::new(case.name.as_str(), status);
            jc.set_classname(case.classname.as_deref().unwrap_or(suite.name.as_str()));
            if let Some(ms) = case.duration_ms {
                jc.set_time(Duration::from_millis(ms));
            }
            if let Some(loc) = &case.location {
                jc.extra.insert("file".into(), loc.file.as_str().into());
                jc.extra.insert("line".into(), loc.line.to_string().into());
            }
            js.add_test_case(jc);
        }
        report.add_test_suite(js);
    }
    report.to_string().unwrap_or_default()
}

fn rerun(attempt: &FailedAttempt) -> TestRerun {
    let mut r = TestRerun::new(NonSuccessKind::Failure);
    if let Some(m) = &attempt.message {
        r.set_message(m.as_str());
    }
    if let Some(t) = &attempt.trace {
        r.set_stack_trace(t.as_str());
    }
    r
}
