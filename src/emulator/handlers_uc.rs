//! Unity Catalog catalogs, schemas, volumes and registered models: create, get, list
//! (paginated with `max_results` / `page_token`), update (PATCH), delete.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::handlers_jobs::bearer;
use super::state::State;
use super::{Shared, lock};

/// The kinds, their parents, and the codes the service answers with.
#[derive(Clone, Copy)]
struct Securable {
    path: &'static str,
    /// Fields naming the parent, outermost first.
    parents: &'static [&'static str],
    missing: &'static str,
    exists: &'static str,
    label: &'static str,
}

const CATALOG: Securable = Securable {
    path: "catalogs",
    parents: &[],
    missing: "CATALOG_DOES_NOT_EXIST",
    exists: "CATALOG_ALREADY_EXISTS",
    label: "Catalog",
};
const SCHEMA: Securable = Securable {
    path: "schemas",
    parents: &["catalog_name"],
    missing: "SCHEMA_DOES_NOT_EXIST",
    exists: "SCHEMA_ALREADY_EXISTS",
    label: "Schema",
};
const VOLUME: Securable = Securable {
    path: "volumes",
    parents: &["catalog_name", "schema_name"],
    missing: "RESOURCE_DOES_NOT_EXIST",
    exists: "RESOURCE_ALREADY_EXISTS",
    label: "Volume",
};
const MODEL: Securable = Securable {
    path: "models",
    parents: &["catalog_name", "schema_name"],
    missing: "RESOURCE_DOES_NOT_EXIST",
    exists: "RESOURCE_ALREADY_EXISTS",
    label: "Registered model",
};

fn securable(path: &str) -> Option<Securable> {
    [CATALOG, SCHEMA, VOLUME, MODEL]
        .into_iter()
        .find(|s| s.path == path)
}

fn store<'s>(s: &'s mut State, kind: &Securable) -> &'s mut BTreeMap<String, Value> {
    match kind.path {
        "catalogs" => &mut s.objects.catalogs,
        "schemas" => &mut s.objects.schemas,
        "volumes" => &mut s.objects.volumes,
        _ => &mut s.objects.models,
    }
}

fn unknown_kind(kind: &str) -> Response {
    super::errors::no_endpoint(format!("/api/2.1/unity-catalog/{kind}"))
}

fn missing(kind: &Securable, name: &str) -> Response {
    api_error(
        404,
        kind.missing,
        format!("{} '{name}' does not exist.", kind.label),
    )
}

pub async fn create(
    AxState(state): AxState<Shared>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(k) = securable(&kind) else {
        return unknown_kind(&kind);
    };
    let mut v = or_respond!(json_body(&body));
    let Some(name) = v["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
    else {
        return invalid_parameter("Missing required field: name");
    };
    let mut parts = Vec::new();
    for p in k.parents {
        match v[*p].as_str().filter(|s| !s.is_empty()) {
            Some(x) => parts.push(x.to_string()),
            None => return invalid_parameter(format!("Missing required field: {p}")),
        }
    }
    let mut s = lock(&state);
    // The parent must exist: catalog for a schema, schema for a volume or model.
    if !parts.is_empty() {
        let (parent_kind, parent) = if parts.len() == 1 {
            (CATALOG, parts[0].clone())
        } else {
            (SCHEMA, parts.join("."))
        };
        if !store(&mut s, &parent_kind).contains_key(&parent) {
            return missing(&parent_kind, &parent);
        }
    }
    if kind == "volumes" && !matches!(v["volume_type"].as_str(), Some("MANAGED" | "EXTERNAL")) {
        return invalid_parameter("volume_type must be MANAGED or EXTERNAL");
    }
    parts.push(name);
    let full = parts.join(".");
    if store(&mut s, &k).contains_key(&full) {
        return api_error(
            409,
            k.exists,
            format!("{} '{full}' already exists", k.label),
        );
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = s.clock.now_ms();
    let id = uuid::Uuid::new_v4().to_string();
    v["full_name"] = json!(full);
    v["owner"] = json!(user);
    v["created_at"] = json!(now);
    v["created_by"] = json!(user);
    v["updated_at"] = json!(now);
    match kind.as_str() {
        "schemas" => v["schema_id"] = json!(id),
        "volumes" => {
            v["volume_id"] = json!(id);
            v["storage_location"] = json!(format!("s3://emulator-metastore/{id}"));
        }
        _ => {}
    }
    store(&mut s, &k).insert(full, v.clone());
    Json(v).into_response()
}

pub async fn get(
    AxState(state): AxState<Shared>,
    Path((kind, name)): Path<(String, String)>,
) -> Response {
    let Some(k) = securable(&kind) else {
        return unknown_kind(&kind);
    };
    match store(&mut lock(&state), &k).get(&name) {
        Some(v) => Json(v.clone()).into_response(),
        None => missing(&k, &name),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path((kind, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(k) = securable(&kind) else {
        return unknown_kind(&kind);
    };
    let patch = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let map = store(&mut s, &k);
    let Some(mut v) = map.remove(&name) else {
        return missing(&k, &name);
    };
    for f in ["comment", "owner", "properties"] {
        if let Some(x) = patch.get(f) {
            v[f] = x.clone();
        }
    }
    let mut full = name.clone();
    if let Some(new) = patch["new_name"].as_str().filter(|n| !n.is_empty()) {
        full = match name.rsplit_once('.') {
            Some((parent, _)) => format!("{parent}.{new}"),
            None => new.to_string(),
        };
        if map.contains_key(&full) {
            map.insert(name, v);
            return api_error(
                409,
                k.exists,
                format!("{} '{full}' already exists", k.label),
            );
        }
        v["name"] = json!(new);
        v["full_name"] = json!(full);
    }
    v["updated_at"] = json!(now);
    map.insert(full, v.clone());
    Json(v).into_response()
}

pub async fn delete(
    AxState(state): AxState<Shared>,
    Path((kind, name)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(k) = securable(&kind) else {
        return unknown_kind(&kind);
    };
    let force = q.get("force").is_some_and(|f| f == "true");
    let mut s = lock(&state);
    if !store(&mut s, &k).contains_key(&name) {
        return missing(&k, &name);
    }
    // A schema with volumes or models in it goes only with force.
    let prefix = format!("{name}.");
    let children = match kind.as_str() {
        "catalogs" => s.objects.schemas.keys().any(|n| n.starts_with(&prefix)),
        "schemas" => s
            .objects
            .volumes
            .keys()
            .chain(s.objects.models.keys())
            .any(|n| n.starts_with(&prefix)),
        _ => false,
    };
    if children && !force {
        return api_error(
            400,
            "INVALID_STATE",
            format!("{} '{name}' is not empty.", k.label),
        );
    }
    store(&mut s, &k).remove(&name);
    let o = &mut s.objects;
    for m in [&mut o.schemas, &mut o.volumes, &mut o.models] {
        m.retain(|n, _| !n.starts_with(&prefix));
    }
    Json(json!({})).into_response()
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Path(kind): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(k) = securable(&kind) else {
        return unknown_kind(&kind);
    };
    let max = match q.get("max_results").map(|m| m.parse::<usize>()) {
        None | Some(Ok(0)) => 1000,
        Some(Ok(n)) if n <= 1000 => n,
        _ => return invalid_parameter("max_results must be between 0 and 1000"),
    };
    let offset: usize = q
        .get("page_token")
        .filter(|t| !t.is_empty())
        .and_then(|t| t.strip_prefix("uc:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut s = lock(&state);
    let filters: Vec<(&str, String)> = k
        .parents
        .iter()
        .filter_map(|p| q.get(*p).map(|v| (*p, v.clone())))
        .collect();
    if filters.len() < k.parents.len() {
        return invalid_parameter(format!(
            "Missing required field: {}",
            k.parents[filters.len()]
        ));
    }
    let all: Vec<Value> = store(&mut s, &k)
        .values()
        .filter(|v| filters.iter().all(|(f, want)| v[*f] == want.as_str()))
        .cloned()
        .collect();
    let page: Vec<Value> = all.iter().skip(offset).take(max).cloned().collect();
    let mut resp = json!({ kind.as_str(): page });
    if offset + max < all.len() {
        resp["next_page_token"] = json!(format!("uc:{}", offset + max));
    }
    Json(resp).into_response()
}
