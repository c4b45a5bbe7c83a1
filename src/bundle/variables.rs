//! Variable declarations and where each value comes from: `--var` beats `BUNDLE_VAR_<name>`,
//! which beats `.databricks/bundle/<target>/variable-overrides.json`, which beats the target's
//! value, which beats the default; a `lookup:` asks the workspace for the id of an object by
//! its name (the overrides file does not replace a lookup, as in the CLI).

use std::collections::BTreeMap;

use super::error::Diagnostics;
use super::yaml::{Key, Kind, Loc, Node};

const VARIABLE_KEYS: &[&str] = &["description", "default", "type", "lookup", "value"];

/// Objects a `lookup:` can find by name.
pub const LOOKUP_KINDS: &[&str] = &[
    "cluster",
    "cluster_policy",
    "instance_pool",
    "warehouse",
    "service_principal",
    "job",
    "pipeline",
];

#[derive(Debug, Clone)]
pub struct Lookup {
    pub kind: String,
    pub name: Node,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub loc: Loc,
    pub description: Option<String>,
    pub complex: bool,
    pub default: Option<Node>,
    /// The value chosen by precedence, before interpolation; None until a lookup answers.
    pub value: Option<Node>,
    /// Set by `value:` in the declaration itself: the CLI takes it as already assigned, so
    /// no target, file or environment replaces it and `--var` is refused.
    pub fixed: bool,
    pub lookup: Option<Lookup>,
}

/// Reads declarations from `tree.variables` and applies target values, env and `--var`.
pub fn collect(
    tree: &Node,
    target_values: &[(Key, Node)],
    overrides: Option<&Node>,
    cli: &[(String, String)],
    env: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Variable> {
    let mut vars = BTreeMap::new();
    let declared = tree.get("variables");
    if let Some(d) = declared.filter(|d| !matches!(d.kind, Kind::Map(_) | Kind::Null)) {
        diags.push(
            &d.loc,
            "variables",
            "must be a map of variable declarations",
        );
    }
    for (key, decl) in declared.and_then(Node::entries).unwrap_or_default() {
        if let Some(v) = declaration(key, decl, diags) {
            vars.insert(key.name.clone(), v);
        }
    }
    for (key, value) in target_values {
        let path = format!("variables.{}", key.name);
        let Some(var) = vars.get_mut(&key.name) else {
            diags.push(
                &key.loc,
                path,
                "the target sets a variable that is not declared under `variables`",
            );
            continue;
        };
        if var.fixed {
            continue;
        }
        match (&value.kind, value.get("lookup"), value.get("default")) {
            (Kind::Map(_), Some(lookup), _) => {
                var.lookup = parse_lookup(lookup, &path, diags);
                var.value = None;
            }
            // A value (plain or `{default: ...}`) replaces a declared lookup, as the CLI's
            // MergeTargetOverrides drops `lookup` when a target gives a default.
            // The target's value becomes the variable's default, as the CLI merges it.
            // A complex variable's map is its value, unless it is written as a definition
            // (`default:`, with `type` or `description`), as the CLI tells them apart.
            (Kind::Map(_), None, Some(default)) if !var.complex || is_definition(value) => {
                var.value = Some(default.clone());
                var.default = Some(default.clone());
                var.lookup = None;
            }
            _ => {
                var.value = Some(value.clone());
                var.default = Some(value.clone());
                var.lookup = None;
            }
        }
    }
    if let Some(file) = overrides {
        apply_overrides(file, &mut vars, diags);
    }
    for (name, var) in vars.iter_mut() {
        let env_name = format!("BUNDLE_VAR_{name}");
        let given = cli
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| (v.clone(), "--var"))
            .or_else(|| env.get(&env_name).map(|v| (v.clone(), "environment")));
        if var.fixed {
            if cli.iter().any(|(k, _)| k == name) {
                diags.push(
                    &Loc::synthetic("--var"),
                    name.clone(),
                    format!(
                        "the variable already has a value (`value:` at {}); --var cannot set it",
                        var.loc
                    ),
                );
            }
            continue;
        }
        if let Some((v, from)) = given {
            if var.complex {
                diags.push(
                    &var.loc,
                    format!("variables.{name}"),
                    format!(
                        "a complex variable cannot be set from the {from}; set it in the target"
                    ),
                );
            }
            let loc = Loc::synthetic(if from == "--var" { "--var" } else { &env_name });
            var.value = Some(Node::new(Kind::Str(v), loc));
            var.lookup = None;
        }
    }
    for (name, _) in cli {
        if !vars.contains_key(name) {
            diags.push(
                &Loc::synthetic("--var"),
                name.clone(),
                "no such variable is declared under `variables`",
            );
        }
    }
    vars
}

/// The key sets of a target's variable written in full rather than as its value.
const DEFINITION_KEYS: &[&[&str]] = &[
    &["default", "type", "description"],
    &["default", "type"],
    &["default", "description"],
    &["default"],
];

fn is_definition(value: &Node) -> bool {
    let keys: Vec<&str> = value
        .entries()
        .unwrap_or_default()
        .iter()
        .map(|(k, _)| k.name.as_str())
        .collect();
    DEFINITION_KEYS
        .iter()
        .any(|set| set.len() == keys.len() && set.iter().all(|k| keys.contains(k)))
}

fn declaration(key: &Key, decl: &Node, diags: &mut Diagnostics) -> Option<Variable> {
    let path = format!("variables.{}", key.name);
    let Some(entries) = decl.entries() else {
        if decl.is_null() {
            return Some(empty(key));
        }
        diags.push(
            &decl.loc,
            path,
            "must be a map with `default`, `description`, `type` or `lookup`",
        );
        return None;
    };
    let mut var = empty(key);
    for (k, v) in entries {
        let kpath = format!("{path}.{}", k.name);
        match k.name.as_str() {
            "description" => var.description = v.as_str().map(str::to_string),
            "default" => var.default = Some(v.clone()),
            // The CLI only warns about another type (an enum check) and takes the variable
            // as a plain one.
            "type" if v.is_null() || v.as_str() == Some("") => {}
            "type" => match v.as_str() {
                Some("complex") => var.complex = true,
                _ => diags.warn(
                    &v.loc,
                    kpath,
                    format!(
                        "unknown variable type {}; the only type is `complex` (taken as a plain variable)",
                        v.to_json()
                    ),
                ),
            },
            "lookup" => var.lookup = parse_lookup(v, &kpath, diags),
            "value" if !v.is_null() => {
                var.value = Some(v.clone());
                var.fixed = true;
            }
            "value" => {}
            _ => diags.push(
                &k.loc,
                kpath,
                format!(
                    "unknown variable setting (known: {})",
                    VARIABLE_KEYS.join(", ")
                ),
            ),
        }
    }
    if var.default.is_some() && var.lookup.is_some() {
        diags.push(
            &key.loc,
            path,
            "give either `default` or `lookup`, not both",
        );
    }
    // A map or list default without `type: complex` is accepted, as the CLI accepts it.
    if !var.fixed {
        var.value = var.default.clone();
    }
    Some(var)
}

fn empty(key: &Key) -> Variable {
    Variable {
        name: key.name.clone(),
        loc: key.loc.clone(),
        description: None,
        complex: false,
        default: None,
        value: None,
        fixed: false,
        lookup: None,
    }
}

fn parse_lookup(node: &Node, path: &str, diags: &mut Diagnostics) -> Option<Lookup> {
    let entries = node.entries().unwrap_or_default();
    if entries.len() != 1 {
        diags.push(
            &node.loc,
            path,
            format!("must name exactly one of {}", LOOKUP_KINDS.join(", ")),
        );
        return None;
    }
    let (kind, name) = &entries[0];
    if !LOOKUP_KINDS.contains(&kind.name.as_str()) {
        diags.push(
            &kind.loc,
            format!("{path}.{}", kind.name),
            format!(
                "cannot look up a {} (can: {})",
                kind.name,
                LOOKUP_KINDS.join(", ")
            ),
        );
        return None;
    }
    if name.as_str().is_none_or(str::is_empty) {
        diags.push(&name.loc, format!("{path}.{}", kind.name), "must be a name");
        return None;
    }
    Some(Lookup {
        kind: kind.name.clone(),
        name: name.clone(),
        loc: kind.loc.clone(),
    })
}

/// `.databricks/bundle/<target>/variable-overrides.json` under the bundle root, parsed, when
/// it exists (the CLI's way to set complex variables outside the configuration).
pub fn overrides_file(
    root: &std::path::Path,
    target: &str,
    diags: &mut Diagnostics,
) -> Option<Node> {
    let rel = std::path::PathBuf::from(format!(
        ".databricks/bundle/{target}/variable-overrides.json"
    ));
    let full = root.join(&rel);
    if !full.exists() {
        return None;
    }
    let text = match super::local_file::Roots::new(root).read(&full) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            let loc = super::yaml::Loc::synthetic(&rel.display().to_string());
            diags.push(&loc, "variable-overrides", e.to_string());
            return None;
        }
    };
    match super::yaml::parse(&rel, &text) {
        Ok(node) => Some(node),
        Err(e) => {
            diags.push(&e.loc, "variable-overrides", e.message);
            None
        }
    }
}

fn apply_overrides(file: &Node, vars: &mut BTreeMap<String, Variable>, diags: &mut Diagnostics) {
    let Kind::Map(entries) = &file.kind else {
        diags.push(
            &file.loc,
            "variable-overrides",
            "must be a JSON object: {\"name\": value, ...}",
        );
        return;
    };
    for (key, value) in entries {
        let Some(var) = vars.get_mut(&key.name) else {
            diags.push(
                &key.loc,
                &key.name,
                "the variable overrides file sets a variable that is not declared under `variables`",
            );
            continue;
        };
        if var.lookup.is_some() || var.fixed {
            continue;
        }
        let complex_value = matches!(value.kind, Kind::Map(_) | Kind::Seq(_));
        if var.complex != complex_value {
            diags.push(
                &key.loc,
                &key.name,
                if var.complex {
                    "the variable is of type complex, but its value here is not a map or list"
                } else {
                    "the variable is not of type complex, but its value here is a map or list"
                },
            );
            continue;
        }
        var.value = Some(value.clone());
    }
}
