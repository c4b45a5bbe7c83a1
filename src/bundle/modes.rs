//! What `mode: development` and `mode: production` demand of a target, as the Databricks CLI
//! checks it: a development copy must be the user's own (paths and a custom name prefix that
//! name the user), a
//! production target must be deployed once (an explicit `root_path`, unless every job says
//! whom it runs as or a service principal deploys) and hold no development pipelines.

use super::error::Diagnostics;
use super::interpolate::find;
use super::model::{Identity, Resource, Workspace};
use super::target::Selected;
use super::yaml::{Loc, Node};

pub fn check(
    selected: &Selected,
    tree: &Node,
    workspace: &Workspace,
    identity: &Identity,
    resources: &[Resource],
    diags: &mut Diagnostics,
) {
    let mode_loc = selected
        .mode_loc
        .clone()
        .unwrap_or_else(|| tree.loc.clone());
    match selected.mode.as_deref() {
        Some("development") => development(tree, workspace, identity, &mode_loc, diags),
        Some("production") => production(selected, tree, identity, resources, &mode_loc, diags),
        _ => {}
    }
}

fn development(
    tree: &Node,
    workspace: &Workspace,
    identity: &Identity,
    mode_loc: &Loc,
    diags: &mut Diagnostics,
) {
    let short = identity.short_name();
    let names_user = |p: &str| p.contains(&identity.user_name) || p.contains(&short);
    // A custom name prefix too (resolved by now), or the domain-friendly name.
    if let Some(node) = find(tree, "presets.name_prefix")
        && let Some(prefix) = node.as_str().filter(|s| !s.is_empty())
    {
        let friendly = identity.domain_friendly_name();
        if !names_user(prefix) && (friendly.is_empty() || !prefix.contains(&friendly)) {
            diags.push(
                &node.loc,
                "presets.name_prefix",
                "must contain the current user name or ${workspace.current_user.short_name} under `mode: development`, so each developer's copy is their own",
            );
        }
    }
    let paths = [
        ("root_path", &workspace.root_path),
        ("file_path", &workspace.file_path),
        ("resource_path", &workspace.resource_path),
        ("artifact_path", &workspace.artifact_path),
        ("state_path", &workspace.state_path),
    ];
    // The first offender only: the others usually derive from it.
    let Some((key, path)) = paths
        .into_iter()
        .find(|(_, p)| !p.is_empty() && !names_user(p))
    else {
        return;
    };
    let loc = find(tree, &format!("workspace.{key}"))
        .map(|n| n.loc.clone())
        .filter(|l| l.line > 0)
        .unwrap_or_else(|| mode_loc.clone());
    let advice = if path.starts_with("/Volumes") {
        "should contain the current user name or ${workspace.current_user.short_name}"
    } else {
        "must start with `~/` or contain the current user name"
    };
    diags.push(
        &loc,
        format!("workspace.{key}"),
        format!(
            "{path:?} {advice}, so each developer's copy is their own under `mode: development`"
        ),
    );
}

fn production(
    selected: &Selected,
    tree: &Node,
    identity: &Identity,
    resources: &[Resource],
    mode_loc: &Loc,
    diags: &mut Diagnostics,
) {
    for r in resources.iter().filter(|r| r.kind == "pipelines") {
        if r.settings.get("development") == Some(&serde_json::Value::Bool(true)) {
            let key = format!("resources.pipelines.{}.development", r.key);
            let loc = find(tree, &key).map_or_else(|| r.loc.clone(), |n| n.loc.clone());
            diags.push(
                &loc,
                key,
                "a target with `mode: production` cannot deploy a pipeline with `development: true`",
            );
        }
    }
    let principal = uuid::Uuid::parse_str(&identity.user_name).is_ok();
    let every_job_runs_as = resources
        .iter()
        .filter(|r| r.kind == "jobs")
        .all(|r| r.settings.get("run_as").is_some());
    if !selected.sets_root_path && !principal && !every_job_runs_as {
        diags.push(
            mode_loc,
            format!("targets.{}.workspace.root_path", selected.name),
            format!(
                "a target with `mode: production` must set `workspace.root_path`, so only one copy is deployed (e.g. /Workspace/Users/{}/.bundle/${{bundle.name}}/${{bundle.target}})",
                identity.user_name
            ),
        );
    }
}
