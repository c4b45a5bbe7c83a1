//! Local paths inside resources. A relative path is relative to the YAML file that names it;
//! it must stay inside the bundle and exist. It becomes the workspace path the deploy puts
//! it at: notebooks without their extension under `file_path`, other files as they are,
//! wheels and jars under `artifact_path/.internal`.

use std::path::{Component, Path};

use super::error::Diagnostics;
use super::local_file::{IMPORT_LIMIT, Roots};
use super::model::Workspace;
use super::yaml::{Kind, Node};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefKind {
    Notebook,
    File,
    Library,
}

/// A local file a resource points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Referenced {
    /// Relative to the bundle root, `/`-separated; may be a glob for libraries.
    pub local: String,
    pub remote: String,
    pub kind: RefKind,
    /// A wheel or jar not there yet: fine when an artifact builds it (the CLI's validate
    /// builds nothing), an error otherwise ([`missing_libraries`]).
    pub missing: Option<Missing>,
}

/// Where a library that does not exist yet is named, to report it when no artifact makes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    pub file: std::path::PathBuf,
    pub line: u64,
    pub column: u64,
    pub key: String,
    pub message: String,
}

/// Project directories (dbt) may be the bundle's folder itself (`project_directory: ../`
/// from `resources/`), which is inside.
const ROOT_ALLOWED: &[&str] = &["dbt_task.project_directory"];

/// Path fields by resource kind: a `/`-separated field path where `*` walks every list item.
const FIELDS: &[(&str, &str, RefKind)] = &[
    (
        "jobs",
        "tasks.*.notebook_task.notebook_path",
        RefKind::Notebook,
    ),
    (
        "jobs",
        "tasks.*.spark_python_task.python_file",
        RefKind::File,
    ),
    ("jobs", "tasks.*.sql_task.file.path", RefKind::File),
    ("jobs", "tasks.*.alert_task.workspace_path", RefKind::File),
    // The script an AI Runtime task runs on each node, read as a workspace file.
    (
        "jobs",
        "tasks.*.ai_runtime_task.deployments.*.command_path",
        RefKind::File,
    ),
    ("jobs", "tasks.*.dbt_task.project_directory", RefKind::File),
    ("jobs", "tasks.*.libraries.*.whl", RefKind::Library),
    ("jobs", "tasks.*.libraries.*.jar", RefKind::Library),
    ("jobs", "tasks.*.libraries.*.requirements", RefKind::File),
    (
        "jobs",
        "environments.*.spec.dependencies.*",
        RefKind::Library,
    ),
    ("pipelines", "libraries.*.notebook.path", RefKind::Notebook),
    ("pipelines", "libraries.*.file.path", RefKind::File),
    (
        "clusters",
        "init_scripts.*.workspace.destination",
        RefKind::File,
    ),
    (
        "jobs",
        "job_clusters.*.new_cluster.init_scripts.*.workspace.destination",
        RefKind::File,
    ),
];

/// Folders (checked to exist, not uploaded on their own: the sync carries their files).
const DIR_FIELDS: &[(&str, &str)] = &[("pipelines", "root_path"), ("apps", "source_code_path")];

/// Globs: the pattern stays, its folder part becomes the workspace folder; nothing checked.
const GLOB_FIELDS: &[(&str, &str)] = &[("pipelines", "libraries.*.glob.include")];

/// How a job names an uploaded library: workspace paths with their `/Workspace` prefix.
pub fn library_uri(remote: &str) -> String {
    if remote.starts_with("/Workspace/") || remote.starts_with("/Volumes/") || remote.contains(":/")
    {
        remote.to_string()
    } else {
        format!("/Workspace{remote}")
    }
}

/// True for a path the deploy must upload (not a workspace, DBFS, volume or cloud path,
/// nor a PyPI requirement).
pub fn is_local(p: &str) -> bool {
    // As the Databricks CLI: every relative path without a scheme is local (a bare name
    // too, so a typo is reported as a missing file instead of being sent as is).
    !(p.is_empty() || p.starts_with('/') || p.contains(":/") || p.contains("${"))
}

/// Rewrites the local paths in one resource's settings to workspace paths.
pub fn translate(
    kind: &str,
    key: &str,
    settings: &mut Node,
    root: &Path,
    ws: &Workspace,
    out: &mut Vec<Referenced>,
    diags: &mut Diagnostics,
) {
    // Tasks that take their code from Git keep repository-relative paths.
    let from_git = kind == "jobs" && settings.get("git_source").is_some();
    let prefix = format!("resources.{kind}.{key}");
    let roots = Roots::new(root);
    if kind == "pipelines" {
        expand_pipeline_globs(settings, root);
    }
    if kind == "dashboards" {
        inline_file(settings, DASHBOARD, &prefix, root, &roots, diags);
    }
    if kind == "genie_spaces" {
        space_as_text(settings, &prefix, diags);
        inline_file(settings, GENIE_SPACE, &prefix, root, &roots, diags);
    }
    if kind == "apps" {
        super::app_source::record(settings);
    }
    folders_and_globs(kind, settings, &prefix, root, ws, diags);
    // Every task field also applies to the task a `for_each_task` runs.
    let inner: Vec<(&str, String, RefKind)> = FIELDS
        .iter()
        .filter_map(|(k, f, r)| {
            let rest = f.strip_prefix("tasks.*.")?;
            Some((*k, format!("tasks.*.for_each_task.task.{rest}"), *r))
        })
        .collect();
    let all = FIELDS
        .iter()
        .map(|(k, f, r)| (*k, f.to_string(), *r))
        .chain(inner);
    for (k, field, ref_kind) in all {
        if k != kind {
            continue;
        }
        let ref_kind = &ref_kind;
        let parts: Vec<&str> = field.split('.').collect();
        walk(settings, &parts, &prefix, &mut |node, path| {
            let Some(p) = node.as_str() else {
                return;
            };
            let task_git = from_git;
            if !is_local(p)
                || task_git
                || (*ref_kind == RefKind::Library && !p.ends_with(".whl") && !p.ends_with(".jar"))
            {
                return;
            }
            let may_be_root = ROOT_ALLOWED.iter().any(|f| path.ends_with(f));
            let rel = if may_be_root {
                relative_to_root(node.loc.dir(), p)
            } else {
                inside(node.loc.dir(), p)
            };
            let Some(rel) = rel else {
                diags.push(
                    &node.loc,
                    path,
                    format!("{p} is outside the bundle's folder"),
                );
                return;
            };
            let is_glob = rel.contains(['*', '?', '[']);
            let full = root.join(&rel);
            // Symlinks are followed here, once: a path resolving outside the bundle, into
            // /proc, or onto a FIFO or device is refused before anything reads it.
            if full.exists()
                && let Err(e) = roots
                    .resolve(&full)
                    .and_then(|t| if t.is_dir() { Ok(t) } else { roots.file(&full) })
            {
                diags.push(&node.loc, path, e.to_string());
                return;
            }
            let mut missing = None;
            if (*ref_kind != RefKind::Library || !is_glob) && !full.exists() {
                let message = format!("{p} does not exist (looked for {rel})");
                if *ref_kind != RefKind::Library {
                    diags.push(&node.loc, path, message);
                    return;
                }
                missing = Some(Missing {
                    file: node.loc.file.to_path_buf(),
                    line: node.loc.line,
                    column: node.loc.column,
                    key: path.to_string(),
                    message: format!("{message} (build it first, or name it in `artifacts`)"),
                });
            }
            let remote = match ref_kind {
                RefKind::Notebook => {
                    let size = std::fs::metadata(&full).map(|m| m.len()).unwrap_or(0);
                    if size > IMPORT_LIMIT {
                        diags.push(
                            &node.loc,
                            path,
                            format!("{p} is {size} bytes; the workspace imports notebooks up to {IMPORT_LIMIT} bytes"),
                        );
                        return;
                    }
                    if !is_notebook(&root.join(&rel)) {
                        diags.push(
                            &node.loc,
                            path,
                            format!("{p} is not a notebook (its first line must be the Databricks notebook header, or it must be .ipynb)"),
                        );
                        return;
                    }
                    format!("{}/{}", ws.file_path, strip_extension(&rel))
                }
                // A pipeline's `file:` library must be a plain file (the CLI's check).
                RefKind::File if path.ends_with(".file.path") && is_notebook(&full) => {
                    diags.push(
                        &node.loc,
                        path,
                        format!("{p} is a notebook; a pipeline `file:` library must be a plain file (use `notebook:`)"),
                    );
                    return;
                }
                RefKind::File if rel.is_empty() => ws.file_path.clone(),
                RefKind::File => format!("{}/{rel}", ws.file_path),
                RefKind::Library => {
                    let name = rel.rsplit('/').next().unwrap_or(&rel);
                    format!("{}/.internal/{name}", ws.artifact_path)
                }
            };
            // A folder (a dbt project) is not uploaded on its own: the sync carries its files.
            if !full.is_dir() {
                out.push(Referenced {
                    local: rel,
                    remote: remote.clone(),
                    kind: *ref_kind,
                    missing,
                });
            }
            // Libraries are named by URI: `/Workspace/...`, `/Volumes/...` or `dbfs:/...`.
            node.kind = Kind::Str(if *ref_kind == RefKind::Library {
                library_uri(&remote)
            } else {
                remote
            });
        });
    }
}

/// A pipeline library whose local `notebook.path` or `file.path` is a glob becomes one
/// library per matching file, in name order, as the CLI's ExpandPipelineGlobPaths. A glob
/// that matches nothing stays, to be reported as missing.
fn expand_pipeline_globs(settings: &mut Node, root: &Path) {
    let Some(Node {
        kind: Kind::Seq(libraries),
        ..
    }) = settings.get_mut("libraries")
    else {
        return;
    };
    let mut out = Vec::new();
    for library in std::mem::take(libraries) {
        let field = ["notebook", "file"]
            .into_iter()
            .find(|f| library.get(f).and_then(|n| n.get("path")).is_some());
        let matched = field.and_then(|f| {
            let node = library.get(f)?.get("path")?;
            let p = node.as_str()?;
            if !is_local(p) || !p.contains(['*', '?', '[']) {
                return None;
            }
            let dir = node.loc.dir();
            let rel = inside(dir, p)?;
            let mut found: Vec<String> = glob::glob(&root.join(&rel).to_string_lossy())
                .ok()?
                .filter_map(Result::ok)
                .filter(|m| m.is_file())
                .filter_map(|m| {
                    m.strip_prefix(root)
                        .ok()
                        .map(|r| r.to_string_lossy().replace('\\', "/"))
                })
                .collect();
            found.sort();
            // Back to a path relative to the file that names it, as `translate` reads it.
            let up = "../".repeat(dir.components().count());
            let paths: Vec<String> = found.into_iter().map(|m| format!("{up}{m}")).collect();
            (!paths.is_empty()).then_some((f, paths))
        });
        match matched {
            Some((f, paths)) => {
                for path in paths {
                    let mut one = library.clone();
                    if let Some(n) = one.get_mut(f).and_then(|n| n.get_mut("path")) {
                        n.kind = Kind::Str(path);
                    }
                    out.push(one);
                }
            }
            None => out.push(library),
        }
    }
    *libraries = out;
}

/// The local-file refusals alone (symlinks out of the bundle, system and special files), over
/// the merged tree before interpolation, so they are reported before the first request;
/// paths holding `${...}` are left to [`translate`], after interpolation.
pub fn refusals(tree: &Node, root: &Path, diags: &mut Diagnostics) {
    let roots = Roots::new(root);
    let Some(kinds) = tree.get("resources").and_then(Node::entries) else {
        return;
    };
    for (kind, items) in kinds {
        for (key, settings) in items.entries().unwrap_or_default() {
            let mut settings = settings.clone();
            let prefix = format!("resources.{}.{}", kind.name, key.name);
            for (k, field, _) in FIELDS {
                if *k != kind.name {
                    continue;
                }
                let parts: Vec<&str> = field.split('.').collect();
                walk(&mut settings, &parts, &prefix, &mut |node, path| {
                    let Some(p) = node.as_str() else {
                        return;
                    };
                    let Some(rel) = is_local(p).then(|| inside(node.loc.dir(), p)).flatten() else {
                        return;
                    };
                    let full = root.join(&rel);
                    if full.exists()
                        && let Err(e) = roots
                            .resolve(&full)
                            .and_then(|t| if t.is_dir() { Ok(t) } else { roots.file(&full) })
                    {
                        diags.push(&node.loc, path, e.to_string());
                    }
                });
            }
        }
    }
}

/// Pipeline `root_path` folders and `libraries[].glob.include` patterns, relative to their
/// file, become workspace paths under `file_path`, as the CLI's translate_paths.
fn folders_and_globs(
    kind: &str,
    settings: &mut Node,
    prefix: &str,
    root: &Path,
    ws: &Workspace,
    diags: &mut Diagnostics,
) {
    let dirs = DIR_FIELDS.iter().map(|(k, f)| (k, f, true));
    let globs = GLOB_FIELDS.iter().map(|(k, f)| (k, f, false));
    for (k, field, is_dir) in dirs.chain(globs) {
        if *k != kind {
            continue;
        }
        let parts: Vec<&str> = field.split('.').collect();
        walk(settings, &parts, prefix, &mut |node, path| {
            let Some(p) = node.as_str() else {
                return;
            };
            if p.is_empty() || p.starts_with('/') || p.contains(":/") || p.contains("${") {
                return;
            }
            let Some(rel) = relative_to_root(node.loc.dir(), p) else {
                diags.push(
                    &node.loc,
                    path,
                    format!("{p} is outside the bundle's folder"),
                );
                return;
            };
            let local = root.join(&rel);
            // A file where a folder belongs is reported below; what resolves outside is here.
            if is_dir
                && local.exists()
                && let Err(e) = Roots::new(root).resolve(&local)
            {
                diags.push(&node.loc, path, e.to_string());
                return;
            }
            if is_dir && !local.is_dir() {
                let why = if local.exists() {
                    "is not a folder"
                } else {
                    "does not exist"
                };
                diags.push(&node.loc, path, format!("{p} {why} (looked for {rel})"));
                return;
            }
            let remote = if rel.is_empty() {
                ws.file_path.clone()
            } else {
                format!("{}/{rel}", ws.file_path)
            };
            node.kind = Kind::Str(remote);
        });
    }
}

/// A kind whose content is a JSON document held as text in one field, which `file_path`
/// may give instead: the field, and what the document is (for errors).
struct Inlined {
    field: &'static str,
    noun: &'static str,
}

const DASHBOARD: Inlined = Inlined {
    field: "serialized_dashboard",
    noun: "a dashboard",
};

const GENIE_SPACE: Inlined = Inlined {
    field: "serialized_space",
    noun: "a Genie space",
};

/// A dashboard's (`.lvdash.json`) or Genie space's (`.geniespace.json`) `file_path` is read
/// into its content field, so a change to the file is a change to the object.
fn inline_file(
    settings: &mut Node,
    kind: Inlined,
    prefix: &str,
    root: &Path,
    roots: &Roots,
    diags: &mut Diagnostics,
) {
    let path = format!("{prefix}.file_path");
    let Some(node) = settings.get("file_path") else {
        return;
    };
    let Some(p) = node.as_str().filter(|p| is_local(p)) else {
        return;
    };
    let loc = node.loc.clone();
    if settings.get(kind.field).is_some() {
        diags.push(
            &loc,
            &path,
            format!("set file_path or {}, not both", kind.field),
        );
        return;
    }
    let Some(rel) = inside(loc.dir(), p) else {
        diags.push(&loc, &path, format!("{p} is outside the bundle's folder"));
        return;
    };
    let full = root.join(&rel);
    let text = match roots.read_limited(&full, IMPORT_LIMIT) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            diags.push(&loc, &path, e.to_string());
            return;
        }
    };
    if !serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.is_object()) {
        diags.push(
            &loc,
            &path,
            format!("{p} is not {}: its content is not a JSON object", kind.noun),
        );
        return;
    }
    settings.insert(
        super::yaml::Key {
            name: kind.field.into(),
            loc: loc.clone(),
        },
        Node::new(Kind::Str(text), loc),
    );
}

/// A Genie space's `serialized_space` written as YAML (a map or a list) is sent as its JSON
/// text, as the API takes it; a number or boolean is refused.
fn space_as_text(settings: &mut Node, prefix: &str, diags: &mut Diagnostics) {
    let Some(node) = settings.get_mut("serialized_space") else {
        return;
    };
    match &node.kind {
        Kind::Null | Kind::Str(_) => {}
        Kind::Map(_) | Kind::Seq(_) => node.kind = Kind::Str(node.to_json().to_string()),
        _ => diags.push(
            &node.loc,
            format!("{prefix}.serialized_space"),
            "must be a string, a map or a list (the space's JSON)",
        ),
    }
}

/// Like [`inside`], but the bundle root itself is `Some("")`.
fn relative_to_root(dir: &Path, p: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in dir.join(p).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

fn walk(node: &mut Node, parts: &[&str], path: &str, f: &mut dyn FnMut(&mut Node, &str)) {
    let Some((first, rest)) = parts.split_first() else {
        f(node, path);
        return;
    };
    if *first == "*" {
        if let Kind::Seq(items) = &mut node.kind {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, rest, &format!("{path}[{i}]"), f);
            }
        }
    } else if let Some(child) = node.get_mut(first) {
        walk(child, rest, &format!("{path}.{first}"), f);
    }
}

/// `p` (relative to `dir`, itself relative to `root`) as a root-relative `/` path, or None
/// when it leaves the root.
pub fn inside(dir: &Path, p: &str) -> Option<String> {
    relative_to_root(dir, p).filter(|r| !r.is_empty())
}

/// As `inside`, but the bundle's root itself (`path: .` of an artifact built at the root)
/// is allowed: `""`.
pub fn inside_or_root(dir: &Path, p: &str) -> Option<String> {
    relative_to_root(dir, p)
}

/// Notebooks are `.ipynb` files and source files whose first line is the notebook header.
pub fn is_notebook(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext == "ipynb" {
        return true;
    }
    // Never a FIFO or device; callers have checked the file is inside the bundle.
    let Ok(text) = Roots::anywhere().head(path, 256) else {
        return false;
    };
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    let header = first.trim_end();
    matches!(
        (ext, header),
        ("py", "# Databricks notebook source")
            | ("r" | "R", "# Databricks notebook source")
            | ("sql", "-- Databricks notebook source")
            | ("scala", "// Databricks notebook source")
    )
}

/// A notebook's workspace name: without its extension, except a Lakeflow Designer notebook
/// (`*.designer.ipynb`), which the workspace keeps whole.
pub fn strip_extension(rel: &str) -> &str {
    if rel.ends_with(".designer.ipynb") {
        return rel;
    }
    match rel.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') && !stem.ends_with('/') => stem,
        _ => rel,
    }
}

/// Reports the libraries that do not exist and that no artifact produces: an artifact's
/// `files` globs, or anything under the folder of an artifact that has a `build` command.
pub fn missing_libraries(
    list: &[Referenced],
    artifacts: &[super::model::Artifact],
    diags: &mut Diagnostics,
) {
    for r in list {
        let Some(m) = &r.missing else {
            continue;
        };
        let built = artifacts.iter().any(|a| {
            let by_files = a
                .files
                .iter()
                .any(|f| glob::Pattern::new(f).is_ok_and(|g| g.matches(&r.local)) || *f == r.local);
            let folder = a.path.to_string_lossy();
            let under = folder.is_empty() || r.local.starts_with(&format!("{folder}/"));
            by_files || (a.build.is_some() && under)
        });
        if !built {
            let loc = super::yaml::Loc {
                file: std::sync::Arc::new(m.file.clone()),
                line: m.line,
                column: m.column,
            };
            diags.deploy_error(&loc, &m.key, &m.message);
        }
    }
}

pub fn referenced(list: &[Referenced]) -> Vec<Referenced> {
    let mut v = list.to_vec();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_from_their_file_and_stay_inside() {
        assert_eq!(
            inside(Path::new("resources"), "../src/nb.py").as_deref(),
            Some("src/nb.py")
        );
        assert_eq!(inside(Path::new(""), "./a/b.py").as_deref(), Some("a/b.py"));
        assert_eq!(inside(Path::new("resources"), "../../etc/passwd"), None);
        assert!(
            is_local("./nb.py")
                && is_local("src/nb")
                && is_local("notebook")
                && !is_local("/Workspace/x")
                && !is_local("dbfs:/x.whl")
        );
        assert_eq!(strip_extension("src/train.py"), "src/train");
        assert_eq!(strip_extension("src.d/train"), "src.d/train");
        assert_eq!(
            strip_extension("src/flow.designer.ipynb"),
            "src/flow.designer.ipynb"
        );
        assert_eq!(strip_extension("src/flow.ipynb"), "src/flow");
    }
}
