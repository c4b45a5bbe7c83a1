//! `resources.clusters`: all-purpose clusters. A new cluster starts on create and is stopped
//! again unless the deploy is asked to keep it running; an update is an edit.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    CreateOptions, Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at,
    req,
};
use crate::bundle::presets::{self as p, NAMED_AFTER_KEY, PresetCtx};
use crate::bundle::yaml::{Kind, Loc, Node};
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "clusters",
    terraform: Some("databricks_cluster"),
    required: &[],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[],
    // Not listed: the list forgets terminated clusters after 30 days, while they exist.
    listing: None,
    levels: &["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_ATTACH_TO"), ("CAN_RUN", "CAN_ATTACH_TO")],
    permissions: Permissions::Object("clusters"),
    deployer: Deployer::Manager,
    presets,
    api: &Clusters,
};

struct Clusters;

impl KindApi for Clusters {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let body = api_settings(settings);
            let (_, id) =
                create_at(c, "/api/2.1/clusters/create", what, body, "cluster_id").await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let mut b = api_settings(u.settings);
            b["cluster_id"] = json!(u.id);
            let r = req(Method::POST, "/api/2.1/clusters/edit", u.what)
                .json(b)
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::POST, "/api/2.1/clusters/permanent-delete", what)
            .json(json!({ "cluster_id": id }))
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, "/api/2.1/clusters/get", what).query("cluster_id", id)
    }

    /// The clusters API answers an unknown id with 400 INVALID_PARAMETER_VALUE.
    fn missing(&self, e: &ClientError) -> bool {
        e.api().is_some_and(|a| {
            a.error_code.as_deref() == Some("INVALID_PARAMETER_VALUE")
                && a.message.contains("does not exist")
        })
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let wanted = settings["cluster_name"].as_str().unwrap_or_default();
        Box::pin(crate::deploy::lookup::named(c, "cluster", wanted))
    }

    /// A new cluster starts, and a deploy should not leave it running unless asked to.
    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            if !opts.keep_clusters_running {
                let stop = req(Method::POST, "/api/2.1/clusters/delete", what)
                    .json(json!({ "cluster_id": id }))
                    .idempotent(true);
                c.call::<Value>(stop).await?;
            }
            Ok(())
        })
    }
}

/// Named after its key, auto-terminating after an hour, prefixed and tagged.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    p::default(
        settings,
        "cluster_name",
        p::text(ctx.key, &Loc::synthetic(NAMED_AFTER_KEY)),
    );
    p::default(
        settings,
        "autotermination_minutes",
        Node::new(Kind::Int(60), loc.clone()),
    );
    p::prefix(settings, "cluster_name", ctx.prefix);
    p::tag_map(settings, "custom_tags", ctx.tags(), &loc);
}
