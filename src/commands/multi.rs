//! `plan`, `deploy`, `run` and `test` over several targets: the single-target command per
//! target, through the fan-out (`crate::fanout`).

use crate::cli::{BundleArgs, DeployArgs, PlanArgs, PlanCommandArgs, RunArgs, TestArgs};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::fanout::{Connection, drive};

/// The flags for one target. Its own output is text: the combined report carries the
/// documents.
fn for_target<T: Clone>(args: &T, target: &str, plan: impl Fn(&mut T) -> &mut PlanArgs) -> T {
    let mut one = args.clone();
    let p = plan(&mut one);
    p.bundle.target = vec![target.to_string()];
    p.fanout.targets.clear();
    p.bundle.output = "text".into();
    one
}

/// `plan -t a -t b`: every target's plan, and on a pull request one sticky comment with a
/// section per target (not a comment per target).
pub async fn plan(conn: &Connection<'_>, args: &PlanCommandArgs) -> Result<ExitCode, Error> {
    let p = &args.plan;
    let (code, report) = drive(
        conn,
        "plan",
        &p.bundle,
        &p.fanout,
        |platform, client, target, _| {
            let mut one = for_target(args, &target, |a| &mut a.plan);
            one.pr_comment = "false".into();
            async move { super::deploy::plan(&platform, &client, &one).await }
        },
    )
    .await?;
    let pr = crate::pr_env::resolve(p.bundle.pr, conn.platform)?;
    super::deploy::targets_comment(conn.platform, &report, &p.bundle, pr, &args.pr_comment).await?;
    Ok(code)
}

pub async fn deploy(conn: &Connection<'_>, args: &DeployArgs) -> Result<ExitCode, Error> {
    if args.jobs_dir.is_some() {
        return Err(Error::bad_input(
            "--jobs-dir deploys without a bundle: it takes no targets (-t a -t b, --targets)",
        ));
    }
    let p = &args.plan;
    drive(
        conn,
        "deploy",
        &p.bundle,
        &p.fanout,
        |platform, client, target, interrupt| {
            let one = for_target(args, &target, |a| &mut a.plan);
            async move { super::deploy::deploy(&platform, &client, &one, interrupt).await }
        },
    )
    .await
    .map(|(code, _)| code)
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
        vars: args.vars.clone(),
        bundle_dir: args.bundle_dir.clone(),
        output: "text".into(),
        strict: false,
        pr: args.pr,
    };
    drive(
        conn,
        "run",
        &bundle,
        &args.fanout,
        |platform, client, target, interrupt| {
            let mut one = args.clone();
            one.target = vec![target];
            one.fanout.targets.clear();
            async move { super::run::run(&platform, &client, &one, interrupt).await }
        },
    )
    .await
    .map(|(code, _)| code)
}

/// `test -t a -t b ...`: the same tests in every target's workspace. Each target's results
/// are a report of their own: key `<key>-<target>` (its own check run and PR comment),
/// title `<title> (<target>)`, and JUnit / report JSON files named `<name>.<target>.<ext>`.
pub async fn test(conn: &Connection<'_>, args: &TestArgs) -> Result<ExitCode, Error> {
    let bundle = BundleArgs {
        target: args.publish.target.clone(),
        vars: Vec::new(),
        bundle_dir: args.bundle_dir.clone(),
        output: "text".into(),
        strict: false,
        pr: args.pr,
    };
    let junit = args
        .publish
        .junit
        .clone()
        .or_else(|| crate::publish::default_junit(conn.platform));
    drive(
        conn,
        "test",
        &bundle,
        &args.fanout,
        |platform, client, target, interrupt| {
            let mut one = args.clone();
            one.fanout.targets.clear();
            let p = &mut one.publish;
            p.junit = junit.as_deref().map(|j| per_target(j, &target));
            p.report_json = p.report_json.as_deref().map(|j| per_target(j, &target));
            p.report_key = format!("{}-{target}", p.report_key);
            p.report_title = format!("{} ({target})", p.report_title);
            p.target = vec![target];
            async move { super::test::run(&platform, &client, &one, interrupt).await }
        },
    )
    .await
    .map(|(code, _)| code)
}

/// `out/junit.xml` for target `prod-eu`: `out/junit.prod-eu.xml`.
fn per_target(path: &std::path::Path, target: &str) -> std::path::PathBuf {
    let safe: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{safe}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{safe}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn per_target_files_keep_their_folder_and_extension() {
        use std::path::Path;
        assert_eq!(
            super::per_target(Path::new("out/junit.xml"), "prod-eu"),
            Path::new("out/junit.prod-eu.xml")
        );
        assert_eq!(
            super::per_target(Path::new("report"), "a/b"),
            Path::new("report.a_b")
        );
    }
}
