//! State of the kinds added with issue 15 (alerts, dashboards, apps, UC grants) and their
//! pending asynchronous changes. Warehouses and instance pools keep living in
//! `Objects::warehouses` / `Objects::instance_pools`, next to the seeded ones.

use std::collections::BTreeMap;

use serde_json::Value;

use super::lifecycle::Schedule;
use super::state::State;

#[derive(Default)]
pub struct KindObjects {
    pub schedule: Schedule,
    /// SQL alerts (v2) by id, and legacy SQL alerts (`/api/2.0/sql/alerts`) by id.
    pub alerts: BTreeMap<String, Value>,
    pub sql_alerts: BTreeMap<String, Value>,
    /// Lakeview dashboards by id, and the published revision of each published one.
    pub dashboards: BTreeMap<String, Value>,
    pub published: BTreeMap<String, Value>,
    /// Apps by name, and each app's deployments in creation order.
    pub apps: BTreeMap<String, Value>,
    pub deployments: BTreeMap<String, Vec<Value>>,
    /// Each app's latest app update (`POST /apps/{name}/update`).
    pub app_updates: BTreeMap<String, Value>,
    /// Vector search endpoints by name.
    pub vs_endpoints: BTreeMap<String, Value>,
    /// Vector search indexes by full name, when each becomes ready, and the names of deleted
    /// ones with when the name may be used again (emulated ms).
    pub vs_indexes: BTreeMap<String, Value>,
    pub vs_index_ready_at: BTreeMap<String, u64>,
    pub vs_index_released_at: BTreeMap<String, u64>,
    /// Unity Catalog grants by `<securable type>/<full name>`: principal -> privileges.
    pub grants: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// Whether the object a permissions call names exists, for the object types of these
/// kinds; None for a type this module does not know.
pub fn permission_target_exists(s: &State, kind: &str, id: &str) -> Option<bool> {
    let o = &s.objects;
    Some(match kind {
        "warehouses" | "sql/warehouses" => o.warehouses.iter().any(|w| w["id"] == id),
        "instance-pools" => o.instance_pools.iter().any(|p| p["instance_pool_id"] == id),
        "dashboards" => o.kinds.dashboards.contains_key(id),
        "apps" => o.kinds.apps.contains_key(id),
        "alertsv2" => o.kinds.alerts.contains_key(id),
        "vector-search-endpoints" => o.kinds.vs_endpoints.values().any(|e| e["id"] == id),
        _ => return super::more_objects::permission_target_exists(s, kind, id),
    })
}

/// A JSON string field of a request body, or "".
pub fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or("")
}

#[cfg(test)]
pub mod test_client {
    //! Starts an emulator on a free port and calls it over HTTP, for handler unit tests.

    use serde_json::Value;

    use crate::emulator::{EmulatorConfig, EmulatorHandle, start};

    pub const TOKEN: &str = "dapi-emulator-token";

    /// A clock this slow does not move during a test: time passes by `advance_clock` only.
    pub const FROZEN: f64 = 1e-9;

    pub async fn emulator(clock_speed: f64) -> EmulatorHandle {
        start(EmulatorConfig {
            clock_speed,
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts")
    }

    /// `(status, JSON body or null)`.
    pub async fn call(
        emu: &EmulatorHandle,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = crate::http::client(&crate::http::HttpOptions::default()).expect("client");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = client
            .request(method, format!("{}{path}", emu.url()))
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("emulator answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
