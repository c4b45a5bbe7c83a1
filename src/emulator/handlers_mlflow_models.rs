//! The legacy workspace Model Registry's models (`/api/2.0/mlflow/registered-models/*`):
//! create, update (description), rename, delete, tags, list, and the Databricks read that
//! adds the model's id (the id its permissions are set on). Versions are not modelled here.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{
    api_error, body_or_query, invalid_parameter, no_endpoint, not_found, or_respond,
};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::state::State;
use super::{Shared, lock};

fn missing(name: &str) -> Response {
    not_found(format!(
        "RegisteredModel '{name}' does not exist. It might have been deleted."
    ))
}

fn exists(name: &str) -> Response {
    api_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        format!("Registered Model (name={name}) already exists."),
    )
}

fn required<'v>(v: &'v Value, field: &str) -> Result<&'v str, Response> {
    match text(v, field) {
        "" => Err(invalid_parameter(format!(
            "Missing value for required parameter '{field}'."
        ))),
        s => Ok(s),
    }
}

/// The model as the open-source API shows it (without id and permission level).
fn public(m: &Value) -> Value {
    let mut v = m.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
    }
    v
}

/// `POST|PATCH|DELETE|GET /api/2.0/mlflow/registered-models/{op}`.
pub async fn op(
    AxState(state): AxState<Shared>,
    method: Method,
    headers: HeaderMap,
    Path(op): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let v = or_respond!(body_or_query(&q, &body));
    let mut s = lock(&state);
    let s = &mut *s;
    match (method.as_str(), op.as_str()) {
        ("POST", "create") => create(s, bearer(&headers), &v),
        ("PATCH", "update") => update(s, &v),
        ("POST", "rename") => rename(s, &v),
        ("DELETE", "delete") => delete(s, &v),
        ("POST", "set-tag") => set_tag(s, &v),
        ("DELETE", "delete-tag") => delete_tag(s, &v),
        ("GET", "list" | "search") => list(s, &q),
        _ => no_endpoint(format!("{method} /api/2.0/mlflow/registered-models/{op}")),
    }
}

fn create(s: &mut State, token: &str, v: &Value) -> Response {
    let name = or_respond!(required(v, "name")).to_string();
    if s.objects.more.mlflow_models.contains_key(&name) {
        return exists(&name);
    }
    let now = s.clock.now_ms();
    let id = format!("{:032x}", 0x5eed_0000_u64 + s.next_id() as u64);
    let user = s.principal(token).unwrap_or_default();
    let mut m = json!({
        "name": name, "id": id, "creation_timestamp": now, "last_updated_timestamp": now,
        "user_id": user, "tags": v["tags"].as_array().cloned().unwrap_or_default(),
    });
    if let Some(d) = v["description"].as_str() {
        m["description"] = json!(d);
    }
    s.objects.more.mlflow_models.insert(name, m.clone());
    Json(json!({ "registered_model": public(&m) })).into_response()
}

fn update(s: &mut State, v: &Value) -> Response {
    let name = or_respond!(required(v, "name"));
    let now = s.clock.now_ms();
    let Some(m) = s.objects.more.mlflow_models.get_mut(name) else {
        return missing(name);
    };
    match v.get("description") {
        Some(Value::String(d)) => m["description"] = json!(d),
        _ => {
            if let Some(o) = m.as_object_mut() {
                o.remove("description");
            }
        }
    }
    m["last_updated_timestamp"] = json!(now);
    Json(json!({ "registered_model": public(m) })).into_response()
}

fn rename(s: &mut State, v: &Value) -> Response {
    let name = or_respond!(required(v, "name"));
    let new_name = or_respond!(required(v, "new_name")).to_string();
    let models = &mut s.objects.more.mlflow_models;
    if !models.contains_key(name) {
        return missing(name);
    }
    if new_name != name && models.contains_key(&new_name) {
        return exists(&new_name);
    }
    let Some(mut m) = models.remove(name) else {
        return missing(name);
    };
    m["name"] = json!(new_name);
    m["last_updated_timestamp"] = json!(s.clock.now_ms());
    let out = public(&m);
    s.objects.more.mlflow_models.insert(new_name, m);
    Json(json!({ "registered_model": out })).into_response()
}

fn delete(s: &mut State, v: &Value) -> Response {
    let name = or_respond!(required(v, "name"));
    match s.objects.more.mlflow_models.remove(name) {
        Some(m) => {
            let id = text(&m, "id");
            s.objects
                .permissions
                .remove(&format!("registered-models/{id}"));
            Json(json!({})).into_response()
        }
        None => missing(name),
    }
}

fn set_tag(s: &mut State, v: &Value) -> Response {
    let name = or_respond!(required(v, "name"));
    let key = or_respond!(required(v, "key")).to_string();
    let value = v["value"].clone();
    let Some(m) = s.objects.more.mlflow_models.get_mut(name) else {
        return missing(name);
    };
    let mut tags: Vec<Value> = m["tags"].as_array().cloned().unwrap_or_default();
    tags.retain(|t| t["key"] != key.as_str());
    tags.push(json!({ "key": key, "value": value }));
    m["tags"] = json!(tags);
    Json(json!({})).into_response()
}

fn delete_tag(s: &mut State, v: &Value) -> Response {
    let name = or_respond!(required(v, "name"));
    let key = or_respond!(required(v, "key"));
    let Some(m) = s.objects.more.mlflow_models.get_mut(name) else {
        return missing(name);
    };
    let mut tags: Vec<Value> = m["tags"].as_array().cloned().unwrap_or_default();
    let before = tags.len();
    tags.retain(|t| t["key"] != key);
    if tags.len() == before {
        return not_found(format!("No tag with key '{key}' on model '{name}'."));
    }
    m["tags"] = json!(tags);
    Json(json!({})).into_response()
}

/// Pages of `max_results` (default 100, at most 1000), token = offset.
fn list(s: &State, q: &HashMap<String, String>) -> Response {
    let max = match q.get("max_results").map(|m| m.parse::<usize>()) {
        None => 100,
        Some(Ok(m)) if (1..=1000).contains(&m) => m,
        Some(_) => return invalid_parameter("max_results must be between 1 and 1000"),
    };
    let offset = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("models:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid_parameter("Invalid page token"),
        },
    };
    let all: Vec<Value> = s.objects.more.mlflow_models.values().map(public).collect();
    let page: Vec<Value> = all.iter().skip(offset).take(max).cloned().collect();
    let mut out = json!({});
    if !page.is_empty() {
        out["registered_models"] = json!(page);
    }
    if offset + max < all.len() {
        out["next_page_token"] = json!(format!("models:{}", offset + max));
    }
    Json(out).into_response()
}

/// `GET /api/2.0/mlflow/databricks/registered-models/get?name=`: with id and permission level.
pub async fn get_databricks(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let name = q.get("name").cloned().unwrap_or_default();
    if name.is_empty() {
        return invalid_parameter("Missing value for required parameter 'name'.");
    }
    match lock(&state).objects.more.mlflow_models.get(&name) {
        Some(m) => {
            let mut m = m.clone();
            m["permission_level"] = json!("CAN_MANAGE");
            Json(json!({ "registered_model_databricks": m })).into_response()
        }
        None => missing(&name),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const M: &str = "/api/2.0/mlflow/registered-models";
    const GET: &str = "/api/2.0/mlflow/databricks/registered-models/get";

    #[tokio::test]
    async fn a_model_is_created_described_renamed_tagged_and_deleted() {
        let emu = emulator(1.0).await;
        let (st, c) = call(
            &emu,
            "POST",
            &format!("{M}/create"),
            Some(json!({"name": "churn", "description": "d1", "tags": [{"key": "team", "value": "ml"}]})),
        )
        .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["registered_model"]["name"], "churn");
        assert!(c["registered_model"].get("id").is_none());
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{M}/create"),
            Some(json!({"name": "churn"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("RESOURCE_ALREADY_EXISTS"))
        );
        let (_, g) = call(&emu, "GET", &format!("{GET}?name=churn"), None).await;
        let id = g["registered_model_databricks"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(id.len(), 32);
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{M}/update"),
            Some(json!({"name": "churn", "description": "d2"})),
        )
        .await;
        assert_eq!(
            (st, u["registered_model"]["description"].as_str()),
            (200, Some("d2"))
        );
        let (st, r) = call(
            &emu,
            "POST",
            &format!("{M}/rename"),
            Some(json!({"name": "churn", "new_name": "churn2"})),
        )
        .await;
        assert_eq!(
            (st, r["registered_model"]["name"].as_str()),
            (200, Some("churn2"))
        );
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{M}/set-tag"),
            Some(json!({"name": "churn2", "key": "stage", "value": "dev"})),
        )
        .await;
        assert_eq!(st, 200);
        let (st, _) = call(
            &emu,
            "DELETE",
            &format!("{M}/delete-tag?name=churn2&key=team"),
            None,
        )
        .await;
        assert_eq!(st, 200);
        let (_, g) = call(&emu, "GET", &format!("{GET}?name=churn2"), None).await;
        assert_eq!(
            g["registered_model_databricks"]["id"],
            id.as_str(),
            "a rename keeps the id"
        );
        assert_eq!(
            g["registered_model_databricks"]["tags"],
            json!([{"key": "stage", "value": "dev"}])
        );
        let (st, _) = call(&emu, "PUT", &format!("/api/2.0/permissions/registered-models/{id}"), Some(json!({"access_control_list": [{"group_name": "ml", "permission_level": "CAN_READ"}]}))).await;
        assert_eq!(st, 200);
        let (_, l) = call(&emu, "GET", &format!("{M}/list?max_results=1"), None).await;
        assert_eq!(l["registered_models"].as_array().unwrap().len(), 1);
        let (st, _) = call(&emu, "DELETE", &format!("{M}/delete?name=churn2"), None).await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{GET}?name=churn2"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST"))
        );
        let (st, _) = call(
            &emu,
            "PUT",
            &format!("/api/2.0/permissions/registered-models/{id}"),
            Some(json!({"access_control_list": []})),
        )
        .await;
        assert_eq!(st, 404);
    }
}
