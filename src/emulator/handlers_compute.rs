//! Clusters (create, edit, get, list, terminate, permanent delete, start) and the name
//! directories a bundle's `lookup:` reads: cluster policies, service principals (instance
//! pools and SQL warehouses have their own handlers).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{invalid_parameter, json_body, or_respond};
use super::handlers_jobs::bearer;
use super::{Shared, lock};

fn no_cluster(id: &str) -> Response {
    invalid_parameter(format!("Cluster {id} does not exist"))
}

fn cluster_id_of(v: &Value) -> Result<String, Response> {
    v["cluster_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| invalid_parameter("Missing required field: cluster_id"))
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let spec = or_respond!(json_body(&body));
    if spec["spark_version"].as_str().is_none_or(str::is_empty) {
        return invalid_parameter("Missing required field: spark_version");
    }
    let mut s = lock(&state);
    let creator = s.principal(bearer(&headers)).unwrap_or_default();
    let n = s.next_id();
    let now = s.clock.now_ms();
    let id = format!(
        "1124-{:06}-{:08x}",
        n % 1_000_000,
        (n as u64).wrapping_mul(2_654_435_761) as u32
    );
    let mut details = spec.clone();
    details["cluster_id"] = json!(id);
    details["state"] = json!("RUNNING");
    details["creator_user_name"] = json!(creator);
    details["cluster_source"] = json!("API");
    details["start_time"] = json!(now);
    details["spec"] = spec;
    s.objects.clusters.insert(id.clone(), details);
    Json(json!({ "cluster_id": id })).into_response()
}

pub async fn edit(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let spec = or_respond!(json_body(&body));
    let id = or_respond!(cluster_id_of(&spec));
    if spec["spark_version"].as_str().is_none_or(str::is_empty) {
        return invalid_parameter("Missing required field: spark_version");
    }
    let mut s = lock(&state);
    let Some(old) = s.objects.clusters.get(&id).cloned() else {
        return no_cluster(&id);
    };
    let st = old["state"].as_str().unwrap_or("");
    if !matches!(st, "RUNNING" | "TERMINATED") {
        return super::errors::api_error(
            400,
            "INVALID_STATE",
            format!("Cluster {id} is in unexpected state {st}."),
        );
    }
    let mut details = spec.clone();
    for k in [
        "cluster_id",
        "state",
        "creator_user_name",
        "cluster_source",
        "start_time",
    ] {
        details[k] = old[k].clone();
    }
    details["spec"] = spec;
    s.objects.clusters.insert(id, details);
    Json(json!({})).into_response()
}

pub async fn get(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = q.get("cluster_id").cloned().unwrap_or_default();
    match lock(&state).objects.clusters.get(&id) {
        Some(c) => Json(c.clone()).into_response(),
        None => no_cluster(&id),
    }
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let size = match q.get("page_size").map(|p| p.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return invalid_parameter("page_size must be between 1 and 100"),
    };
    let offset: usize = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("clusters:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid_parameter("Invalid page token"),
        },
    };
    let all: Vec<Value> = lock(&state).objects.clusters.values().cloned().collect();
    let page: Vec<Value> = all.iter().skip(offset).take(size).cloned().collect();
    let mut resp = json!({});
    if !page.is_empty() {
        resp["clusters"] = json!(page);
    }
    if offset + size < all.len() {
        resp["next_page_token"] = json!(format!("clusters:{}", offset + size));
    }
    Json(resp).into_response()
}

/// `delete` terminates; `permanent-delete` removes; `start` starts a terminated cluster.
pub async fn change(
    AxState(state): AxState<Shared>,
    Path((_, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let v = or_respond!(json_body(&body));
    let id = or_respond!(cluster_id_of(&v));
    let mut s = lock(&state);
    if !s.objects.clusters.contains_key(&id) {
        return no_cluster(&id);
    }
    match action.as_str() {
        "delete" => s
            .objects
            .clusters
            .get_mut(&id)
            .map(|c| c["state"] = json!("TERMINATED")),
        "start" => s
            .objects
            .clusters
            .get_mut(&id)
            .map(|c| c["state"] = json!("RUNNING")),
        "permanent-delete" => s.objects.clusters.remove(&id).map(drop),
        _ => {
            return super::errors::no_endpoint(format!("POST /api/2.1/clusters/{action}"));
        }
    };
    Json(json!({})).into_response()
}

pub async fn policies_list(AxState(state): AxState<Shared>) -> Response {
    let p = lock(&state).objects.cluster_policies.clone();
    Json(if p.is_empty() {
        json!({})
    } else {
        json!({ "policies": p })
    })
    .into_response()
}

/// SCIM list with the one filter form clients use: `displayName eq "name"`.
pub async fn service_principals(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let all = lock(&state).objects.service_principals.clone();
    let wanted = q.get("filter").and_then(|f| {
        let rest = f.trim().strip_prefix("displayName eq ")?;
        Some(rest.trim().trim_matches('"').replace("\\\"", "\""))
    });
    if q.contains_key("filter") && wanted.is_none() {
        return super::errors::api_error(400, "INVALID_PARAMETER_VALUE", "Unsupported filter");
    }
    let hits: Vec<Value> = all
        .into_iter()
        .filter(|sp| {
            wanted
                .as_ref()
                .is_none_or(|w| sp["displayName"] == w.as_str())
        })
        .collect();
    // SCIM pages are 1-based (`startIndex`) with a `count`; past the end, no `Resources`.
    let start: usize = q
        .get("startIndex")
        .and_then(|s| s.parse().ok())
        .filter(|s| *s >= 1)
        .unwrap_or(1);
    let count: usize = q
        .get("count")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
        .min(10_000);
    let page: Vec<Value> = hits.iter().skip(start - 1).take(count).cloned().collect();
    let mut resp = json!({
        "totalResults": hits.len(),
        "startIndex": start,
        "itemsPerPage": page.len(),
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    });
    if !page.is_empty() {
        resp["Resources"] = json!(page);
    }
    Json(resp).into_response()
}
