//! `resources.sql_warehouses`: SQL warehouses. A new warehouse starts on create and is
//! stopped again unless the deploy is asked to keep compute running (as clusters); an
//! update is an edit, which leaves a stopped warehouse stopped.

use reqwest::Method;
use serde_json::Value;

use super::{
    CreateOptions, Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at,
    req,
};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::{Kind, Node};
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "sql_warehouses",
    terraform: Some("databricks_sql_endpoint"),
    // `name` too, checked by `presets` as the CLI's validate.
    required: &["cluster_size"],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[("jdbc_url", "/jdbc_url"), ("odbc_params", "/odbc_params")],
    listing: Some(super::Listing {
        path: "/api/2.0/sql/warehouses",
        array: "warehouses",
        id_field: "id",
        page_size: "page_size",
        always: false,
    }),
    levels: &[
        "CAN_VIEW",
        "CAN_MONITOR",
        "CAN_USE",
        "CAN_MANAGE",
        "IS_OWNER",
    ],
    top_levels: &[("CAN_VIEW", "CAN_VIEW"), ("CAN_RUN", "CAN_MONITOR")],
    permissions: Permissions::Object("sql/warehouses"),
    deployer: Deployer::Manager,
    presets,
    api: &Warehouses,
};

/// What create and edit take (`lifecycle` is the bundle's, not the API's).
fn body(settings: &Value) -> Value {
    let mut b = api_settings(settings);
    if let Some(o) = b.as_object_mut() {
        o.remove("lifecycle");
    }
    b
}

struct Warehouses;

impl KindApi for Warehouses {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let (_, id) =
                create_at(c, "/api/2.0/sql/warehouses", what, body(settings), "id").await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let r = req(
                Method::POST,
                format!("/api/2.0/sql/warehouses/{}/edit", u.id),
                u.what,
            )
            .json(body(u.settings))
            .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(
            Method::DELETE,
            format!("/api/2.0/sql/warehouses/{id}"),
            what,
        )
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, format!("/api/2.0/sql/warehouses/{id}"), what)
    }

    /// A warehouse being deleted may still be read for a while.
    fn alive(&self, read: &Value) -> bool {
        !matches!(read["state"].as_str(), Some("DELETED" | "DELETING"))
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let wanted = settings["name"].as_str().unwrap_or_default();
            let r: Value = c
                .call(req(
                    Method::GET,
                    "/api/2.0/sql/warehouses",
                    "SQL warehouses",
                ))
                .await?;
            Ok(r["warehouses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|w| w["name"] == wanted)
                .filter_map(|w| w["id"].as_str().map(str::to_string))
                .collect())
        })
    }

    /// A new warehouse starts; a deploy should not leave it running unless asked to, or
    /// unless the bundle says `lifecycle.started: true`.
    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            if !opts.keep_clusters_running {
                let stop = req(
                    Method::POST,
                    format!("/api/2.0/sql/warehouses/{id}/stop"),
                    what,
                )
                .idempotent(true);
                c.call::<Value>(stop).await?;
            }
            Ok(())
        })
    }
}

/// Named (checked), prefixed and tagged (`tags.custom_tags`, a `[{key, value}]` list), as
/// the CLI.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    // As the CLI's validate: a blank name is no name.
    if settings
        .get("name")
        .is_none_or(|n| n.as_str().is_some_and(|s| s.trim().is_empty()))
    {
        let at = format!("resources.sql_warehouses.{}", ctx.key);
        ctx.diags.push(&loc, at, "sql_warehouse name is required");
    }
    p::prefix(settings, "name", ctx.prefix);
    if ctx.tags().is_empty() {
        return;
    }
    p::default(settings, "tags", p::map(vec![], &loc));
    let Some(tags) = settings.get_mut("tags") else {
        return;
    };
    p::default(
        tags,
        "custom_tags",
        Node::new(Kind::Seq(vec![]), loc.clone()),
    );
    let Some(Kind::Seq(list)) = tags.get_mut("custom_tags").map(|t| &mut t.kind) else {
        return;
    };
    for (k, v) in ctx.presets.tags.iter() {
        if !list
            .iter()
            .any(|t| t.get("key").and_then(Node::as_str) == Some(k))
        {
            list.push(p::map(
                vec![("key", p::text(k, &loc)), ("value", p::text(v, &loc))],
                &loc,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_and_permissions_stay_out_of_the_body() {
        let settings = serde_json::json!({
            "name": "w", "cluster_size": "Small", "lifecycle": {"started": true},
            "permissions": [{"level": "CAN_USE", "group_name": "g"}],
        });
        assert_eq!(
            body(&settings),
            serde_json::json!({"name": "w", "cluster_size": "Small"})
        );
    }
}
