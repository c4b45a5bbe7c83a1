//! Resources defined in Python (`python:` with `resources:` / `mutators:`), run the way the
//! Databricks CLI runs them: the bundle's interpreter runs `databricks.bundles.build` (PyPI
//! package `databricks-bundles`) on the loaded configuration, once per phase, and what it
//! returns joins the tree with its Python places. From there on they are validated, planned
//! and deployed like resources written in YAML.
//!
//! The interpreter is found while loading ([`check`]), before any request. The code runs
//! once the target's variables have their values ([`run`]), as in the CLI; when no lookup or
//! current-user value is pending it already runs in the checks before the first request
//! ([`run_early`]), so a broken Python resource costs no request, and the same input is
//! never run twice in one process. Differences from the CLI, on purpose: a phase with
//! nothing listed is not run, the build gets only the sections it reads, and the code gets
//! no credentials (see [`process`]).

mod apply;
mod diagnostics;
mod locations;
mod process;
mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use super::error::Diagnostics;
use super::interpolate::Resolver;
use super::yaml::{Key, Kind, Loc, Node};
use apply::{Phase, Places};
use settings::Settings;

/// A bundle's Python code, ready to run.
#[derive(Debug, Clone)]
pub struct Python {
    settings: Settings,
    interpreter: PathBuf,
    env: BTreeMap<String, String>,
    timeout: Duration,
}

/// Reads the `python:` section and finds its interpreter; `None` when the bundle uses no
/// Python. Problems (a missing virtualenv, no python3) are reported into `diags`.
pub fn check(
    tree: &Node,
    root: &Path,
    env: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> Option<Python> {
    let settings = settings::read(tree, diags)?;
    if settings.resources.is_empty() && settings.mutators.is_empty() {
        return None;
    }
    // The CLI's switch for runs that must not execute the bundle's code (pull requests).
    if env
        .get("DATABRICKS_BUNDLE_RESTRICTED_CODE_EXECUTION")
        .is_some_and(|v| !v.is_empty())
    {
        diags.push(
            &settings.loc,
            settings.section,
            "running the bundle's Python code is not allowed when DATABRICKS_BUNDLE_RESTRICTED_CODE_EXECUTION is set",
        );
        return None;
    }
    let timeout = match env.get("BRICKCI_PYTHON_TIMEOUT").filter(|v| !v.is_empty()) {
        None => process::DEFAULT_TIMEOUT,
        Some(v) => match v.parse::<u64>() {
            Ok(s) if s > 0 => Duration::from_secs(s),
            _ => {
                diags.push(
                    &Loc::synthetic("BRICKCI_PYTHON_TIMEOUT"),
                    "",
                    format!("must be a whole number of seconds, not {v:?}"),
                );
                return None;
            }
        },
    };
    match settings::interpreter(&settings, root, env) {
        Ok(interpreter) => Some(Python {
            settings,
            interpreter,
            env: env.clone(),
            timeout,
        }),
        Err((loc, key, message)) => {
            diags.push(&loc, key, message);
            None
        }
    }
}

impl Python {
    /// Where the `python:` section is written, and its name.
    pub fn place(&self) -> (&Loc, &'static str) {
        (&self.settings.loc, self.settings.section)
    }
}

/// Runs the bundle's Python code on `tree` (variables filled in, not yet interpolated) and
/// merges its resources in; errors and Python's own messages go to `diags`.
pub fn run(py: &Python, tree: &mut Node, root: &Path, diags: &mut Diagnostics) {
    mirror_experimental(tree);
    let phases = [
        (Phase::LoadResources, !py.settings.resources.is_empty()),
        (Phase::ApplyMutators, !py.settings.mutators.is_empty()),
    ];
    for (phase, wanted) in phases {
        if !wanted {
            continue;
        }
        let before = diags.errors().count();
        run_phase(py, phase, tree, root, diags);
        if diags.errors().count() > before {
            return;
        }
    }
    // Python's resources get the checks YAML ones had before the first request.
    super::paths::refusals(tree, root, diags);
    super::api_rules::tree(tree, diags);
}

/// [`run`] on a copy of `tree` during the checks before the first request, unless what the
/// code gets is not known yet: a lookup's answer (`lookups_pending`), or a variable naming
/// the current user.
pub fn run_early(
    py: &Python,
    tree: &Node,
    root: &Path,
    lookups_pending: bool,
    diags: &mut Diagnostics,
) {
    let user_dependent = tree
        .get("variables")
        .is_some_and(|v| v.to_json().to_string().contains("${workspace.current_user"));
    if lookups_pending || user_dependent {
        return;
    }
    run(py, &mut tree.clone(), root, diags);
}

/// Runs already made in this process, by phase and input: a command checks and then
/// finishes a bundle, and its code runs once for both.
type Run = (Phase, Vec<u8>, process::Finished);
static RUNS: Mutex<Vec<Run>> = Mutex::new(Vec::new());

fn run_once(
    py: &Python,
    phase: Phase,
    root: &Path,
    input: &[u8],
) -> Result<process::Finished, process::RunError> {
    let runs = RUNS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, done)) = runs.iter().find(|(p, i, _)| *p == phase && i == input) {
        return Ok(done.clone());
    }
    drop(runs);
    let done = process::run(
        &py.interpreter,
        phase.name(),
        root,
        input,
        &py.env,
        py.timeout,
    )?;
    RUNS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((phase, input.to_vec(), done.clone()));
    Ok(done)
}

fn run_phase(py: &Python, phase: Phase, tree: &mut Node, root: &Path, diags: &mut Diagnostics) {
    let section = py.settings.section;
    let at = py.settings.loc.clone();
    let input = input(tree);
    let bytes = serde_json::to_vec(&input).expect("JSON values serialise");
    let done = match run_once(py, phase, root, &bytes) {
        Ok(done) => done,
        Err(e) => return diags.push(&at, section, e.to_string()),
    };
    let venv = py
        .interpreter
        .parent()
        .and_then(Path::parent)
        .unwrap_or(root);
    let reported = match done.diagnostics.as_deref().map(String::from_utf8_lossy) {
        Some(text) => match diagnostics::parse(&text, root, &[venv]) {
            Ok(d) => d,
            Err(e) => return diags.push(&at, section, format!("the Python build's {e}")),
        },
        None => Vec::new(),
    };
    let failed = reported.iter().any(|d| d.error);
    for d in reported {
        let loc = d
            .loc
            .or_else(|| super::interpolate::find(tree, &d.path).map(|n| n.loc.clone()))
            .unwrap_or_else(|| at.clone());
        let key = if d.path.is_empty() {
            section.to_string()
        } else {
            d.path
        };
        if d.error {
            diags.push(&loc, key, d.message);
        } else {
            diags.warn(&loc, key, d.message);
        }
    }
    if failed {
        return;
    }
    if let Some(status) = &done.failed {
        return diags.push(&at, section, failure(py, status, &done.stderr));
    }
    if done.diagnostics.is_none() {
        return diags.push(
            &at,
            section,
            "the Python build wrote no diagnostics file; is databricks-bundles up to date?",
        );
    }
    let output: Value = match done.output.as_deref().map(serde_json::from_slice) {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            return diags.push(
                &at,
                section,
                format!("the Python build's output is not JSON: {e}"),
            );
        }
        None => return diags.push(&at, section, "the Python build wrote no output"),
    };
    let text = done
        .locations
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let locations = match locations::Locations::parse(&text, root) {
        Ok(l) => l,
        Err(e) => return diags.push(&at, section, format!("the Python build's {e}")),
    };
    let places = Places {
        locations: &locations,
        fallback: &at,
    };
    apply::apply(tree, &input, &output, phase, &places, section, diags);
}

/// `python` is also `experimental.python`, as the CLI's configuration shows it (older
/// releases of databricks-bundles read only that one).
fn mirror_experimental(tree: &mut Node) {
    let Some((key, python)) = tree
        .entries()
        .and_then(|e| e.iter().find(|(k, _)| k.name == "python"))
        .cloned()
    else {
        return;
    };
    if tree.get("experimental").is_none_or(Node::is_null) {
        let map = Node::new(Kind::Map(Vec::new()), key.loc.clone());
        let experimental = Key {
            name: "experimental".into(),
            loc: key.loc.clone(),
        };
        tree.insert(experimental, map);
    }
    if let Some(e) = tree.get_mut("experimental")
        && e.get("python").is_none()
    {
        e.insert(key, python);
    }
}

/// The sections databricks-bundles reads: `bundle.target`, `variables.*.value`, the
/// `python` settings and `resources`.
const READ_BY_THE_BUILD: &[&str] = &["bundle", "variables", "python", "experimental", "resources"];

/// What the build gets: those sections, resolved (as the CLI gives them) but for `resources`,
/// as written.
fn input(tree: &Node) -> Value {
    let mut resolver = Resolver::new(tree);
    let mut out = serde_json::Map::new();
    for (k, v) in tree.entries().unwrap_or_default() {
        if !READ_BY_THE_BUILD.contains(&k.name.as_str()) {
            continue;
        }
        let value = if k.name == "resources" {
            v.to_json()
        } else {
            resolver.resolve(v, &k.name).to_json()
        };
        out.insert(k.name.clone(), value);
    }
    Value::Object(out)
}

/// Why the interpreter failed without saying so in its diagnostics, most often because
/// databricks-bundles is not installed.
fn failure(py: &Python, status: &str, stderr: &str) -> String {
    let missing = stderr.contains("No module named 'databricks'")
        || stderr.contains("No module named 'databricks.bundles'")
        || stderr.contains("finding module specification for 'databricks.bundles.build'");
    if missing {
        let fix = match &py.settings.venv_path {
            Some((venv, _)) => format!("{venv}/bin/pip install databricks-bundles"),
            None => format!(
                "install it for {}, or set {}.venv_path to a virtualenv that has it",
                py.interpreter.display(),
                py.settings.section
            ),
        };
        return format!(
            "{} cannot import databricks.bundles.build: the PyPI package databricks-bundles is not installed ({fix})",
            py.interpreter.display()
        );
    }
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!(
        "the Python build failed ({status}){}",
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {}", crate::util::strip_ansi(&tail.join(" | ")))
        }
    )
}

/// Whether a place is in Python code: values Python returns name paths from the bundle's
/// root (as the CLI reads them), not from the `.py` file's folder.
pub fn is_python_source(file: &Path) -> bool {
    file.extension().is_some_and(|e| e == "py")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::yaml::parse;

    fn tree(text: &str) -> Node {
        parse(Path::new("databricks.yml"), text).unwrap()
    }

    #[test]
    fn the_build_gets_settings_resolved_and_resources_as_written() {
        let t = tree(
            "bundle:\n  name: b\n  target: dev\nvariables:\n  env:\n    value: ${bundle.target}-x\nresources:\n  jobs:\n    j:\n      name: ${var.env}\n",
        );
        let v = input(&t);
        assert_eq!(v["variables"]["env"]["value"], "dev-x");
        assert_eq!(v["resources"]["jobs"]["j"]["name"], "${var.env}");
    }

    #[test]
    fn python_is_also_shown_as_experimental_python() {
        let mut t = tree("python:\n  resources: [\"resources:load\"]\nexperimental:\n");
        mirror_experimental(&mut t);
        assert_eq!(
            t.to_json()["experimental"]["python"]["resources"][0],
            "resources:load"
        );
        // One the user wrote stays theirs.
        let mut t = tree(
            "python:\n  resources: [\"a:b\"]\nexperimental:\n  python:\n    resources: [\"a:b\"]\n    venv_path: v\n",
        );
        mirror_experimental(&mut t);
        assert_eq!(t.to_json()["experimental"]["python"]["venv_path"], "v");
    }

    #[test]
    fn a_missing_package_is_named_with_the_fix() {
        let mut d = Diagnostics::default();
        let t = tree("python:\n  venv_path: .venv\n  resources: [\"resources:load\"]\n");
        let settings = settings::read(&t, &mut d).unwrap();
        let py = Python {
            settings,
            interpreter: PathBuf::from(".venv/bin/python3"),
            env: BTreeMap::new(),
            timeout: process::DEFAULT_TIMEOUT,
        };
        let stderr = "/x/python3: Error while finding module specification for 'databricks.bundles.build' (ModuleNotFoundError: No module named 'databricks')\n";
        assert_eq!(
            failure(&py, "exit status: 1", stderr),
            ".venv/bin/python3 cannot import databricks.bundles.build: the PyPI package databricks-bundles is not installed (.venv/bin/pip install databricks-bundles)"
        );
        assert_eq!(
            failure(&py, "signal: 9 (SIGKILL)", "a\nb\n"),
            "the Python build failed (signal: 9 (SIGKILL)): a | b"
        );
    }
}
