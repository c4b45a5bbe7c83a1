//! `brickci report`: render a saved report (JSON) to the platform's destinations, so a
//! workflow can post once at the end.

use crate::cli::ReportArgs;
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::report::{Report, ReportStatus};

use super::publish;

pub async fn run(platform: &Platform, args: &ReportArgs) -> Result<ExitCode, Error> {
    let text = std::fs::read_to_string(&args.input).map_err(|e| {
        Error::bad_input(format!(
            "cannot read the report {}: {e}",
            args.input.display()
        ))
    })?;
    let mut report: Report = serde_json::from_str(&text).map_err(|e| {
        Error::bad_input(format!(
            "{}:{}:{}: not a brickci report: {e}",
            args.input.display(),
            e.line(),
            e.column()
        ))
    })?;
    // Flags given here win over what was saved.
    if args.publish.report_key != "tests" {
        report.key = args.publish.report_key.clone();
    }
    if args.publish.target.is_some() {
        report.target = args.publish.target.clone();
    }
    super::publish_checks::check_destinations(platform, &args.publish)?;
    // A signal here is handled by the caller, which stops the whole command.
    publish::publish(
        platform,
        &report,
        &args.publish,
        &mut crate::signal::Interrupt::never(),
    )
    .await;
    platform.info(&report.headline());
    Ok(if report.status == ReportStatus::Success {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}
