//! Shared by every command that waits for a run: follow it, print its changes, collect the
//! outcome, show it, write the outputs (also when it failed).

use crate::cli::WaitArgs;
use crate::databricks::Client;
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::run::{Outcome, WaitError, WaitEvent, WaitOptions, collect_outcome, wait_for_run};
use crate::signal::Interrupt;

/// Wait options from the flags; each pause must be a positive number of seconds.
pub fn wait_options(w: &WaitArgs) -> Result<WaitOptions, Error> {
    let secs = |flag: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(std::time::Duration::from_secs_f64(v))
        } else {
            Err(Error::bad_input(format!(
                "{flag} must be a positive number of seconds, got {v}"
            )))
        }
    };
    Ok(WaitOptions {
        poll_min: secs("--poll-min", w.poll_min)?,
        poll_max: secs("--poll-max", w.poll_max)?,
        timeout: (w.timeout > 0).then(|| std::time::Duration::from_secs(w.timeout)),
        ..WaitOptions::default()
    })
}

/// The state name a later `brickci cancel` step and the post step read.
pub const RUN_STATE: &str = crate::platform::saved_runs::RUN_ID_STATE;

/// Records a started run where the pipeline, the post step and a cleanup step can find it.
pub fn started(platform: &Platform, run_id: i64) -> Result<(), Error> {
    platform
        .set_output("run-id", &run_id.to_string())
        .map_err(io)?;
    platform.run_started(run_id, None).map_err(io)
}

/// Removes a temporary upload folder. Best effort and bounded: a cancelled step has
/// seconds before it is killed.
pub async fn remove_folder(platform: &Platform, client: &Client, folder: &str) {
    let removed = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        crate::databricks::workspace::delete(client, folder, true),
    )
    .await;
    if !matches!(removed, Ok(Ok(()))) {
        platform.warn(&format!("could not remove the temporary folder {folder}"));
    }
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(e.to_string())
}

/// Waits for the run and reports it; the exit code follows its result state. Reading a
/// finished run's results (one request per task) gives way to a signal too.
pub async fn watch(
    platform: &Platform,
    client: &Client,
    run_id: i64,
    wait: &WaitOptions,
    interrupt: &mut Interrupt,
) -> Result<ExitCode, Error> {
    let mut on_event = |event: WaitEvent| print_event(platform, &event);
    let run = match wait_for_run(client, run_id, wait, interrupt, &mut on_event).await {
        Ok(run) => run,
        Err(e) => {
            // Still tell the pipeline what state the run was left in.
            if let WaitError::Cancelled { run: Some(run), .. }
            | WaitError::TimedOut { run: Some(run), .. } = &e
            {
                let state = run.result_state().unwrap_or(run.life_cycle_state());
                let _ = platform.set_output("result-state", state);
            }
            return Err(e.into());
        }
    };
    // Ended: a post step has nothing left to cancel.
    let _ = platform.run_finished(run_id);
    let outcome = match interrupt.guard(collect_outcome(client, &run)).await {
        Ok(outcome) => outcome?,
        Err(signal) => {
            platform.warn(&format!(
                "{}: stopped reading the results of run {run_id} (it had ended)",
                signal.name()
            ));
            return Ok(signal.exit_code());
        }
    };
    report(platform, &outcome)?;
    Ok(if outcome.succeeded() {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}

pub fn print_event(platform: &Platform, event: &WaitEvent) {
    match event {
        WaitEvent::Started { run_id, url } => {
            platform.info(&format!("run {run_id} started"));
            if let Some(url) = url {
                platform.info(&format!("run page: {url}"));
                let _ = platform.set_output("run-url", url);
            }
        }
        WaitEvent::State {
            life_cycle,
            result,
            message,
        } => {
            let mut line = format!("state: {life_cycle}");
            if let Some(r) = result {
                line.push_str(&format!(" ({r})"));
            }
            if let Some(m) = message {
                line.push_str(&format!(": {m}"));
            }
            platform.info(&line);
        }
        WaitEvent::Task {
            key,
            life_cycle,
            result,
        } => {
            platform.info(&format!(
                "task {key}: {life_cycle}{}",
                result
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
        }
        WaitEvent::CancelRequested { reason } => {
            platform.warn(&format!("cancelling the run: {reason}"));
        }
    }
}

fn seconds(ms: i64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

pub fn report(platform: &Platform, outcome: &Outcome) -> Result<(), Error> {
    let state = outcome
        .result_state
        .as_deref()
        .unwrap_or(&outcome.life_cycle_state);
    let took = outcome
        .duration_ms
        .map(|ms| format!(" in {}", seconds(ms)))
        .unwrap_or_default();
    platform.info(&format!("run {} finished: {state}{took}", outcome.run_id));
    if let Some(url) = &outcome.run_url {
        platform.info(&format!("run page: {url}"));
    }
    let many = outcome.tasks.len() > 1;
    for task in &outcome.tasks {
        if many {
            let took = match (task.start_time, task.end_time) {
                (Some(s), Some(e)) if s > 0 && e > s => format!(" in {}", seconds(e - s)),
                _ => String::new(),
            };
            platform.info(&format!(
                "  task {}: {}{took}",
                task.task_key,
                task.result_state.as_deref().unwrap_or("-")
            ));
        }
        if let Some(out) = &task.notebook_output {
            let note = if task.truncated { " (truncated)" } else { "" };
            let label = if many {
                format!("  task {} output{note}", task.task_key)
            } else {
                format!("notebook output{note}")
            };
            platform.info(&format!("{label}: {out}"));
        }
        if let Some(err) = &task.error {
            platform.error(&format!("task {} failed: {err}", task.task_key));
        }
        if let Some(trace) = &task.error_trace {
            platform.group_start(&format!("trace of task {}", task.task_key));
            for line in trace.lines() {
                platform.info(line);
            }
            platform.group_end();
        }
        if let Some(logs) = &task.logs {
            platform.group_start(&format!("log tail of task {}", task.task_key));
            let lines: Vec<&str> = logs.lines().collect();
            for line in &lines[lines.len().saturating_sub(50)..] {
                platform.info(line);
            }
            platform.group_end();
        }
    }
    if !outcome.succeeded()
        && outcome.tasks.iter().all(|t| t.error.is_none())
        && let Some(msg) = outcome.state_message.as_deref().filter(|m| !m.is_empty())
    {
        platform.error(&format!("run {} failed: {msg}", outcome.run_id));
    }
    let out = |k: &str, v: &str| platform.set_output(k, v).map_err(io);
    out("run-id", &outcome.run_id.to_string())?;
    if let Some(url) = &outcome.run_url {
        out("run-url", url)?;
    }
    out("result-state", state)?;
    out("notebook-output", outcome.notebook_output().unwrap_or(""))?;
    let tasks: serde_json::Map<String, serde_json::Value> = outcome
        .tasks
        .iter()
        .map(|t| (t.task_key.clone(), serde_json::json!(t.result_state)))
        .collect();
    out("task-states", &serde_json::Value::Object(tasks).to_string())?;
    Ok(())
}
