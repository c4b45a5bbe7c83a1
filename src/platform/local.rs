//! A terminal or an unknown CI: plain lines; outputs only to `$BRICKCI_OUTPUT_FILE` when set;
//! the summary only to `$BRICKCI_SUMMARY_FILE`.

use super::runner::{Lines, Runner, output_file, plain_annotation};
use super::{Annotation, Env, Kind, PlatformError, outputs};

pub struct Local;

impl Runner for Local {
    fn kind(&self) -> Kind {
        Kind::Local
    }

    fn annotation(&self, _env: &Env, a: &Annotation, message: &str, _t: Option<&str>) -> Lines {
        plain_annotation(a, message)
    }

    fn set_output(&self, env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError> {
        if let Some(path) = output_file(env, None) {
            outputs::merge_json_output(&path, name, value)?;
        }
        Ok(Vec::new())
    }

    fn prepare_outputs(&self, env: &Env, names: &[&str]) -> Result<(), PlatformError> {
        match output_file(env, None) {
            Some(path) => outputs::reset_json_outputs("BRICKCI_OUTPUT_FILE", &path, names, false),
            None => Ok(()),
        }
    }
}
