//! Which job or pipeline each resource key became, from the deployment state in the
//! workspace: brickci's `brickci-state.json`, else the Databricks CLI's `terraform.tfstate`.

use std::collections::BTreeMap;

use crate::databricks::workspace;
use crate::databricks::{Client, ClientError};

/// What a deployment made of the bundle's jobs and pipelines, by resource key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deployed {
    pub jobs: BTreeMap<String, i64>,
    pub pipelines: BTreeMap<String, String>,
}

/// Jobs and pipelines by resource key, or None when nothing was deployed there.
pub async fn deployed(client: &Client, state_path: &str) -> Result<Option<Deployed>, ClientError> {
    let own = format!("{}/brickci-state.json", state_path.trim_end_matches('/'));
    if let Some(state) = read_json(client, &own).await? {
        let ids = |kind: &str| {
            state["resources"][kind]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v["id"].as_str()?.to_string())))
                .collect::<Vec<_>>()
        };
        return Ok(Some(Deployed {
            jobs: ids("jobs")
                .into_iter()
                .filter_map(|(k, id)| Some((k, id.parse().ok()?)))
                .collect(),
            pipelines: ids("pipelines").into_iter().collect(),
        }));
    }
    let path = format!("{}/terraform.tfstate", state_path.trim_end_matches('/'));
    let Some(state) = read_json(client, &path).await? else {
        return Ok(None);
    };
    let mut found = Deployed::default();
    for r in state["resources"].as_array().into_iter().flatten() {
        let (Some(key), Some(id)) = (
            r["name"].as_str(),
            r["instances"][0]["attributes"]["id"].as_str(),
        ) else {
            continue;
        };
        match r["type"].as_str() {
            Some("databricks_job") => {
                if let Ok(id) = id.parse() {
                    found.jobs.insert(key.to_string(), id);
                }
            }
            Some("databricks_pipeline") => {
                found.pipelines.insert(key.to_string(), id.to_string());
            }
            _ => {}
        }
    }
    Ok(Some(found))
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
