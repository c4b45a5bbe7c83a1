//! `brickci run --notebook PATH`: upload (or point at Git), submit once, wait, clean up.

use serde_json::json;

use crate::cli::RunArgs;
use crate::databricks::{Client, ClientError, scim};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::{Kind, Platform};
use crate::run::notebook::{self, Compute, NotebookRunRequest, NotebookSource};
use crate::run::{WaitError, WaitOptions, start};
use crate::signal::{Interrupt, Signal};
use crate::util::{fnv1a64, idempotency_token};

use super::watch;

fn compute(args: &RunArgs) -> Result<Compute, Error> {
    Ok(
        match (
            &args.compute.cluster_id,
            super::values::new_cluster(args.compute.new_cluster.as_deref())?,
        ) {
            (Some(id), _) => Compute::ExistingCluster(id.clone()),
            (None, Some(spec)) => Compute::NewCluster(spec),
            (None, None) => Compute::Serverless,
        },
    )
}

pub async fn run(
    platform: &Platform,
    client: &Client,
    args: &RunArgs,
    params: Vec<(String, String)>,
    wait: &WaitOptions,
    mut interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    let local = args
        .notebook
        .as_deref()
        .ok_or_else(|| Error::bad_input("--notebook is required"))?;
    // Everything is checked before the first request, so bad input writes nothing.
    let source = NotebookSource::read(local)?;
    let compute = compute(args)?;
    if !args.only.is_empty() {
        return Err(Error::bad_input(
            "--only applies to job runs, not --notebook",
        ));
    }
    let git = match &args.git_ref {
        Some(r) => Some(git_source(platform, args, r)?),
        None => None,
    };
    // Stable for this CI attempt and notebook: a resent submit finds the same run.
    let seed = platform
        .idempotency_seed()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    // The request: which notebook, with what, where, from which Git ref.
    let path_key = local.to_string_lossy().into_owned();
    let compute_key = format!(
        "{:?} {:?}",
        args.compute.cluster_id, args.compute.new_cluster
    );
    let git_key = format!("{:?}", args.git_ref);
    let mut request: Vec<&str> = vec![&path_key, &compute_key, &git_key];
    let param_keys: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    request.extend(param_keys.iter().map(String::as_str));
    let token = idempotency_token(&seed, &request);
    // The upload folder is named after the request, so a resent step reuses it.
    let folder_id = format!("{:016x}", fnv1a64(token.as_bytes()));
    let mut request = NotebookRunRequest {
        run_name: args
            .run_name
            .clone()
            .unwrap_or_else(|| format!("brickci: {}", source.name)),
        workspace_path: String::new(),
        parameters: params,
        compute,
        idempotency_token: token,
        timeout_seconds: args.wait.timeout,
    };

    if let Some(git) = git {
        // From Git: the path is relative to the repository root, without the extension.
        request.workspace_path = git.1;
        let mut body = notebook::submit_body(&request);
        body["git_source"] = git.0;
        body["tasks"][0]["notebook_task"]["source"] = json!("GIT");
        let submit = async { Ok(crate::databricks::jobs::submit(client, body).await?.run_id) };
        let mut state = RunState::NotStarted;
        return start_and_follow(
            platform,
            client,
            args,
            wait,
            &mut interrupt,
            submit,
            &mut state,
        )
        .await;
    }

    let (folder, temporary) = match &args.workspace_dir {
        Some(dir) => (super::values::workspace_dir(dir)?, false),
        None => {
            let me = match interrupt.guard(scim::me(client)).await {
                Ok(me) => me?.me,
                Err(signal) => {
                    return Ok(stopped(platform, signal, "nothing was uploaded or started"));
                }
            };
            let user = me.user_name.unwrap_or_else(|| "brickci".into());
            (format!("/Users/{user}/.brickci/tmp/{folder_id}"), true)
        }
    };
    platform.group_start(&format!("brickci run {}", local.display()));
    let mut state = RunState::NotStarted;
    let result = async {
        let uploaded = interrupt
            .guard(notebook::upload(client, &folder, &source))
            .await;
        let path = match uploaded {
            Ok(path) => path?,
            Err(signal) => {
                return Ok(stopped(
                    platform,
                    signal,
                    "stopped during the upload; no run was started",
                ));
            }
        };
        platform.info(&format!("uploaded {} to {path}", local.display()));
        request.workspace_path = path;
        let submit = notebook::submit(client, &request);
        start_and_follow(
            platform,
            client,
            args,
            wait,
            &mut interrupt,
            submit,
            &mut state,
        )
        .await
    }
    .await;
    platform.group_end();
    if temporary && !args.keep_upload && !args.no_wait {
        match state {
            // The run still needs its notebook: keep it, and say where.
            RunState::Running => platform.warn(&format!(
                "the uploaded notebook stays in {folder}: the run may still be using it"
            )),
            RunState::NotStarted | RunState::Ended => {
                watch::remove_folder(platform, client, &folder).await;
            }
        }
    }
    result
}

/// What the run came to, for the cleanup: its notebook may only go once it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunState {
    NotStarted,
    Running,
    Ended,
}

fn stopped(platform: &Platform, signal: Signal, what: &str) -> ExitCode {
    platform.warn(&format!("{}: {what}", signal.name()));
    signal.exit_code()
}

/// Starts the run unless a signal came first, then follows it (or not, with --no-wait).
/// Whatever stops the command after the run started cancels it or says it is still running.
async fn start_and_follow(
    platform: &Platform,
    client: &Client,
    args: &RunArgs,
    wait: &WaitOptions,
    interrupt: &mut Interrupt,
    submit: impl std::future::Future<Output = Result<i64, ClientError>>,
    state: &mut RunState,
) -> Result<ExitCode, Error> {
    let run_id = match start::start_run(client, interrupt, submit).await? {
        Ok(run_id) => run_id,
        Err(stop) => {
            platform.warn(&stop.message);
            if stop.maybe_running {
                *state = RunState::Running;
            }
            return Ok(stop.signal.exit_code());
        }
    };
    *state = RunState::Running;
    let followed = async {
        watch::started(platform, run_id)?;
        if args.no_wait {
            if let Some(signal) = interrupt.received() {
                let c = start::cancel(client, run_id, signal.name()).await;
                platform.warn(&c.message);
                return Ok(signal.exit_code());
            }
            platform.info(&format!("run {run_id} started; not waiting (--no-wait)"));
            return Ok(ExitCode::Ok);
        }
        super::watch::watch(platform, client, run_id, wait, interrupt).await
    }
    .await;
    match &followed {
        Ok(_) if args.no_wait => {}
        Ok(_) => *state = RunState::Ended,
        Err(Error::Wait(WaitError::Cancelled { run, .. } | WaitError::TimedOut { run, .. })) => {
            if run.as_ref().is_some_and(|r| r.is_terminal()) {
                *state = RunState::Ended;
            } else {
                platform.warn(&format!(
                    "run {run_id} was asked to stop and had not ended yet"
                ));
            }
        }
        Err(e) => match start::after_error(client, run_id, e).await {
            None => *state = RunState::Ended,
            Some(c) => {
                platform.warn(&c.message);
                if !c.maybe_running {
                    *state = RunState::Ended;
                }
            }
        },
    }
    followed
}

/// The `git_source` for `--git-ref`, and the notebook's path in the repository.
fn git_source(
    platform: &Platform,
    args: &RunArgs,
    git_ref: &str,
) -> Result<(serde_json::Value, String), Error> {
    let ctx = platform.context();
    let url = match &args.git_url {
        Some(u) => u.clone(),
        None => match (platform.kind(), &ctx.repository) {
            (Kind::GitHubActions, Some(repo)) => {
                let server = platform
                    .env()
                    .get("GITHUB_SERVER_URL")
                    .unwrap_or("https://github.com");
                format!("{}/{repo}", server.trim_end_matches('/'))
            }
            (_, Some(repo)) if repo.contains("://") => repo.clone(),
            _ => {
                return Err(Error::bad_input(
                    "--git-ref needs --git-url outside GitHub Actions",
                ));
            }
        },
    };
    let provider = match &args.git_provider {
        Some(p) => p.clone(),
        None if url.contains("dev.azure.com") || url.contains("visualstudio.com") => {
            "azureDevOpsServices".into()
        }
        None if url.contains("git-codecommit") => "awsCodeCommit".into(),
        None if url.contains("gitlab") => "gitLab".into(),
        None if url.contains("bitbucket") => "bitbucketCloud".into(),
        None if url.contains("github.com") => "gitHub".into(),
        None => {
            return Err(Error::bad_input(format!(
                "--git-provider is needed for {url}"
            )));
        }
    };
    let local = args.notebook.as_deref().unwrap_or(std::path::Path::new(""));
    let root = ctx
        .workspace
        .as_deref()
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_dir().ok());
    let abs = if local.is_absolute() {
        local.to_path_buf()
    } else {
        root.clone().unwrap_or_default().join(local)
    };
    let relative = root
        .as_deref()
        .and_then(|r| abs.strip_prefix(r).ok())
        .ok_or_else(|| {
            Error::bad_input(format!(
                "--notebook {} is outside the repository checkout",
                local.display()
            ))
        })?;
    let path = relative.with_extension("").to_string_lossy().into_owned();
    let is_commit = git_ref.len() >= 7 && git_ref.chars().all(|c| c.is_ascii_hexdigit());
    let reference = if is_commit {
        json!({ "git_commit": git_ref })
    } else {
        json!({ "git_branch": git_ref })
    };
    let mut source = json!({ "git_url": url, "git_provider": provider });
    if let (Some(m), Some(r)) = (source.as_object_mut(), reference.as_object()) {
        m.extend(r.clone());
    }
    Ok((source, path))
}
