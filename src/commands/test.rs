//! `brickci test`: upload test notebooks, run them as one multi-task submit (at most
//! --max-parallel at once), read each one's results, and report them.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::bundle::local_file::{Refused, Roots};
use crate::cli::TestArgs;
use crate::databricks::{Client, jobs, scim};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::report::{Report, ReportStatus, RunSummary, TaskSummary};
use crate::run::notebook::NotebookSource;
use crate::run::{
    Outcome, TaskOutcome, WaitError, WaitOptions, collect_outcome, start, wait_for_run,
};
use crate::signal::{Interrupt, Signal};
use crate::testing::retry;
use crate::testing::{
    NotebookRunResult, TestStatus, TestSuite, locate_failures, parse_notebook_result,
};
use crate::util::{fnv1a64, idempotency_token};

use super::watch;
use crate::publish;

/// One test notebook: where it comes from and where it runs.
struct TestNotebook {
    /// Shown in reports: the local path relative to here, or the workspace path.
    label: String,
    local: Option<NotebookSource>,
    workspace_path: String,
    task_key: String,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_input(msg)
}

/// Files named by the arguments; a pattern matching nothing is an error, not an empty run.
/// Every match is resolved and must be a regular file inside the working directory: a
/// symlink out of it (or to /proc, a FIFO, a device) is refused, naming the pattern.
fn expand(globs: &[String], roots: &Roots) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for pattern in globs.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
        let matches =
            glob::glob(pattern).map_err(|e| bad(format!("test pattern {pattern:?}: {e}")))?;
        let mut found: Vec<PathBuf> = Vec::new();
        for p in matches.filter_map(Result::ok) {
            match roots.file(&p) {
                Ok(_) => found.push(p),
                Err(Refused::Special { what: "folder", .. }) => {}
                Err(e) => return Err(bad(format!("test pattern {pattern:?}: {e}"))),
            }
        }
        if found.is_empty() {
            return Err(bad(format!("test pattern {pattern:?} matches no file")));
        }
        found.sort();
        for f in found {
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    Ok(files)
}

fn task_key(label: &str, taken: &[String]) -> String {
    let base: String = label
        .trim_start_matches("./")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(90)
        .collect();
    let mut key = base.clone();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
}

fn notebooks(args: &TestArgs, folder: &str) -> Result<Vec<TestNotebook>, Error> {
    let mut out: Vec<TestNotebook> = Vec::new();
    let mut keys = Vec::new();
    let roots = Roots::working_dir();
    for file in expand(&args.globs, &roots)? {
        let source = NotebookSource::read_within(&roots, &file)?;
        let label = file.to_string_lossy().trim_start_matches("./").to_string();
        if Path::new(&label)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
            || file.is_absolute()
        {
            return Err(bad(format!(
                "test notebook {label}: give paths inside the working directory"
            )));
        }
        let rel_dir = Path::new(&label)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = if rel_dir.is_empty() {
            folder.to_string()
        } else {
            format!("{folder}/{rel_dir}")
        };
        let key = task_key(&label, &keys);
        keys.push(key.clone());
        out.push(TestNotebook {
            workspace_path: format!("{dir}/{}", source.name),
            label,
            local: Some(source),
            task_key: key,
        });
    }
    for path in args
        .workspace_paths
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        if !path.starts_with('/') {
            return Err(bad(format!(
                "--workspace-path {path:?} must be an absolute workspace path"
            )));
        }
        let key = task_key(path.trim_start_matches('/'), &keys);
        keys.push(key.clone());
        out.push(TestNotebook {
            label: path.to_string(),
            local: None,
            workspace_path: path.to_string(),
            task_key: key,
        });
    }
    if out.is_empty() {
        return Err(bad(
            "no test notebooks: give files or globs, or --workspace-path",
        ));
    }
    Ok(out)
}

/// The submit body: one task per notebook; with --max-parallel N, N lanes of tasks that
/// follow each other whatever the previous one did (run_if ALL_DONE).
fn submit_body(
    args: &TestArgs,
    tests: &[&TestNotebook],
    params: &[(String, String)],
    token: &str,
) -> Result<Value, Error> {
    let base: serde_json::Map<String, Value> =
        params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let cluster = super::values::new_cluster(args.compute.new_cluster.as_deref())?;
    let tasks: Vec<Value> = tests
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut task = json!({
                "task_key": t.task_key,
                "notebook_task": { "notebook_path": t.workspace_path, "source": "WORKSPACE", "base_parameters": base },
            });
            if let Some(id) = &args.compute.cluster_id {
                task["existing_cluster_id"] = json!(id);
            } else if let Some(c) = &cluster {
                task["new_cluster"] = c.clone();
            }
            if args.max_parallel > 0 && i >= args.max_parallel {
                task["depends_on"] = json!([{ "task_key": tests[i - args.max_parallel].task_key }]);
                task["run_if"] = json!("ALL_DONE");
            }
            task
        })
        .collect();
    Ok(
        json!({ "run_name": "brickci test", "tasks": tasks, "timeout_seconds": args.wait.timeout, "idempotency_token": token }),
    )
}

pub async fn run(
    platform: &Platform,
    client: &Client,
    args: &TestArgs,
    mut interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    let params = super::values::key_values("--param", &args.params)?;
    super::values::timeout(args.wait.timeout)?;
    super::values::new_cluster(args.compute.new_cluster.as_deref())?;
    let wait = watch::wait_options(&args.wait)?;
    // Where the results go is checked before any request, so no run's results are lost.
    crate::publish::checks::check_destinations(platform, &args.publish)?;
    if args.job_id.is_some() || args.job_name.is_some() || args.job_key.is_some() {
        let job_id = match &args.job_key {
            Some(key) => {
                let job = super::run::BundleJob {
                    key,
                    target: args.publish.target.first().map(String::as_str),
                    vars: &args.vars,
                    bundle_dir: &args.bundle_dir,
                    pr: args.pr,
                };
                Some(super::run::deployed_job_id(platform, client, &job).await?)
            }
            None => args.job_id,
        };
        let started = super::run::start_job(
            platform,
            client,
            job_id,
            args.job_name.as_deref(),
            super::run::JobStart {
                parameters: params,
                only: &[],
                restart: false,
            },
            &mut interrupt,
        )
        .await?;
        let run_id = match started {
            Ok(run_id) => run_id,
            Err(code) => return Ok(code),
        };
        let outcome = match follow(platform, client, run_id, &wait, &mut interrupt)
            .await
            .0?
        {
            Ok(outcome) => outcome,
            Err(code) => return Ok(code),
        };
        let suites = outcome
            .tasks
            .iter()
            .map(|task| suite_of(task, &task.task_key))
            .collect();
        return finish(platform, args, vec![outcome], suites, &mut interrupt).await;
    }
    let seed = platform
        .idempotency_seed()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let param_keys: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let request_key = format!(
        "{:?} {:?} {:?} {:?} {}",
        args.globs,
        args.workspace_paths,
        args.compute.cluster_id,
        args.compute.new_cluster,
        args.max_parallel
    );
    let mut request: Vec<&str> = vec![&request_key];
    request.extend(param_keys.iter().map(String::as_str));
    let token = idempotency_token(&seed, &request);
    let id = format!("{:016x}", fnv1a64(token.as_bytes()));
    // Check every input before the first request, so bad input writes nothing.
    let probe = notebooks(args, "/")?;
    submit_body(args, &probe.iter().collect::<Vec<_>>(), &params, "check")?;
    // Notebooks already in the workspace must be there: a read, before any write.
    for t in probe.iter().filter(|t| t.local.is_none()) {
        if let Err(e) = crate::databricks::workspace::get_status(client, &t.workspace_path).await {
            return Err(if e.is_not_found() {
                bad(format!(
                    "--workspace-path {}: no such notebook in the workspace",
                    t.workspace_path
                ))
            } else {
                e.into()
            });
        }
    }

    let me = match interrupt.guard(scim::me(client)).await {
        Ok(me) => me?.me,
        Err(signal) => return Ok(stopped(platform, signal, "nothing was uploaded or started")),
    };
    let folder = format!(
        "/Users/{}/.brickci/tmp/test-{id}",
        me.user_name.as_deref().unwrap_or("brickci")
    );
    let tests = notebooks(args, &folder)?;
    platform.group_start(&format!("brickci test: {} notebooks", tests.len()));
    let mut running = false;
    let result = upload_run_collect(
        platform,
        client,
        args,
        &tests,
        &params,
        &token,
        &wait,
        &mut interrupt,
        &mut running,
    )
    .await;
    platform.group_end();
    if tests.iter().any(|t| t.local.is_some()) {
        if running {
            // The run may still need its notebooks.
            platform.warn(&format!(
                "the uploaded test notebooks stay in {folder}: the run may still be using them"
            ));
        } else {
            watch::remove_folder(platform, client, &folder).await;
        }
    }
    match result? {
        Ok((attempts, suites)) => finish(platform, args, attempts, suites, &mut interrupt).await,
        Err(code) => Ok(code),
    }
}

fn stopped(platform: &Platform, signal: Signal, what: &str) -> ExitCode {
    platform.warn(&format!("{}: {what}", signal.name()));
    signal.exit_code()
}

/// Follows the started run to its end and reads its outcome. An error on the way (not the
/// run's own failure) cancels the run, or says plainly that it may still be running; the
/// second value is whether it may still be running. `Ok(Err(code))`: a signal stopped it.
async fn follow(
    platform: &Platform,
    client: &Client,
    run_id: i64,
    wait: &WaitOptions,
    interrupt: &mut Interrupt,
) -> (Result<Result<Outcome, ExitCode>, Error>, bool) {
    let followed = async {
        watch::started(platform, run_id)?;
        let mut on_event = |e| watch::print_event(platform, &e);
        let run = wait_for_run(client, run_id, wait, interrupt, &mut on_event).await?;
        // Ended: a post step has nothing left to cancel.
        let _ = platform.run_finished(run_id);
        // Reading every task's output can take long on a slow workspace; the run has ended.
        match interrupt.guard(collect_outcome(client, &run)).await {
            Ok(outcome) => Ok(Ok(outcome?)),
            Err(signal) => Ok(Err(stopped(
                platform,
                signal,
                &format!("stopped reading the results of run {run_id} (it had ended)"),
            ))),
        }
    }
    .await;
    let running = match &followed {
        Ok(_) => false,
        Err(Error::Wait(WaitError::Cancelled { run, .. } | WaitError::TimedOut { run, .. })) => {
            !run.as_ref().is_some_and(|r| r.is_terminal())
        }
        Err(e) => match start::after_error(client, run_id, e).await {
            None => false,
            Some(c) => {
                platform.warn(&c.message);
                c.maybe_running
            }
        },
    };
    (followed, running)
}

/// A test task the finished run does not list.
fn never_ran(task_key: &str) -> TaskOutcome {
    TaskOutcome {
        task_key: task_key.to_string(),
        result_state: Some("SKIPPED".into()),
        error: Some("the run has no task for this test notebook".into()),
        ..TaskOutcome::default()
    }
}

/// A task's results, read from its exit value (or its run result).
fn suite_of(task: &TaskOutcome, label: &str) -> TestSuite {
    let state = task.result_state.as_deref().unwrap_or("UNKNOWN");
    parse_notebook_result(&NotebookRunResult {
        notebook: label,
        exit_value: task.notebook_output.as_deref(),
        truncated: task.truncated,
        run_succeeded: state == "SUCCESS",
        result_state: state,
        error: task.error.as_deref(),
        error_trace: task.error_trace.as_deref(),
        duration_ms: duration_ms(task.start_time, task.end_time),
    })
}

fn duration_ms(start: Option<i64>, end: Option<i64>) -> Option<u64> {
    match (start, end) {
        (Some(s), Some(e)) if e > s && s > 0 => Some((e - s) as u64),
        _ => None,
    }
}

/// Prints each suite, builds the report, publishes it; the exit code is the verdict.
async fn finish(
    platform: &Platform,
    args: &TestArgs,
    attempts: Vec<Outcome>,
    suites: Vec<TestSuite>,
    interrupt: &mut Interrupt,
) -> Result<ExitCode, Error> {
    for s in &suites {
        let mark = if s.passed() { "passed" } else { "FAILED" };
        platform.info(&format!(
            "{mark}: {} ({} passed, {} failed, {} skipped)",
            s.name,
            s.count(TestStatus::Passed),
            s.count(TestStatus::Failed),
            s.count(TestStatus::Skipped)
        ));
    }
    // After retries the last run holds the notebooks that failed before: it decides.
    let run_ok = attempts.last().is_some_and(Outcome::succeeded);
    let flaky: usize = suites.iter().map(TestSuite::flaky).sum();
    if flaky > 0 {
        platform.warn(&format!(
            "{flaky} flaky tests: they failed, then passed on a retry{}",
            if args.no_flaky {
                " (--no-flaky: they fail the build)"
            } else {
                ""
            }
        ));
    }
    let all_passed =
        suites.iter().all(TestSuite::passed) && run_ok && !(args.no_flaky && flaky > 0);
    let ctx = platform.context();
    let report = Report {
        key: args.publish.report_key.clone(),
        title: args.publish.report_title.clone(),
        status: if all_passed {
            ReportStatus::Success
        } else {
            ReportStatus::Failure
        },
        target: args.publish.target.first().cloned(),
        commit: ctx.sha,
        ci_run_url: ctx.run_url,
        plan: None,
        runs: attempts
            .iter()
            .enumerate()
            .map(|(i, o)| RunSummary {
                retried: i + 1 < attempts.len(),
                ..match i {
                    0 => run_summary("tests", o),
                    n => run_summary(&format!("tests, retry {n}"), o),
                }
            })
            .collect(),
        tests: suites,
    };
    let signal = publish::publish(platform, &report, &args.publish, interrupt).await;
    platform.info(&report.headline());
    if let Some(signal) = signal {
        return Ok(signal.exit_code());
    }
    Ok(if all_passed {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}

/// Uploads, starts and follows the test run, then runs the notebooks that failed again
/// (`--retries`), folding each retry's results into the earlier ones. `Ok(Err(code))`: a
/// signal stopped it (said in the log). `running` says whether a run may still be using the
/// uploaded notebooks.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
async fn upload_run_collect(
    platform: &Platform,
    client: &Client,
    args: &TestArgs,
    tests: &[TestNotebook],
    params: &[(String, String)],
    token: &str,
    wait: &WaitOptions,
    interrupt: &mut Interrupt,
    running: &mut bool,
) -> Result<Result<(Vec<Outcome>, Vec<TestSuite>), ExitCode>, Error> {
    for t in tests {
        if let Some(src) = &t.local {
            let dir = &t.workspace_path[..t.workspace_path.rfind('/').unwrap_or(0)];
            match interrupt
                .guard(crate::run::notebook::upload(client, dir, src))
                .await
            {
                Ok(uploaded) => uploaded?,
                Err(signal) => {
                    return Ok(Err(stopped(
                        platform,
                        signal,
                        "stopped during the upload; no run was started",
                    )));
                }
            };
        }
    }
    let all: Vec<&TestNotebook> = tests.iter().collect();
    let (outcome, mut suites) = match run_collect(
        platform, client, args, &all, params, token, wait, interrupt, running,
    )
    .await?
    {
        Ok(done) => done,
        Err(code) => return Ok(Err(code)),
    };
    let mut attempts = vec![outcome];
    for attempt in 1..=args.retries {
        let again: Vec<usize> = (0..suites.len())
            .filter(|&i| retry::needs_retry(&suites[i]))
            .collect();
        if again.is_empty() {
            break;
        }
        platform.info(&format!(
            "retry {attempt} of {}: running {} failed test notebooks again",
            args.retries,
            again.len()
        ));
        let subset: Vec<&TestNotebook> = again.iter().map(|&i| &tests[i]).collect();
        // Its own token: a repeated CI step finds this retry's run instead of starting one.
        let retry_token = idempotency_token(token, &[&format!("retry {attempt}")]);
        let (outcome, retried) = match run_collect(
            platform,
            client,
            args,
            &subset,
            params,
            &retry_token,
            wait,
            interrupt,
            running,
        )
        .await?
        {
            Ok(done) => done,
            Err(code) => return Ok(Err(code)),
        };
        for (&i, latest) in again.iter().zip(retried) {
            suites[i] = retry::merge(suites[i].clone(), latest);
        }
        attempts.push(outcome);
    }
    Ok(Ok((attempts, suites)))
}

/// Starts one run of `tests` (already uploaded), follows it, and reads one suite per test
/// notebook, in the order given.
#[allow(clippy::too_many_arguments)] // two call sites in one function; see above
async fn run_collect(
    platform: &Platform,
    client: &Client,
    args: &TestArgs,
    tests: &[&TestNotebook],
    params: &[(String, String)],
    token: &str,
    wait: &WaitOptions,
    interrupt: &mut Interrupt,
    running: &mut bool,
) -> Result<Result<(Outcome, Vec<TestSuite>), ExitCode>, Error> {
    let body = submit_body(args, tests, params, token)?;
    let submit = async { Ok(jobs::submit(client, body).await?.run_id) };
    let run_id = match start::start_run(client, interrupt, submit).await? {
        Ok(run_id) => run_id,
        Err(stop) => {
            platform.warn(&stop.message);
            *running = stop.maybe_running;
            return Ok(Err(stop.signal.exit_code()));
        }
    };
    *running = true;
    let (followed, still_running) = follow(platform, client, run_id, wait, interrupt).await;
    *running = still_running;
    let outcome = match followed? {
        Ok(outcome) => outcome,
        Err(code) => return Ok(Err(code)),
    };
    let mut suites = Vec::new();
    for t in tests {
        let mut suite = match outcome.tasks.iter().find(|x| x.task_key == t.task_key) {
            Some(task) => suite_of(task, &t.label),
            // A task the run does not list never ran: a failure, not a silent pass.
            None => suite_of(&never_ran(&t.task_key), &t.label),
        };
        if let Some(src) = &t.local {
            locate_failures(&mut suite, &String::from_utf8_lossy(&src.content), &t.label);
        }
        suites.push(suite);
    }
    Ok(Ok((outcome, suites)))
}

pub fn run_summary(name: &str, o: &Outcome) -> RunSummary {
    RunSummary {
        name: name.to_string(),
        run_id: o.run_id,
        url: o.run_url.clone(),
        result_state: o.result_state.clone(),
        duration_ms: o.duration_ms,
        tasks: o
            .tasks
            .iter()
            .map(|t| TaskSummary {
                key: t.task_key.clone(),
                result_state: t.result_state.clone(),
                start_ms: t.start_time,
                end_ms: t.end_time,
                error: t.error.clone(),
            })
            .collect(),
        retried: false,
    }
}
