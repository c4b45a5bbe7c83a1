//! An alert's `file_path`: a `.dbalert.json` file (as `databricks bundle generate alert`
//! writes it) holds the alert's definition, read into its settings as the Databricks CLI
//! reads it. The YAML then only places the alert (`display_name`, `warehouse_id`,
//! `permissions`, `lifecycle`); any other setting there is an error, so the definition
//! has one home. The file holds no `${...}` references (it is read as it is). Read before
//! presets, so a development deploy pauses the file's schedule as it would a YAML one.
//! A change to the file is a change to the alert: its content is part of the settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::Diagnostics;
use super::interpolate::Resolver;
use super::local_file::{IMPORT_LIMIT, Roots};
use super::paths::inside;
use super::yaml::{Key, Kind, Loc, Node};

/// What the YAML may set beside `file_path` (the CLI's list).
const IN_YAML: &[&str] = &[
    "warehouse_id",
    "display_name",
    "file_path",
    "permissions",
    "lifecycle",
];

/// Fields the file gives as the API takes them (the CLI's list, output-only ones too).
const AS_IS: &[&str] = &[
    "custom_summary",
    "schedule",
    "evaluation",
    "effective_run_as",
    "run_as",
    "run_as_user_name",
    "parent_path",
    "parameters",
    "create_time",
    "owner_user_name",
    "update_time",
    "lifecycle_state",
    "id",
];

/// Fields the file writes as lists of lines, and the setting each becomes.
const AS_LINES: &[(&str, &str)] = &[
    ("query_lines", "query_text"),
    ("custom_description_lines", "custom_description"),
];

/// Reads every alert's `file_path` into its settings. `root` is the sync root (places are
/// relative to it); `bundle_dir` the bundle's folder relative to it (`""` when the same).
pub fn inline(tree: &mut Node, root: &Path, bundle_dir: &str, diags: &mut Diagnostics) {
    // Each alert with a file: its key and the file's path, `${...}` resolved.
    let wanted: Vec<(String, Node)> = {
        let Some(alerts) = tree
            .get("resources")
            .and_then(|r| r.get("alerts"))
            .and_then(Node::entries)
        else {
            return;
        };
        let mut resolver = Resolver::new(tree);
        let found = alerts
            .iter()
            .filter_map(|(key, settings)| {
                let node = settings.get("file_path").filter(|n| !n.is_null())?;
                let path = format!("resources.alerts.{}.file_path", key.name);
                Some((key.name.clone(), resolver.resolve(node, &path)))
            })
            .collect();
        diags.extend(std::mem::take(&mut resolver.diags));
        found
    };
    let roots = Roots::new(root);
    for (key, file_path) in wanted {
        let prefix = format!("resources.alerts.{key}");
        let settings = tree
            .get_mut("resources")
            .and_then(|r| r.get_mut("alerts"))
            .and_then(|a| a.get_mut(&key))
            .expect("listed above");
        if let Some(definition) = read(&file_path, &prefix, root, &roots, settings, diags) {
            apply(settings, definition, bundle_dir);
        }
    }
}

/// What the file gives: the alert's fields, placed in the file; None when refused.
struct Definition {
    /// The file, relative to the bundle root.
    rel: String,
    fields: Vec<(String, Value)>,
}

fn read(
    file_path: &Node,
    prefix: &str,
    root: &Path,
    roots: &Roots,
    settings: &Node,
    diags: &mut Diagnostics,
) -> Option<Definition> {
    let key = format!("{prefix}.file_path");
    let loc = &file_path.loc;
    let Some(p) = file_path.as_str().filter(|p| !p.is_empty()) else {
        diags.push(loc, &key, "must be the path of a .dbalert.json file");
        return None;
    };
    let mut refused = false;
    for (k, v) in settings.entries().unwrap_or_default() {
        if IN_YAML.contains(&k.name.as_str()) || v.is_null() {
            continue;
        }
        diags.push(
            &v.loc,
            format!("{prefix}.{}", k.name),
            format!(
                "is not allowed beside file_path: the alert's definition is in {p}; only {} may be set here",
                IN_YAML.join(", ")
            ),
        );
        refused = true;
    }
    let Some(rel) = inside(loc.dir(), p).filter(|_| !p.starts_with('/')) else {
        diags.push(
            loc,
            &key,
            format!("{p} is outside the bundle's folder (a path relative to this file, inside the bundle)"),
        );
        return None;
    };
    let full = root.join(&rel);
    if !full.exists() {
        diags.push(loc, &key, format!("{p} does not exist (looked for {rel})"));
        return None;
    }
    let text = match roots.read_limited(&full, IMPORT_LIMIT) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            diags.push(loc, &key, e.to_string());
            return None;
        }
    };
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(loc, &key, format!("{rel} is not valid JSON: {e}"));
            return None;
        }
    };
    let Value::Object(object) = value else {
        diags.push(
            loc,
            &key,
            format!("{rel} is not an alert definition: its content is not a JSON object"),
        );
        return None;
    };
    if let Some(line) = reference_line(&text) {
        diags.push(
            loc,
            &key,
            format!(
                "{rel} must not hold variable references (line {line}); it is read as it is: write the alert in the bundle's YAML to use variables"
            ),
        );
        return None;
    }
    if refused {
        return None;
    }
    let fields = fields(object, &rel, &key, loc, diags);
    Some(Definition { rel, fields })
}

/// The file's fields as settings; a field the CLI does not read from the file is a warning.
fn fields(
    mut object: Map<String, Value>,
    rel: &str,
    key: &str,
    loc: &Loc,
    diags: &mut Diagnostics,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (lines_field, setting) in AS_LINES {
        let Some(lines) = object.remove(*lines_field) else {
            continue;
        };
        match lines.as_array() {
            Some(items) if items.iter().all(Value::is_string) => {
                // Each line ends with a newline, as the CLI joins them.
                let text: String = items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|l| format!("{l}\n"))
                    .collect();
                if !text.is_empty() {
                    out.push((setting.to_string(), Value::String(text)));
                }
            }
            _ => diags.push(
                loc,
                key,
                format!("{rel}: {lines_field} must be a list of strings"),
            ),
        }
    }
    for (name, value) in object {
        if AS_IS.contains(&name.as_str()) {
            if !value.is_null() {
                out.push((name, value));
            }
            continue;
        }
        let why = match name.as_str() {
            "query_text" => "the file gives the query as query_lines".to_string(),
            "custom_description" => {
                "the file gives the description as custom_description_lines".to_string()
            }
            "display_name" | "warehouse_id" => "the bundle's YAML gives it".to_string(),
            _ => "not an alert field".to_string(),
        };
        diags.warn(loc, key, format!("{rel}: {name} is ignored ({why})"));
    }
    out
}

/// Replaces the alert's settings with the YAML's placement and the file's definition;
/// `file_path` becomes relative to the bundle's folder, as `validate -o json` shows it.
fn apply(settings: &mut Node, definition: Definition, bundle_dir: &str) {
    let Definition { rel, fields } = definition;
    let here = Loc {
        file: Arc::new(PathBuf::from(&rel)),
        line: 1,
        column: 1,
    };
    let shown = match bundle_dir {
        "" => Some(rel.as_str()),
        dir => rel.strip_prefix(dir).and_then(|r| r.strip_prefix('/')),
    };
    if let Some(node) = settings.get_mut("file_path") {
        node.kind = Kind::Str(shown.unwrap_or(&rel).to_string());
    }
    for (name, value) in fields {
        settings.insert(
            Key {
                name,
                loc: here.clone(),
            },
            Node::from_json(&value, &here),
        );
    }
}

/// The line of the first `${name...}` reference in `text`, if any (what the bundle's
/// interpolation would take for one).
fn reference_line(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("${") {
        let start = from + i + 2;
        let rest = &text[start..];
        let name_len = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
            })
            .unwrap_or(rest.len());
        if name_len > 0
            && rest.starts_with(|c: char| c.is_ascii_alphabetic())
            && rest[name_len..].starts_with('}')
        {
            return Some(text[..start].matches('\n').count() + 1);
        }
        from = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::tests::{bundle, load};
    use super::*;

    const FILE: &str = r#"{
  "custom_summary": "rows",
  "evaluation": {"source": {"name": "n"}, "comparison_operator": "GREATER_THAN",
                 "threshold": {"value": {"double_value": 10}}},
  "schedule": {"quartz_cron_schedule": "0 0 * * * ?", "timezone_id": "UTC"},
  "query_lines": ["select count(*) as n", "from t"],
  "custom_description_lines": ["first", "second"]
}"#;

    fn yaml(extra: &str) -> String {
        format!("bundle: {{name: b}}\ninclude: [resources/*.yml]\n{extra}")
    }

    const ALERT_YML: &str = "resources:\n  alerts:\n    rows:\n      display_name: rows\n      warehouse_id: w1\n      file_path: ./rows.dbalert.json\n";

    #[test]
    fn the_file_relative_to_its_yaml_gives_the_definition() {
        let dir = bundle(&[
            ("databricks.yml", &yaml("")),
            ("resources/alerts.yml", ALERT_YML),
            ("resources/rows.dbalert.json", FILE),
        ]);
        let b = load(dir.path(), None, &[]).unwrap();
        let r = b.resource("alerts", "rows").unwrap();
        let s = &r.settings;
        assert_eq!(s["query_text"], "select count(*) as n\nfrom t\n");
        assert_eq!(s["custom_description"], "first\nsecond\n");
        assert_eq!(s["custom_summary"], "rows");
        assert_eq!(s["evaluation"]["comparison_operator"], "GREATER_THAN");
        assert_eq!(s["file_path"], "resources/rows.dbalert.json");
        assert_eq!(s["warehouse_id"], "w1");
        assert!(
            s["parent_path"].as_str().unwrap().ends_with("/resources"),
            "the default parent folder still applies: {s}"
        );
        assert!(s.get("query_lines").is_none());
    }

    #[test]
    fn development_mode_prefixes_the_name_and_pauses_the_files_schedule() {
        let dev = "targets:\n  dev:\n    mode: development\n    default: true\n";
        let dir = bundle(&[
            ("databricks.yml", &yaml(dev)),
            ("resources/alerts.yml", ALERT_YML),
            ("resources/rows.dbalert.json", FILE),
        ]);
        let b = load(dir.path(), None, &[]).unwrap();
        let s = &b.resource("alerts", "rows").unwrap().settings;
        assert!(
            s["display_name"].as_str().unwrap().starts_with("[dev "),
            "{s}"
        );
        assert_eq!(s["schedule"]["pause_status"], "PAUSED", "{s}");
    }

    #[test]
    fn a_definition_field_in_the_yaml_is_an_error_naming_its_place() {
        let alert = format!("{ALERT_YML}      query_text: select 3\n");
        let dir = bundle(&[
            ("databricks.yml", &yaml("")),
            ("resources/alerts.yml", &alert),
            ("resources/rows.dbalert.json", FILE),
        ]);
        let e = load(dir.path(), None, &[]).unwrap_err().to_string();
        assert!(
            e.starts_with("resources/alerts.yml:7:19: resources.alerts.rows.query_text: is not allowed beside file_path"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_file_bad_json_and_references_are_errors() {
        for (content, expected) in [
            (
                None,
                "./rows.dbalert.json does not exist (looked for resources/rows.dbalert.json)",
            ),
            (
                Some("{\n  \"custom_summary\": \n}"),
                "resources/rows.dbalert.json is not valid JSON: expected value at line 3 column 1",
            ),
            (Some("[1]"), "is not an alert definition"),
            (
                Some("{\n  \"custom_summary\": \"for ${var.target}\"\n}"),
                "resources/rows.dbalert.json must not hold variable references (line 2)",
            ),
        ] {
            let mut files = vec![
                ("databricks.yml", yaml("")),
                ("resources/alerts.yml", ALERT_YML.to_string()),
            ];
            if let Some(c) = content {
                files.push(("resources/rows.dbalert.json", c.to_string()));
            }
            let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
            let dir = bundle(&files);
            let e = load(dir.path(), None, &[]).unwrap_err().to_string();
            assert!(
                e.starts_with("resources/alerts.yml:6:18: resources.alerts.rows.file_path: "),
                "{e}"
            );
            assert!(e.contains(expected), "{e}");
        }
    }

    #[test]
    fn under_a_wider_sync_root_the_path_shown_is_the_bundles() {
        let yml = "bundle: {name: b}\nsync:\n  paths: [., ../common]\nresources:\n  alerts:\n    rows:\n      display_name: rows\n      warehouse_id: w1\n      file_path: ./rows.dbalert.json\n";
        let dir = bundle(&[
            ("common/x.py", "x = 1\n"),
            ("proj/databricks.yml", yml),
            ("proj/rows.dbalert.json", FILE),
        ]);
        let b = load(&dir.path().join("proj"), None, &[]).unwrap();
        let s = &b.resource("alerts", "rows").unwrap().settings;
        assert_eq!(s["file_path"], "rows.dbalert.json");
        assert_eq!(s["custom_summary"], "rows");
    }

    #[test]
    fn references_are_found_with_their_line() {
        assert_eq!(reference_line("{\n\"a\": \"${var.x}\"}"), Some(2));
        assert_eq!(reference_line("{\"a\": \"$ {x} ${ x} ${}\"}"), None);
        assert_eq!(reference_line("${resources.jobs.a.id}"), Some(1));
    }
}
