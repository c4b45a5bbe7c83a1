//! `resources.model_serving_endpoints`: Model Serving (`/api/2.0/serving-endpoints`). Its id
//! is its name. A config deploys in the background: after a create or a config update the
//! deploy waits (bounded) until `state.config_update` is no longer IN_PROGRESS and, when it
//! has a config, `state.ready` is READY; a failed update is reported with the served
//! entities' reasons. An update sends only the parts that changed (tags, AI gateway, config,
//! notifications, telemetry, rate limits), each to its own call. The name, description,
//! route optimization and inference-table location cannot change: the endpoint is replaced.
//! Permissions go to the endpoint's internal id, read by name.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    CreateOptions, Deployer, Fut, KindApi, KindSpec, Listing, Permissions, Progress, Update,
    api_settings, put_permissions_by_read_id, req, segment, wait_for,
};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::{Kind, Node};
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "model_serving_endpoints",
    terraform: Some("databricks_model_serving"),
    required: &["name"],
    fixed: &[
        "name",
        "description",
        "route_optimized",
        "config.auto_capture_config.catalog_name",
        "config.auto_capture_config.schema_name",
        "config.auto_capture_config.table_name_prefix",
    ],
    fixed_reason: "which a serving endpoint cannot change in place",
    replace: true,
    computed: &[("endpoint_id", "/id"), ("endpoint_url", "/endpoint_url")],
    listing: Some(Listing {
        path: "/api/2.0/serving-endpoints",
        array: "endpoints",
        id_field: "name",
        page_size: "",
        always: false,
    }),
    levels: &["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"],
    top_levels: &[("CAN_VIEW", "CAN_VIEW"), ("CAN_RUN", "CAN_QUERY")],
    permissions: Permissions::Custom,
    deployer: Deployer::Manager,
    presets,
    api: &ServingEndpoints,
};

/// How long a config may take to deploy (the Databricks CLI allows 35 minutes).
const READY_WITHIN: Duration = Duration::from_secs(35 * 60);

struct ServingEndpoints;

fn path(name: &str) -> String {
    format!("/api/2.0/serving-endpoints/{}", segment(name))
}

/// The partial updates: setting, method, path suffix, and the body for its new value.
type Body = fn(&Value) -> Value;
const PARTS: &[(&str, &str, &str, Body)] = &[
    ("ai_gateway", "PUT", "ai-gateway", |v| {
        if v.is_null() { json!({}) } else { v.clone() }
    }),
    ("config", "PUT", "config", |v| {
        if v.is_null() { json!({}) } else { v.clone() }
    }),
    (
        "email_notifications",
        "PATCH",
        "notifications",
        |v| json!({ "email_notifications": v }),
    ),
    (
        "telemetry_config",
        "PATCH",
        "telemetry-config",
        |v| json!({ "telemetry_config": v }),
    ),
    (
        "rate_limits",
        "PUT",
        "rate-limits",
        |v| json!({ "rate_limits": if v.is_null() { json!([]) } else { v.clone() } }),
    ),
];

/// Tags to add (new or changed) and keys to delete, from what was sent last to what is wanted.
fn tag_changes(before: &Value, now: &Value) -> (Vec<Value>, Vec<String>) {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let (old, new) = (list(before), list(now));
    let add = new.iter().filter(|t| !old.contains(t)).cloned().collect();
    let delete = old
        .iter()
        .filter_map(|t| t["key"].as_str())
        .filter(|k| !new.iter().any(|t| t["key"] == *k))
        .map(str::to_string)
        .collect();
    (add, delete)
}

/// How far a config deployment is. Done when no update is in progress and, if the endpoint
/// has a config to serve, it is READY; a failed or canceled update ends the wait with the
/// reasons the served entities give.
fn progress(v: &Value, needs_ready: bool) -> Progress {
    let update = v["state"]["config_update"].as_str().unwrap_or_default();
    let ready = v["state"]["ready"].as_str().unwrap_or_default();
    match update {
        "UPDATE_FAILED" | "UPDATE_CANCELED" => {
            let reasons: Vec<String> = v["pending_config"]["served_entities"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let m = e["state"]["deployment_state_message"].as_str()?;
                    (!m.is_empty())
                        .then(|| format!("{}: {m}", e["name"].as_str().unwrap_or("(unnamed)")))
                })
                .collect();
            Progress::Failed(format!(
                "the config update ended in {update}{}",
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", reasons.join("; "))
                }
            ))
        }
        "IN_PROGRESS" => Progress::Pending(format!("config_update IN_PROGRESS, ready {ready}")),
        _ if needs_ready && ready != "READY" => {
            Progress::Pending(format!("config_update {update}, ready {ready}"))
        }
        _ => Progress::Done,
    }
}

impl ServingEndpoints {
    async fn settle(&self, c: &Client, what: &str, name: &str) -> Result<Value, ClientError> {
        // Whether it has a config to serve is read from the endpoint itself.
        let first: Value = c.call(self.get(name, what)).await?;
        let needs_ready = !first["config"].is_null() || !first["pending_config"].is_null();
        wait_for(
            c,
            what,
            READY_WITHIN,
            || self.get(name, what),
            |v| progress(v, needs_ready),
        )
        .await
    }
}

impl KindApi for ServingEndpoints {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let r: Value = c
                .call(
                    req(Method::POST, "/api/2.0/serving-endpoints", what)
                        .json(api_settings(settings)),
                )
                .await?;
            Ok(r["name"]
                .as_str()
                .or(settings["name"].as_str())
                .unwrap_or_default()
                .to_string())
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let now = api_settings(u.settings);
            // Adopted ids have no settings on record: send every part.
            let changed =
                |field: &str| u.previous.is_null() || u.previous.get(field) != now.get(field);
            if changed("tags") {
                let (add, delete) = tag_changes(&u.previous["tags"], &now["tags"]);
                if !add.is_empty() || !delete.is_empty() {
                    let r = req(Method::PATCH, format!("{}/tags", path(u.id)), u.what)
                        .json(json!({ "add_tags": add, "delete_tags": delete }))
                        .idempotent(true);
                    c.call::<Value>(r).await?;
                }
            }
            for (field, method, suffix, body) in PARTS {
                if !changed(field) || (u.previous.is_null() && now[*field].is_null()) {
                    continue;
                }
                if *field == "telemetry_config" {
                    // Taken only by an endpoint that is not updating.
                    self.settle(c, u.what, u.id).await?;
                }
                let m = Method::from_bytes(method.as_bytes()).expect("a method");
                let r = req(m, format!("{}/{suffix}", path(u.id)), u.what)
                    .json(body(&now[*field]))
                    .idempotent(true);
                c.call::<Value>(r).await?;
            }
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, path(id), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, path(id), what)
    }

    /// Names are unique: the endpoint of that name, if there is one.
    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let name = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, name, "serving endpoint")
    }

    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        _opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async move { self.settle(c, what, id).await.map(drop) })
    }

    fn after_update<'a>(&'a self, c: &'a Client, what: &'a str, id: &'a str) -> Fut<'a, ()> {
        Box::pin(async move { self.settle(c, what, id).await.map(drop) })
    }

    /// Permissions are set on the endpoint's internal id, not its name.
    fn apply_permissions<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        acl: &'a [Value],
        _previous: &'a [Value],
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let what = format!("permissions of serving endpoint {id}");
            put_permissions_by_read_id(c, self.get(id, &what), "/id", "serving-endpoints", acl)
                .await
        })
    }
}

/// The name prefix as Unity Catalog names take it (`dev_jane_`); no tags (the CLI adds
/// none to endpoints). The deprecated `served_models` become `served_entities`, with the
/// CLI's warning; both at once is an error.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    ctx.refuse_other_run_as("model_serving_endpoints");
    p::prefix(settings, "name", ctx.uc_prefix);
    let path = format!("resources.model_serving_endpoints.{}", ctx.key);
    let at = settings.loc.clone();
    let Some(config) = settings.get_mut("config") else {
        return;
    };
    let non_empty = |n: Option<&Node>| n.and_then(Node::items).is_some_and(|i| !i.is_empty());
    let models = config.get("served_models");
    if !non_empty(models) {
        return;
    }
    if non_empty(config.get("served_entities")) {
        ctx.diags.push(
            &at,
            &path,
            "Cannot use both served_models and served_entities: a model serving endpoint cannot specify both at the same time",
        );
        return;
    }
    let models = config.remove("served_models").expect("checked");
    ctx.diags.warn(
        &models.loc,
        format!("{path}.config.served_models"),
        "Using served_models is deprecated: please use served_entities instead",
    );
    let entities: Vec<Node> = models
        .items()
        .unwrap_or_default()
        .iter()
        .map(served_entity)
        .collect();
    let loc = models.loc.clone();
    config.insert(
        p::key("served_entities", &loc),
        Node::new(Kind::Seq(entities), loc.clone()),
    );
}

/// A served model as the served entity it stands for (the API's field names, in the order
/// the CLI prints them).
fn served_entity(model: &Node) -> Node {
    const ORDER: &[(&str, &str)] = &[
        ("model_name", "entity_name"),
        ("model_version", "entity_version"),
        ("environment_vars", "environment_vars"),
        ("instance_profile_arn", "instance_profile_arn"),
        ("max_provisioned_concurrency", "max_provisioned_concurrency"),
        ("max_provisioned_throughput", "max_provisioned_throughput"),
        ("min_provisioned_concurrency", "min_provisioned_concurrency"),
        ("min_provisioned_throughput", "min_provisioned_throughput"),
        ("name", "name"),
        ("provisioned_model_units", "provisioned_model_units"),
        ("scale_to_zero_enabled", "scale_to_zero_enabled"),
        ("workload_size", "workload_size"),
        ("workload_type", "workload_type"),
    ];
    let fields = ORDER
        .iter()
        .filter_map(|(from, to)| {
            let v = model.get(from)?;
            Some((p::key(to, &v.loc), v.clone()))
        })
        .collect();
    Node::new(Kind::Map(fields), model.loc.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_while_updating_or_not_ready_and_a_failure_names_its_reasons() {
        let s = |u: &str, r: &str| json!({"state": {"config_update": u, "ready": r}});
        assert!(matches!(
            progress(&s("IN_PROGRESS", "READY"), true),
            Progress::Pending(_)
        ));
        assert!(matches!(
            progress(&s("NOT_UPDATING", "NOT_READY"), true),
            Progress::Pending(_)
        ));
        assert!(matches!(
            progress(&s("NOT_UPDATING", "NOT_READY"), false),
            Progress::Done
        ));
        assert!(matches!(
            progress(&s("NOT_UPDATING", "READY"), true),
            Progress::Done
        ));
        let mut failed = s("UPDATE_FAILED", "READY");
        failed["pending_config"] = json!({"served_entities": [{"name": "m-1", "state": {"deployment": "DEPLOYMENT_FAILED", "deployment_state_message": "out of memory"}}]});
        match progress(&failed, true) {
            Progress::Failed(m) => assert_eq!(
                m,
                "the config update ended in UPDATE_FAILED (m-1: out of memory)"
            ),
            _ => panic!("not failed"),
        }
    }

    #[test]
    fn tags_are_added_changed_and_deleted_by_key() {
        let (add, delete) = tag_changes(
            &json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]),
            &json!([{"key": "a", "value": "9"}, {"key": "c", "value": "3"}]),
        );
        assert_eq!(
            add,
            vec![
                json!({"key": "a", "value": "9"}),
                json!({"key": "c", "value": "3"})
            ]
        );
        assert_eq!(delete, vec!["b".to_string()]);
    }
}
