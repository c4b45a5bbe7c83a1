//! The deployment state the Databricks CLI keeps in the workspace
//! (`<state_path>/terraform.tfstate`): which job each resource key became.

use std::collections::BTreeMap;

use crate::databricks::{ApiRequest, Client, ClientError};

/// Job ids by resource key, or None when nothing was deployed there.
pub async fn deployed_job_ids(
    client: &Client,
    state_path: &str,
) -> Result<Option<BTreeMap<String, i64>>, ClientError> {
    let path = format!("{}/terraform.tfstate", state_path.trim_end_matches('/'));
    let req = ApiRequest::get(
        "/api/2.0/workspace/export",
        format!("deployment state {path}"),
    )
    .query("path", &path)
    .query("direct_download", "true");
    let resp = match client.send(&req).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let state: serde_json::Value =
        serde_json::from_slice(&resp.body).map_err(|e| ClientError::Decode {
            method: "GET".into(),
            path: req.path.clone(),
            object: req.object.clone(),
            message: e.to_string(),
        })?;
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
