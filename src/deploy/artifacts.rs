//! Artifacts: run each build command, find what it built, and put it where the jobs expect
//! it — a workspace folder, a Unity Catalog volume (Files API, one streamed PUT) or DBFS
//! (create, 1 MB blocks, close).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::bundle::Bundle;
use crate::bundle::local_file::{Refused, Roots};
use crate::bundle::paths::{RefKind, library_uri};
use crate::databricks::{ApiRequest, Client, ClientError, workspace};

/// DBFS takes at most 1 MB of decoded data per block.
const DBFS_BLOCK: usize = 1024 * 1024;

/// A built (or referenced) library file and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LibraryFile {
    pub local: PathBuf,
    /// Upload destination (workspace path, `/Volumes/...` or `dbfs:/...`).
    pub remote: String,
}

/// Runs the build commands, bounded by `timeout` each; the build's own output is passed on
/// to stderr, so `plan -o json` on stdout stays the document alone.
pub async fn build(bundle: &Bundle, timeout: Duration) -> Result<(), String> {
    for a in &bundle.artifacts {
        let Some(cmd) = &a.build else { continue };
        let dir = bundle.root.join(&a.path);
        let mut child = tokio::process::Command::new("sh");
        child
            .arg("-c")
            .arg(cmd)
            .current_dir(&dir)
            .stdout(std::io::stderr())
            .kill_on_drop(true);
        let status = tokio::time::timeout(timeout, child.status())
            .await
            .map_err(|_| {
                format!(
                    "artifacts.{}: `{cmd}` did not finish within {}s",
                    a.key,
                    timeout.as_secs()
                )
            })?
            .map_err(|e| format!("artifacts.{}: cannot run `{cmd}`: {e}", a.key))?;
        if !status.success() {
            return Err(format!(
                "artifacts.{}: `{cmd}` failed ({status}) in {}",
                a.key,
                dir.display()
            ));
        }
    }
    Ok(())
}

/// The files `pattern` matches; a match resolving outside the bundle or onto a special
/// file is an error naming it.
fn matches(root: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let roots = Roots::new(root);
    let mut v = Vec::new();
    for p in glob::glob(&root.join(pattern).to_string_lossy())
        .map(|m| m.filter_map(Result::ok).collect::<Vec<_>>())
        .unwrap_or_default()
    {
        match roots.file(&p) {
            Ok(_) => v.push(p),
            Err(Refused::Special { what: "folder", .. }) => {}
            Err(e) => return Err(format!("{pattern}: {e}")),
        }
    }
    v.sort();
    Ok(v)
}

fn destination(bundle: &Bundle, name: &str) -> String {
    format!("{}/.internal/{name}", bundle.workspace.artifact_path)
}

/// The library files to upload (artifact outputs and local wheels the resources name), with
/// library globs in resource settings replaced by the files they matched.
pub fn libraries(bundle: &mut Bundle) -> Result<Vec<LibraryFile>, String> {
    let mut files = Vec::new();
    for a in &bundle.artifacts {
        for pattern in &a.files {
            let found =
                matches(&bundle.root, pattern).map_err(|e| format!("artifacts.{}: {e}", a.key))?;
            if found.is_empty() {
                return Err(format!(
                    "artifacts.{}: nothing matches {pattern} (did the build run?)",
                    a.key
                ));
            }
            files.extend(found);
        }
    }
    let mut replace: Vec<(String, String)> = Vec::new();
    for r in bundle
        .referenced
        .iter()
        .filter(|r| r.kind == RefKind::Library)
    {
        let found = matches(&bundle.root, &r.local)?;
        match found.as_slice() {
            [] => {
                return Err(format!(
                    "no file matches library {} (build it first, or name it in `artifacts`)",
                    r.local
                ));
            }
            [one] => {
                let name = one
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                replace.push((
                    library_uri(&r.remote),
                    library_uri(&destination(bundle, &name)),
                ));
                files.push(one.clone());
            }
            many => {
                return Err(format!(
                    "library {} matches {} files; it must match one",
                    r.local,
                    many.len()
                ));
            }
        }
    }
    for res in &mut bundle.resources {
        swap_strings(&mut res.settings, &replace);
    }
    files.sort();
    files.dedup();
    Ok(files
        .into_iter()
        .map(|local| {
            let name = local
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            LibraryFile {
                remote: destination(bundle, &name),
                local,
            }
        })
        .collect())
}

fn swap_strings(v: &mut Value, pairs: &[(String, String)]) {
    match v {
        Value::String(s) => {
            if let Some((_, to)) = pairs.iter().find(|(from, _)| from == s) {
                *s = to.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|i| swap_strings(i, pairs)),
        Value::Object(o) => o.values_mut().for_each(|i| swap_strings(i, pairs)),
        _ => {}
    }
}

/// Where a destination lives.
pub enum Store {
    Workspace,
    Volume,
    Dbfs,
}

pub fn store_of(remote: &str) -> Store {
    if remote.starts_with("/Volumes/") {
        Store::Volume
    } else if remote.starts_with("dbfs:/") {
        Store::Dbfs
    } else {
        Store::Workspace
    }
}

/// Uploads one library file to its store.
pub async fn upload(client: &Client, remote: &str, bytes: Vec<u8>) -> Result<(), ClientError> {
    match store_of(remote) {
        Store::Workspace => {
            let limit = upload_timeout(bytes.len());
            workspace::import_file(client, remote, bytes, limit).await
        }
        Store::Volume => {
            let limit = upload_timeout(bytes.len());
            let r = ApiRequest::new(
                Method::PUT,
                format!("/api/2.0/fs/files{}", url_path(remote)),
                format!("artifact {remote}"),
            )
            .query("overwrite", "true")
            .timeout(limit)
            .bytes(bytes);
            client.send(&r).await.map(drop)
        }
        Store::Dbfs => dbfs_upload(client, remote.trim_start_matches("dbfs:"), &bytes).await,
    }
}

/// Bytes a path segment may keep as they are: RFC 3986 unreserved characters. Everything
/// else is percent-encoded, so a space is `%20` (not `+`) and `#` or `?` cannot cut the URL.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A Files API path (`/Volumes/...`) as a URL path: each segment encoded, slashes kept.
fn url_path(path: &str) -> String {
    path.split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whole-file uploads outlast the client's 60 s default on a slow link: allow 60 s plus
/// 1 s per started MB (a 100 MB wheel gets 160 s).
fn upload_timeout(len: usize) -> Duration {
    let mb = len.div_ceil(1024 * 1024) as u64;
    Duration::from_secs(60 + mb)
}

/// Creates a folder and its parents in its store (workspace: mkdirs; volume: directories
/// PUT; DBFS: mkdirs).
pub async fn ensure_folder(client: &Client, dir: &str) -> Result<(), ClientError> {
    match store_of(dir) {
        Store::Workspace => workspace::mkdirs(client, dir).await,
        Store::Volume => {
            let r = ApiRequest::new(
                Method::PUT,
                format!("/api/2.0/fs/directories{}", url_path(dir)),
                format!("folder {dir}"),
            );
            client.send(&r).await.map(drop)
        }
        Store::Dbfs => {
            let r = ApiRequest::post(
                "/api/2.0/dbfs/mkdirs",
                format!("folder {dir}"),
                json!({ "path": dir.trim_start_matches("dbfs:") }),
            )
            .idempotent(true);
            client.call::<Value>(r).await.map(drop)
        }
    }
}

/// Streams a file to DBFS in blocks. If a block or the close fails, the handle is closed
/// here (best effort) so it does not linger open; starting over is up to the caller.
async fn dbfs_upload(client: &Client, path: &str, bytes: &[u8]) -> Result<(), ClientError> {
    let what = format!("artifact dbfs:{path}");
    let create = ApiRequest::post(
        "/api/2.0/dbfs/create",
        what.clone(),
        json!({ "path": path, "overwrite": true }),
    )
    .idempotent(true);
    let handle: Value = client.call(create).await?;
    let handle = handle["handle"].clone();
    let close = ApiRequest::post(
        "/api/2.0/dbfs/close",
        what.clone(),
        json!({ "handle": handle }),
    );
    let written = async {
        for chunk in bytes.chunks(DBFS_BLOCK) {
            let data = base64::engine::general_purpose::STANDARD.encode(chunk);
            // A resent block would be appended twice: never resend one blindly.
            let add = ApiRequest::post(
                "/api/2.0/dbfs/add-block",
                what.clone(),
                json!({ "handle": handle, "data": data }),
            );
            client.call::<Value>(add).await?;
        }
        client.call::<Value>(close.clone()).await.map(drop)
    }
    .await;
    if written.is_err() {
        // The upload's error is the one to report; a failed close here changes nothing.
        if let Err(e) = client.call::<Value>(close).await {
            tracing::debug!(error = %e, "closing dbfs:{path} after a failed upload");
        }
    }
    written
}

/// Deletes an uploaded library; already gone counts as deleted.
pub async fn delete(client: &Client, remote: &str) -> Result<(), ClientError> {
    let result = match store_of(remote) {
        Store::Workspace => return workspace::delete(client, remote, false).await,
        Store::Volume => client
            .send(&ApiRequest::new(
                Method::DELETE,
                format!("/api/2.0/fs/files{}", url_path(remote)),
                format!("artifact {remote}"),
            ))
            .await
            .map(drop),
        Store::Dbfs => client
            .call::<Value>(
                ApiRequest::post(
                    "/api/2.0/dbfs/delete",
                    format!("artifact {remote}"),
                    json!({ "path": remote.trim_start_matches("dbfs:") }),
                )
                .idempotent(true),
            )
            .await
            .map(drop),
    };
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::post;

    use super::*;
    use crate::auth::{PatCredentials, Secret};
    use crate::databricks::RetryPolicy;

    #[test]
    fn volume_paths_are_percent_encoded_per_segment() {
        assert_eq!(
            url_path("/Volumes/main/default/libs/.internal/my_lib-1.0.whl"),
            "/Volumes/main/default/libs/.internal/my_lib-1.0.whl"
        );
        assert_eq!(
            url_path("/Volumes/c/s/my vol/a+b#1?x=%.jar"),
            "/Volumes/c/s/my%20vol/a%2Bb%231%3Fx%3D%25.jar"
        );
        assert_eq!(url_path("/Volumes/c/s/v/é"), "/Volumes/c/s/v/%C3%A9");
    }

    #[test]
    fn upload_timeout_grows_with_size() {
        assert_eq!(upload_timeout(0), Duration::from_secs(60));
        assert_eq!(upload_timeout(1), Duration::from_secs(61));
        assert_eq!(upload_timeout(150 * 1024 * 1024), Duration::from_secs(210));
    }

    /// A DBFS that accepts `create`, fails every `add-block` and records `close` calls.
    async fn failing_dbfs(closed: Arc<Mutex<Vec<Value>>>) -> url::Url {
        let app = Router::new()
            .route(
                "/api/2.0/dbfs/create",
                post(|| async { axum::Json(json!({ "handle": 7 })) }),
            )
            .route(
                "/api/2.0/dbfs/add-block",
                post(|| async {
                    (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({
                            "error_code": "MAX_BLOCK_SIZE_EXCEEDED",
                            "message": "block too big",
                        })),
                    )
                }),
            )
            .route(
                "/api/2.0/dbfs/close",
                post(move |axum::Json(body): axum::Json<Value>| async move {
                    closed.lock().unwrap().push(body);
                    axum::Json(json!({}))
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        url::Url::parse(&format!("http://{addr}")).unwrap()
    }

    #[tokio::test]
    async fn a_failed_dbfs_upload_closes_its_handle() {
        let closed = Arc::new(Mutex::new(Vec::new()));
        let host = failing_dbfs(closed.clone()).await;
        let client = Client::new(
            crate::http::client(&crate::http::HttpOptions::default()).unwrap(),
            host,
            Arc::new(PatCredentials::new(Secret::new("t"))),
            RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
        );
        let err = upload(&client, "dbfs:/FileStore/libs/a.whl", vec![1, 2, 3])
            .await
            .expect_err("add-block fails");
        assert!(err.to_string().contains("block too big"), "{err}");
        assert_eq!(*closed.lock().unwrap(), vec![json!({ "handle": 7 })]);
    }
}
