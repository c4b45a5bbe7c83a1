//! MLflow tracking (runs, metrics, tags, search) and Unity Catalog model versions and
//! aliases: what a model gate reads, and what a test or user needs to seed it.

use std::cmp::Ordering;
use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{
    api_error, body_or_query, invalid_parameter, json_body, not_found, or_respond,
};
use super::state::State;
use super::{Shared, lock};

/// `runs/search` answers at most this many runs per page (the service's documented cap).
const SEARCH_MAX: u64 = 50_000;
const SEARCH_DEFAULT: u64 = 1000;
/// `metrics/get-history` page size when the caller names none.
const HISTORY_DEFAULT: usize = 25_000;

fn run_missing(id: &str) -> Response {
    not_found(format!("Run '{id}' not found."))
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// `/api/2.0/mlflow/runs/{op}` and `/api/2.0/mlflow/metrics/get-history`.
pub async fn runs(
    AxState(state): AxState<Shared>,
    Path(op): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let v = or_respond!(body_or_query(&q, &body));
    let mut s = lock(&state);
    match op.as_str() {
        "create" => create_run(&mut s, &v),
        "update" => update_run(&mut s, &v),
        "get" => match run_json(&s, text(&v, "run_id")) {
            Some(run) => Json(json!({ "run": run })).into_response(),
            None => run_missing(text(&v, "run_id")),
        },
        "log-metric" => {
            let id = text(&v, "run_id").to_string();
            or_respond!(log_metrics(&mut s, &id, std::slice::from_ref(&v)));
            Json(json!({})).into_response()
        }
        "log-batch" => {
            let id = text(&v, "run_id").to_string();
            if !s.objects.mlflow_runs.contains_key(&id) {
                return run_missing(&id);
            }
            let empty = Vec::new();
            for (kind, items) in [("tags", &v["tags"]), ("params", &v["params"])] {
                for t in items.as_array().unwrap_or(&empty) {
                    set_pair(&mut s, &id, kind, t);
                }
            }
            or_respond!(log_metrics(
                &mut s,
                &id,
                v["metrics"].as_array().unwrap_or(&empty)
            ));
            Json(json!({})).into_response()
        }
        "set-tag" | "log-parameter" => {
            let id = text(&v, "run_id").to_string();
            if !s.objects.mlflow_runs.contains_key(&id) {
                return run_missing(&id);
            }
            if text(&v, "key").is_empty() {
                return invalid_parameter("Missing value for required parameter 'key'.");
            }
            let kind = if op == "set-tag" { "tags" } else { "params" };
            set_pair(&mut s, &id, kind, &v);
            Json(json!({})).into_response()
        }
        "search" => search(&s, &v),
        _ => super::errors::no_endpoint(format!("/api/2.0/mlflow/runs/{op}")),
    }
}

pub async fn metric_history(
    AxState(state): AxState<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    let id = q.get("run_id").map(String::as_str).unwrap_or("");
    let key = q.get("metric_key").map(String::as_str).unwrap_or("");
    if key.is_empty() {
        return invalid_parameter("Missing value for required parameter 'metric_key'.");
    }
    if !s.objects.mlflow_runs.contains_key(id) {
        return run_missing(id);
    }
    let points: Vec<Value> = s
        .objects
        .metric_history
        .get(id)
        .into_iter()
        .flatten()
        .filter(|m| m["key"] == key)
        .cloned()
        .collect();
    let max = q
        .get("max_results")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(HISTORY_DEFAULT);
    let offset: usize = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("history:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid_parameter("Invalid page token"),
        },
    };
    let mut resp = json!({});
    let page: Vec<&Value> = points.iter().skip(offset).take(max).collect();
    if !page.is_empty() {
        resp["metrics"] = json!(page);
    }
    if offset + max < points.len() {
        resp["next_page_token"] = json!(format!("history:{}", offset + max));
    }
    Json(resp).into_response()
}

fn create_run(s: &mut State, v: &Value) -> Response {
    let exp = text(v, "experiment_id").to_string();
    if !s.objects.experiments.contains_key(&exp) {
        return not_found(format!("Could not find experiment with ID {exp}"));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let start = v["start_time"].as_u64().unwrap_or_else(|| s.clock.now_ms());
    let user = v["user_id"]
        .as_str()
        .map_or_else(|| s.config.user_name.clone(), str::to_string);
    let info = json!({
        "run_id": id, "run_uuid": id, "run_name": v["run_name"].as_str().unwrap_or(&id[..8]),
        "experiment_id": exp, "user_id": user, "status": "RUNNING", "start_time": start,
        "artifact_uri": format!("dbfs:/databricks/mlflow-tracking/{exp}/{id}/artifacts"),
        "lifecycle_stage": "active",
    });
    let tags = v["tags"].as_array().cloned().unwrap_or_default();
    s.objects.mlflow_runs.insert(
        id.clone(),
        json!({ "info": info, "data": { "tags": tags, "params": [] } }),
    );
    Json(json!({ "run": run_json(s, &id) })).into_response()
}

fn update_run(s: &mut State, v: &Value) -> Response {
    let id = text(v, "run_id").to_string();
    let status = v["status"].as_str();
    if let Some(st) = status
        && !["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"].contains(&st)
    {
        return invalid_parameter(format!("Invalid value {st} for parameter 'status'"));
    }
    let now = s.clock.now_ms();
    let Some(run) = s.objects.mlflow_runs.get_mut(&id) else {
        return run_missing(&id);
    };
    if let Some(st) = status {
        run["info"]["status"] = json!(st);
        if st != "RUNNING" && st != "SCHEDULED" {
            run["info"]["end_time"] = json!(v["end_time"].as_u64().unwrap_or(now));
        }
    }
    if let Some(name) = v["run_name"].as_str() {
        run["info"]["run_name"] = json!(name);
    }
    Json(json!({ "run_info": run["info"] })).into_response()
}

/// A tag or param: a later value for the same key replaces the earlier one.
fn set_pair(s: &mut State, id: &str, kind: &str, item: &Value) {
    let Some(run) = s.objects.mlflow_runs.get_mut(id) else {
        return;
    };
    let list = run["data"][kind].as_array_mut();
    let pair = json!({ "key": item["key"], "value": item["value"] });
    if let Some(list) = list {
        list.retain(|p| p["key"] != item["key"]);
        list.push(pair);
    } else {
        run["data"][kind] = json!([pair]);
    }
}

fn log_metrics(s: &mut State, id: &str, items: &[Value]) -> Result<(), Response> {
    if !s.objects.mlflow_runs.contains_key(id) {
        return Err(run_missing(id));
    }
    let now = s.clock.now_ms();
    let mut points = Vec::new();
    for m in items {
        let key = text(m, "key");
        // NaN and infinities travel as strings in JSON; plain numbers otherwise.
        let value = match &m["value"] {
            Value::Number(n) => n.as_f64(),
            Value::String(t) => t.parse::<f64>().ok(),
            _ => None,
        };
        let (false, Some(value)) = (key.is_empty(), value) else {
            return Err(invalid_parameter(format!(
                "Invalid metric {}: a key and a numeric value are required.",
                m
            )));
        };
        points.push(json!({
            "key": key, "value": value,
            "timestamp": m["timestamp"].as_i64().unwrap_or(now as i64),
            "step": m["step"].as_i64().unwrap_or(0),
            "run_id": id,
        }));
    }
    s.objects
        .metric_history
        .entry(id.to_string())
        .or_default()
        .extend(points);
    Ok(())
}

/// The latest value of each metric: highest step, then latest timestamp, then last logged.
fn latest_metrics(s: &State, id: &str) -> Vec<Value> {
    let mut latest: Vec<Value> = Vec::new();
    for p in s.objects.metric_history.get(id).into_iter().flatten() {
        let at = |m: &Value| (m["step"].as_i64(), m["timestamp"].as_i64());
        match latest.iter_mut().find(|m| m["key"] == p["key"]) {
            Some(m) if at(p) >= at(m) => *m = p.clone(),
            Some(_) => {}
            None => latest.push(p.clone()),
        }
    }
    latest
        .into_iter()
        .map(|mut m| {
            if let Some(o) = m.as_object_mut() {
                o.remove("run_id");
            }
            m
        })
        .collect()
}

fn run_json(s: &State, id: &str) -> Option<Value> {
    let mut run = s.objects.mlflow_runs.get(id)?.clone();
    let metrics = latest_metrics(s, id);
    if !metrics.is_empty() {
        run["data"]["metrics"] = json!(metrics);
    }
    for kind in ["tags", "params"] {
        if run["data"][kind].as_array().is_some_and(Vec::is_empty)
            && let Some(d) = run["data"].as_object_mut()
        {
            d.remove(kind);
        }
    }
    Some(run)
}

/// One `<entity>.<key> <op> <value>` clause of a search filter.
#[derive(Debug, PartialEq)]
struct Clause {
    entity: &'static str,
    key: String,
    op: String,
    value: Value,
}

fn parse_filter(filter: &str) -> Result<Vec<Clause>, String> {
    let mut clauses = Vec::new();
    if filter.trim().is_empty() {
        return Ok(clauses);
    }
    for part in split_and(filter) {
        clauses.push(parse_clause(part.trim())?);
    }
    Ok(clauses)
}

/// Splits on ` and ` outside quotes (any case).
fn split_and(filter: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quote: Option<char> = None;
    let chars: Vec<char> = filter.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c.is_whitespace() => {
                let rest: String = chars[i..].iter().take(5).collect();
                if rest.len() == 5
                    && rest[1..4].eq_ignore_ascii_case("and")
                    && rest.chars().nth(4).is_some_and(char::is_whitespace)
                {
                    parts.push(String::new());
                    i += 5;
                    continue;
                }
            }
            None => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
        i += 1;
    }
    parts
}

fn parse_clause(clause: &str) -> Result<Clause, String> {
    let bad = || format!("Invalid filter clause '{clause}'");
    let op_at = clause
        .char_indices()
        .find(|(_, c)| matches!(c, '=' | '!' | '<' | '>'))
        .map(|(i, _)| i)
        .ok_or_else(bad)?;
    let lhs = clause[..op_at].trim();
    let rest = &clause[op_at..];
    let op_len = if rest.len() > 1 && rest.as_bytes()[1] == b'=' {
        2
    } else {
        1
    };
    let op = rest[..op_len].to_string();
    if op == "!" {
        return Err(bad());
    }
    let rhs = rest[op_len..].trim();
    let (entity, key) = match lhs.split_once('.') {
        Some((e, k)) => (e.to_ascii_lowercase(), k),
        None => ("attributes".to_string(), lhs),
    };
    let entity = match entity.as_str() {
        "metric" | "metrics" => "metrics",
        "tag" | "tags" => "tags",
        "param" | "params" | "parameter" | "parameters" => "params",
        "attribute" | "attributes" | "attr" | "run" => "attributes",
        _ => return Err(format!("Invalid entity type '{entity}' in '{clause}'")),
    };
    let key = key.trim_matches(|c| c == '`' || c == '"').to_string();
    let value = if let Some(t) = rhs
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| rhs.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
    {
        json!(t)
    } else {
        json!(rhs.parse::<f64>().map_err(|_| bad())?)
    };
    Ok(Clause {
        entity,
        key,
        op,
        value,
    })
}

/// The value a filter or an ordering sees for `entity.key` on a run.
fn field(run: &Value, entity: &str, key: &str) -> Value {
    let find = |kind: &str| {
        run["data"][kind]
            .as_array()
            .and_then(|l| l.iter().find(|p| p["key"] == key))
            .map(|p| p["value"].clone())
            .unwrap_or(Value::Null)
    };
    match entity {
        "metrics" => find("metrics"),
        "tags" => find("tags"),
        "params" => find("params"),
        _ => run["info"][key].clone(),
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn matches(run: &Value, c: &Clause) -> bool {
    let have = field(run, c.entity, &c.key);
    let Some(ord) = compare(&have, &c.value) else {
        return false;
    };
    match c.op.as_str() {
        "=" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        ">" => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    }
}

fn search(s: &State, v: &Value) -> Response {
    let ids: Vec<&str> = v["experiment_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return invalid_parameter("experiment_ids must contain at least one experiment id.");
    }
    let max = v["max_results"].as_u64().unwrap_or(SEARCH_DEFAULT);
    if max == 0 || max > SEARCH_MAX {
        return invalid_parameter(format!(
            "Invalid value {max} for parameter 'max_results' supplied. It must be at most {SEARCH_MAX}."
        ));
    }
    let clauses = match parse_filter(text(v, "filter")) {
        Ok(c) => c,
        Err(e) => return invalid_parameter(e),
    };
    let mut order: Vec<(&'static str, String, bool)> = Vec::new();
    for o in v["order_by"].as_array().into_iter().flatten() {
        let o = o.as_str().unwrap_or("");
        let mut words = o.split_whitespace();
        let key = words.next().unwrap_or("");
        let desc = match words.next().map(str::to_ascii_uppercase).as_deref() {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(_) => return invalid_parameter(format!("Invalid order_by clause '{o}'")),
        };
        let c = match parse_clause(&format!("{key} = 0")) {
            Ok(c) => c,
            Err(e) => return invalid_parameter(e),
        };
        order.push((c.entity, c.key, desc));
    }
    let offset: usize = match v["page_token"].as_str().filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("runs:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid_parameter("Invalid page token"),
        },
    };
    let view = v["run_view_type"].as_str().unwrap_or("ACTIVE_ONLY");
    let mut runs: Vec<Value> = s
        .objects
        .mlflow_runs
        .keys()
        .filter_map(|id| run_json(s, id))
        .filter(|r| ids.contains(&text(&r["info"], "experiment_id")))
        .filter(|r| match view {
            "ALL" => true,
            "DELETED_ONLY" => r["info"]["lifecycle_stage"] == "deleted",
            _ => r["info"]["lifecycle_stage"] == "active",
        })
        .filter(|r| clauses.iter().all(|c| matches(r, c)))
        .collect();
    runs.sort_by(|a, b| {
        for (entity, key, desc) in &order {
            let (x, y) = (field(a, entity, key), field(b, entity, key));
            // Runs without the value come last either way.
            let ord = match (x.is_null(), y.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => {
                    let o = compare(&x, &y).unwrap_or(Ordering::Equal);
                    if *desc { o.reverse() } else { o }
                }
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        let start = |r: &Value| r["info"]["start_time"].as_u64().unwrap_or(0);
        start(b)
            .cmp(&start(a))
            .then_with(|| text(&a["info"], "run_id").cmp(text(&b["info"], "run_id")))
    });
    let total = runs.len();
    let page: Vec<Value> = runs.into_iter().skip(offset).take(max as usize).collect();
    let mut resp = json!({});
    if !page.is_empty() {
        resp["runs"] = json!(page);
    }
    if offset + (max as usize) < total {
        resp["next_page_token"] = json!(format!("runs:{}", offset + max as usize));
    }
    Json(resp).into_response()
}

/// `POST /api/2.0/mlflow/unity-catalog/model-versions/create`: the call MLflow clients make
/// to register a run's model in Unity Catalog. The version is READY at once.
pub async fn create_model_version(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    let v = or_respond!(json_body(&body));
    let mut s = lock(&state);
    let name = text(&v, "name").to_string();
    let Some(model) = s.objects.models.get(&name).cloned() else {
        return not_found(format!("Registered model '{name}' does not exist."));
    };
    if text(&v, "source").is_empty() {
        return invalid_parameter("Missing value for required parameter 'source'.");
    }
    let now = s.clock.now_ms();
    let user = s.config.user_name.clone();
    let versions = s.objects.model_versions.entry(name.clone()).or_default();
    let version = versions.len() as i64 + 1;
    let info = json!({
        "model_name": model["name"], "catalog_name": model["catalog_name"],
        "schema_name": model["schema_name"], "version": version, "source": v["source"],
        "run_id": v["run_id"], "comment": v["description"], "status": "READY",
        "storage_location": format!("{}/versions/{version}", model["storage_location"].as_str().unwrap_or("s3://emulator/models")),
        "created_at": now, "created_by": user, "updated_at": now, "updated_by": user,
        "id": uuid::Uuid::new_v4().to_string(),
    });
    versions.push(info);
    Json(json!({ "model_version": {
        "name": name, "version": version.to_string(), "creation_timestamp": now,
        "last_updated_timestamp": now, "source": v["source"], "run_id": v["run_id"],
        "status": "READY", "user_id": user,
    }}))
    .into_response()
}

/// `/api/2.1/unity-catalog/models/{full_name}/versions[/{version}]` and
/// `.../aliases/{alias}` (GET, PUT to set, DELETE).
pub async fn model_sub(
    AxState(state): AxState<Shared>,
    method: Method,
    Path(parts): Path<Vec<(String, String)>>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let get = |k: &str| {
        parts
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (kind, name, sub, key) = (get("kind"), get("name"), get("sub"), get("key"));
    if kind != "models" || !matches!(sub.as_str(), "versions" | "aliases") {
        return super::errors::no_endpoint(format!(
            "{method} /api/2.1/unity-catalog/{kind}/{name}/{sub}"
        ));
    }
    let mut s = lock(&state);
    if !s.objects.models.contains_key(&name) {
        return api_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            format!("Registered model '{name}' does not exist."),
        );
    }
    match (sub.as_str(), method.as_str(), key.is_empty()) {
        ("versions", "GET", true) => {
            let all: Vec<Value> = (1..=version_count(&s, &name))
                .filter_map(|n| version_json(&s, &name, n))
                .collect();
            let max = q
                .get("max_results")
                .and_then(|m| m.parse::<usize>().ok())
                .filter(|m| *m > 0)
                .unwrap_or(100);
            let offset: usize = match q.get("page_token").filter(|t| !t.is_empty()) {
                None => 0,
                Some(t) => match t.strip_prefix("versions:").and_then(|n| n.parse().ok()) {
                    Some(n) => n,
                    None => return invalid_parameter("Invalid page token"),
                },
            };
            let mut resp = json!({
                "model_versions": all.iter().skip(offset).take(max).collect::<Vec<_>>()
            });
            if offset + max < all.len() {
                resp["next_page_token"] = json!(format!("versions:{}", offset + max));
            }
            Json(resp).into_response()
        }
        ("versions", "GET", false) => match key
            .parse::<i64>()
            .ok()
            .and_then(|n| version_json(&s, &name, n))
        {
            Some(v) => Json(v).into_response(),
            None => not_found(format!("Model version {key} of '{name}' does not exist.")),
        },
        ("aliases", "GET", false) => {
            let version = s
                .objects
                .model_aliases
                .get(&name)
                .and_then(|a| a.get(&key))
                .copied();
            match version.and_then(|n| version_json(&s, &name, n)) {
                Some(v) => Json(v).into_response(),
                None => not_found(format!(
                    "Alias '{key}' does not exist for registered model '{name}'."
                )),
            }
        }
        ("aliases", "PUT", false) => {
            let v = or_respond!(json_body(&body));
            let Some(n) = v["version_num"].as_i64() else {
                return invalid_parameter("Missing value for required parameter 'version_num'.");
            };
            if version_json(&s, &name, n).is_none() {
                return not_found(format!("Model version {n} of '{name}' does not exist."));
            }
            s.objects
                .model_aliases
                .entry(name.clone())
                .or_default()
                .insert(key.clone(), n);
            Json(json!({ "alias_name": key, "version_num": n })).into_response()
        }
        ("aliases", "DELETE", false) => {
            if let Some(a) = s.objects.model_aliases.get_mut(&name) {
                a.remove(&key);
            }
            Json(json!({})).into_response()
        }
        _ => api_error(405, "NOT_IMPLEMENTED", "Method not allowed"),
    }
}

fn version_count(s: &State, name: &str) -> i64 {
    s.objects
        .model_versions
        .get(name)
        .map_or(0, |v| v.len() as i64)
}

/// A version with the aliases that point at it.
fn version_json(s: &State, name: &str, n: i64) -> Option<Value> {
    let mut v = s
        .objects
        .model_versions
        .get(name)?
        .get(usize::try_from(n - 1).ok()?)?
        .clone();
    let aliases: Vec<Value> = s
        .objects
        .model_aliases
        .get(name)
        .into_iter()
        .flatten()
        .filter(|(_, version)| **version == n)
        .map(|(alias, version)| json!({ "alias_name": alias, "version_num": version }))
        .collect();
    if !aliases.is_empty() {
        v["aliases"] = json!(aliases);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_with_quotes_and_any_case_and() {
        let c = parse_filter(
            "attributes.status = 'FINISHED' AND metrics.`val auc` >= 0.5 and tags.team='a and b'",
        )
        .unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].entity, "attributes");
        assert_eq!(c[1].key, "val auc");
        assert_eq!(c[1].op, ">=");
        assert_eq!(c[2].value, json!("a and b"));
        assert!(parse_filter("status").is_err());
        assert!(parse_filter("bogus.x = 1").is_err());
    }
}
