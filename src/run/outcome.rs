//! The outcome of a finished run: result state, each task's state, output, error and trace.

use serde::Serialize;

use crate::databricks::models::Run;
use crate::databricks::{Client, ClientError, jobs};

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub run_id: i64,
    pub run_url: Option<String>,
    pub life_cycle_state: String,
    pub result_state: Option<String>,
    pub state_message: Option<String>,
    pub duration_ms: Option<i64>,
    pub tasks: Vec<TaskOutcome>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TaskOutcome {
    pub task_key: String,
    pub run_id: i64,
    pub result_state: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub notebook_output: Option<String>,
    pub truncated: bool,
    pub error: Option<String>,
    pub error_trace: Option<String>,
    pub logs: Option<String>,
}

impl Outcome {
    /// The gate is the result state, not "the run ended".
    pub fn succeeded(&self) -> bool {
        self.result_state.as_deref() == Some("SUCCESS")
    }

    /// The notebook exit value of a single-task run.
    pub fn notebook_output(&self) -> Option<&str> {
        match self.tasks.as_slice() {
            [only] => only.notebook_output.as_deref(),
            _ => None,
        }
    }
}

/// Reads the output of every task (get-output takes task run ids, not the parent's).
pub async fn collect_outcome(client: &Client, run: &Run) -> Result<Outcome, ClientError> {
    let mut tasks = Vec::with_capacity(run.tasks.len());
    for t in &run.tasks {
        // A task that never ran (skipped, upstream failed) has no output to read.
        let output = match jobs::get_output(client, t.run_id).await {
            Ok(o) => Some(o),
            Err(e) if e.api().is_some_and(|a| a.status == 400 || a.status == 404) => None,
            Err(e) => return Err(e),
        };
        let output = output.unwrap_or_default();
        let nb = output.notebook_output.unwrap_or_default();
        // Colour codes from the notebook reach neither the log nor a report.
        let plain = |s: Option<String>| s.map(|s| crate::report::markup::strip_ansi(&s));
        tasks.push(TaskOutcome {
            task_key: t.task_key.clone(),
            run_id: t.run_id,
            result_state: t.result_state().map(str::to_string),
            start_time: t.start_time,
            end_time: t.end_time,
            notebook_output: plain(nb.result),
            truncated: nb.truncated.unwrap_or(false),
            error: plain(output.error),
            error_trace: plain(output.error_trace),
            logs: plain(output.logs),
        });
    }
    let duration_ms =
        run.run_duration
            .filter(|d| *d > 0)
            .or_else(|| match (run.start_time, run.end_time) {
                (Some(s), Some(e)) if e > s => Some(e - s),
                _ => None,
            });
    Ok(Outcome {
        run_id: run.run_id,
        run_url: run.run_page_url.clone(),
        life_cycle_state: run.life_cycle_state().to_string(),
        result_state: run.result_state().map(str::to_string),
        state_message: run
            .state
            .as_ref()
            .and_then(|s| s.state_message.as_deref())
            .map(crate::report::markup::strip_ansi),
        duration_ms,
        tasks,
    })
}
