//! AWS CodeBuild: no stdout commands. Outputs go to a JSON file and a sourceable `.env`
//! beside it (`$BRICKCI_OUTPUT_FILE`, default `$CODEBUILD_SRC_DIR/brickci-outputs.json`),
//! for `exported-variables`. Each command rewrites the whole set, so no value from an
//! earlier command survives beside a later one's.

use super::runner::{Lines, Runner, output_file, plain_annotation};
use super::{Annotation, Env, Kind, PlatformError, outputs};

pub struct CodeBuild;

impl CodeBuild {
    fn file(env: &Env) -> (&'static str, std::path::PathBuf) {
        let var = if env.get("BRICKCI_OUTPUT_FILE").is_some() {
            "BRICKCI_OUTPUT_FILE"
        } else {
            "CODEBUILD_SRC_DIR"
        };
        let path = output_file(env, Some(env.get("CODEBUILD_SRC_DIR").unwrap_or(".")))
            .unwrap_or_else(|| super::OUTPUTS_FILE.into());
        (var, path)
    }
}

impl Runner for CodeBuild {
    fn kind(&self) -> Kind {
        Kind::CodeBuild
    }

    fn context(&self, env: &Env) -> super::CiContext {
        super::context::codebuild(env)
    }

    fn idempotency_seed(&self, env: &Env) -> Option<String> {
        Some(format!(
            "cb-{}",
            env.get("CODEBUILD_BUILD_ID")?.replace(':', "-")
        ))
    }

    fn annotation(&self, _env: &Env, a: &Annotation, message: &str, _t: Option<&str>) -> Lines {
        plain_annotation(a, message)
    }

    fn set_output(&self, env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError> {
        let (_, path) = Self::file(env);
        outputs::merge_json_output(&path, name, value)?;
        outputs::write_env_file(&path)?;
        Ok(Vec::new())
    }

    fn prepare_outputs(&self, env: &Env, names: &[&str]) -> Result<(), PlatformError> {
        let (var, path) = Self::file(env);
        outputs::reset_json_outputs(var, &path, names, true)
    }
}
