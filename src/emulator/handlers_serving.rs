//! Model serving endpoints (`/api/2.0/serving-endpoints`): create, list, get, delete, and
//! the partial updates (config, tags, AI gateway, notifications, telemetry, rate limits).
//!
//! A config (on create or update) is deployed in the background: for a few emulated seconds
//! `state.config_update` is IN_PROGRESS with the new config under `pending_config`; then
//! it becomes the endpoint's `config` (NOT_UPDATING, READY). A served entity whose
//! `environment_vars` hold `EMULATOR_FAIL_DEPLOYMENT: <reason>` makes the deployment fail
//! instead: UPDATE_FAILED, the old config kept, the reason in the pending served entity's
//! `state.deployment_state_message`. A config update while one is in progress is refused
//! (409), as the service does.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::handlers_jobs::bearer;
use super::state::State;
use super::{Shared, lock};

/// Emulated milliseconds a config takes to deploy.
const DEPLOY_MS: u64 = 30_000;

/// The environment variable of a served entity that makes its deployment fail.
pub const FAIL_DIRECTIVE: &str = "EMULATOR_FAIL_DEPLOYMENT";

/// Top-level settings a create takes and the endpoint shows as given.
const SHOWN: &[&str] = &[
    "description",
    "tags",
    "route_optimized",
    "ai_gateway",
    "email_notifications",
    "telemetry_config",
    "budget_policy_id",
    "rate_limits",
];

#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Everything but `config`, `pending_config` and `state`.
    pub detail: Value,
    /// The deployed config (as given), if one ever deployed.
    pub config: Option<Value>,
    pub config_version: i64,
    pub pending: Option<Pending>,
    /// The last deployment's failure: the config that failed and why.
    pub failed: Option<(Value, String)>,
}

#[derive(Clone, Debug)]
pub struct Pending {
    pub config: Value,
    pub started_ms: u64,
    pub done_ms: u64,
}

fn no_endpoint(name: &str) -> Response {
    api_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Endpoint with name '{name}' does not exist."),
    )
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks a config's served entities; the failure reason a directive asks for, if any.
fn check_config(config: &Value) -> Result<Option<String>, Response> {
    if !config.is_object() {
        return Err(invalid_parameter("config must be an object"));
    }
    let entities = config["served_entities"]
        .as_array()
        .or_else(|| config["served_models"].as_array());
    let mut fails = None;
    for e in entities.into_iter().flatten() {
        let named = e["entity_name"].as_str().or(e["model_name"].as_str());
        if named.is_none_or(str::is_empty) && e["external_model"].is_null() {
            return Err(invalid_parameter(
                "Each served entity must specify entity_name or external_model",
            ));
        }
        if let Some(reason) = e["environment_vars"][FAIL_DIRECTIVE].as_str() {
            fails = Some(reason.to_string());
        }
    }
    for route in config["traffic_config"]["routes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if route["traffic_percentage"].as_i64().is_none() {
            return Err(invalid_parameter(
                "Each route needs an integer traffic_percentage",
            ));
        }
    }
    Ok(fails)
}

/// A config as the API shows it: served entities with their names and states.
fn output(config: &Value, version: i64, deployment: &str, message: &str) -> Value {
    let mut out = config.clone();
    let key = if config["served_entities"].is_array() {
        "served_entities"
    } else {
        "served_models"
    };
    let mut names = Vec::new();
    if let Some(list) = out[key].as_array_mut() {
        for e in list.iter_mut() {
            if e["name"].as_str().is_none() {
                let base = e["entity_name"]
                    .as_str()
                    .or(e["model_name"].as_str())
                    .unwrap_or("external")
                    .replace('.', "-");
                let version = e["entity_version"]
                    .as_str()
                    .or(e["model_version"].as_str())
                    .unwrap_or("1");
                e["name"] = json!(format!("{base}-{version}"));
            }
            names.push(e["name"].clone());
            e["state"] = json!({ "deployment": deployment, "deployment_state_message": message });
        }
    }
    if out["traffic_config"].is_null() && names.len() == 1 {
        out["traffic_config"] =
            json!({ "routes": [{ "served_entity_name": names[0], "traffic_percentage": 100 }] });
    }
    if let Some(o) = out.as_object_mut() {
        o.remove("name");
    }
    out["config_version"] = json!(version);
    out
}

/// Moves a finished deployment into place.
fn settle(e: &mut Endpoint, now: u64) {
    let Some(p) = e.pending.clone() else {
        return;
    };
    if now < p.done_ms {
        return;
    }
    e.pending = None;
    match check_config(&p.config).ok().flatten() {
        Some(reason) => e.failed = Some((p.config, reason)),
        None => {
            e.config = Some(p.config);
            e.config_version += 1;
            e.failed = None;
        }
    }
}

/// The endpoint as `GET` shows it now.
fn shown(e: &Endpoint) -> Value {
    let mut v = e.detail.clone();
    let ready = if e.config.is_some() {
        "READY"
    } else {
        "NOT_READY"
    };
    let (update, pending) = match (&e.pending, &e.failed) {
        (Some(p), _) => {
            let mut pc = output(&p.config, e.config_version + 1, "DEPLOYMENT_CREATING", "");
            pc["start_time"] = json!(p.started_ms);
            ("IN_PROGRESS", Some(pc))
        }
        (None, Some((config, reason))) => {
            let pc = output(config, e.config_version + 1, "DEPLOYMENT_FAILED", reason);
            ("UPDATE_FAILED", Some(pc))
        }
        (None, None) => ("NOT_UPDATING", None),
    };
    v["state"] = json!({ "config_update": update, "ready": ready });
    if let Some(c) = &e.config {
        v["config"] = output(c, e.config_version, "DEPLOYMENT_READY", "");
    }
    if let Some(pc) = pending {
        v["pending_config"] = pc;
    }
    v
}

fn settled<'s>(s: &'s mut State, name: &str) -> Option<&'s mut Endpoint> {
    let now = s.clock.now_ms();
    let e = s.objects.serving_endpoints.get_mut(name)?;
    settle(e, now);
    Some(e)
}

pub async fn create(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let v = or_respond!(json_body(&body));
    let Some(name) = v["name"].as_str().map(str::to_string) else {
        return invalid_parameter("Missing required field: name");
    };
    if !valid_name(&name) {
        return invalid_parameter(format!(
            "Invalid endpoint name '{name}': use at most 63 letters, digits, dashes and underscores."
        ));
    }
    if let Some(c) = v.get("config") {
        or_respond!(check_config(c));
    }
    let mut s = lock(&state);
    if s.objects.serving_endpoints.contains_key(&name) {
        return api_error(
            409,
            "RESOURCE_ALREADY_EXISTS",
            format!("Endpoint with name '{name}' already exists."),
        );
    }
    let now = s.clock.now_ms();
    let creator = s.principal(bearer(&headers)).unwrap_or_default();
    let mut detail = json!({
        "name": name,
        "id": uuid::Uuid::new_v4().simple().to_string(),
        "creator": creator,
        "creation_timestamp": now,
        "last_updated_timestamp": now,
        "permission_level": "CAN_MANAGE",
        "endpoint_url": format!("{}/serving-endpoints/{name}/invocations", s.base_url),
    });
    for k in SHOWN {
        if let Some(x) = v.get(*k) {
            detail[*k] = x.clone();
        }
    }
    let pending = v.get("config").map(|c| Pending {
        config: c.clone(),
        started_ms: now,
        done_ms: now + DEPLOY_MS,
    });
    let e = Endpoint {
        detail,
        config: None,
        config_version: 0,
        pending,
        failed: None,
    };
    let out = shown(&e);
    s.objects.serving_endpoints.insert(name, e);
    Json(out).into_response()
}

pub async fn list(AxState(state): AxState<Shared>) -> Response {
    let mut s = lock(&state);
    let names: Vec<String> = s.objects.serving_endpoints.keys().cloned().collect();
    let mut endpoints = Vec::new();
    for n in names {
        let e = settled(&mut s, &n).expect("listed");
        let full = shown(e);
        let mut summary = json!({});
        for k in [
            "name",
            "id",
            "creator",
            "creation_timestamp",
            "last_updated_timestamp",
            "state",
            "tags",
            "description",
            "ai_gateway",
            "budget_policy_id",
        ] {
            if let Some(x) = full.get(k) {
                summary[k] = x.clone();
            }
        }
        endpoints.push(summary);
    }
    Json(json!({ "endpoints": endpoints })).into_response()
}

pub async fn endpoint(
    AxState(state): AxState<Shared>,
    method: Method,
    Path(name): Path<String>,
) -> Response {
    let mut s = lock(&state);
    match method {
        Method::GET => match settled(&mut s, &name) {
            Some(e) => Json(shown(e)).into_response(),
            None => no_endpoint(&name),
        },
        Method::DELETE => match s.objects.serving_endpoints.remove(&name) {
            Some(_) => Json(json!({})).into_response(),
            None => no_endpoint(&name),
        },
        other => super::errors::no_endpoint(format!("{other} /api/2.0/serving-endpoints/{name}")),
    }
}

/// `PUT config`, `PATCH tags`, `PUT ai-gateway`, `PATCH notifications`,
/// `PATCH telemetry-config`, `PUT rate-limits`.
pub async fn part(
    AxState(state): AxState<Shared>,
    method: Method,
    Path((name, sub)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let v = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let Some(e) = settled(&mut s, &name) else {
        return no_endpoint(&name);
    };
    let answer = match (method.as_str(), sub.as_str()) {
        ("PUT", "config") => {
            or_respond!(check_config(&v));
            if e.pending.is_some() {
                return api_error(
                    409,
                    "RESOURCE_CONFLICT",
                    format!(
                        "Endpoint '{name}' is currently being updated; wait until its config_update is NOT_UPDATING."
                    ),
                );
            }
            e.failed = None;
            e.pending = Some(Pending {
                config: v,
                started_ms: now,
                done_ms: now + DEPLOY_MS,
            });
            shown(e)
        }
        ("PATCH", "tags") => {
            let mut tags: Vec<Value> = e.detail["tags"].as_array().cloned().unwrap_or_default();
            let delete: Vec<&str> = v["delete_tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            tags.retain(|t| !delete.contains(&t["key"].as_str().unwrap_or_default()));
            for t in v["add_tags"].as_array().into_iter().flatten() {
                if t["key"].as_str().is_none() {
                    return invalid_parameter("Each tag needs a key");
                }
                tags.retain(|x| x["key"] != t["key"]);
                tags.push(t.clone());
            }
            e.detail["tags"] = json!(tags);
            json!({ "tags": e.detail["tags"] })
        }
        ("PUT", "ai-gateway") => {
            e.detail["ai_gateway"] = v.clone();
            v
        }
        ("PATCH", "notifications") => {
            e.detail["email_notifications"] = v["email_notifications"].clone();
            json!({ "name": name, "email_notifications": v["email_notifications"] })
        }
        ("PATCH", "telemetry-config") => {
            e.detail["telemetry_config"] = v["telemetry_config"].clone();
            json!({ "telemetry_config": v["telemetry_config"] })
        }
        ("PUT", "rate-limits") => {
            e.detail["rate_limits"] = v["rate_limits"].clone();
            json!({ "rate_limits": v["rate_limits"] })
        }
        _ => {
            return super::errors::no_endpoint(format!(
                "{method} /api/2.0/serving-endpoints/{name}/{sub}"
            ));
        }
    };
    e.detail["last_updated_timestamp"] = json!(now);
    Json(answer).into_response()
}

/// Whether an endpoint has this id (for `/permissions/serving-endpoints/{id}`).
pub fn has_id(s: &State, id: &str) -> bool {
    s.objects
        .serving_endpoints
        .values()
        .any(|e| e.detail["id"] == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(config: Value) -> Endpoint {
        Endpoint {
            detail: json!({"name": "e", "id": "abc"}),
            config: None,
            config_version: 0,
            pending: Some(Pending {
                config,
                started_ms: 0,
                done_ms: 100,
            }),
            failed: None,
        }
    }

    #[test]
    fn a_config_deploys_in_the_background_and_a_directive_fails_it_with_its_reason() {
        let mut e = endpoint(
            json!({"served_entities": [{"entity_name": "m.s.model", "entity_version": "1"}]}),
        );
        settle(&mut e, 50);
        let v = shown(&e);
        assert_eq!(
            v["state"],
            json!({"config_update": "IN_PROGRESS", "ready": "NOT_READY"})
        );
        assert_eq!(
            v["pending_config"]["served_entities"][0]["name"],
            "m-s-model-1"
        );
        settle(&mut e, 100);
        let v = shown(&e);
        assert_eq!(
            v["state"],
            json!({"config_update": "NOT_UPDATING", "ready": "READY"})
        );
        assert_eq!(v["config"]["config_version"], 1);
        assert_eq!(
            v["config"]["traffic_config"]["routes"][0]["traffic_percentage"],
            100
        );

        let mut bad = endpoint(
            json!({"served_entities": [{"entity_name": "m", "environment_vars": {FAIL_DIRECTIVE: "out of memory"}}]}),
        );
        settle(&mut bad, 100);
        let v = shown(&bad);
        assert_eq!(v["state"]["config_update"], "UPDATE_FAILED");
        assert_eq!(
            v["pending_config"]["served_entities"][0]["state"]["deployment_state_message"],
            "out of memory"
        );
        assert!(v.get("config").is_none());
    }
}
