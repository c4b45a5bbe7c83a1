//! CI platforms: GitHub Actions, Azure DevOps, AWS CodeBuild, a Databricks job, a terminal.
//! One interface for inputs, outputs, secret masking, log groups, annotations and summaries.
//!
//! Everything printed goes through here, and every secret registered with `mask` is replaced
//! by `***` in it, on every platform, before it reaches the log.

mod azure_devops;
mod buffered;
mod codebuild;
mod context;
mod databricks_job;
mod env;
pub mod escape;
mod github;
pub mod inputs;
mod kind;
mod local;
mod outputs;
mod runner;
pub mod saved_runs;
pub mod untrusted;

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

pub use azure_devops::camel_case;
pub use buffered::SharedBuffer;
pub use context::{CiContext, github_pr_number};
pub use env::Env;
pub use kind::{Kind, in_databricks_job};
use runner::Runner;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("cannot write {0}: {1}")]
    Write(String, String),
    #[error("{variable} names {path}, which cannot be written: {reason}")]
    Destination {
        variable: String,
        path: String,
        reason: String,
    },
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

/// An output value is at most 1 MB (GitHub's limit); longer ones are cut with a note.
pub const OUTPUT_LIMIT: usize = 1024 * 1024;

/// The outputs file's default name (CodeBuild, Databricks jobs) and the sourceable one
/// written beside it (same stem, `.env`).
pub const OUTPUTS_FILE: &str = "brickci-outputs.json";
pub const OUTPUTS_ENV_FILE: &str = "brickci-outputs.env";

/// Every output a command can set (kebab-case; Azure DevOps gets them camelCased). A
/// command starts from all of them empty where outputs are a file, so none is stale.
pub const OUTPUT_NAMES: &[&str] = &[
    "run-id",
    "run-url",
    "result-state",
    "notebook-output",
    "task-states",
    "update-id",
    "update-url",
    "job-ids",
    "root-path",
    "target",
    "changes",
    "report-path",
    "junit",
    "tests-passed",
    "tests-failed",
    "tests-skipped",
    "triggered-run-id",
    "triggered-run-url",
    "triggered-conclusion",
    "gate-passed",
    "candidate-run-id",
    "candidate-model-version",
    "candidate-metrics",
    "target-results",
];

pub struct Platform {
    runner: Box<dyn Runner>,
    env: Env,
    out: Mutex<Box<dyn Write + Send>>,
    /// brickci's own errors and warnings, and the runner commands that are not log (masks,
    /// output variables, saved state): stderr, so `plan -o json 2>/dev/null | jq` sees only
    /// the document (runners act on commands on both streams). `None`: `out`.
    diagnostics: Option<Mutex<Box<dyn Write + Send>>>,
    secrets: std::sync::Arc<Mutex<Vec<String>>>,
    outputs_ready: AtomicBool,
    /// Runs this process started and has not seen end (for the post step's state).
    open_runs: std::sync::Arc<Mutex<Vec<i64>>>,
    /// Pipeline updates likewise, as `<pipeline id>/<update id>`.
    open_updates: std::sync::Arc<Mutex<Vec<String>>>,
    /// `--no-wait`: started runs are left running on purpose.
    hand_over: std::sync::Arc<AtomicBool>,
    /// One of several targets' platforms (see `detached`): outputs and summary kept there.
    detached: Option<SharedBuffer>,
}

fn runner_for(kind: Kind) -> Box<dyn Runner> {
    match kind {
        Kind::GitHubActions => Box::new(github::GitHub),
        Kind::AzureDevOps => Box::new(azure_devops::AzureDevOps),
        Kind::CodeBuild => Box::new(codebuild::CodeBuild),
        Kind::DatabricksJob => Box::new(databricks_job::DatabricksJob),
        Kind::Local => Box::new(local::Local),
    }
}

impl Platform {
    pub fn detect(env: Env) -> Platform {
        let mut platform = Platform::with_writer(env, Box::new(std::io::stdout()));
        platform.diagnostics = Some(Mutex::new(Box::new(std::io::stderr())));
        platform
    }

    /// Everything to one writer (tests read the whole conversation with the runner there).
    pub fn with_writer(env: Env, out: Box<dyn Write + Send>) -> Platform {
        Platform {
            runner: runner_for(Kind::detect(&env)),
            env,
            out: Mutex::new(out),
            diagnostics: None,
            secrets: std::sync::Arc::new(Mutex::new(Vec::new())),
            outputs_ready: AtomicBool::new(false),
            open_runs: Default::default(),
            open_updates: Default::default(),
            hand_over: Default::default(),
            detached: None,
        }
    }

    pub fn kind(&self) -> Kind {
        self.runner.kind()
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The outputs files `$BRICKCI_OUTPUT_FILE` names (the JSON and the `.env` CodeBuild
    /// writes beside it): wherever they are, they are step metadata, never bundle files.
    pub fn named_outputs_files(&self) -> Vec<std::path::PathBuf> {
        self.env
            .get("BRICKCI_OUTPUT_FILE")
            .map(|p| {
                let json = std::path::PathBuf::from(p);
                vec![outputs::env_file_beside(&json), json]
            })
            .unwrap_or_default()
    }

    pub fn context(&self) -> CiContext {
        self.runner.context(&self.env)
    }

    /// A task input: `INPUT_<NAME>` matched ignoring case, `-`, `_`, `.` and spaces, so
    /// GitHub's `INPUT_CLUSTER-ID`, Azure DevOps' `INPUT_CLUSTERID` and a shell's
    /// `INPUT_CLUSTER_ID` all name `cluster-id`. Trimmed; empty counts as unset.
    pub fn input(&self, name: &str) -> Option<String> {
        inputs::lookup(&self.env, name)
    }

    /// A boolean input, with the YAML 1.2 core spellings `@actions/core` accepts.
    pub fn input_bool(&self, name: &str) -> Result<Option<bool>, PlatformError> {
        match self.input(name) {
            None => Ok(None),
            Some(v) => inputs::parse_bool(&v)
                .map(Some)
                .ok_or(PlatformError::BadBool {
                    name: name.to_string(),
                    value: v,
                }),
        }
    }

    /// Stable for one attempt of one CI job: resent requests carry the same idempotency token.
    pub fn idempotency_seed(&self) -> Option<String> {
        self.runner.idempotency_seed(&self.env)
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
        let lines = self.runner.mask(secret);
        self.diagnostic_lines(&lines);
    }

    /// Text with every registered secret, and the user and password of any URL in it,
    /// replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        redact_with(&self.secrets, text)
    }

    /// A writer for the log on stderr (runners read stderr for commands too): each event
    /// is redacted and made inert like any untrusted text.
    pub fn log_writer(&self) -> impl Fn() -> LogWriter + Send + Sync + 'static {
        let secrets = self.secrets.clone();
        let kind = self.kind();
        move || LogWriter {
            secrets: secrets.clone(),
            kind,
            buf: Vec::new(),
        }
    }

    /// Writes one line as is: only for runner commands brickci built.
    fn raw(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn raw_lines(&self, lines: &[String]) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    /// THE choke point for text brickci did not write (notebook exit values, traces, log
    /// tails, file names, bundle values, documents holding them): secrets redacted, ANSI
    /// escapes stripped, and made inert for this runner's command parser. Returns the lines
    /// to print.
    pub fn untrusted(&self, text: &str) -> Vec<String> {
        let text = untrusted::strip_ansi(&self.redact(text));
        self.runner.untrusted(&text)
    }

    /// Prints text brickci did not write (see `untrusted`).
    pub fn print_untrusted(&self, text: &str) {
        let lines = self.untrusted(text);
        self.raw_lines(&lines);
    }

    /// A command's document output (JSON, a table, markdown) for a pipe. It holds names and
    /// values from the bundle and the workspace, so it goes through `untrusted`.
    /// A JSON document stays valid, equal JSON: `#` only occurs inside its strings, where
    /// `\u0023` means the same, so no `##[` / `##vso[` is left for a runner and nothing
    /// needs wrapping.
    pub fn print(&self, text: &str) {
        let text = text.trim_end_matches('\n');
        let is_json = matches!(self.kind(), Kind::GitHubActions | Kind::AzureDevOps)
            && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
        if is_json {
            self.print_untrusted(&text.replace("##", "\\u0023#"));
        } else {
            self.print_untrusted(text);
        }
    }

    /// A runner command line built by brickci itself (never user text), printed as is.
    pub fn command(&self, line: &str) {
        let line = untrusted::strip_ansi(&self.redact(line));
        self.raw(&self.runner.command_line(&line));
    }

    /// A log line. It may carry untrusted parts (a task key, an exit value, a trace line),
    /// so it goes through `untrusted` as a whole.
    pub fn info(&self, line: &str) {
        self.print_untrusted(line);
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
        let title = untrusted::strip_ansi(&self.redact(title));
        let lines = self.runner.group_start(&title);
        self.raw_lines(&lines);
    }

    pub fn group_end(&self) {
        let lines = self.runner.group_end();
        self.raw_lines(&lines);
    }

    /// An error, warning or notice, pinned to a file and line where the platform can.
    /// Message and title are command data: escaped, so they never form a command.
    pub fn annotate(&self, a: &Annotation) {
        let message = untrusted::strip_ansi(&self.redact(&a.message));
        let title = a
            .title
            .as_ref()
            .map(|t| untrusted::strip_ansi(&self.redact(t)));
        let lines = self
            .runner
            .annotation(&self.env, a, &message, title.as_deref());
        self.diagnostic_lines(&lines);
    }

    /// A line for people that must stay out of a piped document: on stderr, beside the
    /// errors (`help: ...` after an error, progress before `-o json` output).
    pub fn note(&self, line: &str) {
        let lines = self.untrusted(line);
        self.diagnostic_lines(&lines);
    }

    fn diagnostic_lines(&self, lines: &[String]) {
        match &self.diagnostics {
            Some(err) => {
                let mut err = err.lock().unwrap_or_else(|p| p.into_inner());
                for line in lines {
                    let _ = writeln!(err, "{line}");
                }
                let _ = err.flush();
            }
            None => self.raw_lines(lines),
        }
    }

    /// The output's name on this platform (`run-id`; Azure DevOps `runId`).
    pub fn output_name(&self, name: &str) -> String {
        self.runner.output_name(name)
    }

    /// Checks every destination brickci writes to before any request: an unwritable
    /// `GITHUB_OUTPUT`, `GITHUB_STATE` or outputs file is an error naming its variable.
    /// Where outputs are a file, this command's set starts empty (no stale values).
    pub fn check_destinations(&self) -> Result<(), PlatformError> {
        self.runner.prepare_outputs(&self.env, OUTPUT_NAMES)?;
        self.outputs_ready.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Sets a step output, on the platform's own channel; a value over 1 MB is cut.
    pub fn set_output(&self, name: &str, value: &str) -> Result<(), PlatformError> {
        if let Some(kept) = &self.detached {
            kept.keep_output(name, &self.redact(value));
            return Ok(());
        }
        if !self.outputs_ready.load(Ordering::SeqCst) {
            self.check_destinations()?;
        }
        let value = self.redact(value);
        let value = fit_output(&value);
        let lines = self
            .runner
            .set_output(&self.env, &self.runner.output_name(name), &value)?;
        self.diagnostic_lines(&lines);
        Ok(())
    }

    /// Remembers a value for a later step of the same job (a post or cleanup step):
    /// GitHub's `$GITHUB_STATE`, an Azure DevOps job variable.
    pub fn save_state(&self, name: &str, value: &str) -> Result<(), PlatformError> {
        let lines = self.runner.save_state(&self.env, name, value)?;
        self.diagnostic_lines(&lines);
        Ok(())
    }

    /// Runs started from now on are left running on purpose (`--no-wait`): the post step
    /// does not cancel them (`brickci cancel --saved` still can).
    pub fn hand_over_runs(&self) {
        self.hand_over.store(true, Ordering::SeqCst);
    }

    /// Records a submitted run for the post step and later steps (state and a run file).
    pub fn run_started(&self, run_id: i64, url: Option<&str>) -> Result<(), PlatformError> {
        self.save_state(saved_runs::RUN_ID_STATE, &run_id.to_string())?;
        let open = {
            let mut open = self.open_runs.lock().unwrap_or_else(|p| p.into_inner());
            open.push(run_id);
            open.clone()
        };
        self.save_open_runs(&open)?;
        let run = saved_runs::SavedRun {
            run_id,
            host: self.env.get("DATABRICKS_HOST").map(str::to_string),
            url: url.map(str::to_string),
        };
        // The run file is for a later step's `cancel --saved`; a folder this container cannot
        // write (a bare `docker run` of the image) must not fail a run that has started.
        if let Err(e) = saved_runs::save(&self.env, &run) {
            let dir = saved_runs::dir(&self.env).unwrap_or_default();
            self.warn(&format!(
                "cannot save run {run_id} for a later `brickci cancel --saved` in {}: {e}",
                dir.display()
            ));
        }
        Ok(())
    }

    /// Records that the step saw a run end; once none is open, nothing is left for a post
    /// step to cancel.
    pub fn run_finished(&self, run_id: i64) -> Result<(), PlatformError> {
        saved_runs::remove(&self.env, run_id);
        let open = {
            let mut open = self.open_runs.lock().unwrap_or_else(|p| p.into_inner());
            open.retain(|id| *id != run_id);
            open.clone()
        };
        self.save_open_runs(&open)
    }

    /// Records a started pipeline update for the post step and later steps, as a run.
    pub fn update_started(
        &self,
        pipeline_id: &str,
        update_id: &str,
        url: Option<&str>,
    ) -> Result<(), PlatformError> {
        let open = {
            let mut open = self.open_updates.lock().unwrap_or_else(|p| p.into_inner());
            open.push(saved_runs::update_key(pipeline_id, update_id));
            open.join(",")
        };
        self.save_state(saved_runs::UPDATES_STATE, &open)?;
        let runs = self
            .open_runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        self.save_open_runs(&runs)?;
        let update = saved_runs::SavedUpdate {
            pipeline_id: pipeline_id.to_string(),
            update_id: update_id.to_string(),
            host: self.env.get("DATABRICKS_HOST").map(str::to_string),
            url: url.map(str::to_string),
        };
        if let Err(e) = saved_runs::save_update(&self.env, &update) {
            let dir = saved_runs::dir(&self.env).unwrap_or_default();
            self.warn(&format!(
                "cannot save update {update_id} for a later `brickci cancel --saved` in {}: {e}",
                dir.display()
            ));
        }
        Ok(())
    }

    /// Records that the step saw a pipeline update end (or stopped it).
    pub fn update_finished(&self, pipeline_id: &str, update_id: &str) -> Result<(), PlatformError> {
        saved_runs::remove_update(&self.env, update_id);
        let key = saved_runs::update_key(pipeline_id, update_id);
        let open = {
            let mut open = self.open_updates.lock().unwrap_or_else(|p| p.into_inner());
            open.retain(|k| *k != key);
            open.join(",")
        };
        self.save_state(saved_runs::UPDATES_STATE, &open)?;
        let runs = self
            .open_runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        self.save_open_runs(&runs)
    }

    fn save_open_runs(&self, open: &[i64]) -> Result<(), PlatformError> {
        let ids: Vec<String> = open.iter().map(i64::to_string).collect();
        self.save_state(saved_runs::RUN_IDS_STATE, &ids.join(","))?;
        let no_update = self
            .open_updates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        let done = if self.hand_over.load(Ordering::SeqCst) {
            saved_runs::HANDED_OVER
        } else if open.is_empty() && no_update {
            "true"
        } else {
            "false"
        };
        self.save_state(saved_runs::RUN_DONE_STATE, done)
    }

    /// A value an earlier step saved with `save_state`.
    pub fn saved_state(&self, name: &str) -> Option<String> {
        self.runner.saved_state(&self.env, name)
    }

    /// Appends markdown to the run's summary page.
    pub fn summary(&self, markdown: &str) -> Result<(), PlatformError> {
        if let Some(kept) = &self.detached {
            kept.keep_summary(&self.redact(markdown));
            return Ok(());
        }
        let markdown = self.redact(markdown);
        let lines = self.runner.summary(&self.env, &markdown)?;
        self.diagnostic_lines(&lines);
        Ok(())
    }
}

fn redact_with(secrets: &Mutex<Vec<String>>, text: &str) -> String {
    let secrets = secrets.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_string();
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
        for line in s.lines().filter(|l| l.len() >= 4) {
            out = out.replace(line, "***");
        }
    }
    crate::util::redact_userinfo(&out)
}

/// One log event, written to stderr when dropped (tracing writes an event, then drops).
pub struct LogWriter {
    secrets: std::sync::Arc<Mutex<Vec<String>>>,
    kind: Kind,
    buf: Vec<u8>,
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let text = untrusted::strip_ansi(&redact_with(&self.secrets, &text));
        let lines = runner_for(self.kind).untrusted(text.trim_end_matches('\n'));
        let mut err = std::io::stderr().lock();
        for line in lines {
            let _ = writeln!(err, "{line}");
        }
    }
}

/// Cuts an output value to `OUTPUT_LIMIT` bytes at a character boundary, saying so.
pub fn fit_output(value: &str) -> String {
    if value.len() <= OUTPUT_LIMIT {
        return value.to_string();
    }
    let note = "\n[brickci: output cut at 1 MB; the full value is in the run's log and report]";
    let mut cut = OUTPUT_LIMIT - note.len();
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{note}", &value[..cut])
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
