//! Unity Catalog catalogs with the fields of their own: type (managed, Delta Sharing,
//! foreign), storage root, options, isolation mode, predictive optimization. Created
//! catalogs live with the seeded `main` in `Objects::catalogs`, so schema, volume and model
//! calls see them; get, list and delete are the shared securable handlers.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::handlers_jobs::bearer;
use super::handlers_uc as uc;
use super::kind_objects::text;
use super::{Shared, lock};

/// The metastore every catalog of the emulated workspace belongs to.
pub const METASTORE_ID: &str = "11111111-2222-3333-4444-555555555555";

fn missing(name: &str) -> Response {
    api_error(
        404,
        "CATALOG_DOES_NOT_EXIST",
        format!("Catalog '{name}' does not exist."),
    )
}

/// Unity Catalog names: no dots, spaces, slashes or control characters, at most 255.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name
            .chars()
            .any(|c| c == '.' || c == ' ' || c == '/' || c.is_control())
}

fn one_of(v: &Value, key: &str, allowed: &[&str]) -> Result<(), Response> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(other) => Err(invalid_parameter(format!(
            "Invalid value {other} for {key}: expected one of {}",
            allowed.join(", ")
        ))),
    }
}

const ISOLATION: &[&str] = &["OPEN", "ISOLATED"];
const PREDICTIVE: &[&str] = &["ENABLE", "DISABLE", "INHERIT"];

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut v = or_respond!(json_body(&body));
    let name = text(&v, "name").to_string();
    if name.is_empty() {
        return invalid_parameter("Missing required field: name");
    }
    if !valid_name(&name) {
        return invalid_parameter(format!(
            "Invalid catalog name '{name}': names cannot contain '.', ' ', '/' or control characters."
        ));
    }
    let catalog_type = if !text(&v, "share_name").is_empty() {
        if text(&v, "provider_name").is_empty() {
            return invalid_parameter("provider_name is required with share_name");
        }
        "DELTA_SHARING_CATALOG"
    } else if !text(&v, "connection_name").is_empty() {
        "FOREIGN_CATALOG"
    } else {
        "MANAGED_CATALOG"
    };
    let mut s = lock(&state);
    if s.objects.catalogs.contains_key(&name) {
        return api_error(
            409,
            "CATALOG_ALREADY_EXISTS",
            format!("Catalog '{name}' already exists"),
        );
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = s.clock.now_ms();
    let storage_root = text(&v, "storage_root").trim_end_matches('/').to_string();
    v["full_name"] = json!(name);
    v["catalog_type"] = json!(catalog_type);
    v["securable_type"] = json!("CATALOG");
    v["isolation_mode"] = json!("OPEN");
    v["enable_predictive_optimization"] = json!("INHERIT");
    v["effective_predictive_optimization_flag"] = json!({"value": "DISABLE", "inherited_from_type": "METASTORE", "inherited_from_name": "metastore"});
    v["metastore_id"] = json!(METASTORE_ID);
    v["owner"] = json!(user);
    v["created_at"] = json!(now);
    v["created_by"] = json!(user);
    v["updated_at"] = json!(now);
    v["updated_by"] = json!(user);
    v["browse_only"] = json!(false);
    if catalog_type == "MANAGED_CATALOG" {
        v["storage_location"] = json!(if storage_root.is_empty() {
            format!("s3://emulator-metastore/catalogs/{}", uuid::Uuid::new_v4())
        } else {
            format!(
                "{storage_root}/__unitystorage/catalogs/{}",
                uuid::Uuid::new_v4()
            )
        });
    }
    s.objects.catalogs.insert(name, v.clone());
    Json(v).into_response()
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let patch = or_respond!(json_body(&body));
    or_respond!(one_of(&patch, "isolation_mode", ISOLATION));
    or_respond!(one_of(&patch, "enable_predictive_optimization", PREDICTIVE));
    let new_name = text(&patch, "new_name").to_string();
    if !new_name.is_empty() && !valid_name(&new_name) {
        return invalid_parameter(format!("Invalid catalog name '{new_name}'"));
    }
    let mut s = lock(&state);
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = s.clock.now_ms();
    let Some(mut v) = s.objects.catalogs.get(&name).cloned() else {
        return missing(&name);
    };
    for f in [
        "comment",
        "owner",
        "properties",
        "options",
        "isolation_mode",
        "enable_predictive_optimization",
        "custom_max_retention_hours",
    ] {
        if let Some(x) = patch.get(f) {
            v[f] = x.clone();
        }
    }
    if let Some(flag) = patch["enable_predictive_optimization"].as_str()
        && flag != "INHERIT"
    {
        v["effective_predictive_optimization_flag"] = json!({"value": flag});
    }
    v["updated_at"] = json!(now);
    v["updated_by"] = json!(user);
    let mut key = name.clone();
    if !new_name.is_empty() && new_name != name {
        if s.objects.catalogs.contains_key(&new_name) {
            return api_error(
                409,
                "CATALOG_ALREADY_EXISTS",
                format!("Catalog '{new_name}' already exists"),
            );
        }
        s.objects.catalogs.remove(&name);
        rename_children(&mut s.objects, &name, &new_name);
        v["name"] = json!(new_name);
        v["full_name"] = json!(new_name);
        key = new_name;
    }
    s.objects.catalogs.insert(key, v.clone());
    Json(v).into_response()
}

/// A renamed catalog keeps its schemas, volumes and models under the new name.
fn rename_children(o: &mut super::objects::Objects, old: &str, new: &str) {
    let prefix = format!("{old}.");
    for map in [&mut o.schemas, &mut o.volumes, &mut o.models] {
        let moved: Vec<String> = map
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        for k in moved {
            if let Some(mut child) = map.remove(&k) {
                let full = format!("{new}.{}", &k[prefix.len()..]);
                child["catalog_name"] = json!(new);
                child["full_name"] = json!(full);
                map.insert(full, child);
            }
        }
    }
}

pub async fn get(state: AxState<Shared>, Path(name): Path<String>) -> Response {
    uc::get(state, Path(("catalogs".into(), name))).await
}

pub async fn list(state: AxState<Shared>, q: Query<HashMap<String, String>>) -> Response {
    uc::list(state, Path("catalogs".into()), q).await
}

pub async fn delete(
    state: AxState<Shared>,
    Path(name): Path<String>,
    q: Query<HashMap<String, String>>,
) -> Response {
    uc::delete(state, Path(("catalogs".into(), name)), q).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    const CATALOGS: &str = "/api/2.1/unity-catalog/catalogs";

    #[tokio::test]
    async fn a_created_catalog_holds_schemas_and_goes_only_when_empty_or_forced() {
        let emu = emulator(1.0).await;
        let (st, c) = call(
            &emu,
            "POST",
            CATALOGS,
            Some(json!({"name": "dev_ci", "comment": "ci", "storage_root": "s3://b/root/"})),
        )
        .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["catalog_type"], "MANAGED_CATALOG");
        assert_eq!(c["full_name"], "dev_ci");
        assert!(
            c["storage_location"]
                .as_str()
                .unwrap()
                .starts_with("s3://b/root/__unitystorage/")
        );
        let (st, e) = call(&emu, "POST", CATALOGS, Some(json!({"name": "dev_ci"}))).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (409, Some("CATALOG_ALREADY_EXISTS"))
        );
        // The schema handler sees the new catalog.
        let (st, _) = call(
            &emu,
            "POST",
            "/api/2.1/unity-catalog/schemas",
            Some(json!({"name": "s", "catalog_name": "dev_ci"})),
        )
        .await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "DELETE", &format!("{CATALOGS}/dev_ci"), None).await;
        assert_eq!((st, e["error_code"].as_str()), (400, Some("INVALID_STATE")));
        let (st, _) = call(
            &emu,
            "DELETE",
            &format!("{CATALOGS}/dev_ci?force=true"),
            None,
        )
        .await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{CATALOGS}/dev_ci"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("CATALOG_DOES_NOT_EXIST"))
        );
        let (st, _) = call(&emu, "GET", "/api/2.1/unity-catalog/schemas/dev_ci.s", None).await;
        assert_eq!(st, 404);
    }

    #[tokio::test]
    async fn update_patches_fields_checks_enums_and_renames_with_children() {
        let emu = emulator(1.0).await;
        call(&emu, "POST", CATALOGS, Some(json!({"name": "a"}))).await;
        call(
            &emu,
            "POST",
            "/api/2.1/unity-catalog/schemas",
            Some(json!({"name": "s", "catalog_name": "a"})),
        )
        .await;
        let (st, e) = call(
            &emu,
            "PATCH",
            &format!("{CATALOGS}/a"),
            Some(json!({"isolation_mode": "SHUT"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE"))
        );
        let (st, c) = call(
            &emu,
            "PATCH",
            &format!("{CATALOGS}/a"),
            Some(json!({"comment": "x", "isolation_mode": "ISOLATED", "new_name": "b"})),
        )
        .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(
            (c["name"].as_str(), c["comment"].as_str()),
            (Some("b"), Some("x"))
        );
        assert_eq!(c["isolation_mode"], "ISOLATED");
        let (st, s) = call(&emu, "GET", "/api/2.1/unity-catalog/schemas/b.s", None).await;
        assert_eq!((st, s["catalog_name"].as_str()), (200, Some("b")));
        let (st, _) = call(&emu, "PATCH", &format!("{CATALOGS}/a"), Some(json!({}))).await;
        assert_eq!(st, 404);
        let (st, _) = call(&emu, "POST", CATALOGS, Some(json!({"name": "has.dot"}))).await;
        assert_eq!(st, 400);
    }
}
