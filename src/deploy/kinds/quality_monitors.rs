//! `resources.quality_monitors`: Lakehouse monitoring of a Unity Catalog table
//! (`/api/2.1/unity-catalog/tables/<table>/monitor`). Its id is the table's full name; a
//! monitor is created PENDING and waited on until ACTIVE; an update is a PUT of the fields
//! the API takes on update; the table and the assets folder cannot change (replaced).
//! No permissions of its own (the table's grants govern it).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    CreateOptions, Deployer, Fut, KindApi, KindSpec, Permissions, Progress, Update, api_settings,
    req, segment, wait_for,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "quality_monitors",
    terraform: Some("databricks_quality_monitor"),
    required: &["table_name", "output_schema_name", "assets_dir"],
    fixed: &["table_name", "assets_dir"],
    fixed_reason: "which a monitor cannot change in place",
    replace: true,
    computed: &[
        ("dashboard_id", "/dashboard_id"),
        ("profile_metrics_table_name", "/profile_metrics_table_name"),
        ("drift_metrics_table_name", "/drift_metrics_table_name"),
    ],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &QualityMonitors,
};

/// How long a new monitor may stay PENDING.
const ACTIVE_WITHIN: Duration = Duration::from_secs(20 * 60);

/// What the update call takes (assets_dir, skip_builtin_dashboard and warehouse_id are
/// create-only).
const UPDATABLE: &[&str] = &[
    "baseline_table_name",
    "custom_metrics",
    "data_classification_config",
    "inference_log",
    "notifications",
    "output_schema_name",
    "schedule",
    "slicing_exprs",
    "snapshot",
    "time_series",
];

struct QualityMonitors;

fn path(table: &str) -> String {
    format!("/api/2.1/unity-catalog/tables/{}/monitor", segment(table))
}

fn table_of(settings: &Value) -> String {
    settings["table_name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

impl KindApi for QualityMonitors {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let table = table_of(settings);
            let mut body = api_settings(settings);
            // In the path, not the body.
            if let Some(o) = body.as_object_mut() {
                o.remove("table_name");
            }
            let r: Value = c
                .call(req(Method::POST, path(&table), what).json(body))
                .await?;
            Ok(r["table_name"].as_str().map_or(table, str::to_string))
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let body = api_settings(u.settings);
            let mut b = json!({});
            for k in UPDATABLE {
                if let Some(v) = body.get(*k) {
                    b[*k] = v.clone();
                }
            }
            let r = req(Method::PUT, path(u.id), u.what)
                .json(b)
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, path(id), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, path(id), what)
    }

    /// A monitor being deleted is gone as far as a deploy is concerned.
    fn alive(&self, read: &Value) -> bool {
        read["status"] != "MONITOR_STATUS_DELETE_PENDING"
    }

    /// A table has at most one monitor: the one there is, if any.
    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let table = table_of(settings);
        self.named_as(c, table, "quality monitor")
    }

    /// A new monitor is PENDING until its metric tables and dashboard exist.
    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        _opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            wait_for(c, what, ACTIVE_WITHIN, || self.get(id, what), progress).await?;
            Ok(())
        })
    }
}

/// How far a monitor is: ACTIVE is done; ERROR and FAILED end it with the API's message.
fn progress(v: &Value) -> Progress {
    let status = v["status"].as_str().unwrap_or_default();
    match status {
        "MONITOR_STATUS_ACTIVE" => Progress::Done,
        "MONITOR_STATUS_ERROR" | "MONITOR_STATUS_FAILED" => Progress::Failed(format!(
            "the monitor ended in {status}: {}",
            v["latest_monitor_failure_msg"]
                .as_str()
                .unwrap_or("(no message)")
        )),
        other => Progress::Pending(format!("status {other}")),
    }
}

/// With triggers paused (development mode), a monitor's schedule is dropped unless it says
/// UNPAUSED itself: monitors cannot be paused (the CLI's apply_presets).
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    ctx.refuse_other_run_as("quality_monitors");
    if ctx.presets.trigger_pause_status.as_deref() != Some("PAUSED") {
        return;
    }
    let unpaused = settings
        .get("schedule")
        .and_then(|s| s.get("pause_status"))
        .and_then(Node::as_str)
        == Some("UNPAUSED");
    if settings.get("schedule").is_some() && !unpaused {
        settings.remove("schedule");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_is_done_failed_says_why_and_pending_waits() {
        assert!(matches!(
            progress(&json!({"status": "MONITOR_STATUS_ACTIVE"})),
            Progress::Done
        ));
        match progress(
            &json!({"status": "MONITOR_STATUS_FAILED", "latest_monitor_failure_msg": "no table"}),
        ) {
            Progress::Failed(m) => assert!(m.contains("no table"), "{m}"),
            _ => panic!("not failed"),
        }
        assert!(matches!(
            progress(&json!({"status": "MONITOR_STATUS_PENDING"})),
            Progress::Pending(_)
        ));
    }
}
