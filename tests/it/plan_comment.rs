//! `brickci plan` on a pull request: the plan's markdown as its own sticky PR comment, one per
//! bundle and target, beside the test report's; against the emulator and local stand-ins for
//! GitHub and the Azure DevOps pull request threads API.

use crate::support::azure_devops_standin as ado;
use crate::support::github_standin;

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::common::{
    TestEmulator, as_refs, assert_no_secrets, brickci, code, example, run_env, text,
};
use axum::Router;
use github_standin::Data;

const GH_TOKEN: &str = "ghs_plantoken0123456789abcdef";
const ADO_TOKEN: &str = "ado-plan-access-token-0077";
const MARKER: &str = "<!-- brickci-plan:shop:dev -->";
const JOB_ROW: &str = "| ➕ create | jobs | `nightly` | new |";
const REPORT_COMMENT: &str = "<!-- brickci:report:tests -->\nold test report";

/// A server on 127.0.0.1 with its own runtime (kept alive as long as the value).
struct Served<T> {
    data: T,
    url: String,
    _rt: tokio::runtime::Runtime,
}

fn serve<T>(data: T, app: Router) -> Served<T> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    });
    Served {
        data,
        url: format!("http://{addr}"),
        _rt: rt,
    }
}

fn github() -> Served<github_standin::Shared> {
    let data: github_standin::Shared = Arc::new(Mutex::new(Data::default()));
    serve(data.clone(), github_standin::router(data, ""))
}

/// `brickci plan` in a GitHub Actions pull_request run; `token` as GITHUB_TOKEN (here a
/// secret reference, resolved before use).
fn gh_plan(
    emu: &TestEmulator,
    gh: &Served<github_standin::Shared>,
    dir: &Path,
    token: Option<&str>,
    extra: &[&str],
) -> std::process::Output {
    let event = dir.join("event.json");
    std::fs::write(
        &event,
        r#"{"number": 7, "pull_request": {"number": 7, "head": {"sha": "headsha7777"}}}"#,
    )
    .unwrap();
    let mut env = run_env(emu);
    for (k, v) in [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_API_URL", gh.url.as_str()),
        ("GITHUB_REPOSITORY", "acme/lakehouse"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ("GITHUB_REF", "refs/pull/7/merge"),
        ("GITHUB_SHA", "mergesha"),
    ] {
        env.push((k.into(), v.into()));
    }
    if let Some(t) = token {
        env.push(("GITHUB_TOKEN".into(), "env:GH_BOT_TOKEN".into()));
        env.push(("GH_BOT_TOKEN".into(), t.into()));
    }
    let mut args = vec!["plan"];
    args.extend_from_slice(extra);
    brickci(&args, &as_refs(&env), dir)
}

#[test]
fn github_plan_comment_is_created_once_then_edited_beside_the_report() {
    let emu = TestEmulator::fast();
    let gh = github();
    gh.data
        .lock()
        .unwrap()
        .comments
        .push((1, REPORT_COMMENT.into()));
    let dir = example();

    let out = gh_plan(&emu, &gh, dir.path(), Some(GH_TOKEN), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[GH_TOKEN]);
    let (first_id, first_body) = {
        let d = gh.data.lock().unwrap();
        assert_eq!(d.comments.len(), 2, "{:?}", d.comments);
        d.comments[1].clone()
    };
    assert!(first_body.starts_with(MARKER), "{first_body}");
    assert!(first_body.contains(JOB_ROW), "{first_body}");
    assert!(
        first_body.contains("### Deploy plan: `shop` → `dev`"),
        "{first_body}"
    );

    // A second run finds its comment by the marker and edits it.
    let out = gh_plan(&emu, &gh, dir.path(), Some(GH_TOKEN), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[GH_TOKEN]);

    let d = gh.data.lock().unwrap();
    assert_eq!(
        d.comments.len(),
        2,
        "no second plan comment: {:?}",
        d.comments
    );
    assert_eq!(
        d.comments[0],
        (1, REPORT_COMMENT.to_string()),
        "the test report's comment is left alone"
    );
    assert_eq!(d.comments[1].0, first_id);
    assert!(d.comments[1].1.starts_with(MARKER));
    assert!(d.comments[1].1.contains(JOB_ROW));
    let reqs = &d.requests;
    assert!(
        reqs.iter().all(|r| r.template.is_some()),
        "requests nobody expected: {reqs:?}"
    );
    assert!(
        reqs.iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {GH_TOKEN}"))),
        "{reqs:?}"
    );
    let posts: Vec<_> = reqs.iter().filter(|r| r.method == "POST").collect();
    let edits: Vec<_> = reqs.iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!((posts.len(), edits.len()), (1, 1), "{reqs:?}");
    assert_eq!(posts[0].path, "/repos/acme/lakehouse/issues/7/comments");
    assert!(
        posts[0].body["body"]
            .as_str()
            .is_some_and(|b| b.starts_with(MARKER)),
        "{:?}",
        posts[0].body
    );
    assert_eq!(
        edits[0].path,
        format!("/repos/acme/lakehouse/issues/comments/{first_id}")
    );
}

#[test]
fn a_pr_environment_plan_has_its_own_comment_beside_the_target_plan() {
    let emu = TestEmulator::fast();
    let gh = github();
    let dir = example();
    let out = gh_plan(&emu, &gh, dir.path(), Some(GH_TOKEN), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let target_plan = gh.data.lock().unwrap().comments.clone();
    assert_eq!(target_plan.len(), 1, "{target_plan:?}");
    const PR_MARKER: &str = "<!-- brickci-plan:shop:dev:pr-7 -->";
    // Twice: the PR environment's plan is created once, then edited; the target's stays.
    for _ in 0..2 {
        let out = gh_plan(&emu, &gh, dir.path(), Some(GH_TOKEN), &["--pr"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert_no_secrets(&out, &[GH_TOKEN]);
        let d = gh.data.lock().unwrap();
        assert_eq!(d.comments.len(), 2, "{:?}", d.comments);
        assert_eq!(
            d.comments[0], target_plan[0],
            "the target's plan is left alone"
        );
        assert!(
            d.comments[1].1.starts_with(PR_MARKER),
            "{:?}",
            d.comments[1]
        );
    }
    let d = gh.data.lock().unwrap();
    let posts = d.requests.iter().filter(|r| r.method == "POST").count();
    let edits = d.requests.iter().filter(|r| r.method == "PATCH").count();
    assert_eq!((posts, edits), (2, 1), "{:?}", d.requests);
}

#[test]
fn github_without_a_token_auto_posts_nothing_and_false_never_posts() {
    let emu = TestEmulator::fast();
    let gh = github();
    let dir = example();
    let out = gh_plan(&emu, &gh, dir.path(), None, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("16 to create"), "{}", text(&out));
    let out = gh_plan(
        &emu,
        &gh,
        dir.path(),
        Some(GH_TOKEN),
        &["--pr-comment", "false"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[GH_TOKEN]);
    let d = gh.data.lock().unwrap();
    assert!(d.requests.is_empty(), "{:?}", d.requests);
}

#[test]
fn github_pr_comment_true_without_a_token_exits_2_naming_github_token() {
    let emu = TestEmulator::fast();
    let gh = github();
    let dir = example();
    let out = gh_plan(&emu, &gh, dir.path(), None, &["--pr-comment", "true"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("::error::--pr-comment true, but GITHUB_TOKEN is not set"),
        "{}",
        text(&out)
    );
    assert!(gh.data.lock().unwrap().requests.is_empty());
}

// --- Azure DevOps: the Git "Pull Request Threads" API, as azure_devops_report.rs ---

#[test]
fn azure_devops_plan_thread_opened_once_then_edited_beside_the_report() {
    let data: ado::Shared = Arc::new(Mutex::new(ado::Data {
        threads: vec![(99, REPORT_COMMENT.into())],
        ..ado::Data::new(ADO_TOKEN)
    }));
    let app = ado::router(data.clone());
    let ado = serve(data, app);
    let emu = TestEmulator::fast();
    let dir = example();
    let collection = format!("{}/org/", ado.url);
    let temp = dir.path().to_str().unwrap().to_string();
    let mut env = run_env(&emu);
    for (k, v) in [
        ("TF_BUILD", "True"),
        ("SYSTEM_COLLECTIONURI", collection.as_str()),
        ("SYSTEM_TEAMPROJECTID", "proj-id"),
        ("BUILD_REPOSITORY_ID", "repo-id"),
        ("BUILD_REPOSITORY_PROVIDER", "TfsGit"),
        ("SYSTEM_PULLREQUEST_PULLREQUESTID", "42"),
        ("SYSTEM_ACCESSTOKEN", ADO_TOKEN),
        ("AGENT_TEMPDIRECTORY", temp.as_str()),
    ] {
        env.push((k.into(), v.into()));
    }
    for _ in 0..2 {
        let out = brickci(&["plan"], &as_refs(&env), dir.path());
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert_no_secrets(&out, &[ADO_TOKEN]);
    }
    let d = ado.data.lock().unwrap();
    assert_eq!(d.threads.len(), 2, "one plan thread beside the report's");
    assert_eq!(d.threads[0], (99, REPORT_COMMENT.to_string()));
    assert!(d.threads[1].1.starts_with(MARKER), "{}", d.threads[1].1);
    assert!(d.threads[1].1.contains(JOB_ROW), "{}", d.threads[1].1);
    let methods: Vec<&str> = d.log.iter().map(|(m, ..)| m.as_str()).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "PATCH"], "{:?}", d.log);
    assert!(d.log[1].1.contains("/pullRequests/42/threads"));
    assert!(
        d.log[3]
            .1
            .contains(&format!("/threads/{}/comments/1", d.threads[1].0)),
        "{:?}",
        d.log[3]
    );
}

#[test]
fn several_targets_share_one_plan_comment_with_a_section_each() {
    let emu = TestEmulator::fast();
    let gh = github();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: fleet\nresources:\n  jobs:\n    nightly:\n      name: nightly-${bundle.target}\n      tasks:\n        - task_key: main\n          notebook_task:\n            notebook_path: ./nb.py\ntargets:\n  dev: {}\n  stage: {}\n",
    )
    .unwrap();
    crate::common::write_notebook(dir.path(), "nb.py", "print('hi')\n");
    const TARGETS_MARKER: &str = "<!-- brickci-plan:fleet:dev+stage -->";
    // Twice, the targets given in either order: one comment, created and then edited.
    for order in [["dev", "stage"], ["stage", "dev"]] {
        let args = ["-t", order[0], "-t", order[1]];
        let out = gh_plan(&emu, &gh, dir.path(), Some(GH_TOKEN), &args);
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert_no_secrets(&out, &[GH_TOKEN]);
        let d = gh.data.lock().unwrap();
        assert_eq!(
            d.comments.len(),
            1,
            "one comment, not one per target: {:?}",
            d.comments
        );
        let body = &d.comments[0].1;
        assert!(body.starts_with(TARGETS_MARKER), "{body}");
        assert!(body.contains("plan: 2 target(s), 2 succeeded"), "{body}");
        for t in ["dev", "stage"] {
            assert!(body.contains(&format!("#### `{t}`")), "{body}");
            assert!(
                body.contains(&format!("Deploy plan: `fleet` → `{t}`")),
                "{body}"
            );
        }
        assert_eq!(body.matches(JOB_ROW).count(), 2, "{body}");
    }
    let d = gh.data.lock().unwrap();
    let posts = d.requests.iter().filter(|r| r.method == "POST").count();
    let edits = d.requests.iter().filter(|r| r.method == "PATCH").count();
    assert_eq!((posts, edits), (1, 1), "{:?}", d.requests);
}
