//! Picks the target (`-t`, else the one marked `default: true`, else the only one, else the
//! implicit `default`) and folds its overrides into the top level.

use super::error::Diagnostics;
use super::merge::merge;
use super::yaml::{Key, Kind, Loc, Node};

const TARGET_KEYS: &[&str] = &[
    "default",
    "mode",
    "workspace",
    "variables",
    "resources",
    "artifacts",
    "sync",
    "permissions",
    "run_as",
    "presets",
    "bundle",
    "git",
    "cluster_id",
    "compute_id",
];

/// The selected target's settings that are not merged into the tree.
#[derive(Debug, Clone, Default)]
pub struct Selected {
    pub name: String,
    pub mode: Option<String>,
    pub mode_loc: Option<Loc>,
    /// Per-target variable values (`variables: {x: value}` under the target).
    pub variables: Vec<(Key, Node)>,
    /// `cluster_id` / `compute_id`: run every job task on this cluster.
    pub cluster_id: Option<Node>,
    /// Whether the target itself sets `workspace.root_path` (production mode wants it).
    pub sets_root_path: bool,
}

pub fn select(tree: &mut Node, wanted: Option<&str>) -> Result<Selected, Diagnostics> {
    let mut diags = Diagnostics::default();
    let targets = tree
        .remove("targets")
        .or_else(|| tree.remove("environments"));
    let entries: Vec<(Key, Node)> = match targets {
        None => Vec::new(),
        Some(Node {
            kind: Kind::Map(e), ..
        }) => e,
        Some(Node {
            kind: Kind::Null, ..
        }) => Vec::new(),
        Some(other) => {
            diags.push(&other.loc, "targets", "must be a map of target names");
            return Err(diags);
        }
    };
    let name = match wanted {
        Some(t) => {
            if !entries.is_empty() && !entries.iter().any(|(k, _)| k.name == t) {
                let known: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
                let loc = entries
                    .first()
                    .map_or(tree.loc.clone(), |(k, _)| k.loc.clone());
                diags.push(
                    &loc,
                    "targets",
                    format!("no target {t:?} (targets: {})", known.join(", ")),
                );
                return Err(diags);
            }
            t.to_string()
        }
        None => default_target(&entries, &tree.loc, &mut diags)?,
    };
    let Some((_, target)) = entries.into_iter().find(|(k, _)| k.name == name) else {
        return Ok(Selected {
            name,
            ..Selected::default()
        });
    };
    let mut selected = Selected {
        name: name.clone(),
        ..Selected::default()
    };
    if target.is_null() {
        return Ok(selected);
    }
    let Kind::Map(settings) = target.kind else {
        diags.push(&target.loc, format!("targets.{name}"), "must be a map");
        return Err(diags);
    };
    for (key, value) in settings {
        let path = format!("targets.{name}.{}", key.name);
        if key.name == "workspace" && value.get("root_path").is_some() {
            selected.sets_root_path = true;
        }
        match key.name.as_str() {
            "default" => {}
            "mode" => match value.as_str() {
                Some("development" | "production") => {
                    selected.mode = value.as_str().map(str::to_string);
                    selected.mode_loc = Some(value.loc.clone());
                }
                _ => diags.push(&value.loc, path, "must be `development` or `production`"),
            },
            "variables" => match value.kind {
                Kind::Map(vars) => selected.variables = vars,
                Kind::Null => {}
                _ => diags.push(&value.loc, path, "must be a map of variable values"),
            },
            "cluster_id" | "compute_id" => selected.cluster_id = Some(value),
            // Replaced, not merged: a target runs as its own identity.
            "run_as" => tree.insert(key, value),
            // A target's `git` overrides what the checkout says, under `bundle.git`.
            "git" => {
                if tree.get("bundle").is_none_or(Node::is_null) {
                    let empty = Node::new(Kind::Map(Vec::new()), key.loc.clone());
                    let bundle = Key {
                        name: "bundle".into(),
                        loc: key.loc.clone(),
                    };
                    tree.insert(bundle, empty);
                }
                let bundle = tree.get_mut("bundle").expect("inserted above");
                match bundle.get_mut("git") {
                    Some(existing) => merge(existing, value, "bundle.git", &mut diags),
                    None => bundle.insert(key, value),
                }
            }
            k if TARGET_KEYS.contains(&k) => match tree.get_mut(k) {
                Some(existing) => merge(existing, value, k, &mut diags),
                None => tree.insert(key, value),
            },
            _ => diags.push(
                &key.loc,
                path,
                format!("unknown target setting (known: {})", TARGET_KEYS.join(", ")),
            ),
        }
    }
    diags.check()?;
    Ok(selected)
}

/// The settings of the target `select` would pick (`None` when none is, or the choice is
/// an error `select` reports): for what must be known before it runs (the sync root).
pub fn chosen<'t>(tree: &'t Node, wanted: Option<&str>) -> Option<&'t Node> {
    let entries = tree
        .get("targets")
        .or_else(|| tree.get("environments"))?
        .entries()?;
    let name = match wanted {
        Some(t) => t.to_string(),
        None => default_target(entries, &tree.loc, &mut Diagnostics::default()).ok()?,
    };
    entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
}

fn default_target(
    entries: &[(Key, Node)],
    loc: &Loc,
    diags: &mut Diagnostics,
) -> Result<String, Diagnostics> {
    if entries.is_empty() {
        return Ok("default".into());
    }
    let marked: Vec<&Key> = entries
        .iter()
        .filter(|(_, v)| matches!(v.get("default").map(|d| &d.kind), Some(Kind::Bool(true))))
        .map(|(k, _)| k)
        .collect();
    match (marked.as_slice(), entries) {
        ([one], _) => Ok(one.name.clone()),
        ([], [(only, _)]) => Ok(only.name.clone()),
        ([], _) => {
            diags.push(
                loc,
                "targets",
                "no target is marked `default: true`; pass -t/--target",
            );
            Err(std::mem::take(diags))
        }
        (many, _) => {
            diags.push(
                &many[1].loc,
                "targets",
                format!(
                    "more than one target is marked `default: true` ({})",
                    many.iter()
                        .map(|k| k.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            Err(std::mem::take(diags))
        }
    }
}
