//! Whether each recorded resource still exists (someone may have deleted it by hand): one
//! list per kind where the API lists by id (`KindSpec::listing`), so a redeploy
//! costs the same for 20 jobs as for 2; a GET per object for the rest. A list never costs
//! more than the GETs it replaces: after as many pages as there are objects to find, what
//! was not seen yet is asked for one by one.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::Value;

use super::kinds;
use super::state::DeployState;
use crate::databricks::{ApiRequest, Client, ClientError};

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The ids a list shows, reading at most `budget` pages; whether it was read to the end.
async fn listed(
    client: &Client,
    kind: &str,
    budget: usize,
) -> Result<(BTreeSet<String>, bool), ClientError> {
    let l = kinds::spec(kind)
        .and_then(|s| s.listing)
        .expect("a listed kind");
    let (path, key, id_field, size_param) = (l.path, l.array, l.id_field, l.page_size);
    let mut ids = BTreeSet::new();
    let mut token: Option<String> = None;
    for _ in 0..budget.max(1) {
        let mut r = ApiRequest::new(Method::GET, path, format!("{kind} (checking they exist)"));
        if !size_param.is_empty() {
            r = r.query(size_param, 100);
        }
        if let Some(t) = &token {
            r = r.query("page_token", t);
        }
        let v: Value = client.call(r).await?;
        ids.extend(
            v[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| id_text(&i[id_field])),
        );
        token = v["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok((ids, true));
        }
    }
    Ok((ids, false))
}

/// (kind, key) -> whether the recorded id still exists.
pub async fn check(
    client: &Client,
    state: &DeployState,
    concurrency: usize,
) -> Result<BTreeMap<(String, String), bool>, ClientError> {
    let mut out = BTreeMap::new();
    let mut one_by_one: Vec<(String, String, String)> = Vec::new();
    for (kind, entries) in &state.resources {
        let Some(spec) = kinds::spec(kind) else {
            continue;
        };
        if entries.is_empty() {
            continue;
        }
        // One object is one GET either way, and a GET does not read a big workspace's list.
        let list = spec.listing.is_some_and(|l| entries.len() > 1 || l.always);
        let (seen, complete) = if list {
            listed(client, kind, entries.len()).await?
        } else {
            (BTreeSet::new(), false)
        };
        for (key, e) in entries {
            if seen.contains(&e.id) || complete {
                out.insert((kind.clone(), key.clone()), seen.contains(&e.id));
            } else {
                one_by_one.push((kind.clone(), key.clone(), e.id.clone()));
            }
        }
    }
    let results = super::pool::run_all(concurrency, one_by_one, |(k, key, id)| {
        let client = client.clone();
        async move {
            let r = kinds::exists(&client, &k, &key, &id).await;
            ((k, key), r)
        }
    })
    .await;
    for (k, r) in results {
        out.insert(k, r?);
    }
    Ok(out)
}
