//! A local, stateful Databricks workspace: the REST endpoints brickci uses, with the real
//! service's status codes and error bodies, OAuth token endpoints, runs on an emulated clock,
//! scripted notebook outcomes, fault injection and a request log.
//!
//! It shares no request or response types with the client in `crate::databricks`: written
//! from the API contract on its own, it catches the client's wrong assumptions.

mod args;
mod callback_process;
mod clock;
mod errors;
mod faults;
mod federation;
mod handlers_alerts;
mod handlers_apps;
mod handlers_auth;
mod handlers_catalogs;
mod handlers_compute;
mod handlers_dashboards;
mod handlers_database_catalogs;
mod handlers_database_instances;
mod handlers_external_locations;
mod handlers_genie;
mod handlers_grants;
mod handlers_jobs;
mod handlers_jobs_crud;
mod handlers_misc;
mod handlers_mlflow;
mod handlers_mlflow_models;
mod handlers_model_versions;
mod handlers_pipelines;
mod handlers_pools;
mod handlers_postgres;
mod handlers_postgres_create;
mod handlers_quality_monitors;
mod handlers_serving;
mod handlers_sql_alerts;
mod handlers_storage;
mod handlers_synced_tables;
mod handlers_uc;
mod handlers_uc_secrets;
mod handlers_vector_search;
mod handlers_vector_search_indexes;
mod handlers_warehouses;
mod handlers_workspace;
mod kind_objects;
mod lifecycle;
mod mlflow_search;
mod more_objects;
mod notebook_script;
mod objects;
mod pagination;
mod pipeline_updates;
mod postgres_objects;
mod postgres_views;
mod rate_limits;
mod routes_kinds;
mod routes_more_kinds;
mod runs;
mod server;
mod state;
mod workspace_tree;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use args::{EmulatorArgs, serve};
pub use faults::{FaultKind, FaultParseError, FaultRule};
pub use federation::FederationPolicy;
pub use rate_limits::{RateLimit, RateLimitParseError};

#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub bind: SocketAddr,
    /// Emulated seconds per real second.
    pub clock_speed: f64,
    /// Accepted personal access tokens.
    pub tokens: Vec<String>,
    /// OAuth M2M clients.
    pub service_principals: Vec<ServicePrincipal>,
    /// Lifetime of issued OAuth tokens, in emulated seconds.
    pub token_ttl_secs: u64,
    /// SCIM userName of PAT callers.
    pub user_name: String,
    pub faults: Vec<FaultRule>,
    /// Seed of the draws for faults that affect a share of requests.
    pub fault_seed: u64,
    /// Per-endpoint rate limits (token buckets); over one, a 429 with `Retry-After`.
    pub rate_limits: Vec<RateLimit>,
    /// Workload identity federation policies for the token-exchange grant.
    pub federation: Vec<FederationPolicy>,
    /// More read-only objects (`--objects`), or null.
    pub objects: serde_json::Value,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock_speed: 1.0,
            tokens: vec!["dapi-emulator-token".into()],
            service_principals: vec![ServicePrincipal {
                client_id: "emulator-sp".into(),
                client_secret: "emulator-sp-secret".into(),
            }],
            token_ttl_secs: 3600,
            user_name: "ci-bot@example.com".into(),
            faults: Vec::new(),
            fault_seed: 1,
            rate_limits: Vec::new(),
            federation: Vec::new(),
            objects: serde_json::Value::Null,
        }
    }
}

/// One request as the emulator saw it. The Authorization header is never recorded.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub seq: u64,
    /// Real milliseconds since the emulator started.
    pub at_ms: u64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub fault: Option<String>,
    /// The JSON body, or null.
    pub body: serde_json::Value,
}

pub(crate) type Shared = Arc<Mutex<State>>;
use state::State;

pub(crate) fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct EmulatorHandle {
    url: String,
    state: Shared,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl EmulatorHandle {
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state).log.clone()
    }

    /// Adds a federation policy (its audience may name this emulator's own URL).
    pub fn add_federation_policy(&self, policy: FederationPolicy) {
        lock(&self.state).config.federation.push(policy);
    }

    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.state).faults.push(rule);
    }

    pub fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    pub fn add_rate_limit(&self, rule: RateLimit) {
        lock(&self.state).add_rate_limit(rule);
    }

    /// Moves the emulated clock on by `ms`: with a near-frozen clock a test sees each
    /// asynchronous state for as long as it likes, however loaded the machine is.
    pub fn advance_clock(&self, ms: u64) {
        lock(&self.state).clock.advance(ms);
    }

    pub fn clear_rate_limits(&self) {
        lock(&self.state).limiters.clear();
    }

    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }

    /// Runs until the server stops (it stops on `shutdown` only).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

pub async fn start(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let state: Shared = Arc::new(Mutex::new(State::new(config, url.clone())));
    let app = server::router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(EmulatorHandle {
        url,
        state,
        shutdown: tx,
        task,
    })
}
