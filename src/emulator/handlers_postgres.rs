//! The Lakebase Postgres API (`/api/2.0/postgres/...`): projects, branches, endpoints,
//! databases, roles, catalogs and synced tables, named by resource paths. A create, update
//! or delete answers with a long-running operation that is done a few emulated seconds
//! later (`GET <name>/operations/<id>`). A parent must exist (404); a new project gets a
//! `production` branch and each new branch a `primary` read-write endpoint, which can only
//! go with their parent (400 marked MANAGED_BY_PARENT); deleting an object deletes what is
//! under it; a protected branch (or its project) refuses a delete; an endpoint refuses one
//! (409) while it reconciles; a project named with display name `FAIL_OPERATION` makes its
//! create operation fail. Lists page with `page_size` / `page_token`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, no_endpoint, or_respond};
use super::handlers_jobs::bearer;
use super::lifecycle::timestamp;
use super::pagination::sized;
use super::postgres_objects::{
    OPERATION_MS, PgKind, RECONCILE_MS, deleted_view, kind, kind_of, operation_view,
};
use super::postgres_views::{check, parent_exists, view};
use super::state::State;
use super::{Shared, lock};

/// 404 as the service words it for a missing object of a kind.
pub fn missing(noun: &str, name: &str) -> Response {
    api_error(404, "NOT_FOUND", format!("{noun} not found: {name}"))
}

/// The operation as JSON.
fn started(s: &State, op: &str) -> Response {
    let v = s.objects.postgres.operations[op].clone();
    Json(operation_view(s, &v)).into_response()
}

pub async fn dispatch(
    AxState(state): AxState<Shared>,
    method: Method,
    Path(path): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = path.trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    let here = format!("/api/2.0/postgres/{path}");
    if let Some(i) = parts.iter().position(|p| *p == "operations")
        && i + 2 == parts.len()
    {
        if method != Method::GET {
            return no_endpoint(here);
        }
        let s = lock(&state);
        return match s.objects.postgres.operations.get(path) {
            Some(op) => Json(operation_view(&s, op)).into_response(),
            None => missing("operation", path),
        };
    }
    if !parts.len().is_multiple_of(2) {
        let Some(k) = kind(parts[parts.len() - 1]) else {
            return no_endpoint(here);
        };
        let parent = parts[..parts.len() - 1].join("/");
        let parent_kind = kind_of(&parent).map(|k| k.collection);
        if parent_kind != k.parent {
            return no_endpoint(here);
        }
        return match method {
            Method::POST => {
                let user = lock(&state).principal(bearer(&headers)).unwrap_or_default();
                super::handlers_postgres_create::create(&state, k, &parent, &q, &body, &user)
            }
            // Catalogs and synced tables have no list call.
            Method::GET if !k.updatable.is_empty() => list(&state, k, &parent, &q),
            _ => no_endpoint(here),
        };
    }
    let Some(k) = kind_of(path) else {
        return no_endpoint(here);
    };
    match method {
        Method::GET => {
            let s = lock(&state);
            match s.objects.postgres.objects.get(path) {
                Some(v) => Json(view(&s, path, v)).into_response(),
                None => missing(k.noun, path),
            }
        }
        Method::PATCH if !k.updatable.is_empty() => update(&state, k, path, &q, &body),
        Method::DELETE => delete(&state, k, path, &q),
        _ => no_endpoint(here),
    }
}

fn list(state: &Shared, k: &PgKind, parent: &str, q: &HashMap<String, String>) -> Response {
    let page = or_respond!(sized(q, 50, 100, "pg"));
    let s = lock(state);
    if !parent.is_empty() && !s.objects.postgres.objects.contains_key(parent) {
        let noun = kind_of(parent).map_or("parent", |p| p.noun);
        return missing(noun, parent);
    }
    let of_kind = |name: &str| {
        kind_of(name).is_some_and(|x| x.collection == k.collection)
            && super::postgres_objects::parent_of(name) == parent
    };
    let mut items: Vec<Value> = s
        .objects
        .postgres
        .objects
        .iter()
        .filter(|(n, _)| of_kind(n))
        .map(|(n, v)| view(&s, n, v))
        .collect();
    if q.get("show_deleted").is_some_and(|v| v == "true") {
        items.extend(
            s.objects
                .postgres
                .deleted
                .iter()
                .filter(|(n, _)| of_kind(n))
                .map(|(n, v)| deleted_view(&s, n, v)),
        );
    }
    Json(page.respond_by_token(k.collection, items)).into_response()
}

/// Sets (or, when `from` lacks it, removes) the dotted `path` of `into`.
fn set_path(into: &mut Value, from: &Value, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let found = parts.iter().try_fold(from, |v, p| v.get(*p));
    let mut at = into;
    for p in &parts[..parts.len() - 1] {
        if !at[*p].is_object() {
            at[*p] = json!({});
        }
        at = &mut at[*p];
    }
    let last = parts[parts.len() - 1];
    match (found, at.as_object_mut()) {
        (Some(v), Some(o)) => {
            o.insert(last.to_string(), v.clone());
        }
        (None, Some(o)) => {
            o.remove(last);
        }
        _ => {}
    }
}

fn update(
    state: &Shared,
    k: &PgKind,
    name: &str,
    q: &HashMap<String, String>,
    body: &[u8],
) -> Response {
    let req = or_respond!(json_body(body));
    let mask: Vec<&str> = q
        .get("update_mask")
        .map(|m| {
            m.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if mask.is_empty() {
        return invalid_parameter("update_mask is required");
    }
    for p in &mask {
        let field = p
            .strip_prefix("spec.")
            .map(|f| f.split('.').next().unwrap_or(""));
        if !field.is_some_and(|f| k.updatable.contains(&f)) {
            return invalid_parameter(format!(
                "Unknown field path in update_mask: '{p}' (a {} updates {})",
                k.noun,
                k.updatable
                    .iter()
                    .map(|f| format!("spec.{f}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut s = lock(state);
    let now = s.clock.now_ms();
    let Some(stored) = s.objects.postgres.objects.get(name) else {
        return missing(k.noun, name);
    };
    let mut spec = stored["_spec"].clone();
    for p in &mask {
        set_path(&mut spec, &req["spec"], &p["spec.".len()..]);
    }
    or_respond!(check(name, &spec));
    if k.collection == "databases"
        && let Some(role) = spec["role"].as_str()
        && (!s.objects.postgres.objects.contains_key(role)
            || super::postgres_objects::parent_of(role) != super::postgres_objects::parent_of(name))
    {
        return missing("role", role);
    }
    let v = s
        .objects
        .postgres
        .objects
        .get_mut(name)
        .expect("read above");
    v["_spec"] = spec;
    v["update_time"] = json!(timestamp(now));
    if k.collection == "endpoints" {
        v["_settled_at"] = json!(now + OPERATION_MS + RECONCILE_MS);
    }
    let op = s
        .objects
        .postgres
        .start(now, OPERATION_MS, k, Some(name), name);
    started(&s, &op)
}

fn delete(state: &Shared, k: &PgKind, name: &str, q: &HashMap<String, String>) -> Response {
    let mut s = lock(state);
    let now = s.clock.now_ms();
    let pg = &s.objects.postgres;
    let Some(v) = pg.objects.get(name) else {
        return missing(k.noun, name);
    };
    if v["_implicit"] == true {
        return managed_by_parent(k, name);
    }
    let under = format!("{name}/");
    let protected = pg.objects.iter().find(|(n, o)| {
        (n.as_str() == name || n.starts_with(&under))
            && kind_of(n).is_some_and(|x| x.collection == "branches")
            && o["_spec"]["is_protected"] == true
    });
    if let Some((branch, _)) = protected {
        return api_error(
            400,
            "BAD_REQUEST",
            format!("{branch} is protected: unprotect it before deleting {name}"),
        );
    }
    if k.collection == "endpoints" && now < v["_settled_at"].as_u64().unwrap_or(0) {
        return api_error(
            409,
            "RESOURCE_CONFLICT",
            format!("Endpoint reconciliation still in progress for {name}; try again shortly"),
        );
    }
    let purge = q.get("purge").is_some_and(|p| p == "true");
    s.objects.postgres.remove_tree(name, now, purge);
    if k.collection == "projects" {
        s.objects
            .permissions
            .remove(&format!("database-projects/{}", &name["projects/".len()..]));
    }
    let op = s.objects.postgres.start(now, OPERATION_MS, k, None, name);
    started(&s, &op)
}

/// 400 for an object the service made with its parent and deletes only with it; the
/// details carry the marker declarative tools read to leave it to the parent.
fn managed_by_parent(k: &PgKind, name: &str) -> Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        Json(json!({
            "error_code": "BAD_REQUEST",
            "message": format!("The {} {name} was made with its parent and is deleted only with it.", k.noun),
            "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "domain": "databricks.com",
                "reason": "RESOURCE_CONFLICT",
                "metadata": {"declarative_context": "MANAGED_BY_PARENT"},
            }],
        })),
    )
        .into_response()
}

/// Whether a parent chain is there, for the create module.
pub fn has_parent(s: &State, name: &str) -> bool {
    parent_exists(s, name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::EmulatorHandle;
    use super::super::kind_objects::test_client::{FROZEN, call, emulator};

    const P: &str = "/api/2.0/postgres";

    /// Lets every pending operation, reconciliation and sync finish: none takes a minute.
    fn settle(emu: &EmulatorHandle) {
        emu.advance_clock(60_000);
    }

    #[tokio::test]
    async fn an_operation_is_pending_until_its_time_then_holds_the_object() {
        let emu = emulator(FROZEN).await;
        let (st, op) = call(
            &emu,
            "POST",
            &format!("{P}/projects?project_id=shop"),
            Some(json!({"spec": {"display_name": "Shop", "pg_version": 16}})),
        )
        .await;
        assert_eq!(st, 200, "{op}");
        assert_eq!(op["done"], false, "{op}");
        let name = op["name"].as_str().unwrap();
        assert!(name.starts_with("projects/shop/operations/"), "{name}");
        let (_, again) = call(&emu, "GET", &format!("{P}/{name}"), None).await;
        assert_eq!(again["done"], false);
        assert!(again.get("response").is_none());

        let other = emulator(FROZEN).await;
        let (_, op) = call(
            &other,
            "POST",
            &format!("{P}/projects?project_id=shop"),
            Some(json!({"spec": {"display_name": "Shop"}})),
        )
        .await;
        settle(&other);
        let (_, done) = call(
            &other,
            "GET",
            &format!("{P}/{}", op["name"].as_str().unwrap()),
            None,
        )
        .await;
        assert_eq!(done["done"], true, "{done}");
        assert_eq!(done["response"]["name"], "projects/shop");
        assert_eq!(done["response"]["status"]["display_name"], "Shop");
        assert!(
            done["response"].get("spec").is_none(),
            "GET shows status, not spec"
        );
    }

    #[tokio::test]
    async fn parents_must_exist_ids_are_unique_and_the_defaults_go_with_their_parent() {
        let emu = emulator(FROZEN).await;
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{P}/projects/nope/branches?branch_id=dev"),
            Some(json!({"spec": {"no_expiry": true}})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("NOT_FOUND")),
            "{e}"
        );
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{P}/projects"),
            Some(json!({"spec": {}})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE"))
        );
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{P}/projects?project_id=Bad_Id"),
            Some(json!({})),
        )
        .await;
        assert_eq!(st, 400, "{e}");
        call(
            &emu,
            "POST",
            &format!("{P}/projects?project_id=shop"),
            Some(json!({"spec": {}})),
        )
        .await;
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/projects?project_id=shop"),
            Some(json!({"spec": {}})),
        )
        .await;
        assert_eq!(st, 409);
        settle(&emu);
        let (st, b) = call(
            &emu,
            "GET",
            &format!("{P}/projects/shop/branches/production"),
            None,
        )
        .await;
        assert_eq!(st, 200, "{b}");
        assert_eq!(b["status"]["default"], true);
        assert_eq!(b["status"]["current_state"], "READY");
        let (st, ep) = call(
            &emu,
            "GET",
            &format!("{P}/projects/shop/branches/production/endpoints/primary"),
            None,
        )
        .await;
        assert_eq!(st, 200, "{ep}");
        assert_eq!(ep["status"]["endpoint_type"], "ENDPOINT_TYPE_READ_WRITE");
        let (st, e) = call(
            &emu,
            "DELETE",
            &format!("{P}/projects/shop/branches/production"),
            None,
        )
        .await;
        assert_eq!(st, 400, "{e}");
        assert_eq!(
            e["details"][0]["metadata"]["declarative_context"],
            "MANAGED_BY_PARENT"
        );
        // A second read-write endpoint on the branch is refused.
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/projects/shop/branches/production/endpoints?endpoint_id=rw2"),
            Some(json!({"spec": {"endpoint_type": "ENDPOINT_TYPE_READ_WRITE"}})),
        )
        .await;
        assert_eq!(st, 400);
        // Deleting the project takes its branches and endpoints along.
        let (st, _) = call(
            &emu,
            "DELETE",
            &format!("{P}/projects/shop?purge=true"),
            None,
        )
        .await;
        assert_eq!(st, 200);
        let (st, _) = call(
            &emu,
            "GET",
            &format!("{P}/projects/shop/branches/production"),
            None,
        )
        .await;
        assert_eq!(st, 404);
        let (st, _) = call(
            &emu,
            "GET",
            &format!("{P}/projects/shop/branches/production/endpoints/primary"),
            None,
        )
        .await;
        assert_eq!(st, 404);
    }

    #[tokio::test]
    async fn updates_take_only_updatable_spec_paths_and_endpoints_reconcile() {
        let emu = emulator(FROZEN).await;
        call(
            &emu,
            "POST",
            &format!("{P}/projects?project_id=shop"),
            Some(json!({"spec": {}})),
        )
        .await;
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/projects/shop/branches/production/endpoints?endpoint_id=ro"),
            Some(json!({"spec": {"endpoint_type": "ENDPOINT_TYPE_READ_ONLY", "autoscaling_limit_min_cu": 0.5, "autoscaling_limit_max_cu": 2}})),
        )
        .await;
        assert_eq!(st, 200);
        let ro = format!("{P}/projects/shop/branches/production/endpoints/ro");
        let (st, e) = call(&emu, "DELETE", &ro, None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (409, Some("RESOURCE_CONFLICT")),
            "still reconciling"
        );
        let (st, _) = call(
            &emu,
            "PATCH",
            &format!("{ro}?update_mask=spec.endpoint_type"),
            Some(json!({"spec": {"endpoint_type": "ENDPOINT_TYPE_READ_WRITE"}})),
        )
        .await;
        assert_eq!(st, 400, "the type is fixed");
        let (st, _) = call(&emu, "PATCH", &ro, Some(json!({"spec": {}}))).await;
        assert_eq!(st, 400, "a mask is required");
        for (path, bad) in [
            ("group", json!({"min": 1, "max": 2})),
            ("suspend_timeout_duration", json!("10s")),
            ("autoscaling_limit_max_cu", json!(80)),
        ] {
            let mut spec = json!({"endpoint_type": "ENDPOINT_TYPE_READ_ONLY"});
            spec[path] = bad;
            let (st, e) = call(
                &emu,
                "PATCH",
                &format!("{ro}?update_mask=spec.{path}"),
                Some(json!({ "spec": spec })),
            )
            .await;
            assert_eq!(st, 400, "{path}: {e}");
        }
        let (st, op) = call(
            &emu,
            "PATCH",
            &format!("{ro}?update_mask=spec.autoscaling_limit_max_cu"),
            Some(json!({"spec": {"endpoint_type": "ENDPOINT_TYPE_READ_ONLY", "autoscaling_limit_max_cu": 4, "autoscaling_limit_min_cu": 2}})),
        )
        .await;
        assert_eq!(st, 200, "{op}");
        let (_, now) = call(&emu, "GET", &ro, None).await;
        assert_eq!(now["status"]["autoscaling_limit_max_cu"], 4);
        assert_eq!(
            now["status"]["autoscaling_limit_min_cu"], 0.5,
            "not in the mask"
        );
        assert!(now["status"]["pending_state"].is_string(), "{now}");
        settle(&emu);
        let (_, now) = call(&emu, "GET", &ro, None).await;
        assert!(now["status"].get("pending_state").is_none(), "{now}");
        let (st, _) = call(&emu, "DELETE", &ro, None).await;
        assert_eq!(st, 200);
    }

    #[tokio::test]
    async fn lists_page_and_show_soft_deleted_branches_on_request() {
        let emu = emulator(FROZEN).await;
        call(
            &emu,
            "POST",
            &format!("{P}/projects?project_id=shop"),
            Some(json!({"spec": {}})),
        )
        .await;
        for b in ["dev", "qa"] {
            let (st, e) = call(
                &emu,
                "POST",
                &format!("{P}/projects/shop/branches?branch_id={b}"),
                Some(json!({"spec": {"no_expiry": true}})),
            )
            .await;
            assert_eq!(st, 200, "{e}");
        }
        let (_, page) = call(
            &emu,
            "GET",
            &format!("{P}/projects/shop/branches?page_size=2"),
            None,
        )
        .await;
        assert_eq!(page["branches"].as_array().unwrap().len(), 2, "{page}");
        let token = page["next_page_token"].as_str().unwrap();
        let (_, rest) = call(
            &emu,
            "GET",
            &format!("{P}/projects/shop/branches?page_size=2&page_token={token}"),
            None,
        )
        .await;
        assert_eq!(rest["branches"].as_array().unwrap().len(), 1, "{rest}");
        assert!(rest.get("next_page_token").is_none());
        call(
            &emu,
            "DELETE",
            &format!("{P}/projects/shop/branches/qa"),
            None,
        )
        .await;
        let (_, live) = call(&emu, "GET", &format!("{P}/projects/shop/branches"), None).await;
        assert_eq!(live["branches"].as_array().unwrap().len(), 2);
        let (_, all) = call(
            &emu,
            "GET",
            &format!("{P}/projects/shop/branches?show_deleted=true"),
            None,
        )
        .await;
        let qa = all["branches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["branch_id"] == "qa")
            .cloned()
            .unwrap();
        assert!(qa["status"]["delete_time"].is_string(), "{qa}");
        let (st, _) = call(&emu, "GET", &format!("{P}/projects/nope/branches"), None).await;
        assert_eq!(st, 404);
    }

    #[tokio::test]
    async fn databases_need_their_role_and_catalogs_their_database() {
        let emu = emulator(FROZEN).await;
        call(
            &emu,
            "POST",
            &format!("{P}/projects?project_id=shop"),
            Some(json!({"spec": {}})),
        )
        .await;
        let br = "projects/shop/branches/production";
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{P}/{br}/databases?database_id=orders"),
            Some(json!({"spec": {"postgres_database": "orders", "role": format!("{br}/roles/owner")}})),
        )
        .await;
        assert_eq!(st, 404, "no such role yet: {e}");
        let (st, role) = call(
            &emu,
            "POST",
            &format!("{P}/{br}/roles?role_id=owner"),
            Some(json!({"spec": {"postgres_role": "owner"}})),
        )
        .await;
        assert_eq!(st, 200, "{role}");
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/{br}/databases?database_id=orders"),
            Some(json!({"spec": {"postgres_database": "orders", "role": format!("{br}/roles/owner")}})),
        )
        .await;
        assert_eq!(st, 200);
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{P}/{br}/databases?database_id=orders"),
            Some(json!({"spec": {"postgres_database": "orders", "role": format!("{br}/roles/owner")}})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("BAD_REQUEST")),
            "a taken id"
        );
        let cat = |db: &str| json!({"spec": {"branch": br, "postgres_database": db}});
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/catalogs?catalog_id=shop_cat"),
            Some(cat("nope")),
        )
        .await;
        assert_eq!(st, 400, "no such database");
        let (st, _) = call(
            &emu,
            "POST",
            &format!("{P}/catalogs?catalog_id=shop_cat"),
            Some(cat("orders")),
        )
        .await;
        assert_eq!(st, 200);
        let (st, _) = call(
            &emu,
            "PATCH",
            &format!("{P}/catalogs/shop_cat?update_mask=spec.branch"),
            Some(cat("orders")),
        )
        .await;
        assert_eq!(st, 404, "catalogs have no update");
        let (st, t) = call(
            &emu,
            "POST",
            &format!("{P}/synced_tables?synced_table_id=shop_cat.public.orders"),
            Some(json!({"spec": {"source_table_full_name": "main.sales.orders", "primary_key_columns": ["id"], "scheduling_policy": "SNAPSHOT"}})),
        )
        .await;
        assert_eq!(st, 200, "{t}");
        settle(&emu);
        let (_, t) = call(
            &emu,
            "GET",
            &format!("{P}/synced_tables/shop_cat.public.orders"),
            None,
        )
        .await;
        assert_eq!(t["status"]["project"], "projects/shop", "{t}");
        assert!(t["status"]["pipeline_id"].is_string());
    }
}
