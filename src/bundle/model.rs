//! The fully resolved bundle for one target: what `validate` prints and `deploy` deploys.
//! Loading happens in two steps because `lookup:` variables need the workspace: `prepare`
//! does everything local and lists the lookups; `finish` takes their answers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::error::Diagnostics;
use super::interpolate::{Resolver, find};
use super::target::Selected;
use super::variables::{Variable, collect};
use super::yaml::{Key, Kind, Loc, Node};
use super::{load, paths, resources, target};

/// Who deploys: names `~`, `${workspace.current_user.*}` and the development-mode prefix.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_name: String,
    pub display_name: Option<String>,
    pub id: Option<String>,
}

impl Identity {
    /// The user name's local part made safe for names and paths, as the Databricks CLI makes
    /// it: lower case, every run of other characters one `_`, none at the ends
    /// (`John.Doe+x@corp.com` -> `john_doe_x`). Service principals (a UUID user name) use
    /// their display name.
    pub fn short_name(&self) -> String {
        let is_uuid = uuid::Uuid::parse_str(&self.user_name).is_ok();
        let base = match &self.display_name {
            Some(d) if is_uuid && !d.is_empty() => d.as_str(),
            _ => &self.user_name,
        };
        let local = base.split('@').next().unwrap_or(base);
        let mut out = String::new();
        for c in local.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('_') {
                out.push('_');
            }
        }
        out.trim_matches('_').to_string()
    }

    /// The short name for hosts and tags: other characters become `-`.
    pub fn domain_friendly_name(&self) -> String {
        self.short_name()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    }
}

/// What the caller gives: the folder, `-t`, `--var` and the environment (`BUNDLE_VAR_*`).
pub struct LoadOptions<'a> {
    pub dir: &'a std::path::Path,
    pub target: Option<&'a str>,
    pub vars: &'a [(String, String)],
    pub env: &'a BTreeMap<String, String>,
    /// The workspace brickci talks to: `workspace.host` when the bundle leaves it unset.
    pub host: Option<&'a str>,
    /// A pull request's own deployment of the target (`--pr`): see `pr_overlay`.
    pub pr: Option<u64>,
}

/// A lookup to answer: the variable, what kind of object, its (resolved) name.
#[derive(Debug, Clone)]
pub struct LookupRequest {
    pub variable: String,
    pub kind: String,
    pub name: String,
    pub loc: Loc,
}

pub struct Prepared {
    root: PathBuf,
    bundle_dir: PathBuf,
    sync_paths: Vec<String>,
    tree: Node,
    selected: Selected,
    variables: BTreeMap<String, Variable>,
    identity: Identity,
    pub lookups: Vec<LookupRequest>,
    /// What the Databricks CLI only warns about (see [`Diagnostics::warnings`]).
    pub warnings: Diagnostics,
    /// The bundle's Python code (`python:`), run in `finish` (and early, see
    /// [`super::python::run_early`]).
    python: Option<super::python::Python>,
    /// Errors that leave the configuration whole (an unreadable `.git`): added to the
    /// bundle's diagnostics by `finish`, so `validate` still prints the configuration, as
    /// the Databricks CLI does, and then fails.
    late_errors: Diagnostics,
    include_places: Vec<Loc>,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub host: Option<String>,
    pub root_path: String,
    pub file_path: String,
    pub artifact_path: String,
    pub state_path: String,
    pub resource_path: String,
}

/// One resource: its settings (ready for the API, deferred references still in place).
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: String,
    pub key: String,
    pub settings: Value,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Artifact {
    pub key: String,
    pub kind: String,
    pub build: Option<String>,
    /// Folder the build runs in, relative to the bundle root.
    pub path: PathBuf,
    /// Globs (relative to the bundle root) of what the build produces.
    pub files: Vec<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Bundle {
    /// The sync root: local paths (`Referenced::local`, synced files) are relative to it and
    /// upload under `workspace.file_path` by that relative path.
    pub root: PathBuf,
    /// The bundle's folder (`databricks.yml`, `.databricks/`); the sync root or under it.
    pub bundle_dir: PathBuf,
    /// `sync.paths` relative to the sync root: only files under these are uploaded.
    pub sync_paths: Vec<String>,
    pub name: String,
    pub target: String,
    pub mode: Option<String>,
    pub identity: Identity,
    pub workspace: Workspace,
    pub variables: BTreeMap<String, Variable>,
    pub resources: Vec<Resource>,
    pub artifacts: Vec<Artifact>,
    pub sync_include: Vec<String>,
    pub sync_exclude: Vec<String>,
    /// Top-level `permissions`, applied to jobs, pipelines, experiments and models.
    pub permissions: Vec<Value>,
    /// Local files the resources point at (notebooks, scripts, wheels), bundle-relative.
    pub referenced: Vec<paths::Referenced>,
    /// The resolved configuration, for `validate -o json`.
    pub tree: Node,
    /// The same before references were resolved (`validate -o json` prints `${resources.*}`
    /// references as written, as the CLI does).
    pub written: Node,
    /// Where the root file's `include` list was (`--include-locations`).
    pub include_places: Vec<Loc>,
    /// Tasks with local libraries on a cluster named by id: its runtime is checked with the
    /// API's answer once loaded ([`super::check_wheel_clusters`]).
    pub wheel_clusters: Vec<super::ClusterById>,
    /// What the Databricks CLI only warns about; shown, and errors under `--strict`. Among
    /// them, what its validate passes but its deploy fails on (a required field missing, a
    /// library nothing builds: [`Severity::DeployError`](super::Severity)), errors at plan
    /// and deploy ([`Diagnostics::for_deploy`]).
    pub warnings: Diagnostics,
}

impl Bundle {
    pub fn resource(&self, kind: &str, key: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.kind == kind && r.key == key)
    }
}

pub fn prepare(opts: &LoadOptions, identity: Identity) -> Result<Prepared, Diagnostics> {
    let loaded = load::load(opts.dir, opts.target)?;
    // Warnings travel along; every static problem after loading is gathered into one report.
    let mut diags = loaded.warnings;
    let mut tree = loaded.tree;
    diags.absorb(check_name(&tree))?;
    let late_errors = add_git(&mut tree, &loaded.bundle_dir, &mut diags);
    let selected = diags.absorb(target::select(&mut tree, opts.target))?;
    if let Some(pr) = opts.pr {
        let dev = selected.mode.as_deref() == Some("development");
        let short = identity.short_name();
        super::pr_overlay::apply(&mut tree, pr, dev.then_some(short.as_str()));
    }
    super::api_rules::normalize(&mut tree, &mut diags);
    if let Some(host) = opts.host {
        let here = Loc::synthetic("(built in)");
        let ws = ensure_map(&mut tree, "workspace", &here);
        if ws.get("host").is_none() {
            ws.insert(
                Key {
                    name: "host".into(),
                    loc: here.clone(),
                },
                Node::new(Kind::Str(host.to_string()), here),
            );
        }
    }
    super::merge::merge_pipeline_clusters(&mut tree, &mut diags);
    super::settings_checks::check(&tree, &mut diags);
    let overrides =
        super::variables::overrides_file(&loaded.bundle_dir, &selected.name, &mut diags);
    let variables = collect(
        &tree,
        &selected.variables,
        overrides.as_ref(),
        opts.vars,
        opts.env,
        &mut diags,
    );
    unassigned(&variables, &selected.name, &mut diags);
    super::cli_warnings::merged(&tree, &mut diags);
    super::unsupported::kinds(&tree, &mut diags);
    let python = super::python::check(&tree, &loaded.bundle_dir, opts.env, &mut diags);
    // Python's paths are relative to the bundle's folder, its places to that folder too:
    // not yet translated through a wider sync root.
    if let Some(py) = &python
        && loaded.root != loaded.bundle_dir
    {
        let (loc, section) = py.place();
        diags.push(
            loc,
            section,
            "Python resources in a bundle whose sync.paths reach outside its folder are not supported yet",
        );
    }
    // What is wrong as written, so it is reported with the rest, before any request: local
    // files that must never be read and what the Jobs and Permissions APIs would refuse.
    paths::refusals(&tree, &loaded.root, &mut diags);
    super::api_rules::tree(&tree, &mut diags);
    super::wheel_compute::check(&tree, &mut diags);
    resources::undefined(&tree, &mut diags);
    diags.check()?;
    fill_builtins(&mut tree, &selected, &identity, &variables);
    // Lookup names may use references (`${bundle.target}-pool`); resolve just those.
    let mut resolver = Resolver::new(&tree);
    let mut lookups = Vec::new();
    for var in variables.values() {
        if let Some(l) = &var.lookup {
            let name = resolver.resolve(&l.name, &format!("variables.{}.lookup", var.name));
            lookups.push(LookupRequest {
                variable: var.name.clone(),
                kind: l.kind.clone(),
                name: name.as_str().unwrap_or_default().to_string(),
                loc: l.name.loc.clone(),
            });
        }
    }
    diags.absorb(resolver.diags.check())?;
    // The bundle's Python resources, with every other static problem when what they get is
    // known before any request (the same run serves the later passes).
    if let Some(py) = &python {
        super::python::run_early(
            py,
            &tree,
            &loaded.bundle_dir,
            !lookups.is_empty(),
            &mut diags,
        );
        diags.check()?;
    }
    Ok(Prepared {
        root: loaded.root,
        bundle_dir: loaded.bundle_dir,
        sync_paths: loaded.sync_paths,
        tree,
        selected,
        variables,
        identity,
        lookups,
        warnings: diags,
        python,
        late_errors,
        include_places: loaded.include_places,
    })
}

/// `bundle.git`: what the checkout says, under anything the user set. What could not be
/// read is a warning; a repository that cannot be opened is also the returned (late) error.
fn add_git(tree: &mut Node, root: &std::path::Path, diags: &mut Diagnostics) -> Diagnostics {
    let info = super::git::read(root);
    let here = Loc::synthetic("(git)");
    for w in &info.warnings {
        diags.warn(&here, "", w);
    }
    let mut late = Diagnostics::default();
    if let Some(why) = &info.error {
        late.push(&here, "", why);
    }
    let mut git = Node::new(Kind::Map(Vec::new()), here.clone());
    let fields = [
        ("bundle_root_path", Some(info.bundle_root_path)),
        ("branch", info.branch.clone()),
        ("actual_branch", info.branch),
        ("commit", info.commit),
        ("origin_url", info.origin_url),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            let key = Key {
                name: k.into(),
                loc: here.clone(),
            };
            git.insert(key, Node::new(Kind::Str(v), here.clone()));
        }
    }
    let bundle = ensure_map(tree, "bundle", &here);
    match bundle.get_mut("git") {
        Some(user) if matches!(user.kind, Kind::Map(_)) => {
            let mut merged = git;
            // Both are maps of strings: nothing to report.
            let mut ignored = Diagnostics::default();
            super::merge::merge(&mut merged, user.clone(), "bundle.git", &mut ignored);
            *user = merged;
        }
        _ => bundle.insert(
            Key {
                name: "git".into(),
                loc: here.clone(),
            },
            git,
        ),
    }
    late
}

/// `bundle.name` names everything else (paths, state); it must be there before anything
/// refers to it.
fn check_name(tree: &Node) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::default();
    match (
        tree.key("bundle"),
        tree.get("bundle").and_then(|b| b.get("name")),
    ) {
        (_, Some(n)) if n.as_str().is_some_and(|s| !s.trim().is_empty()) => {}
        (_, Some(n)) => diags.push(&n.loc, "bundle.name", "must be a non-empty string"),
        (Some(k), None) => diags.push(&k.loc, "bundle.name", "is required"),
        (None, None) => diags.push(
            &tree.loc,
            "bundle.name",
            "is required (add `bundle: {name: ...}`)",
        ),
    }
    diags.check()
}

/// A variable with no value from anywhere (and no lookup to give one) is an error before
/// any request.
fn unassigned(variables: &BTreeMap<String, Variable>, target: &str, diags: &mut Diagnostics) {
    for var in variables.values() {
        if var.value.is_none() && var.lookup.is_none() {
            diags.push(
                &var.loc,
                format!("variables.{}", var.name),
                format!(
                    "no value assigned to required variable {0}: give a default, set it in the target, pass --var {0}=..., set BUNDLE_VAR_{0}, or put it in .databricks/bundle/{1}/variable-overrides.json",
                    var.name, target
                ),
            );
        }
    }
}

/// Puts `bundle.target`, the current user, workspace defaults and variable values into the
/// tree so that references to them resolve like any other setting.
fn fill_builtins(
    tree: &mut Node,
    selected: &Selected,
    identity: &Identity,
    variables: &BTreeMap<String, Variable>,
) {
    let here = Loc::synthetic("(built in)");
    let key = |name: &str| Key {
        name: name.to_string(),
        loc: here.clone(),
    };
    let text = |s: &str| Node::new(Kind::Str(s.to_string()), here.clone());
    let bundle = ensure_map(tree, "bundle", &here);
    bundle.insert(key("target"), text(&selected.name));
    // The target's mode and cluster override, for `${bundle.mode}` / `${bundle.cluster_id}`.
    if let Some(mode) = &selected.mode {
        bundle.insert(key("mode"), text(mode));
    }
    if let Some(cluster) = &selected.cluster_id {
        bundle.insert(key("cluster_id"), cluster.clone());
    }
    let ws = ensure_map(tree, "workspace", &here);
    let mut user = Node::new(Kind::Map(Vec::new()), here.clone());
    user.insert(key("userName"), text(&identity.user_name));
    user.insert(key("short_name"), text(&identity.short_name()));
    user.insert(
        key("domain_friendly_name"),
        text(&identity.domain_friendly_name()),
    );
    if let Some(d) = &identity.display_name {
        user.insert(key("displayName"), text(d));
    }
    if let Some(id) = &identity.id {
        user.insert(key("id"), text(id));
    }
    ws.insert(key("current_user"), user);
    let defaults = [
        ("root_path", "~/.bundle/${bundle.name}/${bundle.target}"),
        ("file_path", "${workspace.root_path}/files"),
        ("artifact_path", "${workspace.root_path}/artifacts"),
        ("state_path", "${workspace.root_path}/state"),
        ("resource_path", "${workspace.root_path}/resources"),
    ];
    for (k, v) in defaults {
        if ws.get(k).is_none() {
            ws.insert(key(k), text(v));
        }
        // `~` is the deploying user's home folder; other absolute paths live in /Workspace.
        if let Some(Kind::Str(s)) = ws.get_mut(k).map(|n| &mut n.kind) {
            if let Some(rest) = s.strip_prefix('~') {
                *s = format!("/Workspace/Users/{}{rest}", identity.user_name);
            } else if let Some(p) = super::workspace_prefix::prefixed(s) {
                *s = p;
            }
        }
    }
    let vars = ensure_map(tree, "variables", &here);
    for (name, var) in variables {
        if let (Some(decl), Some(value)) = (vars.get_mut(name), &var.value) {
            if decl.is_null() {
                decl.kind = Kind::Map(Vec::new());
            }
            decl.insert(key("value"), value.clone());
        }
        // A target's value replaced the declared default (`validate -o json` shows it).
        if let (Some(decl), Some(default)) = (vars.get_mut(name), &var.default) {
            decl.insert(key("default"), default.clone());
        }
    }
}

fn ensure_map<'t>(tree: &'t mut Node, name: &str, loc: &Loc) -> &'t mut Node {
    if tree.get(name).is_none_or(Node::is_null) {
        tree.insert(
            Key {
                name: name.to_string(),
                loc: loc.clone(),
            },
            Node::new(Kind::Map(Vec::new()), loc.clone()),
        );
    }
    tree.get_mut(name).expect("inserted above")
}

impl Prepared {
    /// `workspace.host` as written for the target, when it holds no reference (one can
    /// only be resolved by `finish`), and the target's name.
    pub fn literal_host(&self) -> (Option<&str>, &str) {
        let host = find(&self.tree, "workspace.host")
            .and_then(Node::as_str)
            .filter(|h| !h.contains("${"));
        (host, &self.selected.name)
    }

    /// The sync root, `sync.paths`, and the `sync.include` / `sync.exclude` globs, all
    /// relative to the sync root.
    pub fn sync_globs(&self) -> (&std::path::Path, &[String], Vec<String>, Vec<String>) {
        let mut ignored = Diagnostics::default();
        let (include, exclude) = super::resources::sync(&self.tree, &mut ignored);
        let (include, exclude) = (self.rebase(include), self.rebase(exclude));
        (&self.root, &self.sync_paths, include, exclude)
    }

    /// Globs written relative to the bundle's folder, made relative to the sync root.
    fn rebase(&self, globs: Vec<String>) -> Vec<String> {
        let prefix = super::sync_root::relative(&self.root, &self.bundle_dir);
        if prefix == "." {
            return globs;
        }
        globs.into_iter().map(|g| format!("{prefix}/{g}")).collect()
    }

    /// Completes loading with the lookups' answers (`variable -> id`, or why not found).
    /// The bundle's diagnostics may hold errors that left the configuration whole
    /// ([`Diagnostics::has_errors`]): a command fails on them, `validate` after its output.
    pub fn finish(
        mut self,
        answers: &BTreeMap<String, Result<String, String>>,
    ) -> Result<Bundle, Diagnostics> {
        let late = std::mem::take(&mut self.late_errors);
        match self.complete(answers) {
            Ok(mut bundle) => {
                bundle.warnings.extend(late);
                Ok(bundle)
            }
            Err(mut diags) => {
                diags.extend(late);
                Err(diags)
            }
        }
    }

    fn complete(
        mut self,
        answers: &BTreeMap<String, Result<String, String>>,
    ) -> Result<Bundle, Diagnostics> {
        let mut diags = std::mem::take(&mut self.warnings);
        for l in &self.lookups {
            match answers.get(&l.variable) {
                Some(Ok(id)) => {
                    let var = self
                        .variables
                        .get_mut(&l.variable)
                        .expect("lookup of a declared variable");
                    var.value = Some(Node::new(Kind::Str(id.clone()), l.loc.clone()));
                }
                Some(Err(why)) => diags.push(
                    &l.loc,
                    format!("variables.{}.lookup.{}", l.variable, l.kind),
                    why.clone(),
                ),
                None => diags.push(
                    &l.loc,
                    format!("variables.{}.lookup", l.variable),
                    "the lookup was not answered",
                ),
            }
        }
        diags.check()?;
        fill_builtins(
            &mut self.tree,
            &self.selected,
            &self.identity,
            &self.variables,
        );
        super::workspace_prefix::drop_doubled_prefixes(&mut self.tree, "", &mut diags);
        // Python's resources join before presets, so they get them as YAML ones do.
        if let Some(py) = &self.python {
            super::python::run(py, &mut self.tree, &self.bundle_dir, &mut diags);
            diags.check()?;
        }
        // The bundle's folder relative to the sync root (`""`: the same).
        let bundle_dir = match super::sync_root::relative(&self.root, &self.bundle_dir) {
            d if d == "." => String::new(),
            d => d,
        };
        // Before presets, which then apply to the file's definition as to a YAML one.
        super::alert_files::inline(&mut self.tree, &self.root, &bundle_dir, &mut diags);
        // Before presets: a reference follows the name development mode gives its target.
        super::uc_dependencies::capture(&mut self.tree);
        super::presets::apply(&mut self.tree, &self.selected, &self.identity, &mut diags);
        diags.check()?;
        let mut resolver = Resolver::new(&self.tree);
        let mut tree = resolver.resolve(&self.tree, "");
        diags.extend(std::mem::take(&mut resolver.diags));
        super::merge::merge_jobs_by_resolved_key(&mut tree, &mut diags);
        super::settings_checks::check_resolved(&tree, &mut diags);
        if !super::presets::legacy_run_as(&tree, &mut Diagnostics::default()) {
            super::settings_checks::embedded_dashboards(
                &tree,
                &self.identity.user_name,
                &mut diags,
            );
        }
        super::merge::merge_pipeline_clusters(&mut tree, &mut diags);
        let name = match find(&tree, "bundle.name").map(|n| (n.as_str(), n)) {
            Some((Some(n), _)) if !n.is_empty() => n.to_string(),
            Some((_, n)) => {
                diags.push(&n.loc, "bundle.name", "must be a non-empty string");
                String::new()
            }
            None => {
                diags.push(&tree.loc, "bundle.name", "is required");
                String::new()
            }
        };
        let workspace = workspace(&tree, &self.identity, &mut diags);
        let mode = self.selected.mode.clone();
        let paths_under = super::immutable_folder::paths_workspace(&tree, &workspace, &mut diags);
        // Before paths are translated: a local library is still written as one.
        let wheel_clusters = super::wheel_compute::by_id(&tree);
        // What only the API or the build would refuse is a deploy error: `validate` shows it
        // as a warning, as the Databricks CLI's validate passes it; plan and deploy refuse it
        // before a write.
        let (resources, referenced) =
            resources::collect(&mut tree, &self.root, &paths_under, &mut diags);
        let artifacts = super::artifacts::collect(&tree, &self.root, &bundle_dir, &mut diags);
        paths::missing_libraries(&referenced, &artifacts, &mut diags);
        let (sync_include, sync_exclude) = resources::sync(&tree, &mut diags);
        let (sync_include, sync_exclude) = (self.rebase(sync_include), self.rebase(sync_exclude));
        if let Some(p) = find(&tree, "permissions").filter(|p| p.items().is_some()) {
            super::api_rules::permissions("", p, "permissions", &mut diags);
        }
        super::permissions::overlaps(&tree, &resources, &mut diags);
        let permissions = find(&tree, "permissions").map(Node::to_json);
        let permissions = match permissions {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => {
                let loc = find(&tree, "permissions")
                    .map(|n| n.loc.clone())
                    .unwrap_or(tree.loc.clone());
                diags.push(
                    &loc,
                    "permissions",
                    "must be a list of {level, user_name|group_name|service_principal_name}",
                );
                Vec::new()
            }
        };
        super::modes::check(
            &self.selected,
            &tree,
            &workspace,
            &self.identity,
            &resources,
            &mut diags,
        );
        let referenced = paths::referenced(&referenced);
        diags.check()?;
        Ok(Bundle {
            root: self.root,
            bundle_dir: self.bundle_dir,
            sync_paths: self.sync_paths,
            name,
            target: self.selected.name,
            mode,
            identity: self.identity,
            workspace,
            variables: self.variables,
            resources,
            artifacts,
            sync_include,
            sync_exclude,
            permissions,
            referenced,
            tree,
            written: self.tree,
            include_places: self.include_places,
            wheel_clusters,
            warnings: diags,
        })
    }
}

fn workspace(tree: &Node, identity: &Identity, diags: &mut Diagnostics) -> Workspace {
    let get = |k: &str, diags: &mut Diagnostics| -> String {
        let Some(node) = find(tree, &format!("workspace.{k}")) else {
            return String::new();
        };
        // Defaults derive from root_path: a mistake there is reported once, at root_path.
        if node.loc.line == 0 {
            let s = node.as_str().unwrap_or_default();
            return s.strip_prefix('~').map_or_else(
                || s.to_string(),
                |rest| format!("/Workspace/Users/{}{rest}", identity.user_name),
            );
        }
        let Some(s) = node.as_str() else {
            diags.push(&node.loc, format!("workspace.{k}"), "must be a string");
            return String::new();
        };
        let s = match s.strip_prefix('~') {
            Some(rest) => format!("/Workspace/Users/{}{rest}", identity.user_name),
            None => s.to_string(),
        };
        // Artifacts may also go to DBFS (streamed in blocks); everything else is a workspace
        // or volume path.
        let dbfs_artifacts = k == "artifact_path" && s.starts_with("dbfs:/");
        // The CLI's validate takes a relative path as written; only a deploy goes wrong.
        if !s.is_empty() && !s.starts_with('/') && !dbfs_artifacts {
            diags.deploy_error(
                &node.loc,
                format!("workspace.{k}"),
                if k == "artifact_path" {
                    "must be an absolute workspace path, a /Volumes/ path or dbfs:/..."
                } else {
                    "must be an absolute workspace path"
                },
            );
        }
        if s.split('/').any(|p| p == "..") {
            diags.push(&node.loc, format!("workspace.{k}"), "must not contain `..`");
        }
        s.trim_end_matches('/').to_string()
    };
    Workspace {
        host: find(tree, "workspace.host")
            .and_then(Node::as_str)
            .map(str::to_string),
        root_path: get("root_path", diags),
        file_path: get("file_path", diags),
        artifact_path: get("artifact_path", diags),
        state_path: get("state_path", diags),
        resource_path: get("resource_path", diags),
    }
}
