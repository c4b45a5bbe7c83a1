//! Workspace objects: folders, notebooks and files.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ApiRequest, Client, ClientError};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectInfo {
    pub path: String,
    #[serde(default)]
    pub object_type: Option<String>,
    #[serde(default)]
    pub object_id: Option<i64>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// How an import names its content (`format`, `language`), per the Workspace API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// A notebook from source, language given.
    Source(Language),
    /// A Jupyter notebook.
    Jupyter,
    /// Let the workspace decide from extension and header.
    Auto,
    /// A workspace file, never a notebook.
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Sql,
    Scala,
    R,
}

impl Language {
    pub fn as_api(self) -> &'static str {
        match self {
            Language::Python => "PYTHON",
            Language::Sql => "SQL",
            Language::Scala => "SCALA",
            Language::R => "R",
        }
    }

    /// From a file extension, as the SDK's `upload()` infers it.
    pub fn from_extension(ext: &str) -> Option<Language> {
        match ext {
            "py" => Some(Language::Python),
            "sql" => Some(Language::Sql),
            "scala" => Some(Language::Scala),
            "r" | "R" => Some(Language::R),
            _ => None,
        }
    }
}

pub async fn mkdirs(client: &Client, path: &str) -> Result<(), ClientError> {
    let req = ApiRequest::post(
        "/api/2.0/workspace/mkdirs",
        format!("folder {path}"),
        json!({ "path": path }),
    )
    .idempotent(true);
    client.call::<serde_json::Value>(req).await.map(drop)
}

/// Writes a workspace file from raw bytes (`workspace-files/import-file`, what the
/// Databricks CLI uses for files): no base64 and no 10 MB `import` limit, so wheels, jars
/// and the callback binary fit. A missing parent folder is made and the write tried again.
pub async fn import_file(
    client: &Client,
    path: &str,
    content: Vec<u8>,
    timeout: std::time::Duration,
) -> Result<(), ClientError> {
    // The whole path is one escaped segment, slashes included, as the CLI sends it.
    let escaped = percent_encoding::utf8_percent_encode(
        path.trim_start_matches('/'),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let req = ApiRequest::new(
        reqwest::Method::POST,
        format!("/api/2.0/workspace-files/import-file/{escaped}"),
        format!("file {path}"),
    )
    .query("overwrite", "true")
    // With overwrite a repeat writes the same bytes again: safe to resend.
    .idempotent(true)
    .timeout(timeout)
    .bytes(content);
    match client.send(&req).await {
        Err(e) if e.is_not_found() => {
            if let Some((dir, _)) = path.rsplit_once('/').filter(|(d, _)| !d.is_empty()) {
                mkdirs(client, dir).await?;
            }
            client.send(&req).await.map(drop)
        }
        other => other.map(drop),
    }
}

pub async fn import(
    client: &Client,
    path: &str,
    content: &[u8],
    format: ImportFormat,
    overwrite: bool,
) -> Result<(), ClientError> {
    let mut body = json!({
        "path": path,
        "content": base64::engine::general_purpose::STANDARD.encode(content),
        "overwrite": overwrite,
    });
    match format {
        ImportFormat::Source(lang) => {
            body["format"] = json!("SOURCE");
            body["language"] = json!(lang.as_api());
        }
        ImportFormat::Jupyter => body["format"] = json!("JUPYTER"),
        ImportFormat::Auto => body["format"] = json!("AUTO"),
        ImportFormat::Raw => body["format"] = json!("RAW"),
    }
    // With overwrite a repeat is harmless; without, a lost response must not be resent blindly.
    let req = ApiRequest::post(
        "/api/2.0/workspace/import",
        format!("notebook {path}"),
        body,
    )
    .idempotent(overwrite);
    client.call::<serde_json::Value>(req).await.map(drop)
}

/// A workspace file's bytes (export with `direct_download`); None when there is none.
pub async fn read_file(
    client: &Client,
    path: &str,
    what: &str,
) -> Result<Option<Vec<u8>>, ClientError> {
    let req = ApiRequest::get("/api/2.0/workspace/export", format!("{what} {path}"))
        .query("path", path)
        .query("direct_download", "true");
    match client.send(&req).await {
        Ok(r) => Ok(Some(r.body)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn get_status(client: &Client, path: &str) -> Result<ObjectInfo, ClientError> {
    client
        .call(
            ApiRequest::get(
                "/api/2.0/workspace/get-status",
                format!("workspace path {path}"),
            )
            .query("path", path),
        )
        .await
}

/// The objects directly inside folder `path`; None when there is no such folder.
pub async fn list(client: &Client, path: &str) -> Result<Option<Vec<ObjectInfo>>, ClientError> {
    #[derive(Deserialize)]
    struct Listing {
        #[serde(default)]
        objects: Vec<ObjectInfo>,
    }
    let req =
        ApiRequest::get("/api/2.0/workspace/list", format!("folder {path}")).query("path", path);
    match client.call::<Listing>(req).await {
        Ok(l) => Ok(Some(l.objects)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn delete(client: &Client, path: &str, recursive: bool) -> Result<(), ClientError> {
    let req = ApiRequest::post(
        "/api/2.0/workspace/delete",
        format!("workspace path {path}"),
        json!({ "path": path, "recursive": recursive }),
    )
    .idempotent(true);
    match client.call::<serde_json::Value>(req).await {
        Ok(_) => Ok(()),
        // Already gone is what we wanted.
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}
