//! MLflow tracking and Unity Catalog model registry reads: experiments, runs, runs search,
//! model versions and aliases (what the model gate needs; nothing here writes).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiRequest, Client, ClientError};

/// Pages of model versions followed at most; more is a server bug, not data.
const MAX_PAGES: usize = 1000;

#[derive(Debug, Clone, Deserialize)]
pub struct Experiment {
    pub experiment_id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct ExperimentResponse {
    experiment: Experiment,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    pub info: RunInfo,
    #[serde(default)]
    pub data: RunData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RunInfo {
    pub run_id: String,
    #[serde(default)]
    pub experiment_id: Option<String>,
    #[serde(default)]
    pub run_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub start_time: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunData {
    #[serde(default)]
    pub metrics: Vec<Metric>,
}

/// A metric's latest value as a run reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct Metric {
    pub key: String,
    #[serde(deserialize_with = "number_or_nan")]
    pub value: f64,
}

/// MLflow logs NaN and infinities; JSON carries them as strings (or null): never a parse error.
fn number_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    })
}

impl Run {
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.data
            .metrics
            .iter()
            .find(|m| m.key == key)
            .map(|m| m.value)
    }
}

#[derive(Debug, Deserialize)]
struct RunResponse {
    run: Run,
}

#[derive(Debug, Default, Deserialize)]
pub struct RunsPage {
    #[serde(default)]
    pub runs: Vec<Run>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// A Unity Catalog model version (`ModelVersionInfo`).
#[derive(Debug, Clone, Deserialize)]
pub struct ModelVersion {
    pub version: i64,
    #[serde(default)]
    pub run_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VersionsPage {
    #[serde(default)]
    model_versions: Vec<ModelVersion>,
    #[serde(default)]
    next_page_token: Option<String>,
}

pub async fn experiment_by_id(client: &Client, id: &str) -> Result<Experiment, ClientError> {
    let r: ExperimentResponse = client
        .call(
            ApiRequest::get(
                "/api/2.0/mlflow/experiments/get",
                format!("experiment {id}"),
            )
            .query("experiment_id", id),
        )
        .await?;
    Ok(r.experiment)
}

pub async fn experiment_by_name(client: &Client, name: &str) -> Result<Experiment, ClientError> {
    let r: ExperimentResponse = client
        .call(
            ApiRequest::get(
                "/api/2.0/mlflow/experiments/get-by-name",
                format!("experiment {name:?}"),
            )
            .query("experiment_name", name),
        )
        .await?;
    Ok(r.experiment)
}

pub async fn get_run(client: &Client, run_id: &str) -> Result<Run, ClientError> {
    let r: RunResponse = client
        .call(
            ApiRequest::get("/api/2.0/mlflow/runs/get", format!("MLflow run {run_id}"))
                .query("run_id", run_id),
        )
        .await?;
    Ok(r.run)
}

/// One page of `runs/search` (a read, so resending it is safe).
pub async fn search_runs(
    client: &Client,
    experiment_id: &str,
    filter: &str,
    order_by: &[&str],
    max_results: usize,
    page_token: Option<&str>,
) -> Result<RunsPage, ClientError> {
    let mut body = json!({
        "experiment_ids": [experiment_id],
        "filter": filter,
        "order_by": order_by,
        "max_results": max_results,
    });
    if let Some(t) = page_token {
        body["page_token"] = Value::from(t);
    }
    let req = ApiRequest::post(
        "/api/2.0/mlflow/runs/search",
        format!("runs of experiment {experiment_id}"),
        body,
    )
    .idempotent(true);
    client.call(req).await
}

/// Whether a Unity Catalog registered model exists (`GET /api/2.1/unity-catalog/models/{full_name}`).
pub async fn model_exists(client: &Client, full_name: &str) -> Result<bool, ClientError> {
    let found: Result<Value, ClientError> = client
        .call(ApiRequest::get(
            format!("/api/2.1/unity-catalog/models/{full_name}"),
            format!("model {full_name}"),
        ))
        .await;
    match found {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
}

/// `GET /api/2.1/unity-catalog/models/{full_name}/aliases/{alias}`.
pub async fn version_by_alias(
    client: &Client,
    full_name: &str,
    alias: &str,
) -> Result<ModelVersion, ClientError> {
    client
        .call(ApiRequest::get(
            format!("/api/2.1/unity-catalog/models/{full_name}/aliases/{alias}"),
            format!("alias {alias:?} of model {full_name}"),
        ))
        .await
}

/// Every version of a Unity Catalog model, following `next_page_token`.
pub async fn model_versions(
    client: &Client,
    full_name: &str,
) -> Result<Vec<ModelVersion>, ClientError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut req = ApiRequest::get(
            format!("/api/2.1/unity-catalog/models/{full_name}/versions"),
            format!("versions of model {full_name}"),
        );
        if let Some(t) = &token {
            req = req.query("page_token", t);
        }
        let mut page: VersionsPage = client.call(req).await?;
        all.append(&mut page.model_versions);
        token = page.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_values_that_are_not_numbers_read_as_nan() {
        let run: Run = serde_json::from_value(json!({
            "info": { "run_id": "r1" },
            "data": { "metrics": [
                { "key": "a", "value": 0.5 }, { "key": "b", "value": "NaN" },
                { "key": "c", "value": null }, { "key": "d", "value": "Infinity" },
            ]},
        }))
        .unwrap();
        assert_eq!(run.metric("a"), Some(0.5));
        assert!(run.metric("b").unwrap().is_nan());
        assert!(run.metric("c").unwrap().is_nan());
        assert_eq!(run.metric("d"), Some(f64::INFINITY));
        assert_eq!(run.metric("e"), None);
    }
}
