//! `${resources.<kind>.<key>.id}` inside settings: which objects a resource depends on, and
//! its settings once those ids are known.

use serde_json::Value;

use crate::bundle::{is_deferred, references};

/// (kind, key) of every resource `settings` refers to.
pub fn deps(settings: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    visit(settings, &mut |s| {
        for (_, r) in references(s) {
            if is_deferred(r) {
                let p: Vec<&str> = r.split('.').collect();
                out.push((p[1].to_string(), p[2].to_string()));
            }
        }
    });
    out.sort();
    out.dedup();
    out
}

fn visit(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|i| visit(i, f)),
        Value::Object(o) => o.values().for_each(|i| visit(i, f)),
        _ => {}
    }
}

/// `settings` with references replaced by what `id_of(kind, key, field)` says (ids and
/// computed fields); unknown ones become `pending`. A job id standing alone becomes a
/// number, as the Jobs API wants it.
pub fn fill(settings: &Value, id_of: &dyn Fn(&str, &str, &str) -> Option<String>) -> Value {
    match settings {
        Value::String(s) if s.contains("${") => {
            let refs = references(s);
            if let [(range, r)] = refs.as_slice()
                && range.start == 0
                && range.end == s.len()
                && is_deferred(r)
            {
                let p: Vec<&str> = r.split('.').collect();
                return match id_of(p[1], p[2], p[3]) {
                    Some(id) if p[1] == "jobs" && p[3] == "id" => {
                        id.parse::<i64>().map_or(Value::String(id), Value::from)
                    }
                    Some(id) => Value::String(id),
                    None => Value::String("(pending)".into()),
                };
            }
            let mut out = String::new();
            let mut last = 0;
            for (range, r) in refs {
                out.push_str(&s[last..range.start]);
                last = range.end;
                if is_deferred(r) {
                    let p: Vec<&str> = r.split('.').collect();
                    out.push_str(&id_of(p[1], p[2], p[3]).unwrap_or_else(|| "(pending)".into()));
                } else {
                    out.push_str(&s[range]);
                }
            }
            out.push_str(&s[last..]);
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|i| fill(i, id_of)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), fill(v, id_of))).collect())
        }
        other => other.clone(),
    }
}

/// The same value with object keys sorted, so that a hash does not depend on YAML order.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&o[k])))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

/// Key paths where two settings differ (at most `limit`), for the plan's reason.
pub fn differences(old: &Value, new: &Value, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    diff(old, new, String::new(), &mut out, limit);
    out
}

fn diff(old: &Value, new: &Value, path: String, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit || old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff(
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    p,
                    out,
                    limit,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, format!("{path}[{i}]"), out, limit);
            }
        }
        _ => out.push(if path.is_empty() {
            "(all)".into()
        } else {
            path
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_become_ids_and_dependencies() {
        let s = json!({"tasks": [{"run_job_task": {"job_id": "${resources.jobs.a.id}"}, "existing_cluster_id": "${resources.clusters.c.id}"}], "x": "p-${resources.schemas.s.id}"});
        assert_eq!(
            deps(&s),
            vec![
                ("clusters".into(), "c".into()),
                ("jobs".into(), "a".into()),
                ("schemas".into(), "s".into())
            ]
        );
        let filled = fill(&s, &|k, _, _| {
            (k != "schemas").then(|| {
                if k == "jobs" {
                    "12".to_string()
                } else {
                    "0101-abc".to_string()
                }
            })
        });
        assert_eq!(filled["tasks"][0]["run_job_task"]["job_id"], 12);
        assert_eq!(filled["tasks"][0]["existing_cluster_id"], "0101-abc");
        assert_eq!(filled["x"], "p-(pending)");
        assert_eq!(
            differences(
                &json!({"a": 1, "b": [1, 2]}),
                &json!({"a": 1, "b": [1, 3], "c": 0}),
                5
            ),
            vec!["b[1]", "c"]
        );
    }
}
