//! The combined report of one command over several targets: a section per target, as text
//! (the log), JSON (`-o json`) and markdown (`-o markdown`, the step summary).

use serde::Serialize;

use crate::exit::ExitCode;
use crate::report::markup;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetStatus {
    Succeeded,
    Failed,
    /// Not started: an earlier target failed under `--fail-fast`, or a signal came.
    Skipped,
}

/// A target's plan as the report shows it.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    /// As `plan -o json` prints it.
    pub json: serde_json::Value,
    pub markdown: String,
    /// `1 to create, 0 to update, ...`
    pub line: String,
}

impl PlanRecord {
    pub fn of(plan: &crate::deploy::plan::Plan) -> PlanRecord {
        use crate::deploy::render;
        PlanRecord {
            json: serde_json::from_str(&render::json(plan)).unwrap_or_default(),
            markdown: render::markdown(plan),
            line: render::summary_line(plan),
        }
    }
}

/// What happened to one target.
#[derive(Debug, Clone)]
pub struct TargetOutcome {
    pub target: String,
    pub status: TargetStatus,
    pub exit: ExitCode,
    /// The error, redacted (never a secret).
    pub error: Option<String>,
    pub plan: Option<PlanRecord>,
    /// The step outputs the target's command set (`run-id`, `result-state`, `job-ids`, ...).
    pub outputs: std::collections::BTreeMap<String, String>,
    /// The step summary the target's command wrote (a test report), when it has no plan.
    pub summary: Option<String>,
}

/// The outcome of a command over several targets.
#[derive(Debug, Clone)]
pub struct TargetsReport {
    /// `deploy`, `plan`, `run`.
    pub command: String,
    pub targets: Vec<TargetOutcome>,
}

/// How bad an exit class is, for the combined exit code: a signal first, then what a person
/// must fix before anything can work (input, credentials), then the API, then a failure.
fn severity(code: ExitCode) -> u8 {
    match code {
        ExitCode::Ok => 0,
        ExitCode::Failed => 1,
        ExitCode::Api => 2,
        ExitCode::Auth => 3,
        ExitCode::BadInput => 4,
        ExitCode::Interrupted | ExitCode::Terminated => 5,
    }
}

impl TargetsReport {
    /// 0 when every target succeeded, else the most severe class among the failures
    /// (skipped targets do not count: the failure that skipped them does).
    pub fn exit_code(&self) -> ExitCode {
        self.targets
            .iter()
            .filter(|t| t.status == TargetStatus::Failed)
            .map(|t| t.exit)
            .max_by_key(|c| severity(*c))
            .unwrap_or(ExitCode::Ok)
    }

    fn count(&self, status: TargetStatus) -> usize {
        self.targets.iter().filter(|t| t.status == status).count()
    }

    fn headline(&self) -> String {
        format!(
            "{}: {} target(s), {} succeeded, {} failed, {} skipped",
            self.command,
            self.targets.len(),
            self.count(TargetStatus::Succeeded),
            self.count(TargetStatus::Failed),
            self.count(TargetStatus::Skipped)
        )
    }

    pub fn text(&self) -> String {
        let width = self
            .targets
            .iter()
            .map(|t| t.target.len())
            .max()
            .unwrap_or(0);
        let mut out = self.headline();
        for t in &self.targets {
            let what = match t.status {
                TargetStatus::Succeeded => format!("ok        {}", t.what()),
                TargetStatus::Failed => format!(
                    "FAILED    exit {}: {}",
                    t.exit,
                    first_line(t.error.as_deref().unwrap_or(""))
                ),
                TargetStatus::Skipped => "skipped   (not started)".into(),
            };
            out.push_str(&format!("\n  {:width$}  {}", t.target, what.trim_end()));
        }
        out
    }

    pub fn json(&self) -> serde_json::Value {
        let targets: Vec<serde_json::Value> = self
            .targets
            .iter()
            .map(|t| {
                let mut v = serde_json::json!({
                    "target": t.target,
                    "ok": t.status == TargetStatus::Succeeded,
                    "status": t.status,
                    "exit_code": t.exit.code(),
                    "error": t.error,
                    "plan": t.plan.as_ref().map(|p| p.json.clone()),
                });
                if !t.outputs.is_empty() {
                    v["outputs"] = serde_json::json!(t.outputs);
                }
                v
            })
            .collect();
        serde_json::json!({
            "command": self.command,
            "ok": self.exit_code() == ExitCode::Ok,
            "exit_code": self.exit_code().code(),
            "targets": targets,
        })
    }

    /// The `target-results` step output: per target, its status, exit code and the outputs
    /// it set (`{"prod-eu": {"status": "succeeded", "exit_code": 0, "job-ids": "..."}}`),
    /// so a later step reads one target's value (`fromJSON(...)['prod-eu']['job-ids']`).
    pub fn results_output(&self) -> String {
        let per_target: serde_json::Map<String, serde_json::Value> = self
            .targets
            .iter()
            .map(|t| {
                let mut v = serde_json::json!({
                    "status": t.status,
                    "exit_code": t.exit.code(),
                });
                for (name, value) in &t.outputs {
                    v[name] = serde_json::json!(value);
                }
                (t.target.clone(), v)
            })
            .collect();
        serde_json::Value::Object(per_target).to_string()
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "### brickci {}: {} target(s)\n\n{}\n\n| Target | Result | Plan or run |\n|---|---|---|\n",
            self.command,
            self.targets.len(),
            self.headline()
        );
        for t in &self.targets {
            let result = match t.status {
                TargetStatus::Succeeded => "✅ succeeded".to_string(),
                TargetStatus::Failed => format!("❌ failed (exit {})", t.exit),
                TargetStatus::Skipped => "⏭️ skipped".to_string(),
            };
            let changes = markup::text(&t.what());
            out.push_str(&format!(
                "| {} | {result} | {changes} |\n",
                markup::code(&t.target, true)
            ));
        }
        for t in &self.targets {
            out.push_str(&format!("\n#### {}\n\n", markup::code(&t.target, false)));
            match t.status {
                TargetStatus::Skipped => {
                    out.push_str("Skipped: not started (an earlier target failed under --fail-fast, or the step was stopped).\n")
                }
                _ => {
                    if let Some(e) = &t.error {
                        out.push_str(&markup::fenced(e, "text"));
                        out.push('\n');
                    }
                    let own = t.plan.as_ref().map(|p| &p.markdown).or(t.summary.as_ref());
                    if let Some(markdown) = own {
                        out.push_str(&under_heading(markdown));
                    }
                    if t.error.is_none() && own.is_none() {
                        out.push_str("Succeeded.\n");
                    }
                }
            }
        }
        out
    }
}

impl TargetOutcome {
    /// The plan's counts, or the run's id and result.
    fn what(&self) -> String {
        if let Some(p) = &self.plan {
            return p.line.clone();
        }
        let out = |k: &str| self.outputs.get(k).map(String::as_str).unwrap_or("0");
        if self.outputs.contains_key("tests-passed") {
            return format!(
                "{} passed, {} failed, {} skipped",
                out("tests-passed"),
                out("tests-failed"),
                out("tests-skipped")
            );
        }
        match (self.outputs.get("run-id"), self.outputs.get("result-state")) {
            (Some(id), Some(state)) => format!("run {id}: {state}"),
            (Some(id), None) => format!("run {id}"),
            _ => String::new(),
        }
    }
}

/// A target's own markdown, its headings (`##`, `###`) moved below the target's `####`.
fn under_heading(markdown: &str) -> String {
    let mut out = String::new();
    for line in markdown.lines() {
        match line
            .strip_prefix("### ")
            .or_else(|| line.strip_prefix("## "))
        {
            Some(title) => out.push_str(&format!("##### {title}\n")),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(target: &str, status: TargetStatus, exit: ExitCode) -> TargetOutcome {
        TargetOutcome {
            target: target.into(),
            status,
            exit,
            error: (status == TargetStatus::Failed).then(|| format!("{target} broke")),
            plan: None,
            outputs: Default::default(),
            summary: None,
        }
    }

    #[test]
    fn the_exit_code_is_the_most_severe_failure() {
        use TargetStatus::*;
        let report = |outcomes: Vec<TargetOutcome>| TargetsReport {
            command: "deploy".into(),
            targets: outcomes,
        };
        assert_eq!(
            report(vec![outcome("a", Succeeded, ExitCode::Ok)]).exit_code(),
            ExitCode::Ok
        );
        let r = report(vec![
            outcome("a", Failed, ExitCode::Api),
            outcome("b", Failed, ExitCode::Auth),
            outcome("c", Failed, ExitCode::Failed),
            outcome("d", Skipped, ExitCode::Ok),
        ]);
        assert_eq!(r.exit_code(), ExitCode::Auth);
        let j = r.json();
        assert_eq!(j["exit_code"], 3);
        assert_eq!(j["targets"][1]["error"], "b broke");
        assert_eq!(j["targets"][3]["status"], "skipped");
        assert_eq!(j["targets"][0]["ok"], false);
        let md = r.markdown();
        assert!(md.contains("#### `d`\n\nSkipped"), "{md}");
        assert!(md.contains("| `b` | ❌ failed (exit 3) |"), "{md}");
        assert!(md.contains("\n\ndeploy: 4 target(s), 0 succeeded"), "{md}");
        let text = r.text();
        assert!(text.starts_with("deploy: 4 target(s), 0 succeeded, 3 failed, 1 skipped"));
        assert!(text.contains("\n  b  FAILED    exit 3: b broke"), "{text}");
    }
}
