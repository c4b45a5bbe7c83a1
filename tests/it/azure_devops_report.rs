//! The Azure DevOps PR thread comment against a local stand-in shaped after the Git
//! "Pull Request Threads" REST API: opened once, edited in place, throttling waited out.

use crate::support::azure_devops_standin as ado;

use std::sync::{Arc, Mutex};

use crate::common::*;
use brickci::report::{Report, ReportStatus};

const ADO_TOKEN: &str = "ado-access-token-secret-0042";

#[test]
fn pr_thread_opened_once_then_edited_with_throttling_honoured() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let data: ado::Shared = Arc::new(Mutex::new(ado::Data {
        throttle_next: 1,
        ..ado::Data::new(ADO_TOKEN)
    }));
    let app = ado::router(data.clone());
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        a
    });
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    let report = Report {
        key: "tests".into(),
        title: "brickci test".into(),
        status: ReportStatus::Success,
        target: None,
        commit: None,
        ci_run_url: None,
        plan: None,
        runs: vec![],
        tests: vec![],
    };
    std::fs::write(&saved, serde_json::to_string(&report).unwrap()).unwrap();
    let collection = format!("http://{addr}/org/");
    let temp = dir.path().to_str().unwrap().to_string();
    let env = [
        ("TF_BUILD", "True"),
        ("SYSTEM_COLLECTIONURI", collection.as_str()),
        ("SYSTEM_TEAMPROJECTID", "proj-id"),
        ("BUILD_REPOSITORY_ID", "repo-id"),
        ("BUILD_REPOSITORY_PROVIDER", "TfsGit"),
        ("SYSTEM_PULLREQUEST_PULLREQUESTID", "42"),
        ("SYSTEM_ACCESSTOKEN", ADO_TOKEN),
        ("AGENT_TEMPDIRECTORY", temp.as_str()),
    ];
    // The second time asked for explicitly: the Azure DevOps thread, not a GitHub comment.
    for extra in [None, Some("--pr-comment=true")] {
        let mut args = vec!["report", saved.to_str().unwrap()];
        args.extend(extra);
        let out = brickci(&args, &env, dir.path());
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert_no_secrets(&out, &[ADO_TOKEN]);
    }
    let d = data.lock().unwrap();
    assert_eq!(d.threads.len(), 1, "one thread, never duplicated");
    let methods: Vec<&str> = d.log.iter().map(|(m, ..)| m.as_str()).collect();
    assert_eq!(
        methods,
        ["GET", "GET", "POST", "GET", "PATCH"],
        "{:?}",
        d.log
    );
    assert!(
        d.log[1].3 - d.log[0].3 >= std::time::Duration::from_secs(1),
        "waited as Retry-After said"
    );
    assert!(
        d.log[2].2["comments"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("<!-- brickci:report:tests -->")
    );
    assert!(d.log[2].1.contains("/pullRequests/42/threads"));
}
