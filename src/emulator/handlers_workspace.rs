//! Workspace API: mkdirs, import (JSON and multipart), get-status, list, export, delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::extract::{Query, State as AxState};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{api_error, invalid_parameter, json_body, not_found, or_respond};
use super::workspace_tree::{Kind, Object, normalize, parent};
use super::{Shared, lock};

/// Workspace import content is limited to 10 MB.
const MAX_IMPORT: usize = 10 * 1024 * 1024;

fn path_arg(v: Option<&str>) -> Result<String, Response> {
    let raw = v.ok_or_else(|| invalid_parameter("Path is required"))?;
    normalize(raw).ok_or_else(|| invalid_parameter(format!("Path ({raw}) doesn't start with '/'")))
}

pub async fn mkdirs(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let path = or_respond!(path_arg(body["path"].as_str()));
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    let mut prefix = String::new();
    let mut to_create = Vec::new();
    for seg in path.split('/').filter(|x| !x.is_empty()) {
        prefix.push('/');
        prefix.push_str(seg);
        match s.tree.get(&prefix) {
            Some(o) if o.kind != Kind::Directory => {
                return api_error(
                    400,
                    "RESOURCE_ALREADY_EXISTS",
                    format!("Node named '{seg}' already exists"),
                );
            }
            Some(_) => {}
            None => to_create.push(prefix.clone()),
        }
    }
    for p in to_create {
        let id = s.next_id();
        s.tree.objects.insert(
            p,
            Object {
                kind: Kind::Directory,
                id,
                content: Vec::new(),
                created_ms: now,
                modified_ms: now,
            },
        );
    }
    Json(json!({})).into_response()
}

struct ImportRequest {
    path: Option<String>,
    content: Vec<u8>,
    format: String,
    language: Option<String>,
    overwrite: bool,
}

fn from_json(body: &Value) -> Result<ImportRequest, Response> {
    let content = match body["content"].as_str() {
        Some(c) => base64::engine::general_purpose::STANDARD
            .decode(c)
            .map_err(|_| invalid_parameter("Content is not valid base64"))?,
        None => Vec::new(),
    };
    Ok(ImportRequest {
        path: body["path"].as_str().map(str::to_string),
        content,
        format: body["format"].as_str().unwrap_or("SOURCE").to_string(),
        language: body["language"].as_str().map(str::to_string),
        overwrite: body["overwrite"].as_bool().unwrap_or(false)
            || body["overwrite"].as_str() == Some("true"),
    })
}

/// The multipart form the SDK's `upload()` sends: fields plus a `content` file part.
async fn from_multipart(req: Request) -> Result<ImportRequest, Response> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        invalid_parameter(format!("Malformed multipart body: {e}"))
    };
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| invalid_parameter(e.body_text()))?;
    let mut out = ImportRequest {
        path: None,
        content: Vec::new(),
        format: "SOURCE".into(),
        language: None,
        overwrite: false,
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        let value = field.bytes().await.map_err(bad)?;
        let text = || String::from_utf8_lossy(&value).to_string();
        match name.as_str() {
            "path" => out.path = Some(text()),
            "format" => out.format = text(),
            "language" => out.language = Some(text()),
            "overwrite" => out.overwrite = text() == "true",
            "content" => out.content = value.to_vec(),
            _ => {}
        }
    }
    Ok(out)
}

/// What AUTO makes of a file: a notebook when the header says so, else a workspace file.
fn auto_kind(path: &str, content: &[u8]) -> (String, Kind) {
    let first = content
        .split(|b| *b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .unwrap_or_default();
    let (ext, lang, header) = match path.rsplit_once('.').map(|(_, e)| e) {
        Some("py") => ("py", "PYTHON", "# Databricks notebook source"),
        Some("sql") => ("sql", "SQL", "-- Databricks notebook source"),
        Some("scala") => ("scala", "SCALA", "// Databricks notebook source"),
        Some("r") | Some("R") => ("r", "R", "# Databricks notebook source"),
        Some("ipynb") => {
            return (
                path.trim_end_matches(".ipynb").to_string(),
                Kind::Notebook {
                    language: "PYTHON".into(),
                },
            );
        }
        _ => return (path.to_string(), Kind::File),
    };
    if first == header {
        let stripped = path[..path.len() - ext.len() - 1].to_string();
        (
            stripped,
            Kind::Notebook {
                language: lang.into(),
            },
        )
    } else {
        (path.to_string(), Kind::File)
    }
}

pub async fn import(AxState(state): AxState<Shared>, request: Request) -> Response {
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let req = if content_type.starts_with("multipart/form-data") {
        from_multipart(request).await
    } else {
        match axum::body::to_bytes(request.into_body(), usize::MAX).await {
            Ok(body) => json_body(&body).and_then(|v| from_json(&v)),
            Err(e) => Err(invalid_parameter(format!(
                "Cannot read the request body: {e}"
            ))),
        }
    };
    let req = or_respond!(req);
    let path = or_respond!(path_arg(req.path.as_deref()));
    if req.content.len() > MAX_IMPORT {
        return api_error(
            400,
            "MAX_NOTEBOOK_SIZE_EXCEEDED",
            "File size imported is (too large), exceeded max size (10485760 bytes)",
        );
    }
    let (path, kind) = match req.format.as_str() {
        "SOURCE" => match req.language.as_deref() {
            Some(l @ ("PYTHON" | "SQL" | "SCALA" | "R")) => (
                path,
                Kind::Notebook {
                    language: l.to_string(),
                },
            ),
            Some(other) => return invalid_parameter(format!("Invalid language: {other}")),
            None => {
                return invalid_parameter(
                    "The language of a notebook imported with format SOURCE must be specified",
                );
            }
        },
        "JUPYTER" => (
            path,
            Kind::Notebook {
                language: "PYTHON".into(),
            },
        ),
        "AUTO" => auto_kind(&path, &req.content),
        "RAW" => (path, Kind::File),
        "DBC" | "HTML" | "R_MARKDOWN" => {
            return invalid_parameter(format!(
                "The emulator does not import {} archives",
                req.format
            ));
        }
        other => return invalid_parameter(format!("Invalid format: {other}")),
    };
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    or_respond!(parent_folder(&s, &path));
    let id = match s.tree.get(&path) {
        Some(existing) if existing.kind == Kind::Directory => {
            return api_error(
                400,
                "RESOURCE_ALREADY_EXISTS",
                format!("{path} already exists as a directory"),
            );
        }
        Some(_) if !req.overwrite => {
            return api_error(
                400,
                "RESOURCE_ALREADY_EXISTS",
                format!("{path} already exists. Please use the overwrite option."),
            );
        }
        Some(existing) => existing.id,
        None => s.next_id(),
    };
    put(&mut s, path, kind, id, req.content, now);
    Json(json!({})).into_response()
}

/// An import's destination must sit in an existing folder.
fn parent_folder(s: &super::state::State, path: &str) -> Result<(), Response> {
    let Some(dir) = parent(path) else {
        return Err(invalid_parameter("Cannot import to the root"));
    };
    match s.tree.get(dir) {
        Some(o) if o.kind == Kind::Directory => Ok(()),
        Some(_) => Err(invalid_parameter(format!(
            "Parent path {dir} is not a directory"
        ))),
        None => Err(not_found(format!(
            "The parent folder ({dir}) does not exist."
        ))),
    }
}

/// Writes an object, keeping its creation time when it replaces one.
fn put(s: &mut super::state::State, path: String, kind: Kind, id: i64, content: Vec<u8>, now: u64) {
    let created = s.tree.get(&path).map(|o| o.created_ms).unwrap_or(now);
    s.tree.objects.insert(
        path,
        Object {
            kind,
            id,
            content,
            created_ms: created,
            modified_ms: now,
        },
    );
}

#[derive(Deserialize)]
pub struct OverwriteQuery {
    overwrite: Option<String>,
}

/// `workspace-files/import-file/{path}`: the raw body becomes a workspace file. A missing
/// parent folder is 404, an existing file without overwrite 409, a notebook or folder in
/// the way 400 (what the Databricks CLI's filer expects of it).
pub async fn import_file(
    AxState(state): AxState<Shared>,
    axum::extract::Path(raw): axum::extract::Path<String>,
    Query(q): Query<OverwriteQuery>,
    body: axum::body::Bytes,
) -> Response {
    let path = or_respond!(path_arg(Some(&format!("/{}", raw.trim_start_matches('/')))));
    let overwrite = q.overwrite.as_deref() == Some("true");
    let mut s = lock(&state);
    let now = s.clock.now_ms();
    or_respond!(parent_folder(&s, &path));
    let id = match s.tree.get(&path) {
        Some(o) if o.kind != Kind::File => {
            return api_error(400, "", format!("Path ({path}) already exists."));
        }
        Some(_) if !overwrite => {
            return api_error(
                409,
                "RESOURCE_ALREADY_EXISTS",
                format!("{path} already exists"),
            );
        }
        Some(existing) => existing.id,
        None => s.next_id(),
    };
    put(&mut s, path, Kind::File, id, body.to_vec(), now);
    Json(json!({})).into_response()
}

#[derive(Deserialize)]
pub struct PathQuery {
    path: Option<String>,
    format: Option<String>,
    direct_download: Option<String>,
}

fn object_info(path: &str, o: &Object) -> Value {
    let mut v = json!({ "path": path, "object_id": o.id, "resource_id": o.id.to_string() });
    match &o.kind {
        Kind::Directory => v["object_type"] = json!("DIRECTORY"),
        Kind::Notebook { language } => {
            v["object_type"] = json!("NOTEBOOK");
            v["language"] = json!(language);
        }
        Kind::File => {
            v["object_type"] = json!("FILE");
            v["size"] = json!(o.content.len());
            v["created_at"] = json!(o.created_ms);
            v["modified_at"] = json!(o.modified_ms);
        }
    }
    v
}

fn missing(path: &str) -> Response {
    not_found(format!("Path ({path}) doesn't exist."))
}

pub async fn get_status(AxState(state): AxState<Shared>, Query(q): Query<PathQuery>) -> Response {
    let path = or_respond!(path_arg(q.path.as_deref()));
    let s = lock(&state);
    match s.tree.get(&path) {
        Some(o) => Json(object_info(&path, o)).into_response(),
        None => missing(&path),
    }
}

pub async fn list(AxState(state): AxState<Shared>, Query(q): Query<PathQuery>) -> Response {
    let path = or_respond!(path_arg(q.path.as_deref()));
    let s = lock(&state);
    match s.tree.get(&path) {
        None => missing(&path),
        Some(o) if o.kind != Kind::Directory => {
            Json(json!({ "objects": [object_info(&path, o)] })).into_response()
        }
        Some(_) => {
            let objects: Vec<Value> = s
                .tree
                .children(&path)
                .into_iter()
                .map(|(p, o)| object_info(p, o))
                .collect();
            // The real service leaves the key out for an empty folder.
            if objects.is_empty() {
                Json(json!({})).into_response()
            } else {
                Json(json!({ "objects": objects })).into_response()
            }
        }
    }
}

pub async fn export(AxState(state): AxState<Shared>, Query(q): Query<PathQuery>) -> Response {
    let path = or_respond!(path_arg(q.path.as_deref()));
    let s = lock(&state);
    let Some(o) = s.tree.get(&path) else {
        return missing(&path);
    };
    if o.kind == Kind::Directory {
        return invalid_parameter(
            "Exporting a directory needs format DBC, which the emulator does not produce",
        );
    }
    if let Some(f) = q.format.as_deref()
        && !matches!(f, "SOURCE" | "AUTO" | "RAW" | "JUPYTER")
    {
        return invalid_parameter(format!("The emulator does not export format {f}"));
    }
    if q.direct_download.as_deref() == Some("true") {
        return (
            [("content-type", "application/octet-stream")],
            o.content.clone(),
        )
            .into_response();
    }
    let file_type = match &o.kind {
        Kind::Notebook { language } => match language.as_str() {
            "SQL" => "sql",
            "SCALA" => "scala",
            "R" => "r",
            _ => "py",
        },
        _ => path.rsplit_once('.').map(|(_, e)| e).unwrap_or(""),
    };
    Json(json!({
        "content": base64::engine::general_purpose::STANDARD.encode(&o.content),
        "file_type": file_type,
    }))
    .into_response()
}

pub async fn delete(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let body = or_respond!(json_body(&body));
    let path = or_respond!(path_arg(body["path"].as_str()));
    let recursive = body["recursive"].as_bool().unwrap_or(false);
    let mut s = lock(&state);
    let Some(o) = s.tree.get(&path) else {
        return missing(&path);
    };
    if o.kind == Kind::Directory {
        let inner = s.tree.descendants(&path);
        if !inner.is_empty() && !recursive {
            return api_error(
                400,
                "DIRECTORY_NOT_EMPTY",
                format!("Folder ({path}) is not empty"),
            );
        }
        for p in inner {
            s.tree.objects.remove(&p);
        }
    }
    s.tree.objects.remove(&path);
    Json(json!({})).into_response()
}
