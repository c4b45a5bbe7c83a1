//! Answers `lookup:` variables: the id of the one object of a kind with a given name.
//! Names are not unique in a workspace, so none and several are both clear errors.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use crate::bundle::LookupRequest;
use crate::databricks::{ApiRequest, Client, ClientError};

/// Upper bound on pages read for one list, so a misbehaving server cannot loop us forever.
const MAX_PAGES: usize = 1000;

async fn paged(
    client: &Client,
    path: &str,
    key: &str,
    token_param: &str,
    extra: &[(&str, &str)],
) -> Result<Vec<Value>, ClientError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut r = ApiRequest::new(Method::GET, path, key.to_string());
        for (k, v) in extra {
            r = r.query(k, v);
        }
        if let Some(t) = &token {
            r = r.query(token_param, t);
        }
        let v: Value = client.call(r).await?;
        out.extend(v[key].as_array().cloned().unwrap_or_default());
        match v["next_page_token"].as_str().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    Ok(out)
}

fn ids_named(items: &[Value], name_field: &str, id_field: &str, name: &str) -> Vec<String> {
    items
        .iter()
        .filter(|i| i[name_field] == name)
        .filter_map(|i| match &i[id_field] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// The `spark_version` of each cluster in `ids` the API answers for; one it cannot read is
/// left out (the Databricks CLI then takes its version as compatible).
pub async fn spark_versions(
    client: &Client,
    ids: impl IntoIterator<Item = &str>,
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let req = ApiRequest::get("/api/2.1/clusters/get", format!("cluster {id}"))
            .query("cluster_id", id);
        if let Ok(v) = client.call::<Value>(req).await
            && let Some(version) = v["spark_version"].as_str()
        {
            out.insert(id.to_string(), version.to_string());
        }
    }
    out
}

pub async fn clusters_named(client: &Client, name: &str) -> Result<Vec<String>, ClientError> {
    let all = paged(
        client,
        "/api/2.1/clusters/list",
        "clusters",
        "page_token",
        &[("page_size", "100")],
    )
    .await?;
    Ok(ids_named(&all, "cluster_name", "cluster_id", name))
}

/// The ids of the objects of `kind` (a lookup kind: `job`, `cluster`, ...) named `name`.
pub async fn named(client: &Client, kind: &str, name: &str) -> Result<Vec<String>, ClientError> {
    Ok(match kind {
        "cluster" => clusters_named(client, name).await?,
        "cluster_policy" => {
            let v = paged(
                client,
                "/api/2.0/policies/clusters/list",
                "policies",
                "page_token",
                &[],
            )
            .await?;
            ids_named(&v, "name", "policy_id", name)
        }
        "instance_pool" => {
            let v = paged(
                client,
                "/api/2.0/instance-pools/list",
                "instance_pools",
                "page_token",
                &[],
            )
            .await?;
            ids_named(&v, "instance_pool_name", "instance_pool_id", name)
        }
        "warehouse" => {
            let v = paged(
                client,
                "/api/2.0/sql/warehouses",
                "warehouses",
                "page_token",
                &[("page_size", "100")],
            )
            .await?;
            ids_named(&v, "name", "id", name)
        }
        "service_principal" => {
            let filter = format!("displayName eq \"{}\"", name.replace('"', "\\\""));
            let r = ApiRequest::new(
                Method::GET,
                "/api/2.0/preview/scim/v2/ServicePrincipals",
                "service principals",
            )
            .query("filter", filter);
            let v: Value = client.call(r).await?;
            let all = v["Resources"].as_array().cloned().unwrap_or_default();
            ids_named(&all, "displayName", "applicationId", name)
        }
        "job" => crate::databricks::jobs::find_jobs_by_name(client, name)
            .await?
            .into_iter()
            .map(|j| j.job_id.to_string())
            .collect(),
        "pipeline" => {
            let filter = format!("name LIKE '{}'", name.replace('\'', "''"));
            let v = paged(
                client,
                "/api/2.0/pipelines",
                "statuses",
                "page_token",
                &[("filter", &filter)],
            )
            .await?;
            ids_named(&v, "name", "pipeline_id", name)
        }
        _ => Vec::new(),
    })
}

/// One answer per lookup: the id, or why there is none. API failures are not answers.
pub async fn answer(
    client: &Client,
    lookups: &[LookupRequest],
) -> Result<BTreeMap<String, Result<String, String>>, ClientError> {
    let mut out = BTreeMap::new();
    for l in lookups {
        let found = named(client, &l.kind, &l.name).await?;
        let kind = l.kind.replace('_', " ");
        let answer = match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(format!("no {kind} named {:?} in the workspace", l.name)),
            many => Err(format!(
                "{} {kind}s are named {:?} (ids {}); names must be unique to be looked up",
                many.len(),
                l.name,
                many.join(", ")
            )),
        };
        out.insert(l.variable.clone(), answer);
    }
    Ok(out)
}
