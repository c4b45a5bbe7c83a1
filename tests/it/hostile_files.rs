//! Files a pull request controls cannot smuggle other files out: a symlink in any role
//! (notebook, requirements file, include match, sync file, test glob match) that resolves
//! outside the bundle or into /proc is refused with exit 2, naming it, before any request,
//! and the secret behind it reaches no request and no output.

use std::path::Path;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

/// Listed in tests/fixtures/test-secrets.txt.
const SECRET: &str = "hostile-fake-secret-5150";

const NB: &str = "# Databricks notebook source\nprint('hi')\n";

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn link(dir: &Path, rel: &str, target: &Path) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&p);
    std::os::unix::fs::symlink(target, p).unwrap();
}

/// A bundle whose every role is a plain file, and a folder outside it holding the secret
/// in the shapes each role would read.
fn bundle() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "databricks.yml",
        "bundle:\n  name: hostile\ninclude:\n  - conf/*.yml\nresources:\n  jobs:\n    j:\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: ./nb.py\n          libraries:\n            - requirements: ./req.txt\n",
    );
    write(dir.path(), "nb.py", NB);
    write(dir.path(), "req.txt", "requests\n");
    write(
        dir.path(),
        "conf/a.yml",
        "variables:\n  v:\n    default: x\n",
    );
    write(dir.path(), "data/plain.txt", "plain\n");
    write(
        outside.path(),
        "secret.py",
        &format!("# Databricks notebook source\n{SECRET}\n"),
    );
    write(
        outside.path(),
        "secret.yml",
        &format!("variables:\n  leak:\n    default: {SECRET}\n"),
    );
    (dir, outside)
}

/// Runs `args` in `dir` with the secret also in the environment (so /proc/self/environ holds
/// it) and checks the refusal: exit 2, `name` in the message, not one request sent (so no
/// write), no secret in any request or in the output.
fn assert_refused(emu: &TestEmulator, dir: &Path, args: &[&str], name: &str) {
    let mut env = run_env(emu);
    env.push(("HOSTILE_SECRET".into(), SECRET.into()));
    let before = emu.requests().len();
    let out = brickci(args, &as_refs(&env), dir);
    let all = text(&out);
    assert_eq!(code(&out), 2, "{args:?} with {name}:\n{all}");
    assert!(all.contains(name), "the message names {name}:\n{all}");
    let requests = emu.requests();
    let sent: Vec<_> = requests.iter().skip(before).map(|r| &r.path).collect();
    assert!(sent.is_empty(), "{name}: no request at all: {sent:?}");
    for r in &requests {
        let seen = format!("{} {} {}", r.path, r.query, r.body);
        assert!(!seen.contains(SECRET), "{name}: secret sent: {seen}");
        assert!(
            !seen.contains("DATABRICKS_TOKEN="),
            "{name}: environ sent: {seen}"
        );
    }
    for leaked in [SECRET, crate::common::TOKEN] {
        assert!(!all.contains(leaked), "{name}: {leaked} printed:\n{all}");
    }
}

#[test]
fn symlinks_out_of_the_bundle_are_refused_in_every_role() {
    let emu = TestEmulator::fast();
    // (the link inside the bundle, what it points at in the outside folder)
    let roles = [
        ("nb.py", "secret.py"),
        ("req.txt", "secret.py"),
        ("conf/a.yml", "secret.yml"),
        ("data/leak.txt", "secret.py"),
    ];
    for (rel, target) in roles {
        for to_proc in [false, true] {
            let (dir, outside) = bundle();
            let to = if to_proc {
                Path::new("/proc/self/environ").to_path_buf()
            } else {
                outside.path().join(target)
            };
            link(dir.path(), rel, &to);
            for command in ["deploy", "plan", "validate"] {
                assert_refused(&emu, dir.path(), &[command], rel);
            }
        }
    }
    // Nothing any request carried holds the secret or the workspace files.
    let tree = format!("{:?}", emu.requests());
    assert!(!tree.contains(SECRET));
}

#[test]
fn a_fifo_in_the_bundle_is_named_not_opened() {
    let emu = TestEmulator::fast();
    let (dir, _outside) = bundle();
    let fifo = dir.path().join("data/pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    // A blocking open would hang here; the walk names it instead.
    assert_refused(&emu, dir.path(), &["deploy"], "data/pipe");
}

#[test]
fn a_link_inside_the_bundle_is_uploaded_as_its_file() {
    let emu = TestEmulator::fast();
    let (dir, _outside) = bundle();
    link(dir.path(), "data/again.txt", Path::new("plain.txt"));
    let env = run_env(&emu);
    let out = brickci(&["deploy"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let uploaded: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/api/2.0/workspace/import")
        .filter_map(|r| r.body["path"].as_str().map(str::to_string))
        .collect();
    assert!(
        uploaded.iter().any(|p| p.ends_with("/data/again.txt")),
        "{uploaded:?}"
    );
}

#[test]
fn test_glob_matches_out_of_the_working_directory_are_refused() {
    let emu = TestEmulator::fast();
    for to_proc in [false, true] {
        let (dir, outside) = bundle();
        let to = if to_proc {
            Path::new("/proc/self/environ").to_path_buf()
        } else {
            outside.path().join("secret.py")
        };
        write(dir.path(), "tests/test_ok.py", NB);
        link(dir.path(), "tests/test_evil.py", &to);
        assert_refused(
            &emu,
            dir.path(),
            &["test", "tests/*.py"],
            "tests/test_evil.py",
        );
    }
}
