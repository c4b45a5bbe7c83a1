//! `brickci demo`: the embedded emulator; the example bundle validated, planned, deployed and
//! deployed again (nothing to do); its job run by key; and a notebook run once.

use std::sync::Arc;

use crate::auth::{PatCredentials, Secret, normalize_host};
use crate::cli::{BundleArgs, ComputeArgs, DemoArgs, DeployArgs, PlanArgs, RunArgs, WaitArgs};
use crate::databricks::RetryPolicy;
use crate::emulator::{EmulatorConfig, start};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::signal::Interrupt;

/// Shipped inside the binary so the demo works wherever the binary is.
const NOTEBOOK: &str = include_str!("../../examples/notebooks/daily_metrics.py");

/// examples/bundle, file by file.
const BUNDLE: &[(&str, &str)] = &[
    (
        "databricks.yml",
        include_str!("../../examples/bundle/databricks.yml"),
    ),
    (
        ".gitignore",
        include_str!("../../examples/bundle/.gitignore"),
    ),
    (
        "resources/data.yml",
        include_str!("../../examples/bundle/resources/data.yml"),
    ),
    (
        "resources/jobs.yml",
        include_str!("../../examples/bundle/resources/jobs.yml"),
    ),
    (
        "src/ingest.py",
        include_str!("../../examples/bundle/src/ingest.py"),
    ),
    (
        "src/train.py",
        include_str!("../../examples/bundle/src/train.py"),
    ),
    (
        "src/report.py",
        include_str!("../../examples/bundle/src/report.py"),
    ),
    (
        "src/settings.json",
        include_str!("../../examples/bundle/src/settings.json"),
    ),
    (
        "lib/build_wheel.py",
        include_str!("../../examples/bundle/lib/build_wheel.py"),
    ),
    (
        "lib/shop_utils/__init__.py",
        include_str!("../../examples/bundle/lib/shop_utils/__init__.py"),
    ),
];

pub async fn run(
    platform: &Platform,
    args: &DemoArgs,
    interrupt: Interrupt,
) -> Result<ExitCode, Error> {
    let config = EmulatorConfig {
        clock_speed: args.clock_speed,
        ..EmulatorConfig::default()
    };
    let token = config.tokens.first().cloned().unwrap_or_default();
    let emulator = start(config)
        .await
        .map_err(|e| Error::Io(format!("cannot start the emulator: {e}")))?;
    platform.info(&format!(
        "emulator: a local Databricks workspace at {}",
        emulator.url()
    ));

    let host = normalize_host(&emulator.url())?;
    let client = super::connect::build(
        host,
        Arc::new(PatCredentials::new(Secret::new(token))),
        RetryPolicy::default(),
    )?;
    platform.group_start("brickci auth check");
    let checked = super::auth_check::run(platform, &client, None).await;
    platform.group_end();
    checked?;

    let dir = tempfile_dir()?;
    let result = bundle_flow(platform, &client, &dir, &interrupt).await;
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&dir);
        emulator.shutdown().await;
        return Err(e);
    }
    let notebook = dir.join("daily_metrics.py");
    std::fs::write(&notebook, NOTEBOOK)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", notebook.display())))?;
    let run_args = notebook_run(Some(notebook));
    let code = super::run::run(platform, &client, &run_args, interrupt).await;
    let _ = std::fs::remove_dir_all(&dir);
    emulator.shutdown().await;
    code
}

/// The example bundle: validate, plan, deploy, deploy again (a no-op), run its job by key.
async fn bundle_flow(
    platform: &Platform,
    client: &crate::databricks::Client,
    dir: &std::path::Path,
    interrupt: &Interrupt,
) -> Result<(), Error> {
    let root = dir.join("bundle");
    for (name, text) in BUNDLE {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap_or(&root))
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", p.display())))?;
        std::fs::write(&p, text)
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", p.display())))?;
    }
    let bundle = BundleArgs {
        target: vec!["dev".into()],
        vars: Vec::new(),
        bundle_dir: root.clone(),
        output: "text".into(),
        strict: false,
        pr: None,
    };
    let plan = PlanArgs {
        bundle,
        fanout: Default::default(),
        prune: false,
        concurrency: 8,
        verbose: false,
        build_timeout: 300,
    };
    let deploy_args = DeployArgs {
        plan: plan.clone(),
        auto_approve: false,
        force_lock: false,
        lock_timeout: 30,
        keep_clusters_running: false,
        fail_on_active_runs: false,
        jobs_dir: None,
        clusters_dir: None,
    };
    platform.group_start("brickci validate -t dev");
    let args = crate::cli::ValidateArgs {
        bundle: plan.bundle.clone(),
        include_locations: false,
    };
    let r = super::deploy::validate(platform, client, &args).await;
    platform.group_end();
    r?;
    for title in [
        "brickci deploy -t dev",
        "brickci deploy -t dev (again: nothing changed)",
    ] {
        platform.group_start(title);
        let r = super::deploy::deploy(platform, client, &deploy_args, interrupt.clone()).await;
        platform.group_end();
        r?;
    }
    platform.group_start("brickci run -t dev nightly");
    let run_args = RunArgs {
        key: Some("nightly".into()),
        target: vec!["dev".into()],
        bundle_dir: root.clone(),
        params: Vec::new(),
        run_name: None,
        ..notebook_run(None)
    };
    let r = super::run::run(platform, client, &run_args, interrupt.clone()).await;
    platform.group_end();
    r.map(drop)
}

/// A run of `notebook` once (or, with fields replaced, of a bundle job) with quick polling.
fn notebook_run(notebook: Option<std::path::PathBuf>) -> RunArgs {
    RunArgs {
        key: None,
        target: Vec::new(),
        fanout: Default::default(),
        vars: Vec::new(),
        bundle_dir: ".".into(),
        pr: None,
        notebook,
        job_id: None,
        job_name: None,
        attach: None,
        only: Vec::new(),
        no_wait: false,
        restart: false,
        compute: ComputeArgs {
            cluster_id: None,
            new_cluster: None,
        },
        params: vec!["env=demo".into()],
        git_ref: None,
        git_url: None,
        git_provider: None,
        run_name: Some("brickci demo: daily_metrics".into()),
        workspace_dir: None,
        keep_upload: false,
        pipeline: Default::default(),
        wait: WaitArgs {
            timeout: 600,
            poll_max: 1.0,
            poll_min: 0.2,
        },
    }
}

fn tempfile_dir() -> Result<std::path::PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!("brickci-demo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}
