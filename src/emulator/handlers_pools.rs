//! Instance pools: create, get, edit, delete, list (not paginated, as the service). A pool
//! is ACTIVE at once; edit changes only what the service lets it change (name, capacity,
//! idle settings, custom tags) and refuses a new node type: that needs a new pool.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::{Shared, lock};

/// The fields edit replaces; the rest of a pool is fixed at creation.
const EDITABLE: &[&str] = &[
    "instance_pool_name",
    "min_idle_instances",
    "max_capacity",
    "idle_instance_autotermination_minutes",
    "custom_tags",
    "remote_disk_throughput",
    "total_initial_remote_disk_size",
];

fn missing(id: &str) -> Response {
    not_found(format!("Can't find an instance pool with id: {id}"))
}

fn check(v: &Value) -> Result<(), Response> {
    for f in ["instance_pool_name", "node_type_id"] {
        if text(v, f).is_empty() && !(f == "node_type_id" && v["node_type_flexibility"].is_object())
        {
            return Err(invalid_parameter(format!("Missing required field: {f}")));
        }
    }
    let min = v["min_idle_instances"].as_i64().unwrap_or(0);
    if min < 0 {
        return Err(invalid_parameter("min_idle_instances must be at least 0"));
    }
    if let Some(max) = v["max_capacity"].as_i64()
        && max < min.max(1)
    {
        return Err(invalid_parameter(
            "max_capacity must be at least 1 and at least min_idle_instances",
        ));
    }
    Ok(())
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut v = or_respond!(json_body(&body));
    or_respond!(check(&v));
    let mut s = lock(&state);
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let n = s.next_id();
    let id = format!("1204-{:06}-pool{:04}", n % 1_000_000, n % 10_000);
    v["instance_pool_id"] = json!(id);
    v["state"] = json!("ACTIVE");
    v["default_tags"] = json!({
        "Vendor": "Databricks", "DatabricksInstancePoolCreatorId": user,
        "DatabricksInstancePoolId": id,
    });
    if v.get("idle_instance_autotermination_minutes").is_none() {
        v["idle_instance_autotermination_minutes"] = json!(60);
    }
    if v.get("enable_elastic_disk").is_none() {
        v["enable_elastic_disk"] = json!(true);
    }
    v["stats"] = json!({
        "used_count": 0, "idle_count": v["min_idle_instances"].as_i64().unwrap_or(0),
        "pending_used_count": 0, "pending_idle_count": 0,
    });
    v["status"] = json!({});
    s.objects.instance_pools.push(v);
    Json(json!({ "instance_pool_id": id })).into_response()
}

fn pool_id(v: &Value) -> Result<String, Response> {
    match text(v, "instance_pool_id") {
        "" => Err(invalid_parameter(
            "Missing required field: instance_pool_id",
        )),
        id => Ok(id.to_string()),
    }
}

pub async fn edit(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let id = or_respond!(pool_id(&req));
    or_respond!(check(&req));
    let mut s = lock(&state);
    let Some(pool) = s
        .objects
        .instance_pools
        .iter_mut()
        .find(|p| p["instance_pool_id"] == id.as_str())
    else {
        return missing(&id);
    };
    if req["node_type_id"] != pool["node_type_id"] {
        return invalid_parameter(format!(
            "Instance pool {id}: node_type_id cannot be changed from {} to {}",
            pool["node_type_id"], req["node_type_id"]
        ));
    }
    let Some(map) = pool.as_object_mut() else {
        return missing(&id);
    };
    for f in EDITABLE {
        match req.get(*f).filter(|x| !x.is_null()) {
            Some(x) => map.insert(f.to_string(), x.clone()),
            None if *f == "instance_pool_name" => None,
            None => map.remove(*f),
        };
    }
    Json(json!({})).into_response()
}

pub async fn get(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = q.get("instance_pool_id").cloned().unwrap_or_default();
    if id.is_empty() {
        return invalid_parameter("Missing required field: instance_pool_id");
    }
    match lock(&state)
        .objects
        .instance_pools
        .iter()
        .find(|p| p["instance_pool_id"] == id.as_str())
    {
        Some(p) => Json(p.clone()).into_response(),
        None => missing(&id),
    }
}

pub async fn delete(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let id = or_respond!(pool_id(&req));
    let mut s = lock(&state);
    let before = s.objects.instance_pools.len();
    s.objects
        .instance_pools
        .retain(|p| p["instance_pool_id"] != id.as_str());
    if s.objects.instance_pools.len() == before {
        return missing(&id);
    }
    s.objects
        .permissions
        .remove(&format!("instance-pools/{id}"));
    Json(json!({})).into_response()
}

pub async fn list(AxState(state): AxState<Shared>) -> Response {
    let pools = lock(&state).objects.instance_pools.clone();
    Json(if pools.is_empty() {
        json!({})
    } else {
        json!({ "instance_pools": pools })
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const P: &str = "/api/2.0/instance-pools";

    #[tokio::test]
    async fn a_pool_is_created_edited_within_limits_and_deleted() {
        let emu = emulator(1.0).await;
        let (st, c) = call(
            &emu,
            "POST",
            &format!("{P}/create"),
            Some(json!({"instance_pool_name": "ci", "node_type_id": "i3.xlarge", "max_capacity": 4, "preloaded_spark_versions": ["15.4.x-scala2.12"]})),
        )
        .await;
        assert_eq!(st, 200, "{c}");
        let id = c["instance_pool_id"].as_str().unwrap().to_string();
        let (_, p) = call(&emu, "GET", &format!("{P}/get?instance_pool_id={id}"), None).await;
        assert_eq!(
            (p["state"].as_str(), p["max_capacity"].as_i64()),
            (Some("ACTIVE"), Some(4))
        );
        assert_eq!(p["default_tags"]["DatabricksInstancePoolId"], id.as_str());
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{P}/edit"),
            Some(json!({"instance_pool_id": id, "instance_pool_name": "ci", "node_type_id": "m5.large"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE"))
        );
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/edit"),
            Some(json!({"instance_pool_id": id, "instance_pool_name": "ci2", "node_type_id": "i3.xlarge", "min_idle_instances": 1})),
        )
        .await;
        assert_eq!(st, 200);
        let (_, p) = call(&emu, "GET", &format!("{P}/get?instance_pool_id={id}"), None).await;
        assert_eq!(p["instance_pool_name"], "ci2");
        assert!(
            p.get("max_capacity").is_none(),
            "edit replaces the editable fields"
        );
        assert_eq!(p["preloaded_spark_versions"][0], "15.4.x-scala2.12");
        let (_, l) = call(&emu, "GET", &format!("{P}/list"), None).await;
        assert_eq!(l["instance_pools"].as_array().unwrap().len(), 2);
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/delete"),
            Some(json!({"instance_pool_id": id})),
        )
        .await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{P}/get?instance_pool_id={id}"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST"))
        );
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/create"),
            Some(json!({"instance_pool_name": "x"})),
        )
        .await;
        assert_eq!(st, 400);
    }
}
