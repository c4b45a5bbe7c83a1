//! Legacy SQL alerts (`/api/2.0/sql/alerts`, the API before alerts v2): create, get, update
//! with an update mask, list (paginated, `results`), trash (read back as TRASHED).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::lifecycle::timestamp;
use super::pagination::sized;
use super::{Shared, lock};

const WRITABLE: &[&str] = &[
    "display_name",
    "query_id",
    "condition",
    "custom_body",
    "custom_subject",
    "notify_on_ok",
    "seconds_to_retrigger",
    "owner_user_name",
    "parent_path",
];
const OPS: &[&str] = &[
    "EQUAL",
    "NOT_EQUAL",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
    "IS_NULL",
];

fn missing(id: &str) -> Response {
    not_found(format!("Alert {id} does not exist."))
}

fn check(a: &Value) -> Result<(), Response> {
    for f in ["display_name", "query_id"] {
        if text(a, f).is_empty() {
            return Err(invalid_parameter(format!(
                "Missing required field: alert.{f}"
            )));
        }
    }
    let c = &a["condition"];
    if !OPS.contains(&text(c, "op")) {
        return Err(invalid_parameter(format!(
            "Invalid alert.condition.op '{}'",
            text(c, "op")
        )));
    }
    if text(&c["operand"]["column"], "name").is_empty() {
        return Err(invalid_parameter(
            "Missing required field: alert.condition.operand.column.name",
        ));
    }
    Ok(())
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let given = &req["alert"];
    if !given.is_object() {
        return invalid_parameter("Missing required field: alert");
    }
    or_respond!(check(given));
    let mut s = lock(&state);
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = timestamp(s.clock.now_ms());
    let id = uuid::Uuid::new_v4().to_string();
    let mut a = json!({});
    for f in WRITABLE {
        if let Some(x) = given.get(*f).filter(|x| !x.is_null()) {
            a[*f] = x.clone();
        }
    }
    if text(&a, "parent_path").is_empty() {
        a["parent_path"] = json!(format!("/Users/{user}"));
    }
    a["id"] = json!(id);
    a["owner_user_name"] = json!(user);
    a["state"] = json!("UNKNOWN");
    a["lifecycle_state"] = json!("ACTIVE");
    a["create_time"] = json!(now);
    a["update_time"] = json!(now);
    s.objects.kinds.sql_alerts.insert(id, a.clone());
    Json(a).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    match lock(&state).objects.kinds.sql_alerts.get(&id) {
        Some(a) => Json(a.clone()).into_response(),
        None => missing(&id),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mask = text(&req, "update_mask").to_string();
    if mask.is_empty() {
        return invalid_parameter("Missing required field: update_mask");
    }
    let fields: Vec<&str> = if mask == "*" {
        WRITABLE.to_vec()
    } else {
        mask.split(',').map(str::trim).collect()
    };
    if let Some(bad) = fields.iter().find(|f| !WRITABLE.contains(f)) {
        return invalid_parameter(format!("Field '{bad}' in update_mask cannot be updated"));
    }
    let mut s = lock(&state);
    let now = timestamp(s.clock.now_ms());
    let Some(mut a) = s.objects.kinds.sql_alerts.get(&id).cloned() else {
        return missing(&id);
    };
    if a["lifecycle_state"] == "TRASHED" {
        return invalid_parameter(format!("Alert {id} is in the trash and cannot be updated."));
    }
    for f in fields {
        if let Some(x) = req["alert"].get(f).filter(|x| !x.is_null()) {
            a[f] = x.clone();
        }
    }
    or_respond!(check(&a));
    a["update_time"] = json!(now);
    s.objects.kinds.sql_alerts.insert(id, a.clone());
    Json(a).into_response()
}

pub async fn trash(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut s = lock(&state);
    let Some(a) = s.objects.kinds.sql_alerts.get_mut(&id) else {
        return missing(&id);
    };
    a["lifecycle_state"] = json!("TRASHED");
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = or_respond!(sized(&q, 20, 100, "sqlalerts"));
    let all: Vec<Value> = lock(&state)
        .objects
        .kinds
        .sql_alerts
        .values()
        .filter(|a| a["lifecycle_state"] == "ACTIVE")
        .cloned()
        .collect();
    Json(p.respond_by_token("results", all)).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const A: &str = "/api/2.0/sql/alerts";

    #[tokio::test]
    async fn a_legacy_alert_is_created_updated_listed_and_trashed() {
        let emu = emulator(1.0).await;
        let alert = json!({"display_name": "a", "query_id": "q1",
            "condition": {"op": "GREATER_THAN", "operand": {"column": {"name": "n"}},
                "threshold": {"value": {"double_value": 1}}}});
        let (st, a) = call(&emu, "POST", A, Some(json!({"alert": alert}))).await;
        assert_eq!(st, 200, "{a}");
        let id = a["id"].as_str().unwrap().to_string();
        assert_eq!(
            (a["state"].as_str(), a["lifecycle_state"].as_str()),
            (Some("UNKNOWN"), Some("ACTIVE"))
        );
        let (st, _) = call(
            &emu,
            "POST",
            A,
            Some(json!({"alert": {"display_name": "x"}})),
        )
        .await;
        assert_eq!(st, 400);
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{A}/{id}"),
            Some(json!({"update_mask": "display_name", "alert": {"display_name": "b"}})),
        )
        .await;
        assert_eq!((st, u["display_name"].as_str()), (200, Some("b")));
        let (_, l) = call(&emu, "GET", A, None).await;
        assert_eq!(l["results"][0]["id"], id.as_str());
        call(&emu, "DELETE", &format!("{A}/{id}"), None).await;
        let (_, t) = call(&emu, "GET", &format!("{A}/{id}"), None).await;
        assert_eq!(t["lifecycle_state"], "TRASHED");
        let (_, l) = call(&emu, "GET", A, None).await;
        assert!(l.get("results").is_none());
    }
}
