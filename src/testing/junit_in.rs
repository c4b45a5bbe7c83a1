//! JUnit XML from any producer (pytest, nutter, JVM runners): `<testsuites>` or a single
//! `<testsuite>`, cases with `<failure>`, `<error>` or `<skipped>`.

use super::{ParseError, TestCase, TestStatus};

pub fn parse(xml: &str) -> Result<Vec<TestCase>, ParseError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| ParseError::Junit(e.to_string()))?;
    let root = doc.root_element();
    if !matches!(root.tag_name().name(), "testsuites" | "testsuite") {
        return Err(ParseError::Junit(format!(
            "root element is <{}>",
            root.tag_name().name()
        )));
    }
    let mut cases = Vec::new();
    for tc in root.descendants().filter(|n| n.has_tag_name("testcase")) {
        let name = tc.attribute("name").unwrap_or("unnamed").to_string();
        let child = |tag: &str| tc.children().find(|c| c.has_tag_name(tag));
        let problem = child("failure").or_else(|| child("error"));
        let (status, message, trace) = if let Some(p) = problem {
            let text = p
                .text()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
            let message = p.attribute("message").map(str::to_string).or_else(|| {
                text.as_ref()
                    .and_then(|t| t.lines().last().map(str::to_string))
            });
            (TestStatus::Failed, message, text)
        } else if let Some(s) = child("skipped") {
            (
                TestStatus::Skipped,
                s.attribute("message").map(str::to_string),
                None,
            )
        } else {
            (TestStatus::Passed, None, None)
        };
        cases.push(TestCase {
            failed_attempts: Vec::new(),
            name,
            classname: tc.attribute("classname").map(str::to_string),
            status,
            duration_ms: tc
                .attribute("time")
                .and_then(|t| t.parse::<f64>().ok())
                .map(|s| (s * 1000.0).round() as u64),
            message,
            trace,
            location: tc
                .attribute("file")
                .zip(tc.attribute("line").and_then(|l| l.parse().ok()))
                .map(|(f, l)| super::SourceLocation {
                    file: f.to_string(),
                    line: l,
                }),
        });
    }
    Ok(cases)
}
