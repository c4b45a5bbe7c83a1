//! Azure DevOps: logging commands on stdout (`##vso[area.action k=v;...]data`), output
//! variables `runId`-style (task names must match ^[A-Za-z][A-Za-z0-9]*$), job variables
//! for saved state, `task.uploadsummary` for the summary tab.
//!
//! The agent acts on `##vso[` anywhere in a line, and its log viewer on `##[` formatting
//! commands: both are broken up (`# #vso[`) inside text brickci did not write.

use std::path::PathBuf;

use super::runner::{Lines, Runner};
use super::untrusted::lines;
use super::{Annotation, Env, Kind, Level, PlatformError, escape};

pub struct AzureDevOps;

/// `##vso[` and `##[` (any case) made inert: the second `#` is moved apart.
pub fn neutralise(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len() + 4);
    let mut i = 0;
    while i < line.len() {
        let rest = &lower[i..];
        if rest.starts_with("##vso[") || rest.starts_with("##[") {
            out.push_str("# #");
            i += 2;
        } else {
            let c = line[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `run-id` -> `runId`: the names the task declares.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' || c == ' ' {
            upper = !out.is_empty();
        } else if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        }
    }
    out
}

impl Runner for AzureDevOps {
    fn kind(&self) -> Kind {
        Kind::AzureDevOps
    }

    fn context(&self, env: &Env) -> super::CiContext {
        super::context::azure(env)
    }

    /// Per step too (the agent's `SYSTEM_TASKINSTANCEID`): two identical steps in one job
    /// must start two runs, not attach to one.
    fn idempotency_seed(&self, env: &Env) -> Option<String> {
        Some(format!(
            "ado-{}-{}-{}-{}",
            env.get("BUILD_BUILDID")?,
            env.get("SYSTEM_JOBID").unwrap_or("job"),
            env.get("SYSTEM_JOBATTEMPT").unwrap_or("1"),
            env.get("SYSTEM_TASKINSTANCEID").unwrap_or("step")
        ))
    }

    fn mask(&self, secret: &str) -> Lines {
        lines(secret)
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("##vso[task.setsecret]{}", escape::azure_devops(l)))
            .collect()
    }

    fn untrusted(&self, text: &str) -> Lines {
        lines(text).iter().map(|l| neutralise(l)).collect()
    }

    /// The command is the line's first `##vso[...]`; any later one in its data is broken up.
    fn command_line(&self, line: &str) -> String {
        match line.find(']') {
            Some(end) if line.starts_with("##") => {
                format!("{}{}", &line[..=end], neutralise(&line[end + 1..]))
            }
            _ => neutralise(line),
        }
    }

    fn group_start(&self, title: &str) -> Lines {
        vec![format!(
            "##[group]{}",
            neutralise(&title.replace(['\r', '\n'], " "))
        )]
    }

    fn group_end(&self) -> Lines {
        vec!["##[endgroup]".into()]
    }

    fn annotation(&self, _env: &Env, a: &Annotation, message: &str, _title: Option<&str>) -> Lines {
        let kind = match a.level.unwrap_or(Level::Error) {
            Level::Error => "error",
            Level::Warning | Level::Notice => "warning",
        };
        let mut props = format!("type={kind}");
        if let Some(f) = &a.file {
            props.push_str(&format!(";sourcepath={}", escape::azure_devops(f)));
        }
        if let Some(l) = a.line {
            props.push_str(&format!(";linenumber={l}"));
        }
        if let Some(c) = a.col {
            props.push_str(&format!(";columnnumber={c}"));
        }
        vec![format!(
            "##vso[task.logissue {props}]{}",
            escape::azure_devops(&neutralise(message))
        )]
    }

    fn output_name(&self, name: &str) -> String {
        camel_case(name)
    }

    fn set_output(&self, _env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError> {
        Ok(vec![format!(
            "##vso[task.setvariable variable={};isOutput=true]{}",
            escape::azure_devops(name),
            escape::azure_devops(value)
        )])
    }

    fn save_state(&self, _env: &Env, name: &str, value: &str) -> Result<Lines, PlatformError> {
        Ok(vec![format!(
            "##vso[task.setvariable variable={}]{}",
            state_variable(name),
            escape::azure_devops(value)
        )])
    }

    fn saved_state(&self, env: &Env, name: &str) -> Option<String> {
        env.get(&state_variable(name)).map(str::to_string)
    }

    fn summary(&self, env: &Env, markdown: &str) -> Result<Lines, PlatformError> {
        let dir = env
            .get("AGENT_TEMPDIRECTORY")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let path = dir.join(format!(
            "brickci-summary-{}.md",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&path, markdown)
            .map_err(|e| PlatformError::Write(path.display().to_string(), e.to_string()))?;
        Ok(vec![format!(
            "##vso[task.uploadsummary]{}",
            escape::azure_devops(&path.display().to_string())
        )])
    }
}

/// A job variable name for saved state (the agent exposes it upper-cased to later steps).
fn state_variable(name: &str) -> String {
    let name = name.to_uppercase();
    let name = name.strip_prefix("BRICKCI_").unwrap_or(&name);
    format!("BRICKCI_STATE_{}", escape::azure_devops(name))
}
