//! Lakebase database instances: create (STARTING, AVAILABLE after `START_MS` on the
//! emulator clock; STOPPED when created stopped), get, update with an update mask (a new
//! capacity is UPDATING for a while; `stopped` stops or starts it), list (paginated),
//! delete.

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
use super::lifecycle::{Pending, timestamp};
use super::pagination::page;
use super::state::State;
use super::{Shared, lock};

/// Emulated time an instance spends STARTING or UPDATING.
pub const START_MS: u64 = 60_000;

const CAPACITIES: &[&str] = &["CU_1", "CU_2", "CU_4", "CU_8"];
const UPDATABLE: &[&str] = &[
    "capacity",
    "stopped",
    "node_count",
    "enable_readable_secondaries",
    "retention_window_in_days",
    "custom_tags",
    "enable_pg_native_login",
    "usage_policy_id",
];

fn missing(name: &str) -> Response {
    not_found(format!("Database instance '{name}' does not exist."))
}

fn key(name: &str) -> String {
    format!("database-instances/{name}")
}

/// Names: 1 to 63 lowercase letters, digits and hyphens, starting with a letter.
fn valid_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check(v: &Value) -> Result<(), Response> {
    if let Some(c) = v["capacity"].as_str()
        && !CAPACITIES.contains(&c)
    {
        return Err(invalid_parameter(format!(
            "Invalid capacity '{c}'. Supported: {}",
            CAPACITIES.join(", ")
        )));
    }
    Ok(())
}

/// Fills the `effective_*` fields from what was asked.
fn effective(v: &mut Value) {
    v["effective_capacity"] = json!(text(v, "capacity"));
    v["effective_stopped"] = json!(v["stopped"].as_bool().unwrap_or(false));
    v["effective_node_count"] = json!(v["node_count"].as_i64().unwrap_or(1));
    v["effective_retention_window_in_days"] =
        json!(v["retention_window_in_days"].as_i64().unwrap_or(7));
    v["effective_enable_readable_secondaries"] =
        json!(v["enable_readable_secondaries"].as_bool().unwrap_or(false));
    v["effective_enable_pg_native_login"] =
        json!(v["enable_pg_native_login"].as_bool().unwrap_or(false));
    v["effective_custom_tags"] = v.get("custom_tags").cloned().unwrap_or(json!([]));
}

fn settled(s: &mut State, name: &str) -> Option<Value> {
    let now = s.clock.now_ms();
    let v = s.objects.kinds.database_instances.get_mut(name)?;
    s.objects.kinds.schedule.settle(&key(name), v, now);
    Some(v.clone())
}

fn transition(s: &mut State, name: &str, via: &str) {
    let now = s.clock.now_ms();
    if let Some(v) = s.objects.kinds.database_instances.get_mut(name) {
        v["state"] = json!(via);
    }
    s.objects.kinds.schedule.set(
        &key(name),
        Pending {
            pointer: "/state",
            to: "AVAILABLE".into(),
            message: None,
            at_ms: now + START_MS,
        },
    );
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let name = text(&req, "name").to_string();
    if name.is_empty() {
        return invalid_parameter("Missing required field: name");
    }
    if !valid_name(&name) {
        return invalid_parameter(format!(
            "Invalid database instance name '{name}': use lowercase letters, digits and hyphens, starting with a letter."
        ));
    }
    or_respond!(check(&req));
    let mut s = lock(&state);
    if s.objects.kinds.database_instances.contains_key(&name) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Database instance '{name}' already exists."),
        );
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let uid = uuid::Uuid::new_v4().to_string();
    let mut v = req.clone();
    if text(&v, "capacity").is_empty() {
        v["capacity"] = json!("CU_1");
    }
    v["uid"] = json!(uid);
    v["creator"] = json!(user);
    v["creation_time"] = json!(timestamp(s.clock.now_ms()));
    if text(&v, "pg_version").is_empty() {
        v["pg_version"] = json!("PG_VERSION_16");
    }
    v["read_write_dns"] = json!(format!("instance-{uid}.database.cloud.databricks.com"));
    effective(&mut v);
    let stopped = v["stopped"].as_bool() == Some(true);
    v["state"] = json!(if stopped { "STOPPED" } else { "STARTING" });
    s.objects.kinds.database_instances.insert(name.clone(), v);
    if !stopped {
        transition(&mut s, &name, "STARTING");
    }
    Json(settled(&mut s, &name)).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    match settled(&mut lock(&state), &name) {
        Some(v) => Json(v).into_response(),
        None => missing(&name),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let Some(mask) = q.get("update_mask").filter(|m| !m.is_empty()) else {
        return invalid_parameter("Missing required field: update_mask");
    };
    let fields: Vec<&str> = if mask == "*" {
        UPDATABLE.to_vec()
    } else {
        mask.split(',').map(str::trim).collect()
    };
    if let Some(bad) = fields.iter().find(|f| !UPDATABLE.contains(f)) {
        return invalid_parameter(format!("Field '{bad}' in update_mask cannot be updated"));
    }
    or_respond!(check(&req));
    let mut s = lock(&state);
    let Some(mut v) = settled(&mut s, &name) else {
        return missing(&name);
    };
    let was_stopped = v["state"] == "STOPPED";
    let old_capacity = v["capacity"].clone();
    for f in &fields {
        if let Some(x) = req.get(*f).filter(|x| !x.is_null()) {
            v[*f] = x.clone();
        }
    }
    effective(&mut v);
    let stop = v["stopped"].as_bool() == Some(true);
    s.objects.kinds.database_instances.insert(name.clone(), v);
    if stop && !was_stopped {
        s.objects.kinds.schedule.clear(&key(&name));
        if let Some(x) = s.objects.kinds.database_instances.get_mut(&name) {
            x["state"] = json!("STOPPED");
        }
    } else if !stop && was_stopped {
        transition(&mut s, &name, "STARTING");
    } else if !stop && fields.contains(&"capacity") && req["capacity"] != old_capacity {
        transition(&mut s, &name, "UPDATING");
    }
    Json(settled(&mut s, &name)).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let mut s = lock(&state);
    if s.objects.kinds.database_instances.remove(&name).is_none() {
        return missing(&name);
    }
    s.objects.kinds.schedule.clear(&key(&name));
    s.objects.permissions.remove(&key(&name));
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut q = q;
    if let Some(size) = q.remove("page_size") {
        q.insert("limit".into(), size);
    }
    let p = or_respond!(page(&q, 50, 100, "dbi"));
    let mut s = lock(&state);
    let names: Vec<String> = s.objects.kinds.database_instances.keys().cloned().collect();
    let all: Vec<Value> = names.iter().filter_map(|n| settled(&mut s, n)).collect();
    let mut resp = p.respond("database_instances", all);
    if let Some(m) = resp.as_object_mut() {
        m.remove("has_more");
        m.remove("prev_page_token");
    }
    Json(resp).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const D: &str = "/api/2.0/database/instances";

    #[tokio::test]
    async fn an_instance_starts_then_is_available_updates_stops_and_goes() {
        let emu = emulator(1_000_000.0).await;
        let (st, v) = call(
            &emu,
            "POST",
            D,
            Some(json!({"name": "lake", "capacity": "CU_2"})),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            (v["state"].as_str(), v["effective_capacity"].as_str()),
            (Some("STARTING"), Some("CU_2"))
        );
        let (st, _) = call(&emu, "POST", D, Some(json!({"name": "lake"}))).await;
        assert_eq!(st, 409);
        let (st, _) = call(&emu, "POST", D, Some(json!({"name": "Bad_Name"}))).await;
        assert_eq!(st, 400);
        let (st, _) = call(
            &emu,
            "POST",
            D,
            Some(json!({"name": "x", "capacity": "CU_99"})),
        )
        .await;
        assert_eq!(st, 400);
        std::thread::sleep(std::time::Duration::from_millis(100));
        let (_, v) = call(&emu, "GET", &format!("{D}/lake"), None).await;
        assert_eq!(v["state"], "AVAILABLE");
        let (st, _) = call(
            &emu,
            "PATCH",
            &format!("{D}/lake"),
            Some(json!({"capacity": "CU_4"})),
        )
        .await;
        assert_eq!(st, 400, "update_mask is required");
        let (_, v) = call(
            &emu,
            "PATCH",
            &format!("{D}/lake?update_mask=capacity"),
            Some(json!({"capacity": "CU_4"})),
        )
        .await;
        assert_eq!(
            (v["state"].as_str(), v["effective_capacity"].as_str()),
            (Some("UPDATING"), Some("CU_4"))
        );
        let (_, v) = call(
            &emu,
            "PATCH",
            &format!("{D}/lake?update_mask=stopped"),
            Some(json!({"stopped": true})),
        )
        .await;
        assert_eq!(v["state"], "STOPPED");
        let (_, l) = call(&emu, "GET", D, None).await;
        assert_eq!(l["database_instances"][0]["name"], "lake");
        let (st, _) = call(&emu, "DELETE", &format!("{D}/lake?purge=true"), None).await;
        assert_eq!(st, 200);
        let (st, _) = call(&emu, "GET", &format!("{D}/lake"), None).await;
        assert_eq!(st, 404);
    }
}
