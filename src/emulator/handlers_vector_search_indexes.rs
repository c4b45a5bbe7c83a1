//! Vector search indexes: create (Delta Sync or Direct Access, on an existing endpoint),
//! get, list per endpoint (paginated), sync, delete. A new index is not ready until
//! `READY_MS` of emulated time has passed; a deleted index's name stays taken for
//! `RELEASE_MS` more (the service frees it after the index is gone from GET, so a create
//! right after a delete is refused as pending deletion). There is no update: the service has
//! none. An index outlives the endpoint it was created on (it is then orphaned).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::pagination::page;
use super::state::State;
use super::{Shared, lock};

/// Emulated time a new index spends provisioning before it is ready for queries.
pub const READY_MS: u64 = 30_000;
/// Emulated time a deleted index's name stays pending deletion.
pub const RELEASE_MS: u64 = 10_000;
/// Indexes per list page (small, so clients' paging is exercised).
const PAGE: usize = 10;

fn missing(name: &str) -> Response {
    not_found(format!("Vector search index {name} does not exist"))
}

/// A full name `catalog.schema.table`, each part letters, digits and underscores.
fn valid_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The column types as Unity Catalog stores them: the API's names (`integer`, `long`, ...)
/// become Spark's, and the columns come back in name order.
fn stored_schema(schema_json: &str) -> Option<String> {
    let columns: BTreeMap<String, String> = serde_json::from_str(schema_json).ok()?;
    let spark = |t: &str| -> String {
        if let Some(inner) = t.strip_prefix("array<").and_then(|r| r.strip_suffix('>')) {
            return format!("array<{}>", stored_type(inner));
        }
        stored_type(t).to_string()
    };
    let out: BTreeMap<String, String> =
        columns.iter().map(|(k, t)| (k.clone(), spark(t))).collect();
    serde_json::to_string(&out).ok()
}

fn stored_type(t: &str) -> &str {
    match t {
        "integer" => "int",
        "long" => "bigint",
        "short" => "smallint",
        "byte" => "tinyint",
        other => other,
    }
}

fn has_items(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

/// The request's spec checked against its type; the spec as the index shows it.
fn spec(req: &Value, index_type: &str) -> Result<(&'static str, Value), Response> {
    let (field, other) = match index_type {
        "DELTA_SYNC" => ("delta_sync_index_spec", "direct_access_index_spec"),
        _ => ("direct_access_index_spec", "delta_sync_index_spec"),
    };
    if !req[other].is_null() {
        return Err(invalid_parameter(format!(
            "{other} cannot be set for an index of type {index_type}"
        )));
    }
    let mut s = req[field].clone();
    if !s.is_object() {
        return Err(invalid_parameter(format!(
            "{field} is required for an index of type {index_type}"
        )));
    }
    let embeddings =
        has_items(&s["embedding_source_columns"]) || has_items(&s["embedding_vector_columns"]);
    let full_text = req["index_subtype"] == "FULL_TEXT";
    if !embeddings && !full_text {
        return Err(invalid_parameter(format!(
            "{field} needs embedding_source_columns or embedding_vector_columns"
        )));
    }
    if index_type == "DELTA_SYNC" {
        if !valid_name(text(&s, "source_table")) {
            return Err(invalid_parameter(format!(
                "Invalid source_table '{}': expected catalog.schema.table",
                text(&s, "source_table")
            )));
        }
        s["pipeline_id"] = json!(uuid::Uuid::new_v4().to_string());
        if s["pipeline_type"].is_null() {
            s["pipeline_type"] = json!("TRIGGERED");
        }
    } else {
        let Some(stored) = stored_schema(text(&s, "schema_json")) else {
            return Err(invalid_parameter(
                "direct_access_index_spec.schema_json must be a JSON object of column types",
            ));
        };
        let pk = text(req, "primary_key");
        let columns: BTreeMap<String, String> = serde_json::from_str(&stored).unwrap_or_default();
        if !columns.contains_key(pk) {
            return Err(invalid_parameter(format!(
                "Primary key column '{pk}' is not in schema_json"
            )));
        }
        s["schema_json"] = json!(stored);
    }
    Ok((field, s))
}

/// The index with its readiness brought up to the emulated now.
fn settled(s: &mut State, name: &str) -> Option<Value> {
    let now = s.clock.now_ms();
    let k = &mut s.objects.kinds;
    let due = k.vs_index_ready_at.get(name).is_some_and(|at| *at <= now);
    let index = k.vs_indexes.get_mut(name)?;
    if due {
        k.vs_index_ready_at.remove(name);
        index["status"]["ready"] = json!(true);
        index["status"]["message"] = json!("Index is ready for queries");
    }
    Some(index.clone())
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    for f in ["name", "endpoint_name", "primary_key", "index_type"] {
        if text(&req, f).is_empty() {
            return invalid_parameter(format!("Missing required field: {f}"));
        }
    }
    let name = text(&req, "name").to_string();
    if !valid_name(&name) {
        return invalid_parameter(format!(
            "Invalid index name '{name}': an index is named catalog.schema.table, with letters, digits and underscores"
        ));
    }
    let index_type = match text(&req, "index_type") {
        t @ ("DELTA_SYNC" | "DIRECT_ACCESS") => t.to_string(),
        other => return invalid_parameter(format!("Invalid index_type '{other}'")),
    };
    let subtype = match text(&req, "index_subtype") {
        "" => "HYBRID".to_string(),
        t @ ("HYBRID" | "FULL_TEXT") => t.to_string(),
        other => return invalid_parameter(format!("index_subtype '{other}' is not supported")),
    };
    let (spec_field, spec) = or_respond!(spec(&req, &index_type));
    let endpoint_name = text(&req, "endpoint_name").to_string();
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    if s.objects.kinds.vs_indexes.contains_key(&name) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Index {name} already exists"),
        );
    }
    if let Some(at) = s.objects.kinds.vs_index_released_at.get(&name).copied() {
        if at > now {
            return invalid_parameter(format!(
                "Index {name} is pending deletion; it cannot be created again until the deletion completes"
            ));
        }
        s.objects.kinds.vs_index_released_at.remove(&name);
    }
    let Some(endpoint) = s.objects.kinds.vs_endpoints.get(&endpoint_name) else {
        return not_found(format!("Vector search endpoint {endpoint_name} not found"));
    };
    let endpoint_id = endpoint["id"].clone();
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let mut index = json!({
        "name": name, "endpoint_name": endpoint_name, "endpoint_id": endpoint_id,
        "primary_key": req["primary_key"], "index_type": index_type, "index_subtype": subtype,
        "creator": user,
        "status": {"ready": false, "indexed_row_count": 0, "message": "Index is being provisioned"},
    });
    index[spec_field] = spec;
    s.objects
        .kinds
        .vs_indexes
        .insert(name.clone(), index.clone());
    s.objects
        .kinds
        .vs_index_ready_at
        .insert(name.clone(), now + READY_MS);
    Json(index).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    match settled(&mut lock(&state), &name) {
        Some(i) => Json(i).into_response(),
        None => missing(&name),
    }
}

/// The indexes of one endpoint (`endpoint_name` is required), in name order.
pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = or_respond!(page(&q, PAGE, PAGE, "vsi"));
    let Some(endpoint) = q.get("endpoint_name").filter(|e| !e.is_empty()) else {
        return invalid_parameter("Missing required field: endpoint_name");
    };
    let s = lock(&state);
    if !s.objects.kinds.vs_endpoints.contains_key(endpoint) {
        return not_found(format!("Vector search endpoint {endpoint} not found"));
    }
    const SUMMARY: &[&str] = &[
        "name",
        "endpoint_name",
        "endpoint_id",
        "primary_key",
        "index_type",
        "index_subtype",
        "creator",
    ];
    let all: Vec<Value> = s
        .objects
        .kinds
        .vs_indexes
        .values()
        .filter(|i| i["endpoint_name"] == endpoint.as_str())
        .map(|i| {
            let fields = SUMMARY.iter().map(|f| (f.to_string(), i[*f].clone()));
            Value::Object(fields.collect())
        })
        .collect();
    Json(p.respond_by_token("vector_indexes", all)).into_response()
}

/// Starts a sync of a Delta Sync index (Direct Access indexes have nothing to sync from).
pub async fn sync(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let mut s = lock(&state);
    let Some(index) = settled(&mut s, &name) else {
        return missing(&name);
    };
    if index["index_type"] != "DELTA_SYNC" {
        return invalid_parameter(format!("Index {name} is not a Delta Sync index"));
    }
    Json(json!({})).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let k = &mut s.objects.kinds;
    if k.vs_indexes.remove(&name).is_none() {
        return missing(&name);
    }
    k.vs_index_ready_at.remove(&name);
    k.vs_index_released_at
        .insert(name.clone(), now + RELEASE_MS);
    k.grants.remove(&format!("table/{name}"));
    Json(json!({})).into_response()
}

/// How many indexes name `endpoint` (an endpoint's `num_indexes`).
pub fn count_on(s: &State, endpoint: &str) -> usize {
    s.objects
        .kinds
        .vs_indexes
        .values()
        .filter(|i| i["endpoint_name"] == endpoint)
        .count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{FROZEN, call, emulator};

    const E: &str = "/api/2.0/vector-search/endpoints";
    const I: &str = "/api/2.0/vector-search/indexes";

    fn direct(name: &str) -> serde_json::Value {
        json!({
            "name": name, "endpoint_name": "vs", "primary_key": "id", "index_type": "DIRECT_ACCESS",
            "direct_access_index_spec": {
                "schema_json": "{\"vec\":\"array<float>\",\"id\":\"integer\"}",
                "embedding_vector_columns": [{"name": "vec", "embedding_dimension": 8}],
            },
        })
    }

    #[tokio::test]
    async fn an_index_needs_its_endpoint_becomes_ready_pages_and_its_name_is_freed_late() {
        let emu = emulator(FROZEN).await;
        let (st, e) = call(&emu, "POST", I, Some(direct("main.ml.docs"))).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST")),
            "{e}"
        );
        let ep = json!({"name": "vs", "endpoint_type": "STANDARD"});
        assert_eq!(call(&emu, "POST", E, Some(ep)).await.0, 200);
        let (st, e) = call(&emu, "POST", I, Some(direct("docs"))).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE"))
        );
        let mut both = direct("main.ml.both");
        both["delta_sync_index_spec"] = json!({"source_table": "main.ml.src"});
        assert_eq!(call(&emu, "POST", I, Some(both)).await.0, 400);

        let (st, i) = call(&emu, "POST", I, Some(direct("main.ml.docs"))).await;
        assert_eq!(st, 200, "{i}");
        assert_eq!(i["status"]["ready"], false);
        assert_eq!(i["index_subtype"], "HYBRID");
        assert_eq!(
            i["direct_access_index_spec"]["schema_json"],
            "{\"id\":\"int\",\"vec\":\"array<float>\"}",
            "types and order as UC stores them"
        );
        let (st, x) = call(&emu, "POST", I, Some(direct("main.ml.docs"))).await;
        assert_eq!(
            (st, x["error_code"].as_str()),
            (409, Some("RESOURCE_ALREADY_EXISTS"))
        );
        emu.advance_clock(super::super::handlers_vector_search::PROVISION_MS.max(super::READY_MS));
        let (_, i) = call(&emu, "GET", &format!("{I}/main.ml.docs"), None).await;
        assert_eq!(i["status"]["ready"], true, "{i}");
        let (_, e) = call(&emu, "GET", &format!("{E}/vs"), None).await;
        assert_eq!(e["num_indexes"], 1);

        for n in 0..11 {
            let (st, _) = call(&emu, "POST", I, Some(direct(&format!("main.ml.i{n:02}")))).await;
            assert_eq!(st, 200);
        }
        let (_, l) = call(&emu, "GET", &format!("{I}?endpoint_name=vs"), None).await;
        assert_eq!(l["vector_indexes"].as_array().unwrap().len(), 10);
        let token = l["next_page_token"].as_str().unwrap().to_string();
        let (_, l) = call(
            &emu,
            "GET",
            &format!("{I}?endpoint_name=vs&page_token={token}"),
            None,
        )
        .await;
        assert_eq!(l["vector_indexes"].as_array().unwrap().len(), 2);
        assert!(l.get("next_page_token").is_none(), "{l}");
        assert_eq!(
            call(&emu, "GET", I, None).await.0,
            400,
            "endpoint_name is required"
        );

        let (st, _) = call(&emu, "DELETE", &format!("{I}/main.ml.docs"), None).await;
        assert_eq!(st, 200);
        assert_eq!(
            call(&emu, "GET", &format!("{I}/main.ml.docs"), None)
                .await
                .0,
            404
        );
        let (st, x) = call(&emu, "POST", I, Some(direct("main.ml.docs"))).await;
        assert_eq!(st, 400);
        assert!(
            x["message"].as_str().unwrap().contains("pending deletion"),
            "{x}"
        );
        emu.advance_clock(super::RELEASE_MS);
        assert_eq!(
            call(&emu, "POST", I, Some(direct("main.ml.docs"))).await.0,
            200
        );
        let (st, _) = call(&emu, "POST", &format!("{I}/main.ml.docs/sync"), None).await;
        assert_eq!(st, 400, "a Direct Access index has nothing to sync");
    }
}
