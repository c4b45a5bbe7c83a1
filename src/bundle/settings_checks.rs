//! Whole-bundle settings checked by value, as the Databricks CLI checks them at validate:
//! `run_as` names exactly one identity, and `bundle.engine` is one the CLI knows.

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

/// The deployment engines the CLI accepts for `bundle.engine`.
const ENGINES: &[&str] = &["terraform", "direct"];

pub fn check(tree: &Node, diags: &mut Diagnostics) {
    run_as(tree, diags);
    engine(tree, diags);
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
