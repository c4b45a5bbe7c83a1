//! Deploys and runs under a workspace that misbehaves at random but replayably (seeded
//! shares of 5xx, 429 with Retry-After, dropped connections, and writes whose answer is
//! lost): every object ends up present exactly once, the state agrees, and a redeploy
//! writes nothing; a run is never started twice.

use crate::common::*;
use brickci::emulator::{EmulatorConfig, FaultRule};
use serde_json::Value;

const NOTEBOOKS: usize = 1_000;
const FOLDERS: usize = 20;
const JOBS: usize = 20;

fn rules(specs: &[&str]) -> Vec<FaultRule> {
    specs
        .iter()
        .map(|r| r.parse::<FaultRule>().expect("a fault rule"))
        .collect()
}

fn faulty(seed: u64, specs: &[&str]) -> TestEmulator {
    TestEmulator::start(EmulatorConfig {
        clock_speed: 50.0,
        faults: rules(specs),
        fault_seed: seed,
        ..EmulatorConfig::default()
    })
}

/// The test's own checks see the workspace as it is, without faults.
fn calm(emu: &TestEmulator) {
    emu.handle.as_ref().unwrap().clear_faults();
}

fn storm(emu: &TestEmulator, specs: &[&str]) {
    for r in rules(specs) {
        emu.handle.as_ref().unwrap().add_fault(r);
    }
}

/// 1,000 notebooks in 20 folders and 20 jobs, each job running one of them.
fn big_bundle(dir: &std::path::Path) {
    let mut yaml = String::from("bundle:\n  name: big\nresources:\n  jobs:\n");
    for j in 0..JOBS {
        yaml.push_str(&format!(
            "    job_{j}:\n      name: job-{j}\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: ./src/f{}/nb_{j}.py\n",
            j % FOLDERS
        ));
    }
    yaml.push_str("targets:\n  dev:\n    default: true\n");
    std::fs::write(dir.join("databricks.yml"), yaml).unwrap();
    for i in 0..NOTEBOOKS {
        let folder = dir.join(format!("src/f{}", i % FOLDERS));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join(format!("nb_{i}.py")),
            format!("# Databricks notebook source\nprint({i})\n"),
        )
        .unwrap();
    }
}

fn deploy(emu: &TestEmulator, dir: &std::path::Path) -> std::process::Output {
    let mut env = run_env(emu);
    env.push(("BRICKCI_RETRY_TIMEOUT".into(), "600".into()));
    brickci(&["deploy", "--auto-approve"], &as_refs(&env), dir)
}

/// Every notebook in the workspace under the bundle's files folder.
fn notebooks(emu: &TestEmulator) -> Vec<String> {
    let root = "/Workspace/Users/ci-bot@example.com/.bundle/big/dev/files/src";
    let mut found = Vec::new();
    for f in 0..FOLDERS {
        let list = emu.get_json(&format!("/api/2.0/workspace/list?path={root}/f{f}"));
        for o in list["objects"].as_array().cloned().unwrap_or_default() {
            found.push(o["path"].as_str().unwrap_or_default().to_string());
        }
    }
    found.sort();
    found
}

fn job_names(emu: &TestEmulator) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = String::new();
    for _ in 0..20 {
        let page = emu.get_json(&format!("/api/2.2/jobs/list?limit=100&page_token={token}"));
        for j in page["jobs"].as_array().cloned().unwrap_or_default() {
            names.push(
                j["settings"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        match page["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_string(),
            _ => break,
        }
    }
    names.sort();
    names
}

fn writes(emu: &TestEmulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.method == "POST" || r.method == "PUT" || r.method == "DELETE")
        .filter(|r| {
            !r.path.contains("/state/")
                && r.body["path"]
                    .as_str()
                    .is_none_or(|p| !p.contains("/state/"))
        })
        .count()
}

#[test]
fn a_big_deploy_under_faults_lands_every_object_once_and_a_redeploy_writes_nothing() {
    const FAULTS: &[&str] = &[
        "*=503@10%",
        "*=429:retry-after=1@2%",
        "*=drop@1%",
        "POST */workspace/import=drop-after-apply@1%",
        "POST */jobs/create=drop-after-apply@10%",
    ];
    let emu = faulty(7, FAULTS);
    let dir = tempfile::tempdir().unwrap();
    big_bundle(dir.path());
    let out = deploy(&emu, dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let faults = emu.requests().iter().filter(|r| r.fault.is_some()).count();
    assert!(faults > 100, "the faults took effect: {faults}");
    calm(&emu);

    let nbs = notebooks(&emu);
    assert_eq!(nbs.len(), NOTEBOOKS, "each notebook once");
    let mut unique = nbs.clone();
    unique.dedup();
    assert_eq!(unique.len(), NOTEBOOKS);
    let jobs = job_names(&emu);
    let expected: Vec<String> = {
        let mut v: Vec<String> = (0..JOBS).map(|j| format!("job-{j}")).collect();
        v.sort();
        v
    };
    assert_eq!(
        jobs, expected,
        "each job exactly once, even after lost create answers"
    );

    // The state names the jobs that exist; a redeploy, faults still on, writes nothing.
    let before = writes(&emu);
    storm(&emu, FAULTS);
    let again = deploy(&emu, dir.path());
    calm(&emu);
    assert_eq!(code(&again), 0, "{}", text(&again));
    assert!(
        text(&again).contains("nothing to deploy"),
        "{}",
        text(&again)
    );
    assert_eq!(writes(&emu) - before, 0, "the redeploy wrote something");
    assert_eq!(job_names(&emu), expected);
}

#[test]
fn a_run_is_never_started_twice_when_answers_are_lost() {
    let emu = faulty(
        11,
        &[
            "*=503@10%",
            "POST */jobs/runs/submit=drop-after-apply@50%",
            "POST */jobs/run-now=drop-after-apply@50%",
            "*=drop@2%",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "check.py", "dbutils.notebook.exit('ok')\n");
    let env = run_env(&emu);
    for _ in 0..5 {
        let out = brickci(
            &[
                "run",
                "--notebook",
                nb.to_str().unwrap(),
                "--cluster-id",
                "0101-abc",
            ],
            &as_refs(&env),
            dir.path(),
        );
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    calm(&emu);
    let runs: Value = emu.get_json("/api/2.2/jobs/runs/list?limit=25");
    let started = runs["runs"].as_array().map_or(0, Vec::len);
    assert_eq!(started, 5, "five runs asked for, five started: {runs}");
}

/// Two deploys of the example bundle started together; `lock_timeout` for both. The job
/// create is slowed down so the first to take the lock holds it while the other asks.
fn two_deploys_at_once(
    emu: &TestEmulator,
    dir: &std::path::Path,
    lock_timeout: &str,
) -> [std::process::Output; 2] {
    let mut env = run_env(emu);
    env.push(("BRICKCI_LOCK_TIMEOUT".into(), lock_timeout.into()));
    let env = as_refs(&env);
    std::thread::scope(|s| {
        let a = s.spawn(|| brickci(&["deploy", "--auto-approve"], &env, dir));
        let b = s.spawn(|| brickci(&["deploy", "--auto-approve"], &env, dir));
        [a.join().unwrap(), b.join().unwrap()]
    })
}

const EXAMPLE_STATE: &str =
    "/Workspace/Users/ci-bot@example.com/.bundle/shop/dev/state/brickci-state.json";

fn example_state(emu: &TestEmulator) -> Value {
    emu.get_json(&format!(
        "/api/2.0/workspace/export?path={EXAMPLE_STATE}&direct_download=true"
    ))
}

/// What a deploy of the example leaves: the state names one job, which exists, under the
/// name the bundle gives it; no lock is left behind; a redeploy writes nothing.
fn assert_one_clean_deployment(emu: &TestEmulator, dir: &std::path::Path) {
    let st = example_state(emu);
    let id = st["resources"]["jobs"]["nightly"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the state names the job: {st}"));
    let job = emu.get_json(&format!("/api/2.2/jobs/get?job_id={id}"));
    assert_eq!(
        job["settings"]["name"], "[dev ci_bot] shop nightly",
        "{job}"
    );
    assert_eq!(
        job_names(emu),
        vec!["[dev ci_bot] shop nightly".to_string()],
        "one job, not two"
    );
    let lock = emu.get_json(
        "/api/2.0/workspace/get-status?path=/Workspace/Users/ci-bot@example.com/.bundle/shop/dev/state/deploy.lock",
    );
    assert_eq!(
        lock["error_code"], "RESOURCE_DOES_NOT_EXIST",
        "the lock is released: {lock}"
    );
    let before = writes(emu);
    let again = deploy(emu, dir);
    assert_eq!(code(&again), 0, "{}", text(&again));
    assert!(
        text(&again).contains("nothing to deploy"),
        "{}",
        text(&again)
    );
    assert_eq!(writes(emu) - before, 0, "the redeploy wrote something");
}

#[test]
fn two_deploys_at_once_without_waiting_one_fails_on_the_lock_and_the_other_deploys() {
    let emu = TestEmulator::fast();
    emu.fault("POST */jobs/create=latency:3000");
    let dir = example();
    let outs = two_deploys_at_once(&emu, dir.path(), "0");
    let codes: Vec<i32> = outs.iter().map(code).collect();
    let both = format!("{}\n----\n{}", text(&outs[0]), text(&outs[1]));
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, vec![0, 2], "one deploys, one is refused: {both}");
    let refused = &outs[codes.iter().position(|c| *c == 2).unwrap()];
    let said = text(refused);
    assert!(
        said.contains("the deploy lock /Workspace/Users/ci-bot@example.com/.bundle/shop/dev/state/deploy.lock is held by ci-bot@example.com since"),
        "{said}"
    );
    assert!(said.contains("--lock-timeout"), "{said}");
    emu.handle.as_ref().unwrap().clear_faults();
    assert_one_clean_deployment(&emu, dir.path());
}

#[test]
fn two_deploys_at_once_with_a_wait_both_succeed_and_the_second_finds_nothing_to_do() {
    let emu = TestEmulator::fast();
    emu.fault("POST */jobs/create=latency:3000");
    let dir = example();
    let outs = two_deploys_at_once(&emu, dir.path(), "120");
    let both = format!("{}\n----\n{}", text(&outs[0]), text(&outs[1]));
    assert_eq!(code(&outs[0]), 0, "{both}");
    assert_eq!(code(&outs[1]), 0, "{both}");
    assert_eq!(
        emu.calls("POST", "/jobs/create").len(),
        1,
        "the job is created once: {both}"
    );
    assert!(
        outs.iter().any(|o| text(o).contains("another deploy")),
        "the waiting deploy says it found the work done: {both}"
    );
    let state_writes = emu
        .calls("POST", "/workspace/import")
        .iter()
        .filter(|r| r.body["path"].as_str() == Some(EXAMPLE_STATE))
        .count();
    assert_eq!(
        state_writes, 1,
        "only the deploy that did the work writes the state"
    );
    emu.handle.as_ref().unwrap().clear_faults();
    assert_one_clean_deployment(&emu, dir.path());
}

#[test]
fn the_secret_scan_blames_a_file_written_with_a_secret_and_spares_the_tests_own() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_scan::secret_values()[0].clone();
    // The test's own config, holding the token on purpose before the run.
    std::fs::write(
        dir.path().join(".databrickscfg"),
        format!("token = {secret}\n"),
    )
    .unwrap();
    let watched = secret_scan::folders(dir.path(), &[], &[]);
    assert_eq!(
        watched.len(),
        1,
        "the test's folder is watched: {watched:?}"
    );
    let before = secret_scan::Snapshot::take(&watched);
    before.assert_no_new_secrets(&watched);
    // A report written with the secret in it (what a leak would look like).
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/report.md"), format!("used {secret}")).unwrap();
    let caught = std::panic::catch_unwind(|| before.assert_no_new_secrets(&watched));
    let message = caught
        .expect_err("a secret in a new file fails the test")
        .downcast::<String>()
        .unwrap();
    assert!(message.contains("out/report.md"), "{message}");
    assert!(
        !message.contains(&secret),
        "the message names the file, not the value"
    );
    assert!(!message.contains(".databrickscfg"), "{message}");
    // Through the binary: a run in that folder is scanned, the config is spared.
    std::fs::remove_file(dir.path().join("out/report.md")).unwrap();
    let out = brickci(&["--version"], &[], dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn a_notebook_over_the_import_limit_is_refused_by_name_before_any_write() {
    let emu = TestEmulator::fast();
    let dir = example();
    // Synced only (no resource points at it): the plan reads it and finds it too large.
    let huge = format!(
        "# Databricks notebook source\n{}",
        "#".repeat(brickci::bundle::local_file::IMPORT_LIMIT as usize)
    );
    std::fs::write(dir.path().join("src/huge.py"), huge).unwrap();
    let out = deploy(&emu, dir.path());
    let said = text(&out);
    assert_eq!(code(&out), 2, "{said}");
    assert!(
        said.contains("src/huge.py") && said.contains("10485760"),
        "names the file and the limit: {said}"
    );
    assert_eq!(writes(&emu), 0, "nothing written: {said}");
    assert!(emu.calls("POST", "/workspace/import").is_empty());
}

#[test]
fn a_six_megabyte_report_in_an_exit_value_is_marked_truncated_and_fails() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    // brickci's JSON form, over 6 MB: the Jobs API keeps the first 5 MB of an exit value.
    let entries: Vec<String> = (0..90_000)
        .map(|i| {
            format!(r#"{{"name": "case_{i:06}_with_a_long_enough_name", "status": "passed"}}"#)
        })
        .collect();
    let report = format!(r#"{{"tests": [{}]}}"#, entries.join(", "));
    assert!(report.len() > 6_000_000, "{}", report.len());
    write_notebook(
        dir.path(),
        "test_big.py",
        &format!("dbutils.notebook.exit('{report}')\n"),
    );
    let junit = dir.path().join("junit.xml");
    let summary = dir.path().join("summary.md");
    let env = run_env(&emu);
    let mut env = as_refs(&env);
    env.extend([
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("GITHUB_WORKSPACE", dir.path().to_str().unwrap()),
    ]);
    let out = brickci(
        &["test", "test_big.py", "--junit", junit.to_str().unwrap()],
        &env,
        dir.path(),
    );
    let said = text(&out);
    assert_eq!(
        code(&out),
        1,
        "a cut report is never a pass: {}",
        &said[..said.len().min(4000)]
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("truncated at 5 MB") && xml.contains(r#"failures="1""#),
        "{}",
        &xml[..xml.len().min(4000)]
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("truncated at 5 MB"),
        "{}",
        &md[..md.len().min(4000)]
    );
    assert!(
        md.len() <= 1024 * 1024,
        "the step summary stays within 1 MiB"
    );
}

#[test]
fn prune_never_deletes_what_an_edited_state_names_outside_the_target() {
    use base64::Engine;
    let emu = TestEmulator::fast();
    let dir = example();
    assert_eq!(code(&deploy(&emu, dir.path())), 0);
    // Someone else's notebook, and a state edited to claim it (directly and through `..`).
    let precious = "/Workspace/Users/someone-else@example.com/precious";
    emu.put_notebook(precious, "print('keep me')\n");
    let mut st = example_state(&emu);
    let files = st["files"].as_object_mut().unwrap();
    let entry = serde_json::json!({"hash": "notebook:0", "kind": "notebook"});
    files.insert(precious.into(), entry.clone());
    files.insert(
        "/Workspace/Users/ci-bot@example.com/.bundle/shop/dev/files/../../../../../someone-else@example.com/precious".into(),
        entry,
    );
    emu.post_json(
        "/api/2.0/workspace/import",
        serde_json::json!({
            "path": EXAMPLE_STATE, "format": "RAW", "overwrite": true,
            "content": base64::engine::general_purpose::STANDARD.encode(st.to_string()),
        }),
    );
    // A real deletion for --prune to make.
    std::fs::remove_file(dir.path().join("src/settings.json")).unwrap();
    let mut env = run_env(&emu);
    env.push(("BRICKCI_RETRY_TIMEOUT".into(), "60".into()));
    let out = brickci(
        &["deploy", "--prune", "--auto-approve"],
        &as_refs(&env),
        dir.path(),
    );
    let said = text(&out);
    assert_eq!(code(&out), 0, "{said}");
    assert!(said.contains("outside the target's folders"), "{said}");
    let deleted: Vec<String> = emu
        .calls("POST", "/workspace/delete")
        .iter()
        .filter_map(|r| r.body["path"].as_str().map(str::to_string))
        .filter(|p| !p.ends_with("deploy.lock"))
        .collect();
    assert_eq!(
        deleted,
        vec!["/Workspace/Users/ci-bot@example.com/.bundle/shop/dev/files/src/settings.json"],
        "{said}"
    );
    let kept = emu.get_json(&format!("/api/2.0/workspace/get-status?path={precious}"));
    assert_eq!(kept["object_type"], "NOTEBOOK", "{kept}");
}
