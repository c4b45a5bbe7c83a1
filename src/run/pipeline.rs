//! A pipeline update: what to refresh, start it (stopped again if a signal came while it
//! started), follow it with the same backoff as a job run, stop it on a signal or timeout.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::databricks::pipelines::{self, Event, UpdateInfo};
use crate::databricks::{Client, ClientError};
use crate::signal::{Interrupt, Signal};

use super::WaitOptions;

/// How long a start in flight at a signal may still take to answer, and a stop.
const START_GRACE: Duration = Duration::from_secs(5);
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The start-update fields brickci's flags set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateRequest {
    pub full_refresh: bool,
    /// Tables refreshed (`--refresh`).
    pub refresh: Vec<String>,
    /// Tables reset and refreshed (`--full-refresh-table`).
    pub full_refresh_tables: Vec<String>,
    pub validate_only: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UpdateRequestError {
    #[error(
        "--full-refresh refreshes every table; it cannot be combined with --refresh or --full-refresh-table"
    )]
    FullAndSelection,
    #[error("{flag}: a table name cannot be empty")]
    EmptyTable { flag: &'static str },
}

impl UpdateRequest {
    /// The start-update body (`full_refresh`, `refresh_selection`, `full_refresh_selection`,
    /// `validate_only`); fields left out when not asked for, as the SDK does.
    pub fn body(&self) -> Result<Value, UpdateRequestError> {
        for (flag, tables) in [
            ("--refresh", &self.refresh),
            ("--full-refresh-table", &self.full_refresh_tables),
        ] {
            if tables.iter().any(|t| t.trim().is_empty()) {
                return Err(UpdateRequestError::EmptyTable { flag });
            }
        }
        if self.full_refresh && !(self.refresh.is_empty() && self.full_refresh_tables.is_empty()) {
            return Err(UpdateRequestError::FullAndSelection);
        }
        let mut body = json!({ "cause": "API_CALL" });
        if self.full_refresh {
            body["full_refresh"] = json!(true);
        }
        if !self.refresh.is_empty() {
            body["refresh_selection"] = json!(self.refresh);
        }
        if !self.full_refresh_tables.is_empty() {
            body["full_refresh_selection"] = json!(self.full_refresh_tables);
        }
        if self.validate_only {
            body["validate_only"] = json!(true);
        }
        Ok(body)
    }
}

/// A start a signal stopped: what became of the update, said plainly.
#[derive(Debug)]
pub struct StartStopped {
    pub signal: Signal,
    pub message: String,
}

/// Starts the update unless a signal came first; a signal while the start is in flight
/// waits briefly for its answer and stops the update it started.
pub async fn start(
    client: &Client,
    pipeline_id: &str,
    body: Value,
    interrupt: &mut Interrupt,
) -> Result<Result<String, StartStopped>, ClientError> {
    if let Some(signal) = interrupt.received() {
        return Ok(Err(StartStopped {
            signal,
            message: format!(
                "{}: stopped before starting an update; nothing was started",
                signal.name()
            ),
        }));
    }
    let start = pipelines::start_update(client, pipeline_id, body);
    tokio::pin!(start);
    let signal = tokio::select! {
        biased;
        s = interrupt.wait() => s,
        r = &mut start => return r.map(Ok),
    };
    let message = match tokio::time::timeout(START_GRACE, start).await {
        Ok(Ok(update_id)) => stop(client, pipeline_id, &update_id, signal.name()).await,
        Ok(Err(e)) => format!(
            "{}: stopped while starting an update; the start failed ({e}), so nothing was started",
            signal.name()
        ),
        Err(_) => format!(
            "{}: stopped while starting an update; the workspace did not answer in time, so an update may be running: check pipeline {pipeline_id}",
            signal.name()
        ),
    };
    Ok(Err(StartStopped { signal, message }))
}

/// Stops the pipeline's active update (bounded); says what became of it.
pub async fn stop(
    client: &Client,
    pipeline_id: &str,
    update_id: &str,
    why: impl std::fmt::Display,
) -> String {
    match tokio::time::timeout(STOP_GRACE, pipelines::stop(client, pipeline_id)).await {
        Ok(Ok(())) => format!("{why}: update {update_id} of pipeline {pipeline_id} was stopped"),
        Ok(Err(e)) => {
            format!("{why}: update {update_id} could not be stopped ({e}) and may still be running")
        }
        Err(_) => format!(
            "{why}: update {update_id} could not be stopped in time and may still be running"
        ),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateEvent {
    /// The update's state changed (reported once per change).
    State(String),
    StopRequested {
        reason: String,
    },
}

/// How following an update ended, when it did not end on its own.
#[derive(Debug, thiserror::Error)]
pub enum UpdateWaitError {
    #[error(transparent)]
    Api(#[from] ClientError),
    #[error("update {update_id} was stopped after {}", signal.name())]
    Stopped {
        update_id: String,
        signal: Signal,
        last: Option<UpdateInfo>,
    },
    #[error("update {update_id} did not finish within {timeout:?}; it was stopped")]
    TimedOut {
        update_id: String,
        timeout: Duration,
        last: Option<UpdateInfo>,
    },
}

/// Polls the update until it ends (first poll at once, then backing off to `poll_max`).
pub async fn wait_for_update(
    client: &Client,
    pipeline_id: &str,
    update_id: &str,
    opts: &WaitOptions,
    interrupt: &mut Interrupt,
    on_event: &mut (dyn FnMut(UpdateEvent) + Send),
) -> Result<UpdateInfo, UpdateWaitError> {
    let started = Instant::now();
    let mut seen: Option<String> = None;
    let mut delay = opts.poll_min;
    loop {
        let update = tokio::select! {
            biased;
            signal = interrupt.wait() => {
                return Err(stopped(client, pipeline_id, update_id, opts, &mut seen, on_event, signal).await);
            }
            r = pipelines::get_update(client, pipeline_id, update_id) => r?,
        };
        report(&update, &mut seen, on_event);
        if update.is_terminal() {
            return Ok(update);
        }
        if let Some(limit) = opts.timeout
            && started.elapsed() >= limit
        {
            on_event(UpdateEvent::StopRequested {
                reason: format!("timeout of {limit:?} reached"),
            });
            let last =
                stop_and_settle(client, pipeline_id, update_id, opts, &mut seen, on_event).await;
            return Err(UpdateWaitError::TimedOut {
                update_id: update_id.to_string(),
                timeout: limit,
                last,
            });
        }
        tokio::select! {
            signal = interrupt.wait() => {
                return Err(stopped(client, pipeline_id, update_id, opts, &mut seen, on_event, signal).await);
            }
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(opts.poll_max);
    }
}

async fn stopped(
    client: &Client,
    pipeline_id: &str,
    update_id: &str,
    opts: &WaitOptions,
    seen: &mut Option<String>,
    on_event: &mut (dyn FnMut(UpdateEvent) + Send),
    signal: Signal,
) -> UpdateWaitError {
    on_event(UpdateEvent::StopRequested {
        reason: format!("received {}", signal.name()),
    });
    let last = stop_and_settle(client, pipeline_id, update_id, opts, seen, on_event).await;
    UpdateWaitError::Stopped {
        update_id: update_id.to_string(),
        signal,
        last,
    }
}

fn report(
    update: &UpdateInfo,
    seen: &mut Option<String>,
    on_event: &mut (dyn FnMut(UpdateEvent) + Send),
) {
    if seen.as_deref() != Some(update.state()) {
        on_event(UpdateEvent::State(update.state().to_string()));
        *seen = Some(update.state().to_string());
    }
}

/// Asks the pipeline to stop and polls the update until it ends or the grace period is over.
async fn stop_and_settle(
    client: &Client,
    pipeline_id: &str,
    update_id: &str,
    opts: &WaitOptions,
    seen: &mut Option<String>,
    on_event: &mut (dyn FnMut(UpdateEvent) + Send),
) -> Option<UpdateInfo> {
    let deadline = Instant::now() + opts.cancel_grace;
    let stopped =
        tokio::time::timeout(opts.cancel_grace, pipelines::stop(client, pipeline_id)).await;
    if !matches!(stopped, Ok(Ok(()))) {
        tracing::warn!(pipeline_id, update_id, "could not stop the pipeline update");
    }
    let mut last = None;
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, pipelines::get_update(client, pipeline_id, update_id))
            .await
        {
            Ok(Ok(update)) => {
                report(&update, seen, on_event);
                let done = update.is_terminal();
                last = Some(update);
                if done {
                    break;
                }
            }
            _ => break,
        }
        tokio::time::sleep(opts.poll_min.min(Duration::from_millis(500))).await;
    }
    last
}

/// One line per error event: its message, then each exception as `Class: message`.
pub fn error_lines(events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events {
        let message = e.message.as_deref().unwrap_or("").trim();
        let kind = e.event_type.as_deref().unwrap_or("event");
        if !message.is_empty() {
            out.push(format!("[{kind}] {message}"));
        }
        for x in e.error.iter().flat_map(|d| &d.exceptions) {
            let class = x.class_name.as_deref().unwrap_or("").trim();
            let text = x.message.as_deref().unwrap_or("").trim();
            match (class.is_empty(), text.is_empty()) {
                (false, false) => out.push(format!("  {class}: {text}")),
                (false, true) => out.push(format!("  {class}")),
                (true, false) => out.push(format!("  {text}")),
                (true, true) => {}
            }
        }
    }
    out.into_iter()
        .map(|l| crate::report::markup::strip_ansi(&l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_the_start_update_fields() {
        let req = UpdateRequest {
            refresh: vec!["sales".into(), "orders".into()],
            full_refresh_tables: vec!["dim".into()],
            validate_only: true,
            ..UpdateRequest::default()
        };
        let body = req.body().unwrap();
        assert_eq!(body["refresh_selection"], json!(["sales", "orders"]));
        assert_eq!(body["full_refresh_selection"], json!(["dim"]));
        assert_eq!(body["validate_only"], true);
        assert!(body.get("full_refresh").is_none());
        let full = UpdateRequest {
            full_refresh: true,
            ..UpdateRequest::default()
        };
        assert_eq!(full.body().unwrap()["full_refresh"], true);
    }

    #[test]
    fn a_full_refresh_with_a_selection_is_refused() {
        let req = UpdateRequest {
            full_refresh: true,
            refresh: vec!["sales".into()],
            ..UpdateRequest::default()
        };
        assert_eq!(req.body(), Err(UpdateRequestError::FullAndSelection));
        let empty = UpdateRequest {
            refresh: vec![" ".into()],
            ..UpdateRequest::default()
        };
        assert_eq!(
            empty.body(),
            Err(UpdateRequestError::EmptyTable { flag: "--refresh" })
        );
    }

    #[test]
    fn error_events_show_their_exceptions() {
        let events: Vec<Event> = serde_json::from_value(json!([
            { "event_type": "update_progress", "message": "Update 1 is FAILED.", "level": "ERROR",
              "error": { "exceptions": [{ "class_name": "AnalysisException", "message": "no table\u{1b}[31m" }] } },
            { "event_type": "flow_progress", "message": "", "error": { "exceptions": [{ "message": "just text" }] } }
        ]))
        .unwrap();
        assert_eq!(
            error_lines(&events),
            vec![
                "[update_progress] Update 1 is FAILED.",
                "  AnalysisException: no table",
                "  just text"
            ]
        );
    }
}
