//! What differs between CI platforms, as one trait: each platform's file implements it, so
//! a platform's conventions (inputs, outputs, masking, annotations, groups, summary, saved
//! state, untrusted text) live in one place. `Platform` prints what these return.

use super::{Annotation, Env, Kind, PlatformError};

/// A line for stdout, or nothing (the platform has no such command).
pub type Lines = Vec<String>;

pub trait Runner: Send + Sync {
    fn kind(&self) -> Kind;

    /// Repository, commit, PR and run link, from the platform's variables.
    fn context(&self, env: &Env) -> super::CiContext {
        super::context::plain(env)
    }

    /// Stable for one attempt of one CI job (idempotency tokens).
    fn idempotency_seed(&self, _env: &Env) -> Option<String> {
        None
    }

    /// Lines that register a secret with the runner's log masker.
    fn mask(&self, _secret: &str) -> Lines {
        Vec::new()
    }

    /// Text brickci did not write (ANSI already stripped, secrets redacted), made inert for
    /// the runner's command parser: the lines to print.
    fn untrusted(&self, text: &str) -> Lines {
        super::untrusted::lines(text)
    }

    /// A command line brickci built (its data may hold escaped untrusted text): made safe
    /// beyond the command itself where the runner could still read the rest.
    fn command_line(&self, line: &str) -> String {
        line.to_string()
    }

    fn group_start(&self, title: &str) -> Lines {
        vec![format!("── {}", title.replace(['\r', '\n'], " "))]
    }

    fn group_end(&self) -> Lines {
        Vec::new()
    }

    /// One annotation; `message` and `title` are redacted already.
    fn annotation(&self, env: &Env, a: &Annotation, message: &str, title: Option<&str>) -> Lines;

    /// The output's name as this platform's consumers read it (`run-id` or `runId`).
    fn output_name(&self, name: &str) -> String {
        name.to_string()
    }

    /// Writes one output; returns lines to print for platforms whose outputs are commands.
    fn set_output(&self, env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError>;

    /// Checks (and for file outputs, resets to this command's empty set) every output
    /// destination before any request is made.
    fn prepare_outputs(&self, _env: &Env, _names: &[&str]) -> Result<(), PlatformError> {
        Ok(())
    }

    /// Saves a value for a later step of the same job; returns lines to print.
    fn save_state(&self, _env: &Env, _name: &str, _value: &str) -> Result<Lines, PlatformError> {
        Ok(Vec::new())
    }

    fn saved_state(&self, _env: &Env, _name: &str) -> Option<String> {
        None
    }

    /// Appends markdown (redacted) to the run's summary page; returns lines to print.
    fn summary(&self, env: &Env, markdown: &str) -> Result<Lines, PlatformError> {
        match env.get("BRICKCI_SUMMARY_FILE") {
            Some(p) => {
                super::outputs::append(std::path::Path::new(p), markdown).map(|()| Vec::new())
            }
            None => Ok(Vec::new()),
        }
    }
}

/// The plain-text annotation every platform without a command for it prints.
pub fn plain_annotation(a: &Annotation, message: &str) -> Lines {
    let word = match a.level.unwrap_or(super::Level::Error) {
        super::Level::Error => "error",
        super::Level::Warning => "warning",
        super::Level::Notice => "notice",
    };
    let place = match (&a.file, a.line, a.col) {
        (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
        (Some(f), Some(l), None) => format!("{f}:{l}: "),
        (Some(f), None, _) => format!("{f}: "),
        _ => String::new(),
    };
    vec![format!("{place}{word}: {message}")]
}

/// The JSON outputs file: `$BRICKCI_OUTPUT_FILE`, else `default_dir/brickci-outputs.json`.
pub fn output_file(env: &Env, default_dir: Option<&str>) -> Option<std::path::PathBuf> {
    match (env.get("BRICKCI_OUTPUT_FILE"), default_dir) {
        (Some(p), _) => Some(p.into()),
        (None, Some(dir)) => Some(std::path::Path::new(dir).join(super::OUTPUTS_FILE)),
        (None, None) => None,
    }
}
