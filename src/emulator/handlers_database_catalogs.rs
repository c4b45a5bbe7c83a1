//! Lakebase database catalogs (`/api/2.0/database/catalogs`): a Unity Catalog catalog over
//! a Postgres database of a database instance. Create (the instance must exist; the
//! database too, unless `create_database_if_not_exists`), get, delete; there is no update
//! (PATCH answers 501, as the service).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::handlers_catalogs::valid_name;
use super::kind_objects::text;
use super::{Shared, lock};

/// The database every instance has from the start.
pub const DEFAULT_DATABASE: &str = "databricks_postgres";

fn missing(name: &str) -> Response {
    api_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Database catalog '{name}' does not exist."),
    )
}

pub async fn create(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let mut v = or_respond!(json_body(&body));
    for f in ["name", "database_instance_name", "database_name"] {
        if text(&v, f).is_empty() {
            return invalid_parameter(format!("Missing required field: {f}"));
        }
    }
    let name = text(&v, "name").to_string();
    if !valid_name(&name) {
        return invalid_parameter(format!("Invalid catalog name '{name}'."));
    }
    let (instance, database) = (
        text(&v, "database_instance_name").to_string(),
        text(&v, "database_name").to_string(),
    );
    let mut s = lock(&state);
    if s.objects.more.database_catalogs.contains_key(&name)
        || s.objects.catalogs.contains_key(&name)
    {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Catalog '{name}' already exists."),
        );
    }
    let create_db = v["create_database_if_not_exists"] == true;
    let Some(inst) = s.objects.more.database_instances.get_mut(&instance) else {
        return api_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            format!("Database instance '{instance}' does not exist."),
        );
    };
    let mut dbs: Vec<Value> = inst["_databases"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![json!(DEFAULT_DATABASE)]);
    if !dbs.contains(&json!(database)) {
        if !create_db {
            return invalid_parameter(format!(
                "Database '{database}' does not exist in instance '{instance}'; set create_database_if_not_exists to create it."
            ));
        }
        dbs.push(json!(database));
    }
    inst["_databases"] = json!(dbs);
    v["uid"] = json!(uuid::Uuid::new_v4().to_string());
    s.objects.more.database_catalogs.insert(name, v.clone());
    Json(v).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    match lock(&state).objects.more.database_catalogs.get(&name) {
        Some(v) => Json(v.clone()).into_response(),
        None => missing(&name),
    }
}

pub async fn delete(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    match lock(&state).objects.more.database_catalogs.remove(&name) {
        Some(_) => Json(json!({})).into_response(),
        None => missing(&name),
    }
}

pub async fn update(Path(_name): Path<String>) -> Response {
    api_error(
        501,
        "NOT_IMPLEMENTED",
        "Updating a database catalog is not supported.",
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const C: &str = "/api/2.0/database/catalogs";

    #[tokio::test]
    async fn a_catalog_needs_its_instance_and_database_and_cannot_be_updated() {
        let emu = emulator(1.0).await;
        let body = json!({"name": "orders_cat", "database_instance_name": "db1", "database_name": "orders"});
        let (st, _) = call(&emu, "POST", C, Some(body.clone())).await;
        assert_eq!(st, 404, "no instance yet");
        let (st, _) = call(
            &emu,
            "POST",
            "/api/2.0/database/instances",
            Some(json!({"name": "db1", "capacity": "CU_1"})),
        )
        .await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "POST", C, Some(body.clone())).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE")),
            "no database"
        );
        let mut create = body.clone();
        create["create_database_if_not_exists"] = json!(true);
        let (st, c) = call(&emu, "POST", C, Some(create.clone())).await;
        assert_eq!(st, 200, "{c}");
        assert!(c["uid"].is_string());
        let (st, _) = call(&emu, "POST", C, Some(create)).await;
        assert_eq!(st, 409);
        let (st, _) = call(&emu, "PATCH", &format!("{C}/orders_cat"), Some(json!({}))).await;
        assert_eq!(st, 501);
        let (st, _) = call(&emu, "DELETE", &format!("{C}/orders_cat"), None).await;
        assert_eq!(st, 200);
        let (st, _) = call(&emu, "GET", &format!("{C}/orders_cat"), None).await;
        assert_eq!(st, 404);
    }
}
