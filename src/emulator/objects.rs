//! What the emulated workspace holds besides notebooks, jobs and runs: compute, Unity
//! Catalog, files in volumes and DBFS, secret scopes, pipelines, experiments, permissions.
//! Read-only directories (pools, policies, warehouses, service principals) are seeded with
//! one of each so a bundle's `lookup:` finds something.

use std::collections::BTreeMap;

use serde_json::{Value, json};

#[derive(Default)]
pub struct Objects {
    pub clusters: BTreeMap<String, Value>,
    pub instance_pools: Vec<Value>,
    pub cluster_policies: Vec<Value>,
    pub warehouses: Vec<Value>,
    pub service_principals: Vec<Value>,
    /// Unity Catalog securables by full name.
    pub catalogs: BTreeMap<String, Value>,
    pub schemas: BTreeMap<String, Value>,
    pub volumes: BTreeMap<String, Value>,
    pub models: BTreeMap<String, Value>,
    /// Files in volumes (`/Volumes/c/s/v/...`): bytes and modification time.
    pub volume_files: BTreeMap<String, (Vec<u8>, u64)>,
    pub volume_dirs: std::collections::BTreeSet<String>,
    pub dbfs_files: BTreeMap<String, (Vec<u8>, u64)>,
    pub dbfs_dirs: std::collections::BTreeSet<String>,
    /// Open DBFS upload handles: path, bytes so far, overwrite.
    pub dbfs_handles: BTreeMap<i64, (String, Vec<u8>)>,
    pub secret_scopes: BTreeMap<String, Scope>,
    pub pipelines: BTreeMap<String, Value>,
    pub experiments: BTreeMap<String, Value>,
    /// MLflow runs by run id (`{"info", "data"}`), and every logged point per run.
    pub mlflow_runs: BTreeMap<String, Value>,
    pub metric_history: BTreeMap<String, Vec<Value>>,
    /// Unity Catalog model versions by model full name (in version order), and aliases
    /// (model full name -> alias -> version).
    pub model_versions: BTreeMap<String, Vec<Value>>,
    pub model_aliases: BTreeMap<String, BTreeMap<String, i64>>,
    /// Access control lists by `<object type>/<id>`.
    pub permissions: BTreeMap<String, Value>,
    /// SCIM Me answers without `displayName` (`--objects` `{"current_user": {"displayName":
    /// null}}`): some workspace users have none.
    pub me_without_display_name: bool,
    /// Alerts, dashboards, apps, grants and pending state changes (issue 15's kinds).
    pub kinds: super::kind_objects::KindObjects,
    /// Legacy MLflow models, external locations (issue 15's later kinds).
    pub more: super::more_objects::MoreObjects,
    /// Lakebase Postgres projects, branches, endpoints, databases, roles, catalogs, synced
    /// tables and their operations.
    pub postgres: super::postgres_objects::PostgresObjects,
    /// Quality monitors by table full name, with when (emulated ms) they become active.
    pub quality_monitors: BTreeMap<String, (Value, u64)>,
    /// Serving endpoints by name.
    pub serving_endpoints: BTreeMap<String, super::handlers_serving::Endpoint>,
}

#[derive(Default)]
pub struct Scope {
    pub backend: String,
    pub secrets: BTreeMap<String, u64>,
    /// Values, which the API never returns: only a job's callback task reads them.
    pub values: BTreeMap<String, String>,
    pub acls: BTreeMap<String, String>,
}

impl Objects {
    pub fn seeded(now_ms: u64, user: &str) -> Objects {
        let mut o = Objects::default();
        o.instance_pools.push(json!({
            "instance_pool_id": "0101-120000-pool1234", "instance_pool_name": "ci-pool",
            "node_type_id": "i3.xlarge", "state": "ACTIVE", "min_idle_instances": 0,
            "max_capacity": 10, "preloaded_spark_versions": ["15.4.x-scala2.12"],
        }));
        o.cluster_policies.push(json!({
            "policy_id": "ABCDEF0123456789", "name": "ci-policy",
            "definition": "{\"spark_version\": {\"type\": \"unlimited\", \"defaultValue\": \"15.4.x-scala2.12\"}}",
            "is_default": false, "created_at_timestamp": now_ms, "creator_user_name": user,
        }));
        o.warehouses.push(json!({
            "id": "a1b2c3d4e5f60718", "name": "ci-warehouse", "state": "STOPPED",
            "cluster_size": "2X-Small", "warehouse_type": "PRO", "enable_serverless_compute": true,
            "auto_stop_mins": 10, "min_num_clusters": 1, "max_num_clusters": 1, "creator_name": user,
        }));
        o.service_principals.push(json!({
            "id": "7000000000000001", "applicationId": "9f0c6f2e-1d2b-4c8a-9e43-5b1a2c3d4e5f",
            "displayName": "ci-deployer", "active": true,
        }));
        o.catalogs.insert("main".into(), json!({
            "name": "main", "full_name": "main", "owner": user, "catalog_type": "MANAGED_CATALOG",
            "created_at": now_ms, "created_by": user, "securable_type": "CATALOG",
        }));
        o
    }

    /// Adds the read-only objects `extra` lists (`--objects`); a cluster without
    /// `cluster_id` is left out.
    pub fn add(&mut self, extra: &Value) {
        let list = |name: &str| extra[name].as_array().cloned().unwrap_or_default();
        for c in list("clusters") {
            if let Some(id) = c["cluster_id"].as_str() {
                self.clusters.insert(id.to_string(), c.clone());
            }
        }
        self.instance_pools.extend(list("instance_pools"));
        self.cluster_policies.extend(list("cluster_policies"));
        self.service_principals.extend(list("service_principals"));
        if extra["current_user"].get("displayName") == Some(&Value::Null) {
            self.me_without_display_name = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_objects_join_the_seeded_ones_with_their_ids() {
        let mut o = Objects::seeded(0, "me@example.com");
        o.add(&json!({
            "clusters": [{"cluster_id": "4321", "cluster_name": "c"}, {"cluster_name": "no id"}],
            "instance_pools": [{"instance_pool_id": "1234", "instance_pool_name": "p"}],
            "cluster_policies": [{"policy_id": "9876", "name": "pol"}],
            "service_principals": [{"applicationId": "a-b", "displayName": "sp"}],
        }));
        assert_eq!(o.clusters.len(), 1);
        assert_eq!(o.clusters["4321"]["cluster_name"], "c");
        assert_eq!(o.instance_pools.len(), 2);
        assert_eq!(o.cluster_policies[1]["policy_id"], "9876");
        assert_eq!(o.service_principals[1]["displayName"], "sp");
        // Null (no --objects) adds nothing.
        o.add(&Value::Null);
        assert_eq!(o.instance_pools.len(), 2);
        assert!(!o.me_without_display_name);
        o.add(&json!({"current_user": {"displayName": null}}));
        assert!(o.me_without_display_name);
    }
}
