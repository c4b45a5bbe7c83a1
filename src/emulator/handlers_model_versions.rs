//! Unity Catalog model versions and aliases, and the MLflow client's registration call that
//! creates a version from a run.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::handlers_mlflow::text;
use super::state::State;
use super::{Shared, lock};

/// `POST /api/2.0/mlflow/unity-catalog/model-versions/create`: the call MLflow clients make
/// to register a run's model in Unity Catalog. The version is READY at once.
pub async fn create_model_version(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let v = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let name = text(&v, "name").to_string();
    let Some(model) = s.objects.models.get(&name).cloned() else {
        return not_found(format!("Registered model '{name}' does not exist."));
    };
    if text(&v, "source").is_empty() {
        return invalid_parameter("Missing value for required parameter 'source'.");
    }
    let now = s.clock.now_ms();
    let user = s.config.user_name.clone();
    let versions = s.objects.model_versions.entry(name.clone()).or_default();
    let version = versions.len() as i64 + 1;
    let info = json!({
        "model_name": model["name"], "catalog_name": model["catalog_name"],
        "schema_name": model["schema_name"], "version": version, "source": v["source"],
        "run_id": v["run_id"], "comment": v["description"], "status": "READY",
        "storage_location": format!("{}/versions/{version}", model["storage_location"].as_str().unwrap_or("s3://emulator/models")),
        "created_at": now, "created_by": user, "updated_at": now, "updated_by": user,
        "id": uuid::Uuid::new_v4().to_string(),
    });
    versions.push(info);
    Json(json!({ "model_version": {
        "name": name, "version": version.to_string(), "creation_timestamp": now,
        "last_updated_timestamp": now, "source": v["source"], "run_id": v["run_id"],
        "status": "READY", "user_id": user,
    }}))
    .into_response()
}

/// `/api/2.1/unity-catalog/models/{full_name}/versions[/{version}]` and
/// `.../aliases/{alias}` (GET, PUT to set, DELETE).
pub async fn model_sub(
    AxState(state): AxState<Shared>,
    method: Method,
    Path(parts): Path<Vec<(String, String)>>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let get = |k: &str| {
        parts
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (kind, name, sub, key) = (get("kind"), get("name"), get("sub"), get("key"));
    if kind != "models" || !matches!(sub.as_str(), "versions" | "aliases") {
        return super::errors::no_endpoint(format!(
            "{method} /api/2.1/unity-catalog/{kind}/{name}/{sub}"
        ));
    }
    let mut s = lock(&state);
    if !s.objects.models.contains_key(&name) {
        return api_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            format!("Registered model '{name}' does not exist."),
        );
    }
    match (sub.as_str(), method.as_str(), key.is_empty()) {
        ("versions", "GET", true) => {
            let all: Vec<Value> = (1..=version_count(&s, &name))
                .filter_map(|n| version_json(&s, &name, n))
                .collect();
            let max = q
                .get("max_results")
                .and_then(|m| m.parse::<usize>().ok())
                .filter(|m| *m > 0)
                .unwrap_or(100);
            let offset: usize = match q.get("page_token").filter(|t| !t.is_empty()) {
                None => 0,
                Some(t) => match t.strip_prefix("versions:").and_then(|n| n.parse().ok()) {
                    Some(n) => n,
                    None => return invalid_parameter("Invalid page token"),
                },
            };
            let mut resp = json!({
                "model_versions": all.iter().skip(offset).take(max).collect::<Vec<_>>()
            });
            if offset + max < all.len() {
                resp["next_page_token"] = json!(format!("versions:{}", offset + max));
            }
            Json(resp).into_response()
        }
        ("versions", "GET", false) => match key
            .parse::<i64>()
            .ok()
            .and_then(|n| version_json(&s, &name, n))
        {
            Some(v) => Json(v).into_response(),
            None => not_found(format!("Model version {key} of '{name}' does not exist.")),
        },
        ("aliases", "GET", false) => {
            let version = s
                .objects
                .model_aliases
                .get(&name)
                .and_then(|a| a.get(&key))
                .copied();
            match version.and_then(|n| version_json(&s, &name, n)) {
                Some(v) => Json(v).into_response(),
                None => not_found(format!(
                    "Alias '{key}' does not exist for registered model '{name}'."
                )),
            }
        }
        ("aliases", "PUT", false) => {
            let v = or_respond!(json_body(&body));
            let Some(n) = v["version_num"].as_i64() else {
                return invalid_parameter("Missing value for required parameter 'version_num'.");
            };
            if version_json(&s, &name, n).is_none() {
                return not_found(format!("Model version {n} of '{name}' does not exist."));
            }
            s.objects
                .model_aliases
                .entry(name.clone())
                .or_default()
                .insert(key.clone(), n);
            Json(json!({ "alias_name": key, "version_num": n })).into_response()
        }
        ("aliases", "DELETE", false) => {
            if let Some(a) = s.objects.model_aliases.get_mut(&name) {
                a.remove(&key);
            }
            Json(json!({})).into_response()
        }
        _ => api_error(405, "NOT_IMPLEMENTED", "Method not allowed"),
    }
}

fn version_count(s: &State, name: &str) -> i64 {
    s.objects
        .model_versions
        .get(name)
        .map_or(0, |v| v.len() as i64)
}

/// A version with the aliases that point at it.
fn version_json(s: &State, name: &str, n: i64) -> Option<Value> {
    let mut v = s
        .objects
        .model_versions
        .get(name)?
        .get(usize::try_from(n - 1).ok()?)?
        .clone();
    let aliases: Vec<Value> = s
        .objects
        .model_aliases
        .get(name)
        .into_iter()
        .flatten()
        .filter(|(_, version)| **version == n)
        .map(|(alias, version)| json!({ "alias_name": alias, "version_num": version }))
        .collect();
    if !aliases.is_empty() {
        v["aliases"] = json!(aliases);
    }
    Some(v)
}
