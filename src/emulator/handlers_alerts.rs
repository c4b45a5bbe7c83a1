//! SQL alerts (the v2 API bundles deploy, `/api/2.0/alerts`): create, get, update with an
//! update mask, list (paginated), trash (kept, `lifecycle_state: DELETED`) or purge.

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

/// What a caller may set; `update_mask: "*"` replaces all of these.
const WRITABLE: &[&str] = &[
    "display_name",
    "query_text",
    "warehouse_id",
    "evaluation",
    "schedule",
    "custom_description",
    "custom_summary",
    "custom_template_format",
    "parent_path",
    "run_as",
    "run_as_user_name",
    "parameters",
    "owner_user_name",
];
const OPERATORS: &[&str] = &[
    "EQUAL",
    "NOT_EQUAL",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
    "IS_NULL",
    "IS_NOT_NULL",
];

fn missing(id: &str) -> Response {
    not_found(format!("Alert {id} does not exist."))
}

fn check(v: &Value, warehouses: &[Value]) -> Result<(), Response> {
    for f in ["display_name", "query_text", "warehouse_id"] {
        if text(v, f).is_empty() {
            return Err(invalid_parameter(format!("Missing required field: {f}")));
        }
    }
    let wh = text(v, "warehouse_id");
    if !warehouses.iter().any(|w| w["id"] == wh) {
        return Err(invalid_parameter(format!("Warehouse {wh} does not exist.")));
    }
    let eval = &v["evaluation"];
    if text(&eval["source"], "name").is_empty() {
        return Err(invalid_parameter(
            "Missing required field: evaluation.source.name",
        ));
    }
    let op = text(eval, "comparison_operator");
    if !OPERATORS.contains(&op) {
        return Err(invalid_parameter(format!(
            "Invalid evaluation.comparison_operator '{op}'"
        )));
    }
    let sched = &v["schedule"];
    for f in ["quartz_cron_schedule", "timezone_id"] {
        if text(sched, f).is_empty() {
            return Err(invalid_parameter(format!(
                "Missing required field: schedule.{f}"
            )));
        }
    }
    Ok(())
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    or_respond!(check(&req, &s.objects.warehouses));
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = timestamp(s.clock.now_ms());
    let id = uuid::Uuid::new_v4().to_string();
    let mut v = json!({});
    for f in WRITABLE {
        if let Some(x) = req.get(*f).filter(|x| !x.is_null()) {
            v[*f] = x.clone();
        }
    }
    if text(&v, "parent_path").is_empty() {
        v["parent_path"] = json!(format!("/Users/{user}"));
    }
    v["id"] = json!(id);
    v["owner_user_name"] = json!(user);
    v["run_as_user_name"] = json!(user);
    v["effective_run_as"] = json!({"user_name": user});
    v["lifecycle_state"] = json!("ACTIVE");
    v["evaluation"]["state"] = json!("UNKNOWN");
    if v["schedule"].get("pause_status").is_none() {
        v["schedule"]["pause_status"] = json!("UNPAUSED");
    }
    v["create_time"] = json!(now);
    v["update_time"] = json!(now);
    s.objects.kinds.alerts.insert(id, v.clone());
    Json(v).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(id): Path<String>) -> Response {
    match lock(&state).objects.kinds.alerts.get(&id) {
        Some(a) => Json(a.clone()).into_response(),
        None => missing(&id),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let Some(mask) = q.get("update_mask").filter(|m| !m.is_empty()) else {
        return invalid_parameter("Missing required field: update_mask");
    };
    let fields: Vec<&str> = if mask == "*" {
        WRITABLE.to_vec()
    } else {
        mask.split(',').map(str::trim).collect()
    };
    if let Some(bad) = fields.iter().find(|f| {
        let top = f.split('.').next().unwrap_or("");
        !WRITABLE.contains(&top)
    }) {
        return invalid_parameter(format!("Field '{bad}' in update_mask cannot be updated"));
    }
    let mut s = lock(&state);
    let now = timestamp(s.clock.now_ms());
    let Some(mut v) = s.objects.kinds.alerts.get(&id).cloned() else {
        return missing(&id);
    };
    if v["lifecycle_state"] == "DELETED" {
        return invalid_parameter(format!("Alert {id} is in the trash and cannot be updated."));
    }
    for f in &fields {
        let top = f.split('.').next().unwrap_or("");
        match req.get(top).filter(|x| !x.is_null()) {
            Some(x) => v[top] = x.clone(),
            None if mask == "*"
                && !matches!(top, "parent_path" | "owner_user_name" | "run_as_user_name") =>
            {
                if let Some(m) = v.as_object_mut() {
                    m.remove(top);
                }
            }
            None => {}
        }
    }
    or_respond!(check(&v, &s.objects.warehouses));
    if v["evaluation"].get("state").is_none() {
        v["evaluation"]["state"] = json!("UNKNOWN");
    }
    v["update_time"] = json!(now);
    s.objects.kinds.alerts.insert(id, v.clone());
    Json(v).into_response()
}

/// Moves an alert to the trash, or with `purge=true` removes it for good.
pub async fn trash(
    AxState(state): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = lock(&state);
    let purge = q.get("purge").is_some_and(|p| p == "true");
    if !s.objects.kinds.alerts.contains_key(&id) {
        return missing(&id);
    }
    if purge {
        s.objects.kinds.alerts.remove(&id);
        s.objects.permissions.remove(&format!("alertsv2/{id}"));
    } else if let Some(a) = s.objects.kinds.alerts.get_mut(&id) {
        a["lifecycle_state"] = json!("DELETED");
    }
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = or_respond!(sized(&q, 100, 1000, "alerts"));
    let all: Vec<Value> = lock(&state)
        .objects
        .kinds
        .alerts
        .values()
        .filter(|a| a["lifecycle_state"] != "DELETED")
        .cloned()
        .collect();
    Json(p.respond_by_token("alerts", all)).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::kind_objects::test_client::{call, emulator};

    const A: &str = "/api/2.0/alerts";

    fn alert(name: &str) -> Value {
        json!({
            "display_name": name, "query_text": "select 1 as n", "warehouse_id": "a1b2c3d4e5f60718",
            "evaluation": {"source": {"name": "n"}, "comparison_operator": "GREATER_THAN",
                "threshold": {"value": {"double_value": 0}}},
            "schedule": {"quartz_cron_schedule": "0 0 * * * ?", "timezone_id": "UTC"},
        })
    }

    #[tokio::test]
    async fn an_alert_is_created_updated_by_mask_trashed_and_purged() {
        let emu = emulator(1.0).await;
        let (st, a) = call(&emu, "POST", A, Some(alert("a"))).await;
        assert_eq!(st, 200, "{a}");
        let id = a["id"].as_str().unwrap().to_string();
        assert_eq!(
            (
                a["lifecycle_state"].as_str(),
                a["evaluation"]["state"].as_str()
            ),
            (Some("ACTIVE"), Some("UNKNOWN"))
        );
        assert_eq!(a["parent_path"], "/Users/ci-bot@example.com");
        let mut changed = alert("b");
        changed["custom_summary"] = json!("s");
        let (st, _) = call(&emu, "PATCH", &format!("{A}/{id}"), Some(changed.clone())).await;
        assert_eq!(st, 400, "update_mask is required");
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{A}/{id}?update_mask=display_name"),
            Some(changed.clone()),
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(u["display_name"], "b");
        assert!(
            u.get("custom_summary").is_none(),
            "only masked fields change"
        );
        let (_, u) = call(
            &emu,
            "PATCH",
            &format!("{A}/{id}?update_mask=*"),
            Some(changed),
        )
        .await;
        assert_eq!(u["custom_summary"], "s");
        for _ in 0..2 {
            call(&emu, "POST", A, Some(alert("more"))).await;
        }
        let (_, p1) = call(&emu, "GET", &format!("{A}?page_size=2"), None).await;
        let token = p1["next_page_token"].as_str().unwrap();
        let (_, p2) = call(
            &emu,
            "GET",
            &format!("{A}?page_size=2&page_token={token}"),
            None,
        )
        .await;
        assert_eq!(
            p1["alerts"].as_array().unwrap().len() + p2["alerts"].as_array().unwrap().len(),
            3
        );
        let (st, _) = call(&emu, "DELETE", &format!("{A}/{id}"), None).await;
        assert_eq!(st, 200);
        let (_, t) = call(&emu, "GET", &format!("{A}/{id}"), None).await;
        assert_eq!(t["lifecycle_state"], "DELETED");
        call(&emu, "DELETE", &format!("{A}/{id}?purge=true"), None).await;
        let (st, e) = call(&emu, "GET", &format!("{A}/{id}"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST"))
        );
        let mut bad = alert("x");
        bad["warehouse_id"] = json!("nope");
        let (st, _) = call(&emu, "POST", A, Some(bad)).await;
        assert_eq!(st, 400);
    }
}
