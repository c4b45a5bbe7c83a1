//! `brickci gc -t T --older-than 7d`: finds target T's pull request environments (the
//! `pr-N` folders under its root that hold brickci's PR metadata — a folder without it is
//! never touched), asks the forge whether each pull request is closed, and destroys those
//! closed or not deployed for longer than the limit, each as `destroy --pr N` does (under
//! its own deploy lock). Reports what was removed and what was kept, and why.

use super::bundle_load;
use super::deploy::yes_at_terminal;
use crate::cli::{BundleArgs, DestroyArgs, GcArgs};
use crate::databricks::{Client, workspace};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::pr_env::forge::{self, PrState};
use crate::pr_env::metadata::{self, PrMetadata};
use crate::pr_env::{PrChoice, age};
use crate::signal::Interrupt;

/// What gc decided for one `pr-*` folder.
#[derive(Debug)]
struct Verdict {
    folder: String,
    /// The pull request and its metadata, when the folder is a PR environment.
    pr: Option<(u64, PrMetadata)>,
    remove: bool,
    why: String,
}

fn bundle_args(args: &GcArgs, pr: Option<u64>) -> BundleArgs {
    BundleArgs {
        target: args.target.clone().into_iter().collect(),
        vars: args.vars.clone(),
        bundle_dir: args.bundle_dir.clone(),
        output: "text".into(),
        strict: false,
        pr: pr.map(PrChoice::Number),
    }
}

/// `3d 4h` style, for the report.
fn span(secs: u64) -> String {
    match secs {
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
        s if s >= 3_600 => format!("{}h {}m", s / 3_600, s % 3_600 / 60),
        s => format!("{}m", s / 60),
    }
}

pub async fn gc(
    platform: &Platform,
    client: &Client,
    args: &GcArgs,
    interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    let limit = age::parse(&args.older_than).map_err(|why| Error::BadInput {
        message: format!("--older-than: {why}"),
        help: vec!["nothing was destroyed".into()],
    })?;
    let bundle = bundle_load::load(
        platform,
        client,
        &bundle_args(args, None),
        bundle_load::Purpose::Validate,
    )
    .await?;
    let root = bundle.workspace.root_path.trim_end_matches('/').to_string();
    let verdicts = judge(platform, client, &bundle, &root, limit).await?;
    if verdicts.is_empty() {
        platform.print(&format!(
            "no pull request environments of target {} under {root}",
            bundle.target
        ));
        return Ok(ExitCode::Ok);
    }
    for v in &verdicts {
        let what = if v.remove { "remove" } else { "keep  " };
        platform.print(&format!("{what}  {root}/{}: {}", v.folder, v.why));
    }
    let doomed: Vec<&Verdict> = verdicts.iter().filter(|v| v.remove).collect();
    if doomed.is_empty() {
        platform.print("nothing to destroy");
        return Ok(ExitCode::Ok);
    }
    if args.dry_run {
        platform.print(&format!(
            "dry run: {} pull request environment(s) would be destroyed; nothing was",
            doomed.len()
        ));
        return Ok(ExitCode::Ok);
    }
    if !args.auto_approve
        && !yes_at_terminal(
            platform,
            &format!("Destroy {} pull request environment(s)?", doomed.len()),
        )
    {
        return Err(Error::BadInput {
            message: format!(
                "gc destroys {} pull request environment(s) of target {}",
                doomed.len(),
                bundle.target
            ),
            help: vec!["pass --auto-approve to destroy them; nothing was destroyed".into()],
        });
    }
    let mut failed: Option<Error> = None;
    let mut removed = Vec::new();
    for v in doomed {
        if let Some(signal) = interrupt.received() {
            platform.warn(&format!(
                "{}: gc stopped; destroyed {}",
                signal.name(),
                removed.join(", ")
            ));
            return Ok(signal.exit_code());
        }
        let Some((pr, seen)) = &v.pr else { continue };
        match destroy_one(platform, client, args, &root, *pr, seen, interrupt.clone()).await {
            Ok(Some(code)) if code != ExitCode::Ok => return Ok(code),
            Ok(Some(_)) => removed.push(v.folder.clone()),
            Ok(None) => {}
            Err(e) => {
                platform.error(&format!("{root}/{}: not destroyed: {e}", v.folder));
                failed.get_or_insert(e);
            }
        }
    }
    platform.print(&format!(
        "gc: destroyed {} pull request environment(s){}{}",
        removed.len(),
        if removed.is_empty() { "" } else { ": " },
        removed.join(", ")
    ));
    match failed {
        Some(e) => Err(e),
        None => Ok(ExitCode::Ok),
    }
}

/// Every `pr-*` folder under the target's root, judged.
async fn judge(
    platform: &Platform,
    client: &Client,
    bundle: &crate::bundle::Bundle,
    root: &str,
    limit: u64,
) -> Result<Vec<Verdict>, Error> {
    let Some(objects) = workspace::list(client, root).await? else {
        return Ok(Vec::new());
    };
    let now = metadata::now_unix();
    let mut out = Vec::new();
    for o in objects {
        let folder = o.path.rsplit('/').next().unwrap_or_default().to_string();
        let Some(n) = folder.strip_prefix("pr-") else {
            continue;
        };
        let keep = |why: String| Verdict {
            folder: folder.clone(),
            pr: None,
            remove: false,
            why,
        };
        if o.object_type.as_deref() != Some("DIRECTORY") {
            out.push(keep("not a folder; never touched".into()));
            continue;
        }
        let Some(pr) = n.parse::<u64>().ok().filter(|n| *n > 0) else {
            out.push(keep("not pr-<number>; never touched".into()));
            continue;
        };
        let state = format!("{root}/{folder}/state");
        let m = match metadata::read(client, &state, pr, &bundle.name, &bundle.target).await? {
            Ok(m) => m,
            Err(why) => {
                out.push(keep(format!(
                    "no valid brickci PR metadata ({why}); never touched"
                )));
                continue;
            }
        };
        let idle = now.saturating_sub(m.updated_at_unix);
        let last = format!("last deployed {} ago", span(idle));
        let expired = idle > limit;
        let (remove, why) = match forge::state(platform, &m).await {
            PrState::Closed(s) => (true, format!("pull request {pr} is {s}; {last}")),
            PrState::Open if expired => (
                true,
                format!(
                    "pull request {pr} is open but {last} (limit {})",
                    span(limit)
                ),
            ),
            PrState::Open => (false, format!("pull request {pr} is open; {last}")),
            PrState::Unknown(why) if expired => (
                true,
                format!(
                    "{last} (limit {}); pull request state unknown: {why}",
                    span(limit)
                ),
            ),
            PrState::Unknown(why) => (false, format!("pull request state unknown ({why}); {last}")),
        };
        out.push(Verdict {
            folder,
            pr: Some((pr, m)),
            remove,
            why,
        });
    }
    Ok(out)
}

/// Destroys pull request `pr`'s environment as `destroy --pr N --auto-approve` does, then
/// its folder if anything is left in it. `Ok(None)`: skipped, a deploy came in since.
async fn destroy_one(
    platform: &Platform,
    client: &Client,
    args: &GcArgs,
    root: &str,
    pr: u64,
    seen: &PrMetadata,
    interrupt: Interrupt,
) -> Result<Option<ExitCode>, Error> {
    let folder = format!("{root}/{}", crate::bundle::pr_overlay::folder(pr));
    // A deploy since the look: the environment is in use again.
    let now = metadata::read(
        client,
        &format!("{folder}/state"),
        pr,
        &seen.bundle,
        &seen.target,
    )
    .await?;
    if now.as_ref().ok().map(|m| m.updated_at_unix) != Some(seen.updated_at_unix) {
        platform.warn(&format!("{folder}: deployed again since gc looked; kept"));
        return Ok(None);
    }
    platform.group_start(&format!("destroy pull request {pr}'s environment"));
    let destroy_args = DestroyArgs {
        bundle: bundle_args(args, Some(pr)),
        auto_approve: true,
        force_lock: false,
        lock_timeout: args.lock_timeout,
        concurrency: args.concurrency,
    };
    let result = super::destroy::destroy(platform, client, &destroy_args, interrupt).await;
    platform.group_end();
    let code = result?;
    if code == ExitCode::Ok {
        // Nothing recorded (a deploy that never got far): the folder and its metadata go.
        workspace::delete(client, &folder, true).await?;
    }
    Ok(Some(code))
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans_read_well() {
        assert_eq!(super::span(8 * 86_400 + 7_200), "8d 2h");
        assert_eq!(super::span(5_400), "1h 30m");
        assert_eq!(super::span(59), "0m");
    }
}
