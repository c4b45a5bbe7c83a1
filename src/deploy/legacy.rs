//! The layout many pipelines grew before bundles: a folder of cluster JSON and a folder of
//! job JSON (as the Jobs API takes it, or as `jobs/list` printed it). Clusters and jobs are
//! found by name, created or updated in place; a job's `existing_cluster_id` may hold a
//! cluster *name*, resolved to that cluster's id for the workspace at hand. Everything is read
//! and resolved before the first write.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{Value, json};

use super::lookup::clusters_named;
use crate::databricks::{ApiRequest, Client, ClientError};

#[derive(Debug)]
pub enum LegacyError {
    /// A file's content is wrong: exit 2, nothing written.
    Input(String),
    Api(ClientError),
}

impl From<ClientError> for LegacyError {
    fn from(e: ClientError) -> Self {
        LegacyError::Api(e)
    }
}

pub struct Item {
    pub file: PathBuf,
    pub name: String,
    pub settings: Value,
}

/// What was done, one line per object.
pub struct Done {
    pub lines: Vec<String>,
}

fn read_dir(dir: &Path) -> Result<Vec<Item>, LegacyError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| LegacyError::Input(format!("{}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| LegacyError::Input(format!("{}: {e}", file.display())))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            LegacyError::Input(format!(
                "{}:{}:{}: invalid JSON: {e}",
                file.display(),
                e.line(),
                e.column()
            ))
        })?;
        // `jobs/list` and `jobs/get` print `{job_id, settings: {...}}`.
        let settings = match v.get("settings") {
            Some(s) if v.get("job_id").is_some() => s.clone(),
            _ => v,
        };
        if !settings.is_object() {
            return Err(LegacyError::Input(format!(
                "{}: must hold a JSON object",
                file.display()
            )));
        }
        let key = if settings.get("cluster_name").is_some()
            || settings.get("spark_version").is_some() && settings.get("tasks").is_none()
        {
            "cluster_name"
        } else {
            "name"
        };
        let name = settings[key]
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                LegacyError::Input(format!(
                    "{}: `{key}` is required (objects are matched by name)",
                    file.display()
                ))
            })?;
        out.push(Item {
            file,
            name: name.to_string(),
            settings: settings.clone(),
        });
    }
    Ok(out)
}

/// A cluster id looks like `0123-456789-abcdefgh`; anything else is taken for a name.
fn looks_like_cluster_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 6
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts[0].chars().all(|c| c.is_ascii_digit())
}

/// Every `existing_cluster_id` (job level, or per task) that names a cluster, replaced by its id.
async fn resolve_clusters(
    client: &Client,
    job: &mut Item,
    planned: &[String],
) -> Result<(), LegacyError> {
    let mut slots: Vec<String> = Vec::new();
    if job.settings.get("existing_cluster_id").is_some() {
        slots.push("/existing_cluster_id".into());
    }
    for (i, t) in job.settings["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if t.get("existing_cluster_id").is_some() {
            slots.push(format!("/tasks/{i}/existing_cluster_id"));
        }
    }
    for slot in slots {
        let value = job
            .settings
            .pointer(&slot)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if looks_like_cluster_id(&value) {
            continue;
        }
        let ids = clusters_named(client, &value).await?;
        let id = match ids.as_slice() {
            [one] => one.clone(),
            [] if planned.contains(&value) => format!("${{cluster:{value}}}"),
            [] => {
                return Err(LegacyError::Input(format!(
                    "{}: {}: no cluster named {value:?} in the workspace or the clusters folder",
                    job.file.display(),
                    slot.trim_start_matches('/').replace('/', ".")
                )));
            }
            many => {
                return Err(LegacyError::Input(format!(
                    "{}: {}: {} clusters are named {value:?}; names must be unique",
                    job.file.display(),
                    slot.trim_start_matches('/').replace('/', "."),
                    many.len()
                )));
            }
        };
        if let Some(v) = job.settings.pointer_mut(&slot) {
            *v = json!(id);
        }
    }
    Ok(())
}

pub async fn deploy(
    client: &Client,
    clusters_dir: Option<&Path>,
    jobs_dir: &Path,
    keep_running: bool,
) -> Result<Done, LegacyError> {
    let clusters = match clusters_dir {
        Some(d) => read_dir(d)?,
        None => Vec::new(),
    };
    let mut jobs = read_dir(jobs_dir)?;
    let planned: Vec<String> = clusters.iter().map(|c| c.name.clone()).collect();
    for job in &mut jobs {
        resolve_clusters(client, job, &planned).await?;
    }
    let mut existing_jobs = Vec::new();
    for job in &jobs {
        let found = crate::databricks::jobs::find_jobs_by_name(client, &job.name).await?;
        if found.len() > 1 {
            return Err(LegacyError::Input(format!(
                "{}: {} jobs are named {:?}; remove the duplicates or rename",
                job.file.display(),
                found.len(),
                job.name
            )));
        }
        existing_jobs.push(found.first().map(|j| j.job_id));
    }
    // Nothing above wrote; from here on, writes.
    let mut done = Done { lines: Vec::new() };
    let mut cluster_ids: Vec<(String, String)> = Vec::new();
    for c in &clusters {
        let ids = clusters_named(client, &c.name).await?;
        let id = match ids.as_slice() {
            [id] => {
                let mut body = c.settings.clone();
                body["cluster_id"] = json!(id);
                client
                    .call::<Value>(
                        ApiRequest::new(
                            Method::POST,
                            "/api/2.1/clusters/edit",
                            format!("cluster {}", c.name),
                        )
                        .json(body)
                        .idempotent(true),
                    )
                    .await?;
                done.lines
                    .push(format!("updated cluster {} ({id})", c.name));
                id.clone()
            }
            [] => {
                let id = super::kinds::create(client, "clusters", &c.name, &c.settings).await?;
                super::kinds::after_create(
                    client,
                    "clusters",
                    &c.name,
                    &id,
                    super::kinds::CreateOptions {
                        keep_clusters_running: keep_running,
                    },
                )
                .await?;
                done.lines
                    .push(format!("created cluster {} ({id})", c.name));
                id
            }
            many => {
                return Err(LegacyError::Input(format!(
                    "{}: {} clusters are named {:?}",
                    c.file.display(),
                    many.len(),
                    c.name
                )));
            }
        };
        cluster_ids.push((c.name.clone(), id));
    }
    for (job, existing) in jobs.iter_mut().zip(existing_jobs) {
        for (name, id) in &cluster_ids {
            swap(&mut job.settings, &format!("${{cluster:{name}}}"), id);
        }
        match existing {
            Some(id) => {
                let body = json!({ "job_id": id, "new_settings": job.settings });
                client
                    .call::<Value>(
                        ApiRequest::post("/api/2.2/jobs/reset", format!("job {}", job.name), body)
                            .idempotent(true),
                    )
                    .await?;
                done.lines.push(format!("updated job {} ({id})", job.name));
            }
            None => {
                let id = super::kinds::create(client, "jobs", &job.name, &job.settings).await?;
                done.lines.push(format!("created job {} ({id})", job.name));
            }
        }
    }
    Ok(done)
}

fn swap(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s == from => *s = to.to_string(),
        Value::Array(a) => a.iter_mut().for_each(|i| swap(i, from, to)),
        Value::Object(o) => o.values_mut().for_each(|i| swap(i, from, to)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cluster_ids_and_names_are_told_apart() {
        assert!(super::looks_like_cluster_id("0923-164208-meows279"));
        assert!(!super::looks_like_cluster_id("Small"));
        assert!(!super::looks_like_cluster_id("my-small-cluster"));
    }
}
