//! `resources.apps`: Databricks Apps. The name is the id, so a new name replaces the app.
//! Create starts its compute (unless `lifecycle.started: false`), waits until it is
//! ACTIVE, then deploys `source_code_path` (the bundle's folder as synced) and waits for
//! the deployment: a failed deployment fails the deploy with the service's reason (and a
//! new app whose first deployment failed is deleted again, so the next deploy starts
//! over). An update is an app update (`update_mask`) and a new deployment of the source.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Deployer, Fut, KindApi, KindSpec, Permissions, Progress, Update, api_settings, req, wait_for,
};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "apps",
    terraform: Some("databricks_app"),
    required: &["name"],
    fixed: &["name"],
    fixed_reason: "an app's name is its id",
    replace: true,
    computed: &[
        ("url", "/url"),
        (
            "service_principal_client_id",
            "/service_principal_client_id",
        ),
        ("service_principal_id", "/service_principal_id"),
        ("service_principal_name", "/service_principal_name"),
    ],
    listing: None,
    levels: &["CAN_USE", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_USE"), ("CAN_RUN", "CAN_USE")],
    permissions: Permissions::Object("apps"),
    deployer: Deployer::Manager,
    presets,
    api: &Apps,
};

/// The app's own fields (create and update take these); the rest is deployment input.
const APP_FIELDS: &[&str] = &[
    "name",
    "description",
    "resources",
    "user_api_scopes",
    "budget_policy_id",
    "usage_policy_id",
    "compute_size",
    "git_repository",
];

/// How long a deploy waits for compute or a deployment before giving up.
const WAIT_LIMIT: Duration = Duration::from_secs(20 * 60);

struct Apps;

fn app_body(settings: &Value) -> Value {
    let s = api_settings(settings);
    let mut b = json!({});
    for k in APP_FIELDS {
        if let Some(v) = s.get(*k) {
            b[*k] = v.clone();
        }
    }
    b
}

/// Whether the bundle wants the app running (it does unless `lifecycle.started: false`).
fn started(settings: &Value) -> bool {
    settings["lifecycle"]["started"].as_bool() != Some(false)
}

fn app_path(name: &str) -> String {
    let escaped: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/api/2.0/apps/{escaped}")
}

/// How a poll of `state_at` (a JSON pointer) reads: done at one of `done`, failed (with
/// the object's message) at one of `failures`.
fn judge<'a>(
    state_at: &'a str,
    done: &'a [&'a str],
    failures: &'a [&'a str],
) -> impl Fn(&Value) -> Progress + 'a {
    move |v: &Value| {
        let state = v.pointer(state_at).and_then(Value::as_str).unwrap_or("");
        let parent = state_at.rsplit_once('/').map_or("", |(p, _)| p);
        let message = v
            .pointer(&format!("{parent}/message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if done.contains(&state) {
            Progress::Done
        } else if failures.contains(&state) {
            Progress::Failed(format!("{state}: {message}"))
        } else {
            Progress::Pending(format!("{state} {message}"))
        }
    }
}

/// Waits for compute, then deploys the source and waits for the deployment to succeed.
async fn deploy_source(
    c: &Client,
    what: &str,
    name: &str,
    settings: &Value,
) -> Result<(), ClientError> {
    if !started(settings) {
        return Ok(());
    }
    let path = app_path(name);
    let get = || req(Method::GET, &path, what);
    let compute = judge("/compute_status/state", &["ACTIVE"], &["ERROR"]);
    wait_for(c, what, WAIT_LIMIT, get, compute).await?;
    let Some(body) = deployment(settings) else {
        return Ok(());
    };
    let d: Value = c
        .call(req(Method::POST, format!("{path}/deployments"), what).json(body))
        .await?;
    let id = d["deployment_id"].as_str().unwrap_or_default();
    let at = format!("{path}/deployments/{id}");
    let get = || req(Method::GET, &at, what);
    let deployed = judge("/status/state", &["SUCCEEDED"], &["FAILED", "CANCELLED"]);
    wait_for(c, what, WAIT_LIMIT, get, deployed).await.map(drop)
}

/// The deployment request: the source, and the app's inline `config` (its command and
/// environment, which the deployment carries, as the CLI sends them); None without a source.
fn deployment(settings: &Value) -> Option<Value> {
    let mut body = json!({ "mode": "SNAPSHOT" });
    match (settings.get("source_code_path"), settings.get("git_source")) {
        (Some(p), _) if p.is_string() => body["source_code_path"] = p.clone(),
        (_, Some(g)) if g.is_object() => {
            let mut g = g.clone();
            // The deployment takes no repository (only the create does).
            if let Some(o) = g.as_object_mut() {
                o.remove("git_repository");
            }
            body["git_source"] = g;
        }
        _ => return None,
    }
    let config = &settings["config"];
    if config["command"].as_array().is_some_and(|c| !c.is_empty()) {
        body["command"] = config["command"].clone();
    }
    if let Some(env) = config["env"].as_array().filter(|e| !e.is_empty()) {
        body["env_vars"] = Value::Array(
            env.iter()
                .map(|v| {
                    let mut e = serde_json::Map::new();
                    for f in ["name", "value", "value_from"] {
                        if let Some(x) = v.get(f).filter(|x| !x.is_null()) {
                            e.insert(f.into(), x.clone());
                        }
                    }
                    Value::Object(e)
                })
                .collect(),
        );
    }
    Some(body)
}

impl KindApi for Apps {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let mut r = req(Method::POST, "/api/2.0/apps", what).json(app_body(settings));
            if !started(settings) {
                r = r.query("no_compute", "true");
            }
            let created: Value = c.call(r).await?;
            let name = created["name"]
                .as_str()
                .or(settings["name"].as_str())
                .unwrap_or_default()
                .to_string();
            // A create whose first deployment fails leaves nothing behind: the app is not
            // recorded yet, so the next deploy creates it again.
            if let Err(e) = deploy_source(c, what, &name, settings).await {
                let _ = c
                    .call::<Value>(req(Method::DELETE, app_path(&name), what).idempotent(true))
                    .await;
                return Err(e);
            }
            Ok(name)
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let body = app_body(u.settings);
            let mask: Vec<&str> = APP_FIELDS
                .iter()
                .copied()
                .filter(|f| *f != "name")
                .collect();
            let r = req(Method::POST, format!("{}/update", app_path(u.id)), u.what)
                .json(json!({ "app": body, "update_mask": mask.join(",") }))
                .idempotent(true);
            c.call::<Value>(r).await?;
            let path = app_path(u.id);
            let app: Value = c.call(req(Method::GET, &path, u.what)).await?;
            let compute = app["compute_status"]["state"].as_str().unwrap_or("");
            if started(u.settings) && matches!(compute, "STOPPED" | "STOPPING") {
                let start = req(Method::POST, format!("{path}/start"), u.what).idempotent(true);
                c.call::<Value>(start).await?;
            } else if !started(u.settings) && matches!(compute, "ACTIVE" | "STARTING") {
                let stop = req(Method::POST, format!("{path}/stop"), u.what).idempotent(true);
                c.call::<Value>(stop).await?;
            }
            deploy_source(c, u.what, u.id, u.settings).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, app_path(id), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, app_path(id), what)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let id = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, id, "")
    }
}

/// None: the CLI applies no presets to apps.
/// The CLI gives an app an empty description when it has none.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    p::default(settings, "description", p::text("", ctx.loc));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_config_rides_on_the_deployment() {
        let settings = json!({
            "name": "web", "source_code_path": "/Workspace/x/app",
            "config": {"command": ["streamlit", "run", "app.py"],
                       "env": [{"name": "MODE", "value": "prod"}, {"name": "KEY", "value_from": "key"}]},
        });
        assert_eq!(
            deployment(&settings),
            Some(json!({
                "mode": "SNAPSHOT", "source_code_path": "/Workspace/x/app",
                "command": ["streamlit", "run", "app.py"],
                "env_vars": [{"name": "MODE", "value": "prod"}, {"name": "KEY", "value_from": "key"}],
            }))
        );
        let git = json!({"name": "web", "git_source": {"branch": "main", "git_repository": {"url": "u"}}});
        assert_eq!(
            deployment(&git),
            Some(json!({"mode": "SNAPSHOT", "git_source": {"branch": "main"}}))
        );
        assert_eq!(deployment(&json!({"name": "web"})), None);
    }

    #[test]
    fn the_app_body_leaves_out_what_belongs_to_a_deployment() {
        let settings = json!({
            "name": "web", "description": "d", "source_code_path": "/Workspace/x/app",
            "source_digest": "abc", "lifecycle": {"started": true}, "config": {"command": ["x"]},
            "permissions": [{"level": "CAN_USE", "group_name": "users"}],
        });
        assert_eq!(
            app_body(&settings),
            json!({"name": "web", "description": "d"})
        );
        assert!(started(&settings));
        assert!(started(&json!({})));
        assert!(!started(&json!({"lifecycle": {"started": false}})));
    }

    #[test]
    fn a_poll_is_done_pending_or_failed_with_the_objects_message() {
        let j = judge("/status/state", &["SUCCEEDED"], &["FAILED"]);
        let at = |s: &str| json!({"status": {"state": s, "message": "m"}});
        assert!(matches!(j(&at("SUCCEEDED")), Progress::Done));
        assert!(matches!(j(&at("IN_PROGRESS")), Progress::Pending(_)));
        match j(&at("FAILED")) {
            Progress::Failed(m) => assert_eq!(m, "FAILED: m"),
            _ => panic!("not failed"),
        }
    }
}
