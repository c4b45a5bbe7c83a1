//! How the Postgres API shows its objects: as the real service, a GET answers with the
//! output fields and a `status` (the effective settings, defaults filled in, the state
//! from the emulated clock), never with the `spec` that was sent. Also the checks a spec
//! must pass.

use serde_json::{Value, json};

use super::errors::invalid_parameter;
use super::lifecycle::timestamp;
use super::postgres_objects::{kind_of, parent_of, project_of};
use super::state::State;

use axum::response::Response;

/// A project's default endpoint settings when its spec leaves them out.
const DEFAULT_MIN_CU: f64 = 1.0;
const DEFAULT_MAX_CU: f64 = 1.0;
const DEFAULT_SUSPEND: &str = "86400s";
const DEFAULT_RETENTION: &str = "604800s";
const DEFAULT_PG_VERSION: i64 = 17;
/// A branch's logical size limit (8 TiB).
const BRANCH_SIZE_LIMIT: u64 = 8 << 40;

/// The object `v` stored under `name`, as a GET answers.
pub fn view(s: &State, name: &str, v: &Value) -> Value {
    let mut out = v.clone();
    if let Some(o) = out.as_object_mut() {
        o.retain(|k, _| !k.starts_with('_'));
    }
    let spec = &v["_spec"];
    let status = match kind_of(name).map(|k| k.collection) {
        Some("projects") => project_status(name, v, spec),
        Some("branches") => branch_status(s, name, v, spec),
        Some("endpoints") => endpoint_status(s, name, v, spec),
        Some("databases") => json!({
            "database_id": v["database_id"],
            "postgres_database": spec["postgres_database"],
            "role": spec["role"],
        }),
        Some("roles") => role_status(v, spec),
        Some("catalogs") => json!({
            "branch": spec["branch"],
            "postgres_database": spec["postgres_database"],
            "project": project_of(spec["branch"].as_str().unwrap_or_default()),
        }),
        Some("synced_tables") => synced_status(s, v, spec),
        _ => json!({}),
    };
    out["status"] = drop_nulls(status);
    out
}

fn drop_nulls(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
    }
    v
}

fn or(v: &Value, default: Value) -> Value {
    if v.is_null() { default } else { v.clone() }
}

fn project_status(name: &str, v: &Value, spec: &Value) -> Value {
    let d = &spec["default_endpoint_settings"];
    let mut defaults = json!({
        "autoscaling_limit_min_cu": or(&d["autoscaling_limit_min_cu"], json!(DEFAULT_MIN_CU)),
        "autoscaling_limit_max_cu": or(&d["autoscaling_limit_max_cu"], json!(DEFAULT_MAX_CU)),
        "suspend_timeout_duration": or(&d["suspend_timeout_duration"], json!(DEFAULT_SUSPEND)),
    });
    for k in ["no_suspension", "pg_settings"] {
        if !d[k].is_null() {
            defaults[k] = d[k].clone();
        }
    }
    json!({
        "project_id": v["project_id"],
        "display_name": or(&spec["display_name"], v["project_id"].clone()),
        "pg_version": or(&spec["pg_version"], json!(DEFAULT_PG_VERSION)),
        "history_retention_duration": or(&spec["history_retention_duration"], json!(DEFAULT_RETENTION)),
        "enable_pg_native_login": or(&spec["enable_pg_native_login"], json!(false)),
        "default_branch": or(&spec["default_branch"], json!(format!("{name}/branches/production"))),
        "default_endpoint_settings": defaults,
        "custom_tags": spec["custom_tags"],
        "budget_policy_id": spec["budget_policy_id"],
        "owner": v["_owner"],
        "branch_logical_size_limit_bytes": BRANCH_SIZE_LIMIT,
        "synthetic_storage_size_bytes": 0,
    })
}

fn ready(s: &State, v: &Value) -> bool {
    s.clock.now_ms() >= v["_ready_at"].as_u64().unwrap_or(0)
}

fn branch_status(s: &State, name: &str, v: &Value, spec: &Value) -> Value {
    let project = s.objects.postgres.objects.get(&project_of(name));
    let default_branch = project
        .map(|p| {
            or(
                &p["_spec"]["default_branch"],
                json!(format!("{}/branches/production", project_of(name))),
            )
        })
        .unwrap_or(Value::Null);
    let is_default = default_branch == name;
    let source = match &spec["source_branch"] {
        Value::Null if !is_default => default_branch,
        Value::Null => Value::Null,
        given => given.clone(),
    };
    let expire = match (&spec["expire_time"], spec["ttl"].as_str()) {
        (Value::String(t), _) => json!(t),
        (_, Some(ttl)) => ttl
            .trim_end_matches('s')
            .parse::<f64>()
            .map(|secs| {
                json!(timestamp(
                    v["_created_ms"].as_u64().unwrap_or(0) + (secs * 1000.0) as u64
                ))
            })
            .unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let state = if ready(s, v) { "READY" } else { "INIT" };
    json!({
        "branch_id": v["branch_id"],
        "current_state": state,
        "default": is_default,
        "is_protected": or(&spec["is_protected"], json!(false)),
        "logical_size_bytes": 0,
        "source_branch": source.clone(),
        "source_branch_lsn": if source.is_null() { Value::Null } else { or(&spec["source_branch_lsn"], json!("0/1A2B3C4")) },
        "source_branch_time": spec["source_branch_time"],
        "source_snapshot": spec["source_snapshot"],
        "expire_time": expire,
        "state_change_time": timestamp(v["_ready_at"].as_u64().unwrap_or(0)),
    })
}

fn endpoint_status(s: &State, name: &str, v: &Value, spec: &Value) -> Value {
    let project = s.objects.postgres.objects.get(&project_of(name));
    let defaults = project
        .map(|p| {
            project_status(&project_of(name), p, &p["_spec"])["default_endpoint_settings"].clone()
        })
        .unwrap_or(json!({}));
    let pick = |k: &str| or(&spec[k], defaults[k].clone());
    let now = s.clock.now_ms();
    let disabled = spec["disabled"] == true;
    let state = if !ready(s, v) {
        "INIT"
    } else if disabled {
        "IDLE"
    } else {
        "ACTIVE"
    };
    let settled = now >= v["_settled_at"].as_u64().unwrap_or(0);
    let uid = v["uid"].as_str().unwrap_or_default();
    let host = format!("{uid}.database.emulator.invalid");
    let read_only = spec["endpoint_type"] == "ENDPOINT_TYPE_READ_ONLY";
    let group = or(&spec["group"], json!({"min": 1, "max": 1}));
    json!({
        "endpoint_id": v["endpoint_id"],
        "endpoint_type": spec["endpoint_type"],
        "autoscaling_limit_min_cu": pick("autoscaling_limit_min_cu"),
        "autoscaling_limit_max_cu": pick("autoscaling_limit_max_cu"),
        "suspend_timeout_duration": if spec["no_suspension"] == true { Value::Null } else { pick("suspend_timeout_duration") },
        "disabled": disabled,
        "current_state": state,
        "pending_state": if settled { Value::Null } else if disabled { json!("IDLE") } else { json!("ACTIVE") },
        "settings": or(&spec["settings"], json!({})),
        "group": {
            "min": group["min"],
            "max": group["max"],
            "enable_readable_secondaries": or(&group["enable_readable_secondaries"], json!(false)),
        },
        "hosts": if read_only { json!({"host": host, "read_only_host": host}) } else { json!({"host": host}) },
    })
}

fn role_status(v: &Value, spec: &Value) -> Value {
    let identity = &spec["identity_type"];
    let auth = match (&spec["auth_method"], identity.as_str()) {
        (Value::String(a), _) => json!(a),
        (_, Some("USER" | "SERVICE_PRINCIPAL" | "GROUP")) => json!("LAKEBASE_OAUTH_V1"),
        _ => json!("PG_PASSWORD_SCRAM_SHA_256"),
    };
    let a = &spec["attributes"];
    json!({
        "role_id": v["role_id"],
        "postgres_role": spec["postgres_role"],
        "identity_type": identity,
        "auth_method": auth,
        "membership_roles": spec["membership_roles"],
        "attributes": {
            "bypassrls": or(&a["bypassrls"], json!(false)),
            "createdb": or(&a["createdb"], json!(false)),
            "createrole": or(&a["createrole"], json!(false)),
        },
    })
}

/// Emulated time a synced table takes to provision and load its first snapshot.
const SYNC_MS: u64 = 30_000;

fn synced_status(s: &State, v: &Value, spec: &Value) -> Value {
    let loaded = s.clock.now_ms() >= v["_ready_at"].as_u64().unwrap_or(0) + SYNC_MS;
    let state = match (loaded, spec["scheduling_policy"].as_str()) {
        (false, _) => "SYNCED_TABLE_PROVISIONING_INITIAL_SNAPSHOT",
        (true, Some("CONTINUOUS")) => "SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE",
        (true, Some("TRIGGERED")) => "SYNCED_TABLE_ONLINE_TRIGGERED_UPDATE",
        (true, _) => "SYNCED_TABLE_ONLINE",
    };
    json!({
        "detailed_state": state,
        "pipeline_id": v["_pipeline_id"],
        "project": project_of(v["_branch"].as_str().unwrap_or_default()),
        "unity_catalog_provisioning_state": if loaded { "ACTIVE" } else { "PROVISIONING" },
    })
}

/// A duration given as `<seconds>s`, in seconds.
fn seconds(v: &Value) -> Option<f64> {
    v.as_str()?.strip_suffix('s')?.parse().ok()
}

/// The checks a spec must pass for the kind of `name` (after a create or an update).
pub fn check(name: &str, spec: &Value) -> Result<(), Response> {
    if !spec.is_object() {
        return Err(invalid_parameter("spec must be an object"));
    }
    match kind_of(name).map(|k| k.collection) {
        Some("projects") => {
            if let Some(d) = spec
                .get("history_retention_duration")
                .filter(|d| !d.is_null())
                && !seconds(d).is_some_and(|s| (172_800.0..=3_024_000.0).contains(&s))
            {
                return Err(invalid_parameter(format!(
                    "history_retention_duration {d} must be between 172800s and 3024000s"
                )));
            }
            if let Some(p) = spec.get("pg_version").filter(|p| !p.is_null())
                && !p.as_i64().is_some_and(|p| (14..=18).contains(&p))
            {
                return Err(invalid_parameter(format!("unsupported pg_version {p}")));
            }
            suspend_timeout(&spec["default_endpoint_settings"]["suspend_timeout_duration"])?;
            cu_limits(&spec["default_endpoint_settings"])
        }
        Some("branches") => {
            let set = ["ttl", "expire_time", "no_expiry"]
                .iter()
                .filter(|k| !spec[**k].is_null())
                .count();
            if set > 1 {
                return Err(invalid_parameter(
                    "ttl, expire_time and no_expiry are mutually exclusive",
                ));
            }
            if spec["no_expiry"] == false {
                return Err(invalid_parameter(
                    "no_expiry may only be true; give ttl or expire_time instead",
                ));
            }
            Ok(())
        }
        Some("endpoints") => {
            if !matches!(
                spec["endpoint_type"].as_str(),
                Some("ENDPOINT_TYPE_READ_WRITE" | "ENDPOINT_TYPE_READ_ONLY")
            ) {
                return Err(invalid_parameter(format!(
                    "endpoint.spec.endpoint_type must be ENDPOINT_TYPE_READ_WRITE or ENDPOINT_TYPE_READ_ONLY, got {}",
                    spec["endpoint_type"]
                )));
            }
            if spec["no_suspension"] == true && !spec["suspend_timeout_duration"].is_null() {
                return Err(invalid_parameter(
                    "no_suspension and suspend_timeout_duration are mutually exclusive",
                ));
            }
            let g = &spec["group"];
            let one_size = g["min"].as_i64().is_some_and(|m| m >= 1) && g["min"] == g["max"];
            if !g.is_null() && !one_size {
                return Err(invalid_parameter(format!(
                    "group.min must be at least 1 and equal to group.max, got {g}"
                )));
            }
            suspend_timeout(&spec["suspend_timeout_duration"])?;
            cu_limits(spec)
        }
        Some("databases") if spec["postgres_database"].as_str().is_none_or(str::is_empty) => Err(
            invalid_parameter("database.spec.postgres_database is required"),
        ),
        Some("databases") if spec["role"].as_str().is_none_or(str::is_empty) => {
            Err(invalid_parameter("database.spec.role is required"))
        }
        Some("roles") if spec["postgres_role"].as_str().is_none_or(str::is_empty) => {
            Err(invalid_parameter("role.spec.postgres_role is required"))
        }
        _ => Ok(()),
    }
}

/// A suspend timeout: from a minute to a week.
fn suspend_timeout(v: &Value) -> Result<(), Response> {
    if v.is_null() || seconds(v).is_some_and(|s| (60.0..=604_800.0).contains(&s)) {
        return Ok(());
    }
    Err(invalid_parameter(format!(
        "suspend_timeout_duration {v} must be between 60s and 604800s"
    )))
}

/// Compute-unit limits: at least 0.5, at most 64, max not below min and at most 16 above.
fn cu_limits(v: &Value) -> Result<(), Response> {
    let min = v["autoscaling_limit_min_cu"].as_f64();
    let max = v["autoscaling_limit_max_cu"].as_f64();
    for cu in [min, max].into_iter().flatten() {
        if !(0.5..=64.0).contains(&cu) {
            return Err(invalid_parameter(format!(
                "compute units must be between 0.5 and 64, got {cu}"
            )));
        }
    }
    if let (Some(min), Some(max)) = (min, max)
        && (max < min || max - min > 16.0)
    {
        return Err(invalid_parameter(format!(
            "autoscaling_limit_max_cu {max} must be at least autoscaling_limit_min_cu {min} and at most 16 above it"
        )));
    }
    Ok(())
}

/// Whether `name`'s parent chain is all there.
pub fn parent_exists(s: &State, name: &str) -> bool {
    let parent = parent_of(name);
    parent.is_empty() || s.objects.postgres.objects.contains_key(parent)
}
