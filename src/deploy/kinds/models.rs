//! `resources.models`: the legacy workspace MLflow Model Registry. The name is the id; a
//! rename is the registry's rename (the id follows), the description a PATCH and tags
//! set or deleted one by one. Permissions are set on the model's own id, which only the
//! Databricks read of the model shows (also `${resources.models.<key>.model_id}`).

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at,
    put_permissions_by_read_id, req,
};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "models",
    terraform: Some("databricks_mlflow_model"),
    required: &["name"],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[("model_id", "/registered_model_databricks/id")],
    listing: None,
    levels: &[
        "CAN_READ",
        "CAN_EDIT",
        "CAN_MANAGE_STAGING_VERSIONS",
        "CAN_MANAGE_PRODUCTION_VERSIONS",
        "CAN_MANAGE",
    ],
    top_levels: &[("CAN_VIEW", "CAN_READ")],
    permissions: Permissions::Custom,
    deployer: Deployer::Manager,
    presets,
    api: &Models,
};

const AT: &str = "/api/2.0/mlflow/registered-models";

struct Models;

/// `{key: value}` of a `tags` list.
fn tags(settings: &Value) -> std::collections::BTreeMap<String, Value> {
    settings["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["key"].as_str()?.to_string(), t["value"].clone())))
        .collect()
}

/// Sets the tags `after` has and `before` had otherwise; deletes the ones it dropped.
async fn apply_tags(
    c: &Client,
    what: &str,
    name: &str,
    before: &Value,
    after: &Value,
) -> Result<(), ClientError> {
    let (old, new) = (tags(before), tags(after));
    for (k, v) in &new {
        if old.get(k) != Some(v) {
            let b = json!({ "name": name, "key": k, "value": v });
            let r = req(Method::POST, format!("{AT}/set-tag"), what)
                .json(b)
                .idempotent(true);
            c.call::<Value>(r).await?;
        }
    }
    for k in old.keys().filter(|k| !new.contains_key(*k)) {
        let r = req(Method::DELETE, format!("{AT}/delete-tag"), what)
            .query("name", name)
            .query("key", k)
            .idempotent(true);
        match c.call::<Value>(r).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl KindApi for Models {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let at = format!("{AT}/create");
            let (r, _) = create_at(c, &at, what, api_settings(settings), "name").await?;
            Ok(r["registered_model"]["name"]
                .as_str()
                .or(settings["name"].as_str())
                .unwrap_or_default()
                .to_string())
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let mut name = u.id.to_string();
            if u.renamed("name") {
                let b = json!({ "name": u.id, "new_name": u.settings["name"] });
                let r = req(Method::POST, format!("{AT}/rename"), u.what).json(b);
                let v: Value = c.call(r).await?;
                name = v["registered_model"]["name"]
                    .as_str()
                    .or(u.settings["name"].as_str())
                    .unwrap_or(u.id)
                    .to_string();
            }
            if u.previous.is_null()
                || u.previous.get("description") != u.settings.get("description")
            {
                let mut b = json!({ "name": name });
                if let Some(d) = u.settings.get("description") {
                    b["description"] = d.clone();
                }
                let r = req(Method::PATCH, format!("{AT}/update"), u.what)
                    .json(b)
                    .idempotent(true);
                c.call::<Value>(r).await?;
            }
            apply_tags(c, u.what, &name, u.previous, u.settings).await?;
            Ok(name)
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, format!("{AT}/delete"), what).query("name", id)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(
            Method::GET,
            "/api/2.0/mlflow/databricks/registered-models/get",
            what,
        )
        .query("name", id)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let name = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, name, "model")
    }

    /// On the model's own id (read by name), as the permissions API takes it.
    fn apply_permissions<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        acl: &'a [Value],
        _previous: &'a [Value],
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let what = format!("permissions of models {id}");
            let get = self.get(id, &what);
            put_permissions_by_read_id(
                c,
                get,
                "/registered_model_databricks/id",
                "registered-models",
                acl,
            )
            .await
        })
    }
}

/// As the Databricks CLI: the name prefix (`[dev jane] `) and the preset tags.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    p::prefix(settings, "name", ctx.prefix);
    let loc = ctx.loc.clone();
    p::tag_list(settings, ctx.tags(), &loc);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_as_a_map_by_key() {
        let t = tags(&json!({"tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}));
        assert_eq!(t.get("a"), Some(&json!("1")));
        assert_eq!(t.len(), 2);
        assert!(tags(&Value::Null).is_empty());
    }
}
