//! What Unity Catalog securables (schemas, volumes, registered models) share: their id is
//! their full name, an update is a PATCH of a few fields (a rename is `new_name`), and a
//! name is looked up by reading it.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Fut, KindApi, Update, api_settings, create_at, req};
use crate::databricks::{ApiRequest, Client};

/// `/api/2.1/unity-catalog/<kind>/<full name>`.
pub fn path(kind: &str, full_name: &str) -> String {
    let escaped: String = url::form_urlencoded::byte_serialize(full_name.as_bytes()).collect();
    format!("/api/2.1/unity-catalog/{kind}/{escaped}")
}

/// `catalog.schema.name` from the parts the settings have.
pub fn full_name(settings: &Value) -> String {
    [
        &settings["catalog_name"],
        &settings["schema_name"],
        &settings["name"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .collect::<Vec<_>>()
    .join(".")
}

/// A securable at `/api/2.1/unity-catalog/<path_kind>`.
pub struct Securable {
    pub path_kind: &'static str,
}

impl KindApi for Securable {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let at = format!("/api/2.1/unity-catalog/{}", self.path_kind);
            let (_, id) = create_at(c, &at, what, api_settings(settings), "full_name").await?;
            // A Unity Catalog name is its id: built from the settings if not echoed.
            Ok(id.unwrap_or_else(|_| full_name(settings)))
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let body = api_settings(u.settings);
            let mut patch = json!({});
            for k in ["comment", "properties", "owner"] {
                if let Some(v) = body.get(k) {
                    patch[k] = v.clone();
                }
            }
            if u.renamed("name") {
                patch["new_name"] = u.settings["name"].clone();
            }
            let r: Value = c
                .call(
                    req(Method::PATCH, path(self.path_kind, u.id), u.what)
                        .json(patch)
                        .idempotent(true),
                )
                .await?;
            Ok(r["full_name"]
                .as_str()
                .map_or_else(|| u.id.to_string(), str::to_string))
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, path(self.path_kind, id), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, path(self.path_kind, id), what)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let id = full_name(settings);
        self.named_as(c, id, "")
    }
}
