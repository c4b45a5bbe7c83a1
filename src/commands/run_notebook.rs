//! `brickci run --notebook PATH`: upload, submit once, wait, show the outcome, clean up.

use std::time::Duration;

use crate::cli::RunArgs;
use crate::databricks::{Client, scim, workspace};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::run::notebook::{self, Compute, NotebookRunRequest, NotebookSource};
use crate::run::{Outcome, WaitError, WaitEvent, WaitOptions, collect_outcome, wait_for_run};
use crate::signal::Interrupt;
use crate::util::{fnv1a64, parse_key_value};

/// Everything checked before the first request, so bad input writes nothing.
struct Plan {
    source: NotebookSource,
    params: Vec<(String, String)>,
    compute: Compute,
    wait: WaitOptions,
}

fn plan(args: &RunArgs) -> Result<Plan, Error> {
    let source = NotebookSource::read(&args.notebook)?;
    let params = args
        .params
        .iter()
        .map(|p| parse_key_value("--param", p).map_err(Error::bad_input))
        .collect::<Result<Vec<_>, _>>()?;
    let compute = match (&args.cluster_id, &args.new_cluster) {
        (Some(id), _) => Compute::ExistingCluster(id.clone()),
        (None, Some(json)) => Compute::NewCluster(
            serde_json::from_str(json)
                .map_err(|e| Error::bad_input(format!("--new-cluster is not valid JSON: {e}")))?,
        ),
        (None, None) => Compute::Serverless,
    };
    let secs = |flag: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(Duration::from_secs_f64(v))
        } else {
            Err(Error::bad_input(format!(
                "{flag} must be a positive number of seconds, got {v}"
            )))
        }
    };
    let wait = WaitOptions {
        poll_min: secs("--poll-min", args.poll_min)?,
        poll_max: secs("--poll-max", args.poll_max)?,
        timeout: (args.timeout > 0).then(|| Duration::from_secs(args.timeout)),
        ..WaitOptions::default()
    };
    Ok(Plan {
        source,
        params,
        compute,
        wait,
    })
}

pub async fn run(
    platform: &Platform,
    client: &Client,
    args: &RunArgs,
    mut interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    let plan = plan(args)?;
    // Stable for this CI attempt and notebook: a resent submit finds the same run.
    let seed = platform
        .idempotency_seed()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let path_key = plan.source.local_path.to_string_lossy().into_owned();
    let token_id = format!("{seed}-{:016x}", fnv1a64(path_key.as_bytes()));
    let idempotency_token: String = format!("brickci-{token_id}").chars().take(64).collect();

    let (folder, temporary) = match &args.workspace_dir {
        Some(dir) => (dir.trim_end_matches('/').to_string(), false),
        None => {
            let me = scim::me(client).await?.me;
            let user = me.user_name.unwrap_or_else(|| "brickci".into());
            let short = format!("{:016x}", fnv1a64(token_id.as_bytes()));
            (format!("/Users/{user}/.brickci/tmp/{short}"), true)
        }
    };

    platform.group_start(&format!("brickci run {}", plan.source.local_path.display()));
    let result = upload_submit_wait(
        platform,
        client,
        args,
        &plan,
        &folder,
        idempotency_token,
        &mut interrupt,
    )
    .await;
    platform.group_end();

    if temporary && !args.keep_upload {
        // Best effort, bounded: a cancelled step has seconds before it is killed.
        let cleanup = tokio::time::timeout(
            Duration::from_secs(5),
            workspace::delete(client, &folder, true),
        )
        .await;
        if !matches!(cleanup, Ok(Ok(()))) {
            platform.warn(&format!("could not remove the temporary folder {folder}"));
        }
    }

    let outcome = result?;
    report(platform, &outcome)?;
    Ok(if outcome.succeeded() {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}

async fn upload_submit_wait(
    platform: &Platform,
    client: &Client,
    args: &RunArgs,
    plan: &Plan,
    folder: &str,
    idempotency_token: String,
    interrupt: &mut Interrupt,
) -> Result<Outcome, Error> {
    let path = notebook::upload(client, folder, &plan.source).await?;
    platform.info(&format!(
        "uploaded {} to {path}",
        plan.source.local_path.display()
    ));
    let request = NotebookRunRequest {
        run_name: args
            .run_name
            .clone()
            .unwrap_or_else(|| format!("brickci: {}", plan.source.name)),
        workspace_path: path,
        parameters: plan.params.clone(),
        compute: plan.compute.clone(),
        idempotency_token,
        timeout_seconds: args.timeout,
    };
    let run_id = notebook::submit(client, &request).await?;
    platform
        .set_output("run-id", &run_id.to_string())
        .map_err(|e| Error::Io(e.to_string()))?;
    let mut on_event = |event: WaitEvent| print_event(platform, &event);
    let waited = wait_for_run(client, run_id, &plan.wait, interrupt, &mut on_event).await;
    match waited {
        Ok(run) => Ok(collect_outcome(client, &run).await?),
        Err(e) => {
            // Still tell the pipeline what state the run was left in.
            if let WaitError::Cancelled { run: Some(run), .. }
            | WaitError::TimedOut { run: Some(run), .. } = &e
                && let Some(state) = run.result_state()
            {
                let _ = platform.set_output("result-state", state);
            }
            Err(e.into())
        }
    }
}

fn print_event(platform: &Platform, event: &WaitEvent) {
    match event {
        WaitEvent::Started { run_id, url } => {
            platform.info(&format!("run {run_id} submitted"));
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

fn report(platform: &Platform, outcome: &Outcome) -> Result<(), Error> {
    let state = outcome
        .result_state
        .as_deref()
        .unwrap_or(&outcome.life_cycle_state);
    let took = outcome
        .duration_ms
        .map(|ms| format!(" in {:.1}s", ms as f64 / 1000.0))
        .unwrap_or_default();
    platform.info(&format!("run {} finished: {state}{took}", outcome.run_id));
    if let Some(url) = &outcome.run_url {
        platform.info(&format!("run page: {url}"));
    }
    for task in &outcome.tasks {
        if let Some(out) = &task.notebook_output {
            let note = if task.truncated { " (truncated)" } else { "" };
            platform.info(&format!("notebook output{note}: {out}"));
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
    }
    if !outcome.succeeded()
        && outcome.tasks.iter().all(|t| t.error.is_none())
        && let Some(msg) = &outcome.state_message
        && !msg.is_empty()
    {
        platform.error(&format!("run {} failed: {msg}", outcome.run_id));
    }
    let out = |k: &str, v: &str| {
        platform
            .set_output(k, v)
            .map_err(|e| Error::Io(e.to_string()))
    };
    out("run-id", &outcome.run_id.to_string())?;
    if let Some(url) = &outcome.run_url {
        out("run-url", url)?;
    }
    out("result-state", state)?;
    out("notebook-output", outcome.notebook_output().unwrap_or(""))?;
    Ok(())
}
