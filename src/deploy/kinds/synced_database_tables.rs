//! `resources.synced_database_tables`: Unity Catalog tables synced into a database
//! instance's Postgres database. The service has no update for them, so (as the Databricks
//! CLI) any change replaces the table; the deploy does not wait for the first sync, and a
//! delete keeps the synced data (as the CLI). The full name is the id.

use reqwest::Method;
use serde_json::Value;

use super::{
    Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at, req, segment,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "synced_database_tables",
    terraform: Some("databricks_database_synced_database_table"),
    required: &["name"],
    fixed: &[
        "name",
        "database_instance_name",
        "logical_database_name",
        "spec",
    ],
    fixed_reason: "which the Database API cannot update (it has no update for synced tables)",
    replace: true,
    computed: &[("pipeline_id", "/data_synchronization_status/pipeline_id")],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &SyncedDatabaseTables,
};

const AT: &str = "/api/2.0/database/synced_tables";

struct SyncedDatabaseTables;

impl KindApi for SyncedDatabaseTables {
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

    /// Nothing to send: every setting is `fixed` (a change replaces the table).
    fn update<'a>(&'a self, _c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move { Ok(u.id.to_string()) })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, format!("{AT}/{}", segment(id)), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, format!("{AT}/{}", segment(id)), what)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let id = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, id, "")
    }
}

/// None: the Databricks CLI applies no development-mode preset to synced database tables.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
