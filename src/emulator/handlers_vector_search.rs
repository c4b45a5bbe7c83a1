//! Vector search endpoints: create (PROVISIONING, ONLINE after `PROVISION_MS` on the
//! emulator clock), get, list (paginated), patch (`target_qps`), budget policy and custom
//! tags, start/stop (STARTING→ONLINE, OFFLINE), delete (its indexes stay, orphaned, as the
//! Databricks CLI's tests expect of the service). Indexes are in `handlers_vector_search_indexes`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::lifecycle::Pending;
use super::pagination::page;
use super::state::State;
use super::{Shared, lock};

/// Emulated time a new endpoint spends PROVISIONING (and a started one STARTING).
pub const PROVISION_MS: u64 = 60_000;

fn missing(name: &str) -> Response {
    not_found(format!("Vector search endpoint {name} not found"))
}

fn key(name: &str) -> String {
    format!("vector-search-endpoints/{name}")
}

fn settled(s: &mut State, name: &str) -> Option<Value> {
    let now = s.clock.now_ms();
    let indexes = super::handlers_vector_search_indexes::count_on(s, name);
    let e = s.objects.kinds.vs_endpoints.get_mut(name)?;
    s.objects.kinds.schedule.settle(&key(name), e, now);
    e["num_indexes"] = json!(indexes);
    Some(e.clone())
}

fn become_online(s: &mut State, name: &str, via: &str) {
    let now = s.clock.now_ms();
    if let Some(e) = s.objects.kinds.vs_endpoints.get_mut(name) {
        e["endpoint_status"] =
            json!({"state": via, "message": format!("Endpoint is {}", via.to_lowercase())});
    }
    s.objects.kinds.schedule.set(
        &key(name),
        Pending {
            pointer: "/endpoint_status/state",
            to: "ONLINE".into(),
            message: Some("Endpoint is online".into()),
            at_ms: now + PROVISION_MS,
        },
    );
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let name = text(&req, "name").to_string();
    if name.is_empty() {
        return invalid_parameter("Missing required field: name");
    }
    let endpoint_type = match text(&req, "endpoint_type") {
        "" => return invalid_parameter("Missing required field: endpoint_type"),
        t @ ("STANDARD" | "STORAGE_OPTIMIZED") => t.to_string(),
        other => return invalid_parameter(format!("Invalid endpoint_type '{other}'")),
    };
    let mut s = lock(&state);
    if s.objects.kinds.vs_endpoints.contains_key(&name) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Endpoint with name {name} already exists"),
        );
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = s.clock.now_ms();
    let mut e = json!({
        "name": name, "id": uuid::Uuid::new_v4().to_string(), "endpoint_type": endpoint_type,
        "creator": user, "creation_timestamp": now, "last_updated_timestamp": now,
        "last_updated_user": user, "num_indexes": 0,
    });
    for f in ["budget_policy_id", "usage_policy_id", "custom_tags"] {
        if let Some(x) = req.get(f).filter(|x| !x.is_null()) {
            e[f] = x.clone();
        }
    }
    if let Some(b) = req.get("budget_policy_id") {
        e["effective_budget_policy_id"] = b.clone();
    }
    if let Some(q) = req.get("target_qps") {
        e["scaling_info"] = json!({"requested_target_qps": q});
    }
    s.objects.kinds.vs_endpoints.insert(name.clone(), e);
    become_online(&mut s, &name, "PROVISIONING");
    Json(settled(&mut s, &name)).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    match settled(&mut lock(&state), &name) {
        Some(e) => Json(e).into_response(),
        None => missing(&name),
    }
}

pub async fn patch(
    AxState(state): AxState<Shared>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    if settled(&mut s, &name).is_none() {
        return missing(&name);
    }
    let Some(e) = s.objects.kinds.vs_endpoints.get_mut(&name) else {
        return missing(&name);
    };
    if let Some(q) = req.get("target_qps") {
        e["scaling_info"] = json!({"requested_target_qps": q});
    }
    e["last_updated_timestamp"] = json!(now);
    Json(e.clone()).into_response()
}

/// `budget-policy`, `tags`, `start` and `stop`.
pub async fn sub(
    AxState(state): AxState<Shared>,
    Path((name, what)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let Some(current) = settled(&mut s, &name) else {
        return missing(&name);
    };
    match what.as_str() {
        "budget-policy" => {
            let b = req.get("budget_policy_id").cloned().unwrap_or(Value::Null);
            if let Some(e) = s.objects.kinds.vs_endpoints.get_mut(&name) {
                e["budget_policy_id"] = b.clone();
                e["effective_budget_policy_id"] = b.clone();
            }
            Json(json!({"budget_policy_id": b, "effective_budget_policy_id": b})).into_response()
        }
        "tags" => {
            let tags = req.get("custom_tags").cloned().unwrap_or(json!([]));
            if let Some(e) = s.objects.kinds.vs_endpoints.get_mut(&name) {
                e["custom_tags"] = tags.clone();
            }
            Json(json!({"name": name, "custom_tags": tags})).into_response()
        }
        "start" => {
            if current["endpoint_status"]["state"] != "ONLINE" {
                become_online(&mut s, &name, "STARTING");
            }
            Json(settled(&mut s, &name)).into_response()
        }
        "stop" => {
            s.objects.kinds.schedule.clear(&key(&name));
            if let Some(e) = s.objects.kinds.vs_endpoints.get_mut(&name) {
                e["endpoint_status"] =
                    json!({"state": "OFFLINE", "message": "Endpoint is stopped"});
            }
            Json(settled(&mut s, &name)).into_response()
        }
        _ => super::errors::no_endpoint(format!("/api/2.0/vector-search/endpoints/{name}/{what}")),
    }
}

pub async fn delete(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let mut s = lock(&state);
    let Some(e) = s.objects.kinds.vs_endpoints.remove(&name) else {
        return missing(&name);
    };
    s.objects.kinds.schedule.clear(&key(&name));
    if let Some(id) = e["id"].as_str() {
        s.objects
            .permissions
            .remove(&format!("vector-search-endpoints/{id}"));
    }
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = or_respond!(page(&q, 100, 100, "vse"));
    let mut s = lock(&state);
    let names: Vec<String> = s.objects.kinds.vs_endpoints.keys().cloned().collect();
    let all: Vec<Value> = names.iter().filter_map(|n| settled(&mut s, n)).collect();
    Json(p.respond_by_token("endpoints", all)).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{FROZEN, call, emulator};

    const V: &str = "/api/2.0/vector-search/endpoints";

    #[tokio::test]
    async fn an_endpoint_provisions_then_is_online_and_can_stop_and_start() {
        let emu = emulator(FROZEN).await;
        let (st, e) = call(
            &emu,
            "POST",
            V,
            Some(json!({"name": "vs", "endpoint_type": "STANDARD"})),
        )
        .await;
        assert_eq!(st, 200, "{e}");
        assert_eq!(e["endpoint_status"]["state"], "PROVISIONING");
        let (st, x) = call(
            &emu,
            "POST",
            V,
            Some(json!({"name": "vs", "endpoint_type": "STANDARD"})),
        )
        .await;
        assert_eq!(
            (st, x["error_code"].as_str()),
            (409, Some("RESOURCE_ALREADY_EXISTS"))
        );
        let (st, _) = call(
            &emu,
            "POST",
            V,
            Some(json!({"name": "x", "endpoint_type": "HUGE"})),
        )
        .await;
        assert_eq!(st, 400);
        emu.advance_clock(super::PROVISION_MS);
        let (_, e) = call(&emu, "GET", &format!("{V}/vs"), None).await;
        assert_eq!(e["endpoint_status"]["state"], "ONLINE");
        let (_, e) = call(&emu, "POST", &format!("{V}/vs/stop"), None).await;
        assert_eq!(e["endpoint_status"]["state"], "OFFLINE");
        let (_, e) = call(&emu, "POST", &format!("{V}/vs/start"), None).await;
        assert_eq!(e["endpoint_status"]["state"], "STARTING");
        let (_, e) = call(
            &emu,
            "PATCH",
            &format!("{V}/vs"),
            Some(json!({"target_qps": 5})),
        )
        .await;
        assert_eq!(e["scaling_info"]["requested_target_qps"], 5);
        let (_, t) = call(
            &emu,
            "PATCH",
            &format!("{V}/vs/tags"),
            Some(json!({"custom_tags": [{"key": "team", "value": "ml"}]})),
        )
        .await;
        assert_eq!(t["custom_tags"][0]["key"], "team");
        let (_, l) = call(&emu, "GET", V, None).await;
        assert_eq!(l["endpoints"][0]["name"], "vs");
        let (st, _) = call(&emu, "DELETE", &format!("{V}/vs"), None).await;
        assert_eq!(st, 200);
        let (st, _) = call(&emu, "GET", &format!("{V}/vs"), None).await;
        assert_eq!(st, 404);
    }
}
