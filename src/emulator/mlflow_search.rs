//! MLflow `runs/search`: the filter grammar (`and`-joined `entity.key op value` clauses),
//! ordering with MLflow's tie-breaks, and page tokens.

use std::cmp::Ordering;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::invalid_parameter;
use super::handlers_mlflow::{run_json, text};
use super::state::State;

/// `runs/search` answers at most this many runs per page (the service's documented cap).
const SEARCH_MAX: u64 = 50_000;
const SEARCH_DEFAULT: u64 = 1000;

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

pub fn search(s: &State, v: &Value) -> Response {
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
