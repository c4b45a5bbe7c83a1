//! `brickci validate`, `plan` and `deploy`. A plan on a pull request is also posted as a
//! sticky PR comment (GitHub, Azure Repos).

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::json;

use super::bundle_load;
use crate::bundle::Bundle;
use crate::cli::{DeployArgs, PlanArgs, PlanCommandArgs, ValidateArgs};
use crate::databricks::Client;
use crate::deploy::apply::{ApplyOptions, Failure, apply};
use crate::deploy::artifacts::{self, LibraryFile};
use crate::deploy::kinds::CreateOptions;
use crate::deploy::lock::{self, LockError};
use crate::deploy::plan::{self, Generated, Inputs, Plan, PlanError};
use crate::deploy::sync::{self, LocalFile};
use crate::deploy::{render, state};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::{Kind, Platform};
use crate::signal::Interrupt;
use crate::trigger::callback;

pub async fn validate(
    platform: &Platform,
    client: &Client,
    validate_args: &ValidateArgs,
) -> Result<ExitCode, Error> {
    let args = &validate_args.bundle;
    let (bundle, late) =
        bundle_load::load_whole(platform, client, args, bundle_load::Purpose::Validate).await?;
    if late.is_none() {
        callbacks(&bundle)?;
        // The files a deploy would upload are checked too (symlinks out, special files).
        sync::files(&bundle).map_err(Error::bad_input)?;
    }
    match args.output.as_str() {
        "json" => {
            let mut doc = crate::bundle::validate_json(&bundle);
            if validate_args.include_locations
                && let Some(o) = doc.as_object_mut()
            {
                o.insert(
                    "__locations".into(),
                    crate::bundle::include_locations(&bundle),
                );
            }
            platform.print(&serde_json::to_string_pretty(&doc).expect("serialises"))
        }
        // Without the verdict when it failed: the error follows.
        _ if late.is_some() => platform.print(describe(&bundle).trim_end_matches(VALID)),
        _ => platform.print(&describe(&bundle)),
    }
    late.map_or(Ok(ExitCode::Ok), Err)
}

const VALID: &str = "\n\nValidation OK!";

fn describe(b: &Bundle) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &b.resources {
        *counts.entry(r.kind.as_str()).or_default() += 1;
    }
    let resources: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "Name: {}\nTarget: {}\nWorkspace:\n  User: {}\n  Path: {}\nResources: {}{VALID}",
        b.name,
        // The target alone, as the Databricks CLI prints it (the mode is in `-o json`).
        b.target,
        b.identity.user_name,
        b.workspace.root_path,
        if resources.is_empty() {
            "none".into()
        } else {
            resources.join(", ")
        }
    )
}

/// The bundle with artifacts built, the local file set listed and its callbacks attached.
struct Prepared {
    bundle: Bundle,
    files: Vec<LocalFile>,
    libraries: Vec<LibraryFile>,
    /// What brickci uploads itself (the callback's binary and launcher).
    generated: Vec<Generated>,
}

async fn prepare(platform: &Platform, client: &Client, args: &PlanArgs) -> Result<Prepared, Error> {
    let mut bundle =
        bundle_load::load(platform, client, &args.bundle, bundle_load::Purpose::Deploy).await?;
    let callbacks = callbacks(&bundle)?;
    if bundle.artifacts.iter().any(|a| a.build.is_some()) {
        platform.note("building artifacts");
        artifacts::build(&bundle, Duration::from_secs(args.build_timeout))
            .await
            .map_err(Error::Build)?;
    }
    let libraries = artifacts::libraries(&mut bundle).map_err(Error::bad_input)?;
    let files = sync::without_outputs(
        sync::files(&bundle).map_err(Error::bad_input)?,
        &bundle.root,
        &platform.named_outputs_files(),
    );
    let generated = callback::attach(platform, &mut bundle, &callbacks)?;
    Ok(Prepared {
        bundle,
        files,
        libraries,
        generated,
    })
}

/// The bundle's `brickci: callbacks:`, checked.
fn callbacks(bundle: &Bundle) -> Result<Vec<callback::Callback>, Error> {
    callback::of_bundle(bundle).map_err(|d| bundle_load::invalid(&d))
}

async fn compute(
    client: &Client,
    prepared: &Prepared,
    args: &PlanArgs,
) -> Result<(Plan, state::DeployState), Error> {
    let Prepared {
        bundle,
        files,
        libraries,
        generated,
    } = prepared;
    let st = state::load(
        client,
        &bundle.workspace.state_path,
        &bundle.name,
        &bundle.target,
    )
    .await?;
    let inputs = Inputs {
        bundle,
        state: &st,
        files,
        libraries,
        generated,
        prune: args.prune,
        concurrency: args.concurrency.into(),
    };
    let plan = plan::compute(client, inputs).await.map_err(plan_error)?;
    Ok((plan, st))
}

pub(super) fn show(platform: &Platform, plan: &Plan, output: &str, verbose: bool) {
    crate::fanout::record_plan(plan);
    match output {
        "json" => platform.print(&render::json(plan)),
        "markdown" => platform.print(&render::markdown(plan)),
        _ => platform.print(&render::text(plan, verbose)),
    }
    // The step summary, where the platform has one (GitHub Actions, Azure DevOps).
    if let Err(e) = platform.summary(&render::markdown(plan)) {
        platform.warn(&format!("cannot write the step summary: {e}"));
    }
}

pub async fn plan(
    platform: &Platform,
    client: &Client,
    cmd: &PlanCommandArgs,
) -> Result<ExitCode, Error> {
    let args = &cmd.plan;
    let prepared = prepare(platform, client, args).await?;
    let (plan, _) = compute(client, &prepared, args).await?;
    show(platform, &plan, &args.bundle.output, args.verbose);
    let _ = platform.set_output("changes", &plan.changes().to_string());
    let pr = crate::pr_env::resolve(args.bundle.pr, platform)?;
    pr_comment(platform, &plan, pr, &cmd.pr_comment).await?;
    Ok(ExitCode::Ok)
}

/// The hidden line that finds a plan's PR comment again: one comment per bundle, target and
/// pull request environment (`plan --pr`), apart from the test report's
/// (`<!-- brickci:report:... -->`).
fn plan_marker(bundle: &str, target: &str, pr: Option<u64>) -> String {
    // `--` would end the HTML comment early; `:` separates the names.
    let clean = |s: &str| s.replace("--", "-").replace(':', "_");
    let env = pr.map(|n| format!(":pr-{n}")).unwrap_or_default();
    format!(
        "<!-- brickci-plan:{}:{}{env} -->",
        clean(bundle),
        clean(target)
    )
}

/// GitHub takes at most 65,536 characters per comment; a longer plan is cut at a line.
const COMMENT_LIMIT: usize = 60_000;

fn plan_comment_body(marker: &str, plan: &Plan) -> String {
    comment_body(marker, render::markdown(plan))
}

fn comment_body(marker: &str, mut markdown: String) -> String {
    if markdown.len() > COMMENT_LIMIT {
        let mut cut = COMMENT_LIMIT;
        while !markdown.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = markdown[..cut].rfind('\n').unwrap_or(cut);
        markdown.truncate(cut);
        markdown.push_str(
            "\n\n_(plan cut to fit a comment: the whole plan is in the run's log and summary)_\n",
        );
    }
    format!("{marker}\n{markdown}")
}

/// The plan as a sticky PR comment, as `--pr-comment` says (auto: on a pull request with a
/// token; true: required; false: never).
async fn pr_comment(
    platform: &Platform,
    plan: &Plan,
    pr: Option<u64>,
    flag: &str,
) -> Result<(), Error> {
    if flag == "false" {
        return Ok(());
    }
    let marker = plan_marker(&plan.bundle, &plan.target, pr);
    let body = plan_comment_body(&marker, plan);
    sticky_comment(platform, flag, &marker, &body).await
}

/// Several targets' plans as one sticky PR comment, a section per target; found again by
/// the bundle and the targets' names (`plan -t a -t b` and `--targets 'prod-*'` alike).
pub(super) async fn targets_comment(
    platform: &Platform,
    report: &crate::report::targets::TargetsReport,
    bundle: &crate::cli::BundleArgs,
    pr: Option<u64>,
    flag: &str,
) -> Result<(), Error> {
    if flag == "false" {
        return Ok(());
    }
    // The bundle's name as the plans give it; the folder when no target got as far.
    let name = report
        .targets
        .iter()
        .find_map(|t| t.plan.as_ref()?.json["bundle"].as_str().map(str::to_string))
        .unwrap_or_else(|| bundle.bundle_dir.display().to_string());
    let mut targets: Vec<&str> = report.targets.iter().map(|t| t.target.as_str()).collect();
    targets.sort_unstable();
    let marker = plan_marker(&name, &targets.join("+"), pr);
    let body = comment_body(&marker, report.markdown());
    sticky_comment(platform, flag, &marker, &body).await
}

async fn sticky_comment(
    platform: &Platform,
    flag: &str,
    marker: &str,
    body: &str,
) -> Result<(), Error> {
    match platform.kind() {
        Kind::AzureDevOps => {
            crate::publish::azure_devops::sticky_comment(platform, flag, marker, body).await
        }
        _ => crate::publish::github::sticky_comment(platform, flag, marker, body).await,
    }
}

pub async fn deploy(
    platform: &Platform,
    client: &Client,
    args: &DeployArgs,
    interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    if let Some(jobs) = &args.jobs_dir {
        return legacy(platform, client, args, jobs).await;
    }
    let p = &args.plan;
    // Until the lock is taken nothing is written: a signal stops at once.
    let nothing_yet = |signal: crate::signal::Signal| {
        platform.warn(&format!("{}: stopped; nothing was deployed", signal.name()));
        Ok(signal.exit_code())
    };
    let prepared = match interrupt.clone().guard(prepare(platform, client, p)).await {
        Ok(prepared) => prepared?,
        Err(signal) => return nothing_yet(signal),
    };
    let bundle = &prepared.bundle;
    // A first plan without the lock: a deploy with nothing to do writes nothing at all.
    let (first, st) = match interrupt.clone().guard(compute(client, &prepared, p)).await {
        Ok(computed) => computed?,
        Err(signal) => return nothing_yet(signal),
    };
    show(platform, &first, &p.bundle.output, p.verbose);
    if first.changes() == 0 {
        platform.info("nothing to deploy");
        // A pull request's environment is still in use: its metadata says so (for gc).
        if let Err(e) = pr_metadata(platform, client, p, bundle).await {
            platform.warn(&format!("could not update the pull request metadata: {e}"));
        }
        outputs(platform, bundle, &st);
        return Ok(ExitCode::Ok);
    }
    approve(platform, &first, args)?;
    let mut waiting = interrupt.clone();
    let acquired = tokio::select! {
        r = lock::acquire(client, &bundle.workspace.state_path, &bundle.identity.user_name, args.force_lock, Duration::from_secs(args.lock_timeout)) => r,
        signal = waiting.wait() => {
            platform.warn(&format!("{}: stopped while waiting for the deploy lock; nothing was deployed", signal.name()));
            return Ok(signal.exit_code());
        }
    };
    let lock = acquired.map_err(lock_error)?;
    let result = deploy_locked(platform, client, &prepared, args, &first, interrupt).await;
    if let Err(e) = lock.release(client).await {
        platform.warn(&format!("could not release the deploy lock: {e}"));
    }
    result
}

async fn deploy_locked(
    platform: &Platform,
    client: &Client,
    prepared: &Prepared,
    args: &DeployArgs,
    approved: &Plan,
    interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    let p = &args.plan;
    let bundle = &prepared.bundle;
    // Planned again under the lock: another deploy may have finished in between. Shown and
    // approved again only if it differs from the plan already shown.
    let (plan, st) = match interrupt.clone().guard(compute(client, prepared, p)).await {
        Ok(computed) => computed?,
        Err(signal) => {
            platform.warn(&format!("{}: stopped; nothing was deployed", signal.name()));
            return Ok(signal.exit_code());
        }
    };
    // Another deploy did the work while this one waited: nothing to write, not even the state.
    if plan.changes() == 0 {
        platform.info("nothing to deploy: another deploy made these changes while this one waited for the lock");
        outputs(platform, bundle, &st);
        return Ok(ExitCode::Ok);
    }
    if args.fail_on_active_runs {
        active_runs(client, &st).await?;
    }
    if !plan.same_changes(approved) {
        platform.warn("the workspace changed while waiting for the lock; the plan now is:");
        show(platform, &plan, &p.bundle.output, p.verbose);
        approve(platform, &plan, args)?;
    }
    let opts = ApplyOptions {
        concurrency: p.concurrency.into(),
        create: CreateOptions {
            keep_clusters_running: args.keep_clusters_running,
        },
        interrupt: interrupt.clone(),
    };
    // Before the first object: a pull request's environment that fails half-way is still
    // found (and swept) by gc.
    pr_metadata(platform, client, p, bundle).await?;
    let started = std::time::Instant::now();
    let mut st = st;
    st.serial += 1;
    let (st, applied, error) = apply(client, &plan, st, &opts).await;
    // Written whatever happened, so the next deploy resumes from here.
    save_state(client, bundle, &st).await?;
    if let Err(e) = state::save_metadata(client, bundle, &st).await {
        platform.warn(&format!("could not write metadata.json: {e}"));
    }
    outputs(platform, bundle, &st);
    if let Some(e) = error {
        return Err(Error::Deploy {
            message: format!("deploying {} failed: {}", e.what, e.error),
            done: applied.done,
            auth: matches!(&e.error, Failure::Api(c) if c.is_auth()),
        });
    }
    if let Some(signal) = interrupt.received() {
        platform.warn(&format!(
            "{}: deploy stopped after {} of {} changes; they are recorded and the next deploy continues",
            signal.name(),
            applied.done,
            plan.changes()
        ));
        return Ok(signal.exit_code());
    }
    platform.info(&format!(
        "deployed {} target {} in {:.1}s ({} changes)",
        bundle.name,
        bundle.target,
        started.elapsed().as_secs_f64(),
        applied.done
    ));
    Ok(ExitCode::Ok)
}

/// With `--pr`: brickci's metadata beside the PR deployment's state (created or updated).
async fn pr_metadata(
    platform: &Platform,
    client: &Client,
    args: &PlanArgs,
    bundle: &Bundle,
) -> Result<(), Error> {
    use crate::pr_env::metadata;
    let Some(pr) = crate::pr_env::resolve(args.bundle.pr, platform)? else {
        return Ok(());
    };
    let state_path = &bundle.workspace.state_path;
    let previous = metadata::read(client, state_path, pr, &bundle.name, &bundle.target)
        .await?
        .ok();
    let m = metadata::describe(
        platform,
        pr,
        &bundle.name,
        &bundle.target,
        previous.as_ref(),
        metadata::now_unix(),
    );
    metadata::write(client, state_path, &m).await?;
    Ok(())
}

/// `--fail-on-active-runs`: a job of this deployment with a run under way, or a pipeline with
/// an update under way, stops the deploy (under the lock, before anything is written),
/// naming them.
async fn active_runs(client: &Client, st: &state::DeployState) -> Result<(), Error> {
    let mut busy = Vec::new();
    for (key, entry) in st.resources.get("jobs").into_iter().flatten() {
        let Ok(job_id) = entry.id.parse::<i64>() else {
            continue;
        };
        let runs = crate::run::restart::active(client, job_id).await?;
        if !runs.is_empty() {
            let ids: Vec<String> = runs.iter().map(i64::to_string).collect();
            busy.push(format!(
                "jobs.{key} (job {job_id}: runs {})",
                ids.join(", ")
            ));
        }
    }
    for (key, entry) in st.resources.get("pipelines").into_iter().flatten() {
        let updates = crate::run::restart::active_updates(client, &entry.id).await;
        // A pipeline deleted outside the bundle has no update to wait for.
        let updates = match updates {
            Err(e) if e.is_not_found() => continue,
            other => other?,
        };
        if !updates.is_empty() {
            busy.push(format!(
                "pipelines.{key} (pipeline {}: update {})",
                entry.id,
                updates.join(", ")
            ));
        }
    }
    if busy.is_empty() {
        return Ok(());
    }
    let mut help = vec!["wait for the runs to end, or cancel them (brickci cancel --run-id N); nothing was deployed".to_string()];
    if busy.iter().any(|b| b.starts_with("pipelines.")) {
        help.push("a pipeline's update: wait for it, or stop it (brickci run KEY --restart stops it and starts a new one)".into());
    }
    Err(Error::BadInput {
        message: format!(
            "--fail-on-active-runs: {} have active runs",
            busy.join("; ")
        ),
        help,
    })
}

/// A bundle or local file the plan refuses is bad input; an API failure is the API's.
pub(super) fn plan_error(e: PlanError) -> Error {
    match e {
        PlanError::Config(m) | PlanError::Local(m) => Error::bad_input(m),
        PlanError::Api(e) => Error::Client(e),
    }
}

/// A lock another deploy holds is the caller's problem to wait out; an API failure is not.
pub(super) fn lock_error(e: LockError) -> Error {
    match e {
        LockError::Held { .. } | LockError::Unusable { .. } => Error::BadInput {
            message: e.to_string(),
            help: vec!["wait for that deploy to finish, pass --lock-timeout to wait, or --force-lock if it was left behind".into()],
        },
        LockError::Api(e) => Error::Client(e),
    }
}

/// Saves the state; when the workspace refuses it, a local copy keeps the ids of what was
/// just created, so they can be restored instead of created twice.
pub(super) async fn save_state(
    client: &Client,
    bundle: &Bundle,
    st: &state::DeployState,
) -> Result<(), Error> {
    let Err(e) = state::save(client, &bundle.workspace.state_path, st).await else {
        return Ok(());
    };
    let local = bundle
        .bundle_dir
        .join(".databricks")
        .join(format!("brickci-state.{}.json", bundle.target));
    let kept = std::fs::create_dir_all(local.parent().unwrap_or(&bundle.bundle_dir))
        .and_then(|()| std::fs::write(&local, serde_json::to_vec_pretty(st).expect("serialises")));
    let copy = match kept {
        Ok(()) => format!(
            "a copy is at {}: import it there before the next deploy, or that deploy creates these objects again",
            local.display()
        ),
        Err(io) => format!("no local copy either ({}: {io})", local.display()),
    };
    Err(Error::Io(format!(
        "the deployment state could not be written to {}/{}: {e}; {copy}",
        bundle.workspace.state_path,
        state::STATE_FILE
    )))
}

/// A folder of job JSON (and cluster JSON), without a bundle.
async fn legacy(
    platform: &Platform,
    client: &Client,
    args: &DeployArgs,
    jobs: &std::path::Path,
) -> Result<ExitCode, Error> {
    use crate::deploy::legacy::{self, LegacyError};
    let done = legacy::deploy(
        client,
        args.clusters_dir.as_deref(),
        jobs,
        args.keep_clusters_running,
    )
    .await
    .map_err(|e| match e {
        LegacyError::Input(m) => Error::BadInput {
            message: m,
            help: vec!["nothing was deployed".into()],
        },
        LegacyError::Api(e) => Error::Client(e),
    })?;
    for line in &done.lines {
        platform.info(line);
    }
    Ok(ExitCode::Ok)
}

/// Asks `question` when someone is at a terminal (a local run with stdin a terminal);
/// whether the answer was yes.
pub(super) fn yes_at_terminal(platform: &Platform, question: &str) -> bool {
    if !(std::io::stdin().is_terminal() && platform.kind() == Kind::Local) {
        return false;
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "yes" | "Y")
}

/// A plan that deletes needs a yes: `--auto-approve`, or an answer at the terminal.
fn approve(platform: &Platform, plan: &Plan, args: &DeployArgs) -> Result<(), Error> {
    let deletes = plan.actions.iter().filter(|a| a.needs_approval()).count();
    if deletes == 0 || args.auto_approve {
        return Ok(());
    }
    let listed: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| a.needs_approval())
        .map(|a| {
            let replaced = if a.replaces() { " (replaced)" } else { "" };
            let along = crate::deploy::kinds::takes_along(&a.kind)
                .map_or(String::new(), |w| format!(" (with {w})"));
            format!("{} {}{replaced}{along}", a.kind, a.name)
        })
        .collect();
    if yes_at_terminal(
        platform,
        &format!(
            "The plan deletes {deletes} object(s): {}. Apply it?",
            listed.join(", ")
        ),
    ) {
        return Ok(());
    }
    Err(Error::BadInput {
        message: format!(
            "the plan deletes {deletes} object(s): {}",
            listed.join(", ")
        ),
        help: vec!["pass --auto-approve to apply a plan that deletes; nothing was written".into()],
    })
}

fn outputs(platform: &Platform, bundle: &Bundle, st: &state::DeployState) {
    let jobs: serde_json::Map<String, serde_json::Value> = st
        .resources
        .get("jobs")
        .into_iter()
        .flatten()
        .map(|(k, e)| (k.clone(), json!(e.id)))
        .collect();
    for (name, value) in [
        ("job-ids", serde_json::Value::Object(jobs).to_string()),
        ("root-path", bundle.workspace.root_path.clone()),
        ("target", bundle.target.clone()),
    ] {
        if let Err(e) = platform.set_output(name, &value) {
            platform.warn(&format!("cannot set output {name}: {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::plan::{Action, Op, Work};

    fn plan(creates: usize) -> Plan {
        Plan {
            bundle: "shop".into(),
            target: "dev".into(),
            root_path: "/Workspace/x".into(),
            actions: (0..creates)
                .map(|i| Action {
                    action: Op::Create,
                    kind: "jobs".into(),
                    name: format!("job_{i:05}_{}", "x".repeat(40)),
                    target: None,
                    reason: "new".into(),
                    work: Work::Remove,
                })
                .collect(),
        }
    }

    #[test]
    fn one_marker_per_bundle_and_target_apart_from_the_report() {
        let m = plan_marker("shop", "dev", None);
        assert_eq!(m, "<!-- brickci-plan:shop:dev -->");
        assert_ne!(m, plan_marker("shop", "prod", None));
        let pr = plan_marker("shop", "dev", Some(7));
        assert_eq!(pr, "<!-- brickci-plan:shop:dev:pr-7 -->");
        assert!(
            !pr.contains(&m),
            "a PR environment's plan has its own comment"
        );
        assert!(!m.contains(&crate::report::markdown::sticky_marker("tests")));
        assert_eq!(
            plan_marker("a--b", "c:d", None),
            "<!-- brickci-plan:a-b:c_d -->",
            "nothing ends the HTML comment early"
        );
    }

    #[test]
    fn the_comment_starts_with_the_marker_and_fits_github() {
        let m = plan_marker("shop", "dev", None);
        let small = plan_comment_body(&m, &plan(2));
        assert!(small.starts_with(&format!("{m}\n### Deploy plan")));
        assert!(small.contains("| ➕ create | jobs | `job_00001_"));
        let big = plan_comment_body(&m, &plan(2000));
        assert!(big.starts_with(&m));
        assert!(big.chars().count() <= 65_536, "{}", big.len());
        assert!(big.ends_with("summary)_\n"), "{}", &big[big.len() - 200..]);
        let before_note = big.trim_end().rsplit_once("\n\n").unwrap().0;
        assert!(before_note.ends_with(" | new |"), "cut at a whole row");
    }
}
