//! `resources.vector_search_endpoints`: the compute that hosts vector search indexes
//! (`/api/2.0/vector-search/endpoints`). Its id is its name. A new endpoint provisions in the
//! background: the deploy waits until it is ONLINE (OFFLINE ends the wait as a failure). As
//! the Databricks CLI: the budget policy and the target QPS are updated in place, each by its
//! own call, and only when changed; a new name or endpoint type is a new endpoint; the usage
//! policy is sent on create only (the API has no update for it). Permissions go to the
//! endpoint's UUID, read by name. No development-mode preset (the CLI applies none).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    CreateOptions, Deployer, Fut, KindApi, KindSpec, Listing, Permissions, Progress, Update,
    api_settings, put_permissions_by_read_id, req, segment, wait_for,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "vector_search_endpoints",
    // The CLI deploys it with its direct engine only: no Terraform state to adopt.
    terraform: None,
    required: &["name", "endpoint_type"],
    fixed: &["name", "endpoint_type"],
    fixed_reason: "which a vector search endpoint cannot change in place",
    replace: true,
    // `name` is the id, but read back as computed so that an index naming its endpoint by
    // reference is revisited (and rebound) when the endpoint is replaced in the same deploy.
    computed: &[("endpoint_uuid", "/id"), ("name", "/name")],
    listing: Some(Listing {
        path: "/api/2.0/vector-search/endpoints",
        array: "endpoints",
        id_field: "name",
        page_size: "",
        always: false,
    }),
    levels: &["CAN_CREATE", "CAN_USE", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_USE")],
    permissions: Permissions::Custom,
    deployer: Deployer::Manager,
    presets,
    api: &VectorSearchEndpoints,
};

/// How long provisioning may take (the Databricks CLI allows 60 minutes).
const ONLINE_WITHIN: Duration = Duration::from_secs(60 * 60);

const AT: &str = "/api/2.0/vector-search/endpoints";

fn path(name: &str) -> String {
    format!("{AT}/{}", segment(name))
}

struct VectorSearchEndpoints;

fn progress(v: &Value) -> Progress {
    let status = &v["endpoint_status"];
    let state = status["state"].as_str().unwrap_or_default();
    let message = status["message"].as_str().unwrap_or_default();
    match state {
        "ONLINE" => Progress::Done,
        "OFFLINE" => Progress::Failed(format!("the endpoint is OFFLINE: {message}")),
        other => Progress::Pending(format!("state {other}")),
    }
}

/// The in-place updates the settings ask for: (path suffix, body), each only when its field
/// changed (or, for an adopted endpoint with no settings on record, when it is set).
fn changes(previous: &Value, now: &Value) -> Vec<(&'static str, Value)> {
    let changed = |f: &str| {
        if previous.is_null() {
            !now[f].is_null()
        } else {
            previous.get(f) != now.get(f)
        }
    };
    let mut out = Vec::new();
    // Unset values are left out of the body, as the CLI sends them.
    let body = |f: &str| {
        if now[f].is_null() {
            json!({})
        } else {
            json!({ f: now[f] })
        }
    };
    if changed("budget_policy_id") {
        out.push(("/budget-policy", body("budget_policy_id")));
    }
    if changed("target_qps") {
        out.push(("", body("target_qps")));
    }
    out
}

impl KindApi for VectorSearchEndpoints {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let r: Value = c
                .call(req(Method::POST, AT, what).json(api_settings(settings)))
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
            for (suffix, body) in changes(u.previous, &api_settings(u.settings)) {
                let r = req(Method::PATCH, format!("{}{suffix}", path(u.id)), u.what)
                    .json(body)
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
        self.named_as(c, name, "vector search endpoint")
    }

    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        _opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            wait_for(c, what, ONLINE_WITHIN, || self.get(id, what), progress)
                .await
                .map(drop)
        })
    }

    /// Permissions are set on the endpoint's UUID, not its name.
    fn apply_permissions<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        acl: &'a [Value],
        _previous: &'a [Value],
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let what = format!("permissions of vector search endpoint {id}");
            put_permissions_by_read_id(
                c,
                self.get(id, &what),
                "/id",
                "vector-search-endpoints",
                acl,
            )
            .await
        })
    }
}

/// None: the Databricks CLI applies no development-mode preset to vector search endpoints.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_is_done_offline_fails_the_rest_is_waited_for() {
        let s = |st: &str| json!({"endpoint_status": {"state": st, "message": "m"}});
        assert!(matches!(progress(&s("ONLINE")), Progress::Done));
        assert!(matches!(progress(&s("PROVISIONING")), Progress::Pending(_)));
        assert!(matches!(progress(&s("OFFLINE")), Progress::Failed(_)));
    }

    #[test]
    fn only_changed_fields_are_sent_each_to_its_own_call() {
        let before = json!({"name": "vs", "budget_policy_id": "p1", "target_qps": 2});
        let now = json!({"name": "vs", "budget_policy_id": "p2", "target_qps": 2});
        assert_eq!(
            changes(&before, &now),
            vec![("/budget-policy", json!({"budget_policy_id": "p2"}))]
        );
        let now = json!({"name": "vs", "budget_policy_id": "p1"});
        assert_eq!(changes(&before, &now), vec![("", json!({}))]);
        assert!(changes(&before, &before).is_empty());
        // Adopted: what is set is sent once.
        let adopted = changes(&Value::Null, &json!({"name": "vs", "target_qps": 5}));
        assert_eq!(adopted, vec![("", json!({"target_qps": 5}))]);
    }
}
