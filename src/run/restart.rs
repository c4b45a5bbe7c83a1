//! A job's active runs: `run --restart` cancels them, and waits for them, before a new one
//! starts (a job with `max_concurrent_runs: 1` would otherwise skip or queue the new run);
//! `deploy --fail-on-active-runs` refuses to change jobs that are running. A pipeline runs one
//! update at a time: `--restart` stops it, and an active update refuses the deploy too.

use std::time::{Duration, Instant};

use crate::databricks::{Client, ClientError, jobs, pipelines};

/// How long cancelled runs get to stop before the new run starts anyway.
const STOP_WAIT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_secs(2);

/// The ids of the job's runs that have not ended.
pub async fn active(client: &Client, job_id: i64) -> Result<Vec<i64>, ClientError> {
    Ok(jobs::list_runs(client, Some(job_id), true)
        .await?
        .into_iter()
        .filter(|r| !r.is_terminal())
        .map(|r| r.run_id)
        .collect())
}

/// Cancels every active run of the job and waits until they have stopped; the ids cancelled.
pub async fn cancel_active(client: &Client, job_id: i64) -> Result<Vec<i64>, ClientError> {
    let active = active(client, job_id).await?;
    for id in &active {
        jobs::cancel(client, *id).await?;
    }
    let started = Instant::now();
    let mut waiting = active.clone();
    while !waiting.is_empty() && started.elapsed() < STOP_WAIT {
        let mut still = Vec::new();
        for id in waiting {
            if !jobs::get_run(client, id).await?.is_terminal() {
                still.push(id);
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(active)
}

/// The ids of the pipeline's updates that have not ended (a pipeline runs one at a time).
pub async fn active_updates(
    client: &Client,
    pipeline_id: &str,
) -> Result<Vec<String>, ClientError> {
    Ok(pipelines::get(client, pipeline_id).await?.active_updates())
}

/// Stops the pipeline's active update and waits until it has ended; the ids stopped.
pub async fn stop_active_updates(
    client: &Client,
    pipeline_id: &str,
) -> Result<Vec<String>, ClientError> {
    let active = active_updates(client, pipeline_id).await?;
    if active.is_empty() {
        return Ok(active);
    }
    pipelines::stop(client, pipeline_id).await?;
    let started = Instant::now();
    while started.elapsed() < STOP_WAIT {
        if active_updates(client, pipeline_id).await?.is_empty() {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(active)
}
