//! The API calls behind each resource kind: create, update, delete, does it still exist, and
//! find it by name (to check whether a create whose answer was lost happened after all).

use reqwest::Method;
use serde_json::{Value, json};

use crate::databricks::{ApiRequest, Client, ClientError};

/// Options that change how objects are created.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateOptions {
    /// Leave clusters running after they are created (they start on create).
    pub keep_clusters_running: bool,
}

fn req(method: Method, path: impl Into<String>, object: &str) -> ApiRequest {
    ApiRequest::new(method, path, object.to_string())
}

fn uc_path(kind: &str, full_name: &str) -> String {
    let escaped: String = url::form_urlencoded::byte_serialize(full_name.as_bytes()).collect();
    format!("/api/2.1/unity-catalog/{kind}/{escaped}")
}

fn str_field(v: &Value, k: &str) -> Result<String, ClientError> {
    match &v[k] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(ClientError::Decode {
            method: "POST".into(),
            path: String::new(),
            object: format!("create response without {k}"),
            message: v.to_string(),
        }),
    }
}

/// Settings as the API takes them: `permissions` is applied separately.
pub fn api_settings(settings: &Value) -> Value {
    let mut s = settings.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("permissions");
        // Computed by the loader for references (volumes), not an API field.
        o.remove("volume_path");
    }
    s
}

fn full_name(parts: &[&Value]) -> String {
    parts
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// What follows a create once its id is recorded: a new cluster starts, and a deploy should
/// not leave it running unless asked to.
pub async fn after_create(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
    opts: CreateOptions,
) -> Result<(), ClientError> {
    if kind == "clusters" && !opts.keep_clusters_running {
        let stop = req(
            Method::POST,
            "/api/2.1/clusters/delete",
            &format!("{kind}.{key} ({id})"),
        )
        .json(json!({ "cluster_id": id }))
        .idempotent(true);
        client.call::<Value>(stop).await?;
    }
    Ok(())
}

/// Creates the object; its id.
pub async fn create(
    client: &Client,
    kind: &str,
    key: &str,
    settings: &Value,
) -> Result<String, ClientError> {
    let what = format!("{kind}.{key}");
    let body = api_settings(settings);
    if kind == "secret_scopes" {
        // A scope has no id but its name, and takes only these settings.
        let name = settings["name"].as_str().unwrap_or(key).to_string();
        let mut b = json!({ "scope": name });
        for k in [
            "initial_manage_principal",
            "scope_backend_type",
            "backend_azure_keyvault",
        ] {
            if let Some(v) = body.get(k) {
                b[k] = v.clone();
            }
        }
        client
            .call::<Value>(req(Method::POST, "/api/2.0/secrets/scopes/create", &what).json(b))
            .await?;
        return Ok(name);
    }
    // Where each kind is created, and the answer's field that is its id.
    let (path, id_field) = match kind {
        "jobs" => ("/api/2.2/jobs/create", "job_id"),
        "pipelines" => ("/api/2.0/pipelines", "pipeline_id"),
        "clusters" => ("/api/2.1/clusters/create", "cluster_id"),
        "schemas" => ("/api/2.1/unity-catalog/schemas", "full_name"),
        "volumes" => ("/api/2.1/unity-catalog/volumes", "full_name"),
        "registered_models" => ("/api/2.1/unity-catalog/models", "full_name"),
        "experiments" => ("/api/2.0/mlflow/experiments/create", "experiment_id"),
        _ => unreachable!("kinds are checked when the bundle loads"),
    };
    let r: Value = client
        .call(req(Method::POST, path, &what).json(body))
        .await?;
    str_field(&r, id_field).or_else(|e| match id_field {
        // A Unity Catalog name is its id: built from the settings if not echoed.
        "full_name" => Ok(full_name(&[
            &settings["catalog_name"],
            &settings["schema_name"],
            &settings["name"],
        ])),
        _ => Err(e),
    })
}

/// Brings the object in line with `settings`; its id afterwards (renames change UC ids).
pub async fn update(
    client: &Client,
    kind: &str,
    key: &str,
    id: &str,
    settings: &Value,
    previous: &Value,
) -> Result<String, ClientError> {
    let what = format!("{kind}.{key} ({id})");
    let body = api_settings(settings);
    let renamed =
        |field: &str| previous.get(field).is_some() && previous.get(field) != settings.get(field);
    match kind {
        "jobs" => {
            let job_id: i64 = id.parse().unwrap_or_default();
            let r = req(Method::POST, "/api/2.2/jobs/reset", &what)
                .json(json!({ "job_id": job_id, "new_settings": body }))
                .idempotent(true);
            client.call::<Value>(r).await?;
            Ok(id.to_string())
        }
        "pipelines" => {
            let mut b = body;
            b["id"] = json!(id);
            client
                .call::<Value>(req(Method::PUT, format!("/api/2.0/pipelines/{id}"), &what).json(b))
                .await?;
            Ok(id.to_string())
        }
        "clusters" => {
            let mut b = body;
            b["cluster_id"] = json!(id);
            client
                .call::<Value>(
                    req(Method::POST, "/api/2.1/clusters/edit", &what)
                        .json(b)
                        .idempotent(true),
                )
                .await?;
            Ok(id.to_string())
        }
        "schemas" | "volumes" | "registered_models" => {
            let path_kind = if kind == "registered_models" {
                "models"
            } else {
                kind
            };
            let mut patch = json!({});
            for k in ["comment", "properties", "owner"] {
                if let Some(v) = body.get(k) {
                    patch[k] = v.clone();
                }
            }
            if renamed("name") {
                patch["new_name"] = settings["name"].clone();
            }
            let r: Value = client
                .call(
                    req(Method::PATCH, uc_path(path_kind, id), &what)
                        .json(patch)
                        .idempotent(true),
                )
                .await?;
            Ok(r["full_name"]
                .as_str()
                .map_or_else(|| id.to_string(), str::to_string))
        }
        "experiments" => {
            if renamed("name") {
                let b = json!({ "experiment_id": id, "new_name": settings["name"] });
                client
                    .call::<Value>(
                        req(Method::POST, "/api/2.0/mlflow/experiments/update", &what)
                            .json(b)
                            .idempotent(true),
                    )
                    .await?;
            }
            Ok(id.to_string())
        }
        // Scopes have nothing to update but their ACLs, applied with permissions.
        "secret_scopes" => Ok(id.to_string()),
        _ => unreachable!("kinds are checked when the bundle loads"),
    }
}

pub async fn delete(client: &Client, kind: &str, key: &str, id: &str) -> Result<(), ClientError> {
    let what = format!("{kind}.{key} ({id})");
    let r = match kind {
        "jobs" => req(Method::POST, "/api/2.2/jobs/delete", &what)
            .json(json!({ "job_id": id.parse::<i64>().unwrap_or_default() })),
        "pipelines" => req(Method::DELETE, format!("/api/2.0/pipelines/{id}"), &what),
        "clusters" => req(Method::POST, "/api/2.1/clusters/permanent-delete", &what)
            .json(json!({ "cluster_id": id })),
        "schemas" => req(Method::DELETE, uc_path("schemas", id), &what),
        "volumes" => req(Method::DELETE, uc_path("volumes", id), &what),
        "registered_models" => req(Method::DELETE, uc_path("models", id), &what),
        "experiments" => req(Method::POST, "/api/2.0/mlflow/experiments/delete", &what)
            .json(json!({ "experiment_id": id })),
        "secret_scopes" => {
            req(Method::POST, "/api/2.0/secrets/scopes/delete", &what).json(json!({ "scope": id }))
        }
        _ => unreachable!("kinds are checked when the bundle loads"),
    }
    .idempotent(true);
    match client.call::<Value>(r).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether the object with this id still exists (someone may have deleted it by hand).
pub async fn exists(client: &Client, kind: &str, key: &str, id: &str) -> Result<bool, ClientError> {
    let what = format!("{kind}.{key} ({id})");
    let r = match kind {
        "jobs" => req(Method::GET, "/api/2.2/jobs/get", &what).query("job_id", id),
        "pipelines" => req(Method::GET, format!("/api/2.0/pipelines/{id}"), &what),
        "clusters" => req(Method::GET, "/api/2.1/clusters/get", &what).query("cluster_id", id),
        "schemas" => req(Method::GET, uc_path("schemas", id), &what),
        "volumes" => req(Method::GET, uc_path("volumes", id), &what),
        "registered_models" => req(Method::GET, uc_path("models", id), &what),
        "experiments" => {
            req(Method::GET, "/api/2.0/mlflow/experiments/get", &what).query("experiment_id", id)
        }
        "secret_scopes" => return Ok(scope_names(client).await?.iter().any(|n| n == id)),
        _ => unreachable!("kinds are checked when the bundle loads"),
    };
    match client.call::<Value>(r).await {
        Ok(v) if kind == "experiments" => Ok(v["experiment"]["lifecycle_stage"] != "deleted"),
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() || missing_cluster(kind, &e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The clusters API answers an unknown id with 400 INVALID_PARAMETER_VALUE.
fn missing_cluster(kind: &str, e: &ClientError) -> bool {
    kind == "clusters"
        && e.api().is_some_and(|a| {
            a.error_code.as_deref() == Some("INVALID_PARAMETER_VALUE")
                && a.message.contains("does not exist")
        })
}

async fn scope_names(client: &Client) -> Result<Vec<String>, ClientError> {
    let v: Value = client
        .call(req(
            Method::GET,
            "/api/2.0/secrets/scopes/list",
            "secret scopes",
        ))
        .await?;
    Ok(v["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect())
}

/// The ids of every object of `kind` that bears the name `settings` give it (several for
/// kinds whose names are not unique). Taken before a create and again when its answer was
/// lost, so only an object that appeared in between is taken for ours.
pub async fn named(
    client: &Client,
    kind: &str,
    settings: &Value,
) -> Result<Vec<String>, ClientError> {
    let name = settings["name"].as_str().unwrap_or_default();
    match kind {
        "jobs" => super::lookup::named(client, "job", name).await,
        "pipelines" => super::lookup::named(client, "pipeline", name).await,
        "clusters" => {
            let wanted = settings["cluster_name"].as_str().unwrap_or_default();
            super::lookup::named(client, "cluster", wanted).await
        }
        "experiments" => {
            let r = req(
                Method::GET,
                "/api/2.0/mlflow/experiments/get-by-name",
                "experiment",
            )
            .query("experiment_name", name);
            match client.call::<Value>(r).await {
                Ok(v) if v["experiment"]["lifecycle_stage"] != "deleted" => {
                    Ok(v["experiment"]["experiment_id"]
                        .as_str()
                        .map(str::to_string)
                        .into_iter()
                        .collect())
                }
                Ok(_) => Ok(Vec::new()),
                Err(e) if e.is_not_found() => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }
        "secret_scopes" => Ok(scope_names(client)
            .await?
            .into_iter()
            .filter(|n| n == name)
            .collect()),
        "schemas" | "volumes" | "registered_models" => {
            let id = full_name(&[
                &settings["catalog_name"],
                &settings["schema_name"],
                &settings["name"],
            ]);
            Ok(exists(client, kind, "", &id)
                .await?
                .then_some(id)
                .into_iter()
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// Permission levels of the top-level `permissions` section, per kind.
pub fn level_for(kind: &str, level: &str) -> Option<&'static str> {
    Some(match (kind, level) {
        (_, "CAN_MANAGE") => "CAN_MANAGE",
        ("jobs", "CAN_VIEW") => "CAN_VIEW",
        ("jobs", "CAN_RUN") => "CAN_MANAGE_RUN",
        ("pipelines", "CAN_VIEW") => "CAN_VIEW",
        ("pipelines", "CAN_RUN") => "CAN_RUN",
        ("experiments", "CAN_VIEW") => "CAN_READ",
        ("experiments", "CAN_RUN") => "CAN_EDIT",
        ("clusters", "CAN_VIEW" | "CAN_RUN") => "CAN_ATTACH_TO",
        _ => return None,
    })
}

/// The access list for an object: its own `permissions` plus the bundle's top-level ones for
/// principals it does not name, each principal once at its highest level (as the CLI).
pub fn access_list(kind: &str, settings: &Value, top: &[Value]) -> Vec<Value> {
    crate::bundle::merged_permissions(kind, settings.get("permissions"), top)
}

/// Sets the object's permissions (jobs, pipelines, clusters, experiments) or ACLs (scopes) to
/// `acl`; what `previous` granted and `acl` no longer does is revoked.
pub async fn apply_permissions(
    client: &Client,
    kind: &str,
    id: &str,
    acl: &[Value],
    previous: &[Value],
) -> Result<(), ClientError> {
    if acl.is_empty() && previous.is_empty() {
        return Ok(());
    }
    let principal = |p: &Value| -> Option<(String, String)> {
        ["user_name", "group_name", "service_principal_name"]
            .iter()
            .find_map(|k| p[*k].as_str().map(|v| (k.to_string(), v.to_string())))
    };
    if kind == "secret_scopes" {
        let what = format!("ACL of scope {id}");
        for p in acl {
            if let (Some((_, who)), Some(level)) = (principal(p), p["level"].as_str()) {
                let b = json!({ "scope": id, "principal": who, "permission": level });
                client
                    .call::<Value>(
                        req(Method::POST, "/api/2.0/secrets/acls/put", &what)
                            .json(b)
                            .idempotent(true),
                    )
                    .await?;
            }
        }
        let wanted: Vec<String> = acl
            .iter()
            .filter_map(|p| principal(p).map(|x| x.1))
            .collect();
        for (_, who) in previous.iter().filter_map(principal) {
            if wanted.contains(&who) {
                continue;
            }
            let b = json!({ "scope": id, "principal": who });
            match client
                .call::<Value>(req(Method::POST, "/api/2.0/secrets/acls/delete", &what).json(b))
                .await
            {
                Err(e) if !e.is_not_found() => return Err(e),
                _ => {}
            }
        }
        return Ok(());
    }
    let object_type = match kind {
        "jobs" | "pipelines" | "clusters" | "experiments" => kind,
        _ => return Ok(()),
    };
    let list: Vec<Value> = acl
        .iter()
        .filter_map(|p| {
            let (k, who) = principal(p)?;
            Some(json!({ k: who, "permission_level": p["level"] }))
        })
        .collect();
    let r = req(
        Method::PUT,
        format!("/api/2.0/permissions/{object_type}/{id}"),
        &format!("permissions of {kind} {id}"),
    )
    .json(json!({ "access_control_list": list }));
    client.call::<Value>(r).await.map(drop)
}
