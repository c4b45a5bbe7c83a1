//! `resources.database_instances`: Lakebase database instances. The name is the id; an
//! update is a PATCH with `update_mask=*` (as the Databricks CLI). A new instance starts
//! and an update applies asynchronously: the deploy waits until it is AVAILABLE (or
//! STOPPED, when the bundle asks for a stopped instance). A new name or Postgres version
//! is a new instance.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::{
    CreateOptions, Deployer, Fut, KindApi, KindSpec, Permissions, Progress, Update, api_settings,
    create_at, req, segment, wait_for,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "database_instances",
    terraform: Some("databricks_database_instance"),
    required: &["name"],
    fixed: &["name", "pg_version"],
    fixed_reason: "which a database instance cannot change (its name is its id)",
    replace: true,
    computed: &[
        ("uid", "/uid"),
        ("read_write_dns", "/read_write_dns"),
        ("read_only_dns", "/read_only_dns"),
        ("state", "/state"),
    ],
    listing: None,
    levels: &["CAN_USE", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_USE")],
    permissions: Permissions::Object("database-instances"),
    deployer: Deployer::Manager,
    presets,
    api: &DatabaseInstances,
};

/// How long a start or an update may take (the SDK's waiter allows 20 minutes).
const AVAILABLE_WITHIN: Duration = Duration::from_secs(20 * 60);

const AT: &str = "/api/2.0/database/instances";

struct DatabaseInstances;

fn progress(v: &Value) -> Progress {
    match v["state"].as_str().unwrap_or("") {
        "AVAILABLE" | "STOPPED" => Progress::Done,
        "DELETING" => Progress::Failed("the instance is being deleted".into()),
        other => Progress::Pending(format!("state {other}")),
    }
}

impl DatabaseInstances {
    async fn settle(&self, c: &Client, what: &str, name: &str) -> Result<(), ClientError> {
        wait_for(c, what, AVAILABLE_WITHIN, || self.get(name, what), progress)
            .await
            .map(drop)
    }
}

impl KindApi for DatabaseInstances {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let (_, id) = create_at(c, AT, what, api_settings(settings), "name").await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let r = req(Method::PATCH, format!("{AT}/{}", segment(u.id)), u.what)
                .query("update_mask", "*")
                .json(api_settings(u.settings))
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    /// With `purge`, as the Databricks CLI: the name can be used again at once.
    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, format!("{AT}/{}", segment(id)), what).query("purge", "true")
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, format!("{AT}/{}", segment(id)), what)
    }

    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        _opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async move { self.settle(c, what, id).await })
    }

    fn after_update<'a>(&'a self, c: &'a Client, what: &'a str, id: &'a str) -> Fut<'a, ()> {
        Box::pin(async move { self.settle(c, what, id).await })
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let id = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, id, "")
    }
}

/// None: the Databricks CLI applies no development-mode preset to database instances.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn available_and_stopped_are_settled_the_rest_is_waited_for() {
        assert!(matches!(
            progress(&json!({"state": "AVAILABLE"})),
            Progress::Done
        ));
        assert!(matches!(
            progress(&json!({"state": "STOPPED"})),
            Progress::Done
        ));
        assert!(matches!(
            progress(&json!({"state": "STARTING"})),
            Progress::Pending(_)
        ));
        assert!(matches!(
            progress(&json!({"state": "DELETING"})),
            Progress::Failed(_)
        ));
    }
}
