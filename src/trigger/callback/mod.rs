//! The callback: a bundle job fires a downstream trigger when its tasks finish. `declaration`
//! reads `brickci: callbacks:`, `task` is what deploy adds to the job (with `binary`, the
//! file it uploads, and `launcher.py`, the Python file the task runs), and [`run`] is
//! `brickci callback`, started by the launcher inside the job.

pub mod binary;
pub mod declaration;
pub mod task;

use crate::bundle::{Bundle, Diagnostics};
use crate::cli::TriggerCommand;
use crate::deploy::plan::Generated;
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::{Kind, Platform};

pub use declaration::{Callback, declared};

/// The callbacks `bundle` declares, checked against its jobs.
pub fn of_bundle(bundle: &Bundle) -> Result<Vec<Callback>, Diagnostics> {
    declared(&bundle.tree, |k| bundle.resource("jobs", k).is_some())
}

/// For deploy: adds each callback's task to its job and returns what to upload (the
/// binary, from this process or `BRICKCI_CALLBACK_BINARY`, and the launcher).
pub fn attach(
    platform: &Platform,
    bundle: &mut Bundle,
    callbacks: &[Callback],
) -> Result<Vec<Generated>, Error> {
    if callbacks.is_empty() {
        return Ok(Vec::new());
    }
    let binary = binary::load(platform.env().get(binary::ENV))
        .map_err(|e| Error::bad_input(e.to_string()))?;
    if binary.dynamic {
        platform.warn(&format!(
            "the callback uploads {}, which is dynamically linked and may not start on Databricks compute; deploy with the static release binary (or set {})",
            binary.path.display(),
            binary::ENV
        ));
    }
    task::attach(bundle, callbacks, binary).map_err(Error::bad_input)
}

/// `brickci callback <target> ...`: refuses to run outside a Databricks job and with a
/// reference Databricks did not substitute, then fires the trigger. Its idempotency seed is
/// the Databricks run (see the platform's `DatabricksJob`).
pub async fn run(platform: &Platform, target: TriggerCommand) -> Result<ExitCode, Error> {
    if platform.kind() != Kind::DatabricksJob {
        return Err(Error::bad_input(
            "brickci callback runs inside a Databricks job task (the task deploy adds for brickci.callbacks); to start a run from CI, use brickci trigger",
        ));
    }
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let Some((arg, reference)) = unsubstituted(&argv) {
        return Err(Error::bad_input(format!(
            "{arg}: {reference} was not substituted by Databricks{}",
            why_unsubstituted(&reference)
        )));
    }
    match target {
        TriggerCommand::Github(args) => super::github::run(platform, &args).await,
        TriggerCommand::AzureDevops(args) => super::azure_devops::run(platform, &args).await,
        TriggerCommand::Codepipeline(args) => super::codepipeline::run(platform, &args).await,
    }
}

/// The first argument still holding a `{{...}}` reference, and the reference.
fn unsubstituted(argv: &[String]) -> Option<(String, String)> {
    argv.iter().find_map(|a| {
        let start = a.find("{{")?;
        let end = a[start..].find("}}")? + start + 2;
        let flag = a.split_once('=').map_or(a.as_str(), |(f, _)| f);
        Some((flag.to_string(), a[start..end].to_string()))
    })
}

fn why_unsubstituted(reference: &str) -> String {
    let inner = reference.trim_matches(|c| c == '{' || c == '}').trim();
    let parts: Vec<&str> = inner.split('.').collect();
    match parts.as_slice() {
        ["tasks", task, "values", name] => format!(
            ": task {task} set no value {name:?} (call dbutils.jobs.taskValues.set(key=\"{name}\", value=...) in it)"
        ),
        ["job", "parameters", name] => format!(": the job has no parameter {name:?}"),
        _ => ": check the reference's spelling against the Databricks dynamic value references"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubstituted_reference_is_found_and_explained() {
        let argv: Vec<String> = [
            "callback",
            "github",
            "--repo=o/r",
            "--input=run={{job.run_id}}x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            unsubstituted(&argv),
            Some(("--input".into(), "{{job.run_id}}".into()))
        );
        assert!(unsubstituted(&argv[..3]).is_none());
        assert!(
            why_unsubstituted("{{tasks.train.values.model_version}}")
                .contains("task train set no value \"model_version\"")
        );
        assert!(why_unsubstituted("{{job.parameters.env}}").contains("no parameter \"env\""));
    }
}
