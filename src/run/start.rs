//! Starting a run so that a signal never leaves one behind: nothing is started once a
//! signal has arrived, and a run whose start was in flight when it arrived is cancelled.

use std::time::Duration;

use crate::databricks::{Client, ClientError, jobs};
use crate::signal::{Interrupt, Signal};

/// How long a start request in flight at a signal may still take to answer: CI runners
/// kill a step about 10 s after the first signal, and the cancel needs time too.
const START_GRACE: Duration = Duration::from_secs(5);
const CANCEL_GRACE: Duration = Duration::from_secs(3);

/// A start that a signal stopped.
#[derive(Debug)]
pub struct Stopped {
    pub signal: Signal,
    /// What became of the run, said plainly for the log.
    pub message: String,
    /// A run may still be running (its start or its cancel went unanswered).
    pub maybe_running: bool,
}

/// What a cancel by brickci came to.
#[derive(Debug)]
pub struct Cancelled {
    pub message: String,
    /// The cancel was not accepted: the run may still be running.
    pub maybe_running: bool,
}

/// Sends `start` (a runs/submit or run-now returning the run id) unless a signal came
/// first. A signal while it is in flight: its answer is awaited briefly and the run it
/// started cancelled.
pub async fn start_run(
    client: &Client,
    interrupt: &mut Interrupt,
    start: impl std::future::Future<Output = Result<i64, ClientError>>,
) -> Result<Result<i64, Stopped>, ClientError> {
    if let Some(signal) = interrupt.received() {
        return Ok(Err(Stopped {
            signal,
            message: format!(
                "{}: stopped before starting a run; nothing was started",
                signal.name()
            ),
            maybe_running: false,
        }));
    }
    tokio::pin!(start);
    let signal = tokio::select! {
        biased;
        s = interrupt.wait() => s,
        r = &mut start => return r.map(Ok),
    };
    let (message, maybe_running) = match tokio::time::timeout(START_GRACE, start).await {
        Ok(Ok(run_id)) => {
            let c = cancel(client, run_id, signal.name()).await;
            (c.message, c.maybe_running)
        }
        Ok(Err(e)) => (
            format!(
                "{}: stopped while starting a run; the start failed ({e}), so nothing was started",
                signal.name()
            ),
            false,
        ),
        Err(_) => (
            format!(
                "{}: stopped while starting a run; the workspace did not answer in time, so a run may have been started: check the job runs in the workspace",
                signal.name()
            ),
            true,
        ),
    };
    Ok(Err(Stopped {
        signal,
        message,
        maybe_running,
    }))
}

/// Cancels a run brickci started and cannot follow; says plainly what became of it.
pub async fn cancel(client: &Client, run_id: i64, why: impl std::fmt::Display) -> Cancelled {
    match tokio::time::timeout(CANCEL_GRACE, jobs::cancel(client, run_id)).await {
        Ok(Ok(())) => Cancelled {
            message: format!("{why}: run {run_id} was cancelled"),
            maybe_running: false,
        },
        Ok(Err(e)) => Cancelled {
            message: format!(
                "{why}: run {run_id} could not be cancelled ({e}) and may still be running"
            ),
            maybe_running: true,
        },
        Err(_) => Cancelled {
            message: format!(
                "{why}: run {run_id} could not be cancelled in time and may still be running"
            ),
            maybe_running: true,
        },
    }
}

/// After an error while following a run brickci started: a run that has not ended is
/// cancelled (or named as still running). None when the run had ended already.
pub async fn after_error(
    client: &Client,
    run_id: i64,
    error: impl std::fmt::Display,
) -> Option<Cancelled> {
    let ended = tokio::time::timeout(CANCEL_GRACE, jobs::get_run(client, run_id))
        .await
        .is_ok_and(|r| r.is_ok_and(|run| run.is_terminal()));
    if ended {
        return None;
    }
    Some(
        cancel(
            client,
            run_id,
            format!("could not follow run {run_id} ({error})"),
        )
        .await,
    )
}
