//! Whole-bundle settings checked by value, as the Databricks CLI checks them at validate:
//! `run_as` names exactly one identity, `bundle.engine` is one the CLI knows, the deploy's own
//! deployment fields are not set, and only `artifact_path` may be a volume.

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

/// The deployment engines the CLI accepts for `bundle.engine`.
const ENGINES: &[&str] = &["terraform", "direct"];

pub fn check(tree: &Node, diags: &mut Diagnostics) {
    run_as(tree, diags);
    engine(tree, diags);
    // Before the deploy's own `deployment` block replaces what the user wrote.
    reserved_deployment_fields(tree, diags);
    script_env(tree, diags);
}

/// What a script's `env` may refer to: settings known before the script runs.
const SCRIPT_ENV_ROOTS: &[&str] = &["bundle", "workspace", "var", "variables"];

/// `scripts.<name>.env` values are resolved before the script runs, so they may refer only
/// to `${bundle.*}`, `${workspace.*}` and `${var.*}` (the CLI's rule).
fn script_env(tree: &Node, diags: &mut Diagnostics) {
    for (name, script) in tree
        .get("scripts")
        .and_then(Node::entries)
        .unwrap_or_default()
    {
        for (var, value) in script
            .get("env")
            .and_then(Node::entries)
            .unwrap_or_default()
        {
            let Some(text) = value.as_str() else {
                continue;
            };
            for (_, reference) in super::interpolate::references(text) {
                let root = reference.split(['.', '[']).next().unwrap_or_default();
                if !SCRIPT_ENV_ROOTS.contains(&root) {
                    let path = format!("scripts.{}.env.{}", name.name, var.name);
                    diags.push(
                        &value.loc,
                        &path,
                        format!(
                            "${{{reference}}} cannot be used in {path}; only ${{bundle.*}}, ${{workspace.*}} and ${{var.*}} are resolved before scripts run"
                        ),
                    );
                }
            }
        }
    }
}

/// `run_as` must name a user or a service principal, not both and not neither (an empty
/// string counts as not named).
fn run_as(tree: &Node, diags: &mut Diagnostics) {
    let Some(run_as) = tree.get("run_as").filter(|n| !n.is_null()) else {
        return;
    };
    if !matches!(run_as.kind, Kind::Map(_)) {
        return;
    }
    let named = |field: &str| {
        run_as
            .get(field)
            .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    };
    match (named("user_name"), named("service_principal_name")) {
        (true, true) => diags.push(
            &run_as.loc,
            "run_as",
            "name either user_name or service_principal_name, not both",
        ),
        (false, false) => diags.push(
            &run_as.loc,
            "run_as",
            "must name one identity: user_name or service_principal_name (neither is set)",
        ),
        _ => {}
    }
}

fn engine(tree: &Node, diags: &mut Diagnostics) {
    let Some(engine) = tree.get("bundle").and_then(|b| b.get("engine")) else {
        return;
    };
    if engine.is_null() {
        return;
    }
    if !engine.as_str().is_some_and(|e| ENGINES.contains(&e)) {
        diags.push(
            &engine.loc,
            "bundle.engine",
            format!(
                "must be {} (got {})",
                ENGINES
                    .iter()
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
                    .join(" or "),
                engine.to_json()
            ),
        );
    }
}

/// Checks on the resolved configuration: where the workspace paths may point.
pub fn check_resolved(tree: &Node, diags: &mut Diagnostics) {
    volume_paths(tree, diags);
}

/// Only `artifact_path` may be a Unity Catalog volume; the other workspace paths hold
/// notebooks, files and state, which volumes cannot.
fn volume_paths(tree: &Node, diags: &mut Diagnostics) {
    for field in ["root_path", "file_path", "state_path", "resource_path"] {
        let Some(node) = tree.get("workspace").and_then(|w| w.get(field)) else {
            continue;
        };
        // Defaults derived from a /Volumes root_path are reported once, at root_path.
        if node.loc.line == 0 {
            continue;
        }
        if let Some(p) = node.as_str()
            && (p == "/Volumes" || p.starts_with("/Volumes/"))
        {
            diags.push(
                &node.loc,
                format!("workspace.{field}"),
                format!("{p} is a volume path; only workspace.artifact_path may be in /Volumes"),
            );
        }
    }
}

/// `deployment.deployment_id` and `deployment.version_id` of jobs and pipelines belong to
/// the deployment, not to the configuration.
fn reserved_deployment_fields(tree: &Node, diags: &mut Diagnostics) {
    for kind in ["jobs", "pipelines"] {
        let items = tree
            .get("resources")
            .and_then(|r| r.get(kind))
            .and_then(Node::entries)
            .unwrap_or_default();
        for (key, settings) in items {
            let Some(deployment) = settings.get("deployment") else {
                continue;
            };
            for field in ["deployment_id", "version_id"] {
                if let Some(node) = deployment.get(field) {
                    diags.push(
                        &node.loc,
                        format!("resources.{kind}.{}.deployment.{field}", key.name),
                        "is set by the deploy and must not be in the configuration",
                    );
                }
            }
        }
    }
}

/// A dashboard that embeds its publisher's credentials shows data as the deploying user, so
/// a `run_as` naming anyone else is refused (the CLI's rule; checked once `embed_credentials`
/// is resolved, as it is often a variable).
pub fn embedded_dashboards(tree: &Node, me: &str, diags: &mut Diagnostics) {
    let Some(run_as) = tree.get("run_as").filter(|n| !n.is_null()) else {
        return;
    };
    let Some(who) = ["service_principal_name", "user_name"]
        .iter()
        .find_map(|f| {
            run_as
                .get(f)
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
        })
        .filter(|who| *who != me)
    else {
        return;
    };
    let dashboards = tree
        .get("resources")
        .and_then(|r| r.get("dashboards"))
        .and_then(Node::entries)
        .unwrap_or_default();
    for (key, dashboard) in dashboards {
        if let Some(embed) = dashboard
            .get("embed_credentials")
            // `--var embed=true` gives the text "true", which the CLI reads as the bool.
            .filter(|e| matches!(&e.kind, Kind::Bool(true)) || e.as_str() == Some("true"))
        {
            diags.push(
                &embed.loc,
                format!("resources.dashboards.{}.embed_credentials", key.name),
                format!(
                    "dashboards with embed_credentials set to true do not support a run_as identity other than the deploying one (current identity: {me}, run as identity: {who}); see https://docs.databricks.com/dev-tools/bundles/run-as.html"
                ),
            );
        }
    }
}

#[cfg(test)]
mod embedded_dashboard_tests {
    use super::*;
    use std::path::Path;

    fn errors(yaml: &str) -> Vec<String> {
        let doc = super::super::yaml::parse(Path::new("databricks.yml"), yaml).unwrap();
        let mut diags = Diagnostics::default();
        embedded_dashboards(&doc, "me@example.com", &mut diags);
        diags.errors().map(ToString::to_string).collect()
    }

    #[test]
    fn embedded_credentials_refuse_another_run_as_identity_only() {
        let bundle = |embed: &str, who: &str| {
            format!(
                "run_as:\n  service_principal_name: {who}\nresources:\n  dashboards:\n    d:\n      display_name: x\n      embed_credentials: {embed}\n"
            )
        };
        let refused = errors(&bundle("true", "sp-name"));
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].starts_with("databricks.yml:7:26: resources.dashboards.d.embed_credentials: dashboards with embed_credentials set to true do not support")
                && refused[0].contains("run as identity: sp-name"),
            "{refused:?}"
        );
        assert!(errors(&bundle("false", "sp-name")).is_empty());
        assert!(errors(&bundle("true", "me@example.com")).is_empty());
    }
}
