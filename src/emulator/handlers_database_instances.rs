//! Lakebase database instances (`/api/2.0/database/instances`): create (STARTING, then
//! AVAILABLE on the emulated clock, or STOPPED when created stopped), get, update with an
//! `update_mask` (UPDATING for a while), delete (`purge`), list with `page_size` pages.
//! A capacity named `CU_FAIL` never becomes available: its state stays STARTING.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::lifecycle::timestamp;
use super::state::State;
use super::{Shared, lock};

/// Emulated time an instance takes to start, and an update to apply.
const START_MS: u64 = 60_000;
const UPDATE_MS: u64 = 20_000;

const CAPACITIES: &[&str] = &["CU_1", "CU_2", "CU_4", "CU_8"];

/// What an update may change (with `*` or by name in `update_mask`).
const UPDATABLE: &[&str] = &[
    "capacity",
    "node_count",
    "enable_readable_secondaries",
    "enable_pg_native_login",
    "retention_window_in_days",
    "stopped",
    "custom_tags",
    "usage_policy_id",
];

fn missing(name: &str) -> Response {
    api_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Database instance '{name}' does not exist."),
    )
}

fn valid_name(n: &str) -> bool {
    (1..=63).contains(&n.len())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !n.starts_with('-')
}

fn check(v: &Value) -> Result<(), Response> {
    if let Some(c) = v.get("capacity").filter(|c| !c.is_null())
        && !c
            .as_str()
            .is_some_and(|c| CAPACITIES.contains(&c) || c == "CU_FAIL")
    {
        return Err(invalid_parameter(format!(
            "Invalid capacity {c}: expected one of {}",
            CAPACITIES.join(", ")
        )));
    }
    if let Some(n) = v.get("node_count").filter(|n| !n.is_null())
        && !n.as_i64().is_some_and(|n| (1..=3).contains(&n))
    {
        return Err(invalid_parameter("node_count must be between 1 and 3"));
    }
    Ok(())
}

/// The instance as the API shows it now: its state from the clock, effective fields.
fn view(s: &State, stored: &Value) -> Value {
    let mut v = stored.clone();
    let busy_until = v["_busy_until"].as_u64().unwrap_or(0);
    let busy = s.clock.now_ms() < busy_until || v["capacity"] == "CU_FAIL";
    let state = match (busy, v["_busy"].as_str(), v["stopped"].as_bool()) {
        (true, Some(what), _) => what.to_string(),
        (_, _, Some(true)) => "STOPPED".into(),
        _ => "AVAILABLE".into(),
    };
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.starts_with('_'));
    }
    v["state"] = json!(state);
    for f in [
        "capacity",
        "node_count",
        "enable_readable_secondaries",
        "enable_pg_native_login",
        "retention_window_in_days",
        "stopped",
        "custom_tags",
        "usage_policy_id",
    ] {
        if let Some(x) = v.get(f).cloned() {
            v[format!("effective_{f}")] = x;
        }
    }
    v
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut v = or_respond!(json_body(&body));
    let name = text(&v, "name").to_string();
    if name.is_empty() {
        return invalid_parameter("Missing required field: name");
    }
    if !valid_name(&name) {
        return invalid_parameter(format!(
            "Invalid database instance name '{name}': 1 to 63 lowercase letters, digits and hyphens."
        ));
    }
    or_respond!(check(&v));
    let mut s = lock(&state);
    if s.objects.more.database_instances.contains_key(&name) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Database instance with name '{name}' already exists."),
        );
    }
    let now = s.clock.now_ms();
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let uid = uuid::Uuid::new_v4().to_string();
    v["uid"] = json!(uid);
    v["creator"] = json!(user);
    v["creation_time"] = json!(timestamp(now));
    v["read_write_dns"] = json!(format!("instance-{uid}.database.emulator.invalid"));
    if v["enable_readable_secondaries"] == true {
        v["read_only_dns"] = json!(format!("instance-ro-{uid}.database.emulator.invalid"));
    }
    if v.get("pg_version").is_none() {
        v["pg_version"] = json!("PG_VERSION_16");
    }
    for (f, d) in [
        ("capacity", json!("CU_1")),
        ("node_count", json!(1)),
        ("retention_window_in_days", json!(7)),
        ("stopped", json!(false)),
        ("enable_pg_native_login", json!(false)),
        ("enable_readable_secondaries", json!(false)),
    ] {
        if v.get(f).is_none_or(Value::is_null) {
            v[f] = d;
        }
    }
    if v["stopped"] != true {
        v["_busy"] = json!("STARTING");
        v["_busy_until"] = json!(now + START_MS);
    }
    let out = view(&s, &v);
    s.objects.more.database_instances.insert(name, v);
    Json(out).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let s = lock(&state);
    match s.objects.more.database_instances.get(&name) {
        Some(v) => Json(view(&s, v)).into_response(),
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
    or_respond!(check(&req));
    let mask: Vec<String> = match q.get("update_mask").map(String::as_str) {
        None | Some("") | Some("*") => UPDATABLE.iter().map(|f| f.to_string()).collect(),
        Some(m) => m.split(',').map(|f| f.trim().to_string()).collect(),
    };
    if let Some(bad) = mask.iter().find(|f| !UPDATABLE.contains(&f.as_str())) {
        return invalid_parameter(format!("Field '{bad}' cannot be updated"));
    }
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let Some(v) = s.objects.more.database_instances.get_mut(&name) else {
        return missing(&name);
    };
    let was_stopped = v["stopped"] == true;
    for f in &mask {
        match req.get(f.as_str()).filter(|x| !x.is_null()) {
            Some(x) => v[f.as_str()] = x.clone(),
            None if f == "custom_tags" => v[f.as_str()] = json!([]),
            None => {}
        }
    }
    let (busy, ms) = if was_stopped && v["stopped"] != true {
        ("STARTING", START_MS)
    } else {
        ("UPDATING", UPDATE_MS)
    };
    if v["stopped"] != true {
        v["_busy"] = json!(busy);
        v["_busy_until"] = json!(now + ms);
    }
    let stored = v.clone();
    Json(view(&s, &stored)).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let mut s = lock(&state);
    match s.objects.more.database_instances.remove(&name) {
        Some(_) => {
            s.objects
                .permissions
                .remove(&format!("database-instances/{name}"));
            Json(json!({})).into_response()
        }
        None => missing(&name),
    }
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let size = match q.get("page_size").map(|m| m.parse::<usize>()) {
        None | Some(Ok(0)) => 50,
        Some(Ok(n)) if n <= 100 => n,
        _ => return invalid_parameter("page_size must be between 0 and 100"),
    };
    let offset = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("db:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid_parameter("Invalid page token"),
        },
    };
    let s = lock(&state);
    let all: Vec<Value> = s
        .objects
        .more
        .database_instances
        .values()
        .map(|v| view(&s, v))
        .collect();
    let page: Vec<Value> = all.iter().skip(offset).take(size).cloned().collect();
    let mut out = json!({});
    if !page.is_empty() {
        out["database_instances"] = json!(page);
    }
    if offset + size < all.len() {
        out["next_page_token"] = json!(format!("db:{}", offset + size));
    }
    Json(out).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{FROZEN, call, emulator};

    const D: &str = "/api/2.0/database/instances";

    #[tokio::test]
    async fn an_instance_starts_updates_and_is_deleted() {
        let emu = emulator(FROZEN).await;
        let (st, c) = call(
            &emu,
            "POST",
            D,
            Some(json!({"name": "orders-db", "capacity": "CU_2"})),
        )
        .await;
        assert_eq!((st, c["state"].as_str()), (200, Some("STARTING")), "{c}");
        let (st, e) = call(
            &emu,
            "POST",
            D,
            Some(json!({"name": "orders-db", "capacity": "CU_2"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (409, Some("RESOURCE_ALREADY_EXISTS"))
        );
        let (st, _) = call(&emu, "POST", D, Some(json!({"name": "Bad_Name"}))).await;
        assert_eq!(st, 400);
        let (st, _) = call(
            &emu,
            "POST",
            D,
            Some(json!({"name": "x", "capacity": "CU_3"})),
        )
        .await;
        assert_eq!(st, 400);
        emu.advance_clock(super::START_MS.max(super::UPDATE_MS));
        let (_, g) = call(&emu, "GET", &format!("{D}/orders-db"), None).await;
        assert_eq!(g["state"], "AVAILABLE", "{g}");
        assert_eq!(g["effective_capacity"], "CU_2");
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{D}/orders-db?update_mask=*"),
            Some(json!({"name": "orders-db", "capacity": "CU_4"})),
        )
        .await;
        assert_eq!(
            (st, u["state"].as_str(), u["capacity"].as_str()),
            (200, Some("UPDATING"), Some("CU_4"))
        );
        let (st, _) = call(
            &emu,
            "PATCH",
            &format!("{D}/orders-db?update_mask=pg_version"),
            Some(json!({"pg_version": "PG_VERSION_15"})),
        )
        .await;
        assert_eq!(st, 400);
        let (_, l) = call(&emu, "GET", &format!("{D}?page_size=1"), None).await;
        assert_eq!(l["database_instances"].as_array().unwrap().len(), 1);
        let (st, _) = call(&emu, "DELETE", &format!("{D}/orders-db?purge=true"), None).await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{D}/orders-db"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST"))
        );
    }
}
