//! Lakeflow (Delta Live Tables) pipelines: create, read, update, delete; updates started,
//! read, listed and stopped; and the event log an update writes.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::notebook_script;
use super::pipeline_updates::{EventFilter, RUNNING_MS, UpdateRecord, timestamp};
use super::state::State;
use super::workspace_tree::normalize;
use super::{Shared, lock};

/// Events per page unless `max_results` says otherwise, and the most it may say.
const EVENTS_PAGE: usize = 25;
const EVENTS_MAX: usize = 1_000;
const UPDATES_PAGE: usize = 25;

fn pipeline_json(id: &str, spec: &Value, creator: &str) -> Value {
    json!({ "pipeline_id": id, "name": spec["name"], "spec": spec, "state": "IDLE", "creator_user_name": creator })
}

fn no_pipeline(id: &str) -> Response {
    not_found(format!("The specified pipeline {id} was not found."))
}

/// The pipeline as GET shows it: the stored object with its state and latest updates now.
fn pipeline_now(s: &State, id: &str, stored: &Value) -> Value {
    let now = s.clock.now_ms();
    let mut out = stored.clone();
    let updates = s.pipeline_updates.get(id).map(Vec::as_slice).unwrap_or(&[]);
    let active = updates.iter().any(|u| u.is_active(now));
    out["state"] = json!(if active { "RUNNING" } else { "IDLE" });
    let latest: Vec<Value> = updates
        .iter()
        .rev()
        .take(5)
        .map(|u| json!({ "update_id": u.update_id, "state": u.state(now), "creation_time": timestamp(u.created_ms) }))
        .collect();
    if !latest.is_empty() {
        out["latest_updates"] = json!(latest);
    }
    out
}

pub async fn pipeline_create(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut spec = or_respond!(json_body(&body));
    let Some(name) = spec["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
    else {
        return invalid_parameter("Pipeline name must be specified.");
    };
    let mut s = lock(&state);
    if spec["allow_duplicate_names"] != json!(true)
        && s.objects
            .pipelines
            .values()
            .any(|p| p["name"] == name.as_str())
    {
        return api_error(
            409,
            "RESOURCE_CONFLICT",
            format!("Pipeline with name '{name}' already exists."),
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    spec["id"] = json!(id);
    let creator = s.principal(bearer(&headers)).unwrap_or_default();
    s.objects
        .pipelines
        .insert(id.clone(), pipeline_json(&id, &spec, &creator));
    Json(json!({ "pipeline_id": id })).into_response()
}

pub async fn pipeline_list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // The one filter form used for lookups: `name LIKE '<name>'` (exact, no wildcards).
    let wanted = q.get("filter").and_then(|f| {
        f.strip_prefix("name LIKE '")?
            .strip_suffix('\'')
            .map(|n| n.replace("''", "'"))
    });
    let s = lock(&state);
    let all: Vec<Value> = s
        .objects
        .pipelines
        .iter()
        .filter(|(_, p)| wanted.as_ref().is_none_or(|w| p["name"] == w.as_str()))
        .map(|(id, p)| {
            let p = pipeline_now(&s, id, p);
            json!({ "pipeline_id": p["pipeline_id"], "name": p["name"], "state": p["state"], "creator_user_name": p["creator_user_name"], "latest_updates": p["latest_updates"] })
        })
        .map(|mut p| {
            if p["latest_updates"].is_null() {
                p.as_object_mut().map(|o| o.remove("latest_updates"));
            }
            p
        })
        .collect();
    Json(if all.is_empty() {
        json!({})
    } else {
        json!({ "statuses": all })
    })
    .into_response()
}

pub async fn pipeline(
    AxState(state): AxState<Shared>,
    method: axum::http::Method,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut s = lock(&state);
    let Some(existing) = s.objects.pipelines.get(&id).cloned() else {
        return no_pipeline(&id);
    };
    match method {
        axum::http::Method::GET => Json(pipeline_now(&s, &id, &existing)).into_response(),
        axum::http::Method::DELETE => {
            s.objects.pipelines.remove(&id);
            s.pipeline_updates.remove(&id);
            Json(json!({})).into_response()
        }
        axum::http::Method::PUT => {
            let mut spec = or_respond!(json_body(&body));
            spec["id"] = json!(id);
            let creator = existing["creator_user_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            s.objects
                .pipelines
                .insert(id.clone(), pipeline_json(&id, &spec, &creator));
            Json(json!({})).into_response()
        }
        _ => api_error(405, "NOT_IMPLEMENTED", "Method not allowed"),
    }
}

/// What the pipeline's library notebooks script: the first `fail` (message and notebook)
/// and the longest `duration`. A library that is not in the workspace fails the update.
fn scripted(s: &mut State, spec: &Value) -> (Option<(String, String)>, u64) {
    let mut failure = None;
    let mut running = None::<u64>;
    for lib in spec["libraries"].as_array().into_iter().flatten() {
        let Some(path) = lib["notebook"]["path"]
            .as_str()
            .or_else(|| lib["file"]["path"].as_str())
        else {
            continue;
        };
        let Some(normalized) = normalize(path) else {
            continue;
        };
        let Some(source) = s.tree.get(&normalized).map(|o| o.content.clone()) else {
            failure.get_or_insert((
                format!("java.io.FileNotFoundException: Notebook {path} does not exist"),
                path.to_string(),
            ));
            continue;
        };
        let nth = s.notebook_runs.entry(normalized).or_insert(0);
        *nth += 1;
        let script = notebook_script::parse(&String::from_utf8_lossy(&source)).for_run(*nth);
        if let Some((message, _line)) = script.fail {
            failure.get_or_insert((message, path.to_string()));
        }
        if let Some(ms) = script.duration_ms {
            running = Some(running.map_or(ms, |r| r.max(ms)));
        }
    }
    (failure, running.unwrap_or(RUNNING_MS))
}

fn string_list(v: &Value, key: &str) -> Result<(), Response> {
    match &v[key] {
        Value::Null => Ok(()),
        Value::Array(a) if a.iter().all(Value::is_string) => Ok(()),
        _ => Err(invalid_parameter(format!(
            "Invalid value for {key}: expected a list of table names"
        ))),
    }
}

pub async fn start_update(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let request = if body.is_empty() {
        json!({})
    } else {
        or_respond!(json_body(&body))
    };
    for key in ["refresh_selection", "full_refresh_selection"] {
        if let Err(r) = string_list(&request, key) {
            return r;
        }
    }
    if request["full_refresh"] == json!(true)
        && (request["refresh_selection"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
            || request["full_refresh_selection"]
                .as_array()
                .is_some_and(|a| !a.is_empty()))
    {
        return invalid_parameter(
            "full_refresh cannot be combined with refresh_selection or full_refresh_selection",
        );
    }
    let mut s = lock(&state);
    let Some(spec) = s.objects.pipelines.get(&id).map(|p| p["spec"].clone()) else {
        return no_pipeline(&id);
    };
    let now = s.clock.now_ms();
    if let Some(active) = s
        .pipeline_updates
        .get(&id)
        .and_then(|u| u.iter().find(|u| u.is_active(now)))
    {
        return api_error(
            409,
            "RESOURCE_CONFLICT",
            format!(
                "Cannot start a new update for pipeline {id}: update {} is still active.",
                active.update_id
            ),
        );
    }
    let (failure, running_ms) = scripted(&mut s, &spec);
    let update_id = uuid::Uuid::new_v4().to_string();
    s.pipeline_updates
        .entry(id.clone())
        .or_default()
        .push(UpdateRecord {
            update_id: update_id.clone(),
            pipeline_id: id,
            created_ms: now,
            request,
            running_ms,
            failure,
            stopped_ms: None,
        });
    Json(json!({ "update_id": update_id })).into_response()
}

pub async fn get_update(
    AxState(state): AxState<Shared>,
    Path((id, update_id)): Path<(String, String)>,
) -> Response {
    let s = lock(&state);
    if !s.objects.pipelines.contains_key(&id) {
        return no_pipeline(&id);
    }
    let now = s.clock.now_ms();
    match s
        .pipeline_updates
        .get(&id)
        .and_then(|u| u.iter().find(|u| u.update_id == update_id))
    {
        Some(u) => Json(json!({ "update": u.info(now) })).into_response(),
        None => not_found(format!(
            "The specified update {update_id} of pipeline {id} was not found."
        )),
    }
}

/// Newest first, paged with `max_results` and `page_token`.
pub async fn list_updates(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    if !s.objects.pipelines.contains_key(&id) {
        return no_pipeline(&id);
    }
    let now = s.clock.now_ms();
    let mut all: Vec<Value> = s
        .pipeline_updates
        .get(&id)
        .into_iter()
        .flatten()
        .rev()
        .map(|u| u.info(now))
        .collect();
    if let Some(until) = q.get("until_update_id")
        && let Some(i) = all.iter().position(|u| u["update_id"] == until.as_str())
    {
        all.truncate(i + 1);
    }
    let page = or_respond!(paging(&q, UPDATES_PAGE, "updates"));
    Json(page.respond("updates", all)).into_response()
}

/// `max_results` and an opaque `page_token` (`<kind>:<offset>`).
struct Paging {
    offset: usize,
    limit: usize,
    kind: &'static str,
}

fn paging(
    q: &HashMap<String, String>,
    default: usize,
    kind: &'static str,
) -> Result<Paging, Response> {
    let limit = match q.get("max_results").map(|m| m.parse::<usize>()) {
        None => default,
        Some(Ok(m)) if (1..=EVENTS_MAX).contains(&m) => m,
        Some(_) => {
            return Err(invalid_parameter(format!(
                "max_results must be between 1 and {EVENTS_MAX}"
            )));
        }
    };
    let offset = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix(':'))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| invalid_parameter("Invalid page token"))?,
    };
    Ok(Paging {
        offset,
        limit,
        kind,
    })
}

impl Paging {
    fn respond(&self, key: &str, items: Vec<Value>) -> Value {
        let total = items.len();
        let page: Vec<Value> = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        let mut resp = json!({});
        if !page.is_empty() {
            resp[key] = json!(page);
        }
        if self.offset + self.limit < total {
            resp["next_page_token"] = json!(format!("{}:{}", self.kind, self.offset + self.limit));
        }
        if self.offset > 0 {
            resp["prev_page_token"] = json!(format!(
                "{}:{}",
                self.kind,
                self.offset.saturating_sub(self.limit)
            ));
        }
        resp
    }
}

/// The pipeline's event log: newest first unless `order_by=timestamp asc`.
pub async fn events(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let filter = match EventFilter::parse(q.get("filter").map(String::as_str).unwrap_or("")) {
        Ok(f) => f,
        Err(message) => return invalid_parameter(message),
    };
    let page = or_respond!(paging(&q, EVENTS_PAGE, "events"));
    let s = lock(&state);
    if !s.objects.pipelines.contains_key(&id) {
        return no_pipeline(&id);
    }
    let now = s.clock.now_ms();
    let mut all: Vec<Value> = s
        .pipeline_updates
        .get(&id)
        .into_iter()
        .flatten()
        .flat_map(|u| u.events(now))
        .filter(|e| filter.matches(e))
        .collect();
    // Timestamps sort as text; the id keeps events of one instant in order.
    all.sort_by(|a, b| {
        (
            a["timestamp"].as_str(),
            a["sequence"]["control_plane_seq_no"].as_u64(),
        )
            .cmp(&(
                b["timestamp"].as_str(),
                b["sequence"]["control_plane_seq_no"].as_u64(),
            ))
    });
    let ascending = q
        .get("order_by")
        .is_some_and(|o| o.to_ascii_lowercase().ends_with("asc"));
    if !ascending {
        all.reverse();
    }
    Json(page.respond("events", all)).into_response()
}

/// Stops the active update, if any (no active update: nothing to do).
pub async fn stop(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut s = lock(&state);
    if !s.objects.pipelines.contains_key(&id) {
        return no_pipeline(&id);
    }
    let now = s.clock.now_ms();
    for u in s.pipeline_updates.get_mut(&id).into_iter().flatten() {
        if u.is_active(now) && u.stopped_ms.is_none() {
            u.stopped_ms = Some(now);
        }
    }
    Json(json!({})).into_response()
}
