//! `brickci cancel`: stop a run, e.g. in a cleanup step after the CI job was cancelled.

use std::time::{Duration, Instant};

use crate::cli::CancelArgs;
use crate::databricks::{Client, jobs};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;

use super::watch::RUN_STATE;

pub async fn run(
    platform: &Platform,
    client: &Client,
    args: &CancelArgs,
) -> Result<ExitCode, Error> {
    let run_id = match args.run_id {
        Some(id) => id,
        None => match platform.saved_state(RUN_STATE) {
            Some(saved) => saved.parse().map_err(|_| {
                Error::bad_input(format!("the saved run id {saved:?} is not a number"))
            })?,
            None => {
                platform.info(
                    "no run to cancel: no --run-id and no run saved by an earlier brickci step",
                );
                return Ok(ExitCode::Ok);
            }
        },
    };
    let run = jobs::get_run(client, run_id).await.map_err(|e| {
        if e.is_not_found() {
            Error::bad_input(format!("run {run_id} does not exist"))
        } else {
            e.into()
        }
    })?;
    if run.is_terminal() {
        platform.info(&format!(
            "run {run_id} already ended: {}",
            run.result_state().unwrap_or(run.life_cycle_state())
        ));
        return Ok(ExitCode::Ok);
    }
    jobs::cancel(client, run_id).await?;
    platform.info(&format!("cancellation of run {run_id} requested"));
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    let mut delay = Duration::from_millis(200);
    while Instant::now() < deadline {
        let run = jobs::get_run(client, run_id).await?;
        if run.is_terminal() {
            platform.info(&format!(
                "run {run_id} ended: {}",
                run.result_state().unwrap_or(run.life_cycle_state())
            ));
            platform
                .set_output("result-state", run.result_state().unwrap_or("CANCELED"))
                .map_err(|e| Error::Io(e.to_string()))?;
            return Ok(ExitCode::Ok);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
    platform.warn(&format!(
        "run {run_id} was still stopping after {}s",
        args.wait
    ));
    Ok(ExitCode::Ok)
}
