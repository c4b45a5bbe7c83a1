//! `brickci run -t T KEY`: a job deployed from a bundle, found through the deployment state
//! the Databricks CLI keeps in the workspace.

use crate::common::*;
use base64::Engine;
use serde_json::json;

fn deployed(emu: &TestEmulator) -> i64 {
    emu.put_notebook(
        "/Shared/mlops/train",
        "dbutils.notebook.exit('trained v7')\n",
    );
    let job = emu.post_json(
        "/api/2.2/jobs/create",
        json!({ "name": "[dev ci_bot] train", "tasks": [{ "task_key": "train", "notebook_task": { "notebook_path": "/Shared/mlops/train" } }] }),
    );
    let job_id = job["job_id"].as_i64().unwrap();
    let state = json!({
        "version": 4,
        "resources": [
            { "mode": "managed", "type": "databricks_job", "name": "train_model", "instances": [{ "attributes": { "id": job_id.to_string() } }] },
            { "mode": "managed", "type": "databricks_notebook", "name": "notebook_train", "instances": [{ "attributes": { "id": "/Shared/mlops/train" } }] },
        ],
    });
    let dir = "/Workspace/Users/ci-bot@example.com/.bundle/mlops/dev/state";
    emu.post_json("/api/2.0/workspace/mkdirs", json!({ "path": dir }));
    emu.post_json(
        "/api/2.0/workspace/import",
        json!({
            "path": format!("{dir}/terraform.tfstate"),
            "format": "AUTO",
            "overwrite": true,
            "content": base64::engine::general_purpose::STANDARD.encode(state.to_string()),
        }),
    );
    job_id
}

fn bundle_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: mlops\ninclude:\n  - resources/*.yml\ntargets:\n  dev:\n    mode: development\n    default: true\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("resources")).unwrap();
    std::fs::write(
        dir.path().join("resources/targets.yml"),
        "targets:\n  prod:\n    workspace:\n      root_path: /Shared/.bundle/${bundle.name}/prod\n",
    )
    .unwrap();
    dir
}

#[test]
fn runs_a_deployed_job_by_its_key() {
    let emu = TestEmulator::fast();
    let job_id = deployed(&emu);
    let dir = bundle_dir();
    let env = run_env(&emu);
    let out = brickci(
        &["run", "train_model", "--param", "model_version=7"],
        &as_refs(&env),
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("notebook output: trained v7"), "{all}");
    let run_now = &emu.calls("POST", "/jobs/run-now")[0];
    assert_eq!(run_now.body["job_id"], job_id);
    assert_eq!(run_now.body["notebook_params"]["model_version"], "7");
}

#[test]
fn unknown_keys_and_undeployed_targets_are_bad_input() {
    let emu = TestEmulator::fast();
    deployed(&emu);
    let dir = bundle_dir();
    let env = run_env(&emu);
    let out = brickci(
        &["run", "-t", "dev", "score_batch"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "no deployed job or pipeline \"score_batch\" (jobs: train_model; pipelines: none)"
        ),
        "{}",
        text(&out)
    );
    let out = brickci(
        &["run", "-t", "prod", "train_model"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "not deployed to target prod (no deployment state in /Workspace/Shared/.bundle/mlops/prod/state)"
        ),
        "{}",
        text(&out)
    );
    let out = brickci(
        &["run", "-t", "qa", "train_model"],
        &as_refs(&env),
        dir.path(),
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("databricks.yml") && text(&out).contains("no target \"qa\""),
        "{}",
        text(&out)
    );
    assert!(emu.calls("POST", "/jobs/run-now").is_empty());
}
