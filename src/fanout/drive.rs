//! Runs one command over several targets: bounded, each target's output buffered and shown
//! whole when it ends, then the combined report.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use super::PLAN;
use super::credentials::{prefix, target_env};
use crate::cli::BundleArgs;
use crate::databricks::{Client, RetryPolicy};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::{Platform, SharedBuffer};
use crate::report::targets::{TargetOutcome, TargetStatus, TargetsReport};
use crate::signal::Interrupt;

/// The step output that holds every target's outputs.
pub const TARGET_RESULTS: &str = "target-results";

/// What every target's connection starts from.
pub struct Connection<'a> {
    pub platform: &'a Platform,
    pub retry: RetryPolicy,
    pub auth_type: Option<String>,
    pub interrupt: Interrupt,
}

/// Runs `work` for every target `bundle` and `fanout` select and reports them together;
/// gives the exit code and the report. `work` gets the target's own platform (its output is
/// buffered), client and name.
pub async fn drive<W, Fut>(
    conn: &Connection<'_>,
    command: &str,
    bundle: &BundleArgs,
    fanout: &super::FanoutArgs,
    work: W,
) -> Result<(ExitCode, TargetsReport), Error>
where
    W: Fn(Platform, Client, String, Interrupt) -> Fut,
    Fut: Future<Output = Result<ExitCode, Error>>,
{
    let targets = super::select::select(&bundle.bundle_dir, &bundle.target, &fanout.targets)?;
    let vars = crate::commands::values::key_values("--var", &bundle.vars)?;
    // With -o json or markdown stdout holds the combined document alone.
    let aside = bundle.output != "text";
    let permits = tokio::sync::Semaphore::new(usize::from(fanout.parallel.max(1)));
    let failed = AtomicBool::new(false);
    let one = |target: String| {
        let (work, permits, failed, vars) = (&work, &permits, &failed, &vars);
        async move {
            // Fair: targets start in the order given.
            let _permit = permits.acquire().await.ok();
            let stop = (fanout.fail_fast && failed.load(Ordering::SeqCst))
                || conn.interrupt.received().is_some();
            if stop {
                return skipped(target);
            }
            let buffer = SharedBuffer::default();
            let (result, plan) = PLAN
                .scope(RefCell::new(None), async {
                    let result = match connect(conn, bundle, vars, &target).await {
                        Ok(client) => {
                            let child = conn.platform.detached(buffer.clone());
                            work(child, client, target.clone(), conn.interrupt.clone()).await
                        }
                        Err(e) => Err(e),
                    };
                    (result, PLAN.with(|p| p.borrow_mut().take()))
                })
                .await;
            let outcome = outcome(conn.platform, &buffer, target, result, plan);
            if outcome.status == TargetStatus::Failed {
                failed.store(true, Ordering::SeqCst);
            }
            let title = format!("target {}: {}", outcome.target, status_word(&outcome));
            conn.platform
                .replay_group(&title, &buffer.take_lines(), aside);
            outcome
        }
    };
    let outcomes = join_all(targets.into_iter().map(one).collect()).await;
    let report = TargetsReport {
        command: command.to_string(),
        targets: outcomes,
    };
    let platform = conn.platform;
    match bundle.output.as_str() {
        "json" => {
            platform.print(&serde_json::to_string_pretty(&report.json()).expect("serialises"))
        }
        "markdown" => platform.print(&report.markdown()),
        _ => platform.print(&report.text()),
    }
    // Each target's outputs would overwrite the others' under one name: one JSON output.
    if let Err(e) = platform.set_output(TARGET_RESULTS, &report.results_output()) {
        platform.warn(&format!("cannot set the {TARGET_RESULTS} output: {e}"));
    }
    if let Err(e) = platform.summary(&report.markdown()) {
        platform.warn(&format!("cannot write the step summary: {e}"));
    }
    // Targets a signal kept from starting are skipped, not successes.
    let code = match conn.interrupt.received() {
        Some(signal) if report.exit_code() == ExitCode::Ok => signal.exit_code(),
        _ => report.exit_code(),
    };
    Ok((code, report))
}

fn status_word(o: &TargetOutcome) -> String {
    match o.status {
        TargetStatus::Succeeded => "succeeded".into(),
        TargetStatus::Failed => format!("failed (exit {})", o.exit),
        TargetStatus::Skipped => "skipped".into(),
    }
}

fn skipped(target: String) -> TargetOutcome {
    TargetOutcome {
        target,
        status: TargetStatus::Skipped,
        exit: ExitCode::Ok,
        error: None,
        plan: None,
        outputs: Default::default(),
        summary: None,
    }
}

/// The target's client: its host and credentials (see `credentials`).
async fn connect(
    conn: &Connection<'_>,
    bundle: &BundleArgs,
    vars: &[(String, String)],
    target: &str,
) -> Result<Client, Error> {
    let env = conn.platform.env();
    let (target_env, from) = target_env(env, target);
    if target_env.get("DATABRICKS_HOST").is_none() {
        // Only for the message; a bundle the full load refuses is reported by it.
        let named = crate::bundle::locate(&bundle.bundle_dir, Some(target), vars, env.map())
            .ok()
            .and_then(|l| l.host)
            .map(|h| format!(" (its workspace.host: {h})"))
            .unwrap_or_default();
        return Err(Error::bad_input(format!(
            "target {target}: no workspace to connect to{named}: set {}DATABRICKS_HOST or DATABRICKS_HOST (a host is never taken from the bundle alone: a pull request could point the credentials elsewhere)",
            prefix(target)
        )));
    }
    tracing::debug!(target = target, host_from = from, "connecting");
    let own_type = target_env.get("DATABRICKS_AUTH_TYPE").filter(|_| {
        env.get(&format!("{}DATABRICKS_AUTH_TYPE", prefix(target)))
            .is_some()
    });
    let auth_type = own_type.map(str::to_string).or(conn.auth_type.clone());
    let (client, _) = crate::commands::connect::client_with_env(
        conn.platform,
        &target_env,
        conn.retry.clone(),
        auth_type,
    )
    .await?;
    Ok(client)
}

fn outcome(
    platform: &Platform,
    buffer: &SharedBuffer,
    target: String,
    result: Result<ExitCode, Error>,
    plan: Option<crate::report::targets::PlanRecord>,
) -> TargetOutcome {
    let (exit, error) = match result {
        Ok(code) => (code, None),
        Err(e) => {
            // Shown in the target's own block, as `main` shows a single target's error.
            let child = platform.detached(buffer.clone());
            child.error(&e.to_string());
            for line in e.help() {
                child.note(&format!("  help: {line}"));
            }
            if matches!(e, Error::Host(_)) || e.exit_code() == ExitCode::Auth {
                child.note(&format!(
                    "  help: target {target} reads {p}DATABRICKS_HOST, {p}DATABRICKS_TOKEN, {p}DATABRICKS_CLIENT_ID and {p}DATABRICKS_CLIENT_SECRET (and the other connection variables) before the global ones",
                    p = prefix(&target)
                ));
            }
            (e.exit_code(), Some(platform.redact(&e.to_string())))
        }
    };
    let status = if exit == ExitCode::Ok {
        TargetStatus::Succeeded
    } else {
        TargetStatus::Failed
    };
    let outputs = buffer.outputs();
    // A failure the command reported without an error: a run or tests that failed, a signal.
    let error = error.or_else(|| {
        (exit != ExitCode::Ok).then(|| {
            match (outputs.get("tests-failed"), outputs.get("result-state")) {
                (Some(n), _) if n != "0" => format!("{n} test(s) failed"),
                (_, Some(state)) => format!("the run ended {state}"),
                _ => format!("stopped with exit code {exit}"),
            }
        })
    });
    TargetOutcome {
        target,
        status,
        exit,
        error,
        plan,
        outputs,
        summary: Some(buffer.summary()).filter(|s| !s.trim().is_empty()),
    }
}

/// Polls every future in this task until all are done; outputs in the given order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    done.into_iter().flatten().collect()
}
