//! Unity Catalog external locations (`/api/2.1/unity-catalog/external-locations`): create,
//! get, update (a rename is `new_name`), delete, list with `max_results` pages. A URL must be
//! a cloud storage URL and may not overlap another location's; names are unique.

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
use super::state::State;
use super::{Shared, lock};

/// What PATCH may change besides the name.
const UPDATABLE: &[&str] = &[
    "url",
    "credential_name",
    "comment",
    "read_only",
    "owner",
    "isolation_mode",
    "enable_file_events",
    "file_event_queue",
    "encryption_details",
    "fallback",
];

const SCHEMES: &[&str] = &["s3://", "abfss://", "gs://", "r2://"];

fn missing(name: &str) -> Response {
    api_error(
        404,
        "EXTERNAL_LOCATION_DOES_NOT_EXIST",
        format!("External Location '{name}' does not exist."),
    )
}

fn check_url(s: &State, url: &str, except: &str, call: &str) -> Result<(), Response> {
    if !SCHEMES.iter().any(|p| url.starts_with(p)) || url.len() <= 6 {
        return Err(invalid_parameter(format!(
            "Invalid url '{url}': an external location needs a cloud storage URL ({}).",
            SCHEMES.join(", ")
        )));
    }
    let norm = |u: &str| format!("{}/", u.trim_end_matches('/'));
    let mine = norm(url);
    for (name, other) in &s.objects.more.external_locations {
        let theirs = norm(text(other, "url"));
        if name != except && (mine.starts_with(&theirs) || theirs.starts_with(&mine)) {
            return Err(invalid_parameter(format!(
                "Input path url '{url}' overlaps with an existing external location '{name}' within '{call}' call."
            )));
        }
    }
    Ok(())
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut v = or_respond!(json_body(&body));
    for f in ["name", "url", "credential_name"] {
        if text(&v, f).is_empty() {
            return invalid_parameter(format!("Missing required field: {f}"));
        }
    }
    let name = text(&v, "name").to_string();
    if !valid_name(&name) {
        return invalid_parameter(format!("Invalid external location name '{name}'."));
    }
    let mut s = lock(&state);
    if s.objects.more.external_locations.contains_key(&name) {
        return api_error(
            409,
            "EXTERNAL_LOCATION_ALREADY_EXISTS",
            format!("External Location '{name}' already exists."),
        );
    }
    or_respond!(check_url(&s, text(&v, "url"), "", "CreateExternalLocation"));
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = s.clock.now_ms();
    if let Some(o) = v.as_object_mut() {
        o.remove("skip_validation");
    }
    v["credential_id"] = json!(uuid::Uuid::new_v4().to_string());
    v["metastore_id"] = json!(METASTORE_ID);
    v["owner"] = json!(user);
    v["created_at"] = json!(now);
    v["created_by"] = json!(user);
    v["updated_at"] = json!(now);
    v["updated_by"] = json!(user);
    v["browse_only"] = json!(false);
    v["isolation_mode"] = json!("ISOLATION_MODE_OPEN");
    if v.get("read_only").is_none() {
        v["read_only"] = json!(false);
    }
    s.objects.more.external_locations.insert(name, v.clone());
    Json(v).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    match lock(&state).objects.more.external_locations.get(&name) {
        Some(v) => Json(v.clone()).into_response(),
        None => missing(&name),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    if !s.objects.more.external_locations.contains_key(&name) {
        return missing(&name);
    }
    if let Some(url) = req["url"].as_str() {
        or_respond!(check_url(&s, url, &name, "UpdateExternalLocation"));
    }
    if let Some(m) = req["isolation_mode"].as_str()
        && !["ISOLATION_MODE_OPEN", "ISOLATION_MODE_ISOLATED"].contains(&m)
    {
        return invalid_parameter(format!("Invalid isolation_mode '{m}'."));
    }
    let new_name = text(&req, "new_name").to_string();
    if !new_name.is_empty() && new_name != name {
        if !valid_name(&new_name) {
            return invalid_parameter(format!("Invalid external location name '{new_name}'."));
        }
        if s.objects.more.external_locations.contains_key(&new_name) {
            return api_error(
                409,
                "EXTERNAL_LOCATION_ALREADY_EXISTS",
                format!("External Location '{new_name}' already exists."),
            );
        }
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = s.clock.now_ms();
    let Some(mut v) = s.objects.more.external_locations.remove(&name) else {
        return missing(&name);
    };
    for f in UPDATABLE {
        if let Some(x) = req.get(*f).filter(|x| !x.is_null()) {
            v[*f] = x.clone();
        }
    }
    let key = if new_name.is_empty() {
        name.clone()
    } else {
        new_name
    };
    v["name"] = json!(key);
    v["updated_at"] = json!(now);
    v["updated_by"] = json!(user);
    if key != name
        && let Some(g) = s
            .objects
            .kinds
            .grants
            .remove(&format!("external_location/{name}"))
    {
        s.objects
            .kinds
            .grants
            .insert(format!("external_location/{key}"), g);
    }
    s.objects.more.external_locations.insert(key, v.clone());
    Json(v).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let mut s = lock(&state);
    match s.objects.more.external_locations.remove(&name) {
        Some(_) => {
            s.objects
                .kinds
                .grants
                .remove(&format!("external_location/{name}"));
            Json(json!({})).into_response()
        }
        None => missing(&name),
    }
}

/// `max_results` 0 or absent: all (at most 1000); tokens are offsets.
pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let max = match q.get("max_results").map(|m| m.parse::<usize>()) {
        None | Some(Ok(0)) => 1000,
        Some(Ok(n)) if n <= 1000 => n,
        _ => return invalid_parameter("max_results must be between 0 and 1000"),
    };
    let offset = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("el:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid_parameter("Invalid page token"),
        },
    };
    let s = lock(&state);
    let all: Vec<&Value> = s.objects.more.external_locations.values().collect();
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(max)
        .map(|v| (*v).clone())
        .collect();
    let mut out = json!({ "external_locations": page });
    if offset + max < all.len() {
        out["next_page_token"] = json!(format!("el:{}", offset + max));
    }
    Json(out).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const E: &str = "/api/2.1/unity-catalog/external-locations";

    #[tokio::test]
    async fn a_location_is_created_checked_for_overlap_renamed_granted_and_deleted() {
        let emu = emulator(1.0).await;
        let (st, c) = call(&emu, "POST", E, Some(json!({"name": "raw", "url": "s3://bucket/raw", "credential_name": "cred", "comment": "c"}))).await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["isolation_mode"], "ISOLATION_MODE_OPEN");
        let (st, e) = call(
            &emu,
            "POST",
            E,
            Some(json!({"name": "raw2", "url": "s3://bucket/raw/sub", "credential_name": "cred"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE")),
            "{e}"
        );
        let (st, e) = call(
            &emu,
            "POST",
            E,
            Some(json!({"name": "raw", "url": "s3://other", "credential_name": "cred"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (409, Some("EXTERNAL_LOCATION_ALREADY_EXISTS"))
        );
        let (st, e) = call(
            &emu,
            "POST",
            E,
            Some(json!({"name": "x", "url": "/tmp/x", "credential_name": "cred"})),
        )
        .await;
        assert_eq!(st, 400, "{e}");
        let (st, _) = call(
            &emu,
            "PATCH",
            "/api/2.1/unity-catalog/permissions/external_location/raw",
            Some(json!({"changes": [{"principal": "eng", "add": ["READ_FILES"]}]})),
        )
        .await;
        assert_eq!(st, 200);
        let (st, u) = call(
            &emu,
            "PATCH",
            &format!("{E}/raw"),
            Some(json!({"new_name": "landing", "comment": "d", "url": "s3://bucket/raw2"})),
        )
        .await;
        assert_eq!(
            (st, u["name"].as_str(), u["comment"].as_str()),
            (200, Some("landing"), Some("d"))
        );
        let (st, g) = call(
            &emu,
            "GET",
            "/api/2.1/unity-catalog/permissions/external_location/landing",
            None,
        )
        .await;
        assert_eq!(
            (st, g["privilege_assignments"][0]["principal"].as_str()),
            (200, Some("eng"))
        );
        let (_, l) = call(&emu, "GET", E, None).await;
        assert_eq!(l["external_locations"].as_array().unwrap().len(), 1);
        let (st, _) = call(&emu, "DELETE", &format!("{E}/landing?force=true"), None).await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{E}/landing"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("EXTERNAL_LOCATION_DOES_NOT_EXIST"))
        );
    }
}
