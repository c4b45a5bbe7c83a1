//! Lakeview dashboards: create, get, update (with an etag check), list (paginated, trashed
//! ones on request), trash, and the published revision (publish, get, unpublish). A
//! dashboard lives at `<parent_path>/<display_name>.lvdash.json`; two active dashboards
//! cannot share a path.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::lifecycle::timestamp;
use super::pagination::sized;
use super::state::State;
use super::{Shared, lock};

fn missing(id: &str) -> Response {
    not_found(format!("Unable to find dashboard [{id}]"))
}

fn path_of(parent: &str, name: &str) -> String {
    format!("{}/{name}.lvdash.json", parent.trim_end_matches('/'))
}

/// `serialized_dashboard` must be a JSON object in a string.
fn check_serialized(v: &Value) -> Result<(), Response> {
    match v.get("serialized_dashboard") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if serde_json::from_str::<Value>(s).is_ok_and(|d| d.is_object()) => {
            Ok(())
        }
        Some(_) => Err(invalid_parameter(
            "serialized_dashboard must be a JSON object serialized as a string",
        )),
    }
}

fn path_taken(s: &State, path: &str, except: &str) -> Option<Response> {
    s.objects
        .kinds
        .dashboards
        .values()
        .any(|d| {
            d["path"] == path && d["lifecycle_state"] == "ACTIVE" && d["dashboard_id"] != except
        })
        .then(|| {
            api_error(
                409,
                "RESOURCE_ALREADY_EXISTS",
                format!(
                    "Node named '{}' already exists",
                    path.rsplit('/').next().unwrap_or(path)
                ),
            )
        })
}

fn new_etag(s: &mut State) -> String {
    s.next_id().to_string()
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let name = text(&req, "display_name").to_string();
    if name.is_empty() {
        return invalid_parameter("Missing required field: display_name");
    }
    or_respond!(check_serialized(&req));
    let mut s = lock(&state);
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let parent = match text(&req, "parent_path") {
        "" => format!("/Users/{user}"),
        p => p.trim_end_matches('/').to_string(),
    };
    let path = path_of(&parent, &name);
    if let Some(conflict) = path_taken(&s, &path, "") {
        return conflict;
    }
    let now = timestamp(s.clock.now_ms());
    let id = uuid::Uuid::new_v4().simple().to_string();
    let etag = new_etag(&mut s);
    let serialized = match text(&req, "serialized_dashboard") {
        "" => {
            r#"{"pages":[{"name":"page1","displayName":"New Page","pageType":"PAGE_TYPE_CANVAS"}]}"#
                .to_string()
        }
        d => d.to_string(),
    };
    let mut v = json!({
        "dashboard_id": id, "display_name": name, "parent_path": parent, "path": path,
        "serialized_dashboard": serialized, "etag": etag, "lifecycle_state": "ACTIVE",
        "create_time": now, "update_time": now,
    });
    if !text(&req, "warehouse_id").is_empty() {
        v["warehouse_id"] = req["warehouse_id"].clone();
    }
    s.objects.kinds.dashboards.insert(id, v.clone());
    Json(v).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    match lock(&state).objects.kinds.dashboards.get(&id) {
        Some(d) => Json(d.clone()).into_response(),
        None => missing(&id),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    or_respond!(check_serialized(&req));
    let mut s = lock(&state);
    let Some(mut v) = s.objects.kinds.dashboards.get(&id).cloned() else {
        return missing(&id);
    };
    if v["lifecycle_state"] != "ACTIVE" {
        return invalid_parameter(format!("Dashboard [{id}] is trashed and cannot be updated"));
    }
    // A stale etag means someone else changed the dashboard since the caller read it.
    if let Some(etag) = req["etag"].as_str().filter(|e| !e.is_empty())
        && v["etag"] != etag
    {
        return api_error(
            409,
            "ABORTED",
            format!("The dashboard [{id}] has been modified since it was read (etag mismatch)"),
        );
    }
    for f in ["display_name", "serialized_dashboard", "warehouse_id"] {
        if let Some(x) = req
            .get(f)
            .filter(|x| x.as_str().is_some_and(|t| !t.is_empty()))
        {
            v[f] = x.clone();
        }
    }
    let path = path_of(text(&v, "parent_path"), text(&v, "display_name"));
    if let Some(conflict) = path_taken(&s, &path, &id) {
        return conflict;
    }
    v["path"] = json!(path);
    v["etag"] = json!(new_etag(&mut s));
    v["update_time"] = json!(timestamp(s.clock.now_ms()));
    s.objects.kinds.dashboards.insert(id, v.clone());
    Json(v).into_response()
}

pub async fn trash(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut s = lock(&state);
    let Some(d) = s.objects.kinds.dashboards.get_mut(&id) else {
        return missing(&id);
    };
    d["lifecycle_state"] = json!("TRASHED");
    s.objects.kinds.published.remove(&id);
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = or_respond!(sized(&q, 100, 1000, "dash"));
    let trashed = q.get("show_trashed").is_some_and(|t| t == "true");
    let basic = q.get("view").is_some_and(|v| v == "DASHBOARD_VIEW_BASIC");
    let all: Vec<Value> = lock(&state)
        .objects
        .kinds
        .dashboards
        .values()
        .filter(|d| trashed || d["lifecycle_state"] == "ACTIVE")
        .map(|d| {
            let mut d = d.clone();
            if basic && let Some(m) = d.as_object_mut() {
                m.remove("serialized_dashboard");
            }
            d
        })
        .collect();
    Json(p.respond_by_token("dashboards", all)).into_response()
}

pub async fn publish(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let Some(d) = s.objects.kinds.dashboards.get(&id).cloned() else {
        return missing(&id);
    };
    if d["lifecycle_state"] != "ACTIVE" {
        return invalid_parameter(format!(
            "Dashboard [{id}] is trashed and cannot be published"
        ));
    }
    let warehouse = match text(&req, "warehouse_id") {
        "" => text(&d, "warehouse_id").to_string(),
        w => w.to_string(),
    };
    if warehouse.is_empty() {
        return invalid_parameter("A warehouse_id is required to publish a dashboard");
    }
    if !s
        .objects
        .warehouses
        .iter()
        .any(|w| w["id"] == warehouse.as_str())
    {
        return invalid_parameter(format!("Warehouse {warehouse} does not exist."));
    }
    let p = json!({
        "display_name": d["display_name"], "warehouse_id": warehouse,
        "embed_credentials": req["embed_credentials"].as_bool().unwrap_or(true),
        "revision_create_time": timestamp(s.clock.now_ms()),
    });
    s.objects.kinds.published.insert(id, p.clone());
    Json(p).into_response()
}

pub async fn get_published(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let s = lock(&state);
    if !s.objects.kinds.dashboards.contains_key(&id) {
        return missing(&id);
    }
    match s.objects.kinds.published.get(&id) {
        Some(p) => Json(p.clone()).into_response(),
        None => not_found(format!("Dashboard [{id}] is not published")),
    }
}

pub async fn unpublish(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut s = lock(&state);
    if !s.objects.kinds.dashboards.contains_key(&id) {
        return missing(&id);
    }
    match s.objects.kinds.published.remove(&id) {
        Some(_) => Json(json!({})).into_response(),
        None => not_found(format!("Dashboard [{id}] is not published")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const D: &str = "/api/2.0/lakeview/dashboards";

    #[tokio::test]
    async fn a_dashboard_is_created_updated_by_etag_published_and_trashed() {
        let emu = emulator(1.0).await;
        let body = json!({"display_name": "Sales", "parent_path": "/Shared/ci/", "warehouse_id": "a1b2c3d4e5f60718",
            "serialized_dashboard": "{\"pages\":[]}"});
        let (st, d) = call(&emu, "POST", D, Some(body.clone())).await;
        assert_eq!(st, 200, "{d}");
        let id = d["dashboard_id"].as_str().unwrap().to_string();
        assert_eq!(d["path"], "/Shared/ci/Sales.lvdash.json");
        let (st, e) = call(&emu, "POST", D, Some(body)).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (409, Some("RESOURCE_ALREADY_EXISTS"))
        );
        let (st, _) = call(
            &emu,
            "POST",
            D,
            Some(json!({"display_name": "x", "serialized_dashboard": "not json"})),
        )
        .await;
        assert_eq!(st, 400);
        let (st, e) = call(
            &emu,
            "PATCH",
            &format!("{D}/{id}"),
            Some(json!({"display_name": "S2", "etag": "stale"})),
        )
        .await;
        assert_eq!((st, e["error_code"].as_str()), (409, Some("ABORTED")));
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{D}/{id}"),
            Some(json!({"display_name": "S2", "etag": d["etag"]})),
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(u["path"], "/Shared/ci/S2.lvdash.json");
        assert_ne!(u["etag"], d["etag"]);
        let (st, _) = call(&emu, "GET", &format!("{D}/{id}/published"), None).await;
        assert_eq!(st, 404);
        let (st, p) = call(
            &emu,
            "POST",
            &format!("{D}/{id}/published"),
            Some(json!({"embed_credentials": false})),
        )
        .await;
        assert_eq!(st, 200, "{p}");
        assert_eq!(
            (p["embed_credentials"].as_bool(), p["warehouse_id"].as_str()),
            (Some(false), Some("a1b2c3d4e5f60718"))
        );
        let (_, p) = call(&emu, "GET", &format!("{D}/{id}/published"), None).await;
        assert_eq!(p["display_name"], "S2");
        let (st, _) = call(&emu, "DELETE", &format!("{D}/{id}"), None).await;
        assert_eq!(st, 200);
        let (_, t) = call(&emu, "GET", &format!("{D}/{id}"), None).await;
        assert_eq!(t["lifecycle_state"], "TRASHED");
        let (_, l) = call(&emu, "GET", D, None).await;
        assert!(l.get("dashboards").is_none(), "{l}");
        let (_, l) = call(
            &emu,
            "GET",
            &format!("{D}?show_trashed=true&view=DASHBOARD_VIEW_BASIC"),
            None,
        )
        .await;
        assert!(l["dashboards"][0].get("serialized_dashboard").is_none());
        let (st, _) = call(&emu, "GET", &format!("{D}/{id}/published"), None).await;
        assert_eq!(st, 404);
    }
}
