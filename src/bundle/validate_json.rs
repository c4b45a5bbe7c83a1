//! The resolved configuration in the shape `databricks bundle validate -o json` prints:
//! `bundle`, `workspace` (with `current_user` and every path), `variables` (each with its
//! `value`), `resources` after overrides, interpolation and path translation, then the
//! remaining top-level sections, every object's keys sorted. `targets` is gone: the selected
//! one is folded in.

use serde_json::{Map, Value, json};

use super::interpolate::find;
use super::model::Bundle;
use super::written_references::WrittenReferences;

pub fn render(bundle: &Bundle) -> Value {
    let mut written = WrittenReferences::new(&bundle.written);
    let mut doc = Map::new();
    let mut b = find(&bundle.tree, "bundle")
        .map(|n| n.to_json())
        .unwrap_or_else(|| json!({}));
    b["name"] = json!(bundle.name);
    b["target"] = json!(bundle.target);
    // The CLI's older name for the target, still printed.
    b["environment"] = json!(bundle.target);
    if let Some(mode) = &bundle.mode {
        b["mode"] = json!(mode);
    }
    doc.insert("bundle".into(), b);
    let mut ws = find(&bundle.tree, "workspace")
        .map(|n| n.to_json())
        .unwrap_or_else(|| json!({}));
    // The host brickci talks to fills `workspace.host` for references; the CLI prints it only
    // when the configuration sets it.
    if find(&bundle.tree, "workspace.host").is_some_and(|h| h.loc.line == 0)
        && let Some(o) = ws.as_object_mut()
    {
        o.remove("host");
    }
    let w = &bundle.workspace;
    for (k, v) in [
        ("root_path", &w.root_path),
        ("file_path", &w.file_path),
        ("artifact_path", &w.artifact_path),
        ("state_path", &w.state_path),
        ("resource_path", &w.resource_path),
    ] {
        ws[k] = json!(v);
    }
    doc.insert("workspace".into(), ws);
    if !bundle.variables.is_empty() {
        let mut vars = Map::new();
        for (name, v) in &bundle.variables {
            let mut o = Map::new();
            if let Some(d) = &v.default {
                o.insert(
                    "default".into(),
                    find(&bundle.tree, &format!("variables.{name}.default"))
                        .map_or_else(|| d.to_json(), |n| n.to_json()),
                );
            }
            if let Some(d) = &v.description {
                o.insert("description".into(), json!(d));
            }
            if let Some(l) = &v.lookup {
                o.insert("lookup".into(), json!({ l.kind.clone(): l.name.to_json() }));
            }
            if v.complex {
                o.insert("type".into(), json!("complex"));
            }
            let value = find(&bundle.tree, &format!("variables.{name}.value")).map(|n| n.to_json());
            o.insert("value".into(), value.unwrap_or(Value::Null));
            for field in ["default", "value"] {
                if let Some(v) = o.get_mut(field) {
                    written.restore(&format!("variables.{name}.{field}"), v);
                }
            }
            vars.insert(name.clone(), Value::Object(o));
        }
        doc.insert("variables".into(), Value::Object(vars));
    }
    if !bundle.resources.is_empty() {
        let mut res = Map::new();
        for r in &bundle.resources {
            let kind = res.entry(r.kind.clone()).or_insert_with(|| json!({}));
            let mut settings = r.settings.clone();
            // A name only brickci gives (for the deploy) is not the CLI's configuration.
            if let (Some(node), Some(o)) = (
                find(&bundle.tree, &format!("resources.{}.{}", r.kind, r.key)),
                settings.as_object_mut(),
            ) {
                for (field, value) in node.entries().into_iter().flatten() {
                    if value.loc.file.as_os_str() == super::presets::NAMED_AFTER_KEY {
                        let field = field.name.as_str();
                        match cli_name(&r.kind, &r.key, o.get(field)) {
                            Some(name) => o.insert(field.to_string(), name),
                            None => o.remove(field),
                        };
                    }
                }
            }
            // brickci's digest of an app's code (to notice a change) is not configuration.
            if r.kind == "apps"
                && let Some(o) = settings.as_object_mut()
            {
                o.remove(super::app_source::FIELD);
            }
            if let (Some(p), Some(o)) = (
                super::permissions::effective(
                    &r.kind,
                    r.settings.get("permissions"),
                    &bundle.permissions,
                    &bundle.identity.user_name,
                ),
                settings.as_object_mut(),
            ) {
                o.insert("permissions".into(), p);
            }
            written.restore(&format!("resources.{}.{}", r.kind, r.key), &mut settings);
            kind[&r.key] = settings;
        }
        doc.insert("resources".into(), Value::Object(res));
    }
    let mut sync = find(&bundle.tree, "sync")
        .map(|n| n.to_json())
        .unwrap_or_else(|| json!({}));
    if sync.get("paths").is_none() {
        sync["paths"] = json!(["."]);
    }
    doc.insert("sync".into(), sync);
    if let Some(a) = super::artifacts::render(&bundle.tree, &bundle.artifacts, &bundle.root) {
        doc.insert("artifacts".into(), a);
    }
    for k in ["permissions", "run_as", "presets", "experimental"] {
        if let Some(n) = find(&bundle.tree, k).filter(|n| !n.is_null()) {
            doc.insert(k.into(), n.to_json());
        }
    }
    // Keys in sorted order at every level, as the Databricks CLI prints them.
    crate::deploy::refs::canonical(&Value::Object(doc))
}

/// What the Databricks CLI holds for a name brickci took from the key: the development
/// prefix alone (the CLI prefixes the empty name), else "Untitled" for a job (its default),
/// else nothing.
fn cli_name(kind: &str, key: &str, given: Option<&Value>) -> Option<Value> {
    let prefix = given
        .and_then(Value::as_str)
        .and_then(|n| n.strip_suffix(key))
        .unwrap_or_default();
    match (prefix, kind) {
        ("", "jobs") => Some(json!("Untitled")),
        ("", _) => None,
        (p, _) => Some(json!(p)),
    }
}
