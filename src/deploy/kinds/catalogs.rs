//! `resources.catalogs`: Unity Catalog catalogs. The name is the id (a rename is a PATCH
//! with `new_name`); storage root and the sharing or foreign source cannot change, so a
//! change to them replaces the catalog. `grants` are applied as Unity Catalog privilege
//! changes, only what differs from the grants last deployed.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at, req, uc::path,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "catalogs",
    terraform: Some("databricks_catalog"),
    required: &["name"],
    fixed: &[
        "storage_root",
        "connection_name",
        "provider_name",
        "share_name",
    ],
    fixed_reason: "which Unity Catalog cannot change on an existing catalog",
    replace: true,
    computed: &[],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &Catalogs,
};

/// What PATCH takes besides `new_name`.
const UPDATABLE: &[&str] = &[
    "comment",
    "properties",
    "options",
    "isolation_mode",
    "enable_predictive_optimization",
    "owner",
];

struct Catalogs;

/// The body for create: the catalog's own fields, without grants.
fn body(settings: &Value) -> Value {
    let mut b = api_settings(settings);
    if let Some(o) = b.as_object_mut() {
        o.remove("grants");
    }
    b
}

/// `{principal: [privileges]}` from a `grants` list.
fn grants_of(settings: &Value) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    for g in settings["grants"].as_array().into_iter().flatten() {
        let Some(p) = g["principal"].as_str() else {
            continue;
        };
        let privs: Vec<String> = g["privileges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect();
        out.entry(p.to_string())
            .or_insert_with(Vec::new)
            .extend(privs);
    }
    out
}

/// The privilege changes that take `before` to `after` (principals in name order).
pub fn grant_changes(before: &Value, after: &Value) -> Vec<Value> {
    let (old, new) = (grants_of(before), grants_of(after));
    let mut principals: Vec<&String> = old.keys().chain(new.keys()).collect();
    principals.sort();
    principals.dedup();
    principals
        .into_iter()
        .filter_map(|p| {
            let had = old.get(p).cloned().unwrap_or_default();
            let has = new.get(p).cloned().unwrap_or_default();
            let add: Vec<&String> = has.iter().filter(|x| !had.contains(x)).collect();
            let remove: Vec<&String> = had.iter().filter(|x| !has.contains(x)).collect();
            if add.is_empty() && remove.is_empty() {
                return None;
            }
            let mut c = json!({ "principal": p });
            if !add.is_empty() {
                c["add"] = json!(add);
            }
            if !remove.is_empty() {
                c["remove"] = json!(remove);
            }
            Some(c)
        })
        .collect()
}

async fn apply_grants(
    c: &Client,
    what: &str,
    name: &str,
    before: &Value,
    after: &Value,
) -> Result<(), ClientError> {
    apply_grants_on(c, what, "catalog", name, before, after).await
}

/// Applies the difference between two `grants` lists to the securable `kind/name`.
pub(crate) async fn apply_grants_on(
    c: &Client,
    what: &str,
    securable: &str,
    name: &str,
    before: &Value,
    after: &Value,
) -> Result<(), ClientError> {
    let changes = grant_changes(before, after);
    if changes.is_empty() {
        return Ok(());
    }
    let escaped: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let r = req(
        Method::PATCH,
        format!("/api/2.1/unity-catalog/permissions/{securable}/{escaped}"),
        what,
    )
    .json(json!({ "changes": changes }))
    .idempotent(true);
    c.call::<Value>(r).await.map(drop)
}

impl KindApi for Catalogs {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let at = "/api/2.1/unity-catalog/catalogs";
            let (_, id) = create_at(c, at, what, body(settings), "name").await?;
            let name = id.unwrap_or_else(|_| settings["name"].as_str().unwrap_or("").to_string());
            apply_grants(c, what, &name, &Value::Null, settings).await?;
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
                    req(Method::PATCH, path("catalogs", u.id), u.what)
                        .json(patch)
                        .idempotent(true),
                )
                .await?;
            let name = r["name"]
                .as_str()
                .map_or_else(|| u.id.to_string(), str::to_string);
            apply_grants(c, u.what, &name, u.previous, u.settings).await?;
            Ok(name)
        })
    }

    /// As the Databricks CLI: with `force`, so schemas the bundle made go with it.
    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, path("catalogs", id), what).query("force", "true")
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, path("catalogs", id), what)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let id = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, id, "")
    }
}

/// None: the CLI does not prefix catalog names in development mode.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_changes_add_and_remove_only_the_difference() {
        let before = json!({"grants": [
            {"principal": "eng", "privileges": ["USE_CATALOG", "CREATE_SCHEMA"]},
            {"principal": "gone", "privileges": ["USE_CATALOG"]},
        ]});
        let after = json!({"grants": [
            {"principal": "eng", "privileges": ["USE_CATALOG", "USE_SCHEMA"]},
            {"principal": "new", "privileges": ["BROWSE"]},
        ]});
        assert_eq!(
            grant_changes(&before, &after),
            vec![
                json!({"principal": "eng", "add": ["USE_SCHEMA"], "remove": ["CREATE_SCHEMA"]}),
                json!({"principal": "gone", "remove": ["USE_CATALOG"]}),
                json!({"principal": "new", "add": ["BROWSE"]}),
            ]
        );
        assert!(grant_changes(&after, &after).is_empty());
        assert_eq!(grant_changes(&Value::Null, &json!({})).len(), 0);
    }
}
