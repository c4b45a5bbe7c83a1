//! Lakehouse quality monitors (`/api/2.1/unity-catalog/tables/{table}/monitor`): create,
//! get, update (PUT), delete. A monitor is PENDING for a few emulated seconds, then ACTIVE,
//! or FAILED when its `assets_dir` contains `emulator-fail` (the directive tests use to
//! see a failure reported). The emulator holds no tables: a table (and an output schema)
//! counts as existing when its catalog does.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, or_respond};
use super::state::State;
use super::{Shared, lock};

/// Emulated milliseconds a new monitor stays PENDING.
const PENDING_MS: u64 = 5_000;

/// What `assets_dir` holds to make the monitor fail.
const FAIL_DIRECTIVE: &str = "emulator-fail";

/// Exactly one of these says what kind of table is monitored.
const PROFILES: &[&str] = &["time_series", "snapshot", "inference_log"];

/// Fields an update replaces.
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

fn no_monitor(table: &str) -> Response {
    api_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Monitor for table '{table}' does not exist."),
    )
}

/// Whether a `catalog.schema[.table]` name has its parts and its catalog exists.
fn schema_exists(s: &State, full_name: &str, parts: usize) -> bool {
    let p: Vec<&str> = full_name.split('.').collect();
    p.len() == parts && p.iter().all(|x| !x.is_empty()) && s.objects.catalogs.contains_key(p[0])
}

/// Fields every request checks: the output schema and the profile type.
fn check(s: &State, v: &Value) -> Result<(), Response> {
    let Some(out) = v["output_schema_name"].as_str().filter(|x| !x.is_empty()) else {
        return Err(invalid_parameter(
            "Missing required field: output_schema_name",
        ));
    };
    if !schema_exists(s, &format!("{out}.x"), 3) {
        return Err(api_error(
            404,
            "SCHEMA_DOES_NOT_EXIST",
            format!("Schema '{out}' does not exist."),
        ));
    }
    let profiles = PROFILES.iter().filter(|p| !v[**p].is_null()).count();
    if profiles != 1 {
        return Err(invalid_parameter(
            "Exactly one of time_series, snapshot or inference_log must be set",
        ));
    }
    if let Some(cron) = v.get("schedule").filter(|c| !c.is_null())
        && (cron["quartz_cron_expression"].as_str().is_none()
            || cron["timezone_id"].as_str().is_none())
    {
        return Err(invalid_parameter(
            "schedule needs quartz_cron_expression and timezone_id",
        ));
    }
    Ok(())
}

/// The monitor as the API shows it now: its status follows the clock.
fn shown(s: &State, table: &str) -> Option<Value> {
    let (info, active_at) = s.objects.quality_monitors.get(table)?;
    let mut v = info.clone();
    if s.clock.now_ms() >= *active_at {
        let failing = v["assets_dir"]
            .as_str()
            .is_some_and(|d| d.contains(FAIL_DIRECTIVE));
        if failing {
            v["status"] = json!("MONITOR_STATUS_FAILED");
            v["latest_monitor_failure_msg"] = json!(format!(
                "Could not create the monitor's assets in {}: permission denied",
                v["assets_dir"].as_str().unwrap_or_default()
            ));
        } else {
            v["status"] = json!("MONITOR_STATUS_ACTIVE");
            v["dashboard_id"] = json!(format!("01ef{}", &v["monitor_id"].as_str()?[..12]));
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("monitor_id");
    }
    Some(v)
}

pub async fn monitor(
    AxState(state): AxState<Shared>,
    method: axum::http::Method,
    Path(table): Path<String>,
    body: Bytes,
) -> Response {
    let mut s = lock(&state);
    match method.as_str() {
        "GET" => match shown(&s, &table) {
            Some(v) => Json(v).into_response(),
            None => no_monitor(&table),
        },
        "DELETE" => match s.objects.quality_monitors.remove(&table) {
            Some(_) => Json(json!({})).into_response(),
            None => no_monitor(&table),
        },
        "POST" => {
            let mut v = or_respond!(json_body(&body));
            if !schema_exists(&s, &table, 3) {
                return api_error(
                    404,
                    "TABLE_DOES_NOT_EXIST",
                    format!("Table '{table}' does not exist."),
                );
            }
            if v["assets_dir"].as_str().is_none_or(str::is_empty) {
                return invalid_parameter("Missing required field: assets_dir");
            }
            or_respond!(check(&s, &v));
            if s.objects.quality_monitors.contains_key(&table) {
                return api_error(
                    409,
                    "RESOURCE_ALREADY_EXISTS",
                    format!("Monitor already exists for table '{table}'."),
                );
            }
            let out = v["output_schema_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let base = table.rsplit('.').next().unwrap_or_default().to_string();
            v["table_name"] = json!(table);
            v["status"] = json!("MONITOR_STATUS_PENDING");
            v["monitor_version"] = json!(1);
            v["profile_metrics_table_name"] = json!(format!("{out}.{base}_profile_metrics"));
            v["drift_metrics_table_name"] = json!(format!("{out}.{base}_drift_metrics"));
            v["monitor_id"] = json!(uuid::Uuid::new_v4().simple().to_string());
            // Create-only fields the API does not return.
            if let Some(o) = v.as_object_mut() {
                o.remove("skip_builtin_dashboard");
                o.remove("warehouse_id");
            }
            let active_at = s.clock.now_ms() + PENDING_MS;
            s.objects
                .quality_monitors
                .insert(table.clone(), (v, active_at));
            Json(shown(&s, &table).expect("inserted")).into_response()
        }
        "PUT" => {
            let patch = or_respond!(json_body(&body));
            if !s.objects.quality_monitors.contains_key(&table) {
                return no_monitor(&table);
            }
            or_respond!(check(&s, &patch));
            let (info, _) = s.objects.quality_monitors.get_mut(&table).expect("checked");
            for k in UPDATABLE {
                match patch.get(*k) {
                    Some(x) => info[*k] = x.clone(),
                    None => {
                        if let Some(o) = info.as_object_mut() {
                            o.remove(*k);
                        }
                    }
                }
            }
            let version = info["monitor_version"].as_i64().unwrap_or(1) + 1;
            info["monitor_version"] = json!(version);
            Json(shown(&s, &table).expect("present")).into_response()
        }
        other => super::errors::no_endpoint(format!("{other} {table}/monitor")),
    }
}
