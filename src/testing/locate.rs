//! Pins failed tests to a line of the notebook's source, for annotations: the failing line
//! named in the trace when it points into this notebook, else the test's `def`.

use super::{SourceLocation, TestStatus, TestSuite};

pub fn locate_failures(suite: &mut TestSuite, notebook_source: &str, source_path: &str) {
    for case in suite
        .cases
        .iter_mut()
        .filter(|c| c.status == TestStatus::Failed && c.location.is_none())
    {
        let from_trace = case
            .trace
            .as_deref()
            .and_then(|t| line_in_trace(t, &case.name, notebook_source));
        let line = from_trace.or_else(|| def_line(notebook_source, &case.name));
        if let Some(line) = line {
            case.location = Some(SourceLocation {
                file: source_path.to_string(),
                line,
            });
        }
    }
}

/// The `def` of a test: nutter names `assertion_x` as `x`; pytest-style `test_x` as is.
fn def_line(source: &str, name: &str) -> Option<u32> {
    let candidates = [
        format!("def {name}("),
        format!("def assertion_{name}("),
        format!("def test_{name}("),
    ];
    source
        .lines()
        .position(|l| {
            candidates
                .iter()
                .any(|c| l.trim_start().starts_with(c.as_str()))
        })
        .map(|i| i as u32 + 1)
}

/// A `line N, in <function>` frame of the test whose line holds the same code in the source.
fn line_in_trace(trace: &str, name: &str, source: &str) -> Option<u32> {
    let lines: Vec<&str> = trace.lines().collect();
    let src: Vec<&str> = source.lines().collect();
    for (i, l) in lines.iter().enumerate().rev() {
        let Some(rest) = l.trim().strip_prefix("File ") else {
            continue;
        };
        let Some(func) = rest.rsplit(", in ").next() else {
            continue;
        };
        if !(func == name || func == format!("assertion_{name}") || func == format!("test_{name}"))
        {
            continue;
        }
        let n: u32 = rest
            .split(", line ")
            .nth(1)?
            .split(',')
            .next()?
            .trim()
            .parse()
            .ok()?;
        // Trust the number only when the code shown under it is on that line of our source.
        let code = lines.get(i + 1).map(|c| c.trim()).unwrap_or("");
        if src
            .get(n as usize - 1)
            .is_some_and(|s| !code.is_empty() && s.trim() == code)
        {
            return Some(n);
        }
        return src
            .iter()
            .position(|s| !code.is_empty() && s.trim() == code)
            .map(|p| p as u32 + 1);
    }
    None
}
