//! `brickci cancel`: stop a run, e.g. in a cleanup step after the CI job was cancelled;
//! `--saved` stops every run earlier steps saved; `post_step` is the GitHub action's post
//! step (the binary started as `brickci-post`).

use std::time::{Duration, Instant};

use crate::cli::CancelArgs;
use crate::databricks::{Client, jobs};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::platform::saved_runs::{self, HANDED_OVER, RUN_DONE_STATE, RUN_ID_STATE, RUN_IDS_STATE};

pub async fn run(
    platform: &Platform,
    client: &Client,
    args: &CancelArgs,
) -> Result<ExitCode, Error> {
    if args.saved {
        return cancel_saved(platform, client, args.wait).await;
    }
    if let Some(run_id) = args.run_id {
        return cancel_one(platform, client, run_id, args.wait, true).await;
    }
    // The runs an earlier step of this job saved (an Azure DevOps job variable).
    let mut ids: Vec<i64> = platform
        .saved_state(RUN_IDS_STATE)
        .map(|ids| {
            ids.split(',')
                .filter_map(|id| id.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        ids.extend(saved_run_id(platform)?);
    }
    if ids.is_empty() {
        platform.info("no run to cancel: no --run-id and no run saved by an earlier brickci step");
        return Ok(ExitCode::Ok);
    }
    for id in ids {
        cancel_one(platform, client, id, args.wait, true).await?;
    }
    Ok(ExitCode::Ok)
}

fn saved_run_id(platform: &Platform) -> Result<Option<i64>, Error> {
    match platform.saved_state(RUN_ID_STATE) {
        Some(saved) => saved
            .parse()
            .map(Some)
            .map_err(|_| Error::bad_input(format!("the saved run id {saved:?} is not a number"))),
        None => Ok(None),
    }
}

/// The GitHub action's post step, first half: the runs the main step submitted and did not
/// see end (a cancelled or killed job). Leaves alone what `--no-wait` handed over and what
/// other steps started. Needs no connection, so a step that never submitted a run does not
/// fail its post step.
pub fn post_step_runs(platform: &Platform) -> Result<Vec<i64>, Error> {
    let done = platform.saved_state(RUN_DONE_STATE);
    let open: Vec<i64> = match platform.saved_state(RUN_IDS_STATE) {
        Some(ids) => ids
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect(),
        None => saved_run_id(platform)?.into_iter().collect(),
    };
    match done.as_deref() {
        Some("true") => platform.info("post step: the main step saw its runs end"),
        Some(HANDED_OVER) => platform.info(&format!(
            "post step: run {} was started with --no-wait; leaving it running",
            open.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ if open.is_empty() => platform.info("post step: no run left behind by the main step"),
        _ => return Ok(open),
    }
    Ok(Vec::new())
}

/// The post step, second half: cancels those runs; never runs the command again.
pub async fn post_step(
    platform: &Platform,
    client: &Client,
    open: &[i64],
) -> Result<ExitCode, Error> {
    for &id in open {
        platform.info(&format!("post step: run {id} was left running"));
        cancel_one(platform, client, id, 30, false).await?;
        saved_runs::remove(platform.env(), id);
    }
    Ok(ExitCode::Ok)
}

/// Cancels every run saved under the runner's temp folder that is still active.
async fn cancel_saved(platform: &Platform, client: &Client, wait: u64) -> Result<ExitCode, Error> {
    let host = client.host().as_str().trim_end_matches('/').to_string();
    for saved in saved_runs::list(platform.env()) {
        if let Some(h) = &saved.host
            && h.trim_end_matches('/') != host
        {
            platform.warn(&format!(
                "saved run {} is on another workspace; not cancelling it from here",
                saved.run_id
            ));
            continue;
        }
        cancel_one(platform, client, saved.run_id, wait, false).await?;
        saved_runs::remove(platform.env(), saved.run_id);
    }
    Ok(ExitCode::Ok)
}

async fn cancel_one(
    platform: &Platform,
    client: &Client,
    run_id: i64,
    wait: u64,
    set_output: bool,
) -> Result<ExitCode, Error> {
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
    let deadline = Instant::now() + Duration::from_secs(wait);
    let mut delay = Duration::from_millis(200);
    while Instant::now() < deadline {
        let run = jobs::get_run(client, run_id).await?;
        if run.is_terminal() {
            platform.info(&format!(
                "run {run_id} ended: {}",
                run.result_state().unwrap_or(run.life_cycle_state())
            ));
            if set_output {
                platform
                    .set_output("result-state", run.result_state().unwrap_or("CANCELED"))
                    .map_err(|e| Error::Io(e.to_string()))?;
            }
            return Ok(ExitCode::Ok);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
    platform.warn(&format!("run {run_id} was still stopping after {wait}s"));
    Ok(ExitCode::Ok)
}
