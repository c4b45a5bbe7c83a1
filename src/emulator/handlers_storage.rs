//! Files in Unity Catalog volumes (`/api/2.0/fs/files`, `/api/2.0/fs/directories`) and the
//! legacy DBFS API with its streaming upload (create, add-block of at most 1 MB, close).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::errors::{api_error, body_or_query, invalid_parameter, not_found, or_respond};
use super::state::State;
use super::{Shared, lock};

const DBFS_BLOCK: usize = 1024 * 1024;

/// The volume (`c.s.v`) a `/Volumes/c/s/v/...` path lives in.
fn volume_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/Volumes/")?;
    let parts: Vec<&str> = rest.split('/').take(3).collect();
    (parts.len() == 3 && parts.iter().all(|p| !p.is_empty())).then(|| parts.join("."))
}

fn check_volume(s: &State, path: &str) -> Result<(), Response> {
    match volume_of(path) {
        None => Err(invalid_parameter(format!(
            "Invalid path: {path} is not a volume path (/Volumes/<catalog>/<schema>/<volume>/...)"
        ))),
        Some(v) if !s.objects.volumes.contains_key(&v) => Err(api_error(
            404,
            "NOT_FOUND",
            format!("Volume '{v}' does not exist."),
        )),
        Some(_) => Ok(()),
    }
}

fn clean(path: &str) -> String {
    let p = format!("/{}", path.trim_start_matches('/'));
    p.trim_end_matches('/').to_string()
}

pub async fn files(
    AxState(state): AxState<Shared>,
    method: Method,
    Path(path): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let path = clean(&path);
    let mut s = lock(&state);
    or_respond!(check_volume(&s, &path));
    let now = s.clock.now_ms();
    match method {
        Method::PUT => {
            let overwrite = q.get("overwrite").is_none_or(|o| o == "true");
            if s.objects.volume_files.contains_key(&path) && !overwrite {
                return api_error(
                    409,
                    "ALREADY_EXISTS",
                    format!("The file being created already exists: {path}"),
                );
            }
            let mut dir = path
                .rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default();
            while dir.matches('/').count() > 4 {
                s.objects.volume_dirs.insert(dir.clone());
                dir = dir
                    .rsplit_once('/')
                    .map(|(d, _)| d.to_string())
                    .unwrap_or_default();
            }
            s.objects.volume_files.insert(path, (body.to_vec(), now));
            StatusCode::NO_CONTENT.into_response()
        }
        Method::GET | Method::HEAD => match s.objects.volume_files.get(&path) {
            Some((bytes, _)) => {
                let len = bytes.len().to_string();
                let body = if method == Method::HEAD {
                    Vec::new()
                } else {
                    bytes.clone()
                };
                (
                    [
                        (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                        (header::CONTENT_LENGTH, len),
                    ],
                    body,
                )
                    .into_response()
            }
            None => not_found_file(&path),
        },
        Method::DELETE => match s.objects.volume_files.remove(&path) {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => not_found_file(&path),
        },
        _ => api_error(405, "NOT_IMPLEMENTED", "Method not allowed"),
    }
}

fn not_found_file(path: &str) -> Response {
    api_error(
        404,
        "NOT_FOUND",
        format!("The file being accessed is not found: {path}"),
    )
}

pub async fn directories(
    AxState(state): AxState<Shared>,
    method: Method,
    Path(path): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = clean(&path);
    let mut s = lock(&state);
    or_respond!(check_volume(&s, &path));
    let volume_root = path.matches('/').count() <= 4;
    let exists = volume_root || s.objects.volume_dirs.contains(&path);
    let prefix = format!("{path}/");
    match method {
        Method::PUT => {
            let mut dir = path.clone();
            while dir.matches('/').count() > 4 {
                s.objects.volume_dirs.insert(dir.clone());
                dir = dir
                    .rsplit_once('/')
                    .map(|(d, _)| d.to_string())
                    .unwrap_or_default();
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Method::HEAD if exists => StatusCode::OK.into_response(),
        Method::GET if exists => {
            let size: usize = q
                .get("page_size")
                .and_then(|p| p.parse().ok())
                .filter(|n| (1..=1000).contains(n))
                .unwrap_or(1000);
            let offset: usize = q
                .get("page_token")
                .and_then(|t| t.strip_prefix("fs:"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let direct = |p: &String| p.starts_with(&prefix) && !p[prefix.len()..].contains('/');
            let mut entries: Vec<Value> = s
                .objects
                .volume_dirs
                .iter()
                .filter(|d| direct(d))
                .map(|d| json!({ "path": d, "name": &d[prefix.len()..], "is_directory": true }))
                .collect();
            entries.extend(s.objects.volume_files.iter().filter(|(p, _)| direct(p)).map(|(p, (b, t))| {
                json!({ "path": p, "name": &p[prefix.len()..], "is_directory": false, "file_size": b.len(), "last_modified": t })
            }));
            let page: Vec<Value> = entries.iter().skip(offset).take(size).cloned().collect();
            let mut resp = json!({ "contents": page });
            if offset + size < entries.len() {
                resp["next_page_token"] = json!(format!("fs:{}", offset + size));
            }
            Json(resp).into_response()
        }
        Method::DELETE if exists => {
            let busy = s
                .objects
                .volume_files
                .keys()
                .any(|p| p.starts_with(&prefix))
                || s.objects.volume_dirs.iter().any(|d| d.starts_with(&prefix));
            if busy {
                return api_error(
                    409,
                    "DIRECTORY_NOT_EMPTY",
                    format!("The directory being deleted is not empty: {path}"),
                );
            }
            s.objects.volume_dirs.remove(&path);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => api_error(
            404,
            "NOT_FOUND",
            format!("The directory being accessed is not found: {path}"),
        ),
    }
}

fn dbfs_path(v: &Value, field: &str) -> Result<String, Response> {
    let p = v[field]
        .as_str()
        .ok_or_else(|| invalid_parameter(format!("Missing required field: {field}")))?;
    let p = p.strip_prefix("dbfs:").unwrap_or(p);
    if !p.starts_with('/') || p.split('/').any(|s| s == "..") {
        return Err(invalid_parameter(format!("Path must be absolute: {p}")));
    }
    Ok(clean(p))
}

fn decode(data: &str) -> Result<Vec<u8>, Response> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| invalid_parameter("data must be base64"))?;
    if bytes.len() > DBFS_BLOCK {
        return Err(api_error(
            400,
            "MAX_BLOCK_SIZE_EXCEEDED",
            format!("Size exceeds the limit of {DBFS_BLOCK} bytes"),
        ));
    }
    Ok(bytes)
}

fn add_parents(s: &mut State, path: &str) {
    let mut dir = path
        .rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    while !dir.is_empty() {
        s.objects.dbfs_dirs.insert(dir.clone());
        dir = dir
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
    }
}

pub async fn dbfs(
    AxState(state): AxState<Shared>,
    Path(op): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let v = or_respond!(body_or_query(&q, &body));
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    match op.as_str() {
        "put" => {
            let path = or_respond!(dbfs_path(&v, "path"));
            let bytes = or_respond!(decode(v["contents"].as_str().unwrap_or("")));
            if s.objects.dbfs_files.contains_key(&path) && v["overwrite"] != json!(true) {
                return api_error(
                    400,
                    "RESOURCE_ALREADY_EXISTS",
                    format!("A file or directory already exists at the input path {path}."),
                );
            }
            add_parents(&mut s, &path);
            s.objects.dbfs_files.insert(path, (bytes, now));
        }
        "create" => {
            let path = or_respond!(dbfs_path(&v, "path"));
            if s.objects.dbfs_files.contains_key(&path) && v["overwrite"] != json!(true) {
                return api_error(
                    400,
                    "RESOURCE_ALREADY_EXISTS",
                    format!("A file or directory already exists at the input path {path}."),
                );
            }
            let handle = s.next_id();
            s.objects.dbfs_handles.insert(handle, (path, Vec::new()));
            return Json(json!({ "handle": handle })).into_response();
        }
        "add-block" => {
            let handle = v["handle"].as_i64().unwrap_or(-1);
            let bytes = or_respond!(decode(v["data"].as_str().unwrap_or("")));
            match s.objects.dbfs_handles.get_mut(&handle) {
                Some((_, buf)) => buf.extend(bytes),
                None => return not_found(format!("Handle {handle} does not exist.")),
            }
        }
        "close" => {
            let handle = v["handle"].as_i64().unwrap_or(-1);
            let Some((path, buf)) = s.objects.dbfs_handles.remove(&handle) else {
                return not_found(format!("Handle {handle} does not exist."));
            };
            add_parents(&mut s, &path);
            s.objects.dbfs_files.insert(path, (buf, now));
        }
        "mkdirs" => {
            let path = or_respond!(dbfs_path(&v, "path"));
            if s.objects.dbfs_files.contains_key(&path) {
                return api_error(
                    400,
                    "RESOURCE_ALREADY_EXISTS",
                    format!("A file exists at {path}"),
                );
            }
            add_parents(&mut s, &format!("{path}/x"));
        }
        "get-status" => {
            let path = or_respond!(dbfs_path(&v, "path"));
            return match (s.objects.dbfs_files.get(&path), s.objects.dbfs_dirs.contains(&path)) {
                (Some((b, t)), _) => Json(json!({ "path": path, "is_dir": false, "file_size": b.len(), "modification_time": t })).into_response(),
                (None, true) => Json(json!({ "path": path, "is_dir": true, "file_size": 0 })).into_response(),
                _ => not_found(format!("No file or directory exists on path {path}.")),
            };
        }
        "read" => {
            let path = or_respond!(dbfs_path(&v, "path"));
            let offset = v["offset"]
                .as_str()
                .and_then(|o| o.parse().ok())
                .or(v["offset"].as_u64())
                .unwrap_or(0) as usize;
            let length = v["length"]
                .as_str()
                .and_then(|o| o.parse().ok())
                .or(v["length"].as_u64())
                .unwrap_or(512 * 1024) as usize;
            if length > DBFS_BLOCK {
                return api_error(
                    400,
                    "MAX_READ_SIZE_EXCEEDED",
                    format!("Cannot read more than {DBFS_BLOCK} bytes"),
                );
            }
            let Some((b, _)) = s.objects.dbfs_files.get(&path) else {
                return not_found(format!("No file or directory exists on path {path}."));
            };
            let chunk = b
                .get(offset.min(b.len())..(offset + length).min(b.len()))
                .unwrap_or_default();
            return Json(json!({ "bytes_read": chunk.len(), "data": base64::engine::general_purpose::STANDARD.encode(chunk) })).into_response();
        }
        "list" => {
            let path = or_respond!(dbfs_path(&v, "path"));
            let prefix = if path == "/" {
                "/".to_string()
            } else {
                format!("{path}/")
            };
            if path != "/" && !s.objects.dbfs_dirs.contains(&path) {
                return not_found(format!("No file or directory exists on path {path}."));
            }
            let direct = |p: &String| p.starts_with(&prefix) && !p[prefix.len()..].contains('/');
            let mut files: Vec<Value> = s
                .objects
                .dbfs_dirs
                .iter()
                .filter(|d| direct(d))
                .map(|d| json!({ "path": d, "is_dir": true, "file_size": 0 }))
                .collect();
            files.extend(s.objects.dbfs_files.iter().filter(|(p, _)| direct(p)).map(|(p, (b, t))| json!({ "path": p, "is_dir": false, "file_size": b.len(), "modification_time": t })));
            return Json(json!({ "files": files })).into_response();
        }
        "delete" => {
            let path = or_respond!(dbfs_path(&v, "path"));
            let prefix = format!("{path}/");
            let has_children = s.objects.dbfs_files.keys().any(|p| p.starts_with(&prefix));
            if has_children && v["recursive"] != json!(true) {
                return api_error(400, "IO_ERROR", format!("Directory {path} is not empty"));
            }
            s.objects.dbfs_files.remove(&path);
            s.objects.dbfs_files.retain(|p, _| !p.starts_with(&prefix));
            s.objects.dbfs_dirs.remove(&path);
            s.objects.dbfs_dirs.retain(|p| !p.starts_with(&prefix));
        }
        _ => {
            return super::errors::no_endpoint(format!("/api/2.0/dbfs/{op}"));
        }
    }
    Json(json!({})).into_response()
}
