//! Which job each resource key became, from the deployment state in the workspace:
//! brickci's `brickci-state.json`, else the Databricks CLI's `terraform.tfstate`.

use std::collections::BTreeMap;

use crate::databricks::workspace;
use crate::databricks::{Client, ClientError};

/// Job ids by resource key, or None when nothing was deployed there: from brickci's own
/// state, else the Databricks CLI's.
pub async fn deployed_job_ids(
    client: &Client,
    state_path: &str,
) -> Result<Option<BTreeMap<String, i64>>, ClientError> {
    let own = format!("{}/brickci-state.json", state_path.trim_end_matches('/'));
    if let Some(state) = read_json(client, &own).await? {
        let jobs = state["resources"]["jobs"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v["id"].as_str()?.parse().ok()?)))
            .collect();
        return Ok(Some(jobs));
    }
    let path = format!("{}/terraform.tfstate", state_path.trim_end_matches('/'));
    let Some(state) = read_json(client, &path).await? else {
        return Ok(None);
    };
    let mut jobs = BTreeMap::new();
    for r in state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["type"] == "databricks_job")
    {
        let id = r["instances"][0]["attributes"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok());
        if let (Some(key), Some(id)) = (r["name"].as_str(), id) {
            jobs.insert(key.to_string(), id);
        }
    }
    Ok(Some(jobs))
}

async fn read_json(client: &Client, path: &str) -> Result<Option<serde_json::Value>, ClientError> {
    let Some(body) = workspace::read_file(client, path, "deployment state").await? else {
        return Ok(None);
    };
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| ClientError::Decode {
            method: "GET".into(),
            path: "/api/2.0/workspace/export".into(),
            object: format!("deployment state {path}"),
            message: e.to_string(),
        })
}
