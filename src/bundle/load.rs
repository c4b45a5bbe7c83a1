//! Reads `databricks.yml` and the files its `include:` globs name into one tree, checking
//! top-level keys and that no resource is defined in two files. Everything else (variables,
//! targets, artifacts, ...) merges, as the Databricks CLI merges included files into the root.

use std::path::{Path, PathBuf};

use super::error::Diagnostics;
use super::local_file::{Refused, Roots};
use super::merge::merge;
use super::sync_root;
use super::yaml::{Kind, Node, parse_bundle_file};

/// The root file's accepted names, in the order the Databricks CLI looks for them.
pub const ROOT_FILES: &[&str] = &[
    "databricks.yml",
    "databricks.yaml",
    "bundle.yml",
    "bundle.yaml",
];

/// Top-level keys of the bundle format (others are warned about and ignored, as the
/// Databricks CLI does).
const TOP_LEVEL: &[&str] = &[
    "bundle",
    "include",
    "variables",
    "workspace",
    "artifacts",
    "resources",
    "targets",
    "environments",
    "sync",
    "permissions",
    "run_as",
    "presets",
    "experimental",
    "scripts",
    "python",
    // brickci's own: callbacks (the Databricks CLI warns about it and deploys the rest).
    "brickci",
];

/// The merged configuration and where it came from.
pub struct Loaded {
    /// The sync root (the bundle's folder unless `sync.paths` reach outside it); every path
    /// in `Loc`s is relative to it.
    pub root: PathBuf,
    /// The bundle's folder (holding `databricks.yml` and `.databricks/`).
    pub bundle_dir: PathBuf,
    /// `sync.paths` relative to the sync root (`["."]` when unset and the roots agree).
    pub sync_paths: Vec<String>,
    pub tree: Node,
    /// What the files hold that the format does not know (ignored).
    pub warnings: Diagnostics,
    /// Where the root file's `include` list was (it leaves the tree once read), for
    /// `--include-locations`.
    pub include_places: Vec<super::yaml::Loc>,
}

/// Finds the root file in `dir`.
pub fn find_root_file(dir: &Path) -> Option<PathBuf> {
    ROOT_FILES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// The bundle in `dir` (or the nearest folder above holding the root file); `target` is the
/// one asked for (`-t`), whose `sync.paths` move the sync root as the top level's do.
pub fn load(dir: &Path, target: Option<&str>) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::default();
    // Absolute, so glob matches and the root share one spelling.
    let start = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    // As the Databricks CLI: from a folder inside the bundle, the nearest parent holding
    // the root file is the bundle.
    let found = start
        .ancestors()
        .find_map(|d| find_root_file(d).map(|f| (d.to_path_buf(), f)));
    let Some((dir, file)) = found else {
        let dir = &start;
        let loc = super::yaml::Loc::synthetic(&dir.display().to_string());
        diags.push(
            &loc,
            "",
            "no databricks.yml here (run from the bundle's folder or pass --bundle-dir)",
        );
        return Err(diags);
    };
    let dir = &dir;
    // As the Databricks CLI: include globs are matched under the root, so the root's own
    // path must not read as a pattern.
    if let Some(c) = dir
        .to_string_lossy()
        .chars()
        .find(|c| matches!(c, '*' | '?' | '[' | ']'))
    {
        let loc = super::yaml::Loc::synthetic(&dir.display().to_string());
        diags.push(
            &loc,
            "",
            format!("the bundle's folder contains the glob pattern character {c:?}; rename the folder to use it as a bundle"),
        );
        return Err(diags);
    }
    let name = file.file_name().map(PathBuf::from).unwrap_or_default();
    // The sync root depends on `sync.paths`, which included files may set too: read from
    // the bundle's folder, then again from the wider root they name until it holds still
    // (each pass moves up, so this ends).
    // The root file's own paths first: their refusal names the cause before any include
    // (which may need the wider root) is tried.
    // Its warnings come again when the whole tree is read.
    let first = diags.absorb(read(
        &Roots::new(dir),
        dir,
        &name,
        &mut Diagnostics::default(),
    ))?;
    let (paths, at) = sync_paths(&first, target, dir, dir);
    let mut base = sync_root::infer(dir, &paths);
    if let Err(why) = sync_root::check_in_repo(dir, &base) {
        diags.push(&at.unwrap_or_else(|| first.loc.clone()), "sync.paths", why);
        return Err(diags);
    }
    loop {
        // Each pass starts afresh: an earlier pass's warnings would repeat.
        let (mut tree, diags, include_places) = load_at(dir, &base, &name, Diagnostics::default())?;
        let (paths, at) = sync_paths(&tree, target, &base, dir);
        let wider = sync_root::infer(dir, &paths);
        if wider != base {
            let mut diags = diags;
            if let Err(why) = sync_root::check_in_repo(dir, &wider) {
                diags.push(&at.unwrap_or_else(|| tree.loc.clone()), "sync.paths", why);
                return Err(diags);
            }
            base = wider;
            continue;
        }
        let sync_paths = if paths.is_empty() {
            vec![sync_root::relative(&base, dir)]
        } else {
            sync_root::rewrite(dir, &base, &paths)
        };
        rewrite_in_tree(&mut tree, target, &sync_paths);
        return Ok(Loaded {
            root: base,
            bundle_dir: dir.to_path_buf(),
            sync_paths,
            tree,
            warnings: diags,
            include_places,
        });
    }
}

/// The root file `name` (in the bundle's folder `dir`) and its includes merged, every
/// place relative to the sync root `base`.
fn load_at(
    dir: &Path,
    base: &Path,
    name: &Path,
    mut diags: Diagnostics,
) -> Result<(Node, Diagnostics, Vec<super::yaml::Loc>), Diagnostics> {
    let roots = Roots::new(&sync_root::include_boundary(dir, base));
    let name = PathBuf::from(sync_root::relative(base, &dir.join(name)));
    let root = read(&roots, base, &name, &mut diags);
    let mut tree = diags.absorb(root)?;
    check_top_level(&mut tree, false, &mut diags);
    let includes = tree.remove("include");
    let include_places = includes.iter().flat_map(|n| n.places().cloned()).collect();
    for rel in include_files(dir, base, &roots, includes.as_ref(), &mut diags) {
        if rel == name {
            continue;
        }
        let mut doc = match read(&roots, base, &rel, &mut diags) {
            Ok(d) => d,
            Err(e) => {
                diags.0.extend(e.0);
                continue;
            }
        };
        check_top_level(&mut doc, true, &mut diags);
        check_duplicates(&tree, &doc, &mut diags);
        merge(&mut tree, doc, "", &mut diags);
    }
    diags.check()?;
    Ok((tree, diags, include_places))
}

/// The `sync.paths` lists that make the sync root: the top level's, then the target's
/// (a target's list is appended to the top level's when it is selected).
fn sync_lists<'t>(tree: &'t Node, target: Option<&str>) -> Vec<&'t Node> {
    let top = tree.get("sync").and_then(|s| s.get("paths"));
    let chosen = super::target::chosen(tree, target)
        .and_then(|t| t.get("sync"))
        .and_then(|s| s.get("paths"));
    top.into_iter().chain(chosen).collect()
}

/// The merged `sync.paths`, each made relative to the bundle's folder `dir` from the file
/// that wrote it (places are relative to `base`), and where the list is written.
fn sync_paths(
    tree: &Node,
    target: Option<&str>,
    base: &Path,
    dir: &Path,
) -> (Vec<String>, Option<super::yaml::Loc>) {
    let lists = sync_lists(tree, target);
    let paths = lists
        .iter()
        .flat_map(|n| n.items().unwrap_or_default())
        .filter_map(|i| {
            let full = sync_root::normalize(&base.join(i.loc.dir()).join(i.as_str()?))?;
            Some(sync_root::relative(dir, &full))
        })
        .collect();
    (paths, lists.first().map(|n| n.loc.clone()))
}

/// `sync.paths` as the CLI shows them after its rewrite: relative to the sync root (the
/// top level's items, then the target's, as [`sync_paths`] lists them).
fn rewrite_in_tree(tree: &mut Node, target: Option<&str>, rewritten: &[String]) {
    let mut rewritten = rewritten.iter();
    let mut rewrite = |list: Option<&mut Node>| {
        let Some(Kind::Seq(items)) = list.map(|n| &mut n.kind) else {
            return;
        };
        let strings = items.iter_mut().filter(|i| i.as_str().is_some());
        for (item, new) in strings.zip(rewritten.by_ref()) {
            item.kind = Kind::Str(new.clone());
        }
    };
    rewrite(tree.get_mut("sync").and_then(|s| s.get_mut("paths")));
    if let Some(name) = target_name(tree, target) {
        let targets = match tree.get("targets") {
            Some(_) => "targets",
            None => "environments",
        };
        let list = tree
            .get_mut(targets)
            .and_then(|t| t.get_mut(&name))
            .and_then(|t| t.get_mut("sync"))
            .and_then(|s| s.get_mut("paths"));
        rewrite(list);
    }
}

/// The key of the target [`super::target::chosen`] picks.
fn target_name(tree: &Node, target: Option<&str>) -> Option<String> {
    let chosen = super::target::chosen(tree, target)?;
    let entries = tree
        .get("targets")
        .or_else(|| tree.get("environments"))?
        .entries()?;
    entries
        .iter()
        .find(|(_, v)| std::ptr::eq(v, chosen))
        .map(|(k, _)| k.name.clone())
}

/// The file at `rel` (relative to `base`, may start with `..`), opened within `roots`.
/// One file, parsed; a key given twice in one map takes its last value, with a warning
/// (the CLI takes the last value silently; a repeated key is most often a slip).
fn read(
    roots: &Roots,
    base: &Path,
    rel: &Path,
    warnings: &mut Diagnostics,
) -> Result<Node, Diagnostics> {
    let fail = |why: String| {
        let mut d = Diagnostics::default();
        d.push(
            &super::yaml::Loc::synthetic(&rel.display().to_string()),
            "",
            why,
        );
        d
    };
    let full = sync_root::normalize(&base.join(rel)).unwrap_or_else(|| base.join(rel));
    let bytes = roots.read(&full).map_err(|e| fail(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| fail("cannot read: not UTF-8 text".into()))?;
    let (node, repeated) = parse_bundle_file(rel, &text).map_err(|e| {
        let mut d = Diagnostics::default();
        d.push(&e.loc, "", format!("invalid YAML: {}", e.message));
        d
    })?;
    for key in repeated {
        warnings.warn(
            &key.loc,
            "",
            format!(
                "duplicate mapping key: {} (the last value is taken)",
                key.name
            ),
        );
    }
    if !matches!(node.kind, Kind::Map(_)) {
        let mut d = Diagnostics::default();
        d.push(&node.loc, "", "the file must hold a map of settings");
        return Err(d);
    }
    Ok(node)
}

/// The files the include globs (relative to the bundle folder `dir`) match, relative to the
/// sync root `base`, sorted, each once; each must resolve within `roots`.
fn include_files(
    dir: &Path,
    base: &Path,
    roots: &Roots,
    includes: Option<&Node>,
    diags: &mut Diagnostics,
) -> Vec<PathBuf> {
    let Some(includes) = includes else {
        return Vec::new();
    };
    let Some(items) = includes.items() else {
        diags.push(&includes.loc, "include", "must be a list of file globs");
        return Vec::new();
    };
    let mut files = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let key = format!("include[{i}]");
        let Some(pattern) = item.as_str() else {
            diags.push(&item.loc, key, "must be a string");
            continue;
        };
        // `..` may reach a shared folder (the CLI allows it), never above the repository.
        let Some(full) = sync_root::normalize(&dir.join(pattern.replace("**", "*")))
            .filter(|f| !Path::new(pattern).is_absolute() && roots.contains(f))
        else {
            diags.push(
                &item.loc,
                key,
                "must stay inside the bundle's repository (or the folder above the bundle)",
            );
            continue;
        };
        // Go's filepath.Glob, which the CLI uses, has no `**`: it is `*`, one path segment.
        let matches = match glob::glob(&full.to_string_lossy()) {
            Ok(m) => m,
            Err(e) => {
                diags.push(&item.loc, key, format!("bad glob {pattern:?}: {e}"));
                continue;
            }
        };
        // Every match is resolved: one leading out of the bundle or onto a special file is
        // refused here, with the `include` entry that matched it.
        let mut found: Vec<PathBuf> = Vec::new();
        for p in matches.filter_map(Result::ok) {
            match roots.file(&p) {
                Ok(_) => found.push(PathBuf::from(sync_root::relative(base, &p))),
                Err(Refused::Special { what: "folder", .. }) => {}
                Err(e) => diags.push(&item.loc, &key, e.to_string()),
            }
        }
        if found.is_empty() && !pattern.contains(['*', '?', '[']) && !full.exists() {
            diags.push(&item.loc, &key, format!("{pattern} does not exist"));
        }
        // Only YAML or JSON configuration may be included (the CLI's rule).
        let (mut found, others): (Vec<PathBuf>, Vec<PathBuf>) = found.into_iter().partition(|f| {
            matches!(
                f.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml" | "json")
            )
        });
        for f in others {
            diags.push(
                &item.loc,
                &key,
                format!(
                    "{} is not a YAML or JSON file; files to upload belong in sync.include",
                    f.display()
                ),
            );
        }
        found.sort();
        files.extend(found);
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    files
}

fn check_top_level(doc: &mut Node, included: bool, diags: &mut Diagnostics) {
    super::known_fields::check(doc, TOP_LEVEL, diags);
    super::cli_warnings::file(doc, diags);
    super::cli_warnings::resources_not_maps(doc, diags);
    // The CLI applies only the root file's includes and warns about the others.
    if included && let Some(key) = doc.key("include") {
        diags.warn(
            &key.loc,
            "include",
            "only databricks.yml may include other files (ignored)",
        );
        doc.remove("include");
    }
}

/// Reports resources that `doc` defines again (`resources.<kind>.<key>` must be unique
/// across files; the CLI's unique_resource_keys). Variables, targets and artifacts defined
/// in several files merge key by key, as in the CLI.
fn check_duplicates(tree: &Node, doc: &Node, diags: &mut Diagnostics) {
    let kinds = doc
        .get("resources")
        .and_then(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| {
            let have = tree.get("resources")?.get(&k.name)?;
            Some((format!("resources.{}", k.name), have, v))
        });
    for (section, have, add) in kinds {
        for (key, _) in add.entries().unwrap_or_default() {
            if let Some(first) = have.key(&key.name) {
                diags.push(
                    &key.loc,
                    format!("{section}.{}", key.name),
                    format!("defined twice; first at {}", first.loc),
                );
            }
        }
    }
}
