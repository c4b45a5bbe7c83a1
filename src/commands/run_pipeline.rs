//! `brickci run -t T KEY` where KEY is a pipeline of the bundle: start an update, follow its
//! states, and on failure show the update's error events (log and summary).

use crate::cli::RunArgs;
use crate::databricks::Client;
use crate::databricks::pipelines::{self, UpdateInfo};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::report::markup;
use crate::run::WaitOptions;
use crate::run::pipeline::{
    UpdateEvent, UpdateRequest, UpdateWaitError, error_lines, start, wait_for_update,
};
use crate::signal::Interrupt;

/// The pipeline, by its resource key and id.
pub struct Target {
    pub key: String,
    pub id: String,
}

/// Job-only inputs that were given (already parsed by the caller).
pub struct Flags {
    pub params: bool,
}

pub async fn run(
    platform: &Platform,
    client: &Client,
    args: &RunArgs,
    flags: Flags,
    target: Target,
    wait: &WaitOptions,
    mut interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    for (flag, set) in [("--param", flags.params), ("--only", !args.only.is_empty())] {
        if set {
            return Err(Error::bad_input(format!(
                "{flag} only applies to jobs; {} is a pipeline of the bundle",
                target.key
            )));
        }
    }
    let p = &args.pipeline;
    let body = UpdateRequest {
        full_refresh: p.full_refresh,
        refresh: p.refresh.clone(),
        full_refresh_tables: p.full_refresh_table.clone(),
        validate_only: p.validate_only,
    }
    .body()
    .map_err(|e| Error::bad_input(e.to_string()))?;
    let pid = target.id.as_str();
    if args.restart {
        let stopped = interrupt
            .guard(crate::run::restart::stop_active_updates(client, pid))
            .await;
        match stopped {
            Ok(stopped) => {
                let stopped = stopped?;
                if !stopped.is_empty() {
                    platform.info(&format!(
                        "--restart: stopped the pipeline's active update {}",
                        stopped.join(", ")
                    ));
                }
            }
            Err(signal) => {
                platform.warn(&format!(
                    "{}: stopped before starting an update; nothing was started",
                    signal.name()
                ));
                return Ok(signal.exit_code());
            }
        }
    }
    platform.info(&format!(
        "starting an update of pipeline {} ({pid})",
        target.key
    ));
    let update_id = match start(client, pid, body, &mut interrupt).await {
        Ok(Ok(id)) => id,
        Ok(Err(stopped)) => {
            platform.warn(&stopped.message);
            return Ok(stopped.signal.exit_code());
        }
        Err(e) if e.api().is_some_and(|a| a.status == 409) => {
            return Err(Error::BadInput {
                message: format!(
                    "pipeline {} ({pid}) already has an active update: {e}",
                    target.key
                ),
                help: vec!["wait for it to end, or pass --restart to stop it first".into()],
            });
        }
        Err(e) => return Err(e.into()),
    };
    let url = client.url_for(&format!("/#joblist/pipelines/{pid}/updates/{update_id}"));
    let out = |k: &str, v: &str| platform.set_output(k, v).map_err(io);
    out("update-id", &update_id)?;
    out("update-url", &url)?;
    // Saved like a job run: the post step and `cancel --saved` stop it if left running.
    platform
        .update_started(pid, &update_id, Some(&url))
        .map_err(io)?;
    platform.info(&format!("update {update_id} started"));
    platform.info(&format!("update page: {url}"));
    if args.no_wait {
        platform.info(&format!(
            "update {update_id} started; not waiting (--no-wait)"
        ));
        return Ok(ExitCode::Ok);
    }
    let mut on_event = |event: UpdateEvent| match event {
        UpdateEvent::State(state) => platform.info(&format!("update state: {state}")),
        UpdateEvent::StopRequested { reason } => {
            platform.warn(&format!("stopping the update: {reason}"))
        }
    };
    let waited =
        wait_for_update(client, pid, &update_id, wait, &mut interrupt, &mut on_event).await;
    // Ended, or stopped by brickci: nothing left for a post step. An update it could not
    // follow stays saved.
    if !matches!(waited, Err(UpdateWaitError::Api(_))) {
        let _ = platform.update_finished(pid, &update_id);
    }
    let update = match waited {
        Ok(update) => update,
        Err(UpdateWaitError::Api(e)) => {
            let m = crate::run::pipeline::stop(
                client,
                pid,
                &update_id,
                format!("could not follow update {update_id} ({e})"),
            )
            .await;
            platform.warn(&m);
            return Err(e.into());
        }
        Err(UpdateWaitError::Stopped { signal, last, .. }) => {
            left_in(platform, last.as_ref());
            platform.warn(&format!(
                "{}: update {update_id} of pipeline {} was stopped",
                signal.name(),
                target.key
            ));
            return Ok(signal.exit_code());
        }
        Err(UpdateWaitError::TimedOut {
            update_id,
            timeout,
            last,
        }) => {
            left_in(platform, last.as_ref());
            platform.error(&format!(
                "update {update_id} did not finish within {timeout:?}; it was stopped"
            ));
            return Ok(ExitCode::Failed);
        }
    };
    let state = update.state().to_string();
    out("result-state", &state)?;
    if state == "COMPLETED" {
        platform.info(&format!(
            "update {update_id} of pipeline {} finished: COMPLETED",
            target.key
        ));
        summary(platform, &target, &update_id, &url, &state, &[]);
        return Ok(ExitCode::Ok);
    }
    platform.error(&format!(
        "update {update_id} of pipeline {} finished: {state}",
        target.key
    ));
    let lines = if state == "FAILED" {
        match interrupt
            .guard(pipelines::error_events(client, pid, &update_id))
            .await
        {
            Ok(Ok(events)) => error_lines(&events),
            Ok(Err(e)) => {
                platform.warn(&format!("could not read the update's error events: {e}"));
                Vec::new()
            }
            Err(signal) => {
                platform.warn(&format!(
                    "{}: stopped reading the update's error events (it had ended)",
                    signal.name()
                ));
                return Ok(signal.exit_code());
            }
        }
    } else {
        vec![format!(
            "the update was {state} before it finished (stopped elsewhere)"
        )]
    };
    if !lines.is_empty() {
        platform.group_start(&format!("error events of update {update_id}"));
        for line in &lines {
            platform.error(line);
        }
        platform.group_end();
    }
    summary(platform, &target, &update_id, &url, &state, &lines);
    Ok(ExitCode::Failed)
}

/// The state a stopped or abandoned update was left in, for the pipeline's next step.
fn left_in(platform: &Platform, last: Option<&UpdateInfo>) {
    if let Some(u) = last {
        let _ = platform.set_output("result-state", u.state());
    }
}

/// A short section on the run's summary page; a platform without one just logs.
fn summary(
    platform: &Platform,
    target: &Target,
    update_id: &str,
    url: &str,
    state: &str,
    errors: &[String],
) {
    let mut md = format!(
        "### Pipeline {}: {}\n\nUpdate {} ({})\n",
        markup::text(&target.key),
        markup::text(state),
        markup::link(update_id, url),
        markup::text(&target.id)
    );
    if !errors.is_empty() {
        md.push_str("\nError events:\n\n");
        md.push_str(&markup::fenced(&errors.join("\n"), "text"));
    }
    if let Err(e) = platform.summary(&md) {
        platform.warn(&format!("could not write the summary: {e}"));
    }
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(e.to_string())
}
