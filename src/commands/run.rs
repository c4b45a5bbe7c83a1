//! `brickci run`: a notebook once, an existing job, or a run started elsewhere; then wait.

use crate::cli::RunArgs;
use crate::databricks::{Client, jobs};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::run::job::{JobRunRequest, run_now_body};
use crate::run::{WaitError, start};
use crate::signal::Interrupt;
use crate::util::idempotency_token;

use super::{run_notebook, run_pipeline, values, watch};

pub async fn run(
    platform: &Platform,
    client: &Client,
    args: &RunArgs,
    mut interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    values::timeout(args.wait.timeout)?;
    let wait = watch::wait_options(&args.wait)?;
    let params = values::key_values("--param", &args.params)?;
    values::new_cluster(args.compute.new_cluster.as_deref())?;
    if let Some(dir) = &args.workspace_dir {
        values::workspace_dir(dir)?;
    }
    if args.notebook.is_some() {
        return run_notebook::run(platform, client, args, params, &wait, interrupt).await;
    }
    for (flag, set) in [
        ("--cluster-id", args.compute.cluster_id.is_some()),
        ("--new-cluster", args.compute.new_cluster.is_some()),
        ("--git-ref", args.git_ref.is_some()),
        ("--workspace-dir", args.workspace_dir.is_some()),
    ] {
        if set {
            return Err(Error::bad_input(format!(
                "{flag} only applies to --notebook runs"
            )));
        }
    }
    let run_id = match (args.attach, args.job_id, &args.job_name) {
        (Some(run_id), _, _) => {
            if !params.is_empty() || !args.only.is_empty() {
                return Err(Error::bad_input(
                    "--param and --only cannot change a run started elsewhere (--attach)",
                ));
            }
            let found = match interrupt.guard(jobs::get_run(client, run_id)).await {
                Ok(found) => found,
                Err(signal) => return Ok(stopped(platform, signal)),
            };
            found.map_err(|e| {
                if e.is_not_found() {
                    Error::bad_input(format!("--attach {run_id}: no such run"))
                } else {
                    e.into()
                }
            })?;
            run_id
        }
        (None, None, None) if args.key.is_some() => {
            let found = match interrupt
                .guard(bundle_resource(platform, client, args))
                .await
            {
                Ok(found) => found?,
                Err(signal) => return Ok(stopped(platform, signal)),
            };
            let id = match found {
                BundleResource::Job(id) => {
                    if let Some(flag) = args.pipeline.given().first() {
                        return Err(Error::bad_input(format!(
                            "{flag} only applies to pipelines; {} is a job of the bundle",
                            args.key.as_deref().unwrap_or_default()
                        )));
                    }
                    id
                }
                BundleResource::Pipeline { key, id } => {
                    let flags = run_pipeline::Flags {
                        params: !params.is_empty(),
                    };
                    return run_pipeline::run(
                        platform,
                        client,
                        args,
                        flags,
                        run_pipeline::Target { key, id },
                        &wait,
                        interrupt,
                    )
                    .await;
                }
            };
            let started = start_job(
                platform,
                client,
                Some(id),
                None,
                JobStart {
                    parameters: params,
                    only: &args.only,
                    restart: args.restart,
                },
                &mut interrupt,
            )
            .await?;
            match started {
                Ok(run_id) => run_id,
                Err(code) => return Ok(code),
            }
        }
        (None, id, name) => {
            let started = start_job(
                platform,
                client,
                id,
                name.as_deref(),
                JobStart {
                    parameters: params,
                    only: &args.only,
                    restart: args.restart,
                },
                &mut interrupt,
            )
            .await?;
            match started {
                Ok(run_id) => run_id,
                Err(code) => return Ok(code),
            }
        }
    };
    if args.no_wait {
        let run = interrupt.guard(jobs::get_run(client, run_id)).await;
        let followed = async {
            watch::started(platform, run_id)?;
            let run = match run {
                Ok(run) => run?,
                Err(signal) => {
                    let c = start::cancel(client, run_id, signal.name()).await;
                    platform.warn(&c.message);
                    return Ok(signal.exit_code());
                }
            };
            platform.info(&format!("run {run_id} started; not waiting (--no-wait)"));
            if let Some(url) = &run.run_page_url {
                platform.info(&format!("run page: {url}"));
                platform
                    .set_output("run-url", url)
                    .map_err(|e| Error::Io(e.to_string()))?;
            }
            Ok(ExitCode::Ok)
        }
        .await;
        if let Err(e) = &followed
            && let Some(c) = start::after_error(client, run_id, e).await
        {
            platform.warn(&c.message);
        }
        return followed;
    }
    follow(platform, client, run_id, &wait, &mut interrupt).await
}

fn stopped(platform: &Platform, signal: crate::signal::Signal) -> ExitCode {
    platform.warn(&format!(
        "{}: stopped before starting a run; nothing was started",
        signal.name()
    ));
    signal.exit_code()
}

/// Follows a started run to its end. An error while following it (not the run's own
/// failure) cancels the run, or says plainly that it may still be running.
pub(super) async fn follow(
    platform: &Platform,
    client: &Client,
    run_id: i64,
    wait: &crate::run::WaitOptions,
    interrupt: &mut Interrupt,
) -> Result<ExitCode, Error> {
    let followed = async {
        watch::started(platform, run_id)?;
        watch::watch(platform, client, run_id, wait, interrupt).await
    }
    .await;
    if let Err(e) = &followed
        && !matches!(
            e,
            Error::Wait(WaitError::Cancelled { .. } | WaitError::TimedOut { .. })
        )
        && let Some(c) = start::after_error(client, run_id, e).await
    {
        platform.warn(&c.message);
    }
    followed
}

/// How a job run starts: its parameters, the tasks it is limited to, and whether the job's
/// active runs are cancelled first (`--restart`).
pub(super) struct JobStart<'a> {
    pub parameters: Vec<(String, String)>,
    pub only: &'a [String],
    pub restart: bool,
}

/// Finds the job (by id, or by a name that must be unique) and starts it once.
pub(super) async fn start_job(
    platform: &Platform,
    client: &Client,
    job_id: Option<i64>,
    job_name: Option<&str>,
    how: JobStart<'_>,
    interrupt: &mut Interrupt,
) -> Result<Result<i64, ExitCode>, Error> {
    let found = interrupt.guard(find_job(client, job_id, job_name)).await;
    let job = match found {
        Ok(job) => job?,
        Err(signal) => return Ok(Err(stopped(platform, signal))),
    };
    let cancelled = if how.restart {
        match interrupt
            .guard(crate::run::restart::cancel_active(client, job.job_id))
            .await
        {
            Ok(cancelled) => cancelled?,
            Err(signal) => return Ok(Err(stopped(platform, signal))),
        }
    } else {
        Vec::new()
    };
    if !cancelled.is_empty() {
        let ids: Vec<String> = cancelled.iter().map(i64::to_string).collect();
        platform.info(&format!(
            "--restart: cancelled the job's active runs {}",
            ids.join(", ")
        ));
    }
    let seed = platform
        .idempotency_seed()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let params: Vec<String> = how
        .parameters
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let job_key = format!("job {}", job.job_id);
    let only_key = format!("only {}", how.only.join(","));
    // A restart that cancelled a run (perhaps this step's own, started before a CI retry) asks
    // for a new run: the old token would only find the cancelled one.
    let restart_key = format!("cancelled {:?}", cancelled);
    let mut request: Vec<&str> = vec![&job_key, &only_key];
    if !cancelled.is_empty() {
        request.push(&restart_key);
    }
    request.extend(params.iter().map(String::as_str));
    let token = idempotency_token(&seed, &request);
    let request = JobRunRequest {
        parameters: how.parameters,
        only: how.only.to_vec(),
        idempotency_token: token,
    };
    let body = run_now_body(&job, &request).map_err(|e| Error::bad_input(e.to_string()))?;
    platform.info(&format!("starting job {} ({})", job.job_id, job.name()));
    let run_now = async { Ok(jobs::run_now(client, body).await?.run_id) };
    match start::start_run(client, interrupt, run_now).await? {
        Ok(run_id) => Ok(Ok(run_id)),
        Err(stop) => {
            platform.warn(&stop.message);
            Ok(Err(stop.signal.exit_code()))
        }
    }
}

/// The job by id, or by a name that must be unique.
async fn find_job(
    client: &Client,
    job_id: Option<i64>,
    job_name: Option<&str>,
) -> Result<crate::databricks::jobs::Job, Error> {
    let job = match (job_id, job_name) {
        (Some(id), _) => jobs::get_job(client, id).await.map_err(|e| {
            if e.is_not_found() {
                Error::bad_input(format!("--job-id {id}: no such job in this workspace"))
            } else {
                e.into()
            }
        })?,
        (None, Some(name)) => {
            let mut found = jobs::find_jobs_by_name(client, name).await?;
            match found.len() {
                0 => {
                    return Err(Error::bad_input(format!(
                        "--job-name {name:?}: no job has this name"
                    )));
                }
                1 => {
                    let id = found.remove(0).job_id;
                    jobs::get_job(client, id).await?
                }
                _ => {
                    let ids: Vec<String> = found.iter().map(|j| j.job_id.to_string()).collect();
                    return Err(Error::bad_input(format!(
                        "--job-name {name:?}: {} jobs have this name (ids {}); use --job-id",
                        found.len(),
                        ids.join(", ")
                    )));
                }
            }
        }
        (None, None) => return Err(Error::bad_input("say which job: --job-id or --job-name")),
    };
    Ok(job)
}

/// What `KEY` names among what the bundle deployed to the target.
pub enum BundleResource {
    Job(i64),
    Pipeline { key: String, id: String },
}

/// The job or pipeline `KEY` of `run`'s arguments.
async fn bundle_resource(
    platform: &Platform,
    client: &Client,
    args: &RunArgs,
) -> Result<BundleResource, Error> {
    let job = BundleJob {
        key: args.key.as_deref().unwrap_or_default(),
        target: args.target.first().map(String::as_str),
        vars: &args.vars,
        bundle_dir: &args.bundle_dir,
        pr: args.pr,
    };
    deployed_resource(platform, client, &job).await
}

/// A job (or pipeline) of the bundle by its key, as deployed to a target (or a PR's
/// environment of it).
pub struct BundleJob<'a> {
    pub key: &'a str,
    pub target: Option<&'a str>,
    pub vars: &'a [String],
    pub bundle_dir: &'a std::path::Path,
    pub pr: Option<crate::pr_env::PrChoice>,
}

/// The id the deployment recorded for the job `job` (a pipeline is not a job).
pub async fn deployed_job_id(
    platform: &Platform,
    client: &Client,
    job: &BundleJob<'_>,
) -> Result<i64, Error> {
    match deployed_resource(platform, client, job).await? {
        BundleResource::Job(id) => Ok(id),
        BundleResource::Pipeline { key, .. } => Err(Error::bad_input(format!(
            "{key:?} is a pipeline of the bundle, not a job"
        ))),
    }
}

/// The job or pipeline the bundle's deployment made of `KEY` on the target. `jobs.KEY` or
/// `pipelines.KEY` says which when a job and a pipeline share the key.
pub async fn deployed_resource(
    platform: &Platform,
    client: &Client,
    job: &BundleJob<'_>,
) -> Result<BundleResource, Error> {
    let given = job.key;
    let vars = values::key_values("--var", job.vars)?;
    let location = crate::bundle::locate(job.bundle_dir, job.target, &vars, platform.env().map())
        .map_err(|e| Error::bad_input(e.to_string()))?;
    let location = match crate::pr_env::resolve(job.pr, platform)? {
        Some(pr) => location.for_pr(pr),
        None => location,
    };
    let me = crate::databricks::scim::me(client).await?.me;
    let state_path = location.state_path_for(me.user_name.as_deref().unwrap_or_default());
    let deployed = crate::bundle::deployed(client, &state_path)
        .await?
        .ok_or_else(|| {
            Error::bad_input(format!(
                "bundle {} is not deployed to target {} (no deployment state in {state_path})",
                location.bundle, location.target
            ))
        })?;
    let (kind, key) = match given.split_once('.') {
        Some(("jobs", key)) => (Some("jobs"), key),
        Some(("pipelines", key)) => (Some("pipelines"), key),
        _ => (None, given),
    };
    let job = deployed.jobs.get(key).filter(|_| kind != Some("pipelines"));
    let pipeline = deployed.pipelines.get(key).filter(|_| kind != Some("jobs"));
    let known = |m: Vec<&String>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.into_iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let listing = format!(
        "jobs: {}; pipelines: {}",
        known(deployed.jobs.keys().collect()),
        known(deployed.pipelines.keys().collect())
    );
    match (job, pipeline) {
        (Some(id), None) => Ok(BundleResource::Job(*id)),
        (None, Some(id)) => Ok(BundleResource::Pipeline {
            key: key.to_string(),
            id: id.clone(),
        }),
        (Some(_), Some(_)) => Err(Error::bad_input(format!(
            "{key:?} is both a job and a pipeline of target {} of bundle {}: say jobs.{key} or pipelines.{key} ({listing})",
            location.target, location.bundle
        ))),
        (None, None) => Err(Error::bad_input(format!(
            "target {} of bundle {} has no deployed job or pipeline {given:?} ({listing})",
            location.target, location.bundle
        ))),
    }
}
