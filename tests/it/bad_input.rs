//! Bad values are exit 2, named, before any write: hosts, auth types, flag values and
//! bundles the API would refuse.

use std::path::Path;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

fn is_write(r: &brickci::emulator::RequestRecord) -> bool {
    !matches!(r.method.as_str(), "GET" | "HEAD") && !r.path.starts_with("/oidc/")
}

fn writes(emu: &TestEmulator) -> Vec<String> {
    emu.requests()
        .iter()
        .filter(|r| is_write(r))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_host_with_a_password_or_another_scheme_is_exit_2_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "http://ci:hunter2-pw@127.0.0.1:9",
        "https://hunter2-pw@127.0.0.1:9",
        "http://ci:hunter2-pw@127.0.0.1:notaport",
        "ftp://127.0.0.1:9",
        "file:///etc/passwd",
        "ws://127.0.0.1:9",
        "://127.0.0.1:9",
    ];
    for host in cases {
        for args in [&["auth", "check"][..], &["run", "--job-id", "1"][..]] {
            let out = brickci(
                args,
                &[("DATABRICKS_HOST", host), ("DATABRICKS_TOKEN", "dapi-x")],
                dir.path(),
            );
            let all = text(&out);
            assert_eq!(code(&out), 2, "{host} {args:?}:\n{all}");
            assert!(all.contains("DATABRICKS_HOST"), "{host}:\n{all}");
            assert!(
                !all.contains("hunter2-pw"),
                "{host}: password shown:\n{all}"
            );
        }
    }
}

#[test]
fn an_unknown_auth_type_is_exit_2_listing_every_method() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABRICKS_HOST", "http://127.0.0.1:9"),
        ("DATABRICKS_TOKEN", "dapi-x"),
    ];
    let by_flag = brickci(&["auth", "check", "--auth-type", "nope"], &env, dir.path());
    let mut by_var_env = env.to_vec();
    by_var_env.push(("DATABRICKS_AUTH_TYPE", "nope"));
    let by_var = brickci(&["auth", "check"], &by_var_env, dir.path());
    for out in [by_flag, by_var] {
        let all = text(&out);
        assert_eq!(code(&out), 2, "{all}");
        for m in brickci::auth::AUTH_METHODS {
            assert!(all.contains(m), "{m} listed:\n{all}");
        }
    }
}

/// A minimal bundle with one job whose tasks section is `tasks`.
fn bundle_with(dir: &Path, job: &str) {
    std::fs::write(
        dir.join("databricks.yml"),
        format!("bundle:\n  name: bad\nresources:\n  jobs:\n    j:\n{job}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("nb.py"),
        "# Databricks notebook source\nprint(1)\n",
    )
    .unwrap();
}

#[test]
fn bad_values_write_nothing() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    bundle_with(
        dir.path(),
        "      tasks:\n        - task_key: a\n          notebook_task: {notebook_path: ./nb.py}\n",
    );
    // Over the workspace import limit (10 MB): refused locally, not by the import.
    let mut big = b"# Databricks notebook source\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'#');
    std::fs::write(dir.path().join("big.py"), big).unwrap();
    let env = run_env(&emu);
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "--notebook", "nb.py", "--new-cluster", "[1]"],
            "--new-cluster",
        ),
        (
            &["run", "--notebook", "nb.py", "--new-cluster", "\"x\""],
            "--new-cluster",
        ),
        (
            &[
                "run",
                "--notebook",
                "nb.py",
                "--param",
                "a=1",
                "--param",
                "a=2",
            ],
            "--param",
        ),
        (&["deploy", "--var", "v=1", "--var", "v=2"], "--var"),
        (
            &["run", "--notebook", "nb.py", "--timeout", "2147483648"],
            "--timeout",
        ),
        (&["test", "nb.py", "--timeout", "99999999999"], "--timeout"),
        (
            &["run", "--notebook", "nb.py", "--workspace-dir", "Users/x"],
            "--workspace-dir",
        ),
        (
            &[
                "run",
                "--notebook",
                "nb.py",
                "--workspace-dir",
                "/Users/x/../../etc",
            ],
            "--workspace-dir",
        ),
        (&["test", "--new-cluster", "[]", "nb.py"], "--new-cluster"),
        (
            &["test", "--workspace-path", "/Users/nobody/missing_test"],
            "/Users/nobody/missing_test",
        ),
        (&["run", "--notebook", "big.py"], "big.py"),
        (&["test", "big.py"], "big.py"),
        (&["deploy"], "big.py"),
    ];
    for (args, name) in cases {
        let out = brickci(args, &as_refs(&env), dir.path());
        let all = text(&out);
        assert_eq!(code(&out), 2, "{args:?}:\n{all}");
        assert!(all.contains(name), "{args:?} names {name}:\n{all}");
    }
    assert_eq!(writes(&emu), Vec::<String>::new());
}

#[test]
fn a_403_on_a_write_is_exit_3_naming_the_permission() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    bundle_with(
        dir.path(),
        "      tasks:\n        - task_key: a\n          notebook_task: {notebook_path: ./nb.py}\n",
    );
    emu.fault("POST /api/2.0/workspace/import=403*100");
    let out = brickci(&["deploy"], &as_refs(&run_env(&emu)), dir.path());
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(all.contains("CAN_MANAGE on the workspace folder"), "{all}");
    let out = brickci(
        &["run", "--notebook", "nb.py"],
        &as_refs(&run_env(&emu)),
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(all.contains("lack a permission"), "{all}");
}

#[test]
fn what_the_api_would_refuse_is_reported_before_any_request() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let corpus = crate::common::repo().join("tests/fixtures/broken_bundles");
    let refused: [&[&str]; 2] = [&["validate"], &["deploy"]];
    // An unknown permission level only the API refuses: the CLI's validate passes it (a
    // warning here too), plan and deploy refuse it.
    let deploy_refused: [&[&str]; 3] = [&["validate", "--strict"], &["plan"], &["deploy"]];
    for (case, commands) in [
        ("51-duplicate-task-key", &refused[..]),
        ("52-depends-on-missing-task", &refused[..]),
        ("53-depends-on-loop", &refused[..]),
        ("55-unknown-permission-level", &deploy_refused[..]),
    ] {
        for command in commands {
            let out = brickci(command, &as_refs(&env), &corpus.join(case));
            assert_eq!(code(&out), 2, "{case} {command:?}:\n{}", text(&out));
        }
    }
    let sent: Vec<String> = emu.requests().iter().map(|r| r.path.clone()).collect();
    assert!(sent.is_empty(), "{sent:?}");
}

#[test]
fn all_of_a_bundles_mistakes_are_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    bundle_with(
        dir.path(),
        "      max_concurrent_runs: lots\n      permissions: [{level: CAN_FLY, user_name: a@b.c}]\n      tasks:\n        - task_key: a\n          depends_on: [{task_key: ghost}]\n          notebook_task: {notebook_path: ./nb.py}\n        - task_key: a\n          retry_on_timeout: sometimes\n          notebook_task: {notebook_path: ./nb.py}\n",
    );
    let out = brickci(
        &["validate"],
        &[
            ("DATABRICKS_HOST", "http://127.0.0.1:9"),
            ("DATABRICKS_TOKEN", "dapi-x"),
        ],
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    for want in [
        // Mistyped fields are left out with a warning, as the Databricks CLI leaves them out.
        "databricks.yml:6:28: warning: resources.jobs.j.max_concurrent_runs: must be a whole number; ignored",
        "warning: resources.jobs.j.tasks[1].retry_on_timeout: must be true or false; ignored",
        "resources.jobs.j.permissions[0].level: unknown permission level \"CAN_FLY\"",
        "resources.jobs.j.tasks[0].depends_on[0].task_key: no task \"ghost\"",
        "resources.jobs.j.tasks[1].task_key: \"a\" is used by another task too",
    ] {
        assert!(all.contains(want), "{want}:\n{all}");
    }
}
