//! State of the Lakebase Postgres API (`/api/2.0/postgres`): every object by its resource
//! name (`projects/p`, `projects/p/branches/b/endpoints/e`, `catalogs/c`,
//! `synced_tables/c.s.t`), the soft-deleted ones, and the long-running operations, each
//! done at an emulated time. Fields of a stored object that start with `_` are the
//! emulator's own (the spec as last set, when it is ready, whether the service made it).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::lifecycle::timestamp;
use super::state::State;

/// Emulated time an operation takes.
pub const OPERATION_MS: u64 = 6_000;
/// Emulated time an endpoint reconciles after its operation.
pub const RECONCILE_MS: u64 = 4_000;
/// How long a soft-deleted project or branch can be restored (emulated).
const RETENTION_MS: u64 = 7 * 24 * 3_600_000;

#[derive(Default)]
pub struct PostgresObjects {
    pub objects: BTreeMap<String, Value>,
    /// Soft-deleted projects and branches (listed with `show_deleted`), by name.
    pub deleted: BTreeMap<String, Value>,
    /// Operations by name: `_done_at`, `_type`, `_object` (the name whose view is the
    /// response; absent for a delete), `_error`.
    pub operations: BTreeMap<String, Value>,
}

/// One kind of the API.
pub struct PgKind {
    pub collection: &'static str,
    /// What messages call one.
    pub noun: &'static str,
    /// The operation metadata's type name.
    pub type_name: &'static str,
    /// The create's query parameter holding the id.
    pub id_param: &'static str,
    /// The parent's collection (None: top level).
    pub parent: Option<&'static str>,
    /// `spec` fields an update may name (empty: no update call).
    pub updatable: &'static [&'static str],
    /// Status and error code of a create whose id is taken (without `replace_existing`).
    pub taken: (u16, &'static str),
    /// Whether a create takes `replace_existing`.
    pub replaceable: bool,
}

pub const KINDS: &[PgKind] = &[
    PgKind {
        collection: "projects",
        noun: "project",
        type_name: "Project",
        id_param: "project_id",
        parent: None,
        updatable: &[
            "display_name",
            "default_endpoint_settings",
            "history_retention_duration",
            "enable_pg_native_login",
            "budget_policy_id",
            "custom_tags",
            "default_branch",
        ],
        taken: (409, "ALREADY_EXISTS"),
        replaceable: false,
    },
    PgKind {
        collection: "branches",
        noun: "branch",
        type_name: "Branch",
        id_param: "branch_id",
        parent: Some("projects"),
        updatable: &["is_protected", "expire_time", "ttl", "no_expiry"],
        taken: (409, "ALREADY_EXISTS"),
        replaceable: true,
    },
    PgKind {
        collection: "endpoints",
        noun: "endpoint",
        type_name: "Endpoint",
        id_param: "endpoint_id",
        parent: Some("branches"),
        updatable: &[
            "autoscaling_limit_min_cu",
            "autoscaling_limit_max_cu",
            "disabled",
            "group",
            "no_suspension",
            "settings",
            "suspend_timeout_duration",
        ],
        taken: (409, "ALREADY_EXISTS"),
        replaceable: true,
    },
    PgKind {
        collection: "databases",
        noun: "database",
        type_name: "Database",
        id_param: "database_id",
        parent: Some("branches"),
        updatable: &["postgres_database", "role"],
        // The service answers a taken database or role id with 400, not 409.
        taken: (400, "BAD_REQUEST"),
        replaceable: true,
    },
    PgKind {
        collection: "roles",
        noun: "role",
        type_name: "Role",
        id_param: "role_id",
        parent: Some("branches"),
        updatable: &["attributes", "membership_roles"],
        taken: (400, "BAD_REQUEST"),
        replaceable: true,
    },
    PgKind {
        collection: "catalogs",
        noun: "catalog",
        type_name: "Catalog",
        id_param: "catalog_id",
        parent: None,
        updatable: &[],
        taken: (409, "ALREADY_EXISTS"),
        replaceable: false,
    },
    PgKind {
        collection: "synced_tables",
        noun: "synced table",
        type_name: "SyncedTable",
        id_param: "synced_table_id",
        parent: None,
        updatable: &[],
        taken: (409, "ALREADY_EXISTS"),
        replaceable: false,
    },
];

pub fn kind(collection: &str) -> Option<&'static PgKind> {
    KINDS.iter().find(|k| k.collection == collection)
}

/// The kind of an object's name (its second-to-last segment).
pub fn kind_of(name: &str) -> Option<&'static PgKind> {
    let parts: Vec<&str> = name.split('/').collect();
    (parts.len() >= 2 && parts.len().is_multiple_of(2))
        .then(|| kind(parts[parts.len() - 2]))
        .flatten()
}

/// The name of the object `name` lives in ("" at the top level).
pub fn parent_of(name: &str) -> &str {
    let mut it = name.rmatch_indices('/');
    match (it.next(), it.next()) {
        (Some(_), Some((i, _))) => &name[..i],
        _ => "",
    }
}

/// The project a name is in (`projects/p` of `projects/p/branches/b/...`).
pub fn project_of(name: &str) -> String {
    name.split('/').take(2).collect::<Vec<_>>().join("/")
}

impl PostgresObjects {
    /// Starts an operation on `object` (None: a delete), done `ms` from `now`.
    pub fn start(
        &mut self,
        now: u64,
        ms: u64,
        kind: &PgKind,
        object: Option<&str>,
        about: &str,
    ) -> String {
        let name = format!("{about}/operations/{}", uuid::Uuid::new_v4());
        self.operations.insert(
            name.clone(),
            json!({ "name": name, "_done_at": now + ms, "_type": kind.type_name, "_object": object }),
        );
        name
    }

    /// Removes `name` and everything under it; projects and branches are kept as
    /// soft-deleted unless `purge`.
    pub fn remove_tree(&mut self, name: &str, now: u64, purge: bool) {
        let under = format!("{name}/");
        let gone: Vec<String> = self
            .objects
            .keys()
            .filter(|k| *k == name || k.starts_with(&under))
            .cloned()
            .collect();
        for k in gone {
            if let Some(mut v) = self.objects.remove(&k)
                && !purge
                && matches!(
                    kind_of(&k).map(|k| k.collection),
                    Some("projects" | "branches")
                )
            {
                v["_deleted_at"] = json!(now);
                self.deleted.insert(k, v);
            }
        }
    }
}

/// An operation as the API shows it now: done once its time has come, with the object's
/// view (or an empty message for a delete) or its error.
pub fn operation_view(s: &State, op: &Value) -> Value {
    let done = s.clock.now_ms() >= op["_done_at"].as_u64().unwrap_or(0);
    let mut out = json!({
        "name": op["name"],
        "done": done,
        "metadata": {"@type": format!("type.googleapis.com/databricks.postgres.v1.{}OperationMetadata", op["_type"].as_str().unwrap_or(""))},
    });
    if !done {
        return out;
    }
    if op["_error"].is_object() {
        out["error"] = op["_error"].clone();
        return out;
    }
    out["response"] = match op["_object"].as_str() {
        Some(name) => match s.objects.postgres.objects.get(name) {
            Some(v) => super::postgres_views::view(s, name, v),
            None => json!({ "name": name }),
        },
        None => json!({"@type": "type.googleapis.com/google.protobuf.Empty"}),
    };
    out
}

/// A soft-deleted object as a list with `show_deleted` shows it.
pub fn deleted_view(s: &State, name: &str, v: &Value) -> Value {
    let mut out = super::postgres_views::view(s, name, v);
    let at = v["_deleted_at"].as_u64().unwrap_or(0);
    out["status"]["delete_time"] = json!(timestamp(at));
    out["status"]["purge_time"] = json!(timestamp(at + RETENTION_MS));
    out
}

/// Whether the object a permissions call names exists (`database-projects/<project id>`).
pub fn permission_target_exists(s: &State, kind: &str, id: &str) -> Option<bool> {
    match kind {
        "database-projects" => Some(
            s.objects
                .postgres
                .objects
                .contains_key(&format!("projects/{id}")),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_their_kind_and_parent() {
        let e = "projects/p/branches/b/endpoints/e";
        assert_eq!(kind_of(e).unwrap().noun, "endpoint");
        assert_eq!(parent_of(e), "projects/p/branches/b");
        assert_eq!(parent_of("projects/p"), "");
        assert_eq!(project_of(e), "projects/p");
        assert_eq!(kind_of("synced_tables/a.b.c").unwrap().noun, "synced table");
        assert!(kind_of("projects/p/branches").is_none());
    }
}
