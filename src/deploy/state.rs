//! brickci's deployment state (`<state_path>/brickci-state.json`): every object this tool
//! created, with its id and a hash of what was sent. It is what makes a redeploy send only
//! changes, what prune may delete, and how a deploy that stopped halfway resumes. On a first
//! deploy into a root the Databricks CLI deployed, its ids are adopted so nothing is
//! duplicated.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::databricks::workspace;
use crate::databricks::{Client, ClientError};

pub const STATE_FILE: &str = "brickci-state.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DeployState {
    pub version: u32,
    pub bundle: String,
    pub target: String,
    /// Bumped by every deploy that wrote this file.
    pub serial: u64,
    /// Workspace files and notebooks by workspace path.
    #[serde(default)]
    pub files: BTreeMap<String, FileEntry>,
    /// Resources by kind, then key.
    #[serde(default)]
    pub resources: BTreeMap<String, BTreeMap<String, ResourceEntry>>,
    /// Where ids came from when they were adopted from another tool's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_from: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub hash: String,
    /// `notebook`, `file` or `artifact`.
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResourceEntry {
    pub id: String,
    /// Hash of the settings last sent; empty for ids adopted from another tool.
    pub hash: String,
    /// The settings last sent, for a readable diff in the plan.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub settings: Value,
    /// The permissions last set, so that one dropped from the bundle is revoked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acl: Vec<Value>,
    /// Fields the API computed (`KindSpec::computed`), for references to them.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub computed: serde_json::Map<String, Value>,
}

impl ResourceEntry {
    /// What `${resources.<kind>.<key>.<field>}` is for this object, if known: its id or a
    /// computed field (as text).
    pub fn value(&self, field: &str) -> Option<String> {
        if field == "id" {
            return Some(self.id.clone());
        }
        match self.computed.get(field)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

impl DeployState {
    pub fn new(bundle: &str, target: &str) -> DeployState {
        DeployState {
            version: 1,
            bundle: bundle.into(),
            target: target.into(),
            ..DeployState::default()
        }
    }

    pub fn resource(&self, kind: &str, key: &str) -> Option<&ResourceEntry> {
        self.resources.get(kind)?.get(key)
    }

    pub fn set_resource(&mut self, kind: &str, key: &str, entry: ResourceEntry) {
        self.resources
            .entry(kind.to_string())
            .or_default()
            .insert(key.to_string(), entry);
    }

    pub fn remove_resource(&mut self, kind: &str, key: &str) {
        if let Some(m) = self.resources.get_mut(kind) {
            m.remove(key);
        }
    }
}

fn decode_error(path: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Decode {
        method: "GET".into(),
        path: "/api/2.0/workspace/export".into(),
        object: format!("deployment state {path}"),
        message: e.to_string(),
    }
}

/// Reads brickci's state, else adopts the Databricks CLI's, else starts empty.
pub async fn load(
    client: &Client,
    state_path: &str,
    bundle: &str,
    target: &str,
) -> Result<DeployState, ClientError> {
    let own = format!("{state_path}/{STATE_FILE}");
    if let Some(bytes) = workspace::read_file(client, &own, "deployment state").await? {
        return serde_json::from_slice(&bytes).map_err(|e| decode_error(&own, e));
    }
    let mut state = DeployState::new(bundle, target);
    let tf = format!("{state_path}/terraform.tfstate");
    if let Some(bytes) = workspace::read_file(client, &tf, "deployment state").await? {
        let doc: Value = serde_json::from_slice(&bytes).map_err(|e| decode_error(&tf, e))?;
        adopt_terraform(&mut state, &doc);
        state.adopted_from = Some(tf);
        return Ok(state);
    }
    let direct = format!("{state_path}/resources.json");
    if let Some(bytes) = workspace::read_file(client, &direct, "deployment state").await? {
        let doc: Value = serde_json::from_slice(&bytes).map_err(|e| decode_error(&direct, e))?;
        adopt_direct(&mut state, &doc);
        state.adopted_from = Some(direct);
    }
    Ok(state)
}

fn adopt_terraform(state: &mut DeployState, doc: &Value) {
    for r in doc["resources"].as_array().into_iter().flatten() {
        if r["mode"].as_str().is_some_and(|m| m != "managed") {
            continue;
        }
        // The Terraform resource type the Databricks CLI writes is in each kind's spec.
        let Some(spec) = super::kinds::REGISTRY
            .iter()
            .find(|s| s.terraform.is_some_and(|t| r["type"] == t))
        else {
            continue;
        };
        let kind = spec.name;
        let id = &r["instances"][0]["attributes"][spec.api.terraform_id_attribute()];
        let id = id
            .as_str()
            .map(str::to_string)
            .or_else(|| id.as_i64().map(|i| i.to_string()));
        if let (Some(key), Some(id)) = (r["name"].as_str(), id) {
            state.set_resource(
                kind,
                key,
                ResourceEntry {
                    id,
                    hash: String::new(),
                    settings: Value::Null,
                    acl: Vec::new(),
                    computed: Default::default(),
                },
            );
        }
    }
}

/// The direct engine's `resources.json`: `{"state": {"resources.jobs.k": {"__id__": "1"}}}`.
fn adopt_direct(state: &mut DeployState, doc: &Value) {
    for (name, entry) in doc["state"].as_object().into_iter().flatten() {
        let parts: Vec<&str> = name.split('.').collect();
        let id = entry["__id__"].as_str().or_else(|| entry["id"].as_str());
        if let (["resources", kind, key], Some(id)) = (parts.as_slice(), id) {
            state.set_resource(
                kind,
                key,
                ResourceEntry {
                    id: id.into(),
                    hash: String::new(),
                    settings: Value::Null,
                    acl: Vec::new(),
                    computed: Default::default(),
                },
            );
        }
    }
}

/// Writes the state (workspace file, overwrite). Called after apply, also after a failure.
pub async fn save(
    client: &Client,
    state_path: &str,
    state: &DeployState,
) -> Result<(), ClientError> {
    let path = format!("{state_path}/{STATE_FILE}");
    let bytes = serde_json::to_vec_pretty(state).expect("state serialises");
    super::files::put_workspace_file(client, &path, &bytes).await
}

/// `<state_path>/metadata.json`, which deployed jobs and pipelines point at
/// (`deployment.metadata_file_path`): the bundle, where its files are, and each job's and
/// pipeline's id and defining file, so the workspace can link an object back to its source.
pub async fn save_metadata(
    client: &Client,
    bundle: &crate::bundle::Bundle,
    state: &DeployState,
) -> Result<(), ClientError> {
    let git = crate::bundle::find_setting(&bundle.tree, "bundle.git")
        .map_or(Value::Null, |n| n.to_json());
    let mut resources = serde_json::Map::new();
    for kind in ["jobs", "pipelines"] {
        let mut m = serde_json::Map::new();
        for (key, e) in state.resources.get(kind).into_iter().flatten() {
            let file = bundle
                .resource(kind, key)
                .map(|r| r.loc.file.display().to_string())
                .unwrap_or_default();
            m.insert(
                key.clone(),
                serde_json::json!({ "id": e.id, "relative_path": file }),
            );
        }
        if !m.is_empty() {
            resources.insert(kind.into(), Value::Object(m));
        }
    }
    let doc = serde_json::json!({
        "version": 1,
        "config": {
            "bundle": { "name": bundle.name, "target": bundle.target, "git": git },
            "workspace": { "file_path": bundle.workspace.file_path },
            "resources": resources,
        },
    });
    let path = format!("{}/metadata.json", bundle.workspace.state_path);
    super::files::put_workspace_file(
        client,
        &path,
        &serde_json::to_vec_pretty(&doc).expect("serialises"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn adopts_ids_from_the_cli_states() {
        let mut s = DeployState::new("b", "t");
        adopt_terraform(
            &mut s,
            &json!({"resources": [
                {"mode": "managed", "type": "databricks_job", "name": "etl", "instances": [{"attributes": {"id": "42"}}]},
                {"mode": "managed", "type": "databricks_schema", "name": "s", "instances": [{"attributes": {"id": "main.s"}}]},
                {"mode": "data", "type": "databricks_job", "name": "x", "instances": [{"attributes": {"id": "7"}}]},
                {"mode": "managed", "type": "databricks_permissions", "name": "p", "instances": [{"attributes": {"id": "9"}}]},
                {"mode": "managed", "type": "databricks_postgres_branch", "name": "dev", "instances": [{"attributes": {"id": "br-1", "name": "projects/p/branches/dev"}}]}
            ]}),
        );
        assert_eq!(
            s.resource("postgres_branches", "dev").unwrap().id,
            "projects/p/branches/dev",
            "a Lakebase object by its name"
        );
        assert_eq!(s.resource("jobs", "etl").unwrap().id, "42");
        assert_eq!(s.resource("schemas", "s").unwrap().id, "main.s");
        assert!(s.resource("jobs", "x").is_none());
        let mut d = DeployState::new("b", "t");
        adopt_direct(
            &mut d,
            &json!({"state": {"resources.jobs.etl": {"__id__": "5"}}}),
        );
        assert_eq!(d.resource("jobs", "etl").unwrap().id, "5");
    }
}
