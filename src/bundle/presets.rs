//! What the Databricks CLI adds to resources before they are resolved, so brickci deploys
//! (and `validate` prints) the same settings: defaults (job `max_concurrent_runs`, `queue`,
//! `deployment` metadata, `edit_mode`, `format`; pipeline `edition`, `channel`; cluster
//! auto-termination; volume type), `presets:` (name prefix, tags, concurrent runs, paused
//! triggers, pipelines in development; development mode fills the unset ones),
//! `run_as`, and a target's `cluster_id`.
//! Applied before interpolation, so `${resources.schemas.x.name}` sees the prefixed name.

use super::error::Diagnostics;
use super::model::Identity;
use super::target::Selected;
use super::yaml::{Key, Kind, Loc, Node};

pub(crate) fn text(s: &str, loc: &Loc) -> Node {
    Node::new(Kind::Str(s.to_string()), loc.clone())
}

pub(crate) fn key(name: &str, loc: &Loc) -> Key {
    Key {
        name: name.to_string(),
        loc: loc.clone(),
    }
}

pub(crate) fn default(settings: &mut Node, field: &str, value: Node) {
    if settings.get(field).is_none() {
        let loc = value.loc.clone();
        settings.insert(key(field, &loc), value);
    }
}

pub(crate) fn map(entries: Vec<(&str, Node)>, loc: &Loc) -> Node {
    Node::new(
        Kind::Map(entries.into_iter().map(|(k, v)| (key(k, loc), v)).collect()),
        loc.clone(),
    )
}

/// The `presets:` section, with what development mode fills in where it is unset
/// (the CLI's apply_target_mode.go).
#[derive(Debug, Default)]
pub(crate) struct Presets {
    pub name_prefix: String,
    pub tags: Vec<(String, String)>,
    pub jobs_max_concurrent_runs: Option<i64>,
    pub trigger_pause_status: Option<String>,
    pub pipelines_development: Option<bool>,
}

/// What a kind's presets (`KindSpec::presets`) see of one resource and the bundle.
pub struct PresetCtx<'a> {
    /// The resource's key.
    pub key: &'a str,
    pub loc: &'a Loc,
    pub(crate) presets: &'a Presets,
    /// The name prefix as given (`[dev jane] `).
    pub prefix: &'a str,
    /// The name prefix as Unity Catalog and serving endpoints take it (`dev_jane_`).
    pub uc_prefix: &'a str,
    pub skip_schema_prefix: bool,
    /// The bundle's `run_as`, if any.
    pub run_as: Option<&'a Node>,
    /// The target's `cluster_id`, if any.
    pub cluster_id: Option<&'a Node>,
    pub diags: &'a mut Diagnostics,
    /// Where `resources.<kind>` is, and whether this is its first resource.
    pub kind_loc: &'a Loc,
    pub first_of_kind: bool,
    /// The deploying user, and the `run_as` identity when it is someone else.
    pub me: &'a str,
    pub run_as_other: Option<&'a str>,
    /// `experimental.use_legacy_run_as`: pipelines are owned by the `run_as` identity instead
    /// of running as it, and no kind is refused for a different `run_as`.
    pub legacy_run_as: bool,
}

impl PresetCtx<'_> {
    /// The tags presets add (sorted).
    pub fn tags(&self) -> &[(String, String)] {
        &self.presets.tags
    }

    /// For kinds whose API cannot act as another identity: the CLI's error when `run_as`
    /// names someone other than the deploying user, once per kind.
    pub fn refuse_other_run_as(&mut self, kind: &str) {
        let (Some(who), true, false) = (self.run_as_other, self.first_of_kind, self.legacy_run_as)
        else {
            return;
        };
        self.diags.push(
            self.kind_loc,
            format!("resources.{kind}"),
            format!(
                "{kind} do not support a setting a run_as user that is different from the owner (current identity: {}, run as identity: {who}); see https://docs.databricks.com/dev-tools/bundles/run-as.html",
                self.me
            ),
        );
    }
}

fn presets(tree: &Node, dev: bool, short: &str, diags: &mut Diagnostics) -> Presets {
    let mut p = Presets::default();
    let section = tree.get("presets").filter(|n| !n.is_null());
    if let Some(section) = section.filter(|n| !matches!(n.kind, Kind::Map(_))) {
        diags.push(&section.loc, "presets", "must be a map");
    }
    for (k, v) in section.and_then(Node::entries).unwrap_or_default() {
        let path = format!("presets.{}", k.name);
        match (k.name.as_str(), &v.kind) {
            (_, Kind::Null) => {}
            ("name_prefix", Kind::Str(s)) => p.name_prefix = s.clone(),
            ("tags", Kind::Map(tags)) => {
                for (tk, tv) in tags {
                    match &tv.kind {
                        Kind::Str(s) => p.tags.push((tk.name.clone(), s.clone())),
                        _ => diags.push(&tv.loc, format!("{path}.{}", tk.name), "must be a string"),
                    }
                }
            }
            // 0 means unset, as in the CLI.
            ("jobs_max_concurrent_runs", Kind::Int(0)) => {}
            ("jobs_max_concurrent_runs", Kind::Int(n)) => p.jobs_max_concurrent_runs = Some(*n),
            ("trigger_pause_status", Kind::Str(s)) if s == "PAUSED" || s == "UNPAUSED" => {
                if dev && s == "UNPAUSED" {
                    diags.push(
                        &v.loc,
                        path,
                        "a target with `mode: development` cannot unpause triggers by default",
                    );
                }
                p.trigger_pause_status = Some(s.clone());
            }
            ("trigger_pause_status", _) => diags.push(&v.loc, path, "must be PAUSED or UNPAUSED"),
            ("pipelines_development", Kind::Bool(b)) => p.pipelines_development = Some(*b),
            ("name_prefix", _) => diags.push(&v.loc, path, "must be a string"),
            ("tags", _) => diags.push(&v.loc, path, "must be a map of strings"),
            ("jobs_max_concurrent_runs", _) => diags.push(&v.loc, path, "must be a number"),
            ("pipelines_development", _) => diags.push(&v.loc, path, "must be true or false"),
            // Other presets (source_linked_deployment, artifacts_dynamic_version, ...)
            // change nothing brickci deploys.
            _ => {}
        }
    }
    if dev {
        if p.name_prefix.is_empty() {
            p.name_prefix = format!("[dev {short}] ");
        }
        if !p.tags.iter().any(|(k, _)| k == "dev") {
            p.tags.push(("dev".into(), short.to_string()));
        }
        p.jobs_max_concurrent_runs.get_or_insert(4);
        p.trigger_pause_status
            .get_or_insert_with(|| "PAUSED".into());
        if p.pipelines_development != Some(false) {
            p.pipelines_development = Some(true);
        }
    }
    p.tags.sort();
    p
}

/// Adds `tags` a map lacks (`tags`, `custom_tags`).
pub(crate) fn tag_map(settings: &mut Node, field: &str, tags: &[(String, String)], loc: &Loc) {
    if tags.is_empty() {
        return;
    }
    if !matches!(settings.get(field).map(|t| &t.kind), Some(Kind::Map(_))) {
        settings.insert(
            key(field, loc),
            Node::new(Kind::Map(Vec::new()), loc.clone()),
        );
    }
    let map = settings.get_mut(field).expect("inserted above");
    for (k, v) in tags {
        default(map, k, text(v, loc));
    }
}

/// Adds `tags` a `[{key, value}]` list lacks (models, experiments).
pub(crate) fn tag_list(settings: &mut Node, tags: &[(String, String)], loc: &Loc) {
    if tags.is_empty() {
        return;
    }
    if !matches!(settings.get("tags").map(|t| &t.kind), Some(Kind::Seq(_))) {
        settings.insert(
            key("tags", loc),
            Node::new(Kind::Seq(Vec::new()), loc.clone()),
        );
    }
    let Some(Kind::Seq(list)) = settings.get_mut("tags").map(|t| &mut t.kind) else {
        return;
    };
    for (k, v) in tags {
        if !list
            .iter()
            .any(|t| t.get("key").and_then(Node::as_str) == Some(k))
        {
            list.push(map(
                vec![("key", text(k, loc)), ("value", text(v, loc))],
                loc,
            ));
        }
    }
}

/// A name prefix as Unity Catalog and serving endpoints take it (`[dev jane] ` ->
/// `dev_jane_`), as the CLI's normalizePrefix.
fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.replace('[', "");
    let p = p.trim_matches(' ');
    let suffix = if p.ends_with(']') { "_" } else { "" };
    let mut out = String::new();
    for c in p.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    format!("{}{suffix}", out.trim_matches('_'))
}

pub fn apply(tree: &mut Node, selected: &Selected, identity: &Identity, diags: &mut Diagnostics) {
    let run_as = tree.get("run_as").filter(|r| !r.is_null()).cloned();
    let dev = selected.mode.as_deref() == Some("development");
    let short = identity.short_name();
    let presets = presets(tree, dev, &short, diags);
    // May be a reference (`${var.skip}`): resolved here, as the prefixes are applied now.
    let skip_schema_prefix = tree
        .get("experimental")
        .and_then(|e| e.get("skip_name_prefix_for_schema"))
        .map(|n| {
            super::interpolate::Resolver::new(tree)
                .resolve(n, "experimental.skip_name_prefix_for_schema")
        })
        .is_some_and(|n| match &n.kind {
            Kind::Bool(b) => *b,
            Kind::Str(s) => s == "true",
            _ => false,
        });
    let legacy_run_as = run_as.is_some() && legacy_run_as(tree, diags);
    let prefix_text = presets.name_prefix.clone();
    let uc = if prefix_text.is_empty() {
        String::new()
    } else {
        normalize_prefix(&prefix_text)
    };
    let Some(Kind::Map(kinds)) = tree.get_mut("resources").map(|r| &mut r.kind) else {
        return;
    };
    // `run_as` naming someone other than the deploying user (some kinds cannot do that).
    let run_as_other: Option<String> = run_as
        .as_ref()
        .and_then(|r| {
            ["service_principal_name", "user_name"]
                .iter()
                .find_map(|f| r.get(f).and_then(Node::as_str).filter(|s| !s.is_empty()))
                .map(str::to_string)
        })
        // A reference is resolved later; only a literal identity is judged here.
        .filter(|who| *who != identity.user_name && !who.contains("${"));
    for (kind_key, items) in kinds.iter_mut() {
        let kind = kind_key.name.clone();
        let Kind::Map(entries) = &mut items.kind else {
            continue;
        };
        for (i, (k, settings)) in entries.iter_mut().enumerate() {
            if settings.is_null() {
                settings.kind = Kind::Map(Vec::new());
            }
            if !matches!(settings.kind, Kind::Map(_)) {
                continue;
            }
            let loc = k.loc.clone();
            match crate::deploy::kinds::spec(&kind) {
                Some(spec) => {
                    let mut ctx = PresetCtx {
                        key: &k.name,
                        loc: &loc,
                        presets: &presets,
                        prefix: &prefix_text,
                        uc_prefix: &uc,
                        skip_schema_prefix,
                        run_as: run_as.as_ref(),
                        cluster_id: selected.cluster_id.as_ref(),
                        diags,
                        kind_loc: &kind_key.loc,
                        first_of_kind: i == 0,
                        me: &identity.user_name,
                        run_as_other: run_as_other.as_deref(),
                        legacy_run_as,
                    };
                    (spec.presets)(settings, &mut ctx);
                }
                None => not_deployed(&kind, settings, &presets, &prefix_text, &loc),
            }
        }
    }
}

/// Whether `experimental.use_legacy_run_as` is on; it is warned about, as the CLI does: the
/// deploying user must be a workspace admin (and a metastore admin for a pipeline in UC) to
/// hand a pipeline to another owner.
pub fn legacy_run_as(tree: &Node, diags: &mut Diagnostics) -> bool {
    let Some(flag) = tree
        .get("experimental")
        .and_then(|e| e.get("use_legacy_run_as"))
        .filter(|f| matches!(&f.kind, Kind::Bool(true)) || f.as_str() == Some("true"))
    else {
        return false;
    };
    diags.warn(
        &flag.loc,
        "experimental.use_legacy_run_as",
        "legacy run_as is experimental: pipelines are made owned by the run_as identity (which needs a workspace admin to deploy, and a metastore admin for a pipeline in Unity Catalog) instead of running as it",
    );
    true
}

/// Presets of the bundle format's kinds brickci does not deploy yet, so `validate` prints
/// them as the CLI does. A kind given a module takes its rule there.
fn not_deployed(
    _kind: &str,
    _settings: &mut Node,
    _presets: &Presets,
    _prefix_text: &str,
    _loc: &Loc,
) {
    // Every kind with presets has its module now; kept for the next format kind.
}

pub(crate) fn prefix(settings: &mut Node, field: &str, prefix: &str) {
    if let Some(Kind::Str(s)) = settings.get_mut(field).map(|n| &mut n.kind)
        && !prefix.is_empty()
        && !s.starts_with(prefix)
    {
        *s = format!("{prefix}{s}");
    }
}

/// Where an unnamed job, pipeline or cluster takes its name from: brickci names it after its key for the
/// deploy; the Databricks CLI does not, so `validate -o json` leaves it out.
pub const NAMED_AFTER_KEY: &str = "(named after its key)";

/// Jobs and pipelines say which bundle deployed them, and where its metadata is.
pub(crate) fn deployment(settings: &mut Node, loc: &Loc) {
    let metadata = text("${workspace.state_path}/metadata.json", loc);
    settings.insert(
        key("deployment", loc),
        map(
            vec![
                ("kind", text("BUNDLE", loc)),
                ("metadata_file_path", metadata),
            ],
            loc,
        ),
    );
}
