//! Bundles shaped like the ones users already have (tests/fixtures/real_shaped): each one
//! validates, deploys to the emulator, and a second deploy writes nothing.

use crate::common::{TestEmulator, as_refs, brickci, code, copy_tree, repo, run_env, text};

fn writes(emu: &TestEmulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn every_real_shaped_bundle_validates_deploys_and_redeploys_without_writes() {
    let corpus = repo().join("tests/fixtures/real_shaped");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 2, "the corpus holds {} bundles", cases.len());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let emu = TestEmulator::fast();
        let env = run_env(&emu);
        let dir = tempfile::tempdir().unwrap();
        copy_tree(case, dir.path());
        let out = brickci(&["validate"], &as_refs(&env), dir.path());
        assert_eq!(code(&out), 0, "{name}: validate\n{}", text(&out));
        let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), dir.path());
        assert_eq!(code(&out), 0, "{name}: deploy\n{}", text(&out));
        let first = writes(&emu);
        assert!(
            first.iter().any(|w| w.contains("/jobs/create")),
            "{name}: the first deploy created no job: {first:?}"
        );
        let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), dir.path());
        assert_eq!(code(&out), 0, "{name}: second deploy\n{}", text(&out));
        let again: Vec<String> = writes(&emu).into_iter().skip(first.len()).collect();
        assert!(
            again.is_empty(),
            "{name}: the second deploy wrote {again:?}"
        );
    }
}
