//! Every resource kind brickci deploys, each in its own module: its API calls (create,
//! update, delete, does it still exist, find it by name), its identity, the settings an
//! update cannot change, what follows a create, its permissions, the Databricks CLI's name
//! for it in Terraform state, its required fields and its development-mode presets.
//!
//! Adding a kind: a module here with a `pub static SPEC: KindSpec` and its `KindApi`, and a
//! line in `REGISTRY` (whose order is the deploy order).

mod alerts;
mod apps;
mod catalogs;
mod clusters;
mod dashboards;
mod database_catalogs;
mod database_instances;
mod experiments;
mod external_locations;
mod genie_spaces;
mod instance_pools;
mod job_runs;
mod jobs;
mod lakebase;
mod model_serving_endpoints;
mod models;
mod pipelines;
mod postgres_branches;
mod postgres_catalogs;
mod postgres_databases;
mod postgres_endpoints;
mod postgres_projects;
mod postgres_roles;
mod postgres_synced_tables;
mod quality_monitors;
mod registered_models;
mod schemas;
mod secret_scopes;
mod secrets;
mod sql_warehouses;
mod synced_database_tables;
mod uc;
mod vector_search_endpoints;
mod vector_search_indexes;
mod volumes;

pub use lakebase::takes_along;

use std::future::Future;
use std::pin::Pin;

use reqwest::Method;
use serde_json::{Value, json};

use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client, ClientError};

/// Kinds in deploy order (a later kind may refer to an earlier one's id).
pub static REGISTRY: &[&KindSpec] = &[
    &secret_scopes::SPEC,
    &catalogs::SPEC,
    &external_locations::SPEC,
    &schemas::SPEC,
    &volumes::SPEC,
    &secrets::SPEC,
    &instance_pools::SPEC,
    &clusters::SPEC,
    &sql_warehouses::SPEC,
    &database_instances::SPEC,
    &database_catalogs::SPEC,
    &synced_database_tables::SPEC,
    &postgres_projects::SPEC,
    &postgres_branches::SPEC,
    &postgres_endpoints::SPEC,
    &postgres_roles::SPEC,
    &postgres_databases::SPEC,
    &postgres_catalogs::SPEC,
    &postgres_synced_tables::SPEC,
    &experiments::SPEC,
    &models::SPEC,
    &registered_models::SPEC,
    &model_serving_endpoints::SPEC,
    &vector_search_endpoints::SPEC,
    &pipelines::SPEC,
    // After the endpoints and what may make its source table or serve its embedding model.
    &vector_search_indexes::SPEC,
    &jobs::SPEC,
    &alerts::SPEC,
    &dashboards::SPEC,
    &genie_spaces::SPEC,
    &apps::SPEC,
    &quality_monitors::SPEC,
    // Last: a run starts once everything else it may use is deployed.
    &job_runs::SPEC,
];

pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, ClientError>> + Send + 'a>>;

/// What a kind is, as data; `api` holds its calls.
pub struct KindSpec {
    /// The bundle format's name (`resources.<name>`).
    pub name: &'static str,
    /// The Terraform resource type the Databricks CLI records it under (to adopt its state).
    pub terraform: Option<&'static str>,
    /// Fields it cannot do without (the API refuses it otherwise).
    pub required: &'static [&'static str],
    /// Settings an update cannot change, and why (said when one changes).
    pub fixed: &'static [&'static str],
    pub fixed_reason: &'static str,
    /// When a `fixed` setting changes: false refuses the deploy (say what to do), true
    /// deletes the object and creates it anew, the plan saying why.
    pub replace: bool,
    /// Fields the API computes that `${resources.<kind>.<key>.<field>}` may name besides
    /// `id`, each with where it is in `KindApi::read`'s answer (a JSON pointer): read after
    /// a create or update and kept in the state.
    pub computed: &'static [(&'static str, &'static str)],
    /// Where the API lists it by id, to check many recorded objects with one list.
    pub listing: Option<Listing>,
    /// Permission levels its own `permissions` take (empty: not checked).
    pub levels: &'static [&'static str],
    /// What the top-level `permissions` levels (CAN_VIEW, CAN_RUN, CAN_MANAGE) mean for it;
    /// CAN_MANAGE is CAN_MANAGE unless said otherwise here.
    pub top_levels: &'static [(&'static str, &'static str)],
    /// How its permissions are set.
    pub permissions: Permissions,
    /// What `validate` shows the deploying user as.
    pub deployer: Deployer,
    /// The development-mode and `presets:` defaults the Databricks CLI applies to it.
    pub presets: fn(&mut Node, &mut PresetCtx),
    pub api: &'static dyn KindApi,
}

/// A list endpoint: path, array key, id field, page-size parameter (empty: none), and
/// whether to list even for a single object (when there is no GET by id).
#[derive(Debug, Clone, Copy)]
pub struct Listing {
    pub path: &'static str,
    pub array: &'static str,
    pub id_field: &'static str,
    pub page_size: &'static str,
    pub always: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissions {
    /// No permissions of its own.
    None,
    /// `PUT /api/2.0/permissions/<object type>/<id>`.
    Object(&'static str),
    /// The kind's own `KindApi::apply_permissions`.
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployer {
    /// IS_OWNER (jobs, pipelines).
    Owner,
    /// CAN_MANAGE.
    Manager,
    /// Not added (secret scope ACLs).
    Nobody,
}

/// The API calls of one kind. `what` names the object in errors and logs.
pub trait KindApi: Sync {
    /// Creates the object; its id.
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String>;

    /// Brings the object in line with `settings`; its id afterwards (renames change UC ids).
    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String>;

    /// The request that deletes it (a 404 counts as deleted).
    fn delete(&self, id: &str, what: &str) -> ApiRequest;

    /// Deletes it and waits while the API does, given the settings it was last deployed
    /// with (null when unknown): by default the `delete` request, a 404 counting as deleted.
    fn remove<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        what: &'a str,
        _settings: &'a Value,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let r = self.delete(id, what).idempotent(true);
            match c.call::<Value>(r).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    /// The request that reads it by id.
    fn get(&self, id: &str, what: &str) -> ApiRequest;

    /// Whether a read answer is a live object (an experiment may be read while deleted).
    fn alive(&self, _read: &Value) -> bool {
        true
    }

    /// An error that says the object does not exist, besides 404.
    fn missing(&self, _e: &ClientError) -> bool {
        false
    }

    /// Whether the object still exists.
    fn exists<'a>(&'a self, c: &'a Client, id: &'a str, what: &'a str) -> Fut<'a, bool> {
        Box::pin(async move {
            match c.call::<Value>(self.get(id, what)).await {
                Ok(v) => Ok(self.alive(&v)),
                Err(e) if e.is_not_found() || self.missing(&e) => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    /// The ids of every object bearing the name `settings` give it (see `named`).
    fn named<'a>(&'a self, _c: &'a Client, _settings: &'a Value) -> Fut<'a, Vec<String>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// `named` for a kind whose id is its name: `[id]` when that object exists.
    fn named_as<'a>(&'a self, c: &'a Client, id: String, what: &'a str) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            Ok(self
                .exists(c, &id, what)
                .await?
                .then_some(id)
                .into_iter()
                .collect())
        })
    }

    /// What follows a create once its id is recorded.
    fn after_create<'a>(
        &'a self,
        _c: &'a Client,
        _what: &'a str,
        _id: &'a str,
        _opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// What follows an update (an asynchronous update to wait for).
    fn after_update<'a>(&'a self, _c: &'a Client, _what: &'a str, _id: &'a str) -> Fut<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// The Terraform attribute holding what brickci takes for the object's id, when adopting
    /// the Databricks CLI's state.
    fn terraform_id_attribute(&self) -> &'static str {
        "id"
    }

    /// Settings whose value is a secret: the state records a digest of it, never the value
    /// (the state lives in the workspace, readable by whoever may read the bundle's folder).
    fn secret_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// The object as the API shows it (for `KindSpec::computed` fields).
    fn read<'a>(&'a self, c: &'a Client, id: &'a str, what: &'a str) -> Fut<'a, Value> {
        Box::pin(async move { c.call::<Value>(self.get(id, what)).await })
    }

    /// Why a recorded object that still exists must be made anew although its settings did
    /// not change (a job run that failed), asked when planning; None keeps it.
    fn outdated<'a>(
        &'a self,
        _c: &'a Client,
        _id: &'a str,
        _what: &'a str,
        _settings: &'a Value,
    ) -> Fut<'a, Option<String>> {
        Box::pin(async { Ok(None) })
    }

    /// Whether replacing one needs the yes a delete needs (not for a job run: replacing it
    /// runs the job again).
    fn replace_needs_approval(&self) -> bool {
        true
    }

    /// Sets permissions for `Permissions::Custom` kinds.
    fn apply_permissions<'a>(
        &'a self,
        _c: &'a Client,
        _id: &'a str,
        _acl: &'a [Value],
        _previous: &'a [Value],
    ) -> Fut<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// An update's inputs.
#[derive(Clone, Copy)]
pub struct Update<'a> {
    pub what: &'a str,
    pub id: &'a str,
    pub settings: &'a Value,
    /// The settings last sent (null for adopted ids).
    pub previous: &'a Value,
}

impl Update<'_> {
    /// Whether `field` was set before and is different now.
    pub fn renamed(&self, field: &str) -> bool {
        self.previous.get(field).is_some() && self.previous.get(field) != self.settings.get(field)
    }
}

/// The kind named `name`, if brickci deploys it.
pub fn spec(name: &str) -> Option<&'static KindSpec> {
    REGISTRY.iter().copied().find(|s| s.name == name)
}

/// `settings` as the state records them: each secret field (`KindApi::secret_fields`) and
/// every `*_plaintext` field at any depth (the API's name for a key given in the clear, e.g. a
/// serving endpoint's `openai_api_key_plaintext`) as a digest of its value, so a changed value
/// still reads "changed: <field>" in the plan.
pub fn recorded(kind: &str, settings: &Value) -> Value {
    let mut out = settings.clone();
    let fields = spec(kind).map_or(&[][..], |s| s.api.secret_fields());
    for field in fields {
        if let Some(v) = out.get_mut(*field) {
            digest(v);
        }
    }
    digest_plaintext(&mut out);
    out
}

/// The secret values in `settings` (see [`recorded`]), to mask.
pub fn secret_values<'v>(kind: &str, settings: &'v Value) -> Vec<&'v str> {
    fn plaintext<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    match child.as_str() {
                        Some(s) if is_plaintext_secret(k) && !s.is_empty() => out.push(s),
                        _ => plaintext(child, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| plaintext(i, out)),
            _ => {}
        }
    }
    let mut out: Vec<&str> = spec(kind)
        .map_or(&[][..], |s| s.api.secret_fields())
        .iter()
        .filter_map(|f| settings.get(*f).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .collect();
    plaintext(settings, &mut out);
    out
}

/// Whether a setting's name says its value is a secret given in the clear.
pub fn is_plaintext_secret(field: &str) -> bool {
    field.ends_with("_plaintext")
}

fn digest_plaintext(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if is_plaintext_secret(k) {
                    digest(child);
                } else {
                    digest_plaintext(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(digest_plaintext),
        _ => {}
    }
}

fn digest(v: &mut Value) {
    if v.is_null() {
        return;
    }
    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    *v = Value::String(format!(
        "sha256:{}",
        crate::deploy::files::sha256(text.as_bytes())
    ));
}

/// The names of the kinds brickci deploys, in deploy order.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.name).collect()
}

/// A kind's place in the deploy order (unknown kinds last).
pub fn rank(kind: &str) -> usize {
    REGISTRY
        .iter()
        .position(|s| s.name == kind)
        .unwrap_or(usize::MAX)
}

fn known(kind: &str) -> &'static KindSpec {
    spec(kind).unwrap_or_else(|| unreachable!("kinds are checked when the bundle loads"))
}

/// Options that change how objects are created.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateOptions {
    /// Leave clusters running after they are created (they start on create).
    pub keep_clusters_running: bool,
}

pub(crate) fn req(method: Method, path: impl Into<String>, object: &str) -> ApiRequest {
    ApiRequest::new(method, path, object.to_string())
}

/// The text of an id field (ids may be numbers).
pub(crate) fn str_field(v: &Value, k: &str) -> Result<String, ClientError> {
    match &v[k] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(ClientError::Decode {
            method: "POST".into(),
            path: String::new(),
            object: format!("create response without {k}"),
            message: v.to_string(),
        }),
    }
}

/// Settings as the API takes them: `permissions` is applied separately.
pub fn api_settings(settings: &Value) -> Value {
    let mut s = settings.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("permissions");
        // Computed by the loader for references (volumes), not an API field.
        o.remove("volume_path");
    }
    s
}

/// What a poll of an asynchronous operation found.
pub(crate) enum Progress {
    Done,
    /// Still going; what it is doing (said if the wait runs out).
    Pending(String),
    Failed(String),
}

/// The log target of what a long deploy says while it waits: shown at the default log
/// level (see `main::init_logging`), so a step that waits many minutes is not silent.
pub const PROGRESS: &str = "brickci::progress";

/// After this long, a wait says it is still waiting, and then at most this often.
const SAY_AFTER: std::time::Duration = std::time::Duration::from_secs(30);
const SAY_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether a wait that has lasted `waited`, and last said so `since_said` ago (None: never),
/// says so now.
fn say_progress(waited: std::time::Duration, since_said: Option<std::time::Duration>) -> bool {
    waited >= SAY_AFTER && since_said.is_none_or(|s| s >= SAY_EVERY)
}

/// Reads the object with `get` until `judge` says it is done or failed, at most `limit`
/// (wall time). Polls soon, then less often; a long wait says what it is waiting for.
pub(crate) async fn wait_for(
    c: &Client,
    what: &str,
    limit: std::time::Duration,
    get: impl Fn() -> ApiRequest,
    judge: impl Fn(&Value) -> Progress,
) -> Result<Value, ClientError> {
    let started = std::time::Instant::now();
    let mut said: Option<std::time::Instant> = None;
    let mut delay = std::time::Duration::from_millis(100);
    loop {
        let v: Value = c.call(get()).await?;
        let last = match judge(&v) {
            Progress::Done => return Ok(v),
            Progress::Failed(message) => {
                return Err(ClientError::Unsettled {
                    object: what.to_string(),
                    message,
                });
            }
            Progress::Pending(state) => state,
        };
        if say_progress(started.elapsed(), said.map(|s| s.elapsed())) {
            tracing::info!(
                target: PROGRESS,
                "{what}: still waiting after {} s: {last}",
                started.elapsed().as_secs()
            );
            said = Some(std::time::Instant::now());
        }
        if started.elapsed() + delay > limit {
            return Err(ClientError::Unsettled {
                object: what.to_string(),
                message: format!("still not done after {} s: {last}", limit.as_secs()),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(10));
    }
}

/// The URL path segment for a name (escaped).
pub(crate) fn segment(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes()).collect()
}

/// POSTs `body` to `path` and reads the id from the answer's `id_field`.
pub(crate) async fn create_at(
    c: &Client,
    path: &str,
    what: &str,
    body: Value,
    id_field: &str,
) -> Result<(Value, Result<String, ClientError>), ClientError> {
    let r: Value = c.call(req(Method::POST, path, what).json(body)).await?;
    let id = str_field(&r, id_field);
    Ok((r, id))
}

/// What follows a create once its id is recorded (a new cluster is stopped unless asked).
pub async fn after_create(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
    opts: CreateOptions,
) -> Result<(), ClientError> {
    let what = format!("{kind}.{key} ({id})");
    known(kind).api.after_create(client, &what, id, opts).await
}

/// What follows an update (see `KindApi::after_update`).
pub async fn after_update(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
) -> Result<(), ClientError> {
    let what = format!("{kind}.{key} ({id})");
    known(kind).api.after_update(client, &what, id).await
}

/// Creates the object; its id.
pub async fn create(
    client: &Client,
    kind: &str,
    key: &str,
    settings: &Value,
) -> Result<String, ClientError> {
    let what = format!("{kind}.{key}");
    known(kind).api.create(client, &what, key, settings).await
}

/// Brings the object in line with `settings`; its id afterwards (renames change UC ids).
pub async fn update(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
    settings: &Value,
    previous: &Value,
) -> Result<String, ClientError> {
    let what = format!("{kind}.{key} ({id})");
    let u = Update {
        what: &what,
        id,
        settings,
        previous,
    };
    known(kind).api.update(client, u).await
}

/// Deletes the object; `settings` are those it was last deployed with (a Lakebase project's
/// `purge_on_delete` is read at delete time).
pub async fn delete(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
    settings: &Value,
) -> Result<(), ClientError> {
    let what = format!("{kind}.{key} ({id})");
    known(kind).api.remove(client, id, &what, settings).await
}

/// Whether the object with this id still exists (someone may have deleted it by hand).
pub async fn exists(client: &Client, kind: &str, key: &str, id: &str) -> Result<bool, ClientError> {
    let what = format!("{kind}.{key} ({id})");
    known(kind).api.exists(client, id, &what).await
}

/// The ids of every object of `kind` that bears the name `settings` give it (several for
/// kinds whose names are not unique). Taken before a create and again when its answer was
/// lost, so only an object that appeared in between is taken for ours.
pub async fn named(
    client: &Client,
    kind: &str,
    settings: &Value,
) -> Result<Vec<String>, ClientError> {
    match spec(kind) {
        Some(s) => s.api.named(client, settings).await,
        None => Ok(Vec::new()),
    }
}

/// Why the recorded object must be made anew although its settings did not change (see
/// `KindApi::outdated`).
pub async fn outdated(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
    settings: &Value,
) -> Result<Option<String>, ClientError> {
    let what = format!("{kind}.{key} ({id})");
    known(kind).api.outdated(client, id, &what, settings).await
}

/// Permission levels of the top-level `permissions` section, per kind.
pub fn level_for(kind: &str, level: &str) -> Option<&'static str> {
    let own = spec(kind).and_then(|s| s.top_levels.iter().find(|(top, _)| *top == level));
    match own {
        Some((_, own)) => Some(own),
        None if level == "CAN_MANAGE" => Some("CAN_MANAGE"),
        None => None,
    }
}

/// The computed fields (`KindSpec::computed`) of the object with this id, as the API shows
/// them now; empty for kinds without any.
pub async fn computed(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
) -> Result<serde_json::Map<String, Value>, ClientError> {
    let s = known(kind);
    let mut out = serde_json::Map::new();
    if s.computed.is_empty() {
        return Ok(out);
    }
    let what = format!("{kind}.{key} ({id})");
    let v = s.api.read(client, id, &what).await?;
    for (field, pointer) in s.computed {
        if let Some(x) = v.pointer(pointer).filter(|x| !x.is_null()) {
            out.insert(field.to_string(), x.clone());
        }
    }
    Ok(out)
}

/// Whether `${resources.<kind>.<key>.<field>}` names something the API computes (an id or a
/// `KindSpec::computed` field), known only once deployed.
pub fn is_computed(kind: &str, field: &str) -> bool {
    field == "id" || spec(kind).is_some_and(|s| s.computed.iter().any(|(f, _)| *f == field))
}

/// The access list for an object: its own `permissions` plus the bundle's top-level ones for
/// principals it does not name, each principal once at its highest level (as the CLI).
pub fn access_list(kind: &str, settings: &Value, top: &[Value]) -> Vec<Value> {
    crate::bundle::merged_permissions(kind, settings.get("permissions"), top)
}

/// The principal an access-list entry names: (field, name).
pub(crate) fn principal(p: &Value) -> Option<(String, String)> {
    ["user_name", "group_name", "service_principal_name"]
        .iter()
        .find_map(|k| p[*k].as_str().map(|v| (k.to_string(), v.to_string())))
}

/// Sets the object's permissions to `acl`; what `previous` granted and `acl` no longer does
/// is revoked.
pub async fn apply_permissions(
    client: &Client,
    kind: &str,
    id: &str,
    acl: &[Value],
    previous: &[Value],
) -> Result<(), ClientError> {
    if acl.is_empty() && previous.is_empty() {
        return Ok(());
    }
    let s = known(kind);
    let object_type = match s.permissions {
        Permissions::None => return Ok(()),
        Permissions::Custom => return s.api.apply_permissions(client, id, acl, previous).await,
        Permissions::Object(t) => t,
    };
    put_permissions(
        client,
        object_type,
        id,
        acl,
        &format!("permissions of {kind} {id}"),
    )
    .await
}

/// Sets the permissions of an object the Permissions API knows by an id the bundle does not
/// hold (a serving endpoint's internal id, a registered model's): `get` reads the object and
/// the id is at `pointer` in what it returns.
pub(crate) async fn put_permissions_by_read_id(
    client: &Client,
    get: ApiRequest,
    pointer: &str,
    object_type: &str,
    acl: &[Value],
) -> Result<(), ClientError> {
    let what = get.object.clone();
    let path = get.path.clone();
    let v: Value = client.call(get).await?;
    let Some(id) = v.pointer(pointer).and_then(Value::as_str) else {
        return Err(ClientError::Decode {
            method: "GET".into(),
            path,
            object: what,
            message: format!(
                "the answer has no {}",
                pointer.replace('/', ".").trim_start_matches('.')
            ),
        });
    };
    put_permissions(client, object_type, id, acl, &what).await
}

/// Replaces the access list of `/permissions/{object_type}/{object_id}` with `acl` (the
/// bundle's `level` and principal fields, as the Permissions API names them).
pub(crate) async fn put_permissions(
    client: &Client,
    object_type: &str,
    object_id: &str,
    acl: &[Value],
    what: &str,
) -> Result<(), ClientError> {
    let list: Vec<Value> = acl
        .iter()
        .filter_map(|p| {
            let (k, who) = principal(p)?;
            Some(json!({ k: who, "permission_level": p["level"] }))
        })
        .collect();
    let r = req(
        Method::PUT,
        format!("/api/2.0/permissions/{object_type}/{object_id}"),
        what,
    )
    .json(json!({ "access_control_list": list }));
    client.call::<Value>(r).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_wait_says_so_after_half_a_minute_then_once_a_minute() {
        let s = std::time::Duration::from_secs;
        assert!(!say_progress(s(29), None));
        assert!(say_progress(s(30), None));
        assert!(!say_progress(s(90), Some(s(59))));
        assert!(say_progress(s(91), Some(s(60))));
    }

    #[test]
    fn the_registry_names_each_kind_once_and_every_kind_is_of_the_bundle_format() {
        let names = names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(n), "{n} twice");
            assert!(
                crate::bundle::known_fields::RESOURCE_KINDS.contains(n),
                "{n} is not a kind of the bundle format"
            );
        }
        assert_eq!(rank("secret_scopes"), 0);
        assert!(rank("schemas") < rank("volumes"));
        assert!(rank("vector_search_endpoints") < rank("vector_search_indexes"));
        assert!(rank("model_serving_endpoints") < rank("vector_search_indexes"));
        assert!(rank("pipelines") < rank("vector_search_indexes"));
        assert_eq!(rank("nope"), usize::MAX);
    }

    #[test]
    fn top_level_levels_map_per_kind() {
        assert_eq!(level_for("jobs", "CAN_RUN"), Some("CAN_MANAGE_RUN"));
        assert_eq!(level_for("clusters", "CAN_VIEW"), Some("CAN_ATTACH_TO"));
        assert_eq!(level_for("schemas", "CAN_VIEW"), None);
        assert_eq!(level_for("dashboards", "CAN_MANAGE"), Some("CAN_MANAGE"));
        // Scope ACLs have their own names, as the CLI maps them.
        assert_eq!(level_for("secret_scopes", "CAN_MANAGE"), Some("MANAGE"));
        assert_eq!(level_for("secret_scopes", "CAN_VIEW"), Some("READ"));
        assert_eq!(level_for("secret_scopes", "CAN_RUN"), None);
    }
}
