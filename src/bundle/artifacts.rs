//! The `artifacts` section as the Databricks CLI prepares it: a build folder (the bundle's
//! folder unless `path` says otherwise), `files` relative to the file that declares them,
//! globs expanded when nothing is built (a glob nothing matches is an error then), and a
//! wheel's default `dist/*.whl`. `validate -o json` prints the result in the CLI's shape.

use std::path::Path;

use serde_json::{Value, json};

use super::error::Diagnostics;
use super::model::Artifact;
use super::yaml::{Kind, Node};

/// `root` is the sync root (every path here is relative to it), `bundle_dir` the bundle's
/// folder relative to it (`""` when they are the same).
pub fn collect(
    tree: &Node,
    root: &Path,
    bundle_dir: &str,
    diags: &mut Diagnostics,
) -> Vec<Artifact> {
    let mut out = Vec::new();
    let Some(section) = tree.get("artifacts").filter(|n| !n.is_null()) else {
        return out;
    };
    let Some(entries) = section.entries() else {
        diags.push(&section.loc, "artifacts", "must be a map of artifact names");
        return out;
    };
    for (k, a) in entries {
        let path = format!("artifacts.{}", k.name);
        // A name with only comments under it: the CLI refuses it too.
        if a.is_null() {
            let loc = if a.loc.line > 0 { &a.loc } else { &k.loc };
            diags.push(
                loc,
                &path,
                "artifact not properly configured: please specify artifact properties (build, files, path, type)",
            );
            continue;
        }
        let mut art = Artifact {
            key: k.name.clone(),
            kind: "whl".into(),
            build: None,
            path: bundle_dir.into(),
            files: Vec::new(),
            loc: k.loc.clone(),
        };
        let mut sources: Vec<(String, &Node, usize)> = Vec::new();
        for (f, v) in a.entries().unwrap_or_default() {
            let fpath = format!("{path}.{}", f.name);
            match (f.name.as_str(), &v.kind) {
                ("type", Kind::Str(t)) if t == "whl" || t == "jar" => art.kind = t.clone(),
                // A scalar is the command's text (`build: true` runs `true`).
                ("build", _) if v.scalar_text().is_some() => art.build = v.scalar_text(),
                ("path", Kind::Str(p)) => match super::paths::inside_or_root(v.loc.dir(), p) {
                    Some(rel) if root.join(&rel).is_dir() => art.path = rel.into(),
                    Some(rel) => diags.push(&v.loc, fpath, format!("{rel} is not a folder")),
                    None => diags.push(&v.loc, fpath, "is outside the bundle's folder"),
                },
                ("files", Kind::Seq(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        let source = item.get("source");
                        match source.and_then(Node::as_str).and_then(|s| super::paths::inside(item.loc.dir(), s)) {
                            Some(rel) => sources.push((rel, source.expect("matched above"), i)),
                            // The CLI's validate warns of a missing source; nothing can be uploaded.
                            None if source.is_none() => diags.deploy_error(&item.loc, format!("{fpath}[{i}].source"), "is required"),
                            None => diags.push(&item.loc, format!("{fpath}[{i}].source"), "must be a path inside the bundle's folder"),
                        }
                    }
                }
                ("executable" | "dynamic_version", _) => {}
                _ => diags.push(&f.loc, fpath, "unknown or malformed artifact setting (known: type whl|jar, build, path, files[].source)"),
            }
        }
        for (rel, node, i) in sources {
            let key = format!("{path}.files[{i}].source");
            let written = node.as_str().unwrap_or_default();
            if let Err(e) = glob::Pattern::new(&rel) {
                diags.push(&node.loc, key, format!("{written}: invalid pattern: {e}"));
                continue;
            }
            // What a build makes is looked for after the build; without one, now.
            if art.build.is_some() {
                art.files.push(rel);
                continue;
            }
            let found = expand(root, &rel);
            if found.is_empty() {
                diags.push(&node.loc, key, format!("{written}: no matching files"));
            }
            art.files.extend(found);
        }
        if art.files.is_empty() && art.kind == "whl" && a.get("files").is_none() {
            let base = art.path.to_string_lossy().trim_end_matches('/').to_string();
            art.files.push(if base.is_empty() {
                "dist/*.whl".to_string()
            } else {
                format!("{base}/dist/*.whl")
            });
        }
        out.push(art);
    }
    out
}

/// The files `pattern` (relative to `root`) names, relative to `root`, sorted.
fn expand(root: &Path, pattern: &str) -> Vec<String> {
    let mut found: Vec<String> = glob::glob(&root.join(pattern).to_string_lossy())
        .map(|m| m.filter_map(Result::ok).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.is_file())
        .filter_map(|p| {
            p.strip_prefix(root)
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
        .collect();
    found.sort();
    found
}

/// The artifacts as `databricks bundle validate -o json` prints them: what was written, with
/// `path` and each `files[].source` absolute, the default wheel glob, and `dynamic_version`
/// on wheels under the `artifacts_dynamic_version` preset.
pub fn render(tree: &Node, artifacts: &[Artifact], root: &Path) -> Option<Value> {
    let section = tree.get("artifacts").filter(|n| !n.is_null())?;
    let mut out = serde_json::Map::new();
    let dynamic = tree
        .get("presets")
        .and_then(|p| p.get("artifacts_dynamic_version"))
        .is_some_and(|v| matches!(v.kind, Kind::Bool(true)));
    let absolute = |rel: &str| {
        let p = root.join(rel);
        p.to_string_lossy().trim_end_matches('/').to_string()
    };
    for (k, node) in section.entries().unwrap_or_default() {
        let mut v = node.to_json();
        let Some(a) = artifacts.iter().find(|a| a.key == k.name) else {
            out.insert(k.name.clone(), v);
            continue;
        };
        let Some(o) = v.as_object_mut() else {
            out.insert(k.name.clone(), v);
            continue;
        };
        o.insert("path".into(), json!(absolute(&a.path.to_string_lossy())));
        if let Some(b) = &a.build {
            o.insert("build".into(), json!(b));
        }
        // The CLI adds `dist/*.whl` only to an artifact typed `whl`.
        let typed_whl = node.get("type").and_then(Node::as_str) == Some("whl");
        if a.files.is_empty() || (node.get("files").is_none() && !typed_whl) {
            o.remove("files");
        } else {
            let files: Vec<Value> = a
                .files
                .iter()
                .map(|f| json!({ "source": absolute(f) }))
                .collect();
            o.insert("files".into(), Value::Array(files));
        }
        if dynamic && typed_whl {
            o.insert("dynamic_version".into(), json!(true));
        }
        out.insert(k.name.clone(), v);
    }
    Some(Value::Object(out))
}
