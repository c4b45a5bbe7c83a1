//! `brickci destroy`: the plan first, a yes (`--auto-approve` when nobody is at a terminal, and
//! always for `mode: production`), then every object the state records and the root folder go.
//! Objects made outside the bundle survive.

use serde_json::json;

use crate::common::*;

const ROOT: &str = "/Workspace/Users/ci-bot@example.com/.bundle/shop/dev";

fn step(emu: &TestEmulator, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Brickci::new(args).against(emu).dir(dir).output()
}

fn job_names(emu: &TestEmulator) -> Vec<String> {
    let list = emu.get_json("/api/2.2/jobs/list");
    let mut names: Vec<String> = list["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|j| {
            j["settings"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    names.sort();
    names
}

fn exists(emu: &TestEmulator, path: &str) -> bool {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", path)
        .finish();
    emu.get_json(&format!("/api/2.0/workspace/get-status?{q}"))["path"].is_string()
}

#[test]
fn destroy_removes_what_the_state_records_and_nothing_else() {
    let emu = TestEmulator::fast();
    let dir = example();
    let out = step(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Made by hand beside the deployment: never touched.
    emu.post_json(
        "/api/2.2/jobs/create",
        json!({"name": "hand-made", "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/x"}}]}),
    );
    emu.put_notebook(
        "/Workspace/Users/ci-bot@example.com/scratch/keep",
        "print(1)\n",
    );
    let deployed = job_names(&emu);
    assert_eq!(deployed.len(), 2, "{deployed:?}");

    // Nobody at a terminal and no --auto-approve: the plan, then a refusal; nothing deleted.
    let refused = step(&emu, dir.path(), &["destroy"]);
    assert_eq!(code(&refused), 2, "{}", text(&refused));
    assert!(
        text(&refused).contains("delete  jobs"),
        "{}",
        text(&refused)
    );
    assert!(
        text(&refused).contains("--auto-approve"),
        "{}",
        text(&refused)
    );
    assert_eq!(job_names(&emu), deployed);
    assert!(exists(&emu, ROOT));

    let out = step(&emu, dir.path(), &["destroy", "--auto-approve"]);
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(
        all.contains(&format!("deleted the root folder {ROOT}")),
        "{all}"
    );
    assert_eq!(job_names(&emu), ["hand-made"]);
    assert!(!exists(&emu, ROOT));
    assert!(exists(
        &emu,
        "/Workspace/Users/ci-bot@example.com/scratch/keep"
    ));
    assert_eq!(
        emu.calls("POST", "/clusters/permanent-delete").len(),
        1,
        "{all}"
    );
    assert_eq!(emu.calls("POST", "/jobs/delete").len(), 1, "{all}");
    // The schema (and the volume in it) go too: the only DELETEs to Unity Catalog.
    let uc: Vec<String> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path.contains("/unity-catalog/"))
        .map(|r| r.path)
        .collect();
    assert_eq!(uc.len(), 2, "{uc:?}");
    assert!(uc.iter().any(|p| p.contains("/schemas/")), "{uc:?}");

    // Again: nothing recorded, nothing to do; a deploy after it starts afresh.
    let again = step(&emu, dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(code(&again), 0, "{}", text(&again));
    assert!(
        text(&again).contains("nothing to destroy"),
        "{}",
        text(&again)
    );
    let redeploy = step(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&redeploy), 0, "{}", text(&redeploy));
    assert_eq!(job_names(&emu).len(), 2);
}

#[test]
fn a_production_target_needs_auto_approve_and_a_held_lock_stops_destroy() {
    let emu = TestEmulator::fast();
    let dir = example();
    let out = step(&emu, dir.path(), &["deploy", "-t", "prod"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let refused = step(&emu, dir.path(), &["destroy", "-t", "prod"]);
    assert_eq!(code(&refused), 2, "{}", text(&refused));
    assert!(
        text(&refused).contains("(mode: production)"),
        "{}",
        text(&refused)
    );
    assert_eq!(job_names(&emu).len(), 1);

    // Another deploy holds the lock: destroy waits for nobody and deletes nothing.
    let held = json!({"ID": "0b8f0c32-1111-2222-3333-444455556666", "AcquisitionTime": "2026-11-24T10:00:00Z", "IsForced": false, "User": "someone@example.com"});
    use base64::Engine;
    emu.post_json(
        "/api/2.0/workspace/import",
        json!({ "path": "/Workspace/Shared/.bundle/shop/prod/state/deploy.lock", "format": "RAW",
                "content": base64::engine::general_purpose::STANDARD.encode(held.to_string()) }),
    );
    let locked = step(
        &emu,
        dir.path(),
        &["destroy", "-t", "prod", "--auto-approve"],
    );
    assert_eq!(code(&locked), 2, "{}", text(&locked));
    assert!(
        text(&locked).contains("held by someone@example.com"),
        "{}",
        text(&locked)
    );
    assert_eq!(job_names(&emu).len(), 1, "{}", text(&locked));
    assert!(emu.calls("POST", "/jobs/delete").is_empty());
    // Forced: it goes, the shared top folder's other content stays.
    let forced = step(
        &emu,
        dir.path(),
        &["destroy", "-t", "prod", "--auto-approve", "--force-lock"],
    );
    assert_eq!(code(&forced), 0, "{}", text(&forced));
    assert!(job_names(&emu).is_empty());
    assert!(!exists(&emu, "/Workspace/Shared/.bundle/shop/prod"));
}
