//! What deploy adds for a callback: the binary and the launcher in the artifact path, and a
//! last task in the job that runs the launcher once the other tasks are done.

use std::sync::Arc;

use serde_json::{Value, json};

use super::binary::Binary;
use super::declaration::Callback;
use crate::bundle::Bundle;
use crate::deploy::plan::Generated;

/// The task deploy adds to the job.
pub const TASK_KEY: &str = "brickci_callback";
/// Marks the launcher; the emulator runs a Python task whose file carries it for real.
pub const LAUNCHER_MARKER: &str = "# brickci-callback-launcher 1";
const LAUNCHER: &str = include_str!("launcher.py");
/// The Jobs API refuses a Python task whose JSON-encoded parameters exceed 10,000 bytes.
const PARAMETERS_LIMIT: usize = 10_000;
/// The serverless environment added when no task of the job names compute to share.
const ENVIRONMENT_KEY: &str = "brickci_callback";

/// Run context Databricks fills in (dynamic value references), for the binary's
/// environment: it makes the binary know it runs in a job, and keys its idempotency.
const CONTEXT: &[(&str, &str)] = &[
    ("DATABRICKS_JOB_ID", "{{job.id}}"),
    ("DATABRICKS_JOB_RUN_ID", "{{job.run_id}}"),
    ("DATABRICKS_TASK_RUN_ID", "{{task.run_id}}"),
    ("DATABRICKS_JOB_REPAIR_COUNT", "{{job.repair_count}}"),
];

/// Adds each callback's task to its job; returns the files to upload.
pub fn attach(
    bundle: &mut Bundle,
    callbacks: &[Callback],
    binary: Binary,
) -> Result<Vec<Generated>, String> {
    if callbacks.is_empty() {
        return Ok(Vec::new());
    }
    let folder = format!("{}/.brickci", bundle.workspace.artifact_path);
    let binary_remote = format!("{folder}/brickci");
    let launcher_remote = format!("{folder}/brickci_callback.py");
    let sha = crate::deploy::files::sha256(&binary.bytes);
    for cb in callbacks {
        let job = bundle
            .resources
            .iter_mut()
            .find(|r| r.kind == "jobs" && r.key == cb.job)
            .ok_or_else(|| format!("brickci.callbacks.{}: no such job", cb.job))?;
        let task = task(cb, &job.settings, &binary_remote, &launcher_remote, &sha)
            .map_err(|e| format!("{}: brickci.callbacks.{}: {e}", cb.loc, cb.job))?;
        add(&mut job.settings, task, cb)
            .map_err(|e| format!("{}: brickci.callbacks.{}: {e}", cb.loc, cb.job))?;
    }
    Ok(vec![
        Generated {
            name: "brickci (callback binary)".into(),
            remote: binary_remote,
            bytes: Arc::new(binary.bytes),
        },
        Generated {
            name: "brickci_callback.py (callback launcher)".into(),
            remote: launcher_remote,
            bytes: Arc::new(LAUNCHER.as_bytes().to_vec()),
        },
    ])
}

/// The launcher's parameters: where the binary is, its checksum, which secret fills which
/// variable, the run context; then `--` and the binary's own arguments.
pub fn parameters(cb: &Callback, binary_remote: &str, sha: &str) -> Vec<String> {
    let mut p = vec![
        "--binary".to_string(),
        binary_remote.to_string(),
        "--sha256".into(),
        sha.into(),
    ];
    for s in &cb.secrets {
        p.push("--secret".into());
        p.push(format!("{}={}/{}", s.env, s.scope, s.key));
    }
    let context = CONTEXT.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    for (k, v) in cb.env.iter().cloned().chain(context) {
        p.push("--env".into());
        p.push(format!("{k}={v}"));
    }
    p.push("--".into());
    p.extend(cb.args.iter().cloned());
    p
}

fn task(
    cb: &Callback,
    job: &Value,
    binary_remote: &str,
    launcher_remote: &str,
    sha: &str,
) -> Result<Value, String> {
    let tasks = job["tasks"].as_array().cloned().unwrap_or_default();
    if tasks.iter().any(|t| t["task_key"] == TASK_KEY) {
        return Err(format!(
            "the job already has a task {TASK_KEY:?}; rename it, the callback adds its own"
        ));
    }
    let params = parameters(cb, binary_remote, sha);
    let encoded = serde_json::to_string(&params)
        .expect("strings serialise")
        .len();
    if encoded > PARAMETERS_LIMIT {
        return Err(format!(
            "the callback task's parameters are {encoded} bytes as JSON; the Jobs API takes {PARAMETERS_LIMIT}: pass fewer or shorter inputs"
        ));
    }
    let depends_on: Vec<Value> = tasks
        .iter()
        .filter_map(|t| t["task_key"].as_str())
        .map(|k| json!({ "task_key": k }))
        .collect();
    let mut task = json!({
        "task_key": TASK_KEY,
        "description": "brickci: fire the downstream trigger (brickci.callbacks in databricks.yml)",
        "run_if": cb.when.run_if(),
        "spark_python_task": {
            "python_file": launcher_remote,
            // Never from the job's git_source: deploy put the launcher in the workspace.
            "source": "WORKSPACE",
            "parameters": params,
        },
    });
    if !depends_on.is_empty() {
        task["depends_on"] = Value::Array(depends_on);
    }
    Ok(task)
}

/// Puts the task in the job with compute: the declaration's, else what another task uses.
fn add(job: &mut Value, mut task: Value, cb: &Callback) -> Result<(), String> {
    let (field, value) = match &cb.compute {
        Some((f, v)) => {
            check_compute(job, f, v)?;
            (f.clone(), Value::String(v.clone()))
        }
        None => shared_compute(job),
    };
    if field == "environment_key"
        && value == ENVIRONMENT_KEY
        && !has_environment(job, ENVIRONMENT_KEY)
    {
        let envs = job
            .as_object_mut()
            .expect("job settings are a map")
            .entry("environments")
            .or_insert_with(|| json!([]));
        if let Some(list) = envs.as_array_mut() {
            list.push(json!({ "environment_key": ENVIRONMENT_KEY, "spec": { "client": "2" } }));
        }
    }
    task[field] = value;
    let tasks = job
        .as_object_mut()
        .expect("job settings are a map")
        .entry("tasks")
        .or_insert_with(|| json!([]));
    if let Some(list) = tasks.as_array_mut() {
        list.push(task);
    }
    Ok(())
}

fn has_environment(job: &Value, key: &str) -> bool {
    job["environments"]
        .as_array()
        .is_some_and(|e| e.iter().any(|x| x["environment_key"] == key))
}

fn check_compute(job: &Value, field: &str, value: &str) -> Result<(), String> {
    let known = match field {
        "environment_key" => has_environment(job, value),
        "job_cluster_key" => job["job_clusters"]
            .as_array()
            .is_some_and(|c| c.iter().any(|x| x["job_cluster_key"] == value)),
        _ => return Ok(()),
    };
    if known {
        Ok(())
    } else {
        Err(format!(
            "compute.{field}: the job declares no {value:?} (in {})",
            if field == "environment_key" {
                "environments"
            } else {
                "job_clusters"
            }
        ))
    }
}

/// Compute another task already uses (a job cluster, a running cluster, an environment, a
/// copy of its new cluster), else a serverless environment of the callback's own.
fn shared_compute(job: &Value) -> (String, Value) {
    let tasks = job["tasks"].as_array().cloned().unwrap_or_default();
    for field in [
        "job_cluster_key",
        "existing_cluster_id",
        "environment_key",
        "new_cluster",
    ] {
        if let Some(v) = tasks.iter().find_map(|t| t.get(field)) {
            return (field.to_string(), v.clone());
        }
    }
    if let Some(first) = job["environments"]
        .as_array()
        .and_then(|e| e.first())
        .and_then(|e| e["environment_key"].as_str())
    {
        return ("environment_key".into(), Value::String(first.into()));
    }
    (
        "environment_key".into(),
        Value::String(ENVIRONMENT_KEY.into()),
    )
}

#[cfg(test)]
mod tests {
    use super::super::declaration::{SecretEnv, When};
    use super::*;
    use crate::bundle::yaml::Loc;

    fn callback(compute: Option<(&str, &str)>) -> Callback {
        Callback {
            job: "train".into(),
            when: When::Success,
            args: vec!["callback".into(), "github".into(), "--repo=o/r".into()],
            secrets: vec![SecretEnv {
                env: "GITHUB_TOKEN".into(),
                scope: "cicd".into(),
                key: "gh".into(),
            }],
            env: vec![],
            compute: compute.map(|(a, b)| (a.into(), b.into())),
            loc: Loc::synthetic("databricks.yml"),
        }
    }

    #[test]
    fn the_task_follows_every_task_shares_their_compute_and_holds_no_secret() {
        let mut job = json!({ "tasks": [
            { "task_key": "prep", "job_cluster_key": "main" },
            { "task_key": "train", "depends_on": [{ "task_key": "prep" }], "job_cluster_key": "main" },
        ], "job_clusters": [{ "job_cluster_key": "main" }] });
        let cb = callback(None);
        let t = task(
            &cb,
            &job,
            "/W/a/.brickci/brickci",
            "/W/a/.brickci/l.py",
            "ab12",
        )
        .unwrap();
        add(&mut job, t, &cb).unwrap();
        let added = &job["tasks"][2];
        assert_eq!(added["task_key"], TASK_KEY);
        assert_eq!(
            added["depends_on"],
            json!([{ "task_key": "prep" }, { "task_key": "train" }])
        );
        assert_eq!(added["run_if"], "ALL_SUCCESS");
        assert_eq!(added["job_cluster_key"], "main");
        let p = added["spark_python_task"]["parameters"].to_string();
        assert!(
            p.contains("\"--secret\",\"GITHUB_TOKEN=cicd/gh\""),
            "names only: {p}"
        );
        assert!(p.contains("DATABRICKS_JOB_RUN_ID={{job.run_id}}"), "{p}");
        assert!(
            p.ends_with("\"--\",\"callback\",\"github\",\"--repo=o/r\"]"),
            "{p}"
        );
    }

    #[test]
    fn without_shared_compute_a_serverless_environment_is_added_once() {
        let mut job = json!({ "tasks": [{ "task_key": "a", "notebook_task": {} }] });
        let cb = callback(None);
        let t = task(&cb, &job, "/b", "/l", "00").unwrap();
        add(&mut job, t, &cb).unwrap();
        assert_eq!(job["tasks"][1]["environment_key"], ENVIRONMENT_KEY);
        assert_eq!(
            job["environments"],
            json!([{ "environment_key": ENVIRONMENT_KEY, "spec": { "client": "2" } }])
        );
    }

    #[test]
    fn declared_compute_must_exist_and_a_taken_task_key_is_refused() {
        let job = json!({ "tasks": [{ "task_key": "a" }] });
        let cb = callback(Some(("job_cluster_key", "gpu")));
        let t = task(&cb, &job, "/b", "/l", "00").unwrap();
        let e = add(&mut job.clone(), t, &cb).unwrap_err();
        assert!(
            e.contains("compute.job_cluster_key") && e.contains("gpu"),
            "{e}"
        );
        let taken = json!({ "tasks": [{ "task_key": TASK_KEY }] });
        assert!(task(&cb, &taken, "/b", "/l", "00").is_err());
    }

    #[test]
    fn parameters_over_the_api_limit_are_refused_before_deploy() {
        let mut cb = callback(None);
        cb.args
            .push(format!("--input=big={}", "x".repeat(PARAMETERS_LIMIT)));
        let e = task(&cb, &json!({ "tasks": [] }), "/b", "/l", "00").unwrap_err();
        assert!(e.contains("10000"), "{e}");
    }

    #[test]
    fn the_launcher_carries_the_marker_the_emulator_looks_for() {
        assert!(LAUNCHER.starts_with(LAUNCHER_MARKER));
    }
}
