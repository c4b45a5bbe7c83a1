//! brickci: parse, set up logging and signals, run one subcommand, map the outcome to an
//! exit code.

use clap::Parser;

use brickci::cli::{AuthCommand, Cli, Command, TriggerCommand, args_from_inputs, inputs_catalog};
use brickci::commands::{
    auth_check, cancel, connect, demo, deploy, destroy, gc, multi, report, run, test,
};
use brickci::databricks::RetryPolicy;
use brickci::error::Error;
use brickci::exit::ExitCode;
use brickci::platform::{Env, Platform};
use brickci::signal::Interrupt;

fn main() {
    let mut env = Env::from_process();
    let secrets = brickci::platform::inputs::apply_connection_inputs(&mut env);
    let platform = Platform::detect(env);
    for secret in &secrets {
        platform.mask(secret);
    }
    if is_post_step() {
        init_logging("warn", &platform);
        std::process::exit(post_step(&platform).code());
    }
    let cli = parse(&platform);
    if let Command::Run(args) = &cli.command
        && args.no_wait
    {
        platform.hand_over_runs();
    }
    init_logging(&cli.log, &platform);
    let runtime = match runtime(&platform) {
        Ok(rt) => rt,
        Err(code) => std::process::exit(code.code()),
    };
    let code = runtime.block_on(execute(&platform, cli));
    std::process::exit(code.code());
}

fn runtime(platform: &Platform) -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            platform.error(&format!("cannot start the async runtime: {e}"));
            ExitCode::Api
        })
}

/// Started as `brickci-post` (the GitHub action's `post-entrypoint` symlink)?
fn is_post_step() -> bool {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .is_some_and(|n| n == "brickci-post")
}

/// The post step: cancels what the main step left running, with the same connection
/// inputs; never runs the command again.
fn post_step(platform: &Platform) -> ExitCode {
    let runtime = match runtime(platform) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let auth_type = platform.input("auth-type");
    let result = runtime.block_on(async {
        let open = cancel::post_step_runs(platform)?;
        if open.is_empty() {
            return Ok(ExitCode::Ok);
        }
        let (client, _) =
            connect::client_from_env(platform, RetryPolicy::default(), auth_type).await?;
        cancel::post_step(platform, &client, &open).await
    });
    result.unwrap_or_else(|e| render(platform, &e))
}

/// Flags from argv; with no arguments inside a CI task, from its inputs. Input errors name
/// the input, exit 2.
fn parse(platform: &Platform) -> Cli {
    if std::env::args_os().len() <= 1 {
        match args_from_inputs(platform.env()) {
            Ok(Some(words)) => match Cli::try_parse_from(&words) {
                Ok(cli) => return cli,
                Err(e) if e.use_stderr() => {
                    platform.error(&input_error(&e));
                    std::process::exit(ExitCode::BadInput.code());
                }
                Err(e) => e.exit(),
            },
            Ok(None) => {}
            Err(e) => {
                platform.error(&e.to_string());
                std::process::exit(ExitCode::BadInput.code());
            }
        }
    }
    Cli::parse()
}

/// A clap error about words built from inputs, told in input terms (`input `timeout`: ...`).
fn input_error(e: &clap::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.trim_start_matches("error: ");
    let input = e
        .get(clap::error::ContextKind::InvalidArg)
        .map(|a| a.to_string())
        .and_then(|a| {
            let name = a.strip_prefix("--")?.split([' ', '=']).next()?.to_string();
            Some(name)
        });
    match input {
        Some(name) => format!("input `{name}`: {first}"),
        None => format!("from the task inputs: {first}"),
    }
}

/// Commands that write outputs check every destination before their first request.
fn check_destinations(platform: &Platform, command: &Command) -> Result<(), Error> {
    if matches!(
        command,
        Command::Emulator(_) | Command::Demo(_) | Command::Inputs(_)
    ) {
        return Ok(());
    }
    platform
        .check_destinations()
        .map_err(|e| Error::bad_input(e.to_string()))
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
    if let Err(e) = check_destinations(platform, &cli.command) {
        return render(platform, &e);
    }
    let result = match cli.command {
        Command::Inputs(args) => {
            let catalog = inputs_catalog();
            if args.output == "json" {
                platform.print(&serde_json::to_string_pretty(&catalog).unwrap_or_default());
            } else {
                for (command, c) in &catalog.commands {
                    let names: Vec<&str> = c.inputs.iter().map(|i| i.name.as_str()).collect();
                    platform.print(&format!("{command}: {}", names.join(", ")));
                }
                let common: Vec<&str> = catalog.common.iter().map(|i| i.name.as_str()).collect();
                platform.print(&format!("every command: {}", common.join(", ")));
            }
            Ok(ExitCode::Ok)
        }
        Command::Auth(AuthCommand::Check) => {
            stop_on_signal(platform, quick, async {
                let (client, report) = connect().await?;
                auth_check::run(platform, &client, Some(&report)).await
            })
            .await
        }
        Command::Validate(args) => {
            stop_on_signal(platform, quick, async {
                args.bundle.one_target("validate")?;
                deploy::validate(platform, &connect().await?.0, &args).await
            })
            .await
        }
        Command::Plan(args) if args.plan.is_multi() => {
            let conn = fanout(platform, &retry, &auth_type, interrupt);
            stop_on_signal(platform, quick, multi::plan(&conn, &args)).await
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
        Command::Deploy(args) if args.plan.is_multi() => {
            multi::deploy(&fanout(platform, &retry, &auth_type, interrupt), &args).await
        }
        Command::Deploy(args) => match connect().await {
            Ok((client, _)) => deploy::deploy(platform, &client, &args, interrupt).await,
            Err(e) => Err(e),
        },
        Command::Destroy(args) => match args.bundle.one_target("destroy") {
            Ok(()) => match connect().await {
                Ok((client, _)) => destroy::destroy(platform, &client, &args, interrupt).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
        Command::Gc(args) => match connect().await {
            Ok((client, _)) => gc::gc(platform, &client, &args, interrupt).await,
            Err(e) => Err(e),
        },
        Command::Run(args) if args.fanout.is_multi(&args.target) => {
            multi::run(&fanout(platform, &retry, &auth_type, interrupt), &args).await
        }
        Command::Run(args) => match connect().await {
            Ok((client, _)) => run::run(platform, &client, &args, interrupt).await,
            Err(e) => Err(e),
        },
        Command::Test(args) if args.fanout.is_multi(&args.publish.target) => {
            multi::test(&fanout(platform, &retry, &auth_type, interrupt), &args).await
        }
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
        Command::Gate(args) => {
            stop_on_signal(platform, quick, async {
                brickci::trigger::gate::run(platform, &connect().await?.0, &args).await
            })
            .await
        }
        Command::Callback(args) => {
            let work = brickci::trigger::callback::run(platform, args.target);
            stop_on_signal(platform, quick, work).await
        }
        Command::Trigger(TriggerCommand::AzureDevops(args)) => {
            let work = brickci::trigger::azure_devops::run(platform, &args);
            stop_on_signal(platform, quick, work).await
        }
        Command::Trigger(TriggerCommand::Codepipeline(args)) => {
            let work = brickci::trigger::codepipeline::run(platform, &args);
            stop_on_signal(platform, quick, work).await
        }
        Command::Trigger(TriggerCommand::Github(args)) => {
            stop_on_signal(
                platform,
                quick,
                brickci::trigger::github::run(platform, &args),
            )
            .await
        }
    };
    result.unwrap_or_else(|e| render(platform, &e))
}

/// What each of several targets connects from.
fn fanout<'a>(
    platform: &'a Platform,
    retry: &RetryPolicy,
    auth_type: &Option<String>,
    interrupt: Interrupt,
) -> brickci::fanout::Connection<'a> {
    brickci::fanout::Connection {
        platform,
        retry: retry.clone(),
        auth_type: auth_type.clone(),
        interrupt,
    }
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
        platform.note(&format!("  help: {line}"));
    }
    error.exit_code()
}

fn init_logging(level: &str, platform: &Platform) {
    // A long wait's progress shows at the default level; `error` or `off` silence it too.
    let progress = match level {
        "warn" => format!(",{}=info", brickci::deploy::kinds::PROGRESS),
        _ => String::new(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(format!("brickci={level}{progress}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("brickci=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(platform.log_writer())
        .with_ansi(false)
        .with_target(false)
        .init();
}
