//! Jobs API jobs: create, get, list (by name, paginated), reset, update, delete, run-now.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{invalid_parameter, json_body, or_respond};
use super::handlers_jobs::{bearer, build_tasks};
use super::pagination;
use super::runs::RunRecord;
use super::state::JobRecord;
use super::{Shared, lock};

fn no_job(id: i64) -> Response {
    invalid_parameter(format!("Job {id} does not exist."))
}

fn job_id_of(v: &Value) -> Result<i64, Response> {
    v["job_id"]
        .as_i64()
        .or_else(|| v["job_id"].as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| invalid_parameter("Missing required field: job_id"))
}

/// Settings the service refuses before storing anything.
fn check_settings(settings: &Value) -> Result<(), Response> {
    if !settings.is_object() {
        return Err(invalid_parameter("Job settings must be an object"));
    }
    let mut keys = Vec::new();
    for t in settings["tasks"].as_array().into_iter().flatten() {
        let Some(k) = t["task_key"].as_str().filter(|k| !k.is_empty()) else {
            return Err(invalid_parameter(
                "Task key must be specified for every task.",
            ));
        };
        if keys.contains(&k) {
            return Err(invalid_parameter(format!("Task key {k} is duplicated.")));
        }
        keys.push(k);
    }
    if let Some(n) = settings["name"].as_str()
        && n.len() > 4096
    {
        return Err(invalid_parameter("Job name is too long"));
    }
    Ok(())
}

fn job_json(j: &JobRecord, with_tasks: bool) -> Value {
    let mut settings = j.settings.clone();
    if !with_tasks && let Value::Object(m) = &mut settings {
        m.remove("tasks");
        m.remove("job_clusters");
    }
    json!({
        "job_id": j.job_id,
        "creator_user_name": j.creator,
        "run_as_user_name": j.creator,
        "created_time": j.created_ms,
        "settings": settings,
    })
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut settings = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = check_settings(&settings) {
        return r;
    }
    if let Value::Object(m) = &mut settings {
        m.remove("access_control_list");
        m.entry("name").or_insert_with(|| json!("Untitled"));
    }
    let mut s = lock(&state);
    let job_id = s.next_id();
    let creator = s.principal(bearer(&headers)).unwrap_or_default();
    let created_ms = s.clock.now_ms();
    s.jobs.insert(
        job_id,
        JobRecord {
            job_id,
            settings,
            creator,
            created_ms,
        },
    );
    Json(json!({ "job_id": job_id })).into_response()
}

pub async fn get(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = q.get("job_id").and_then(|v| v.parse::<i64>().ok()) else {
        return invalid_parameter("Missing required field: job_id");
    };
    let s = lock(&state);
    match s.jobs.get(&id) {
        Some(j) => Json(job_json(j, true)).into_response(),
        None => no_job(id),
    }
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let page = or_respond!(pagination::page(&q, 20, 100, "jobs"));
    let expand = q.get("expand_tasks").map(String::as_str) == Some("true");
    let s = lock(&state);
    // The name filter is exact and case-insensitive.
    let matching: Vec<Value> = s
        .jobs
        .values()
        .filter(|j| {
            q.get("name").is_none_or(|n| {
                j.settings["name"]
                    .as_str()
                    .is_some_and(|jn| jn.eq_ignore_ascii_case(n))
            })
        })
        .map(|j| job_json(j, expand))
        .collect();
    Json(page.respond("jobs", matching)).into_response()
}

pub async fn reset(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let id = or_respond!(job_id_of(&body));
    let Some(new) = body.get("new_settings").filter(|v| v.is_object()).cloned() else {
        return invalid_parameter("Missing required field: new_settings");
    };
    if let Err(r) = check_settings(&new) {
        return r;
    }
    let mut s = lock(&state);
    match s.jobs.get_mut(&id) {
        Some(j) => {
            j.settings = new;
            Json(json!({})).into_response()
        }
        None => no_job(id),
    }
}

pub async fn update(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let id = or_respond!(job_id_of(&body));
    let mut s = lock(&state);
    let Some(j) = s.jobs.get_mut(&id) else {
        return no_job(id);
    };
    if let (Value::Object(cur), Some(Value::Object(new))) =
        (&mut j.settings, body.get("new_settings"))
    {
        for (k, v) in new {
            cur.insert(k.clone(), v.clone());
        }
    }
    for field in body["fields_to_remove"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Value::Object(cur) = &mut j.settings {
            cur.remove(field);
        }
    }
    Json(json!({})).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let id = or_respond!(job_id_of(&body));
    match lock(&state).jobs.remove(&id) {
        Some(_) => Json(json!({})).into_response(),
        None => no_job(id),
    }
}

/// The run's job parameters: the job's defaults under what run-now passed.
fn job_parameters(settings: &Value, body: &Value) -> std::collections::BTreeMap<String, String> {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let mut out: std::collections::BTreeMap<String, String> = settings["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["name"].as_str()?.to_string(), text(&p["default"]))))
        .collect();
    for (k, v) in body["job_parameters"].as_object().into_iter().flatten() {
        out.insert(k.clone(), text(v));
    }
    out
}

/// `run-now`: a run of the job's tasks (or `only` some), parameters merged in.
pub async fn run_now(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let id = or_respond!(job_id_of(&body));
    let mut s = lock(&state);
    if let Some(token) = body["idempotency_token"].as_str()
        && let Some(run_id) = s.idempotency.get(token)
    {
        let run_id = *run_id;
        return Json(json!({ "run_id": run_id, "number_in_job": run_id })).into_response();
    }
    let Some(job) = s.jobs.get(&id) else {
        return no_job(id);
    };
    let mut settings = job.settings.clone();
    let name = settings["name"].as_str().unwrap_or("Untitled").to_string();
    if let Some(only) = body["only"].as_array() {
        let keep: Vec<&str> = only.iter().filter_map(Value::as_str).collect();
        for k in &keep {
            if !settings["tasks"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x["task_key"] == *k))
            {
                return invalid_parameter(format!("Task {k} does not exist in job {id}."));
            }
        }
        if let Some(tasks) = settings["tasks"].as_array_mut() {
            tasks.retain(|t| t["task_key"].as_str().is_some_and(|k| keep.contains(&k)));
            for t in tasks.iter_mut() {
                if let Some(deps) = t.get_mut("depends_on").and_then(Value::as_array_mut) {
                    deps.retain(|d| d["task_key"].as_str().is_some_and(|k| keep.contains(&k)));
                }
            }
        }
    }
    // notebook_params override base_parameters of notebook tasks.
    if let (Some(params), Some(tasks)) = (
        body["notebook_params"].as_object(),
        settings["tasks"].as_array_mut(),
    ) {
        for t in tasks.iter_mut() {
            if let Some(nb) = t.get_mut("notebook_task").and_then(Value::as_object_mut) {
                let base = nb.entry("base_parameters").or_insert_with(|| json!({}));
                for (k, v) in params {
                    base[k] = v.clone();
                }
            }
        }
    }
    let mut tasks = or_respond!(build_tasks(&mut s, &settings));
    let parameters = job_parameters(&settings, &body);
    for p in tasks.iter_mut().filter_map(|t| t.process.as_mut()) {
        p.job_parameters = parameters.clone();
    }
    let run_id = s.next_id();
    let creator = s.principal(bearer(&headers)).unwrap_or_default();
    let submitted_ms = s.clock.now_ms();
    s.runs.insert(
        run_id,
        RunRecord {
            run_id,
            job_id: Some(id),
            run_name: name,
            run_type: "JOB_RUN",
            submitted_ms,
            creator,
            tasks,
            cancelled_ms: None,
        },
    );
    if let Some(token) = body["idempotency_token"].as_str() {
        s.idempotency.insert(token.to_string(), run_id);
    }
    Json(json!({ "run_id": run_id, "number_in_job": run_id })).into_response()
}
