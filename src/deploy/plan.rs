//! A plan is data: for every object the bundle has or brickci's state records, create,
//! update, replace (a setting an update cannot change changed: deleted, then created),
//! delete, unchanged or orphaned (recorded, gone from the bundle, kept without `--prune`),
//! with the reason. Computed from the bundle, the state and a check that each
//! recorded object still exists; nothing is written.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use super::artifacts::LibraryFile;
use super::files::sha256;
use super::kinds;
use super::refs::{canonical, deps, differences, fill};
use super::state::DeployState;
use super::sync::LocalFile;
use crate::bundle::Bundle;
use crate::bundle::local_file::{IMPORT_LIMIT, Refused, Roots};
use crate::databricks::{Client, ClientError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    /// Deleted, then created anew: a setting an update cannot change changed. The
    /// Databricks CLI's plan calls it `recreate`.
    Replace,
    Delete,
    Unchanged,
    Orphaned,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Replace => "replace",
            Op::Delete => "delete",
            Op::Unchanged => "unchanged",
            Op::Orphaned => "orphaned",
        }
    }

    pub fn writes(self) -> bool {
        matches!(self, Op::Create | Op::Update | Op::Replace | Op::Delete)
    }
}

/// What applying an action needs.
#[derive(Debug, Clone)]
pub enum Work {
    Upload {
        local: std::path::PathBuf,
        /// What to upload when brickci made the file itself (not read from `local`).
        content: Option<std::sync::Arc<Vec<u8>>>,
        notebook: bool,
        hash: String,
        state_kind: &'static str,
    },
    Resource {
        settings: Value,
        acl: Vec<Value>,
    },
    Remove,
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub action: Op,
    /// `notebook`, `file`, `library`, or a resource kind (`jobs`, ...).
    pub kind: String,
    /// Local path (bundle-relative) or resource key.
    pub name: String,
    /// Workspace path, destination, or the object's id when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub reason: String,
    #[serde(skip)]
    pub work: Work,
}

impl Action {
    /// Deletes the object (its target) and creates it anew: a setting the API cannot
    /// update changed.
    pub fn replaces(&self) -> bool {
        self.action == Op::Replace
    }

    /// Whether applying it deletes an object.
    pub fn destroys(&self) -> bool {
        self.action == Op::Delete || self.replaces()
    }

    /// Whether applying it needs a yes: every delete, and every replacement but those that
    /// only start something again (a job run).
    pub fn needs_approval(&self) -> bool {
        self.action == Op::Delete
            || (self.replaces()
                && kinds::spec(&self.kind).is_none_or(|s| s.api.replace_needs_approval()))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub bundle: String,
    pub target: String,
    pub root_path: String,
    pub actions: Vec<Action>,
}

impl Plan {
    pub fn count(&self, op: Op) -> usize {
        self.actions.iter().filter(|a| a.action == op).count()
    }

    /// How many objects the plan writes (creates, updates, replacements, deletes).
    pub fn changes(&self) -> usize {
        self.actions.iter().filter(|a| a.action.writes()).count()
    }

    /// Whether two plans write the same objects the same way.
    pub fn same_changes(&self, other: &Plan) -> bool {
        let writes = |p: &Plan| -> Vec<(Op, String, String)> {
            p.actions
                .iter()
                .filter(|a| a.action.writes())
                .map(|a| (a.action, a.kind.clone(), a.name.clone()))
                .collect()
        };
        writes(self) == writes(other)
    }

    /// Objects the plan deletes, replacements included (they need the same approval).
    pub fn deletes(&self) -> usize {
        self.actions.iter().filter(|a| a.destroys()).count()
    }

    pub fn summary(&self) -> Value {
        json!({
            "create": self.count(Op::Create),
            "update": self.count(Op::Update),
            "replace": self.count(Op::Replace),
            "delete": self.count(Op::Delete),
            "unchanged": self.count(Op::Unchanged),
            "orphaned": self.count(Op::Orphaned),
        })
    }
}

/// Hash of what a resource sends: settings with known ids, and its access list.
pub fn resource_hash(settings: &Value, acl: &[Value]) -> String {
    sha256(
        canonical(&json!({ "settings": settings, "acl": acl }))
            .to_string()
            .as_bytes(),
    )
}

/// Resource (kind, key) pairs in an order where each comes after what it refers to.
pub fn ordered(bundle: &Bundle) -> Result<Vec<(String, String)>, String> {
    let rank = kinds::rank;
    let mut pending: Vec<(String, String)> = bundle
        .resources
        .iter()
        .map(|r| (r.kind.clone(), r.key.clone()))
        .collect();
    pending.sort_by_key(|(k, key)| (rank(k), key.clone()));
    let mut done: BTreeSet<(String, String)> = BTreeSet::new();
    let mut out = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|(k, key)| {
            let r = bundle.resource(k, key).expect("listed from the bundle");
            deps(&r.settings).iter().all(|d| done.contains(d))
        });
        match ready {
            Some(i) => {
                let next = pending.remove(i);
                done.insert(next.clone());
                out.push(next);
            }
            None => {
                let names: Vec<String> = pending
                    .iter()
                    .map(|(k, key)| format!("resources.{k}.{key}"))
                    .collect();
                return Err(format!(
                    "these resources refer to each other's ids in a loop: {}",
                    names.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

/// A file brickci uploads from memory: it is not part of the bundle's folder.
#[derive(Debug, Clone)]
pub struct Generated {
    /// How the plan names it.
    pub name: String,
    pub remote: String,
    pub bytes: std::sync::Arc<Vec<u8>>,
}

pub struct Inputs<'a> {
    pub bundle: &'a Bundle,
    pub state: &'a DeployState,
    pub files: &'a [LocalFile],
    pub libraries: &'a [LibraryFile],
    /// Files brickci itself puts in the workspace (the callback's binary and launcher).
    pub generated: &'a [Generated],
    pub prune: bool,
    pub concurrency: usize,
}

pub async fn compute(client: &Client, inp: Inputs<'_>) -> Result<Plan, PlanError> {
    let mut actions = Vec::new();
    // Remote path -> the local file that goes there: two files must not land on one path
    // (notebooks lose their extension: `a.py` and `a.sql` would both be `a`).
    let mut wanted_paths: BTreeMap<String, String> = BTreeMap::new();
    let mut claim = |remote: &str, local: String| match wanted_paths.get(remote) {
        Some(first) => Err(PlanError::Config(format!(
            "{first} and {local} would both be uploaded to {remote}; rename one or exclude it from sync"
        ))),
        None => {
            wanted_paths.insert(remote.to_string(), local);
            Ok(())
        }
    };
    // Every upload is read through the bundle's roots, and the resolved path is what apply
    // reads again: no symlink is followed a second time.
    let roots = Roots::new(&inp.bundle.root);
    for f in inp.files {
        let full = roots
            .file(&inp.bundle.root.join(&f.local))
            .map_err(|e| PlanError::Local(e.to_string()))?;
        let limit = if f.notebook { IMPORT_LIMIT } else { u64::MAX };
        let bytes = roots.read_limited(&full, limit).map_err(|e| match e {
            Refused::TooLarge { .. } => PlanError::Local(format!(
                "notebook {e}: the workspace imports notebooks up to that size"
            )),
            other => PlanError::Local(other.to_string()),
        })?;
        let kind = if f.notebook { "notebook" } else { "file" };
        let hash = format!("{kind}:{}", sha256(&bytes));
        claim(&f.remote, f.local.clone())?;
        actions.push(upload_action(
            inp.state, kind, &f.local, &f.remote, hash, full, f.notebook,
        ));
    }
    for l in inp.libraries {
        let full = roots
            .file(&l.local)
            .map_err(|e| PlanError::Local(e.to_string()))?;
        let bytes = roots
            .read(&full)
            .map_err(|e| PlanError::Local(e.to_string()))?;
        let hash = format!("library:{}", sha256(&bytes));
        claim(&l.remote, l.local.display().to_string())?;
        let name = l
            .local
            .strip_prefix(&inp.bundle.root)
            .unwrap_or(&l.local)
            .to_string_lossy()
            .into_owned();
        actions.push(upload_action(
            inp.state, "library", &name, &l.remote, hash, full, false,
        ));
    }
    for g in inp.generated {
        let hash = format!("library:{}", sha256(&g.bytes));
        claim(&g.remote, g.name.clone())?;
        let mut action = upload_action(
            inp.state,
            "library",
            &g.name,
            &g.remote,
            hash,
            Default::default(),
            false,
        );
        if let Work::Upload { content, .. } = &mut action.work {
            *content = Some(g.bytes.clone());
        }
        actions.push(action);
    }
    actions.extend(super::prune::files_gone(
        inp.state,
        &wanted_paths,
        &inp.bundle.workspace,
        inp.prune,
    ));
    let order = ordered(inp.bundle).map_err(PlanError::Config)?;
    let alive = super::alive::check(client, inp.state, inp.concurrency)
        .await
        .map_err(PlanError::Api)?;
    let mut fresh: BTreeSet<(String, String)> = BTreeSet::new();
    for (kind, key) in &order {
        let r = inp
            .bundle
            .resource(kind, key)
            .expect("ordered from the bundle");
        let acl = kinds::access_list(kind, &r.settings, &inp.bundle.permissions);
        let id_of = |k: &str, n: &str, field: &str| {
            if fresh.contains(&(k.to_string(), n.to_string())) {
                return None;
            }
            inp.state
                .resource(k, n)
                .filter(|_| {
                    alive
                        .get(&(k.to_string(), n.to_string()))
                        .copied()
                        .unwrap_or(false)
                })
                .and_then(|e| e.value(field))
        };
        let filled = fill(&r.settings, &id_of);
        let hash = resource_hash(&filled, &acl);
        let recorded = inp.state.resource(kind, key);
        let is_alive = alive
            .get(&(kind.clone(), key.clone()))
            .copied()
            .unwrap_or(false);
        let pending: Vec<String> = deps(&r.settings)
            .into_iter()
            .filter(|d| fresh.contains(d))
            .map(|(k, n)| format!("resources.{k}.{n}"))
            .collect();
        let outdated = match recorded {
            Some(e) if is_alive => kinds::outdated(client, kind, key, &e.id, &filled)
                .await
                .map_err(PlanError::Api)?,
            _ => None,
        };
        let (op, reason) = match recorded {
            None => (Op::Create, "new".to_string()),
            Some(e) if !is_alive => (
                Op::Create,
                format!("recorded id {} no longer exists; created again", e.id),
            ),
            // The old id is its target: apply deletes that one, then creates.
            Some(e) if outdated.is_some() => (
                Op::Replace,
                format!("replaces {}: {}", e.id, outdated.unwrap_or_default()),
            ),
            Some(e) if e.hash.is_empty() => (
                Op::Update,
                if e.settings.is_null() {
                    "adopted from the Databricks CLI's deployment state; full settings sent once"
                } else {
                    "the last deploy stopped before finishing it; sent again"
                }
                .into(),
            ),
            Some(_) if !pending.is_empty() => (
                Op::Update,
                format!("refers to {}, created in this deploy", pending.join(", ")),
            ),
            Some(e) if e.hash == hash => (Op::Unchanged, "same settings".into()),
            Some(e) => {
                if let Some((field, why, replace)) = fixed_field_changed(kind, &e.settings, &filled)
                {
                    let change = format!(
                        "{field} changes from {} to {}, {why}",
                        at(&e.settings, field),
                        at(&filled, field)
                    );
                    if !replace {
                        return Err(PlanError::Config(format!(
                            "resources.{kind}.{key}.{change}: give the resource a new key to create it anew (--prune deletes the old one), or keep the old value"
                        )));
                    }
                    // The old id is its target: apply deletes that one, then creates.
                    (Op::Replace, format!("replaces {}: {change}", e.id))
                } else {
                    update_reason(&e.settings, &kinds::recorded(kind, &filled))
                }
            }
        };
        // A new id: whatever refers to it is sent again.
        if matches!(op, Op::Create | Op::Replace) {
            fresh.insert((kind.clone(), key.clone()));
        }
        actions.push(Action {
            action: op,
            kind: kind.clone(),
            name: key.clone(),
            target: recorded.filter(|_| is_alive).map(|e| e.id.clone()),
            reason,
            work: Work::Resource {
                settings: r.settings.clone(),
                acl,
            },
        });
    }
    for (kind, entries) in &inp.state.resources {
        for (key, e) in entries {
            if inp.bundle.resource(kind, key).is_none() {
                actions.push(gone(inp.prune, kind, key, Some(e.id.clone())));
            }
        }
    }
    Ok(Plan {
        bundle: inp.bundle.name.clone(),
        target: inp.bundle.target.clone(),
        root_path: inp.bundle.workspace.root_path.clone(),
        actions,
    })
}

/// An update and what changed.
fn update_reason(before: &Value, now: &Value) -> (Op, String) {
    let diff = differences(before, now, 6);
    let reason = if diff.is_empty() {
        "permissions changed".into()
    } else {
        format!("changed: {}", diff.join(", "))
    };
    (Op::Update, reason)
}

/// A setting that an update cannot change (`KindSpec::fixed`), when it differs from what
/// was deployed, why it cannot, and whether the kind is replaced for it.
fn fixed_field_changed(
    kind: &str,
    before: &Value,
    now: &Value,
) -> Option<(&'static str, &'static str, bool)> {
    let spec = kinds::spec(kind)?;
    // Only against recorded settings: ids adopted from another tool have none.
    if before.is_null() {
        return None;
    }
    spec.fixed
        .iter()
        .copied()
        .find(|f| at(before, f) != at(now, f))
        .map(|f| (f, spec.fixed_reason, spec.replace))
}

/// The value at a dotted settings path (`config.auto_capture_config.catalog_name`); null
/// when unset.
fn at<'v>(settings: &'v Value, path: &str) -> &'v Value {
    path.split('.')
        .try_fold(settings, |v, part| v.get(part))
        .unwrap_or(&Value::Null)
}

fn upload_action(
    state: &DeployState,
    kind: &str,
    name: &str,
    remote: &str,
    hash: String,
    local: std::path::PathBuf,
    notebook: bool,
) -> Action {
    let (op, reason) = match state.files.get(remote) {
        None => (Op::Create, "new".to_string()),
        Some(e) if e.hash == hash => (Op::Unchanged, "same content".into()),
        Some(_) => (Op::Update, "content changed".into()),
    };
    let state_kind = match kind {
        "notebook" => "notebook",
        "library" => "library",
        _ => "file",
    };
    Action {
        action: op,
        kind: kind.into(),
        name: name.into(),
        target: Some(remote.into()),
        reason,
        work: Work::Upload {
            local,
            content: None,
            notebook,
            hash,
            state_kind,
        },
    }
}

fn gone(prune: bool, kind: &str, name: &str, target: Option<String>) -> Action {
    let (op, reason) = if prune {
        (Op::Delete, "no longer in the bundle".to_string())
    } else {
        (
            Op::Orphaned,
            "no longer in the bundle; kept (--prune deletes it)".to_string(),
        )
    };
    Action {
        action: op,
        kind: kind.into(),
        name: name.into(),
        target,
        reason,
        work: Work::Remove,
    }
}

#[derive(Debug)]
pub enum PlanError {
    Config(String),
    Local(String),
    Api(ClientError),
}
