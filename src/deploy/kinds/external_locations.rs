//! `resources.external_locations`: Unity Catalog external locations. The name is the id (a
//! rename is a PATCH with `new_name`); as the Databricks CLI, a change of credential,
//! encryption or file event queue replaces the location. `grants` are applied as privilege
//! changes, only what differs from the grants last deployed.

use reqwest::Method;
use serde_json::{Value, json};

use super::catalogs::apply_grants_on;
use super::{
    Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at, req, uc::path,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "external_locations",
    terraform: None,
    required: &["name", "url", "credential_name"],
    fixed: &["credential_name", "encryption_details", "file_event_queue"],
    fixed_reason: "which the Databricks CLI does not change on an existing external location",
    replace: true,
    computed: &[("credential_id", "/credential_id")],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &ExternalLocations,
};

/// What PATCH takes besides `new_name` (the `fixed` fields go by replacement).
const UPDATABLE: &[&str] = &[
    "url",
    "comment",
    "read_only",
    "skip_validation",
    "owner",
    "isolation_mode",
    "enable_file_events",
    "fallback",
];

const SECURABLE: &str = "external_location";

struct ExternalLocations;

fn body(settings: &Value) -> Value {
    let mut b = api_settings(settings);
    if let Some(o) = b.as_object_mut() {
        o.remove("grants");
    }
    b
}

impl KindApi for ExternalLocations {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let at = "/api/2.1/unity-catalog/external-locations";
            let (_, id) = create_at(c, at, what, body(settings), "name").await?;
            let name = id.unwrap_or_else(|_| settings["name"].as_str().unwrap_or("").to_string());
            apply_grants_on(c, what, SECURABLE, &name, &Value::Null, settings).await?;
            Ok(name)
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let b = body(u.settings);
            let mut patch = json!({});
            for k in UPDATABLE {
                if let Some(v) = b.get(*k) {
                    patch[*k] = v.clone();
                }
            }
            if u.renamed("name") {
                patch["new_name"] = u.settings["name"].clone();
            }
            let r: Value = c
                .call(
                    req(Method::PATCH, path("external-locations", u.id), u.what)
                        .json(patch)
                        .idempotent(true),
                )
                .await?;
            let name = r["name"]
                .as_str()
                .map_or_else(|| u.id.to_string(), str::to_string);
            apply_grants_on(c, u.what, SECURABLE, &name, u.previous, u.settings).await?;
            Ok(name)
        })
    }

    /// With `force`, as the Databricks CLI: tables on the location do not keep it.
    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, path("external-locations", id), what).query("force", "true")
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, path("external-locations", id), what)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let id = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, id, "")
    }
}

/// None: the Databricks CLI applies no development-mode preset to external locations.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
