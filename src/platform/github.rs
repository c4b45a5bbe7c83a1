//! GitHub Actions: workflow commands on stdout (`::cmd props::data`), `$GITHUB_OUTPUT`,
//! `$GITHUB_STATE` (read back by the post step as `STATE_<name>`), `$GITHUB_STEP_SUMMARY`.
//!
//! The runner trims leading whitespace and acts on `::cmd::` at the start of any line, and
//! on the older `##[cmd]` anywhere in a line; text brickci did not write is therefore
//! printed between `::stop-commands::<random token>` and `::<token>::` whenever one of its
//! lines could be read as a command.

use std::path::Path;

use super::runner::{Lines, Runner, output_file};
use super::untrusted::{contains_ignore_case, lines};
use super::{Annotation, Env, Kind, Level, PlatformError, escape, outputs};

pub struct GitHub;

/// Could the runner read this line as a command?
pub fn looks_like_command(line: &str) -> bool {
    line.trim_start().starts_with("::") || contains_ignore_case(line, "##[")
}

impl Runner for GitHub {
    fn kind(&self) -> Kind {
        Kind::GitHubActions
    }

    fn context(&self, env: &Env) -> super::CiContext {
        super::context::github(env)
    }

    /// Per step too (`GITHUB_ACTION` is the step's id, unique in its job): two identical
    /// `brickci run` steps in one job must start two runs, not attach to one.
    fn idempotency_seed(&self, env: &Env) -> Option<String> {
        Some(format!(
            "gh-{}-{}-{}-{}",
            env.get("GITHUB_RUN_ID")?,
            env.get("GITHUB_RUN_ATTEMPT").unwrap_or("1"),
            env.get("GITHUB_JOB").unwrap_or("job"),
            env.get("GITHUB_ACTION").unwrap_or("step")
        ))
    }

    /// One `add-mask` per line, escaped as the runner unescapes command data.
    fn mask(&self, secret: &str) -> Lines {
        lines(secret)
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("::add-mask::{}", escape::github_data(l)))
            .collect()
    }

    fn untrusted(&self, text: &str) -> Lines {
        let body = lines(text);
        if !body.iter().any(|l| looks_like_command(l)) {
            return body;
        }
        let token = format!("brickci-{}", uuid::Uuid::new_v4().simple());
        let mut out = Vec::with_capacity(body.len() + 2);
        out.push(format!("::stop-commands::{token}"));
        out.extend(body);
        out.push(format!("::{token}::"));
        out
    }

    fn group_start(&self, title: &str) -> Lines {
        vec![format!("::group::{}", escape::github_data(title))]
    }

    fn group_end(&self) -> Lines {
        vec!["::endgroup::".into()]
    }

    fn annotation(&self, env: &Env, a: &Annotation, message: &str, title: Option<&str>) -> Lines {
        let cmd = match a.level.unwrap_or(Level::Error) {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        };
        let mut props = Vec::new();
        if let Some(f) = &a.file {
            props.push(format!(
                "file={}",
                escape::github_property(&workspace_relative(env, f))
            ));
        }
        for (k, v) in [("line", a.line), ("endLine", a.end_line), ("col", a.col)] {
            if let Some(v) = v {
                props.push(format!("{k}={v}"));
            }
        }
        if let Some(t) = title {
            props.push(format!("title={}", escape::github_property(t)));
        }
        let props = if props.is_empty() {
            String::new()
        } else {
            format!(" {}", props.join(","))
        };
        vec![format!("::{cmd}{props}::{}", escape::github_data(message))]
    }

    fn set_output(&self, env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError> {
        match env.get("GITHUB_OUTPUT") {
            Some(path) => outputs::append_github_output(Path::new(path), name, value)?,
            None => {
                if let Some(path) = output_file(env, None) {
                    outputs::merge_json_output(&path, name, value)?;
                }
            }
        }
        Ok(Vec::new())
    }

    fn prepare_outputs(&self, env: &Env, names: &[&str]) -> Result<(), PlatformError> {
        for var in ["GITHUB_OUTPUT", "GITHUB_STATE"] {
            if let Some(path) = env.get(var) {
                outputs::check_appendable(var, Path::new(path))?;
            }
        }
        if env.get("GITHUB_OUTPUT").is_none()
            && let Some(path) = output_file(env, None)
        {
            outputs::reset_json_outputs("BRICKCI_OUTPUT_FILE", &path, names, false)?;
        }
        Ok(())
    }

    fn save_state(&self, env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError> {
        if let Some(path) = env.get("GITHUB_STATE") {
            outputs::append_github_output(Path::new(path), name, value)?;
        }
        Ok(Vec::new())
    }

    fn saved_state(&self, env: &Env, name: &str) -> Option<String> {
        env.get(&format!("STATE_{name}")).map(str::to_string)
    }

    fn summary(&self, env: &Env, markdown: &str) -> Result<Lines, PlatformError> {
        let Some(path) = env.get("GITHUB_STEP_SUMMARY") else {
            return Ok(Vec::new());
        };
        let path = Path::new(path);
        let existing = std::fs::metadata(path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        let text = super::fit_summary(markdown, super::SUMMARY_LIMIT.saturating_sub(existing));
        outputs::append(path, &text)?;
        Ok(Vec::new())
    }
}

fn workspace_relative(env: &Env, file: &str) -> String {
    let Some(ws) = env.get("GITHUB_WORKSPACE") else {
        return file.to_string();
    };
    // A path relative to a step's working-directory is made relative to the checkout.
    let full = match std::env::current_dir() {
        Ok(cwd) if Path::new(file).is_relative() => cwd.join(file).to_string_lossy().into_owned(),
        _ => file.to_string(),
    };
    full.strip_prefix(ws.trim_end_matches('/'))
        .filter(|r| r.is_empty() || r.starts_with('/'))
        .map(|r| r.trim_start_matches('/').to_string())
        .unwrap_or_else(|| file.to_string())
}
