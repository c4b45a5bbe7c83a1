//! `resources.secrets`: Unity Catalog secrets (a value kept in a schema). The full name is
//! the id; value, comment, owner and expiry are updated in place (`update_mask=*`, as the
//! Databricks CLI); a new name, catalog or schema is a new secret. The value is sent, never
//! read back.

use reqwest::Method;
use serde_json::Value;

use super::{
    Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at, req,
    uc::{full_name, path},
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "secrets",
    terraform: None,
    required: &["name", "catalog_name", "schema_name", "value"],
    fixed: &["name", "catalog_name", "schema_name"],
    fixed_reason: "which a Unity Catalog secret cannot change (its full name is its id)",
    replace: true,
    computed: &[],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &Secrets,
};

struct Secrets;

impl KindApi for Secrets {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let at = "/api/2.1/unity-catalog/secrets";
            let (_, id) = create_at(c, at, what, api_settings(settings), "full_name").await?;
            Ok(id.unwrap_or_else(|_| full_name(settings)))
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let r = req(Method::PATCH, path("secrets", u.id), u.what)
                .query("update_mask", "*")
                .json(api_settings(u.settings))
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, path("secrets", id), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, path("secrets", id), what)
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &["value"]
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let id = full_name(settings);
        self.named_as(c, id, "")
    }
}

/// None: the Databricks CLI applies no development-mode preset to secrets.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
