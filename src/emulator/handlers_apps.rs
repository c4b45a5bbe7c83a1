//! Databricks Apps: create (compute STARTING, then ACTIVE), get, update, delete, list,
//! start/stop (STARTING→ACTIVE, STOPPING→STOPPED), app updates, and deployments
//! (IN_PROGRESS, then SUCCEEDED or FAILED). A deployment fails when its source folder does
//! not exist in the workspace or one of its files carries the directive
//! `brickci-emulator: fail "message"` (as notebooks do); it then leaves the running
//! deployment in place.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::handlers_jobs::bearer;
use super::kind_objects::text;
use super::lifecycle::{Pending, timestamp};
use super::pagination::sized;
use super::state::State;
use super::{Shared, lock, notebook_script, workspace_tree};

/// Emulated time app compute spends STARTING or STOPPING.
pub const COMPUTE_MS: u64 = 30_000;
/// Emulated time a deployment stays IN_PROGRESS.
pub const DEPLOY_MS: u64 = 20_000;

/// What create and update take from a request.
const SETTABLE: &[&str] = &[
    "description",
    "resources",
    "user_api_scopes",
    "budget_policy_id",
    "usage_policy_id",
    "compute_size",
    "git_repository",
    "telemetry_export_destinations",
];

fn missing(name: &str) -> Response {
    not_found(format!(
        "App with name {name} does not exist or is deleted."
    ))
}

fn key(name: &str) -> String {
    format!("apps/{name}")
}

/// App names: 2 to 30 lowercase letters, digits and hyphens, not starting or ending with a
/// hyphen.
pub fn valid_name(name: &str) -> bool {
    (2..=30).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn compute(state: &str, message: &str) -> Value {
    json!({"state": state, "message": message})
}

/// Schedules a compute change: now in `via`, `to` after `COMPUTE_MS`.
fn change_compute(s: &mut State, name: &str, via: &str, to: &str, message: &str) {
    let now = s.clock.now_ms();
    if let Some(a) = s.objects.kinds.apps.get_mut(name) {
        a["compute_status"] = compute(via, &format!("App compute is {}.", via.to_lowercase()));
    }
    s.objects.kinds.schedule.set(
        &key(name),
        Pending {
            pointer: "/compute_status/state",
            to: to.into(),
            message: Some(message.into()),
            at_ms: now + COMPUTE_MS,
        },
    );
}

/// The outcome of deploying `source`: None when it deploys, or the failure message.
fn deploy_outcome(s: &State, source: &str) -> Option<String> {
    let Some(dir) = workspace_tree::normalize(source) else {
        return Some(format!(
            "Source code path {source} is not a workspace path."
        ));
    };
    match s.tree.get(&dir) {
        Some(o) if o.kind == workspace_tree::Kind::Directory => {}
        _ => return Some(format!("Source code path {source} does not exist.")),
    }
    s.tree.descendants(&dir).iter().find_map(|p| {
        let o = s.tree.get(p)?;
        let script = notebook_script::parse(&String::from_utf8_lossy(&o.content));
        script
            .fail
            .map(|(m, _)| format!("App crashed unexpectedly: {m}"))
    })
}

/// Applies whatever is due: compute changes, then the pending deployment's end.
fn settle(s: &mut State, name: &str) -> bool {
    let now = s.clock.now_ms();
    let Some(app) = s.objects.kinds.apps.get_mut(name) else {
        return false;
    };
    s.objects.kinds.schedule.settle(&key(name), app, now);
    let stopped = app["compute_status"]["state"] != "ACTIVE";
    let deployments = s
        .objects
        .kinds
        .deployments
        .entry(name.to_string())
        .or_default();
    for d in deployments.iter_mut() {
        s.objects.kinds.schedule.settle(
            &format!("deployments/{}", text(d, "deployment_id")),
            d,
            now,
        );
    }
    let pending = app["pending_deployment"]["deployment_id"]
        .as_str()
        .map(str::to_string);
    if let Some(pid) = pending
        && let Some(d) = deployments
            .iter()
            .find(|d| d["deployment_id"] == pid.as_str())
        && d["status"]["state"] != "IN_PROGRESS"
    {
        if d["status"]["state"] == "SUCCEEDED" {
            app["active_deployment"] = d.clone();
            app["default_source_code_path"] = d["source_code_path"].clone();
            if !stopped {
                app["app_status"] =
                    json!({"state": "RUNNING", "message": "App has status: App is running"});
            }
        } else if app["active_deployment"].is_null() {
            app["app_status"] = json!({"state": "CRASHED", "message": d["status"]["message"]});
        }
        if let Some(m) = app.as_object_mut() {
            m.remove("pending_deployment");
        }
    }
    if stopped && app["app_status"]["state"] == "RUNNING" {
        app["app_status"] = json!({"state": "UNAVAILABLE", "message": "App is not running."});
    }
    true
}

fn settled_app(s: &mut State, name: &str) -> Option<Value> {
    settle(s, name).then(|| s.objects.kinds.apps.get(name).cloned())?
}

pub async fn create(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let name = text(&req, "name").to_string();
    if name.is_empty() {
        return invalid_parameter("Missing required field: name");
    }
    if !valid_name(&name) {
        return invalid_parameter(format!(
            "Invalid app name {name}: use 2 to 30 lowercase letters, numbers and hyphens, not starting or ending with a hyphen."
        ));
    }
    let no_compute = q.get("no_compute").is_some_and(|v| v == "true");
    let mut s = lock(&state);
    if s.objects.kinds.apps.contains_key(&name) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("An app with the same name ({name}) already exists."),
        );
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = timestamp(s.clock.now_ms());
    let sp_id = s.next_id();
    let ws = s.workspace_id.clone();
    let mut app = json!({
        "name": name, "id": uuid::Uuid::new_v4().to_string(),
        "url": format!("https://{name}-{ws}.aws.databricksapps.com"),
        "app_status": {"state": "UNAVAILABLE", "message": "App has not been deployed yet."},
        "compute_status": compute("STOPPED", "App is stopped."),
        "compute_size": "MEDIUM",
        "service_principal_id": 7_100_000_000_000_000i64 + sp_id,
        "service_principal_client_id": uuid::Uuid::new_v4().to_string(),
        "service_principal_name": format!("app-{} {name}", &format!("{sp_id:x}")),
        "creator": user, "updater": user, "create_time": now, "update_time": now,
        "effective_user_api_scopes": [],
    });
    for f in SETTABLE {
        if let Some(x) = req.get(*f).filter(|x| !x.is_null()) {
            app[*f] = x.clone();
        }
    }
    if let Some(scopes) = req.get("user_api_scopes").filter(|x| x.is_array()) {
        app["effective_user_api_scopes"] = scopes.clone();
    }
    s.objects.kinds.apps.insert(name.clone(), app);
    if !no_compute {
        change_compute(
            &mut s,
            &name,
            "STARTING",
            "ACTIVE",
            "App compute is active.",
        );
    }
    let app = s.objects.kinds.apps.get(&name).cloned().unwrap_or_default();
    Json(app).into_response()
}

pub async fn get(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    match settled_app(&mut lock(&state), &name) {
        Some(a) => Json(a).into_response(),
        None => missing(&name),
    }
}

pub async fn update(
    AxState(state): AxState<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    if !settle(&mut s, &name) {
        return missing(&name);
    }
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now = timestamp(s.clock.now_ms());
    let Some(app) = s.objects.kinds.apps.get_mut(&name) else {
        return missing(&name);
    };
    for f in SETTABLE {
        match req.get(*f).filter(|x| !x.is_null()) {
            Some(x) => app[*f] = x.clone(),
            None if *f == "compute_size" => {}
            None => {
                if let Some(m) = app.as_object_mut() {
                    m.remove(*f);
                }
            }
        }
    }
    app["effective_user_api_scopes"] = req.get("user_api_scopes").cloned().unwrap_or(json!([]));
    app["updater"] = json!(user);
    app["update_time"] = json!(now);
    Json(app.clone()).into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let mut s = lock(&state);
    let Some(mut app) = settled_app(&mut s, &name) else {
        return missing(&name);
    };
    s.objects.kinds.apps.remove(&name);
    s.objects.kinds.app_updates.remove(&name);
    for d in s
        .objects
        .kinds
        .deployments
        .remove(&name)
        .unwrap_or_default()
    {
        s.objects
            .kinds
            .schedule
            .clear(&format!("deployments/{}", text(&d, "deployment_id")));
    }
    s.objects.kinds.schedule.clear(&key(&name));
    s.objects.permissions.remove(&format!("apps/{name}"));
    app["compute_status"] = compute("DELETING", "App is being deleted.");
    Json(app).into_response()
}

/// `start`, `stop`, and `update` (an app update with an update mask).
pub async fn action(
    AxState(state): AxState<Shared>,
    Path((name, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let Some(app) = settled_app(&mut s, &name) else {
        return missing(&name);
    };
    let compute_state = text(&app["compute_status"], "state").to_string();
    match action.as_str() {
        "start" => {
            if !matches!(compute_state.as_str(), "ACTIVE" | "STARTING") {
                change_compute(
                    &mut s,
                    &name,
                    "STARTING",
                    "ACTIVE",
                    "App compute is active.",
                );
                // Starting redeploys the active deployment, if there is one.
                if !app["active_deployment"].is_null() {
                    let at = s.clock.now_ms() + COMPUTE_MS;
                    s.objects.kinds.schedule.set(
                        &key(&name),
                        Pending {
                            pointer: "/app_status/state",
                            to: "RUNNING".into(),
                            message: Some("App has status: App is running".into()),
                            at_ms: at,
                        },
                    );
                }
            }
        }
        "stop" => {
            if !matches!(compute_state.as_str(), "STOPPED" | "STOPPING") {
                change_compute(&mut s, &name, "STOPPING", "STOPPED", "App is stopped.");
                if let Some(a) = s.objects.kinds.apps.get_mut(&name) {
                    a["app_status"] =
                        json!({"state": "UNAVAILABLE", "message": "App is not running."});
                }
            }
        }
        "update" => return app_update(&mut s, &name, &req),
        _ => {
            return super::errors::no_endpoint(format!("POST /api/2.0/apps/{name}/{action}"));
        }
    }
    // The app as the action left it (settled before it): the answer to a start or stop
    // shows the transition it began, however fast the emulated clock runs.
    let app = s.objects.kinds.apps.get(&name).cloned().unwrap_or_default();
    Json(app).into_response()
}

pub async fn action_update(
    state: AxState<Shared>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    action(state, Path((name, "update".into())), body).await
}

/// `POST /apps/{name}/update`: applies the masked fields at once; the update SUCCEEDED.
fn app_update(s: &mut State, name: &str, req: &Value) -> Response {
    let mask = text(req, "update_mask");
    if mask.is_empty() {
        return invalid_parameter("Missing required field: update_mask");
    }
    let now = timestamp(s.clock.now_ms());
    let Some(app) = s.objects.kinds.apps.get_mut(name) else {
        return missing(name);
    };
    let fields: Vec<&str> = if mask == "*" {
        SETTABLE.to_vec()
    } else {
        mask.split(',').map(str::trim).collect()
    };
    for f in fields {
        if !SETTABLE.contains(&f) {
            return invalid_parameter(format!("Field '{f}' in update_mask cannot be updated"));
        }
        match req["app"].get(f).filter(|x| !x.is_null()) {
            Some(x) => app[f] = x.clone(),
            None => {
                if let Some(m) = app.as_object_mut() {
                    m.remove(f);
                }
            }
        }
    }
    app["update_time"] = json!(now);
    let update = json!({"status": {"state": "SUCCEEDED", "message": "App update succeeded."},
        "update_mask": mask, "update_time": now});
    s.objects
        .kinds
        .app_updates
        .insert(name.to_string(), update.clone());
    Json(update).into_response()
}

pub async fn get_update(AxState(state): AxState<Shared>, Path(name): Path<String>) -> Response {
    let s = lock(&state);
    if !s.objects.kinds.apps.contains_key(&name) {
        return missing(&name);
    }
    match s.objects.kinds.app_updates.get(&name) {
        Some(u) => Json(u.clone()).into_response(),
        None => not_found(format!("App {name} has no update.")),
    }
}

pub async fn deploy(
    AxState(state): AxState<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let Some(app) = settled_app(&mut s, &name) else {
        return missing(&name);
    };
    let compute_state = text(&app["compute_status"], "state");
    if compute_state != "ACTIVE" {
        return invalid_parameter(format!(
            "Cannot deploy app {name} as its compute is in {compute_state} state. Start the app first."
        ));
    }
    let source = match text(&req, "source_code_path") {
        "" => text(&app, "default_source_code_path").to_string(),
        p => p.to_string(),
    };
    if source.is_empty() && req["git_source"].is_null() {
        return invalid_parameter("Missing required field: source_code_path");
    }
    let mode = match text(&req, "mode") {
        "" => "SNAPSHOT",
        "SNAPSHOT" => "SNAPSHOT",
        "AUTO_SYNC" => "AUTO_SYNC",
        other => return invalid_parameter(format!("Invalid mode '{other}'")),
    };
    let outcome = if source.is_empty() {
        None
    } else {
        deploy_outcome(&s, &source)
    };
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let now_ms = s.clock.now_ms();
    let now = timestamp(now_ms);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut d = json!({
        "deployment_id": id, "source_code_path": source, "mode": mode,
        "status": {"state": "IN_PROGRESS", "message": "Preparing source code for new app deployment."},
        "deployment_artifacts": {"source_code_path": format!("/Workspace/Users/{}/src/{id}", app["service_principal_client_id"].as_str().unwrap_or(""))},
        "creator": user, "create_time": now, "update_time": now,
    });
    for f in ["git_source", "command", "env_vars"] {
        if let Some(x) = req.get(f).filter(|x| !x.is_null()) {
            d[f] = x.clone();
        }
    }
    // A newer deployment supersedes one still in progress.
    if let Some(old) = app["pending_deployment"]["deployment_id"].as_str() {
        let k = format!("deployments/{old}");
        s.objects.kinds.schedule.clear(&k);
        if let Some(o) = s
            .objects
            .kinds
            .deployments
            .get_mut(&name)
            .and_then(|l| l.iter_mut().find(|d| d["deployment_id"] == old))
        {
            o["status"] =
                json!({"state": "CANCELLED", "message": "Cancelled by a newer deployment."});
        }
    }
    let (to, message) = match outcome {
        None => ("SUCCEEDED", "App started successfully".to_string()),
        Some(m) => ("FAILED", m),
    };
    s.objects.kinds.schedule.set(
        &format!("deployments/{id}"),
        Pending {
            pointer: "/status/state",
            to: to.into(),
            message: Some(message),
            at_ms: now_ms + DEPLOY_MS,
        },
    );
    s.objects
        .kinds
        .deployments
        .entry(name.clone())
        .or_default()
        .push(d.clone());
    if let Some(a) = s.objects.kinds.apps.get_mut(&name) {
        a["pending_deployment"] = d.clone();
        if a["active_deployment"].is_null() {
            a["app_status"] = json!({"state": "DEPLOYING", "message": "App is being deployed."});
        }
    }
    Json(d).into_response()
}

pub async fn get_deployment(
    AxState(state): AxState<Shared>,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let mut s = lock(&state);
    if !settle(&mut s, &name) {
        return missing(&name);
    }
    match s
        .objects
        .kinds
        .deployments
        .get(&name)
        .and_then(|l| l.iter().find(|d| d["deployment_id"] == id.as_str()))
    {
        Some(d) => Json(d.clone()).into_response(),
        None => not_found(format!("Deployment {id} of app {name} does not exist.")),
    }
}

fn paged(q: HashMap<String, String>, prefix: &'static str, key: &str, all: Vec<Value>) -> Response {
    let p = or_respond!(sized(&q, 100, 1000, prefix));
    Json(p.respond_by_token(key, all)).into_response()
}

pub async fn list_deployments(
    AxState(state): AxState<Shared>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = lock(&state);
    if !settle(&mut s, &name) {
        return missing(&name);
    }
    // Newest first, as the service lists them.
    let mut all = s
        .objects
        .kinds
        .deployments
        .get(&name)
        .cloned()
        .unwrap_or_default();
    all.reverse();
    paged(q, "deployments", "app_deployments", all)
}

pub async fn list(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = lock(&state);
    let names: Vec<String> = s.objects.kinds.apps.keys().cloned().collect();
    let all: Vec<Value> = names
        .iter()
        .filter_map(|n| settled_app(&mut s, n))
        .collect();
    paged(q, "apps", "apps", all)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::kind_objects::test_client::{FROZEN, call, emulator};

    const A: &str = "/api/2.0/apps";
    /// Long enough for compute to start or stop and a deployment to end.
    const SETTLE_MS: u64 = if super::COMPUTE_MS > super::DEPLOY_MS {
        super::COMPUTE_MS
    } else {
        super::DEPLOY_MS
    };

    async fn put_file(emu: &crate::emulator::EmulatorHandle, path: &str, text: &str) {
        use base64::Engine;
        let (st, _) = call(
            emu,
            "POST",
            "/api/2.0/workspace/import",
            Some(json!({"path": path, "format": "AUTO", "overwrite": true,
                "content": base64::engine::general_purpose::STANDARD.encode(text)})),
        )
        .await;
        assert_eq!(st, 200);
    }

    #[tokio::test]
    async fn an_app_starts_deploys_and_a_failing_deployment_keeps_the_running_one() {
        let emu = emulator(FROZEN).await;
        let (st, a) = call(
            &emu,
            "POST",
            A,
            Some(json!({"name": "my-app", "description": "d"})),
        )
        .await;
        assert_eq!(st, 200, "{a}");
        assert_eq!(a["compute_status"]["state"], "STARTING");
        let (st, e) = call(&emu, "POST", A, Some(json!({"name": "my-app"}))).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (409, Some("RESOURCE_ALREADY_EXISTS"))
        );
        let (st, _) = call(&emu, "POST", A, Some(json!({"name": "Bad_Name"}))).await;
        assert_eq!(st, 400);
        call(
            &emu,
            "POST",
            "/api/2.0/workspace/mkdirs",
            Some(json!({"path": "/Users/ci/app"})),
        )
        .await;
        put_file(&emu, "/Users/ci/app/app.py", "print('hi')\n").await;
        emu.advance_clock(SETTLE_MS);
        let (_, a) = call(&emu, "GET", &format!("{A}/my-app"), None).await;
        assert_eq!(a["compute_status"]["state"], "ACTIVE");
        let (st, d) = call(
            &emu,
            "POST",
            &format!("{A}/my-app/deployments"),
            Some(json!({"source_code_path": "/Workspace/Users/ci/app"})),
        )
        .await;
        assert_eq!(st, 200, "{d}");
        assert_eq!(d["status"]["state"], "IN_PROGRESS");
        let good = d["deployment_id"].as_str().unwrap().to_string();
        emu.advance_clock(SETTLE_MS);
        let (_, d) = call(&emu, "GET", &format!("{A}/my-app/deployments/{good}"), None).await;
        assert_eq!(d["status"]["state"], "SUCCEEDED");
        let (_, a) = call(&emu, "GET", &format!("{A}/my-app"), None).await;
        assert_eq!(
            (
                a["app_status"]["state"].as_str(),
                a["active_deployment"]["deployment_id"].as_str()
            ),
            (Some("RUNNING"), Some(good.as_str()))
        );
        assert_eq!(a["default_source_code_path"], "/Workspace/Users/ci/app");
        put_file(
            &emu,
            "/Users/ci/app/app.py",
            "# brickci-emulator: fail \"ImportError: no module x\"\n",
        )
        .await;
        let (_, d) = call(
            &emu,
            "POST",
            &format!("{A}/my-app/deployments"),
            Some(json!({})),
        )
        .await;
        let bad = d["deployment_id"].as_str().unwrap().to_string();
        emu.advance_clock(SETTLE_MS);
        let (_, d) = call(&emu, "GET", &format!("{A}/my-app/deployments/{bad}"), None).await;
        assert_eq!(d["status"]["state"], "FAILED");
        assert!(
            d["status"]["message"]
                .as_str()
                .unwrap()
                .contains("ImportError"),
            "{d}"
        );
        let (_, a) = call(&emu, "GET", &format!("{A}/my-app"), None).await;
        assert_eq!(a["active_deployment"]["deployment_id"], good.as_str());
        let (_, l) = call(
            &emu,
            "GET",
            &format!("{A}/my-app/deployments?page_size=1"),
            None,
        )
        .await;
        assert_eq!(l["app_deployments"][0]["deployment_id"], bad.as_str());
        assert!(l["next_page_token"].is_string());
        let (_, d) = call(
            &emu,
            "POST",
            &format!("{A}/my-app/deployments"),
            Some(json!({"source_code_path": "/Workspace/nowhere"})),
        )
        .await;
        emu.advance_clock(SETTLE_MS);
        let (_, d) = call(
            &emu,
            "GET",
            &format!(
                "{A}/my-app/deployments/{}",
                d["deployment_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
        assert!(
            d["status"]["message"]
                .as_str()
                .unwrap()
                .contains("does not exist"),
            "{d}"
        );
    }

    #[tokio::test]
    async fn stop_start_update_and_delete() {
        let emu = emulator(FROZEN).await;
        call(
            &emu,
            "POST",
            &format!("{A}?no_compute=true"),
            Some(json!({"name": "ab"})),
        )
        .await;
        let (_, a) = call(&emu, "GET", &format!("{A}/ab"), None).await;
        assert_eq!(a["compute_status"]["state"], "STOPPED");
        let (st, e) = call(
            &emu,
            "POST",
            &format!("{A}/ab/deployments"),
            Some(json!({"source_code_path": "/x"})),
        )
        .await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE"))
        );
        let (_, a) = call(&emu, "POST", &format!("{A}/ab/start"), None).await;
        assert_eq!(a["compute_status"]["state"], "STARTING");
        emu.advance_clock(SETTLE_MS);
        let (_, a) = call(&emu, "POST", &format!("{A}/ab/stop"), None).await;
        assert_eq!(a["compute_status"]["state"], "STOPPING");
        let (st, a) = call(
            &emu,
            "PATCH",
            &format!("{A}/ab"),
            Some(json!({"name": "ab", "description": "new"})),
        )
        .await;
        assert_eq!((st, a["description"].as_str()), (200, Some("new")));
        let (st, u) = call(
            &emu,
            "POST",
            &format!("{A}/ab/update"),
            Some(json!({"update_mask": "description", "app": {"description": "via update"}})),
        )
        .await;
        assert_eq!(
            (st, u["status"]["state"].as_str()),
            (200, Some("SUCCEEDED"))
        );
        let (_, u) = call(&emu, "GET", &format!("{A}/ab/update"), None).await;
        assert_eq!(u["update_mask"], "description");
        let (_, l) = call(&emu, "GET", A, None).await;
        assert_eq!(l["apps"][0]["description"], "via update");
        let (st, _) = call(&emu, "DELETE", &format!("{A}/ab"), None).await;
        assert_eq!(st, 200);
        let (st, e) = call(&emu, "GET", &format!("{A}/ab"), None).await;
        assert_eq!(
            (st, e["error_code"].as_str()),
            (404, Some("RESOURCE_DOES_NOT_EXIST"))
        );
    }
}
