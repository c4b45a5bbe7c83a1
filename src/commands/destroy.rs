//! `brickci destroy`: the plan first (every recorded object deleted), a yes, then under the
//! deploy lock the deletions and the target's root folder. Objects the state does not record
//! are never touched.

use std::time::Duration;

use super::bundle_load;
use super::deploy::{lock_error, plan_error, save_state, show, yes_at_terminal};
use crate::cli::DestroyArgs;
use crate::databricks::{Client, workspace};
use crate::deploy::apply::{ApplyOptions, Failure, apply};
use crate::deploy::destroy::{emptied, root_kept_because};
use crate::deploy::kinds::CreateOptions;
use crate::deploy::plan::{self, Inputs, Op, Plan};
use crate::deploy::{lock, state};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::signal::Interrupt;

pub async fn destroy(
    platform: &Platform,
    client: &Client,
    args: &DestroyArgs,
    interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    let nothing_yet = |signal: crate::signal::Signal| {
        platform.warn(&format!("{}: stopped; nothing was deleted", signal.name()));
        Ok(signal.exit_code())
    };
    let bundle = match interrupt
        .clone()
        .guard(bundle_load::load(
            platform,
            client,
            &args.bundle,
            bundle_load::Purpose::Validate,
        ))
        .await
    {
        Ok(b) => b?,
        Err(signal) => return nothing_yet(signal),
    };
    let (first, _) = match interrupt
        .clone()
        .guard(compute(client, &bundle, args))
        .await
    {
        Ok(computed) => computed?,
        Err(signal) => return nothing_yet(signal),
    };
    if first.deletes() == 0 {
        platform.info(&format!(
            "nothing to destroy: target {} records no deployed objects",
            bundle.target
        ));
        // A pull request's environment whose deploy never got far: its folder (metadata,
        // an empty state) goes too, so nothing of it is left for gc.
        remove_pr_root(platform, client, &bundle, args.bundle.pr).await?;
        return Ok(ExitCode::Ok);
    }
    show(platform, &first, &args.bundle.output, true);
    approve(platform, &first, args, bundle.mode.as_deref())?;
    let lock = lock::acquire(
        client,
        &bundle.workspace.state_path,
        &bundle.identity.user_name,
        args.force_lock,
        Duration::from_secs(args.lock_timeout),
    )
    .await
    .map_err(lock_error)?;
    let result = destroy_locked(platform, client, &bundle, args, interrupt).await;
    // Gone with the root folder, or still ours: release removes it only in the second case.
    if let Err(e) = lock.release(client).await
        && !e.is_not_found()
    {
        platform.warn(&format!("could not release the deploy lock: {e}"));
    }
    result
}

async fn compute(
    client: &Client,
    bundle: &crate::bundle::Bundle,
    args: &DestroyArgs,
) -> Result<(Plan, state::DeployState), Error> {
    let st = state::load(
        client,
        &bundle.workspace.state_path,
        &bundle.name,
        &bundle.target,
    )
    .await?;
    let empty = emptied(bundle);
    let mut plan = plan::compute(
        client,
        Inputs {
            bundle: &empty,
            state: &st,
            files: &[],
            libraries: &[],
            generated: &[],
            prune: true,
            concurrency: args.concurrency.into(),
        },
    )
    .await
    .map_err(plan_error)?;
    for a in plan.actions.iter_mut().filter(|a| a.action == Op::Delete) {
        a.reason = "recorded by this target's deployment".into();
    }
    Ok((plan, st))
}

async fn destroy_locked(
    platform: &Platform,
    client: &Client,
    bundle: &crate::bundle::Bundle,
    args: &DestroyArgs,
    interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    // Planned again under the lock: a deploy may have finished in between.
    let (plan, st) = compute(client, bundle, args).await?;
    let opts = ApplyOptions {
        concurrency: args.concurrency.into(),
        create: CreateOptions::default(),
        interrupt: interrupt.clone(),
    };
    let mut st = st;
    st.serial += 1;
    let (st, applied, error) = apply(client, &plan, st, &opts).await;
    let left = st.files.len() + st.resources.values().map(|r| r.len()).sum::<usize>();
    if let Some(e) = error {
        save_state(client, bundle, &st).await?;
        return Err(Error::Deploy {
            message: format!(
                "deleting {} failed: {} ({left} recorded objects remain; destroy again to continue)",
                e.what, e.error
            ),
            done: applied.done,
            auth: matches!(&e.error, Failure::Api(c) if c.is_auth()),
        });
    }
    if let Some(signal) = interrupt.received() {
        save_state(client, bundle, &st).await?;
        platform.warn(&format!(
            "{}: destroy stopped after {} of {} deletions; destroy again to continue",
            signal.name(),
            applied.done,
            plan.changes()
        ));
        return Ok(signal.exit_code());
    }
    let root = &bundle.workspace.root_path;
    match root_kept_because(root, &bundle.workspace.state_path) {
        None => delete_root(platform, client, root, args.bundle.pr.is_none()).await?,
        Some(why) => {
            // The state goes, so a later deploy starts afresh; the folder stays.
            let path = format!("{}/{}", bundle.workspace.state_path, state::STATE_FILE);
            workspace::delete(client, &path, false)
                .await
                .or_else(|e| if e.is_not_found() { Ok(()) } else { Err(e) })?;
            platform.warn(&format!("the root folder {root} stays: {why}"));
        }
    }
    // A pull request's environment is named as such: the target itself is still there.
    let target = format!("{} target {}", bundle.name, bundle.target);
    let what = match crate::pr_env::resolve(args.bundle.pr, platform)? {
        Some(pr) => format!("pull request {pr}'s environment of {target}"),
        None => target,
    };
    platform.info(&format!("destroyed {what} ({} deletions)", applied.done));
    Ok(ExitCode::Ok)
}

/// Deletes the target's root folder. Pull request environments live in `pr-N` folders
/// inside it with their own state: a target's destroy deletes everything else and leaves
/// those (and so the root) for `destroy --pr` or `gc`, which know what they deployed.
async fn delete_root(
    platform: &Platform,
    client: &Client,
    root: &str,
    keep_pr_folders: bool,
) -> Result<(), Error> {
    let children = if keep_pr_folders {
        workspace::list(client, root).await?.unwrap_or_default()
    } else {
        Vec::new()
    };
    let (prs, rest): (Vec<_>, Vec<_>) = children
        .into_iter()
        .partition(|o| o.object_type.as_deref() == Some("DIRECTORY") && is_pr_folder(&o.path));
    if prs.is_empty() {
        workspace::delete(client, root, true).await?;
        platform.info(&format!("deleted the root folder {root}"));
        return Ok(());
    }
    for o in &rest {
        workspace::delete(client, &o.path, true).await?;
    }
    let names: Vec<&str> = prs
        .iter()
        .filter_map(|o| o.path.rsplit('/').next())
        .collect();
    platform.warn(&format!(
        "the root folder {root} stays: it holds pull request environments ({}); remove them with destroy --pr N or gc",
        names.join(", ")
    ));
    Ok(())
}

/// `pr-<number>`, the folder name a pull request environment gets under its target's root.
fn is_pr_folder(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .and_then(|n| n.strip_prefix("pr-"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes the root folder of a pull request's environment that records nothing.
async fn remove_pr_root(
    platform: &Platform,
    client: &Client,
    bundle: &crate::bundle::Bundle,
    args_pr: Option<crate::pr_env::PrChoice>,
) -> Result<(), Error> {
    let root = &bundle.workspace.root_path;
    let Some(pr) = crate::pr_env::resolve(args_pr, platform)? else {
        return Ok(());
    };
    if root_kept_because(root, &bundle.workspace.state_path).is_some() {
        return Ok(());
    }
    let state = &bundle.workspace.state_path;
    // Only a folder brickci's metadata marks as this pull request's environment.
    match crate::pr_env::metadata::read(client, state, pr, &bundle.name, &bundle.target).await? {
        Ok(_) => {
            workspace::delete(client, root, true).await?;
            platform.info(&format!("deleted the root folder {root}"));
        }
        Err(why) if workspace::get_status(client, root).await.is_ok() => {
            platform.warn(&format!("the root folder {root} stays: {why}"));
        }
        Err(_) => {}
    }
    Ok(())
}

/// A destroy needs a yes: `--auto-approve`, or an answer at a terminal — and for a
/// `mode: production` target, `--auto-approve` whatever the terminal says.
fn approve(
    platform: &Platform,
    plan: &Plan,
    args: &DestroyArgs,
    mode: Option<&str>,
) -> Result<(), Error> {
    if args.auto_approve {
        return Ok(());
    }
    let deletes = plan.deletes();
    let production = mode == Some("production");
    if !production {
        let kinds: Vec<String> = plan
            .actions
            .iter()
            .filter(|a| a.action == Op::Delete && !matches!(a.kind.as_str(), "file" | "notebook"))
            .map(|a| {
                let along = crate::deploy::kinds::takes_along(&a.kind)
                    .map_or(String::new(), |w| format!(" (with {w})"));
                format!("{} {}{along}", a.kind, a.name)
            })
            .collect();
        let question = format!(
            "Destroy deletes {deletes} object(s) ({}) and the root folder. Go ahead?",
            kinds.join(", ")
        );
        if yes_at_terminal(platform, &question) {
            return Ok(());
        }
    }
    Err(Error::BadInput {
        message: format!(
            "destroy deletes {deletes} object(s) of target {}{}",
            plan.target,
            if production {
                " (mode: production)"
            } else {
                ""
            }
        ),
        help: vec!["pass --auto-approve to destroy; nothing was deleted".into()],
    })
}
