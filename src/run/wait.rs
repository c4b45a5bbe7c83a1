//! Waiting for a run: poll with backoff, report each change once, cancel on a signal or
//! timeout and see the cancellation through.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::databricks::models::Run;
use crate::databricks::{Client, ClientError, jobs};
use crate::signal::{Interrupt, Signal};

#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// First poll interval; doubles up to `poll_max`.
    pub poll_min: Duration,
    pub poll_max: Duration,
    /// Give up (and cancel the run) after this long. None waits as long as the run takes.
    pub timeout: Option<Duration>,
    /// How long to keep polling after asking for a cancellation; CI runners kill a step
    /// about 10 s after the first signal.
    pub cancel_grace: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            poll_min: Duration::from_secs(1),
            poll_max: Duration::from_secs(20),
            timeout: None,
            cancel_grace: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WaitEvent {
    /// First look at the run: where to watch it.
    Started {
        run_id: i64,
        url: Option<String>,
    },
    /// The run's state changed (printed once per change).
    State {
        life_cycle: String,
        result: Option<String>,
        message: Option<String>,
    },
    /// A task of a multi-task run changed state.
    Task {
        key: String,
        life_cycle: String,
        result: Option<String>,
    },
    CancelRequested {
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Api(#[from] ClientError),
    #[error("run {run_id} was cancelled after {}", signal.name())]
    Cancelled {
        run_id: i64,
        signal: Signal,
        run: Option<Box<Run>>,
    },
    #[error("run {run_id} did not finish within {timeout:?}; it was cancelled")]
    TimedOut {
        run_id: i64,
        timeout: Duration,
        run: Option<Box<Run>>,
    },
}

/// Waits until the run is terminal and returns its final state.
pub async fn wait_for_run(
    client: &Client,
    run_id: i64,
    opts: &WaitOptions,
    interrupt: &mut Interrupt,
    on_event: &mut (dyn FnMut(WaitEvent) + Send),
) -> Result<Run, WaitError> {
    let started = Instant::now();
    let mut seen = Seen::default();
    let mut delay = opts.poll_min;
    loop {
        // A read can hang for minutes on a slow workspace: a signal does not wait for it.
        let run = tokio::select! {
            biased;
            signal = interrupt.wait() => {
                on_event(WaitEvent::CancelRequested { reason: format!("received {}", signal.name()) });
                let run = cancel_and_settle(client, run_id, opts, &mut seen, on_event).await;
                return Err(WaitError::Cancelled { run_id, signal, run: run.map(Box::new) });
            }
            r = jobs::get_run(client, run_id) => r?,
        };
        seen.report(&run, on_event);
        if run.is_terminal() {
            return Ok(run);
        }
        if let Some(limit) = opts.timeout
            && started.elapsed() >= limit
        {
            on_event(WaitEvent::CancelRequested {
                reason: format!("timeout of {limit:?} reached"),
            });
            let run = cancel_and_settle(client, run_id, opts, &mut seen, on_event).await;
            return Err(WaitError::TimedOut {
                run_id,
                timeout: limit,
                run: run.map(Box::new),
            });
        }
        tokio::select! {
            signal = interrupt.wait() => {
                on_event(WaitEvent::CancelRequested { reason: format!("received {}", signal.name()) });
                let run = cancel_and_settle(client, run_id, opts, &mut seen, on_event).await;
                return Err(WaitError::Cancelled { run_id, signal, run: run.map(Box::new) });
            }
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(opts.poll_max);
    }
}

/// Asks for a cancellation and polls until terminal or the grace period is over.
async fn cancel_and_settle(
    client: &Client,
    run_id: i64,
    opts: &WaitOptions,
    seen: &mut Seen,
    on_event: &mut (dyn FnMut(WaitEvent) + Send),
) -> Option<Run> {
    let deadline = Instant::now() + opts.cancel_grace;
    let cancel = tokio::time::timeout(opts.cancel_grace, jobs::cancel(client, run_id)).await;
    if !matches!(cancel, Ok(Ok(()))) {
        tracing::warn!(run_id, "could not cancel the run");
    }
    let mut last = None;
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, jobs::get_run(client, run_id)).await {
            Ok(Ok(run)) => {
                seen.report(&run, on_event);
                let done = run.is_terminal();
                last = Some(run);
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

/// What has been reported already, so each change is reported once.
#[derive(Default)]
struct Seen {
    started: bool,
    state: Option<(String, Option<String>)>,
    tasks: BTreeMap<String, (String, Option<String>)>,
}

impl Seen {
    fn report(&mut self, run: &Run, on_event: &mut (dyn FnMut(WaitEvent) + Send)) {
        if !self.started {
            self.started = true;
            on_event(WaitEvent::Started {
                run_id: run.run_id,
                url: run.run_page_url.clone(),
            });
        }
        let now = (
            run.life_cycle_state().to_string(),
            run.result_state().map(str::to_string),
        );
        if self.state.as_ref() != Some(&now) {
            on_event(WaitEvent::State {
                life_cycle: now.0.clone(),
                result: now.1.clone(),
                message: run
                    .state
                    .as_ref()
                    .and_then(|s| s.state_message.as_deref())
                    .map(crate::report::markup::strip_ansi)
                    .filter(|m| !m.is_empty()),
            });
            self.state = Some(now);
        }
        // Per-task changes only matter when there is more than one task.
        if run.tasks.len() > 1 {
            for t in &run.tasks {
                let now = (
                    t.life_cycle_state().to_string(),
                    t.result_state().map(str::to_string),
                );
                if self.tasks.get(&t.task_key) != Some(&now) {
                    on_event(WaitEvent::Task {
                        key: t.task_key.clone(),
                        life_cycle: now.0.clone(),
                        result: now.1.clone(),
                    });
                    self.tasks.insert(t.task_key.clone(), now);
                }
            }
        }
    }
}
