//! brickci: parse, set up logging and signals, run one subcommand, map the outcome to an
//! exit code.

use clap::Parser;

use brickci::cli::{AuthCommand, Cli, Command, args_from_inputs};
use brickci::commands::{auth_check, cancel, connect, demo, deploy, report, run, test};
use brickci::databricks::RetryPolicy;
use brickci::error::Error;
use brickci::exit::ExitCode;
use brickci::platform::{Env, Platform};
use brickci::signal::Interrupt;

fn main() {
    let platform = Platform::detect(Env::from_process());
    let cli = parse(&platform);
    init_logging(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            platform.error(&format!("cannot start the async runtime: {e}"));
            std::process::exit(ExitCode::Api.code());
        }
    };
    let code = runtime.block_on(execute(&platform, cli));
    std::process::exit(code.code());
}

/// Flags from argv; with no arguments inside a CI task, from its inputs.
fn parse(platform: &Platform) -> Cli {
    if std::env::args_os().len() <= 1
        && let Some(words) = args_from_inputs(|name| platform.input(name))
    {
        return Cli::parse_from(words);
    }
    Cli::parse()
}

async fn execute(platform: &Platform, cli: Cli) -> ExitCode {
    let interrupt = match Interrupt::install() {
        Ok(i) => i,
        Err(e) => {
            platform.warn(&format!("cannot install signal handlers: {e}"));
            Interrupt::never()
        }
    };
    let retry = RetryPolicy {
        deadline: std::time::Duration::from_secs(cli.retry_timeout),
        ..RetryPolicy::default()
    };
    let auth_type = cli.auth_type.clone();
    let connect = || connect::client_from_env(platform, retry.clone(), auth_type.clone());
    // Commands that leave nothing behind stop at once on a signal; run, test, deploy and
    // demo take the interrupt and wind down themselves (cancel the run, save the state).
    let quick = interrupt.clone();
    let result = match cli.command {
        Command::Auth(AuthCommand::Check) => {
            stop_on_signal(platform, quick, async {
                let (client, report) = connect().await?;
                auth_check::run(platform, &client, Some(&report)).await
            })
            .await
        }
        Command::Validate(args) => {
            stop_on_signal(platform, quick, async {
                deploy::validate(platform, &connect().await?.0, &args).await
            })
            .await
        }
        Command::Plan(args) => {
            stop_on_signal(platform, quick, async {
                deploy::plan(platform, &connect().await?.0, &args).await
            })
            .await
        }
        Command::Cancel(args) => {
            stop_on_signal(platform, quick, async {
                cancel::run(platform, &connect().await?.0, &args).await
            })
            .await
        }
        Command::Report(args) => {
            stop_on_signal(platform, quick, report::run(platform, &args)).await
        }
        Command::Deploy(args) => match connect().await {
            Ok((client, _)) => deploy::deploy(platform, &client, &args, interrupt).await,
            Err(e) => Err(e),
        },
        Command::Run(args) => match connect().await {
            Ok((client, _)) => run::run(platform, &client, &args, interrupt).await,
            Err(e) => Err(e),
        },
        Command::Test(args) => match connect().await {
            Ok((client, _)) => test::run(platform, &client, &args, interrupt).await,
            Err(e) => Err(e),
        },
        Command::Emulator(args) => brickci::emulator::serve(args)
            .await
            .map(|()| ExitCode::Ok)
            .map_err(|e| {
                if e.is_bad_input() {
                    Error::bad_input(e.to_string())
                } else {
                    Error::Io(e.to_string())
                }
            }),
        Command::Demo(args) => demo::run(platform, &args, interrupt).await,
    };
    result.unwrap_or_else(|e| render(platform, &e))
}

/// Runs `work` unless a signal comes first; then exits 130/143 without waiting for it.
async fn stop_on_signal(
    platform: &Platform,
    mut interrupt: Interrupt,
    work: impl std::future::Future<Output = Result<ExitCode, Error>>,
) -> Result<ExitCode, Error> {
    tokio::select! {
        r = work => r,
        signal = interrupt.wait() => {
            platform.warn(&format!("{}: stopped", signal.name()));
            Ok(signal.exit_code())
        }
    }
}

fn render(platform: &Platform, error: &Error) -> ExitCode {
    platform.error(&error.to_string());
    for line in error.help() {
        platform.info(&format!("  help: {line}"));
    }
    error.exit_code()
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(format!("brickci={level}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("brickci=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
