//! The `python:` section (or the older `experimental.python:`): which functions define
//! resources, which mutate them, and which interpreter runs them — `<venv_path>/bin/python3`,
//! else `python3` on PATH, as the Databricks CLI picks it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bundle::error::Diagnostics;
use crate::bundle::yaml::{Loc, Node};

/// What the bundle asks Python to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `module:function` names returning `Resources` (the `load_resources` phase).
    pub resources: Vec<String>,
    /// `module:name` of `@..._mutator` functions (the `apply_mutators` phase).
    pub mutators: Vec<String>,
    /// `venv_path` as written (bundle-root relative or absolute), and where.
    pub venv_path: Option<(String, Loc)>,
    /// The `python` key, for errors that have no better place.
    pub loc: Loc,
    /// `python` or `experimental.python`, for messages.
    pub section: &'static str,
}

/// The section's settings; `None` when the bundle uses no Python.
pub fn read(tree: &Node, diags: &mut Diagnostics) -> Option<Settings> {
    let top = tree.get("python").filter(|n| !n.is_null());
    let experimental = tree
        .get("experimental")
        .and_then(|e| e.get("python"))
        .filter(|n| !n.is_null());
    if let Some(p) = tree.get("experimental").and_then(|e| e.get("pydabs"))
        && !p.is_null()
    {
        diags.push(
            &p.loc,
            "experimental.pydabs",
            "is the retired form of Python support; use the `python:` section (resources, mutators, venv_path)",
        );
        return None;
    }
    let (node, section) = match (top, experimental) {
        (Some(t), Some(e)) if t.to_json() != e.to_json() => {
            diags.push(
                &e.loc,
                "experimental.python",
                "and `python` are both set and differ; keep only `python`",
            );
            return None;
        }
        (Some(t), _) => (t, "python"),
        (None, Some(e)) => (e, "experimental.python"),
        (None, None) => return None,
    };
    if node.entries().is_none() {
        diags.push(
            &node.loc,
            section,
            "must be a map (resources, mutators, venv_path)",
        );
        return None;
    }
    // The `python:` key itself, for messages about the section as a whole.
    let key_loc = match section {
        "python" => tree.key("python"),
        _ => tree.get("experimental").and_then(|e| e.key("python")),
    }
    .map_or_else(|| node.loc.clone(), |k| k.loc.clone());
    let mut settings = Settings {
        resources: Vec::new(),
        mutators: Vec::new(),
        venv_path: None,
        loc: key_loc,
        section,
    };
    for (key, value) in node.entries().unwrap_or_default() {
        let path = format!("{section}.{}", key.name);
        match key.name.as_str() {
            "resources" => settings.resources = names(value, &path, diags),
            "mutators" => settings.mutators = names(value, &path, diags),
            "venv_path" => match value.as_str() {
                Some(s) if !s.trim().is_empty() => {
                    settings.venv_path = Some((s.to_string(), value.loc.clone()));
                }
                _ if value.is_null() => {}
                _ => diags.push(&value.loc, path, "must be a non-empty string"),
            },
            _ => diags.push(
                &key.loc,
                path,
                "unknown setting (known: resources, mutators, venv_path)",
            ),
        }
    }
    Some(settings)
}

/// A list of `module:function` names.
fn names(value: &Node, path: &str, diags: &mut Diagnostics) -> Vec<String> {
    if value.is_null() {
        return Vec::new();
    }
    let Some(items) = value.items() else {
        diags.push(
            &value.loc,
            path,
            "must be a list of `module:function` names",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) if valid_name(s) => out.push(s.to_string()),
            _ => diags.push(
                &item.loc,
                format!("{path}[{i}]"),
                "must be `module:function` (e.g. resources:load_resources)",
            ),
        }
    }
    out
}

fn valid_name(s: &str) -> bool {
    let ident = |p: &str| {
        !p.is_empty()
            && p.split('.').all(|part| {
                part.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
    };
    matches!(s.split_once(':'), Some((m, f)) if ident(m) && ident(f) && !f.contains('.'))
}

/// The interpreter to run, or why there is none. `venv_path` is taken from the bundle's
/// folder when relative; without it, `python3` is looked up on the PATH in `env`.
pub fn interpreter(
    settings: &Settings,
    root: &Path,
    env: &BTreeMap<String, String>,
) -> Result<PathBuf, (Loc, String, String)> {
    if let Some((venv, loc)) = &settings.venv_path {
        let dir = root.join(venv);
        let python = dir.join("bin/python3");
        let key = format!("{}.venv_path", settings.section);
        if !python.is_file() {
            return Err((
                loc.clone(),
                key,
                format!(
                    "{venv}/bin/python3 does not exist; create the virtualenv (python3 -m venv {venv}) and install the PyPI package databricks-bundles into it ({venv}/bin/pip install databricks-bundles)"
                ),
            ));
        }
        if !dir.join("pyvenv.cfg").is_file() {
            return Err((
                loc.clone(),
                key,
                format!("{venv} is not a virtualenv (it has no pyvenv.cfg)"),
            ));
        }
        return Ok(python);
    }
    let path = env.get("PATH").map(String::as_str).unwrap_or_default();
    std::env::split_paths(path)
        .map(|d| d.join("python3"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            (
                settings.loc.clone(),
                settings.section.to_string(),
                format!(
                    "no python3 on PATH to run the bundle's Python code; set {}.venv_path to a virtualenv with the PyPI package databricks-bundles installed",
                    settings.section
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_module_colon_function() {
        assert!(valid_name("resources:load_resources"));
        assert!(valid_name("my_pkg.mutators:add_tags"));
        assert!(!valid_name("resources"));
        assert!(!valid_name("resources:"));
        assert!(!valid_name(":f"));
        assert!(!valid_name("a b:f"));
        assert!(!valid_name("m:f.g"));
    }
}
