//! Secret scopes (and their ACLs), MLflow experiments, and object permissions.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{
    api_error, body_or_query, invalid_parameter, json_body, not_found, or_respond,
};
use super::objects::Scope;
use super::{Shared, lock};

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 128
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn no_scope(name: &str) -> Response {
    not_found(format!("Scope {name} does not exist!"))
}

pub async fn secrets(
    AxState(state): AxState<Shared>,
    Path(op): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let v = or_respond!(body_or_query(&q, &body));
    let scope = v["scope"].as_str().unwrap_or("").to_string();
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    match op.as_str() {
        "scopes/create" => {
            if !valid_name(&scope) {
                return invalid_parameter(format!(
                    "Scope name {scope:?} is invalid: use letters, digits, '-', '_' and '.' (at most 128)"
                ));
            }
            if s.objects.secret_scopes.contains_key(&scope) {
                return api_error(
                    400,
                    "RESOURCE_ALREADY_EXISTS",
                    format!("Scope {scope} already exists!"),
                );
            }
            let backend = v["scope_backend_type"]
                .as_str()
                .unwrap_or("DATABRICKS")
                .to_string();
            s.objects.secret_scopes.insert(
                scope,
                Scope {
                    backend,
                    ..Scope::default()
                },
            );
        }
        "scopes/list" => {
            let scopes: Vec<Value> = s
                .objects
                .secret_scopes
                .iter()
                .map(|(n, sc)| json!({ "name": n, "backend_type": sc.backend }))
                .collect();
            return Json(if scopes.is_empty() {
                json!({})
            } else {
                json!({ "scopes": scopes })
            })
            .into_response();
        }
        "scopes/delete" => {
            if s.objects.secret_scopes.remove(&scope).is_none() {
                return no_scope(&scope);
            }
        }
        "put" | "delete" | "list" | "acls/put" | "acls/list" | "acls/delete" => {
            let Some(sc) = s.objects.secret_scopes.get_mut(&scope) else {
                return no_scope(&scope);
            };
            let key = v["key"].as_str().unwrap_or("").to_string();
            match op.as_str() {
                "put" => {
                    if v.get("string_value").is_some() == v.get("bytes_value").is_some() {
                        return invalid_parameter(
                            "Exactly one of string_value and bytes_value must be given",
                        );
                    }
                    if !valid_name(&key) {
                        return invalid_parameter(format!("Secret key {key:?} is invalid"));
                    }
                    let value = match (v["string_value"].as_str(), v["bytes_value"].as_str()) {
                        (Some(s), _) => s.to_string(),
                        (None, Some(b)) => {
                            use base64::Engine;
                            match base64::engine::general_purpose::STANDARD.decode(b) {
                                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                                Err(_) => return invalid_parameter("bytes_value must be base64"),
                            }
                        }
                        _ => return invalid_parameter("string_value must be a string"),
                    };
                    sc.values.insert(key.clone(), value);
                    sc.secrets.insert(key, now);
                }
                "delete" => {
                    sc.values.remove(&key);
                    if sc.secrets.remove(&key).is_none() {
                        return not_found(format!("Secret {key} does not exist!"));
                    }
                }
                "list" => {
                    let list: Vec<Value> = sc
                        .secrets
                        .iter()
                        .map(|(k, t)| json!({ "key": k, "last_updated_timestamp": t }))
                        .collect();
                    return Json(json!({ "secrets": list })).into_response();
                }
                "acls/put" => {
                    let (Some(p), Some(level)) =
                        (v["principal"].as_str(), v["permission"].as_str())
                    else {
                        return invalid_parameter("principal and permission are required");
                    };
                    if !matches!(level, "READ" | "WRITE" | "MANAGE") {
                        return invalid_parameter(format!("Invalid permission {level}"));
                    }
                    sc.acls.insert(p.to_string(), level.to_string());
                }
                "acls/delete" => {
                    sc.acls.remove(v["principal"].as_str().unwrap_or(""));
                }
                _ => {
                    let items: Vec<Value> = sc
                        .acls
                        .iter()
                        .map(|(p, l)| json!({ "principal": p, "permission": l }))
                        .collect();
                    return Json(json!({ "items": items })).into_response();
                }
            }
        }
        _ => {
            return super::errors::no_endpoint(format!("/api/2.0/secrets/{op}"));
        }
    }
    Json(json!({})).into_response()
}

pub async fn experiments(
    AxState(state): AxState<Shared>,
    Path(op): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let v = or_respond!(body_or_query(&q, &body));
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let missing = |what: &str| not_found(format!("Could not find experiment with {what}"));
    match op.as_str() {
        "create" => {
            let Some(name) = v["name"]
                .as_str()
                .filter(|n| !n.is_empty())
                .map(str::to_string)
            else {
                return invalid_parameter("Missing required field: name");
            };
            if s.objects
                .experiments
                .values()
                .any(|e| e["name"] == name.as_str() && e["lifecycle_stage"] == "active")
            {
                return api_error(
                    400,
                    "RESOURCE_ALREADY_EXISTS",
                    format!("Experiment '{name}' already exists."),
                );
            }
            let id = s.next_id().to_string();
            let exp = json!({ "experiment_id": id, "name": name, "artifact_location": v["artifact_location"].as_str().map_or_else(|| format!("dbfs:/databricks/mlflow-tracking/{id}"), str::to_string), "lifecycle_stage": "active", "creation_time": now, "last_update_time": now, "tags": v["tags"] });
            s.objects.experiments.insert(id.clone(), exp);
            Json(json!({ "experiment_id": id })).into_response()
        }
        "get" => match s
            .objects
            .experiments
            .get(v["experiment_id"].as_str().unwrap_or(""))
        {
            Some(e) => Json(json!({ "experiment": e })).into_response(),
            None => missing("the given id"),
        },
        "get-by-name" => {
            let name = v["experiment_name"].as_str().unwrap_or("");
            let mut hits: Vec<&Value> = s
                .objects
                .experiments
                .values()
                .filter(|e| e["name"] == name)
                .collect();
            hits.sort_by_key(|e| e["lifecycle_stage"] != "active");
            match hits.first() {
                Some(e) => Json(json!({ "experiment": e })).into_response(),
                None => missing(&format!("name {name}")),
            }
        }
        "update" | "delete" => {
            let id = v["experiment_id"].as_str().unwrap_or("").to_string();
            let Some(e) = s.objects.experiments.get_mut(&id) else {
                return missing("the given id");
            };
            if op == "delete" {
                e["lifecycle_stage"] = json!("deleted");
            } else if let Some(n) = v["new_name"].as_str() {
                e["name"] = json!(n);
            }
            e["last_update_time"] = json!(now);
            Json(json!({})).into_response()
        }
        _ => super::errors::no_endpoint(format!("/api/2.0/mlflow/experiments/{op}")),
    }
}

/// `PUT` replaces an object's access list, `GET` reads it.
pub async fn permissions(
    AxState(state): AxState<Shared>,
    method: axum::http::Method,
    Path((kind, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut s = lock(&state);
    let exists = match kind.as_str() {
        "jobs" => id.parse::<i64>().is_ok_and(|j| s.jobs.contains_key(&j)),
        "pipelines" => s.objects.pipelines.contains_key(&id),
        "clusters" => s.objects.clusters.contains_key(&id),
        "experiments" => s.objects.experiments.contains_key(&id),
        "serving-endpoints" => super::handlers_serving::has_id(&s, &id),
        other => match super::kind_objects::permission_target_exists(&s, other, &id) {
            Some(e) => e,
            None => return invalid_parameter(format!("Unsupported object type {kind}")),
        },
    };
    if !exists {
        return not_found(format!("{kind} {id} does not exist."));
    }
    let key = format!("{kind}/{id}");
    if method == axum::http::Method::PUT {
        let v = or_respond!(json_body(&body));
        let Some(list) = v["access_control_list"].as_array() else {
            return invalid_parameter("access_control_list is required");
        };
        for e in list {
            if e["permission_level"].as_str().is_none() {
                return invalid_parameter("every entry needs a permission_level");
            }
        }
        s.objects.permissions.insert(key.clone(), json!(list));
    }
    let acl = s
        .objects
        .permissions
        .get(&key)
        .cloned()
        .unwrap_or(json!([]));
    Json(json!({ "object_id": format!("/{kind}/{id}"), "object_type": kind.trim_end_matches('s'), "access_control_list": acl })).into_response()
}
