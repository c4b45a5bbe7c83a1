//! Creates in the Lakebase Postgres API: the id (a query parameter) is checked, the parent
//! must exist, a taken id is refused unless `replace_existing`, and each kind's own rules
//! hold (a database's owner role exists, a catalog's database is on its branch, a synced
//! table's catalog gives its branch and database or the spec does). Answers with the
//! operation.

use std::collections::HashMap;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::handlers_postgres::{has_parent, missing};
use super::lifecycle::timestamp;
use super::postgres_objects::{OPERATION_MS, PgKind, RECONCILE_MS, kind_of, operation_view};
use super::postgres_views::check;
use super::state::State;
use super::{Shared, lock};

/// Ids of projects, branches, endpoints, databases and roles.
fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=63).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !id.ends_with('-')
}

/// A Unity Catalog name part.
fn valid_uc_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 255
        && n.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn three_part(n: &str) -> bool {
    let parts: Vec<&str> = n.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| valid_uc_name(p))
}

pub fn create(
    state: &Shared,
    k: &'static PgKind,
    parent: &str,
    q: &HashMap<String, String>,
    body: &[u8],
    user: &str,
) -> Response {
    let req = or_respond!(json_body(body));
    let spec = match &req["spec"] {
        Value::Null => json!({}),
        s => s.clone(),
    };
    let given = q.get(k.id_param).map(String::as_str).unwrap_or("");
    let id = match (given, k.collection) {
        // The service picks a role's id when none is given.
        ("", "roles") => format!("role-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        ("", _) => {
            return invalid_parameter(format!(
                "Field '{}' is required and must not be empty",
                k.id_param
            ));
        }
        (id, "catalogs") if !valid_uc_name(id) => {
            return invalid_parameter(format!("'{id}' is not a valid catalog name"));
        }
        (id, "synced_tables") if !three_part(id) => {
            return invalid_parameter(format!(
                "synced_table_id must be catalog.schema.table, got '{id}'"
            ));
        }
        (id, "catalogs" | "synced_tables") => id.to_string(),
        (id, _) if !valid_id(id) => {
            return invalid_parameter(format!(
                "Field {} must be 1 to 63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen; got '{id}'",
                k.id_param
            ));
        }
        (id, _) => id.to_string(),
    };
    let name = if parent.is_empty() {
        format!("{}/{id}", k.collection)
    } else {
        format!("{parent}/{}/{id}", k.collection)
    };
    or_respond!(check(&name, &spec));
    let replace = k.replaceable && q.get("replace_existing").is_some_and(|r| r == "true");
    let mut s = lock(state);
    let now = s.clock.now_ms();
    if !has_parent(&s, &name) {
        let noun = kind_of(parent).map_or("parent", |p| p.noun);
        return missing(noun, parent);
    }
    let existing = s.objects.postgres.objects.get(&name).cloned();
    if existing.is_some() && !replace {
        let (status, code) = k.taken;
        return api_error(
            status,
            code,
            format!(
                "a {} with id '{id}' already exists in {}",
                k.noun,
                if parent.is_empty() {
                    "the workspace"
                } else {
                    parent
                }
            ),
        );
    }
    let mut v = match existing {
        // Taken over: what it is stays, its spec is the new one.
        Some(mut v) => {
            v["update_time"] = json!(timestamp(now));
            v
        }
        None => {
            let mut v = json!({
                "name": name,
                k.id_param: id,
                "create_time": timestamp(now),
                "update_time": timestamp(now),
                "_created_ms": now,
                "_ready_at": now + OPERATION_MS,
            });
            if !parent.is_empty() {
                v["parent"] = json!(parent);
            }
            if !matches!(k.collection, "databases" | "roles") {
                v["uid"] = json!(uid(k));
            }
            v
        }
    };
    v["_spec"] = spec.clone();
    or_respond!(own_rules(&s, k, &name, &mut v, &spec));
    if k.collection == "endpoints" {
        v["_settled_at"] = json!(now + OPERATION_MS + RECONCILE_MS);
    }
    if k.collection == "projects" {
        v["_owner"] = json!(user);
        // Soft-deleted projects' ids are free again once a new one is made.
        s.objects.postgres.deleted.remove(&name);
    }
    let fails = k.collection == "projects" && spec["display_name"] == "FAIL_OPERATION";
    s.objects.postgres.objects.insert(name.clone(), v);
    if fails {
        s.objects.postgres.objects.remove(&name);
    } else {
        implicit_children(&mut s, k, &name, now);
    }
    let op = s
        .objects
        .postgres
        .start(now, OPERATION_MS, k, Some(&name), &name);
    if fails {
        s.objects
            .postgres
            .operations
            .get_mut(&op)
            .expect("just made")["_error"] = json!({
            "error_code": "INTERNAL_ERROR",
            "message": format!("provisioning {name} failed"),
        });
    }
    let out = operation_view(&s, &s.objects.postgres.operations[&op]);
    Json(out).into_response()
}

fn uid(k: &PgKind) -> String {
    let u = uuid::Uuid::new_v4().to_string();
    match k.collection {
        "branches" => format!("br-{}", &u[..18]),
        "endpoints" => format!("ep-{}", &u[..18]),
        _ => u,
    }
}

/// A new project's default branch, a new branch's read-write endpoint.
fn implicit_children(s: &mut State, k: &PgKind, name: &str, now: u64) {
    let (child, kind, id_param, spec) = match k.collection {
        "projects" => (
            format!("{name}/branches/production"),
            "branches",
            "branch_id",
            json!({"no_expiry": true}),
        ),
        "branches" => (
            format!("{name}/endpoints/primary"),
            "endpoints",
            "endpoint_id",
            json!({"endpoint_type": "ENDPOINT_TYPE_READ_WRITE"}),
        ),
        _ => return,
    };
    if s.objects.postgres.objects.contains_key(&child) {
        return;
    }
    let ck = super::postgres_objects::kind(kind).expect("a kind");
    let id = child.rsplit('/').next().unwrap_or_default();
    let v = json!({
        "name": child,
        id_param: id,
        "parent": name,
        "uid": uid(ck),
        "create_time": timestamp(now),
        "update_time": timestamp(now),
        "_created_ms": now,
        "_ready_at": now + OPERATION_MS,
        "_settled_at": now + OPERATION_MS + RECONCILE_MS,
        "_spec": spec,
        "_implicit": true,
    });
    s.objects.postgres.objects.insert(child.clone(), v);
    implicit_children(s, ck, &child, now);
}

/// The rules of databases, endpoints, catalogs and synced tables that need the state.
fn own_rules(
    s: &State,
    k: &PgKind,
    name: &str,
    v: &mut Value,
    spec: &Value,
) -> Result<(), Response> {
    let pg = &s.objects.postgres.objects;
    let parent = super::postgres_objects::parent_of(name);
    match k.collection {
        "databases" => {
            // The owner is a role of the same branch.
            let role = spec["role"].as_str().unwrap_or_default();
            if !pg.contains_key(role) || super::postgres_objects::parent_of(role) != parent {
                return Err(missing("role", role));
            }
        }
        "endpoints" if spec["endpoint_type"] == "ENDPOINT_TYPE_READ_WRITE" => {
            let under = format!("{parent}/endpoints/");
            let other = pg.iter().find(|(n, e)| {
                n.starts_with(&under)
                    && n.as_str() != name
                    && e["_spec"]["endpoint_type"] == "ENDPOINT_TYPE_READ_WRITE"
            });
            if let Some((other, _)) = other {
                return Err(api_error(
                    400,
                    "BAD_REQUEST",
                    format!(
                        "{parent} has a read-write endpoint already ({other}); a branch has at most one"
                    ),
                ));
            }
        }
        "catalogs" => {
            let branch = spec["branch"].as_str().unwrap_or_default();
            if branch.is_empty() {
                return Err(invalid_parameter("catalog.spec.branch is required"));
            }
            if !pg.contains_key(branch) {
                return Err(missing("branch", branch));
            }
            let db = spec["postgres_database"].as_str().unwrap_or_default();
            if db.is_empty() {
                return Err(invalid_parameter(
                    "catalog.spec.postgres_database is required",
                ));
            }
            let under = format!("{branch}/databases/");
            let exists = pg
                .iter()
                .any(|(n, d)| n.starts_with(&under) && d["_spec"]["postgres_database"] == db);
            if !exists && spec["create_database_if_missing"] != true {
                return Err(api_error(
                    400,
                    "INVALID_PARAMETER_VALUE",
                    format!(
                        "Postgres database '{db}' does not exist on {branch} (set create_database_if_missing to create it)"
                    ),
                ));
            }
            let taken = pg.iter().find(|(n, c)| {
                n.starts_with("catalogs/")
                    && n.as_str() != name
                    && c["_spec"]["branch"] == branch
                    && c["_spec"]["postgres_database"] == db
            });
            if let Some((other, _)) = taken {
                return Err(api_error(
                    400,
                    "BAD_REQUEST",
                    format!("'{db}' on {branch} is registered with {other} already"),
                ));
            }
        }
        "synced_tables" => {
            let id = v["synced_table_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let catalog = id.split('.').next().unwrap_or_default();
            let mut branch = spec["branch"].as_str().unwrap_or_default().to_string();
            let mut db = spec["postgres_database"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(c) = pg.get(&format!("catalogs/{catalog}")) {
                for (given, from) in [(&mut branch, "branch"), (&mut db, "postgres_database")] {
                    let of_catalog = c["_spec"][from].as_str().unwrap_or_default();
                    if given.is_empty() {
                        *given = of_catalog.to_string();
                    } else if given != of_catalog {
                        return Err(invalid_parameter(format!(
                            "{from} '{given}' differs from catalog {catalog}'s '{of_catalog}'"
                        )));
                    }
                }
            }
            if branch.is_empty() || db.is_empty() {
                return Err(invalid_parameter(format!(
                    "{catalog} is not a Lakebase catalog: synced_table.spec.branch and postgres_database are required"
                )));
            }
            if !pg.contains_key(&branch) {
                return Err(missing("branch", &branch));
            }
            let source = spec["source_table_full_name"].as_str().unwrap_or_default();
            if !three_part(source) {
                return Err(invalid_parameter(format!(
                    "synced_table.spec.source_table_full_name must be catalog.schema.table, got '{source}'"
                )));
            }
            let pipeline = spec["existing_pipeline_id"]
                .as_str()
                .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
            v["_branch"] = json!(branch);
            v["_pipeline_id"] = json!(pipeline);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_services_pattern() {
        assert!(valid_id("main"));
        assert!(valid_id("a1-b"));
        assert!(!valid_id("Invalid_DB_ID"));
        assert!(!valid_id("1abc"));
        assert!(!valid_id("abc-"));
        assert!(!valid_id(&"a".repeat(64)));
        assert!(three_part("main.sales.orders"));
        assert!(!three_part("main.sales"));
    }
}
