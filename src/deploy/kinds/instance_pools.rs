//! `resources.instance_pools`: instance pools. An update is an edit of what the API lets
//! change (name, capacity, idle settings, custom tags); node type, disks, preloaded
//! versions and images, and cloud attributes are fixed, so a change to them replaces the
//! pool.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at, req};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "instance_pools",
    terraform: Some("databricks_instance_pool"),
    required: &["instance_pool_name", "node_type_id"],
    fixed: &[
        "node_type_id",
        "node_type_flexibility",
        "disk_spec",
        "enable_elastic_disk",
        "preloaded_spark_versions",
        "preloaded_docker_images",
        "aws_attributes",
        "azure_attributes",
        "gcp_attributes",
    ],
    fixed_reason: "which the instance pools API cannot edit",
    replace: true,
    computed: &[],
    listing: Some(super::Listing {
        path: "/api/2.0/instance-pools/list",
        array: "instance_pools",
        id_field: "instance_pool_id",
        page_size: "",
        always: false,
    }),
    levels: &["CAN_ATTACH_TO", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_ATTACH_TO"), ("CAN_RUN", "CAN_ATTACH_TO")],
    permissions: Permissions::Object("instance-pools"),
    deployer: Deployer::Manager,
    presets,
    api: &Pools,
};

/// What `/instance-pools/edit` takes (it needs the unchanged node type too).
const EDITABLE: &[&str] = &[
    "instance_pool_name",
    "node_type_id",
    "min_idle_instances",
    "max_capacity",
    "idle_instance_autotermination_minutes",
    "custom_tags",
    "remote_disk_throughput",
    "total_initial_remote_disk_size",
];

struct Pools;

impl KindApi for Pools {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let at = "/api/2.0/instance-pools/create";
            let (_, id) =
                create_at(c, at, what, api_settings(settings), "instance_pool_id").await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let s = api_settings(u.settings);
            let mut b = json!({ "instance_pool_id": u.id });
            for k in EDITABLE {
                if let Some(v) = s.get(*k) {
                    b[*k] = v.clone();
                }
            }
            let r = req(Method::POST, "/api/2.0/instance-pools/edit", u.what)
                .json(b)
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::POST, "/api/2.0/instance-pools/delete", what)
            .json(json!({ "instance_pool_id": id }))
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, "/api/2.0/instance-pools/get", what).query("instance_pool_id", id)
    }

    /// A deleted pool may still be read, in state DELETED.
    fn alive(&self, read: &Value) -> bool {
        read["state"] != "DELETED"
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let wanted = settings["instance_pool_name"].as_str().unwrap_or_default();
            let r: Value = c
                .call(req(
                    Method::GET,
                    "/api/2.0/instance-pools/list",
                    "instance pools",
                ))
                .await?;
            Ok(r["instance_pools"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["instance_pool_name"] == wanted && p["state"] != "DELETED")
                .filter_map(|p| p["instance_pool_id"].as_str().map(str::to_string))
                .collect())
        })
    }
}

/// Prefixed and tagged (`custom_tags`), as the CLI.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    p::prefix(settings, "instance_pool_name", ctx.prefix);
    p::tag_map(settings, "custom_tags", ctx.tags(), &loc);
}
