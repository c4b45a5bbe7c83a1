//! Carries out a plan: folders once, then uploads, then resources in dependency order, then
//! deletions; bounded concurrency throughout. The first failure stops new work; what was
//! done is recorded in the state either way, so the next deploy resumes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::artifacts;
use super::files;
use super::kinds::{self, CreateOptions};
use super::plan::{Action, Op, Plan, Work, resource_hash};
use super::refs::fill;
use super::state::{DeployState, FileEntry, ResourceEntry};
use crate::databricks::{Client, ClientError, workspace};
use crate::signal::Interrupt;

pub struct ApplyOptions {
    pub concurrency: usize,
    pub create: CreateOptions,
    /// A signal stops new work like a failure does; what is under way finishes and is recorded.
    pub interrupt: Interrupt,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Applied {
    /// Planned changes carried out.
    pub done: usize,
}

/// Why an object could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Api(#[from] ClientError),
    /// Something on this side: a local file, an ambiguous outcome, an impossible order.
    #[error("{0}")]
    Local(String),
}

/// The first error and what it was about.
#[derive(Debug)]
pub struct ApplyError {
    pub what: String,
    pub error: Failure,
}

struct Shared {
    client: Client,
    state: Mutex<DeployState>,
    failed: AtomicBool,
    first_error: Mutex<Option<ApplyError>>,
    interrupt: Interrupt,
}

impl Shared {
    fn fail(&self, what: String, error: impl Into<Failure>) {
        self.failed.store(true, Ordering::SeqCst);
        let mut slot = self.first_error.lock().expect("not poisoned");
        if slot.is_none() {
            *slot = Some(ApplyError {
                what,
                error: error.into(),
            });
        }
    }

    /// No new work starts after a failure or a signal.
    fn stopped(&self) -> bool {
        self.failed.load(Ordering::SeqCst) || self.interrupt.received().is_some()
    }
}

/// Applies `plan`, updating `state` as objects are written. Returns the state and the first
/// error, if any (the state is complete either way).
pub async fn apply(
    client: &Client,
    plan: &Plan,
    state: DeployState,
    opts: &ApplyOptions,
) -> (DeployState, Applied, Option<ApplyError>) {
    let shared = Arc::new(Shared {
        client: client.clone(),
        state: Mutex::new(state),
        failed: AtomicBool::new(false),
        first_error: Mutex::new(None),
        interrupt: opts.interrupt.clone(),
    });
    let mut applied = Applied::default();
    let uploads: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| {
            matches!(a.work, Work::Upload { .. }) && matches!(a.action, Op::Create | Op::Update)
        })
        .collect();

    // Folders: each created once, only the deepest of a chain (every store makes parents),
    // and none the state shows exists already (a workspace folder deleted behind our back is
    // made again when an upload finds its parent missing).
    let folders: Vec<String> = {
        let st = shared.state.lock().expect("not poisoned");
        files::folders_for(uploads.iter().filter_map(|a| a.target.as_deref()))
            .into_iter()
            .filter(|d| {
                !matches!(artifacts::store_of(d), artifacts::Store::Workspace)
                    || !files::recorded_under(st.files.keys().map(String::as_str), d)
            })
            .collect()
    };
    // Folders are a means, not a planned change: not counted (a failure lands in `first_error`).
    super::pool::run_all(opts.concurrency, folders, |dir| {
        let s = shared.clone();
        async move {
            if s.stopped() {
                return false;
            }
            match artifacts::ensure_folder(&s.client, &dir).await {
                Ok(()) => true,
                Err(e) => {
                    s.fail(format!("folder {dir}"), e);
                    false
                }
            }
        }
    })
    .await;

    let jobs: Vec<Action> = uploads.into_iter().cloned().collect();
    let results = super::pool::run_all(opts.concurrency, jobs, |a| {
        let s = shared.clone();
        async move { upload(&s, &a).await }
    })
    .await;
    tally(&mut applied, &results);

    // Resources: the plan lists them in dependency order; each waits for what it refers to,
    // so independent ones run side by side in waves.
    let mut pending: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| {
            matches!(a.work, Work::Resource { .. })
                && matches!(a.action, Op::Create | Op::Update | Op::Replace)
        })
        .collect();
    let rank = kinds::rank;
    while !pending.is_empty() && !shared.stopped() {
        // What refers to another waits for it; of what is free to go, the earliest kind goes
        // first (a volume needs its schema even when it names it without an id reference).
        let free = |a: &Action| match &a.work {
            Work::Resource { settings, .. } => super::refs::deps(settings)
                .iter()
                .all(|d| !pending.iter().any(|p| p.kind == d.0 && p.name == d.1)),
            _ => true,
        };
        let Some(first_rank) = pending
            .iter()
            .filter(|a| free(a))
            .map(|a| rank(&a.kind))
            .min()
        else {
            // The plan orders references, so this is a loop it missed: say so, never skip.
            let names: Vec<String> = pending
                .iter()
                .map(|a| format!("{}.{}", a.kind, a.name))
                .collect();
            shared.fail(
                names.join(", "),
                Failure::Local("these resources refer to each other in a loop".into()),
            );
            break;
        };
        let (ready, later): (Vec<&Action>, Vec<&Action>) = pending
            .iter()
            .partition(|a| free(a) && rank(&a.kind) == first_rank);
        let wave: Vec<Action> = ready.into_iter().cloned().collect();
        let results = super::pool::run_all(opts.concurrency, wave, |a| {
            let s = shared.clone();
            let create = opts.create;
            async move { resource(&s, &a, create).await }
        })
        .await;
        tally(&mut applied, &results);
        pending = later;
    }

    // Deletions last: resources in reverse deploy order, then files.
    let mut deletes: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.action == Op::Delete)
        .collect();
    deletes.sort_by_key(|a| {
        std::cmp::Reverse(kinds::spec(&a.kind).map_or(-1, |_| kinds::rank(&a.kind) as i64))
    });
    for a in deletes {
        if shared.stopped() {
            break;
        }
        let ok = remove(&shared, a).await;
        tally(&mut applied, &[ok]);
    }
    let shared = Arc::try_unwrap(shared).ok().expect("all tasks finished");
    let error = shared.first_error.into_inner().expect("not poisoned");
    (
        shared.state.into_inner().expect("not poisoned"),
        applied,
        error,
    )
}

fn tally(applied: &mut Applied, results: &[bool]) {
    applied.done += results.iter().filter(|ok| **ok).count();
}

async fn upload(s: &Shared, a: &Action) -> bool {
    if s.stopped() {
        return false;
    }
    let Work::Upload {
        local,
        content,
        notebook,
        hash,
        state_kind,
    } = &a.work
    else {
        return false;
    };
    let remote = a.target.clone().unwrap_or_default();
    // `local` was resolved and checked by the plan; still never open a special file.
    let path = local.clone();
    let made = content.clone();
    let read = tokio::task::spawn_blocking(move || match made {
        Some(bytes) => Ok(bytes.as_ref().clone()),
        None => crate::bundle::local_file::Roots::anywhere().read(&path),
    })
    .await
    .unwrap_or_else(|e| {
        Err(crate::bundle::local_file::Refused::Io {
            path: local.clone(),
            source: std::io::Error::other(e),
        })
    });
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            s.fail(
                format!("{} {}", a.kind, a.name),
                Failure::Local(e.to_string()),
            );
            return false;
        }
    };
    let send = |bytes| send_upload(s, a, &remote, bytes, state_kind, *notebook);
    let mut result = send(&bytes).await;
    // The state said the folder was there; someone removed it since. Make it, send again.
    if let Err(e) = &result
        && e.is_not_found()
        && matches!(artifacts::store_of(&remote), artifacts::Store::Workspace)
        && let Some((dir, _)) = remote.rsplit_once('/')
    {
        tracing::info!(folder = dir, "the folder is gone; making it again");
        result = match artifacts::ensure_folder(&s.client, dir).await {
            Ok(()) => send(&bytes).await,
            Err(e) => Err(e),
        };
    }
    match result {
        Ok(()) => {
            let entry = FileEntry {
                hash: hash.clone(),
                kind: state_kind.to_string(),
            };
            s.state
                .lock()
                .expect("not poisoned")
                .files
                .insert(remote, entry);
            true
        }
        Err(e) => {
            s.fail(format!("{} {}", a.kind, a.name), e);
            false
        }
    }
}

async fn send_upload(
    s: &Shared,
    a: &Action,
    remote: &str,
    bytes: &[u8],
    state_kind: &str,
    notebook: bool,
) -> Result<(), ClientError> {
    if state_kind == "library" {
        artifacts::upload(&s.client, remote, bytes.to_vec()).await
    } else {
        let format = files::import_format(&a.name, notebook);
        files::upload(&s.client, remote, bytes, format).await
    }
}

async fn resource(s: &Shared, a: &Action, opts: CreateOptions) -> bool {
    if s.stopped() {
        return false;
    }
    let Work::Resource { settings, acl } = &a.work else {
        return false;
    };
    let filled = {
        let state = s.state.lock().expect("not poisoned");
        fill(settings, &|k, n, f| {
            state.resource(k, n).and_then(|e| e.value(f))
        })
    };
    let hash = resource_hash(&filled, acl);
    let (previous, previous_acl) = s
        .state
        .lock()
        .expect("not poisoned")
        .resource(&a.kind, &a.name)
        .map(|e| (e.settings.clone(), e.acl.clone()))
        .unwrap_or_default();
    let created = !matches!((a.action, &a.target), (Op::Update, Some(_)));
    let result = match (a.action, &a.target) {
        (Op::Update, Some(id)) => {
            kinds::update(&s.client, &a.kind, &a.name, id, &filled, &previous)
                .await
                .map_err(Failure::from)
        }
        // A replacement (a setting the API cannot update changed): the old one goes first,
        // as the new one takes its name.
        (Op::Replace, Some(old)) => {
            match kinds::delete(&s.client, &a.kind, &a.name, old, &previous).await {
                Ok(()) => create(s, a, &filled).await,
                Err(e) => Err(Failure::from(e)),
            }
        }
        _ => create(s, a, &filled).await,
    };
    let id = match result {
        Ok(id) => id,
        Err(e) => {
            s.fail(format!("{}.{}", a.kind, a.name), e);
            return false;
        }
    };
    // Record the id before anything else can fail, so a retry never creates it twice.
    let entry = ResourceEntry {
        id: id.clone(),
        hash: String::new(),
        settings: kinds::recorded(&a.kind, &filled),
        acl: previous_acl.clone(),
        computed: Default::default(),
    };
    s.state
        .lock()
        .expect("not poisoned")
        .set_resource(&a.kind, &a.name, entry);
    let settled = if created {
        kinds::after_create(&s.client, &a.kind, &a.name, &id, opts).await
    } else {
        kinds::after_update(&s.client, &a.kind, &a.name, &id).await
    };
    if let Err(e) = settled {
        s.fail(format!("{}.{}", a.kind, a.name), e);
        return false;
    }
    if let Err(e) = kinds::apply_permissions(&s.client, &a.kind, &id, acl, &previous_acl).await {
        s.fail(format!("permissions of {}.{}", a.kind, a.name), e);
        return false;
    }
    let computed = match kinds::computed(&s.client, &a.kind, &a.name, &id).await {
        Ok(c) => c,
        Err(e) => {
            s.fail(format!("{}.{}", a.kind, a.name), e);
            return false;
        }
    };
    let entry = ResourceEntry {
        id,
        hash,
        settings: kinds::recorded(&a.kind, &filled),
        acl: acl.clone(),
        computed,
    };
    s.state
        .lock()
        .expect("not poisoned")
        .set_resource(&a.kind, &a.name, entry);
    true
}

/// Creates, but when the answer to a create was lost the object may exist: look for it by
/// name before sending the create again. Only an object that was not there before the
/// create counts, so a namesake made by someone else is never taken over.
async fn create(s: &Shared, a: &Action, settings: &Value) -> Result<String, Failure> {
    let before = kinds::named(&s.client, &a.kind, settings).await?;
    match kinds::create(&s.client, &a.kind, &a.name, settings).await {
        Err(ClientError::NoResponse { .. }) => {
            tracing::warn!(resource = %format!("{}.{}", a.kind, a.name), "the create's answer was lost; checking whether it happened");
            let after = kinds::named(&s.client, &a.kind, settings).await?;
            let new: Vec<String> = after
                .into_iter()
                .filter(|id| !before.contains(id))
                .collect();
            match new.as_slice() {
                [] => Ok(kinds::create(&s.client, &a.kind, &a.name, settings).await?),
                [id] => Ok(id.clone()),
                many => Err(Failure::Local(format!(
                    "the create's answer was lost and {} objects of that name appeared since ({}); not guessing which is ours",
                    many.len(),
                    many.join(", ")
                ))),
            }
        }
        other => Ok(other?),
    }
}

async fn remove(s: &Shared, a: &Action) -> bool {
    let target = a.target.clone().unwrap_or_default();
    let result = match a.kind.as_str() {
        "notebook" | "file" => workspace::delete(&s.client, &target, false).await,
        "library" => artifacts::delete(&s.client, &target).await,
        kind => {
            let last = s
                .state
                .lock()
                .expect("not poisoned")
                .resource(kind, &a.name)
                .map(|e| e.settings.clone())
                .unwrap_or_default();
            kinds::delete(&s.client, kind, &a.name, &target, &last).await
        }
    };
    match result {
        Ok(()) => {
            let mut state = s.state.lock().expect("not poisoned");
            match a.kind.as_str() {
                "notebook" | "file" | "library" => {
                    state.files.remove(&target);
                }
                kind => state.remove_resource(kind, &a.name),
            }
            true
        }
        Err(e) => {
            s.fail(format!("deleting {} {}", a.kind, a.name), e);
            false
        }
    }
}
