//! `resources.alerts`: SQL alerts (the v2 API). An update replaces every field
//! (`update_mask=*`); delete purges (a trashed alert is read back as DELETED). An alert
//! with `file_path` was read from its `.dbalert.json` when the bundle loaded
//! (`bundle::alert_files`); the path itself is not sent.

use reqwest::Method;
use serde_json::Value;

use super::{Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at, req};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "alerts",
    terraform: Some("databricks_alert_v2"),
    // `evaluation` and `schedule` too, which the API checks (they are objects).
    required: &["display_name", "query_text", "warehouse_id"],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[],
    listing: None,
    levels: &["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_READ"), ("CAN_RUN", "CAN_RUN")],
    permissions: Permissions::Object("alertsv2"),
    deployer: Deployer::Manager,
    presets,
    api: &Alerts,
};

struct Alerts;

impl KindApi for Alerts {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let (_, id) = create_at(c, "/api/2.0/alerts", what, body(settings), "id").await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let r = req(Method::PATCH, format!("/api/2.0/alerts/{}", u.id), u.what)
                .query("update_mask", "*")
                .json(body(u.settings))
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, format!("/api/2.0/alerts/{id}"), what).query("purge", "true")
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, format!("/api/2.0/alerts/{id}"), what)
    }

    /// A trashed alert is still read, in lifecycle state DELETED.
    fn alive(&self, read: &Value) -> bool {
        read["lifecycle_state"] != "DELETED"
    }
}

/// What the API takes: the settings without `file_path` (the bundle's, not the alert's).
fn body(settings: &Value) -> Value {
    let mut s = api_settings(settings);
    if let Some(o) = s.as_object_mut() {
        o.remove("file_path");
    }
    s
}

/// In the bundle's resource folder unless it says; prefixed; `presets.trigger_pause_status`
/// pauses (or not) a schedule that does not say, as the CLI.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    p::default(
        settings,
        "parent_path",
        p::text("${workspace.resource_path}", &loc),
    );
    p::prefix(settings, "display_name", ctx.prefix);
    let Some(pause) = ctx.presets.trigger_pause_status.clone() else {
        return;
    };
    if let Some(schedule) = settings.get_mut("schedule")
        && schedule.get("quartz_cron_schedule").is_some()
    {
        p::default(schedule, "pause_status", p::text(&pause, &loc));
    }
}
