//! What the seven Lakebase kinds (`postgres_*`, the Postgres API at `/api/2.0/postgres`)
//! share. Each object is named by a resource path (`projects/p/branches/b`), which is its
//! id: its parent's name, its collection and the id the bundle chooses. A create sends that
//! id (and `replace_existing`) as query parameters and every other setting as `spec`; an
//! update is a PATCH whose `update_mask` lists the `spec.` paths that changed. Creates,
//! updates and deletes are long-running operations: the deploy polls each until it is done
//! (and an endpoint until it has reconciled), reporting an operation's error.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Fut, KindApi, Progress, Update, api_settings, req, wait_for};
use crate::databricks::{ApiRequest, Client, ClientError};

pub const ROOT: &str = "/api/2.0/postgres";

/// Settings that are not part of the object's `spec`: where it lives and how it is created
/// or deleted.
const NOT_SPEC: &[&str] = &["parent", "replace_existing", "purge_on_delete"];

/// How long an operation may take (the SDK's waiters poll without a limit; a deploy should
/// not hang for ever).
const DONE_WITHIN: Duration = Duration::from_secs(30 * 60);

/// How long an endpoint may take to reconcile after its operation (as the Databricks CLI).
const RECONCILED_WITHIN: Duration = Duration::from_secs(2 * 60);

/// One Lakebase kind's shape.
pub struct Lakebase {
    /// The bundle's name for the kind (its `KindSpec`, whose `fixed` settings an update
    /// never names).
    pub kind: &'static str,
    /// The collection its names have (`branches` in `projects/p/branches/b`).
    pub collection: &'static str,
    /// The setting that holds the id the bundle chooses, sent as the create's query
    /// parameter of that name.
    pub id_field: &'static str,
    /// Whether it lives under the object its `parent` setting names.
    pub parented: bool,
    /// Whether the API updates it; if not, every setting is `fixed` (a change replaces it).
    pub updatable: bool,
    /// Whether a create or update is followed by waiting for `status.pending_state` to
    /// clear (endpoints reconcile after their operation is done).
    pub reconciles: bool,
    /// The permissions API's object type, set by the id's last segment (projects' ACLs
    /// are at `database-projects/<project id>`); None: no permissions of its own.
    pub acl_type: Option<&'static str>,
}

/// What a delete of a `kind` object removes with it, for the question that approves it
/// (the Databricks CLI warns of the data too).
pub fn takes_along(kind: &str) -> Option<&'static str> {
    match kind {
        "postgres_projects" => Some("its branches, databases and endpoints, and all their data"),
        "postgres_branches" => Some("its databases, roles and endpoints, and all their data"),
        _ => None,
    }
}

/// Operations this process started and has not waited for yet, by the object's name: a
/// create records the object's id first, and `after_create` waits.
static STARTED: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

fn started(name: &str, op: &Value) {
    if let Some(op_name) = op["name"].as_str() {
        STARTED
            .lock()
            .expect("not poisoned")
            .insert(name.to_string(), op_name.to_string());
    }
}

fn take_started(name: &str) -> Option<String> {
    STARTED.lock().expect("not poisoned").remove(name)
}

/// The object's `spec`: its settings without its id, parent and create/delete flags.
pub fn spec(id_field: &str, settings: &Value) -> Value {
    let mut s = api_settings(settings);
    if let Some(o) = s.as_object_mut() {
        o.remove(id_field);
        for k in NOT_SPEC {
            o.remove(*k);
        }
    }
    if s.is_object() { s } else { json!({}) }
}

/// The dotted paths under which `before` and `now` differ: into objects both sides have,
/// otherwise the field itself (a list or a value is replaced whole). Sorted.
pub fn changed_paths(before: &Value, now: &Value) -> Vec<String> {
    fn walk(prefix: &str, a: &Map<String, Value>, b: &Map<String, Value>, out: &mut Vec<String>) {
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match (a.get(k), b.get(k)) {
                (Some(Value::Object(x)), Some(Value::Object(y))) => walk(&path, x, y, out),
                (x, y) if x != y => out.push(path),
                _ => {}
            }
        }
    }
    let empty = Map::new();
    let mut out = Vec::new();
    walk(
        "",
        before.as_object().unwrap_or(&empty),
        now.as_object().unwrap_or(&empty),
        &mut out,
    );
    out
}

/// How far an operation is: done (its response), failed (its error), or still going.
fn op_progress(op: &Value) -> Progress {
    if op["done"] != true {
        return Progress::Pending("the operation is still running".into());
    }
    let e = &op["error"];
    if e.is_object() {
        let code = e["error_code"].as_str().unwrap_or("");
        let message = e["message"].as_str().unwrap_or("unknown error");
        return Progress::Failed(if code.is_empty() {
            format!("the operation failed: {message}")
        } else {
            format!("the operation failed: {message} ({code})")
        });
    }
    Progress::Done
}

/// Whether an endpoint has reconciled (no pending state).
fn reconciled(v: &Value) -> Progress {
    match v["status"]["pending_state"].as_str() {
        None | Some("") => Progress::Done,
        Some(p) => Progress::Pending(format!("reconciling, pending state {p}")),
    }
}

impl Lakebase {
    /// The object's name as its settings give it (None without its id).
    pub fn name(&self, settings: &Value) -> Option<String> {
        let id = settings[self.id_field].as_str().filter(|s| !s.is_empty())?;
        if self.parented {
            let parent = settings["parent"].as_str().filter(|s| !s.is_empty())?;
            Some(format!("{parent}/{}/{id}", self.collection))
        } else {
            Some(format!("{}/{id}", self.collection))
        }
    }

    fn at(name: &str) -> String {
        format!("{ROOT}/{name}")
    }

    /// Polls the operation until it is done; its response.
    async fn finish(&self, c: &Client, what: &str, op_name: &str) -> Result<Value, ClientError> {
        let done = wait_for(
            c,
            what,
            DONE_WITHIN,
            || req(Method::GET, Self::at(op_name), what),
            op_progress,
        )
        .await?;
        Ok(done["response"].clone())
    }

    /// Waits for the operation this process started on `name`, if any, then for an
    /// endpoint to reconcile.
    async fn settle(&self, c: &Client, what: &str, name: &str) -> Result<(), ClientError> {
        if let Some(op) = take_started(name) {
            self.finish(c, what, &op).await?;
        }
        if self.reconciles {
            wait_for(
                c,
                what,
                RECONCILED_WITHIN,
                || self.get(name, what),
                reconciled,
            )
            .await?;
        }
        Ok(())
    }

    async fn create_named(
        &self,
        c: &Client,
        what: &str,
        settings: &Value,
    ) -> Result<String, ClientError> {
        let collection = if self.parented {
            let parent = settings["parent"].as_str().unwrap_or_default();
            format!("{ROOT}/{parent}/{}", self.collection)
        } else {
            format!("{ROOT}/{}", self.collection)
        };
        let mut r = req(Method::POST, collection, what)
            .json(json!({ "spec": spec(self.id_field, settings) }));
        if let Some(id) = settings[self.id_field].as_str() {
            r = r.query(self.id_field, id);
        }
        if settings["replace_existing"] == true {
            r = r.query("replace_existing", "true");
        }
        let op: Value = c.call(r).await?;
        match self.name(settings) {
            Some(name) => {
                started(&name, &op);
                Ok(name)
            }
            // The service picks the id (a role without `role_id`): the name is in the
            // operation's response, so wait for it here.
            None => {
                let op_name = op["name"].as_str().unwrap_or_default().to_string();
                let done = self.finish(c, what, &op_name).await?;
                done["name"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ClientError::Unsettled {
                        object: what.to_string(),
                        message: "the create's operation gave no name".into(),
                    })
            }
        }
    }
}

impl KindApi for Lakebase {
    /// Lakebase objects are known by their resource name (`projects/p/...`), which the
    /// provider keeps in `name` (the CLI maps their `.id` references to it).
    fn terraform_id_attribute(&self) -> &'static str {
        "name"
    }

    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(self.create_named(c, what, settings))
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            // Its parent was replaced in this deploy (and took it along), or it was deleted
            // by hand since the plan: it is created again under the name it has now. But a
            // name that changes while the object is still there is a replacement the plan
            // could not show (the parent it refers to was new): never without approval.
            let moved = self.name(u.settings).filter(|n| n != u.id);
            let there = self.exists(c, u.id, u.what).await?;
            if let (Some(to), true) = (&moved, there) {
                return Err(ClientError::Unsettled {
                    object: u.what.to_string(),
                    message: format!(
                        "its name becomes {to}, as what it refers to was created in this deploy; that replaces it: deploy again, and the plan shows the replacement to approve"
                    ),
                });
            }
            if moved.is_some() || !there {
                return self.create_named(c, u.what, u.settings).await;
            }
            if !self.updatable {
                return Ok(u.id.to_string());
            }
            let now = spec(self.id_field, u.settings);
            let before = if u.previous.is_null() {
                json!({})
            } else {
                spec(self.id_field, u.previous)
            };
            // Settings an update cannot change are left out: an adopted object's first
            // update sends every setting, and the API refuses those in a mask.
            let fixed = super::spec(self.kind).map_or(&[][..], |k| k.fixed);
            let mask: Vec<String> = changed_paths(&before, &now)
                .into_iter()
                .filter(|p| !fixed.contains(&p.split('.').next().unwrap_or_default()))
                .map(|p| format!("spec.{p}"))
                .collect();
            // Only a create or delete flag changed: nothing to send.
            if mask.is_empty() {
                return Ok(u.id.to_string());
            }
            let r = req(Method::PATCH, Self::at(u.id), u.what)
                .query("update_mask", mask.join(","))
                .json(json!({ "spec": now }))
                .idempotent(true);
            let op: Value = c.call(r).await?;
            started(u.id, &op);
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, Self::at(id), what)
    }

    fn remove<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        what: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let started_at = std::time::Instant::now();
            loop {
                let mut r = self.delete(id, what).idempotent(true);
                if settings["purge_on_delete"] == true {
                    r = r.query("purge", "true");
                }
                match c.call::<Value>(r).await {
                    Ok(op) => {
                        let op_name = op["name"].as_str().unwrap_or_default();
                        if !op_name.is_empty() && op["done"] != true {
                            self.finish(c, what, op_name).await?;
                        } else if let Progress::Failed(message) = op_progress(&op) {
                            return Err(ClientError::Unsettled {
                                object: what.to_string(),
                                message,
                            });
                        }
                        return Ok(());
                    }
                    Err(e) if e.is_not_found() => return Ok(()),
                    // The project's root branch or a branch's read-write endpoint: it goes
                    // with its parent, which the deploy deletes after it.
                    Err(e) if e.api().is_some_and(|a| a.managed_by_parent) => {
                        tracing::info!(object = what, "deleted with its parent");
                        return Ok(());
                    }
                    // An endpoint still reconciling refuses a delete for a while.
                    Err(e)
                        if e.api()
                            .is_some_and(|a| a.status == 409 && a.message.contains("reconcil"))
                            && started_at.elapsed() < RECONCILED_WITHIN =>
                    {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                    Err(e) => return Err(e),
                }
            }
        })
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, Self::at(id), what)
    }

    /// A soft-deleted object (kept for its retention window) is not a live one.
    fn alive(&self, read: &Value) -> bool {
        read["delete_time"].is_null() && read["status"]["delete_time"].is_null()
    }

    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        _opts: super::CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(self.settle(c, what, id))
    }

    fn after_update<'a>(&'a self, c: &'a Client, what: &'a str, id: &'a str) -> Fut<'a, ()> {
        Box::pin(self.settle(c, what, id))
    }

    fn apply_permissions<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        acl: &'a [Value],
        _previous: &'a [Value],
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let Some(object_type) = self.acl_type else {
                return Ok(());
            };
            let short = id.rsplit('/').next().unwrap_or(id);
            super::put_permissions(c, object_type, short, acl, &format!("permissions of {id}"))
                .await
        })
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        match self.name(settings) {
            Some(name) => self.named_as(c, name, ""),
            None => Box::pin(async { Ok(Vec::new()) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_leaves_out_the_id_parent_and_flags() {
        let s = json!({"parent": "projects/p", "branch_id": "dev", "replace_existing": true,
            "purge_on_delete": true, "no_expiry": true, "permissions": []});
        assert_eq!(spec("branch_id", &s), json!({"no_expiry": true}));
    }

    #[test]
    fn changed_paths_go_into_objects_and_keep_lists_whole() {
        let before = json!({"display_name": "a", "default_endpoint_settings": {"autoscaling_limit_max_cu": 4, "autoscaling_limit_min_cu": 1},
            "custom_tags": [{"key": "a", "value": "1"}], "pg_version": 16});
        let now = json!({"display_name": "b", "default_endpoint_settings": {"autoscaling_limit_max_cu": 8, "autoscaling_limit_min_cu": 1},
            "custom_tags": [{"key": "a", "value": "2"}], "pg_version": 16, "enable_pg_native_login": true});
        assert_eq!(
            changed_paths(&before, &now),
            vec![
                "custom_tags",
                "default_endpoint_settings.autoscaling_limit_max_cu",
                "display_name",
                "enable_pg_native_login"
            ]
        );
        // A whole object set or removed is one path.
        assert_eq!(
            changed_paths(&json!({}), &json!({"attributes": {"createdb": true}})),
            vec!["attributes"]
        );
        assert!(changed_paths(&now, &now).is_empty());
    }

    #[test]
    fn names_follow_the_parent_and_id() {
        let b = Lakebase {
            kind: "postgres_branches",
            collection: "branches",
            id_field: "branch_id",
            parented: true,
            updatable: true,
            reconciles: false,
            acl_type: None,
        };
        let s = json!({"parent": "projects/p", "branch_id": "dev"});
        assert_eq!(b.name(&s).as_deref(), Some("projects/p/branches/dev"));
        assert_eq!(b.name(&json!({"parent": "projects/p"})), None);
    }

    #[test]
    fn an_operation_is_done_failed_or_pending() {
        assert!(matches!(
            op_progress(&json!({"done": true, "response": {}})),
            Progress::Done
        ));
        assert!(matches!(
            op_progress(&json!({"done": false})),
            Progress::Pending(_)
        ));
        match op_progress(
            &json!({"done": true, "error": {"error_code": "INVALID_STATE", "message": "no"}}),
        ) {
            Progress::Failed(m) => assert!(m.contains("no (INVALID_STATE)"), "{m}"),
            _ => panic!("failed expected"),
        }
        assert!(matches!(
            reconciled(&json!({"status": {"pending_state": "ACTIVE"}})),
            Progress::Pending(_)
        ));
        assert!(matches!(reconciled(&json!({"status": {}})), Progress::Done));
    }
}
