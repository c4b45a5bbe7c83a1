//! Jobs API runs: submit (idempotent), get (tasks paginated), get-output, cancel, delete,
//! list.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::callback_process::{self, Process};
use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::notebook_script::{self, Script};
use super::pagination;
use super::runs::{RunRecord, TaskRecord, task_output};
use super::state::State;
use super::workspace_tree::normalize;
use super::{Shared, lock};

/// `runs/get` returns at most this many tasks per page.
const TASK_PAGE: usize = 100;

fn run_id_arg(q: &HashMap<String, String>) -> Result<i64, Response> {
    let raw = q
        .get("run_id")
        .ok_or_else(|| invalid_parameter("Missing required field: run_id"))?;
    raw.parse()
        .map_err(|_| invalid_parameter(format!("Invalid run_id: {raw}")))
}

fn no_run(id: i64) -> Response {
    invalid_parameter(format!("Run {id} does not exist."))
}

pub async fn submit(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let mut s = lock(&state);
    if let Some(token) = body["idempotency_token"].as_str() {
        if token.len() > 64 {
            return invalid_parameter("idempotency_token must be at most 64 characters");
        }
        if let Some(id) = s.idempotency.get(token) {
            return Json(json!({ "run_id": id })).into_response();
        }
    }
    let tasks = or_respond!(build_tasks(&mut s, &body));
    let run_id = s.next_id();
    let creator = s.principal(bearer(&headers)).unwrap_or_default();
    let record = RunRecord {
        run_id,
        job_id: None,
        run_name: body["run_name"].as_str().unwrap_or("Untitled").to_string(),
        run_type: "SUBMIT_RUN",
        submitted_ms: s.clock.now_ms(),
        creator,
        tasks,
        cancelled_ms: None,
    };
    s.runs.insert(run_id, record);
    if let Some(token) = body["idempotency_token"].as_str() {
        s.idempotency.insert(token.to_string(), run_id);
    }
    Json(json!({ "run_id": run_id })).into_response()
}

pub(super) fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("")
}

/// Validates the tasks and reads each notebook's script from the workspace as it is now.
/// `body` is a runs/submit body or a job's settings.
pub(super) fn build_tasks(s: &mut State, body: &Value) -> Result<Vec<TaskRecord>, Response> {
    let Some(specs) = body["tasks"].as_array().filter(|t| !t.is_empty()) else {
        return Err(invalid_parameter("At least one task is required."));
    };
    let has_git = body.get("git_source").is_some_and(Value::is_object);
    let mut tasks = Vec::new();
    for spec in specs {
        let Some(key) = spec["task_key"].as_str().filter(|k| !k.is_empty()) else {
            return Err(invalid_parameter(
                "Task key must be specified for every task.",
            ));
        };
        if tasks.iter().any(|t: &TaskRecord| t.key == key) {
            return Err(invalid_parameter(format!("Task key {key} is duplicated.")));
        }
        let depends_on: Vec<String> = spec["depends_on"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d["task_key"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let (notebook_path, script) = task_script(s, spec, has_git)?;
        let script = match (&notebook_path, script) {
            (Some(path), Some(script)) => {
                let nth = s.notebook_runs.entry(path.clone()).or_insert(0);
                *nth += 1;
                Some(script.for_run(*nth))
            }
            (_, script) => script,
        };
        let process = launcher_task(s, spec);
        let run_id = s.next_id();
        tasks.push(TaskRecord {
            key: key.to_string(),
            run_id,
            depends_on,
            notebook_path,
            script,
            spec: spec.clone(),
            process,
        });
    }
    for t in &tasks {
        for d in &t.depends_on {
            if !tasks.iter().any(|x| &x.key == d) {
                return Err(invalid_parameter(format!(
                    "Task {} depends on {d}, which is not a task of this run.",
                    t.key
                )));
            }
        }
    }
    if has_cycle(&tasks) {
        return Err(invalid_parameter("The task dependency graph has a cycle."));
    }
    Ok(tasks)
}

fn task_script(
    s: &State,
    spec: &Value,
    has_git: bool,
) -> Result<(Option<String>, Option<Script>), Response> {
    let (path, source) = if let Some(nb) = spec.get("notebook_task") {
        let Some(p) = nb["notebook_path"].as_str() else {
            return Err(invalid_parameter(
                "notebook_task.notebook_path must be specified.",
            ));
        };
        (
            p.to_string(),
            nb["source"]
                .as_str()
                .unwrap_or(if has_git { "GIT" } else { "WORKSPACE" })
                .to_string(),
        )
    } else if let Some(py) = spec.get("spark_python_task") {
        let p = py["python_file"].as_str().unwrap_or_default().to_string();
        let src = py["source"]
            .as_str()
            .unwrap_or(if has_git { "GIT" } else { "WORKSPACE" })
            .to_string();
        (p, src)
    } else {
        // Other task types (wheel, SQL, pipeline, ...) succeed without output.
        return Ok((None, Some(Script::default())));
    };
    if source == "GIT" {
        return Ok((Some(path), Some(Script::default())));
    }
    let Some(normalized) = normalize(&path) else {
        return Err(invalid_parameter(format!(
            "Workspace paths must be absolute: {path}"
        )));
    };
    let script = s
        .tree
        .get(&normalized)
        .filter(|o| o.kind != super::workspace_tree::Kind::Directory)
        .map(|o| notebook_script::parse(&String::from_utf8_lossy(&o.content)));
    Ok((Some(path), script))
}

/// A Python task whose file is brickci's callback launcher: the emulator runs it for real.
fn launcher_task(s: &State, spec: &Value) -> Option<Process> {
    let py = spec.get("spark_python_task")?;
    if py["source"].as_str().is_some_and(|src| src != "WORKSPACE") {
        return None;
    }
    let path = normalize(py["python_file"].as_str()?)?;
    let file = s.tree.get(&path)?;
    if !file
        .content
        .starts_with(callback_process::MARKER.as_bytes())
    {
        return None;
    }
    let params: Vec<String> = py["parameters"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Some(Process::new(&params))
}

fn has_cycle(tasks: &[TaskRecord]) -> bool {
    let mut done: Vec<bool> = vec![false; tasks.len()];
    for _ in 0..tasks.len() {
        for (i, t) in tasks.iter().enumerate() {
            if !done[i]
                && t.depends_on.iter().all(|d| {
                    tasks
                        .iter()
                        .position(|x| &x.key == d)
                        .is_some_and(|j| done[j])
                })
            {
                done[i] = true;
            }
        }
    }
    done.iter().any(|d| !d)
}

pub async fn get(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = or_respond!(run_id_arg(&q));
    callback_process::start_due(&state);
    let s = lock(&state);
    let Some(run) = s.runs.get(&id) else {
        return no_run(id);
    };
    let mut v = run.to_json(s.clock.now_ms(), &s.base_url, &s.workspace_id);
    let offset: usize = q
        .get("page_token")
        .and_then(|t| t.strip_prefix("tasks:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if let Some(all) = v["tasks"].as_array().cloned()
        && (all.len() > TASK_PAGE || offset > 0)
    {
        let page: Vec<Value> = all.iter().skip(offset).take(TASK_PAGE).cloned().collect();
        v["tasks"] = json!(page);
        if offset + TASK_PAGE < all.len() {
            v["next_page_token"] = json!(format!("tasks:{}", offset + TASK_PAGE));
            v["has_more"] = json!(true);
        }
    }
    Json(v).into_response()
}

pub async fn get_output(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = or_respond!(run_id_arg(&q));
    callback_process::start_due(&state);
    let s = lock(&state);
    let now = s.clock.now_ms();
    let found = s.runs.values().find_map(|r| {
        if r.run_id == id {
            return Some((r, None));
        }
        r.tasks
            .iter()
            .position(|t| t.run_id == id)
            .map(|i| (r, Some(i)))
    });
    let Some((run, task_index)) = found else {
        return no_run(id);
    };
    let index = match task_index {
        Some(i) => i,
        None if run.tasks.len() == 1 => 0,
        None => {
            return invalid_parameter(
                "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.",
            );
        }
    };
    let schedule = run.schedule();
    Json(task_output(
        run,
        &run.tasks[index],
        &schedule[index],
        now,
        &s.base_url,
        &s.workspace_id,
    ))
    .into_response()
}

pub async fn cancel(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let Some(id) = body["run_id"].as_i64() else {
        return invalid_parameter("Missing required field: run_id");
    };
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let Some(run) = s.runs.get_mut(&id) else {
        return no_run(id);
    };
    if run.cancelled_ms.is_none() && !run.is_terminal(now) {
        run.cancelled_ms = Some(now);
    }
    Json(json!({})).into_response()
}

/// Deletes a run that has ended; one still going is refused (cancel it first).
pub async fn delete(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let Some(id) = body["run_id"].as_i64() else {
        return invalid_parameter("Missing required field: run_id");
    };
    callback_process::start_due(&state);
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let Some(run) = s.runs.get(&id) else {
        return no_run(id);
    };
    if !run.is_terminal(now) {
        return api_error(
            400,
            "INVALID_STATE",
            format!("Run {id} is active and cannot be deleted; cancel it first."),
        );
    }
    s.runs.remove(&id);
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let page = or_respond!(pagination::page(&q, 20, 25, "runs"));
    callback_process::start_due(&state);
    let flag = |k: &str| q.get(k).map(String::as_str) == Some("true");
    let s = lock(&state);
    let now = s.clock.now_ms();
    let job_id: Option<i64> = q.get("job_id").and_then(|j| j.parse().ok());
    let matching: Vec<Value> = s
        .runs
        .values()
        .rev()
        .filter(|r| job_id.is_none_or(|j| r.job_id == Some(j)))
        .filter(|r| !flag("active_only") || !r.is_terminal(now))
        .filter(|r| !flag("completed_only") || r.is_terminal(now))
        .filter(|r| q.get("run_type").is_none_or(|t| t == r.run_type))
        .map(|r| {
            let mut v = r.to_json(now, &s.base_url, &s.workspace_id);
            if !flag("expand_tasks")
                && let Value::Object(m) = &mut v
            {
                m.remove("tasks");
            }
            v
        })
        .collect();
    Json(page.respond("runs", matching)).into_response()
}
