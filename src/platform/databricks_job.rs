//! Inside a Databricks job task (brickci started by a job on Databricks compute): no runner
//! protocol; outputs go to a JSON file (`$BRICKCI_OUTPUT_FILE`, default
//! `./brickci-outputs.json` in the task's working directory on the driver) and the log.
//!
//! Detected from job context, not from `DATABRICKS_RUNTIME_VERSION` alone (every cluster,
//! interactive ones too, sets it): see `Kind::detect`.

use super::runner::{Lines, Runner, output_file, plain_annotation};
use super::{Annotation, Env, Kind, PlatformError, outputs};

pub struct DatabricksJob;

fn file(env: &Env) -> std::path::PathBuf {
    output_file(env, Some(".")).unwrap_or_else(|| super::OUTPUTS_FILE.into())
}

impl Runner for DatabricksJob {
    fn kind(&self) -> Kind {
        Kind::DatabricksJob
    }

    /// The job run and its repair: a retried task resends with the same token, a repair
    /// (the user asking again) does not.
    fn idempotency_seed(&self, env: &Env) -> Option<String> {
        Some(format!(
            "dbx-{}-{}",
            env.get("DATABRICKS_JOB_RUN_ID")?,
            env.get("DATABRICKS_JOB_REPAIR_COUNT").unwrap_or("0")
        ))
    }

    fn annotation(&self, _env: &Env, a: &Annotation, message: &str, _t: Option<&str>) -> Lines {
        plain_annotation(a, message)
    }

    fn set_output(&self, env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError> {
        outputs::merge_json_output(&file(env), name, value)?;
        Ok(Vec::new())
    }

    fn prepare_outputs(&self, env: &Env, names: &[&str]) -> Result<(), PlatformError> {
        let var = if env.get("BRICKCI_OUTPUT_FILE").is_some() {
            "BRICKCI_OUTPUT_FILE"
        } else {
            "the working directory"
        };
        outputs::reset_json_outputs(var, &file(env), names, false)
    }
}
