//! Lakebase synced database tables (`/api/2.0/database/synced_tables`): a Unity Catalog
//! table kept in sync into Postgres by a pipeline. Create (PROVISIONING, then online on the
//! emulated clock), get, delete; no update (PATCH answers 501, as the service). The
//! instance comes from the request or from the database catalog the table is in.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::kind_objects::text;
use super::state::State;
use super::{Shared, lock};

/// Emulated time the first snapshot takes.
const PROVISION_MS: u64 = 30_000;

const POLICIES: &[&str] = &["SNAPSHOT", "TRIGGERED", "CONTINUOUS"];

fn missing(name: &str) -> Response {
    api_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Synced database table '{name}' does not exist."),
    )
}

fn three_parts(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}

fn check(v: &Value) -> Result<(), Response> {
    let name = text(v, "name");
    if !three_parts(name) {
        return Err(invalid_parameter(format!(
            "Invalid name '{name}': a synced table is named catalog.schema.table."
        )));
    }
    let spec = &v["spec"];
    let source = text(spec, "source_table_full_name");
    if !three_parts(source) {
        return Err(invalid_parameter(format!(
            "Invalid spec.source_table_full_name '{source}': expected catalog.schema.table."
        )));
    }
    if spec["primary_key_columns"]
        .as_array()
        .is_none_or(|a| a.is_empty())
    {
        return Err(invalid_parameter(
            "spec.primary_key_columns must name at least one column",
        ));
    }
    if let Some(p) = spec["scheduling_policy"].as_str()
        && !POLICIES.contains(&p)
    {
        return Err(invalid_parameter(format!(
            "Invalid spec.scheduling_policy '{p}': expected one of {}",
            POLICIES.join(", ")
        )));
    }
    Ok(())
}

fn view(s: &State, stored: &Value) -> Value {
    let mut v = stored.clone();
    let ready = s.clock.now_ms() >= v["_ready_at"].as_u64().unwrap_or(0);
    let policy = stored["spec"]["scheduling_policy"]
        .as_str()
        .unwrap_or("SNAPSHOT");
    let detailed = match (ready, policy) {
        (false, _) => "SYNCED_TABLE_PROVISIONING_INITIAL_SNAPSHOT",
        (true, "CONTINUOUS") => "SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE",
        (true, "TRIGGERED") => "SYNCED_TABLE_ONLINE_TRIGGERED_UPDATE",
        (true, _) => "SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE",
    };
    let pipeline = v["_pipeline_id"].clone();
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.starts_with('_'));
    }
    v["data_synchronization_status"] = json!({
        "detailed_state": detailed,
        "pipeline_id": pipeline,
        "message": if ready { "Table is online." } else { "Initial snapshot in progress." },
    });
    v["unity_catalog_provisioning_state"] = json!(if ready { "ACTIVE" } else { "PROVISIONING" });
    v
}

pub async fn create(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let mut v = or_respond!(json_body(&body));
    or_respond!(check(&v));
    let name = text(&v, "name").to_string();
    let catalog = name.split('.').next().unwrap_or_default().to_string();
    let mut s = lock(&state);
    if s.objects.more.synced_tables.contains_key(&name) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Table '{name}' already exists."),
        );
    }
    let from_catalog = s.objects.more.database_catalogs.get(&catalog).cloned();
    let instance = match (text(&v, "database_instance_name"), &from_catalog) {
        ("", Some(c)) => text(c, "database_instance_name").to_string(),
        ("", None) => {
            return invalid_parameter(format!(
                "database_instance_name is required: catalog '{catalog}' is not a database catalog"
            ));
        }
        (i, _) => i.to_string(),
    };
    if !s.objects.more.database_instances.contains_key(&instance) {
        return api_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            format!("Database instance '{instance}' does not exist."),
        );
    }
    let database = match (text(&v, "logical_database_name"), &from_catalog) {
        ("", Some(c)) => text(c, "database_name").to_string(),
        ("", None) => super::handlers_database_catalogs::DEFAULT_DATABASE.to_string(),
        (d, _) => d.to_string(),
    };
    v["effective_database_instance_name"] = json!(instance);
    v["effective_logical_database_name"] = json!(database);
    v["_pipeline_id"] = json!(uuid::Uuid::new_v4().to_string());
    v["_ready_at"] = json!(s.clock.now_ms() + PROVISION_MS);
    let out = view(&s, &v);
    s.objects.more.synced_tables.insert(name, v);
    Json(out).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let s = lock(&state);
    match s.objects.more.synced_tables.get(&name) {
        Some(v) => Json(view(&s, v)).into_response(),
        None => missing(&name),
    }
}

pub async fn delete(
    AxState(state): AxState<Shared>,
    Path(name): Path<String>,
    Query(_q): Query<HashMap<String, String>>,
) -> Response {
    match lock(&state).objects.more.synced_tables.remove(&name) {
        Some(_) => Json(json!({})).into_response(),
        None => missing(&name),
    }
}

pub async fn update(Path(_name): Path<String>) -> Response {
    api_error(
        501,
        "NOT_IMPLEMENTED",
        "Updating a synced database table is not supported.",
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{FROZEN, call, emulator};

    const T: &str = "/api/2.0/database/synced_tables";

    #[tokio::test]
    async fn a_synced_table_provisions_then_is_online_and_cannot_be_updated() {
        let emu = emulator(FROZEN).await;
        let spec = json!({"source_table_full_name": "main.sales.orders", "primary_key_columns": ["id"], "scheduling_policy": "SNAPSHOT"});
        let body = json!({"name": "main.sales.orders_synced", "database_instance_name": "db1", "spec": spec});
        let (st, _) = call(&emu, "POST", T, Some(body.clone())).await;
        assert_eq!(st, 404, "no instance yet");
        call(
            &emu,
            "POST",
            "/api/2.0/database/instances",
            Some(json!({"name": "db1", "capacity": "CU_1"})),
        )
        .await;
        let (st, c) = call(&emu, "POST", T, Some(body.clone())).await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(
            c["data_synchronization_status"]["detailed_state"],
            "SYNCED_TABLE_PROVISIONING_INITIAL_SNAPSHOT"
        );
        assert_eq!(c["effective_logical_database_name"], "databricks_postgres");
        let (st, _) = call(&emu, "POST", T, Some(body)).await;
        assert_eq!(st, 409);
        let (st, _) = call(
            &emu,
            "POST",
            T,
            Some(json!({"name": "x.y", "database_instance_name": "db1", "spec": {}})),
        )
        .await;
        assert_eq!(st, 400);
        emu.advance_clock(super::PROVISION_MS);
        let (_, g) = call(&emu, "GET", &format!("{T}/main.sales.orders_synced"), None).await;
        assert_eq!(g["unity_catalog_provisioning_state"], "ACTIVE", "{g}");
        let (st, _) = call(
            &emu,
            "PATCH",
            &format!("{T}/main.sales.orders_synced"),
            Some(json!({})),
        )
        .await;
        assert_eq!(st, 501);
        let (st, _) = call(
            &emu,
            "DELETE",
            &format!("{T}/main.sales.orders_synced"),
            None,
        )
        .await;
        assert_eq!(st, 200);
        let (st, _) = call(&emu, "GET", &format!("{T}/main.sales.orders_synced"), None).await;
        assert_eq!(st, 404);
    }
}
