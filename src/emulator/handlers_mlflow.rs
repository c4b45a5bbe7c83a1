//! MLflow tracking runs: create, update, get, log metrics, tags and params, metric history
//! (what a model gate reads, and what a test or user needs to seed it). Search is in
//! `mlflow_search`, Unity Catalog model versions in `handlers_model_versions`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{body_or_query, invalid_parameter, not_found, or_respond};
use super::state::State;
use super::{Shared, lock};

/// `metrics/get-history` page size when the caller names none.
const HISTORY_DEFAULT: usize = 25_000;

fn run_missing(id: &str) -> Response {
    not_found(format!("Run '{id}' not found."))
}

pub(super) fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// `/api/2.0/mlflow/runs/{op}` and `/api/2.0/mlflow/metrics/get-history`.
pub async fn runs(
    AxState(state): AxState<Shared>,
    Path(op): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let v = or_respond!(body_or_query(&q, &body));
    let mut s = lock(&state);
    match op.as_str() {
        "create" => create_run(&mut s, &v),
        "update" => update_run(&mut s, &v),
        "get" => match run_json(&s, text(&v, "run_id")) {
            Some(run) => Json(json!({ "run": run })).into_response(),
            None => run_missing(text(&v, "run_id")),
        },
        "log-metric" => {
            let id = text(&v, "run_id").to_string();
            or_respond!(log_metrics(&mut s, &id, std::slice::from_ref(&v)));
            Json(json!({})).into_response()
        }
        "log-batch" => {
            let id = text(&v, "run_id").to_string();
            if !s.objects.mlflow_runs.contains_key(&id) {
                return run_missing(&id);
            }
            let empty = Vec::new();
            for (kind, items) in [("tags", &v["tags"]), ("params", &v["params"])] {
                for t in items.as_array().unwrap_or(&empty) {
                    set_pair(&mut s, &id, kind, t);
                }
            }
            or_respond!(log_metrics(
                &mut s,
                &id,
                v["metrics"].as_array().unwrap_or(&empty)
            ));
            Json(json!({})).into_response()
        }
        "set-tag" | "log-parameter" => {
            let id = text(&v, "run_id").to_string();
            if !s.objects.mlflow_runs.contains_key(&id) {
                return run_missing(&id);
            }
            if text(&v, "key").is_empty() {
                return invalid_parameter("Missing value for required parameter 'key'.");
            }
            let kind = if op == "set-tag" { "tags" } else { "params" };
            set_pair(&mut s, &id, kind, &v);
            Json(json!({})).into_response()
        }
        "search" => super::mlflow_search::search(&s, &v),
        _ => super::errors::no_endpoint(format!("/api/2.0/mlflow/runs/{op}")),
    }
}

pub async fn metric_history(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    let id = q.get("run_id").map(String::as_str).unwrap_or("");
    let key = q.get("metric_key").map(String::as_str).unwrap_or("");
    if key.is_empty() {
        return invalid_parameter("Missing value for required parameter 'metric_key'.");
    }
    if !s.objects.mlflow_runs.contains_key(id) {
        return run_missing(id);
    }
    let points: Vec<Value> = s
        .objects
        .metric_history
        .get(id)
        .into_iter()
        .flatten()
        .filter(|m| m["key"] == key)
        .cloned()
        .collect();
    let max = q
        .get("max_results")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(HISTORY_DEFAULT);
    let offset: usize = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("history:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid_parameter("Invalid page token"),
        },
    };
    let mut resp = json!({});
    let page: Vec<&Value> = points.iter().skip(offset).take(max).collect();
    if !page.is_empty() {
        resp["metrics"] = json!(page);
    }
    if offset + max < points.len() {
        resp["next_page_token"] = json!(format!("history:{}", offset + max));
    }
    Json(resp).into_response()
}

fn create_run(s: &mut State, v: &Value) -> Response {
    let exp = text(v, "experiment_id").to_string();
    if !s.objects.experiments.contains_key(&exp) {
        return not_found(format!("Could not find experiment with ID {exp}"));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let start = v["start_time"].as_u64().unwrap_or_else(|| s.clock.now_ms());
    let user = v["user_id"]
        .as_str()
        .map_or_else(|| s.config.user_name.clone(), str::to_string);
    let info = json!({
        "run_id": id, "run_uuid": id, "run_name": v["run_name"].as_str().unwrap_or(&id[..8]),
        "experiment_id": exp, "user_id": user, "status": "RUNNING", "start_time": start,
        "artifact_uri": format!("dbfs:/databricks/mlflow-tracking/{exp}/{id}/artifacts"),
        "lifecycle_stage": "active",
    });
    let tags = v["tags"].as_array().cloned().unwrap_or_default();
    s.objects.mlflow_runs.insert(
        id.clone(),
        json!({ "info": info, "data": { "tags": tags, "params": [] } }),
    );
    Json(json!({ "run": run_json(s, &id) })).into_response()
}

fn update_run(s: &mut State, v: &Value) -> Response {
    let id = text(v, "run_id").to_string();
    let status = v["status"].as_str();
    if let Some(st) = status
        && !["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"].contains(&st)
    {
        return invalid_parameter(format!("Invalid value {st} for parameter 'status'"));
    }
    let now = s.clock.now_ms();
    let Some(run) = s.objects.mlflow_runs.get_mut(&id) else {
        return run_missing(&id);
    };
    if let Some(st) = status {
        run["info"]["status"] = json!(st);
        if st != "RUNNING" && st != "SCHEDULED" {
            run["info"]["end_time"] = json!(v["end_time"].as_u64().unwrap_or(now));
        }
    }
    if let Some(name) = v["run_name"].as_str() {
        run["info"]["run_name"] = json!(name);
    }
    Json(json!({ "run_info": run["info"] })).into_response()
}

/// A tag or param: a later value for the same key replaces the earlier one.
fn set_pair(s: &mut State, id: &str, kind: &str, item: &Value) {
    let Some(run) = s.objects.mlflow_runs.get_mut(id) else {
        return;
    };
    let list = run["data"][kind].as_array_mut();
    let pair = json!({ "key": item["key"], "value": item["value"] });
    if let Some(list) = list {
        list.retain(|p| p["key"] != item["key"]);
        list.push(pair);
    } else {
        run["data"][kind] = json!([pair]);
    }
}

fn log_metrics(s: &mut State, id: &str, items: &[Value]) -> Result<(), Response> {
    if !s.objects.mlflow_runs.contains_key(id) {
        return Err(run_missing(id));
    }
    let now = s.clock.now_ms();
    let mut points = Vec::new();
    for m in items {
        let key = text(m, "key");
        // NaN and infinities travel as strings in JSON; plain numbers otherwise.
        let value = match &m["value"] {
            Value::Number(n) => n.as_f64(),
            Value::String(t) => t.parse::<f64>().ok(),
            _ => None,
        };
        let (false, Some(value)) = (key.is_empty(), value) else {
            return Err(invalid_parameter(format!(
                "Invalid metric {}: a key and a numeric value are required.",
                m
            )));
        };
        points.push(json!({
            "key": key, "value": value,
            "timestamp": m["timestamp"].as_i64().unwrap_or(now as i64),
            "step": m["step"].as_i64().unwrap_or(0),
            "run_id": id,
        }));
    }
    s.objects
        .metric_history
        .entry(id.to_string())
        .or_default()
        .extend(points);
    Ok(())
}

/// The latest value of each metric: highest step, then latest timestamp, then last logged.
fn latest_metrics(s: &State, id: &str) -> Vec<Value> {
    let mut latest: Vec<Value> = Vec::new();
    for p in s.objects.metric_history.get(id).into_iter().flatten() {
        let at = |m: &Value| (m["step"].as_i64(), m["timestamp"].as_i64());
        match latest.iter_mut().find(|m| m["key"] == p["key"]) {
            Some(m) if at(p) >= at(m) => *m = p.clone(),
            Some(_) => {}
            None => latest.push(p.clone()),
        }
    }
    latest
        .into_iter()
        .map(|mut m| {
            if let Some(o) = m.as_object_mut() {
                o.remove("run_id");
            }
            m
        })
        .collect()
}

pub(super) fn run_json(s: &State, id: &str) -> Option<Value> {
    let mut run = s.objects.mlflow_runs.get(id)?.clone();
    let metrics = latest_metrics(s, id);
    if !metrics.is_empty() {
        run["data"]["metrics"] = json!(metrics);
    }
    for kind in ["tags", "params"] {
        if run["data"][kind].as_array().is_some_and(Vec::is_empty)
            && let Some(d) = run["data"].as_object_mut()
        {
            d.remove(kind);
        }
    }
    Some(run)
}
