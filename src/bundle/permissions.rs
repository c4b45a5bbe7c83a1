//! The permissions `validate -o json` prints for a resource, as the Databricks CLI computes
//! them: its own, then the bundle's top-level ones for principals it does not name already,
//! the deploying user made owner (jobs, pipelines) or manager (other kinds), and each
//! principal once, at its highest level. A deploy sends the same without the deploying user
//! (the workspace makes whoever creates an object its owner).

use serde_json::{Value, json};

/// Levels from weakest to strongest.
const ORDER: &[&str] = &[
    "CAN_VIEW",
    "CAN_READ",
    "CAN_VIEW_METADATA",
    "CAN_RUN",
    "CAN_QUERY",
    "CAN_USE",
    "CAN_EDIT",
    "CAN_EDIT_METADATA",
    "CAN_CREATE",
    "CAN_ATTACH_TO",
    "CAN_RESTART",
    "CAN_MONITOR",
    "CAN_MANAGE_RUN",
    "CAN_MANAGE_STAGING_VERSIONS",
    "CAN_MANAGE_PRODUCTION_VERSIONS",
    "CAN_MANAGE",
    "IS_OWNER",
];

const FIELDS: &[&str] = &["user_name", "service_principal_name", "group_name"];

fn principal(p: &Value) -> Option<(&'static str, String)> {
    FIELDS.iter().find_map(|f| {
        p[*f]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(|v| (*f, v.to_string()))
    })
}

fn rank(level: &str) -> usize {
    ORDER.iter().position(|l| *l == level).map_or(0, |i| i + 1)
}

/// A service principal's name is its application id (a UUID).
fn is_application_id(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// What a deploy sends: the resource's own permissions, then the top-level ones (at this
/// kind's level) for principals it does not name, each principal once at its highest level.
pub fn merged(kind: &str, own: Option<&Value>, top: &[Value]) -> Vec<Value> {
    let mut list: Vec<Value> = own.and_then(Value::as_array).cloned().unwrap_or_default();
    add_top(kind, &mut list, top);
    highest(&list)
}

fn add_top(kind: &str, list: &mut Vec<Value>, top: &[Value]) {
    for p in top {
        let Some(level) = p["level"]
            .as_str()
            .and_then(|l| crate::deploy::kinds::level_for(kind, l))
        else {
            continue;
        };
        let who = principal(p);
        if who.is_some() && list.iter().any(|q| principal(q) == who) {
            continue;
        }
        let mut p = p.clone();
        p["level"] = json!(level);
        list.push(p);
    }
}

/// Each principal once, where it first appears, at its highest level; entries naming no
/// principal stay as they are.
fn highest(list: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for p in list {
        let (Some(who), Some(level)) = (principal(p), p["level"].as_str()) else {
            out.push(p.clone());
            continue;
        };
        match out.iter_mut().find(|q| principal(q).as_ref() == Some(&who)) {
            Some(q) if rank(level) > rank(q["level"].as_str().unwrap_or_default()) => {
                q["level"] = json!(level);
            }
            Some(_) => {}
            None => out.push(json!({ "level": level, who.0: who.1 })),
        }
    }
    out
}

/// `None` when the resource has no permissions, its own or from the top level.
pub fn effective(kind: &str, own: Option<&Value>, top: &[Value], user: &str) -> Option<Value> {
    let mut list: Vec<Value> = own.and_then(Value::as_array).cloned().unwrap_or_default();
    add_top(kind, &mut list, top);
    if list.is_empty() {
        return own.cloned();
    }
    use crate::deploy::kinds::{Deployer, spec};
    let deployer = spec(kind).map_or(Deployer::Manager, |s| s.deployer);
    if deployer == Deployer::Nobody {
        return Some(Value::Array(list));
    }
    let mine = |p: &Value| principal(p).is_some_and(|(f, v)| f != "group_name" && v == user);
    let owner_kind = deployer == Deployer::Owner;
    let has_owner = list.iter().any(|p| p["level"] == "IS_OWNER");
    let managing = list
        .iter()
        .position(|p| mine(p) && p["level"] == "CAN_MANAGE");
    let field = if is_application_id(user) {
        "service_principal_name"
    } else {
        "user_name"
    };
    if owner_kind && !has_owner {
        match managing {
            Some(i) => list[i]["level"] = json!("IS_OWNER"),
            None => list.push(json!({ "level": "IS_OWNER", field: user })),
        }
    } else if managing.is_none() && !list.iter().any(|p| mine(p) && p["level"] == "IS_OWNER") {
        // Someone else owns it (legacy run_as): the deployer still manages it.
        list.push(json!({ "level": "CAN_MANAGE", field: user }));
    }
    Some(Value::Array(highest(&list)))
}

/// The Databricks CLI's warning for a top-level permission whose principal a resource
/// already names (the resource's own level is kept), once per kind and principal.
pub fn overlaps(
    tree: &super::yaml::Node,
    resources: &[super::model::Resource],
    diags: &mut super::error::Diagnostics,
) {
    let Some(items) = tree.get("permissions").and_then(super::yaml::Node::items) else {
        return;
    };
    let mut said = Vec::new();
    for item in items {
        let top = item.to_json();
        let Some(who) = principal(&top) else {
            continue;
        };
        for r in resources {
            let applies = top["level"]
                .as_str()
                .and_then(|l| crate::deploy::kinds::level_for(&r.kind, l))
                .is_some();
            let named = r.settings["permissions"]
                .as_array()
                .is_some_and(|own| own.iter().any(|p| principal(p).as_ref() == Some(&who)));
            if applies && named && !said.contains(&(r.kind.clone(), who.clone())) {
                said.push((r.kind.clone(), who.clone()));
                let what = who.0.replace('_', " ");
                diags.warn(
                    &item.loc,
                    "permissions",
                    format!(
                        "'{}' already has permissions set for '{}' {what}; the resource's own level is kept",
                        r.kind, who.1
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_permissions_win_the_deployer_owns_and_each_principal_keeps_its_highest_level() {
        let own = json!([
            {"level": "CAN_VIEW", "user_name": "a@x.com"},
            {"level": "CAN_MANAGE_RUN", "user_name": "a@x.com"},
        ]);
        let top = [
            json!({"level": "CAN_MANAGE", "user_name": "a@x.com"}),
            json!({"level": "CAN_VIEW", "group_name": "readers"}),
        ];
        let got = effective("jobs", Some(&own), &top, "me@x.com").unwrap();
        assert_eq!(
            got,
            json!([
                {"level": "CAN_MANAGE_RUN", "user_name": "a@x.com"},
                {"level": "CAN_VIEW", "group_name": "readers"},
                {"level": "IS_OWNER", "user_name": "me@x.com"},
            ])
        );
        // A deploy sends the same, without the deployer (the workspace makes it the owner).
        let sent = merged(
            "jobs",
            Some(
                &json!([{"level": "CAN_VIEW", "user_name": "a@x.com"}, {"level": "CAN_MANAGE_RUN", "user_name": "a@x.com"}]),
            ),
            &top,
        );
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0]["level"], "CAN_MANAGE_RUN");
        // Other kinds: the deployer manages; a deployer that manages a job owns it.
        let got = effective("experiments", None, &top[1..], "me@x.com").unwrap();
        assert_eq!(
            got[1],
            json!({"level": "CAN_MANAGE", "user_name": "me@x.com"})
        );
        let own = json!([{"level": "CAN_MANAGE", "user_name": "me@x.com"}]);
        let got = effective("pipelines", Some(&own), &[], "me@x.com").unwrap();
        assert_eq!(got, json!([{"level": "IS_OWNER", "user_name": "me@x.com"}]));
        assert_eq!(effective("jobs", None, &[], "me@x.com"), None);
    }
}
