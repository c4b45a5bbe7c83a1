//! `resources.dashboards`: Lakeview dashboards, from a `.lvdash.json` file (`file_path`,
//! read when the bundle loads into `serialized_dashboard`) or inline. Each deploy that
//! creates or changes one publishes it (`embed_credentials`, the dashboard's warehouse).
//! The folder cannot change in place, so a new `parent_path` replaces the dashboard.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Deployer, Fut, KindApi, KindSpec, Permissions, Update, req};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::{Kind, Node};
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "dashboards",
    terraform: Some("databricks_dashboard"),
    // `display_name` and `warehouse_id` too, checked by `presets` as the CLI's validate.
    required: &[],
    fixed: &["parent_path"],
    fixed_reason: "which the Lakeview API cannot change on an existing dashboard",
    replace: true,
    computed: &[("path", "/path")],
    listing: None,
    levels: &["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_READ"), ("CAN_RUN", "CAN_RUN")],
    permissions: Permissions::Object("dashboards"),
    deployer: Deployer::Manager,
    presets,
    api: &Dashboards,
};

/// The dashboard fields create and update take.
const FIELDS: &[&str] = &[
    "display_name",
    "parent_path",
    "serialized_dashboard",
    "warehouse_id",
];

struct Dashboards;

fn body(settings: &Value) -> Value {
    let mut b = json!({});
    for k in FIELDS {
        if let Some(v) = settings.get(*k).filter(|v| !v.is_null()) {
            b[*k] = v.clone();
        }
    }
    b
}

/// `dataset_catalog` / `dataset_schema` go in the query of create and update.
fn with_dataset(mut r: ApiRequest, settings: &Value) -> ApiRequest {
    for k in ["dataset_catalog", "dataset_schema"] {
        if let Some(v) = settings[k].as_str() {
            r = r.query(k, v);
        }
    }
    r
}

async fn publish(c: &Client, what: &str, id: &str, settings: &Value) -> Result<(), ClientError> {
    let mut b = json!({
        "embed_credentials": settings["embed_credentials"].as_bool().unwrap_or(false),
    });
    if let Some(w) = settings["warehouse_id"].as_str() {
        b["warehouse_id"] = json!(w);
    }
    let r = req(
        Method::POST,
        format!("/api/2.0/lakeview/dashboards/{id}/published"),
        what,
    )
    .json(b)
    .idempotent(true);
    c.call::<Value>(r).await.map(drop)
}

impl KindApi for Dashboards {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let r = with_dataset(
                req(Method::POST, "/api/2.0/lakeview/dashboards", what).json(body(settings)),
                settings,
            );
            let created: Value = c.call(r).await?;
            let id = super::str_field(&created, "dashboard_id")?;
            publish(c, what, &id, settings).await?;
            Ok(id)
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let mut b = body(u.settings);
            if let Some(o) = b.as_object_mut() {
                o.remove("parent_path");
            }
            let r = with_dataset(
                req(
                    Method::PATCH,
                    format!("/api/2.0/lakeview/dashboards/{}", u.id),
                    u.what,
                )
                .json(b)
                .idempotent(true),
                u.settings,
            );
            c.call::<Value>(r).await?;
            publish(c, u.what, u.id, u.settings).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(
            Method::DELETE,
            format!("/api/2.0/lakeview/dashboards/{id}"),
            what,
        )
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(
            Method::GET,
            format!("/api/2.0/lakeview/dashboards/{id}"),
            what,
        )
    }

    /// A trashed dashboard is still read, in lifecycle state TRASHED.
    fn alive(&self, read: &Value) -> bool {
        read["lifecycle_state"] != "TRASHED"
    }
}

/// Checked as the CLI's validate does (a name and a warehouse, no etag); in the bundle's
/// resource folder (under `/Workspace`) and without embedded credentials unless it says;
/// prefixed.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    let at = format!("resources.dashboards.{}", ctx.key);
    for field in ["display_name", "warehouse_id"] {
        if settings.get(field).is_none_or(|v| v.as_str() == Some("")) {
            ctx.diags
                .push(&loc, &at, format!("dashboard {field} is required"));
        }
    }
    if settings.get("etag").is_some() {
        ctx.diags.push(
            &loc,
            &at,
            format!(
                "dashboard {:?} has an etag set. Etags must not be set in bundle configuration",
                ctx.key
            ),
        );
    }
    p::default(
        settings,
        "parent_path",
        p::text("${workspace.resource_path}", &loc),
    );
    if let Some(Kind::Str(path)) = settings.get_mut("parent_path").map(|n| &mut n.kind)
        && !path.contains("${")
        && !path.starts_with("/Workspace")
    {
        *path = match path.as_str() {
            "" => "/Workspace".to_string(),
            p if p.starts_with('/') => format!("/Workspace{p}"),
            p => format!("/Workspace/{p}"),
        };
    }
    p::default(
        settings,
        "embed_credentials",
        Node::new(Kind::Bool(false), loc.clone()),
    );
    p::prefix(settings, "display_name", ctx.prefix);
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_holds_the_dashboard_fields_only() {
        let settings = json!({
            "display_name": "d", "parent_path": "/p", "serialized_dashboard": "{}",
            "warehouse_id": "w", "file_path": "./d.lvdash.json", "embed_credentials": true,
            "dataset_catalog": "c", "permissions": [],
        });
        assert_eq!(
            body(&settings),
            json!({"display_name": "d", "parent_path": "/p", "serialized_dashboard": "{}", "warehouse_id": "w"})
        );
    }
}
