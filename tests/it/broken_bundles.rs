//! The corpus of broken bundles (tests/fixtures/broken_bundles): each one is refused by
//! validate, plan and deploy with exit code 2, its place and key named, and no write sent.
//! A case the Databricks CLI accepts with a warning (`warning.txt`) validates and plans with
//! exit code 0 and the warnings on stderr, and is refused under `--strict`. A case only the
//! API or the build refuses (`refused_at_deploy.txt`) validates with that warning and is
//! refused by plan and deploy before any request.

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

#[test]
fn every_broken_bundle_is_refused_with_its_place_and_nothing_written() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let corpus = crate::common::repo().join("tests/fixtures/broken_bundles");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "the corpus holds {} bundles",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let extra: Vec<String> = std::fs::read_to_string(case.join("args.txt"))
            .map(|a| a.lines().map(str::to_string).collect())
            .unwrap_or_default();
        if let Ok(warnings) = std::fs::read_to_string(case.join("warning.txt")) {
            failures.extend(warning_case(&name, case, &warnings, &extra, &env));
            continue;
        }
        if let Ok(refusal) = std::fs::read_to_string(case.join("refused_at_deploy.txt")) {
            failures.extend(deploy_refusal_case(
                &name,
                case,
                refusal.trim_end(),
                &extra,
                (&emu, &env),
            ));
            continue;
        }
        let expect = std::fs::read_to_string(case.join("expect.txt"))
            .unwrap_or_else(|_| panic!("{name}: no expect.txt"));
        let expect = expect.trim_end();
        for command in ["validate", "plan", "deploy"] {
            let mut args = vec![command];
            args.extend(extra.iter().map(String::as_str));
            let out = brickci(&args, &as_refs(&env), case);
            let first = first_error(&out);
            if code(&out) != 2 || first != expect {
                failures.push(format!(
                    "{name} ({command}): exit {}, first error {first:?}, expected {expect:?}\n{}",
                    code(&out),
                    text(&out)
                ));
            }
        }
    }
    let writes: Vec<String> = emu
        .requests()
        .into_iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        writes.is_empty(),
        "broken bundles caused writes: {writes:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The line after `the bundle configuration is invalid:`.
fn first_error(out: &std::process::Output) -> String {
    text(out)
        .lines()
        .skip_while(|l| !l.ends_with("the bundle configuration is invalid:"))
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// `warnings` (one `file:line:col: key: message` a line) are printed as
/// `file:line:col: warning: key: message` by validate and plan, which pass; under
/// `--strict` validate and deploy fail on the first one before any request.
fn warning_case(
    name: &str,
    case: &std::path::Path,
    warnings: &str,
    extra: &[String],
    env: &[(String, String)],
) -> Vec<String> {
    let mut failures = Vec::new();
    let shown: Vec<String> = warnings
        .lines()
        .map(|w| {
            let mut parts = w.splitn(4, ':');
            let place: Vec<&str> = parts.by_ref().take(3).collect();
            format!(
                "{}: warning:{}",
                place.join(":"),
                parts.next().unwrap_or_default()
            )
        })
        .collect();
    for command in ["validate", "plan"] {
        let mut args = vec![command];
        args.extend(extra.iter().map(String::as_str));
        let out = brickci(&args, &as_refs(env), case);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let missing: Vec<&String> = shown
            .iter()
            .filter(|w| stderr.lines().filter(|l| l == w).count() != 1)
            .collect();
        if code(&out) != 0 || !missing.is_empty() {
            failures.push(format!(
                "{name} ({command}): exit {}, warnings not shown once: {missing:?}\n{}",
                code(&out),
                text(&out)
            ));
        }
    }
    let first = warnings.lines().next().unwrap_or_default();
    for command in ["validate", "deploy"] {
        let mut args = vec![command, "--strict"];
        args.extend(extra.iter().map(String::as_str));
        let out = brickci(&args, &as_refs(env), case);
        if code(&out) != 2 || first_error(&out) != first {
            failures.push(format!(
                "{name} ({command} --strict): exit {}, first error {:?}, expected {first:?}\n{}",
                code(&out),
                first_error(&out),
                text(&out)
            ));
        }
    }
    failures
}

/// What the Databricks CLI's validate passes and its deploy fails on: `validate` exits 0
/// with `refusal` shown once as a warning (and fails under `--strict`); plan and deploy exit
/// 2 with it as the first error, before any API request.
fn deploy_refusal_case(
    name: &str,
    case: &std::path::Path,
    refusal: &str,
    extra: &[String],
    (emu, env): (&TestEmulator, &[(String, String)]),
) -> Vec<String> {
    let api_calls = || {
        emu.requests()
            .iter()
            .filter(|r| r.path.starts_with("/api/"))
            .count()
    };
    let mut failures = Vec::new();
    let mut parts = refusal.splitn(4, ':');
    let place: Vec<&str> = parts.by_ref().take(3).collect();
    let shown = format!(
        "{}: warning:{}",
        place.join(":"),
        parts.next().unwrap_or_default()
    );
    let run = |words: &[&str]| {
        let mut args = words.to_vec();
        args.extend(extra.iter().map(String::as_str));
        brickci(&args, &as_refs(env), case)
    };
    let out = run(&["validate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if code(&out) != 0 || stderr.lines().filter(|l| *l == shown).count() != 1 {
        failures.push(format!(
            "{name} (validate): exit {}, warning {shown:?} not shown once\n{}",
            code(&out),
            text(&out)
        ));
    }
    for words in [&["validate", "--strict"][..], &["plan"], &["deploy"]] {
        let before = api_calls();
        let out = run(words);
        let requests = api_calls() - before;
        if words[0] != "validate" && requests != 0 {
            failures.push(format!(
                "{name} ({}): {requests} API requests before the refusal",
                words.join(" ")
            ));
        }
        if code(&out) != 2 || first_error(&out) != refusal {
            failures.push(format!(
                "{name} ({}): exit {}, first error {:?}, expected {refusal:?}\n{}",
                words.join(" "),
                code(&out),
                first_error(&out),
                text(&out)
            ));
        }
    }
    failures
}
