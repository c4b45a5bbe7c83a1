//! Pull request environments: `deploy --pr` puts a target's copy for one pull request in its
//! own folder with its own state, names prefixed and schedules paused; `run --pr` and
//! `destroy --pr` work on that copy only; `gc` sweeps the copies whose pull request is
//! closed (the GitHub stand-in answers) or that were not deployed for too long, found by
//! brickci's metadata and never by folder names alone.

use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{Value, json};

use crate::common::*;
use crate::support::github_standin::{self, Data};

const ROOT: &str = "/Workspace/Shared/.bundle/shop/ci";
const GH_TOKEN: &str = "ghs_prenvtoken0123456789abcdef";

/// A bundle whose one target deploys a scheduled job and its notebook to a shared folder.
fn bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        r#"bundle:
  name: shop
targets:
  ci:
    default: true
    workspace:
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
resources:
  jobs:
    nightly:
      name: shop nightly
      schedule:
        quartz_cron_expression: "0 0 3 * * ?"
        timezone_id: UTC
      tasks:
        - task_key: main
          notebook_task:
            notebook_path: ./src/main.py
"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    write_notebook(&dir.path().join("src"), "main.py", "print('hello')\n");
    dir
}

/// A GitHub Actions run for pull request `pr` (the event file is written into `dir`).
fn github_pr(dir: &Path, pr: u64) -> Vec<(String, String)> {
    let event = dir.join(format!("event-{pr}.json"));
    std::fs::write(
        &event,
        json!({"number": pr, "pull_request": {"number": pr, "head": {"sha": "abc", "ref": format!("feature-{pr}")}}}).to_string(),
    )
    .unwrap();
    [
        ("GITHUB_ACTIONS", "true".to_string()),
        ("GITHUB_REPOSITORY", "acme/shop".into()),
        ("GITHUB_EVENT_NAME", "pull_request".into()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_REF", format!("refs/pull/{pr}/merge")),
        ("GITHUB_HEAD_REF", format!("feature-{pr}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn step(
    emu: &TestEmulator,
    dir: &Path,
    args: &[&str],
    env: &[(String, String)],
) -> std::process::Output {
    Brickci::new(args)
        .against(emu)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .dir(dir)
        .output()
}

/// Every job: name -> (id, schedule pause status).
fn jobs(emu: &TestEmulator) -> std::collections::BTreeMap<String, (i64, String)> {
    let list = emu.get_json("/api/2.2/jobs/list");
    list["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|j| {
            let s = &j["settings"];
            (
                s["name"].as_str().unwrap_or_default().to_string(),
                (
                    j["job_id"].as_i64().unwrap_or_default(),
                    s["schedule"]["pause_status"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
            )
        })
        .collect()
}

fn names(emu: &TestEmulator) -> Vec<String> {
    jobs(emu).into_keys().collect()
}

fn exists(emu: &TestEmulator, path: &str) -> bool {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", path)
        .finish();
    emu.get_json(&format!("/api/2.0/workspace/get-status?{q}"))["path"].is_string()
}

fn read_json(emu: &TestEmulator, path: &str) -> Value {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", path)
        .append_pair("direct_download", "true")
        .finish();
    emu.get_json(&format!("/api/2.0/workspace/export?{q}"))
}

fn put_file(emu: &TestEmulator, path: &str, content: &str) {
    let parent = &path[..path.rfind('/').unwrap()];
    emu.post_json("/api/2.0/workspace/mkdirs", json!({ "path": parent }));
    emu.post_json(
        "/api/2.0/workspace/import",
        json!({ "path": path, "format": "RAW", "overwrite": true,
                "content": base64::engine::general_purpose::STANDARD.encode(content) }),
    );
}

#[test]
fn two_pr_environments_live_beside_the_target_and_each_destroy_removes_only_its_own() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let none: Vec<(String, String)> = Vec::new();
    let out = step(&emu, dir.path(), &["deploy"], &none);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Pull request 1 from the CI run's context, pull request 2 by its number.
    let out = step(
        &emu,
        dir.path(),
        &["deploy", "--pr"],
        &github_pr(dir.path(), 1),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = step(&emu, dir.path(), &["deploy", "--pr", "2"], &none);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let all = jobs(&emu);
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        ["[pr-1] shop nightly", "[pr-2] shop nightly", "shop nightly"],
        "{all:?}"
    );
    assert_eq!(all["shop nightly"].1, "UNPAUSED");
    assert_eq!(all["[pr-1] shop nightly"].1, "PAUSED");
    assert_eq!(all["[pr-2] shop nightly"].1, "PAUSED");
    let ids: std::collections::BTreeSet<i64> = all.values().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 3);
    // Each has its own state, files and metadata under its own root.
    for root in [
        ROOT.to_string(),
        format!("{ROOT}/pr-1"),
        format!("{ROOT}/pr-2"),
    ] {
        assert!(
            exists(&emu, &format!("{root}/state/brickci-state.json")),
            "{root}"
        );
        assert!(exists(&emu, &format!("{root}/files/src/main")), "{root}");
    }
    assert!(!exists(&emu, &format!("{ROOT}/state/brickci-pr.json")));
    let meta = read_json(&emu, &format!("{ROOT}/pr-1/state/brickci-pr.json"));
    assert_eq!(meta["pr"], 1, "{meta}");
    assert_eq!(meta["provider"], "github", "{meta}");
    assert_eq!(meta["repository"], "acme/shop", "{meta}");
    assert_eq!(meta["head_ref"], "feature-1", "{meta}");
    assert_eq!(meta["bundle"], "shop", "{meta}");
    assert!(
        meta["created_at"].is_string() && meta["brickci_version"].is_string(),
        "{meta}"
    );
    let meta2 = read_json(&emu, &format!("{ROOT}/pr-2/state/brickci-pr.json"));
    assert_eq!(meta2["provider"], "local", "{meta2}");

    // run --pr starts the PR's own job.
    let out = step(&emu, dir.path(), &["run", "nightly", "--pr=2"], &none);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let run_now = emu.calls("POST", "/jobs/run-now");
    assert_eq!(run_now.len(), 1);
    assert_eq!(run_now[0].body["job_id"], all["[pr-2] shop nightly"].0);
    // So does test --job-key with --pr (from the CI run's context here).
    let out = step(
        &emu,
        dir.path(),
        &["test", "--job-key", "nightly", "--pr"],
        &github_pr(dir.path(), 1),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let run_now = emu.calls("POST", "/jobs/run-now");
    assert_eq!(run_now.len(), 2);
    assert_eq!(run_now[1].body["job_id"], all["[pr-1] shop nightly"].0);

    let out = step(
        &emu,
        dir.path(),
        &["destroy", "--pr", "1", "--auto-approve"],
        &none,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("destroyed pull request 1's environment of shop target ci ("),
        "{}",
        text(&out)
    );
    assert_eq!(names(&emu), ["[pr-2] shop nightly", "shop nightly"]);
    assert!(!exists(&emu, &format!("{ROOT}/pr-1")));
    assert!(exists(
        &emu,
        &format!("{ROOT}/pr-2/state/brickci-state.json")
    ));
    assert!(exists(&emu, &format!("{ROOT}/state/brickci-state.json")));

    let out = step(
        &emu,
        dir.path(),
        &["destroy", "--pr", "2", "--auto-approve"],
        &none,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(names(&emu), ["shop nightly"]);
    assert!(!exists(&emu, &format!("{ROOT}/pr-2")));
    assert!(exists(&emu, &format!("{ROOT}/files/src/main")));
    assert_eq!(emu.calls("POST", "/jobs/delete").len(), 2);

    // An environment that records nothing: its folder goes only if brickci's metadata marks it.
    let meta8 = meta
        .to_string()
        .replace("\"pr\": 1", "\"pr\": 8")
        .replace("\"pr\":1", "\"pr\":8");
    put_file(&emu, &format!("{ROOT}/pr-8/state/brickci-pr.json"), &meta8);
    emu.put_notebook(&format!("{ROOT}/pr-9/keep"), "print(1)\n");
    for pr in ["8", "9"] {
        let out = step(
            &emu,
            dir.path(),
            &["destroy", "--pr", pr, "--auto-approve"],
            &none,
        );
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    assert!(!exists(&emu, &format!("{ROOT}/pr-8")));
    assert!(exists(&emu, &format!("{ROOT}/pr-9/keep")));
    assert_eq!(names(&emu), ["shop nightly"]);
}

/// The target's own destroy deletes its objects and files, but a pull request environment
/// under its root has its own state: it is left whole, and the root stays for it.
#[test]
fn destroying_the_target_leaves_the_pr_environments_under_its_root() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let none: Vec<(String, String)> = Vec::new();
    for args in [&["deploy"][..], &["deploy", "--pr", "5"][..]] {
        let out = step(&emu, dir.path(), args, &none);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    let out = step(&emu, dir.path(), &["destroy", "--auto-approve"], &none);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("holds pull request environments (pr-5)"),
        "{}",
        text(&out)
    );
    assert_eq!(names(&emu), ["[pr-5] shop nightly"]);
    assert!(!exists(&emu, &format!("{ROOT}/files/src/main")));
    assert!(!exists(&emu, &format!("{ROOT}/state/brickci-state.json")));
    assert!(exists(
        &emu,
        &format!("{ROOT}/pr-5/state/brickci-state.json")
    ));
    assert!(exists(&emu, &format!("{ROOT}/pr-5/files/src/main")));
    // The PR environment is still whole: its own destroy finds and removes it.
    let out = step(
        &emu,
        dir.path(),
        &["destroy", "--pr", "5", "--auto-approve"],
        &none,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(names(&emu).is_empty());
    assert!(!exists(&emu, &format!("{ROOT}/pr-5")));
}

#[test]
fn gc_removes_closed_and_expired_environments_and_never_a_folder_without_metadata() {
    let emu = TestEmulator::fast();
    let data: github_standin::Shared = Arc::new(Mutex::new(Data::default()));
    {
        let mut d = data.lock().unwrap();
        d.pulls.insert(1, "closed".into());
        d.pulls.insert(2, "open".into());
        d.pulls.insert(3, "open".into());
    }
    let gh = github_standin::start(data.clone(), "");
    let dir = bundle();
    let none: Vec<(String, String)> = Vec::new();
    let out = step(&emu, dir.path(), &["deploy"], &none);
    assert_eq!(code(&out), 0, "{}", text(&out));
    for pr in [1, 2, 3] {
        let out = step(
            &emu,
            dir.path(),
            &["deploy", "--pr"],
            &github_pr(dir.path(), pr),
        );
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    // Pull request 3 is open but its environment was last deployed 30 days ago.
    let path3 = format!("{ROOT}/pr-3/state/brickci-pr.json");
    let mut meta = read_json(&emu, &path3);
    let month_ago = meta["updated_at_unix"].as_u64().unwrap() - 30 * 86_400;
    meta["updated_at_unix"] = json!(month_ago);
    put_file(&emu, &path3, &meta.to_string());
    // Folders named like PR environments that brickci did not make: never touched.
    emu.put_notebook(&format!("{ROOT}/pr-99/keep"), "print(1)\n");
    put_file(
        &emu,
        &format!("{ROOT}/pr-4/state/brickci-pr.json"),
        r#"{"pr": 4}"#,
    );
    let before = names(&emu);
    assert_eq!(before.len(), 4, "{before:?}");

    let env: Vec<(String, String)> = vec![
        ("GITHUB_TOKEN".into(), GH_TOKEN.into()),
        ("GITHUB_API_URL".into(), gh.url.clone()),
    ];
    let gc = |extra: &[&str]| {
        let mut args = vec!["gc", "-t", "ci", "--older-than", "7d"];
        args.extend_from_slice(extra);
        let out = step(&emu, dir.path(), &args, &env);
        assert_no_secrets(&out, &[GH_TOKEN]);
        out
    };

    let dry = gc(&["--dry-run"]);
    let all = text(&dry);
    assert_eq!(code(&dry), 0, "{all}");
    assert!(
        all.contains(&format!("remove  {ROOT}/pr-1: pull request 1 is closed")),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "remove  {ROOT}/pr-3: pull request 3 is open but last deployed 30d"
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!("keep    {ROOT}/pr-2: pull request 2 is open")),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "keep    {ROOT}/pr-99: no valid brickci PR metadata"
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "keep    {ROOT}/pr-4: no valid brickci PR metadata"
        )),
        "{all}"
    );
    assert!(all.contains("never touched"), "{all}");
    assert_eq!(names(&emu), before);

    // Nobody at a terminal and no --auto-approve: refused, nothing destroyed.
    let refused = gc(&[]);
    assert_eq!(code(&refused), 2, "{}", text(&refused));
    assert!(
        text(&refused).contains("--auto-approve"),
        "{}",
        text(&refused)
    );
    assert_eq!(names(&emu), before);

    let out = gc(&["--auto-approve"]);
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(
        all.contains("gc: destroyed 2 pull request environment(s): pr-1, pr-3"),
        "{all}"
    );
    assert_eq!(names(&emu), ["[pr-2] shop nightly", "shop nightly"]);
    assert!(!exists(&emu, &format!("{ROOT}/pr-1")));
    assert!(!exists(&emu, &format!("{ROOT}/pr-3")));
    assert!(exists(&emu, &format!("{ROOT}/pr-2/state/brickci-pr.json")));
    assert!(exists(&emu, &format!("{ROOT}/pr-99/keep")));
    assert!(exists(&emu, &format!("{ROOT}/pr-4/state/brickci-pr.json")));
    assert!(exists(&emu, &format!("{ROOT}/state/brickci-state.json")));
    // The forge was asked about the environments with metadata only, with the token.
    let d = data.lock().unwrap();
    let mut asked: Vec<&str> = d
        .requests
        .iter()
        .filter(|r| r.template.as_deref() == Some("/repos/{owner}/{repo}/pulls/{pull_number}"))
        .map(|r| r.path.as_str())
        .collect();
    asked.sort();
    asked.dedup();
    assert_eq!(
        asked,
        [
            "/repos/acme/shop/pulls/1",
            "/repos/acme/shop/pulls/2",
            "/repos/acme/shop/pulls/3"
        ]
    );
    assert!(
        d.requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {GH_TOKEN}")[..]))
    );
}

#[test]
fn gc_takes_a_pull_request_github_no_longer_has_for_closed_but_a_refused_read_for_unknown() {
    let emu = TestEmulator::fast();
    // The stand-in knows no pull request 5: 404, as for one deleted with its repository.
    let data: github_standin::Shared = Arc::new(Mutex::new(Data::default()));
    data.lock().unwrap().refuse_pulls = true;
    let gh = github_standin::start(data.clone(), "");
    let dir = bundle();
    let out = step(
        &emu,
        dir.path(),
        &["deploy", "--pr"],
        &github_pr(dir.path(), 5),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let env: Vec<(String, String)> = vec![
        ("GITHUB_TOKEN".into(), GH_TOKEN.into()),
        ("GITHUB_API_URL".into(), gh.url.clone()),
    ];
    let gc = |extra: &[&str]| {
        let mut args = vec!["gc", "-t", "ci", "--older-than", "7d"];
        args.extend_from_slice(extra);
        let out = step(&emu, dir.path(), &args, &env);
        assert_no_secrets(&out, &[GH_TOKEN]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        text(&out)
    };
    // A token that may not read pull requests (403) says nothing: the environment stays.
    let all = gc(&["--auto-approve"]);
    assert!(
        all.contains(&format!("keep    {ROOT}/pr-5: pull request state unknown"))
            && all.contains("403"),
        "{all}"
    );
    assert!(exists(&emu, &format!("{ROOT}/pr-5/state/brickci-pr.json")));
    assert_eq!(names(&emu), ["[pr-5] shop nightly"]);
    // Readable, and gone: it cannot reopen, so its environment goes.
    data.lock().unwrap().refuse_pulls = false;
    let all = gc(&["--auto-approve"]);
    assert!(
        all.contains(&format!(
            "remove  {ROOT}/pr-5: pull request 5 is gone (GitHub answered 404)"
        )),
        "{all}"
    );
    assert!(
        all.contains("gc: destroyed 1 pull request environment(s): pr-5"),
        "{all}"
    );
    assert!(!exists(&emu, &format!("{ROOT}/pr-5")));
    assert!(names(&emu).is_empty());
}

#[test]
fn a_bare_pr_outside_a_pull_request_and_a_bad_age_are_bad_input() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let none: Vec<(String, String)> = Vec::new();
    let push: Vec<(String, String)> = vec![
        ("GITHUB_ACTIONS".into(), "true".into()),
        ("GITHUB_REF".into(), "refs/heads/main".into()),
    ];
    for env in [&none, &push] {
        for args in [
            &["deploy", "--pr"][..],
            &["destroy", "--pr", "--auto-approve"],
            &["plan", "--pr"],
        ] {
            let out = step(&emu, dir.path(), args, env);
            let all = text(&out);
            assert_eq!(code(&out), 2, "{args:?}: {all}");
            assert!(
                all.contains("--pr: this CI run is not for a pull request"),
                "{all}"
            );
            assert!(
                all.contains("GITHUB_EVENT_PATH")
                    && all.contains("SYSTEM_PULLREQUEST_PULLREQUESTID"),
                "{all}"
            );
        }
    }
    let out = step(&emu, dir.path(), &["deploy", "--pr", "pr-3"], &none);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--pr"), "{}", text(&out));
    let out = step(&emu, dir.path(), &["gc", "--older-than", "7days"], &none);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--older-than"), "{}", text(&out));
    assert!(names(&emu).is_empty());
    assert!(emu.calls("POST", "/workspace/import").is_empty());
}

#[test]
fn gc_asks_azure_repos_and_removes_completed_or_abandoned_pull_requests_only() {
    use crate::support::azure_devops_standin as ado;
    const ADO_TOKEN: &str = "ado-prenv-access-token-secret-0099";
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let data: ado::Shared = Arc::new(Mutex::new(ado::Data::new(ADO_TOKEN)));
    {
        let mut d = data.lock().unwrap();
        d.pull_status.insert(5, "completed".into());
        d.pull_status.insert(6, "active".into());
        d.pull_status.insert(7, "abandoned".into());
    }
    let app = ado::router(data.clone());
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        a
    });
    let emu = TestEmulator::fast();
    let dir = bundle();
    let azure = |pr: u64| -> Vec<(String, String)> {
        [
            ("TF_BUILD", "True".to_string()),
            ("SYSTEM_COLLECTIONURI", format!("http://{addr}/org/")),
            ("SYSTEM_TEAMPROJECTID", "proj-id".into()),
            ("BUILD_REPOSITORY_ID", "repo-id".into()),
            ("SYSTEM_PULLREQUEST_PULLREQUESTID", pr.to_string()),
            (
                "SYSTEM_PULLREQUEST_SOURCEBRANCH",
                format!("refs/heads/feature-{pr}"),
            ),
            ("AGENT_TEMPDIRECTORY", dir.path().display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    };
    for pr in [5, 6, 7] {
        let out = step(&emu, dir.path(), &["deploy", "--pr"], &azure(pr));
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    let meta = read_json(&emu, &format!("{ROOT}/pr-5/state/brickci-pr.json"));
    assert_eq!(meta["provider"], "azure_devops", "{meta}");
    assert_eq!(meta["head_ref"], "refs/heads/feature-5", "{meta}");

    // The scheduled pipeline: no pull request of its own, the build's token.
    let env: Vec<(String, String)> = vec![
        ("TF_BUILD".into(), "True".into()),
        ("SYSTEM_ACCESSTOKEN".into(), ADO_TOKEN.into()),
        (
            "AGENT_TEMPDIRECTORY".into(),
            dir.path().display().to_string(),
        ),
    ];
    let out = step(
        &emu,
        dir.path(),
        &["gc", "--older-than", "30d", "--auto-approve"],
        &env,
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert_no_secrets(&out, &[ADO_TOKEN]);
    assert!(all.contains("pull request 5 is completed"), "{all}");
    assert!(all.contains("pull request 7 is abandoned"), "{all}");
    assert!(all.contains("pull request 6 is open"), "{all}");
    assert_eq!(names(&emu), ["[pr-6] shop nightly"]);
    assert!(exists(&emu, &format!("{ROOT}/pr-6/state/brickci-pr.json")));
    assert!(!exists(&emu, &format!("{ROOT}/pr-5")));
    assert!(!exists(&emu, &format!("{ROOT}/pr-7")));
    let asked: Vec<String> = data
        .lock()
        .unwrap()
        .log
        .iter()
        .map(|(_, uri, _, _)| uri.clone())
        .collect();
    assert!(
        asked.contains(
            &"/org/proj-id/_apis/git/repositories/repo-id/pullrequests/5?api-version=7.1"
                .to_string()
        ),
        "{asked:?}"
    );
}

#[test]
fn gc_leaves_an_environment_whose_lock_is_held_and_says_so() {
    let emu = TestEmulator::fast();
    let data: github_standin::Shared = Arc::new(Mutex::new(Data::default()));
    data.lock().unwrap().pulls.insert(1, "closed".into());
    data.lock().unwrap().pulls.insert(2, "closed".into());
    let gh = github_standin::start(data.clone(), "");
    let dir = bundle();
    for pr in [1, 2] {
        let out = step(
            &emu,
            dir.path(),
            &["deploy", "--pr"],
            &github_pr(dir.path(), pr),
        );
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    // A deploy of pull request 1 is under way: its lock is held.
    let held = json!({"ID": "0b8f0c32-1111-2222-3333-444455556666", "AcquisitionTime": "2026-11-24T10:00:00Z", "IsForced": false, "User": "someone@example.com"});
    put_file(
        &emu,
        &format!("{ROOT}/pr-1/state/deploy.lock"),
        &held.to_string(),
    );
    let env: Vec<(String, String)> = vec![
        ("GITHUB_TOKEN".into(), GH_TOKEN.into()),
        ("GITHUB_API_URL".into(), gh.url.clone()),
    ];
    let out = step(
        &emu,
        dir.path(),
        &["gc", "--older-than", "7d", "--auto-approve"],
        &env,
    );
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    assert!(all.contains("held by someone@example.com"), "{all}");
    assert!(
        all.contains("gc: destroyed 1 pull request environment(s): pr-2"),
        "{all}"
    );
    assert_eq!(names(&emu), ["[pr-1] shop nightly"]);
    assert!(exists(&emu, &format!("{ROOT}/pr-1/state/brickci-pr.json")));
}

#[test]
fn codebuild_takes_the_pull_request_from_its_webhook_and_keeps_its_outputs_files_home() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    // A CodeBuild build started by a pull request webhook, checked out at the bundle root,
    // where the outputs files are written (an earlier command's values in them).
    let env: Vec<(String, String)> = [
        ("CODEBUILD_BUILD_ID", "shop-ci:8d3a"),
        ("CODEBUILD_SRC_DIR", dir.path().to_str().unwrap()),
        ("CODEBUILD_WEBHOOK_TRIGGER", "pr/8"),
        ("CODEBUILD_SOURCE_VERSION", "pr/8"),
        ("CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature-8"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    std::fs::write(
        dir.path().join("brickci-outputs.json"),
        r#"{"run-id": "77"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("brickci-outputs.env"),
        "BRICKCI_RUN_ID=77\n",
    )
    .unwrap();
    for _ in 0..2 {
        let out = step(&emu, dir.path(), &["deploy", "--pr"], &env);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    assert_eq!(names(&emu), ["[pr-8] shop nightly"]);
    let outputs: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("brickci-outputs.json")).unwrap())
            .unwrap();
    assert_eq!(outputs["root-path"], format!("{ROOT}/pr-8"), "{outputs:#}");
    assert!(exists(&emu, &format!("{ROOT}/pr-8/files/src/main")));
    // brickci's own outputs files are not part of the bundle's files.
    for name in ["brickci-outputs.json", "brickci-outputs.env"] {
        assert!(
            !exists(&emu, &format!("{ROOT}/pr-8/files/{name}")),
            "{name} uploaded"
        );
    }
    let out = step(
        &emu,
        dir.path(),
        &["destroy", "--pr", "--auto-approve"],
        &env,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(names(&emu).is_empty());
    assert!(!exists(&emu, &format!("{ROOT}/pr-8")));
}

#[test]
fn outputs_files_named_inside_the_bundle_are_not_uploaded() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    std::fs::create_dir(dir.path().join("ci")).unwrap();
    let named = dir.path().join("ci/step.json");
    let env: Vec<(String, String)> = vec![
        ("CODEBUILD_BUILD_ID".into(), "shop-ci:9e4b".into()),
        (
            "CODEBUILD_SRC_DIR".into(),
            dir.path().to_str().unwrap().into(),
        ),
        ("BRICKCI_OUTPUT_FILE".into(), named.to_str().unwrap().into()),
    ];
    // The first deploy writes ci/step.json and ci/step.env; the second finds them in the
    // bundle's folder and must leave them out, as it does the default names.
    for _ in 0..2 {
        let out = step(&emu, dir.path(), &["deploy"], &env);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    assert!(named.exists() && dir.path().join("ci/step.env").exists());
    assert!(exists(&emu, &format!("{ROOT}/files/src/main")));
    for name in ["step.json", "step.env"] {
        assert!(
            !exists(&emu, &format!("{ROOT}/files/ci/{name}")),
            "{name} uploaded"
        );
    }
}
