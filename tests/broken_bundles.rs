//! The corpus of broken bundles (tests/fixtures/broken_bundles): each one is refused by
//! validate, plan and deploy with exit code 2, its place and key named, and no write sent.

mod common;

use common::{TestEmulator, as_refs, brickci, code, run_env, text};

#[test]
fn every_broken_bundle_is_refused_with_its_place_and_nothing_written() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let corpus = common::repo().join("tests/fixtures/broken_bundles");
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
        let expect = std::fs::read_to_string(case.join("expect.txt"))
            .unwrap_or_else(|_| panic!("{name}: no expect.txt"));
        let expect = expect.trim_end();
        let extra: Vec<String> = std::fs::read_to_string(case.join("args.txt"))
            .map(|a| a.lines().map(str::to_string).collect())
            .unwrap_or_default();
        for command in ["validate", "plan", "deploy"] {
            let mut args = vec![command];
            args.extend(extra.iter().map(String::as_str));
            let out = brickci(&args, &as_refs(&env), case);
            let all = text(&out);
            let first = all
                .lines()
                .skip_while(|l| !l.ends_with("the bundle configuration is invalid:"))
                .nth(1)
                .unwrap_or_default();
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
