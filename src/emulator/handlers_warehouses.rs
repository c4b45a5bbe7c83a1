//! SQL warehouses: create, get, edit, delete, start, stop, list (paginated). Starting and
//! stopping take emulated time: STARTING becomes RUNNING after `START_MS`, STOPPING
//! becomes STOPPED after `STOP_MS`, as observed on the emulator clock.

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
use super::pagination::sized;
use super::state::State;
use super::{Shared, lock};

/// Emulated time a warehouse spends STARTING.
pub const START_MS: u64 = 30_000;
/// Emulated time a warehouse spends STOPPING.
pub const STOP_MS: u64 = 10_000;

const SIZES: &[&str] = &[
    "2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large", "3X-Large",
    "4X-Large",
];
const TYPES: &[&str] = &["CLASSIC", "PRO", "TYPE_UNSPECIFIED"];
const SPOT: &[&str] = &[
    "COST_OPTIMIZED",
    "RELIABILITY_OPTIMIZED",
    "POLICY_UNSPECIFIED",
];
/// What create and edit accept; anything else in a body is ignored, as the service does.
const SETTABLE: &[&str] = &[
    "name",
    "cluster_size",
    "auto_stop_mins",
    "min_num_clusters",
    "max_num_clusters",
    "enable_photon",
    "enable_serverless_compute",
    "warehouse_type",
    "spot_instance_policy",
    "channel",
    "tags",
    "instance_profile_arn",
    "max_dbu",
    "creator_name",
];

fn missing(id: &str) -> Response {
    not_found(format!("Unable to find SQL warehouse {id}"))
}

fn key(id: &str) -> String {
    format!("warehouses/{id}")
}

/// Checks a warehouse definition (after defaults), as the service does on create and edit.
fn check(v: &Value) -> Result<(), Response> {
    if text(v, "name").is_empty() {
        return Err(invalid_parameter("Missing required field: name"));
    }
    let size = text(v, "cluster_size");
    if size.is_empty() {
        return Err(invalid_parameter("Missing required field: cluster_size"));
    }
    if !SIZES.contains(&size) {
        return Err(invalid_parameter(format!(
            "Invalid cluster_size '{size}'. Supported sizes: {}",
            SIZES.join(", ")
        )));
    }
    for (field, allowed) in [("warehouse_type", TYPES), ("spot_instance_policy", SPOT)] {
        let got = text(v, field);
        if !allowed.contains(&got) {
            return Err(invalid_parameter(format!("Invalid {field} '{got}'")));
        }
    }
    let serverless = v["enable_serverless_compute"].as_bool() == Some(true);
    if serverless && text(v, "warehouse_type") != "PRO" {
        return Err(invalid_parameter(
            "Serverless compute is only supported for warehouses of type PRO",
        ));
    }
    let auto_stop = v["auto_stop_mins"].as_i64().unwrap_or(0);
    if auto_stop < 0 || (!serverless && (1..10).contains(&auto_stop)) {
        return Err(invalid_parameter(
            "auto_stop_mins must be 0 (no auto stop) or at least 10",
        ));
    }
    let min = v["min_num_clusters"].as_i64().unwrap_or(1);
    let max = v["max_num_clusters"].as_i64().unwrap_or(1);
    if min < 1 || max < min || max > 40 {
        return Err(invalid_parameter(
            "min_num_clusters must be at least 1 and at most max_num_clusters, which must be at most 40",
        ));
    }
    Ok(())
}

/// The warehouse's index after applying whatever state change is due.
fn settled(s: &mut State, id: &str) -> Option<usize> {
    let now = s.clock.now_ms();
    let i = s.objects.warehouses.iter().position(|w| w["id"] == id)?;
    let w = &mut s.objects.warehouses[i];
    s.objects.kinds.schedule.settle(&key(id), w, now);
    let running = w["state"] == "RUNNING";
    w["num_clusters"] = json!(if running { 1 } else { 0 });
    w["health"] = if running {
        json!({"status": "HEALTHY"})
    } else {
        Value::Null
    };
    if let Some(m) = w.as_object_mut() {
        m.retain(|_, x| !x.is_null());
    }
    Some(i)
}

fn schedule(s: &mut State, id: &str, now_state: &str, to: &str, after_ms: u64) {
    let now = s.clock.now_ms();
    if let Some(w) = s.objects.warehouses.iter_mut().find(|w| w["id"] == id) {
        w["state"] = json!(now_state);
    }
    s.objects.kinds.schedule.set(
        &key(id),
        Pending {
            pointer: "/state",
            to: to.into(),
            message: None,
            at_ms: now + after_ms,
        },
    );
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let mut w = json!({
        "auto_stop_mins": 120, "min_num_clusters": 1, "max_num_clusters": 1,
        "enable_photon": true, "enable_serverless_compute": false, "warehouse_type": "CLASSIC",
        "spot_instance_policy": "COST_OPTIMIZED", "channel": {"name": "CHANNEL_NAME_CURRENT"},
    });
    for f in SETTABLE {
        if let Some(x) = req.get(*f).filter(|x| !x.is_null()) {
            w[*f] = x.clone();
        }
    }
    or_respond!(check(&w));
    let mut s = lock(&state);
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let n = s.next_id();
    let id = format!("{:016x}", (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let host = s.base_url.trim_start_matches("http://").to_string();
    w["id"] = json!(id);
    w["creator_name"] = json!(user);
    w["num_active_sessions"] = json!(0);
    w["jdbc_url"] = json!(format!(
        "jdbc:spark://{host}:443/default;transportMode=http;ssl=1;AuthMech=3;httpPath=/sql/1.0/warehouses/{id};"
    ));
    w["odbc_params"] = json!({"hostname": host, "path": format!("/sql/1.0/warehouses/{id}"), "protocol": "https", "port": 443});
    s.objects.warehouses.push(w);
    schedule(&mut s, &id, "STARTING", "RUNNING", START_MS);
    Json(json!({ "id": id })).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut s = lock(&state);
    match settled(&mut s, &id) {
        Some(i) => Json(s.objects.warehouses[i].clone()).into_response(),
        None => missing(&id),
    }
}

pub async fn edit(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let Some(i) = settled(&mut s, &id) else {
        return missing(&id);
    };
    let mut w = s.objects.warehouses[i].clone();
    for f in SETTABLE {
        if let Some(x) = req.get(*f).filter(|x| !x.is_null()) {
            w[*f] = x.clone();
        }
    }
    or_respond!(check(&w));
    s.objects.warehouses[i] = w;
    Json(json!({})).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut s = lock(&state);
    let Some(i) = settled(&mut s, &id) else {
        return missing(&id);
    };
    s.objects.warehouses.remove(i);
    s.objects.kinds.schedule.clear(&key(&id));
    s.objects.permissions.remove(&format!("warehouses/{id}"));
    Json(json!({})).into_response()
}

/// `start` and `stop`: accepted in any state; one already there stays.
pub async fn action(
    AxState(state): AxState<Shared>,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let mut s = lock(&state);
    let Some(i) = settled(&mut s, &id) else {
        return missing(&id);
    };
    let now_state = s.objects.warehouses[i]["state"]
        .as_str()
        .unwrap_or("")
        .to_string();
    match action.as_str() {
        "start" if now_state != "RUNNING" => schedule(&mut s, &id, "STARTING", "RUNNING", START_MS),
        "stop" if now_state != "STOPPED" => schedule(&mut s, &id, "STOPPING", "STOPPED", STOP_MS),
        "start" | "stop" => {}
        _ => {
            return api_error(
                404,
                "ENDPOINT_NOT_FOUND",
                format!("No API found for 'POST /api/2.0/sql/warehouses/{id}/{action}'"),
            );
        }
    }
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = or_respond!(sized(&q, 1000, 1000, "wh"));
    let mut s = lock(&state);
    let ids: Vec<String> = s
        .objects
        .warehouses
        .iter()
        .filter_map(|w| w["id"].as_str().map(str::to_string))
        .collect();
    let all: Vec<Value> = ids
        .iter()
        .filter_map(|id| settled(&mut s, id).map(|i| s.objects.warehouses[i].clone()))
        .collect();
    Json(p.respond_by_token("warehouses", all)).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{FROZEN, call, emulator};

    const WH: &str = "/api/2.0/sql/warehouses";

    #[tokio::test]
    async fn a_warehouse_starts_then_runs_and_stops_through_stopping() {
        // A near-frozen clock: nothing pending completes during this test.
        let emu = emulator(0.000_1).await;
        let (st, c) = call(
            &emu,
            "POST",
            WH,
            Some(json!({"name": "etl", "cluster_size": "X-Small", "auto_stop_mins": 10})),
        )
        .await;
        assert_eq!(st, 200, "{c}");
        let id = c["id"].as_str().unwrap().to_string();
        let (_, w) = call(&emu, "GET", &format!("{WH}/{id}"), None).await;
        assert_eq!(w["state"], "STARTING");
        assert_eq!(w["num_clusters"], 0);
        assert_eq!(w["warehouse_type"], "CLASSIC");
        let (st, _) = call(&emu, "POST", &format!("{WH}/{id}/stop"), None).await;
        assert_eq!(st, 200);
        let (_, w) = call(&emu, "GET", &format!("{WH}/{id}"), None).await;
        assert_eq!(w["state"], "STOPPING");
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{WH}/{id}/edit"),
            Some(json!({"name": "etl", "cluster_size": "Small", "auto_stop_mins": 5})),
        )
        .await;
        assert_eq!(st, 400, "auto stop under 10 minutes is refused for classic");
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{WH}/{id}/edit"),
            Some(json!({"name": "etl2", "cluster_size": "Small"})),
        )
        .await;
        assert_eq!(st, 200);
        let (_, w) = call(&emu, "GET", &format!("{WH}/{id}"), None).await;
        assert_eq!(
            (w["name"].as_str(), w["cluster_size"].as_str()),
            (Some("etl2"), Some("Small"))
        );
        assert_eq!(w["auto_stop_mins"], 10, "unset fields keep their values");
        let (st, _) = call(&emu, "DELETE", &format!("{WH}/{id}"), None).await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{WH}/{id}"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST"))
        );
    }

    #[tokio::test]
    async fn states_settle_on_the_clock_and_bad_definitions_are_refused() {
        let emu = emulator(FROZEN).await;
        let (_, c) = call(
            &emu,
            "POST",
            WH,
            Some(json!({"name": "s", "cluster_size": "2X-Small", "warehouse_type": "PRO", "enable_serverless_compute": true, "auto_stop_mins": 1})),
        )
        .await;
        let id = c["id"].as_str().unwrap().to_string();
        emu.advance_clock(super::START_MS);
        let (_, w) = call(&emu, "GET", &format!("{WH}/{id}"), None).await;
        assert_eq!(w["state"], "RUNNING");
        assert_eq!(w["health"]["status"], "HEALTHY");
        for bad in [
            json!({"cluster_size": "Small"}),
            json!({"name": "x"}),
            json!({"name": "x", "cluster_size": "Huge"}),
            json!({"name": "x", "cluster_size": "Small", "enable_serverless_compute": true}),
            json!({"name": "x", "cluster_size": "Small", "min_num_clusters": 3, "max_num_clusters": 2}),
        ] {
            let (st, e) = call(&emu, "POST", WH, Some(bad.clone())).await;
            assert_eq!(
                (st, e["error_code"].as_str()),
                (400, Some("INVALID_PARAMETER_VALUE")),
                "{bad}"
            );
        }
        // The seeded warehouse and the new one, one per page.
        let (_, p1) = call(&emu, "GET", &format!("{WH}?page_size=1"), None).await;
        assert_eq!(p1["warehouses"].as_array().unwrap().len(), 1);
        let token = p1["next_page_token"].as_str().unwrap();
        let (_, p2) = call(
            &emu,
            "GET",
            &format!("{WH}?page_size=1&page_token={token}"),
            None,
        )
        .await;
        assert_eq!(p2["warehouses"][0]["id"], id.as_str());
        assert!(p2.get("next_page_token").is_none());
    }
}
