//! Genie spaces (`/api/2.0/genie/spaces`): create, get (the content and etag only when
//! asked), update (an etag, when sent, must be the current one; a new parent folder moves
//! the space), list (paginated by `page_size` / `page_token`, without content) and trash.
//! A trashed space reads as not found. The folder a space is put in must exist, and its
//! warehouse too. Content written at format version 1 is kept as version 2, as the service
//! migrates it, so the content read back differs from the content sent.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::lifecycle::timestamp;
use super::pagination::sized;
use super::state::State;
use super::workspace_tree::{Kind, normalize};
use super::{Shared, lock};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/2.0/genie/spaces", get(list).post(create))
        .route(
            "/api/2.0/genie/spaces/{space_id}",
            get(read).patch(update).delete(trash),
        )
}

/// The emulator's own mark on a trashed space (never shown).
const TRASHED: &str = "_trashed";

fn missing(id: &str) -> Response {
    not_found(format!("Space {id} does not exist."))
}

/// The live space with this id, or the answer the service gives for it.
fn live<'s>(s: &'s State, id: &str) -> Result<&'s Value, Response> {
    match s.objects.more.genie_spaces.get(id) {
        Some(v) if v[TRASHED] == true => Err(not_found(format!("Space {id} has been trashed."))),
        Some(v) => Ok(v),
        None => Err(missing(id)),
    }
}

/// `serialized_space` must be a JSON object in a string; version 1 is kept as version 2.
fn content(req: &Value) -> Result<Option<String>, Response> {
    let Some(raw) = req.get("serialized_space").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let parsed = raw
        .as_str()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .filter(Value::is_object);
    let Some(mut doc) = parsed else {
        return Err(invalid_parameter(
            "serialized_space must be a JSON object serialized as a string",
        ));
    };
    if doc["version"] == 1 {
        doc["version"] = json!(2);
        if doc.get("data_sources").is_none() {
            doc["data_sources"] = json!({});
        }
    }
    Ok(Some(doc.to_string()))
}

/// The folder as the service keeps it (without `/Workspace`), which must be one.
fn folder(s: &State, path: &str) -> Result<String, Response> {
    let kept = normalize(path).ok_or_else(|| {
        invalid_parameter(format!("parent_path must be an absolute path: {path}"))
    })?;
    match s.tree.get(&kept) {
        Some(o) if o.kind == Kind::Directory => Ok(kept),
        _ => Err(invalid_parameter(format!(
            "Tree node with path '{path}' does not exist"
        ))),
    }
}

fn check_warehouse(s: &State, id: &str) -> Result<(), Response> {
    if s.objects.warehouses.iter().any(|w| w["id"] == id) {
        Ok(())
    } else {
        Err(invalid_parameter(format!("Warehouse {id} does not exist.")))
    }
}

/// The space as an answer shows it: without the emulator's marks, and without its content
/// and etag unless `full`.
fn shown(v: &Value, full: bool) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.retain(|k, _| !k.starts_with('_'));
        if !full {
            m.remove("serialized_space");
            m.remove("etag");
        }
    }
    v
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let warehouse = text(&req, "warehouse_id").to_string();
    if warehouse.is_empty() {
        return invalid_parameter("Missing required field: warehouse_id");
    }
    let Some(space) = or_respond!(content(&req)) else {
        return invalid_parameter("Missing required field: serialized_space");
    };
    let mut s = lock(&state);
    or_respond!(check_warehouse(&s, &warehouse));
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let parent = match text(&req, "parent_path") {
        "" => format!("/Users/{user}"),
        p => or_respond!(folder(&s, p)),
    };
    let now = timestamp(s.clock.now_ms());
    let id = uuid::Uuid::new_v4().simple().to_string();
    let title = match text(&req, "title") {
        "" => "New Space",
        t => t,
    };
    let mut v = json!({
        "space_id": id, "title": title, "warehouse_id": warehouse, "parent_path": parent,
        "serialized_space": space, "etag": "1", "create_time": now, "update_time": now,
    });
    if !text(&req, "description").is_empty() {
        v["description"] = req["description"].clone();
    }
    s.objects.more.genie_spaces.insert(id, v.clone());
    Json(v).into_response()
}

pub async fn read(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let full = q
        .get("include_serialized_space")
        .is_some_and(|v| v == "true");
    let s = lock(&state);
    let v = or_respond!(live(&s, &id));
    Json(shown(v, full)).into_response()
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let space = or_respond!(content(&req));
    let mut s = lock(&state);
    let mut v = or_respond!(live(&s, &id)).clone();
    // A stale etag means someone changed the space since the caller read it.
    if let Some(etag) = req["etag"].as_str().filter(|e| !e.is_empty())
        && v["etag"] != etag
    {
        return api_error(
            409,
            "ABORTED",
            format!("Space {id} has been modified since it was read (etag mismatch)"),
        );
    }
    let warehouse = text(&req, "warehouse_id");
    if !warehouse.is_empty() {
        or_respond!(check_warehouse(&s, warehouse));
    }
    if !text(&req, "parent_path").is_empty() {
        v["parent_path"] = json!(or_respond!(folder(&s, text(&req, "parent_path"))));
    }
    for f in ["title", "description", "warehouse_id"] {
        if !text(&req, f).is_empty() {
            v[f] = req[f].clone();
        }
    }
    // The etag follows the content only.
    if let Some(space) = space
        && v["serialized_space"] != space.as_str()
    {
        let next = v["etag"]
            .as_str()
            .and_then(|e| e.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        v["serialized_space"] = json!(space);
        v["etag"] = json!(next.to_string());
    }
    v["update_time"] = json!(timestamp(s.clock.now_ms()));
    s.objects.more.genie_spaces.insert(id, v.clone());
    Json(v).into_response()
}

pub async fn trash(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut s = lock(&state);
    or_respond!(live(&s, &id));
    if let Some(v) = s.objects.more.genie_spaces.get_mut(&id) {
        v[TRASHED] = json!(true);
    }
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = or_respond!(sized(&q, 100, 100, "genie"));
    let all: Vec<Value> = lock(&state)
        .objects
        .more
        .genie_spaces
        .values()
        .filter(|v| v[TRASHED] != true)
        .map(|v| shown(v, false))
        .collect();
    Json(p.respond_by_token("spaces", all)).into_response()
}

/// Whether a live space has this id (for `/permissions/genie/<id>`).
pub fn exists(s: &State, id: &str) -> bool {
    live(s, id).is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const G: &str = "/api/2.0/genie/spaces";

    #[tokio::test]
    async fn a_space_is_created_read_updated_by_etag_moved_listed_in_pages_and_trashed() {
        let emu = emulator(1.0).await;
        let body = json!({"title": "Sales", "warehouse_id": "a1b2c3d4e5f60718",
            "parent_path": "/Workspace/Shared", "serialized_space": "{\"version\":1}"});
        let (st, e) = call(
            &emu,
            "POST",
            G,
            Some(json!({"title": "x", "warehouse_id": "a1b2c3d4e5f60718"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE"))
        );
        let mut elsewhere = body.clone();
        elsewhere["parent_path"] = json!("/Workspace/Shared/nope");
        let (st, e) = call(&emu, "POST", G, Some(elsewhere)).await;
        assert_eq!(st, 400);
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("Tree node with path"),
            "{e}"
        );
        let mut no_warehouse = body.clone();
        no_warehouse["warehouse_id"] = json!("nope");
        assert_eq!(call(&emu, "POST", G, Some(no_warehouse)).await.0, 400);

        let (st, d) = call(&emu, "POST", G, Some(body.clone())).await;
        assert_eq!(st, 200, "{d}");
        let id = d["space_id"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 32);
        assert_eq!(d["parent_path"], "/Shared");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(d["serialized_space"].as_str().unwrap())
                .unwrap(),
            json!({"version": 2, "data_sources": {}}),
            "version 1 is migrated"
        );
        let (_, brief) = call(&emu, "GET", &format!("{G}/{id}"), None).await;
        assert!(brief.get("serialized_space").is_none() && brief.get("etag").is_none());
        let (_, full) = call(
            &emu,
            "GET",
            &format!("{G}/{id}?include_serialized_space=true"),
            None,
        )
        .await;
        assert_eq!(full["etag"], "1");

        let (st, e) = call(
            &emu,
            "PATCH",
            &format!("{G}/{id}"),
            Some(json!({"title": "S2", "etag": "7"})),
        )
        .await;
        assert_eq!((st, e["error_code"].as_str()), (409, Some("ABORTED")));
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{G}/{id}"),
            Some(json!({"title": "S2", "parent_path": "/Users"})),
        )
        .await;
        assert_eq!(st, 200, "{u}");
        assert_eq!(
            (u["title"].as_str(), u["parent_path"].as_str()),
            (Some("S2"), Some("/Users"))
        );
        assert_eq!(u["etag"], "1", "the etag follows the content only");
        let (_, u) = call(
            &emu,
            "PATCH",
            &format!("{G}/{id}"),
            Some(json!({"serialized_space": "{\"version\":2,\"x\":1}"})),
        )
        .await;
        assert_eq!(u["etag"], "2");

        call(&emu, "POST", G, Some(body.clone())).await;
        call(&emu, "POST", G, Some(body)).await;
        let (_, page) = call(&emu, "GET", &format!("{G}?page_size=2"), None).await;
        assert_eq!(page["spaces"].as_array().unwrap().len(), 2);
        assert!(page["spaces"][0].get("serialized_space").is_none());
        let token = page["next_page_token"].as_str().unwrap().to_string();
        let (_, rest) = call(
            &emu,
            "GET",
            &format!("{G}?page_size=2&page_token={token}"),
            None,
        )
        .await;
        assert_eq!(rest["spaces"].as_array().unwrap().len(), 1);
        assert!(rest.get("next_page_token").is_none(), "{rest}");
        assert_eq!(
            call(&emu, "GET", &format!("{G}?page_token=bad"), None)
                .await
                .0,
            400
        );

        let (st, _) = call(&emu, "DELETE", &format!("{G}/{id}"), None).await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{G}/{id}"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST"))
        );
        assert_eq!(
            call(&emu, "DELETE", &format!("{G}/{id}"), None).await.0,
            404
        );
        assert_eq!(
            call(
                &emu,
                "PATCH",
                &format!("{G}/{id}"),
                Some(json!({"title": "x"}))
            )
            .await
            .0,
            404
        );
        let (_, l) = call(&emu, "GET", G, None).await;
        assert_eq!(
            l["spaces"].as_array().unwrap().len(),
            2,
            "the trashed one is not listed"
        );
    }
}
