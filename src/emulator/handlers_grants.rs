//! Unity Catalog grants (`/api/2.1/unity-catalog/permissions/{type}/{full_name}`): read the
//! privilege assignments of a catalog, schema, volume or registered model, and change them
//! with `changes: [{principal, add, remove}]`.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::state::State;
use super::{Shared, lock};

const PRIVILEGES: &[&str] = &[
    "ALL_PRIVILEGES",
    "APPLY_TAG",
    "BROWSE",
    "CREATE_EXTERNAL_TABLE",
    "CREATE_EXTERNAL_VOLUME",
    "CREATE_FUNCTION",
    "CREATE_MANAGED_STORAGE",
    "CREATE_MATERIALIZED_VIEW",
    "CREATE_MODEL",
    "CREATE_SCHEMA",
    "CREATE_TABLE",
    "CREATE_VOLUME",
    "EXECUTE",
    "EXTERNAL_USE_SCHEMA",
    "MANAGE",
    "MODIFY",
    "READ_FILES",
    "READ_VOLUME",
    "REFRESH",
    "SELECT",
    "USE_CATALOG",
    "USE_SCHEMA",
    "WRITE_FILES",
    "WRITE_VOLUME",
];

/// Whether the securable exists; Err for a type this emulator does not hold.
fn securable_exists(s: &State, kind: &str, name: &str) -> Result<bool, Response> {
    let o = &s.objects;
    Ok(match kind.to_ascii_lowercase().as_str() {
        "catalog" => o.catalogs.contains_key(name),
        "schema" => o.schemas.contains_key(name),
        "volume" => o.volumes.contains_key(name),
        "function" | "registered_model" => o.models.contains_key(name),
        "external_location" => o.more.external_locations.contains_key(name),
        // Tables this emulator holds: vector search indexes are UC tables.
        "table" => o.kinds.vs_indexes.contains_key(name),
        other => {
            return Err(invalid_parameter(format!(
                "Unsupported securable type {other}"
            )));
        }
    })
}

fn assignments(map: Option<&BTreeMap<String, Vec<String>>>, principal: Option<&String>) -> Value {
    let list: Vec<Value> = map
        .into_iter()
        .flatten()
        .filter(|(p, privs)| !privs.is_empty() && principal.is_none_or(|w| w == *p))
        .map(|(p, privs)| json!({"principal": p, "privileges": privs}))
        .collect();
    if list.is_empty() {
        json!({})
    } else {
        json!({ "privilege_assignments": list })
    }
}

fn missing(kind: &str, name: &str) -> Response {
    api_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        format!("{kind} '{name}' does not exist."),
    )
}

pub async fn get(
    AxState(state): AxState<Shared>,
    Path((kind, name)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    if !or_respond!(securable_exists(&s, &kind, &name)) {
        return missing(&kind, &name);
    }
    let key = format!("{}/{name}", kind.to_ascii_lowercase());
    Json(assignments(
        s.objects.kinds.grants.get(&key),
        q.get("principal"),
    ))
    .into_response()
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path((kind, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let Some(changes) = req["changes"].as_array() else {
        return invalid_parameter("Missing required field: changes");
    };
    let mut parsed = Vec::new();
    for c in changes {
        let Some(principal) = c["principal"].as_str().filter(|p| !p.is_empty()) else {
            return invalid_parameter("Every change needs a principal");
        };
        let list = |k: &str| -> Result<Vec<String>, Response> {
            c[k].as_array()
                .into_iter()
                .flatten()
                .map(|p| match p.as_str() {
                    Some(x) if PRIVILEGES.contains(&x) => Ok(x.to_string()),
                    _ => Err(invalid_parameter(format!(
                        "Privilege {p} is not applicable to this entity"
                    ))),
                })
                .collect()
        };
        parsed.push((
            principal.to_string(),
            or_respond!(list("add")),
            or_respond!(list("remove")),
        ));
    }
    let mut s = lock(&state);
    if !or_respond!(securable_exists(&s, &kind, &name)) {
        return missing(&kind, &name);
    }
    let key = format!("{}/{name}", kind.to_ascii_lowercase());
    let grants = s.objects.kinds.grants.entry(key.clone()).or_default();
    for (principal, add, remove) in parsed {
        let privs = grants.entry(principal).or_default();
        for p in add {
            if !privs.contains(&p) {
                privs.push(p);
            }
        }
        privs.retain(|p| !remove.contains(p));
        privs.sort();
    }
    grants.retain(|_, privs| !privs.is_empty());
    if req["omit_permissions_in_response"].as_bool() == Some(true) {
        return Json(json!({})).into_response();
    }
    Json(assignments(s.objects.kinds.grants.get(&key), None)).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{call, emulator};

    #[tokio::test]
    async fn grants_are_added_removed_and_read_per_principal() {
        let emu = emulator(1.0).await;
        let path = "/api/2.1/unity-catalog/permissions/catalog/main";
        let (st, g) = call(&emu, "GET", path, None).await;
        assert_eq!((st, g), (200, json!({})));
        let (st, g) = call(
            &emu,
            "PATCH",
            path,
            Some(json!({"changes": [
                {"principal": "data-eng", "add": ["USE_CATALOG", "CREATE_SCHEMA"]},
                {"principal": "analysts", "add": ["USE_CATALOG"]},
            ]})),
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(g["privilege_assignments"].as_array().unwrap().len(), 2);
        call(
            &emu,
            "PATCH",
            path,
            Some(json!({"changes": [{"principal": "analysts", "remove": ["USE_CATALOG"]}]})),
        )
        .await;
        let (_, g) = call(&emu, "GET", path, None).await;
        assert_eq!(
            g["privilege_assignments"],
            json!([{"principal": "data-eng", "privileges": ["CREATE_SCHEMA", "USE_CATALOG"]}])
        );
        let (st, _) = call(
            &emu,
            "PATCH",
            path,
            Some(json!({"changes": [{"principal": "x", "add": ["FLY"]}]})),
        )
        .await;
        assert_eq!(st, 400);
        let (st, _) = call(
            &emu,
            "GET",
            "/api/2.1/unity-catalog/permissions/catalog/nope",
            None,
        )
        .await;
        assert_eq!(st, 404);
    }
}
