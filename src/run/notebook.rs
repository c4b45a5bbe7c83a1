//! A local notebook as a one-time run: read it, upload it to a per-run folder, submit it.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::bundle::local_file::{Refused, Roots};
use crate::databricks::workspace::{self, ImportFormat, Language};
use crate::databricks::{Client, ClientError, jobs};

#[derive(Debug, thiserror::Error)]
pub enum NotebookError {
    #[error("cannot read notebook {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("notebook {0}: unsupported file type (expected .py, .sql, .scala, .r or .ipynb)")]
    UnsupportedType(PathBuf),
    #[error("notebook {0}: file is empty")]
    Empty(PathBuf),
    #[error("notebook {0}")]
    Refused(#[from] Refused),
}

pub use crate::bundle::local_file::IMPORT_LIMIT;

/// A notebook read from disk, ready to import.
#[derive(Debug, Clone)]
pub struct NotebookSource {
    pub local_path: PathBuf,
    /// Workspace object name: the file name without its extension, as the workspace does.
    pub name: String,
    pub content: Vec<u8>,
    pub format: ImportFormat,
}

impl NotebookSource {
    /// Reads a notebook the CI author named (`run --notebook`): any regular file, never a
    /// FIFO, device or system file, at most the import limit.
    pub fn read(path: &Path) -> Result<NotebookSource, NotebookError> {
        NotebookSource::read_within(&Roots::anywhere(), path)
    }

    /// Reads a notebook that must resolve inside `roots` (test globs: the working directory).
    pub fn read_within(roots: &Roots, path: &Path) -> Result<NotebookSource, NotebookError> {
        let content = roots
            .read_limited(path, IMPORT_LIMIT)
            .map_err(|e| match e {
                Refused::Io { source, .. } => NotebookError::Read {
                    path: path.to_path_buf(),
                    source,
                },
                other => NotebookError::Refused(other),
            })?;
        if content.is_empty() {
            return Err(NotebookError::Empty(path.to_path_buf()));
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let format = if ext == "ipynb" {
            ImportFormat::Jupyter
        } else {
            ImportFormat::Source(
                Language::from_extension(ext)
                    .ok_or_else(|| NotebookError::UnsupportedType(path.to_path_buf()))?,
            )
        };
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("notebook")
            .to_string();
        Ok(NotebookSource {
            local_path: path.to_path_buf(),
            name,
            content,
            format,
        })
    }
}

/// Where a task runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Compute {
    /// No cluster: serverless compute.
    Serverless,
    ExistingCluster(String),
    NewCluster(Value),
}

#[derive(Debug, Clone)]
pub struct NotebookRunRequest {
    pub run_name: String,
    pub workspace_path: String,
    pub parameters: Vec<(String, String)>,
    pub compute: Compute,
    /// Stable for one CI attempt, so a resent submit never starts a second run.
    pub idempotency_token: String,
    pub timeout_seconds: u64,
}

/// Uploads the notebook into `folder` (created if missing); returns its workspace path.
pub async fn upload(
    client: &Client,
    folder: &str,
    source: &NotebookSource,
) -> Result<String, ClientError> {
    workspace::mkdirs(client, folder).await?;
    let path = format!("{}/{}", folder.trim_end_matches('/'), source.name);
    workspace::import(client, &path, &source.content, source.format, true).await?;
    Ok(path)
}

/// The runs/submit body for one notebook task.
pub fn submit_body(req: &NotebookRunRequest) -> Value {
    let params: serde_json::Map<String, Value> = req
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut task = json!({
        "task_key": "notebook",
        "notebook_task": {
            "notebook_path": req.workspace_path,
            "source": "WORKSPACE",
            "base_parameters": params,
        },
    });
    match &req.compute {
        Compute::Serverless => {}
        Compute::ExistingCluster(id) => task["existing_cluster_id"] = json!(id),
        Compute::NewCluster(spec) => task["new_cluster"] = spec.clone(),
    }
    json!({
        "run_name": req.run_name,
        "tasks": [task],
        "timeout_seconds": req.timeout_seconds,
        "idempotency_token": req.idempotency_token,
    })
}

pub async fn submit(client: &Client, req: &NotebookRunRequest) -> Result<i64, ClientError> {
    Ok(jobs::submit(client, submit_body(req)).await?.run_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_names_notebooks() {
        let dir = tempfile::tempdir().unwrap();
        let py = dir.path().join("etl_job.py");
        std::fs::write(&py, "# Databricks notebook source\nprint(1)\n").unwrap();
        let nb = NotebookSource::read(&py).unwrap();
        assert_eq!(nb.name, "etl_job");
        assert_eq!(nb.format, ImportFormat::Source(Language::Python));
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, "x").unwrap();
        assert!(matches!(
            NotebookSource::read(&txt),
            Err(NotebookError::UnsupportedType(_))
        ));
        assert!(matches!(
            NotebookSource::read(&dir.path().join("missing.py")),
            Err(NotebookError::Read { .. })
        ));
    }

    #[test]
    fn submit_body_carries_token_compute_and_params() {
        let req = NotebookRunRequest {
            run_name: "ci".into(),
            workspace_path: "/Users/x/nb".into(),
            parameters: vec![("env".into(), "qa".into())],
            compute: Compute::ExistingCluster("0101-abc".into()),
            idempotency_token: "tok-1".into(),
            timeout_seconds: 600,
        };
        let body = submit_body(&req);
        assert_eq!(body["idempotency_token"], "tok-1");
        assert_eq!(body["tasks"][0]["existing_cluster_id"], "0101-abc");
        assert_eq!(
            body["tasks"][0]["notebook_task"]["base_parameters"]["env"],
            "qa"
        );
        let serverless = submit_body(&NotebookRunRequest {
            compute: Compute::Serverless,
            ..req
        });
        assert!(serverless["tasks"][0].get("existing_cluster_id").is_none());
        assert!(serverless["tasks"][0].get("new_cluster").is_none());
    }
}
