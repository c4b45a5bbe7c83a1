//! CI platforms: GitHub Actions, Azure DevOps, AWS CodeBuild, a Databricks job, a terminal.
//! One interface for inputs, outputs, secret masking, log groups, annotations and summaries.
//!
//! Everything printed goes through here, and every secret registered with `mask` is replaced
//! by `***` in it, on every platform, before it reaches the log.

mod context;
mod env;
pub mod escape;
mod kind;
mod outputs;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

pub use context::{CiContext, github_pr_number};
pub use env::Env;
pub use kind::Kind;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("cannot write {0}: {1}")]
    Write(String, String),
    #[error("output name {0:?} is not valid (empty, or has '=' or a line break)")]
    BadOutputName(String),
    #[error("output {0} contains the heredoc delimiter; refusing to write it")]
    DelimiterInValue(String),
    #[error("input {name} must be true or false, got {value:?}")]
    BadBool { name: String, value: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

#[derive(Debug, Clone, Default)]
pub struct Annotation {
    pub level: Option<Level>,
    pub message: String,
    pub title: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub end_line: Option<u32>,
    pub col: Option<u32>,
}

/// GitHub drops a step summary over 1 MiB entirely; stay under it.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

pub struct Platform {
    kind: Kind,
    env: Env,
    out: Mutex<Box<dyn Write + Send>>,
    secrets: Mutex<Vec<String>>,
}

impl Platform {
    pub fn detect(env: Env) -> Platform {
        Platform::with_writer(env, Box::new(std::io::stdout()))
    }

    pub fn with_writer(env: Env, out: Box<dyn Write + Send>) -> Platform {
        Platform {
            kind: Kind::detect(&env),
            env,
            out: Mutex::new(out),
            secrets: Mutex::new(Vec::new()),
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    pub fn context(&self) -> CiContext {
        context::context(self.kind, &self.env)
    }

    /// A task input as each runner spells its variable: GitHub upper-cases after turning
    /// spaces into `_` (hyphens stay); Azure DevOps also turns `.` into `_`. For a hyphenated
    /// name the `_` spelling is tried too, since shells cannot set the hyphenated one.
    pub fn input(&self, name: &str) -> Option<String> {
        let github = format!("INPUT_{}", name.replace(' ', "_").to_uppercase());
        let azure = format!("INPUT_{}", name.replace(['.', ' '], "_").to_uppercase());
        let underscored = format!(
            "INPUT_{}",
            name.replace(['-', '.', ' '], "_").to_uppercase()
        );
        [github, azure, underscored]
            .iter()
            .find_map(|k| self.env.get(k))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A boolean input, with the YAML 1.2 core spellings `@actions/core` accepts.
    pub fn input_bool(&self, name: &str) -> Result<Option<bool>, PlatformError> {
        match self.input(name).as_deref() {
            None => Ok(None),
            Some("true" | "True" | "TRUE") => Ok(Some(true)),
            Some("false" | "False" | "FALSE") => Ok(Some(false)),
            Some(other) => Err(PlatformError::BadBool {
                name: name.to_string(),
                value: other.to_string(),
            }),
        }
    }

    /// Stable for one attempt of one CI job: resent requests carry the same idempotency token.
    pub fn idempotency_seed(&self) -> Option<String> {
        let e = |k: &str| self.env.get(k);
        match self.kind {
            Kind::GitHubActions => Some(format!(
                "gh-{}-{}-{}",
                e("GITHUB_RUN_ID")?,
                e("GITHUB_RUN_ATTEMPT").unwrap_or("1"),
                e("GITHUB_JOB").unwrap_or("job")
            )),
            Kind::AzureDevOps => Some(format!(
                "ado-{}-{}-{}",
                e("BUILD_BUILDID")?,
                e("SYSTEM_JOBID").unwrap_or("job"),
                e("SYSTEM_JOBATTEMPT").unwrap_or("1")
            )),
            Kind::CodeBuild => Some(format!("cb-{}", e("CODEBUILD_BUILD_ID")?.replace(':', "-"))),
            Kind::DatabricksJob | Kind::Local => None,
        }
    }

    /// Registers a secret: the runner masks it in its log, and we never print it.
    pub fn mask(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        {
            let mut secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
            if secrets.iter().any(|s| s == secret) {
                return;
            }
            secrets.push(secret.to_string());
            // Longest first, so a secret containing another is replaced whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        match self.kind {
            Kind::GitHubActions => {
                for line in secret.lines().filter(|l| !l.trim().is_empty()) {
                    self.raw(&format!("::add-mask::{line}"));
                }
            }
            Kind::AzureDevOps => {
                for line in secret.lines().filter(|l| !l.trim().is_empty()) {
                    self.raw(&format!(
                        "##vso[task.setsecret]{}",
                        escape::azure_devops(line)
                    ));
                }
            }
            _ => {}
        }
    }

    /// Text with every registered secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = text.to_string();
        for s in secrets.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
            for line in s.lines().filter(|l| l.len() >= 4) {
                out = out.replace(line, "***");
            }
        }
        out
    }

    /// Writes one line as is (after redaction): for runner commands.
    fn raw(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// A command's document output (JSON, a table, markdown) for a pipe: redacted, not
    /// escaped. Runners only act on lines that start with their command prefixes, which
    /// JSON and our tables never do.
    pub fn print(&self, text: &str) {
        let text = self.redact(text);
        self.raw(text.trim_end_matches('\n'));
    }

    /// A runner command line built by brickci itself (never user text), printed as is.
    pub fn command(&self, line: &str) {
        let line = self.redact(line);
        self.raw(&line);
    }

    pub fn info(&self, line: &str) {
        let line = self.redact(line);
        // A log line that happens to start like a runner command must not act as one.
        let safe = match self.kind {
            Kind::GitHubActions if line.starts_with("::") => format!(" {line}"),
            Kind::AzureDevOps if line.contains("##vso[") || line.starts_with("##[") => {
                line.replace("##", "# #")
            }
            _ => line,
        };
        self.raw(&safe);
    }

    pub fn warn(&self, line: &str) {
        self.annotate(&Annotation {
            level: Some(Level::Warning),
            message: line.to_string(),
            ..Annotation::default()
        });
    }

    pub fn error(&self, line: &str) {
        self.annotate(&Annotation {
            level: Some(Level::Error),
            message: line.to_string(),
            ..Annotation::default()
        });
    }

    pub fn group_start(&self, title: &str) {
        let title = self.redact(title);
        match self.kind {
            Kind::GitHubActions => self.raw(&format!("::group::{}", escape::github_data(&title))),
            Kind::AzureDevOps => self.raw(&format!("##[group]{}", title.replace('\n', " "))),
            _ => self.raw(&format!("── {title}")),
        }
    }

    pub fn group_end(&self) {
        match self.kind {
            Kind::GitHubActions => self.raw("::endgroup::"),
            Kind::AzureDevOps => self.raw("##[endgroup]"),
            _ => {}
        }
    }

    /// An error, warning or notice, pinned to a file and line where the platform can.
    pub fn annotate(&self, a: &Annotation) {
        let message = self.redact(&a.message);
        let level = a.level.unwrap_or(Level::Error);
        match self.kind {
            Kind::GitHubActions => {
                let cmd = match level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Notice => "notice",
                };
                let mut props = Vec::new();
                if let Some(f) = &a.file {
                    props.push(format!(
                        "file={}",
                        escape::github_property(&self.workspace_relative(f))
                    ));
                }
                for (k, v) in [("line", a.line), ("endLine", a.end_line), ("col", a.col)] {
                    if let Some(v) = v {
                        props.push(format!("{k}={v}"));
                    }
                }
                if let Some(t) = &a.title {
                    props.push(format!(
                        "title={}",
                        escape::github_property(&self.redact(t))
                    ));
                }
                let props = if props.is_empty() {
                    String::new()
                } else {
                    format!(" {}", props.join(","))
                };
                self.raw(&format!(
                    "::{cmd}{props}::{}",
                    escape::github_data(&message)
                ));
            }
            Kind::AzureDevOps => {
                let kind = match level {
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
                self.raw(&format!(
                    "##vso[task.logissue {props}]{}",
                    escape::azure_devops(&message)
                ));
            }
            _ => {
                let word = match level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Notice => "notice",
                };
                let place = match (&a.file, a.line) {
                    (Some(f), Some(l)) => format!("{f}:{l}: "),
                    (Some(f), None) => format!("{f}: "),
                    _ => String::new(),
                };
                let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(out, "{place}{word}: {message}");
            }
        }
    }

    fn workspace_relative(&self, file: &str) -> String {
        match self.env.get("GITHUB_WORKSPACE") {
            Some(ws) => file
                .strip_prefix(ws)
                .map(|r| r.trim_start_matches('/').to_string())
                .unwrap_or_else(|| file.to_string()),
            None => file.to_string(),
        }
    }

    /// Sets a step output, on the platform's own channel.
    pub fn set_output(&self, name: &str, value: &str) -> Result<(), PlatformError> {
        match self.kind {
            Kind::GitHubActions => match self.env.get("GITHUB_OUTPUT") {
                Some(path) => {
                    outputs::append_github_output(std::path::Path::new(path), name, value)
                }
                None => self.set_output_file(name, value),
            },
            Kind::AzureDevOps => {
                self.raw(&format!(
                    "##vso[task.setvariable variable={};isOutput=true]{}",
                    escape::azure_devops(name),
                    escape::azure_devops(value)
                ));
                Ok(())
            }
            _ => self.set_output_file(name, value),
        }
    }

    /// The JSON outputs file: `$BRICKCI_OUTPUT_FILE`; on CodeBuild by default in the source
    /// directory, with a sourceable `.env` beside it. Locally only when asked for.
    fn set_output_file(&self, name: &str, value: &str) -> Result<(), PlatformError> {
        let path = match (self.env.get("BRICKCI_OUTPUT_FILE"), self.kind) {
            (Some(p), _) => PathBuf::from(p),
            (None, Kind::CodeBuild | Kind::DatabricksJob) => {
                let dir = self.env.get("CODEBUILD_SRC_DIR").unwrap_or(".");
                PathBuf::from(dir).join("brickci-outputs.json")
            }
            (None, _) => return Ok(()),
        };
        outputs::merge_json_output(&path, name, value)?;
        if self.kind == Kind::CodeBuild {
            outputs::write_env_file(&path)?;
        }
        Ok(())
    }

    /// Remembers a value for a later step of the same job (a post or cleanup step):
    /// GitHub's `$GITHUB_STATE`, an Azure DevOps job variable.
    pub fn save_state(&self, name: &str, value: &str) -> Result<(), PlatformError> {
        match self.kind {
            Kind::GitHubActions => match self.env.get("GITHUB_STATE") {
                Some(path) => {
                    outputs::append(std::path::Path::new(path), &format!("{name}={value}\n"))
                }
                None => Ok(()),
            },
            Kind::AzureDevOps => {
                self.raw(&format!(
                    "##vso[task.setvariable variable=BRICKCI_STATE_{}]{}",
                    escape::azure_devops(&name.to_uppercase()),
                    escape::azure_devops(value)
                ));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A value an earlier step saved with `save_state`.
    pub fn saved_state(&self, name: &str) -> Option<String> {
        let key = match self.kind {
            Kind::GitHubActions => format!("STATE_{name}"),
            Kind::AzureDevOps => format!("BRICKCI_STATE_{}", name.to_uppercase()),
            _ => return None,
        };
        self.env.get(&key).map(str::to_string)
    }

    /// Appends markdown to the run's summary page.
    pub fn summary(&self, markdown: &str) -> Result<(), PlatformError> {
        let markdown = self.redact(markdown);
        match self.kind {
            Kind::GitHubActions => {
                let Some(path) = self.env.get("GITHUB_STEP_SUMMARY") else {
                    return Ok(());
                };
                let path = std::path::Path::new(path);
                let existing = std::fs::metadata(path)
                    .map(|m| m.len() as usize)
                    .unwrap_or(0);
                let text = fit_summary(&markdown, SUMMARY_LIMIT.saturating_sub(existing));
                outputs::append(path, &text)
            }
            Kind::AzureDevOps => {
                let dir = self
                    .env
                    .get("AGENT_TEMPDIRECTORY")
                    .map(PathBuf::from)
                    .unwrap_or_else(std::env::temp_dir);
                let path = dir.join(format!(
                    "brickci-summary-{}.md",
                    uuid::Uuid::new_v4().simple()
                ));
                std::fs::write(&path, &markdown)
                    .map_err(|e| PlatformError::Write(path.display().to_string(), e.to_string()))?;
                self.raw(&format!(
                    "##vso[task.uploadsummary]{}",
                    escape::azure_devops(&path.display().to_string())
                ));
                Ok(())
            }
            _ => match self.env.get("BRICKCI_SUMMARY_FILE") {
                Some(p) => outputs::append(std::path::Path::new(p), &markdown),
                None => Ok(()),
            },
        }
    }
}

/// Cuts markdown to fit `room` bytes at a line boundary, saying so at the end.
pub fn fit_summary(markdown: &str, room: usize) -> String {
    if markdown.len() <= room {
        return markdown.to_string();
    }
    let note = "\n\n_(summary trimmed: GitHub shows at most 1 MiB per step)_\n";
    let budget = room.saturating_sub(note.len());
    let mut cut = budget.min(markdown.len());
    while cut > 0 && !markdown.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = markdown[..cut].rfind('\n').unwrap_or(cut);
    format!("{}{note}", &markdown[..cut])
}

#[cfg(test)]
mod tests;
