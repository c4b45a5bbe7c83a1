//! `brickci demo`: the embedded emulator, and a notebook run against it end to end.

use std::sync::Arc;

use crate::auth::{PatCredentials, Secret, normalize_host};
use crate::cli::{ComputeArgs, DemoArgs, RunArgs, WaitArgs};
use crate::databricks::RetryPolicy;
use crate::emulator::{EmulatorConfig, start};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::signal::Interrupt;

/// Shipped inside the binary so the demo works wherever the binary is.
const NOTEBOOK: &str = include_str!("../../examples/notebooks/daily_metrics.py");

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
    let notebook = dir.join("daily_metrics.py");
    std::fs::write(&notebook, NOTEBOOK)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", notebook.display())))?;
    let run_args = RunArgs {
        key: None,
        target: None,
        vars: Vec::new(),
        notebook: Some(notebook),
        job_id: None,
        job_name: None,
        attach: None,
        only: Vec::new(),
        no_wait: false,
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
        wait: WaitArgs {
            timeout: 600,
            poll_max: 1.0,
            poll_min: 0.2,
        },
    };
    let code = super::run::run(platform, &client, &run_args, interrupt).await;
    let _ = std::fs::remove_dir_all(&dir);
    emulator.shutdown().await;
    code
}

fn tempfile_dir() -> Result<std::path::PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!("brickci-demo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}
