//! `brickci cancel`: stop a run, e.g. in a cleanup step after the CI job was cancelled;
//! `--saved` stops every run earlier steps saved; `post_step` is the GitHub action's post
//! step (the binary started as `brickci-post`).

use std::time::{Duration, Instant};

use crate::cli::CancelArgs;
use crate::databricks::{Client, jobs, pipelines};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::platform::saved_runs::{
    self, HANDED_OVER, RUN_DONE_STATE, RUN_ID_STATE, RUN_IDS_STATE, UPDATES_STATE,
};

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
    // The runs and pipeline updates an earlier step of this job saved (Azure DevOps job
    // variables).
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
    let updates = platform
        .saved_state(UPDATES_STATE)
        .map(|v| saved_runs::parse_update_keys(&v))
        .unwrap_or_default();
    if ids.is_empty() && updates.is_empty() {
        platform.info("no run to cancel: no --run-id and no run saved by an earlier brickci step");
        return Ok(ExitCode::Ok);
    }
    for id in ids {
        cancel_one(platform, client, id, args.wait, true).await?;
    }
    for (pipeline_id, update_id) in &updates {
        stop_update(platform, client, pipeline_id, update_id, args.wait).await?;
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

/// What the main step started and did not see end: job runs and pipeline updates.
#[derive(Debug, Default, PartialEq)]
pub struct LeftBehind {
    pub runs: Vec<i64>,
    /// `(pipeline id, update id)`.
    pub updates: Vec<(String, String)>,
}

impl LeftBehind {
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.updates.is_empty()
    }
}

/// The GitHub action's post step, first half: the runs and pipeline updates the main step
/// started and did not see end (a cancelled or killed job). Leaves alone what `--no-wait`
/// handed over and what other steps started. Needs no connection, so a step that never
/// started anything does not fail its post step.
pub fn post_step_runs(platform: &Platform) -> Result<LeftBehind, Error> {
    let done = platform.saved_state(RUN_DONE_STATE);
    let runs: Vec<i64> = match platform.saved_state(RUN_IDS_STATE) {
        Some(ids) => ids
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect(),
        None => saved_run_id(platform)?.into_iter().collect(),
    };
    let updates = platform
        .saved_state(UPDATES_STATE)
        .map(|v| saved_runs::parse_update_keys(&v))
        .unwrap_or_default();
    let open = LeftBehind { runs, updates };
    match done.as_deref() {
        Some("true") => platform.info("post step: the main step saw its runs end"),
        Some(HANDED_OVER) => {
            let mut started: Vec<String> = open.runs.iter().map(|id| format!("run {id}")).collect();
            started.extend(open.updates.iter().map(|(_, u)| format!("update {u}")));
            platform.info(&format!(
                "post step: {} was started with --no-wait; leaving it running",
                started.join(", ")
            ))
        }
        _ if open.is_empty() => platform.info("post step: no run left behind by the main step"),
        _ => return Ok(open),
    }
    Ok(LeftBehind::default())
}

/// The post step, second half: cancels those runs and stops those updates; never runs the
/// command again.
pub async fn post_step(
    platform: &Platform,
    client: &Client,
    open: &LeftBehind,
) -> Result<ExitCode, Error> {
    for &id in &open.runs {
        platform.info(&format!("post step: run {id} was left running"));
        cancel_one(platform, client, id, 30, false).await?;
        saved_runs::remove(platform.env(), id);
    }
    for (pipeline_id, update_id) in &open.updates {
        platform.info(&format!(
            "post step: update {update_id} of pipeline {pipeline_id} was left running"
        ));
        stop_update(platform, client, pipeline_id, update_id, 30).await?;
        saved_runs::remove_update(platform.env(), update_id);
    }
    Ok(ExitCode::Ok)
}

/// Cancels every run and stops every pipeline update saved under the runner's temp folder
/// that is still active.
async fn cancel_saved(platform: &Platform, client: &Client, wait: u64) -> Result<ExitCode, Error> {
    let host = client.host().as_str().trim_end_matches('/').to_string();
    let elsewhere =
        |h: &Option<String>| h.as_ref().is_some_and(|h| h.trim_end_matches('/') != host);
    for saved in saved_runs::list(platform.env()) {
        if elsewhere(&saved.host) {
            platform.warn(&format!(
                "saved run {} is on another workspace; not cancelling it from here",
                saved.run_id
            ));
            continue;
        }
        cancel_one(platform, client, saved.run_id, wait, false).await?;
        saved_runs::remove(platform.env(), saved.run_id);
    }
    for saved in saved_runs::list_updates(platform.env()) {
        if elsewhere(&saved.host) {
            platform.warn(&format!(
                "saved update {} is on another workspace; not stopping it from here",
                saved.update_id
            ));
            continue;
        }
        stop_update(platform, client, &saved.pipeline_id, &saved.update_id, wait).await?;
        saved_runs::remove_update(platform.env(), &saved.update_id);
    }
    Ok(ExitCode::Ok)
}

/// Stops a pipeline's update if it is still active. A stop acts on the pipeline's active
/// update, so an update that already ended is left alone (a newer one may be running).
async fn stop_update(
    platform: &Platform,
    client: &Client,
    pipeline_id: &str,
    update_id: &str,
    wait: u64,
) -> Result<(), Error> {
    let update = match pipelines::get_update(client, pipeline_id, update_id).await {
        Ok(update) => update,
        Err(e) if e.is_not_found() => {
            platform.info(&format!(
                "update {update_id} of pipeline {pipeline_id} no longer exists"
            ));
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    if update.is_terminal() {
        platform.info(&format!(
            "update {update_id} already ended: {}",
            update.state()
        ));
        return Ok(());
    }
    pipelines::stop(client, pipeline_id).await?;
    platform.info(&format!(
        "stop of update {update_id} of pipeline {pipeline_id} requested"
    ));
    let deadline = Instant::now() + Duration::from_secs(wait);
    let mut delay = Duration::from_millis(200);
    while Instant::now() < deadline {
        let update = pipelines::get_update(client, pipeline_id, update_id).await?;
        if update.is_terminal() {
            platform.info(&format!("update {update_id} ended: {}", update.state()));
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
    platform.warn(&format!(
        "update {update_id} was still stopping after {wait}s"
    ));
    Ok(())
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
