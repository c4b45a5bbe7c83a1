//! Unity Catalog secrets (`/api/2.1/unity-catalog/secrets`): a value kept in a schema.
//! Create (the schema must exist), get (the value only with `include_value=true`),
//! update with an `update_mask` (value, comment, owner, expire_time; a new name needs a new
//! secret), delete. Values never appear in an error.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::handlers_catalogs::{METASTORE_ID, valid_name};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::lifecycle::timestamp;
use super::{Shared, lock};

const UPDATABLE: &[&str] = &["value", "comment", "owner", "expire_time"];

fn missing(name: &str) -> Response {
    api_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Secret '{name}' does not exist."),
    )
}

/// The secret without its value.
fn shown(v: &Value, with_value: bool) -> Value {
    let mut out = v.clone();
    if !with_value && let Some(o) = out.as_object_mut() {
        o.remove("value");
        o.remove("effective_value");
    }
    out
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut v = or_respond!(json_body(&body));
    for f in ["name", "catalog_name", "schema_name", "value"] {
        if text(&v, f).is_empty() {
            return invalid_parameter(format!("Missing required field: {f}"));
        }
    }
    let name = text(&v, "name");
    if !valid_name(name) {
        return invalid_parameter(format!("Invalid secret name '{name}'."));
    }
    let schema = format!("{}.{}", text(&v, "catalog_name"), text(&v, "schema_name"));
    let full = format!("{schema}.{name}");
    let mut s = lock(&state);
    if !s.objects.schemas.contains_key(&schema) {
        return api_error(
            404,
            "SCHEMA_DOES_NOT_EXIST",
            format!("Schema '{schema}' does not exist."),
        );
    }
    if s.objects.more.uc_secrets.contains_key(&full) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Secret '{full}' already exists."),
        );
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = timestamp(s.clock.now_ms());
    v["full_name"] = json!(full);
    v["effective_value"] = v["value"].clone();
    v["metastore_id"] = json!(METASTORE_ID);
    if v.get("owner").is_none() {
        v["owner"] = json!(user);
    }
    v["effective_owner"] = v["owner"].clone();
    v["created_by"] = json!(user);
    v["updated_by"] = json!(user);
    v["create_time"] = json!(now);
    v["update_time"] = json!(now);
    s.objects.more.uc_secrets.insert(full, v.clone());
    Json(shown(&v, false)).into_response()
}

pub async fn get(
    AxState(state): AxState<Shared>,
    Path(full): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let with_value = q.get("include_value").is_some_and(|v| v == "true");
    match lock(&state).objects.more.uc_secrets.get(&full) {
        Some(v) => Json(shown(v, with_value)).into_response(),
        None => missing(&full),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(full): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let Some(mask) = q.get("update_mask").filter(|m| !m.is_empty()) else {
        return invalid_parameter("update_mask is required");
    };
    let fields: Vec<&str> = if mask == "*" {
        UPDATABLE.to_vec()
    } else {
        mask.split(',').map(str::trim).collect()
    };
    if let Some(bad) = fields.iter().find(|f| !UPDATABLE.contains(f)) {
        return invalid_parameter(format!(
            "Field '{bad}' cannot be updated; to change the name, delete and recreate the secret"
        ));
    }
    let mut s = lock(&state);
    let now = timestamp(s.clock.now_ms());
    let Some(v) = s.objects.more.uc_secrets.get_mut(&full) else {
        return missing(&full);
    };
    for f in fields {
        if let Some(x) = req.get(f).filter(|x| !x.is_null()) {
            v[f] = x.clone();
        }
    }
    v["effective_value"] = v["value"].clone();
    v["effective_owner"] = v["owner"].clone();
    v["update_time"] = json!(now);
    Json(shown(v, false)).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, Path(full): Path<String>) -> Response {
    match lock(&state).objects.more.uc_secrets.remove(&full) {
        Some(_) => Json(json!({})).into_response(),
        None => missing(&full),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const S: &str = "/api/2.1/unity-catalog/secrets";

    #[tokio::test]
    async fn a_secret_lives_in_a_schema_and_shows_its_value_only_when_asked() {
        let emu = emulator(1.0).await;
        let body = json!({"name": "api_key", "catalog_name": "main", "schema_name": "app", "value": "s3cr3t-value"});
        let (st, e) = call(&emu, "POST", S, Some(body.clone())).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("SCHEMA_DOES_NOT_EXIST"))
        );
        let (st, _) = call(
            &emu,
            "POST",
            "/api/2.1/unity-catalog/schemas",
            Some(json!({"name": "app", "catalog_name": "main"})),
        )
        .await;
        assert_eq!(st, 200);
        let (st, c) = call(&emu, "POST", S, Some(body.clone())).await;
        assert_eq!(st, 200, "{c}");
        assert!(c.get("value").is_none() && !c.to_string().contains("s3cr3t"));
        let (st, _) = call(&emu, "POST", S, Some(body)).await;
        assert_eq!(st, 409);
        let (_, g) = call(
            &emu,
            "GET",
            &format!("{S}/main.app.api_key?include_value=true"),
            None,
        )
        .await;
        assert_eq!(g["value"], "s3cr3t-value");
        let (st, _) = call(
            &emu,
            "PATCH",
            &format!("{S}/main.app.api_key?update_mask=name"),
            Some(json!({"name": "x"})),
        )
        .await;
        assert_eq!(st, 400);
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{S}/main.app.api_key?update_mask=*"),
            Some(json!({"value": "v2", "comment": "c"})),
        )
        .await;
        assert_eq!((st, u["comment"].as_str()), (200, Some("c")));
        let (st, _) = call(&emu, "DELETE", &format!("{S}/main.app.api_key"), None).await;
        assert_eq!(st, 200);
        let (st, _) = call(&emu, "GET", &format!("{S}/main.app.api_key"), None).await;
        assert_eq!(st, 404);
    }
}
