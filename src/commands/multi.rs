//! `plan`, `deploy` and `run` over several targets: the single-target command per target, through
//! the fan-out (`crate::fanout`).

use crate::cli::{BundleArgs, DeployArgs, PlanCommandArgs, RunArgs};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::fanout::{Connection, drive};

/// Each target's own output is text: the combined report carries the documents.
fn for_target<T: Clone>(
    args: &T,
    target: &str,
    bundle: impl Fn(&mut T) -> &mut crate::cli::BundleArgs,
) -> T {
    let mut one = args.clone();
    let b = bundle(&mut one);
    b.target = vec![target.to_string()];
    b.fanout.targets.clear();
    b.output = "text".into();
    one
}

pub async fn plan(conn: &Connection<'_>, args: &PlanCommandArgs) -> Result<ExitCode, Error> {
    drive(
        conn,
        "plan",
        &args.plan.bundle,
        |platform, client, target, _| {
            let one = for_target(args, &target, |a| &mut a.plan.bundle);
            async move { super::deploy::plan(&platform, &client, &one).await }
        },
    )
    .await
}

pub async fn deploy(conn: &Connection<'_>, args: &DeployArgs) -> Result<ExitCode, Error> {
    if args.jobs_dir.is_some() {
        return Err(Error::bad_input(
            "--jobs-dir deploys without a bundle: it takes no targets (-t a -t b, --targets)",
        ));
    }
    drive(
        conn,
        "deploy",
        &args.plan.bundle,
        |platform, client, target, interrupt| {
            let one = for_target(args, &target, |a| &mut a.plan.bundle);
            async move { super::deploy::deploy(&platform, &client, &one, interrupt).await }
        },
    )
    .await
}

/// `run -t a -t b KEY`: the same job of the bundle in every target, each waited for.
pub async fn run(conn: &Connection<'_>, args: &RunArgs) -> Result<ExitCode, Error> {
    if args.key.is_none() {
        return Err(Error::bad_input(
            "several targets (-t a -t b, --targets) run a job of the bundle: give its KEY",
        ));
    }
    let bundle = BundleArgs {
        target: args.target.clone(),
        fanout: args.fanout.clone(),
        vars: args.vars.clone(),
        bundle_dir: args.bundle_dir.clone(),
        output: "text".into(),
        strict: false,
    };
    drive(
        conn,
        "run",
        &bundle,
        |platform, client, target, interrupt| {
            let mut one = args.clone();
            one.target = vec![target];
            one.fanout.targets.clear();
            async move { super::run::run(&platform, &client, &one, interrupt).await }
        },
    )
    .await
}
