//! `brickci report`: render a saved report (JSON) to the platform's destinations, so a
//! workflow can post once at the end.

use crate::bundle::local_file::Roots;
use crate::cli::ReportArgs;
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;
use crate::report::{Report, ReportStatus};

use crate::publish;

/// The verdict a saved report's contents support, whatever its `status` field says (the
/// file may have been edited, or written by a run that failed after saving): any failed
/// case or run that did not succeed fails it (a run whose failures were retried counts by
/// its tests); a cancelled run cancels it; otherwise it passed (an empty report has nothing
/// that failed).
pub fn derived_status(report: &Report) -> ReportStatus {
    let failed_case = report.failed_cases().next().is_some();
    let states: Vec<Option<&str>> = report
        .runs
        .iter()
        .filter(|r| !r.retried)
        .map(|r| r.result_state.as_deref())
        .collect();
    if failed_case {
        ReportStatus::Failure
    } else if states.contains(&Some("CANCELED")) {
        ReportStatus::Cancelled
    } else if states.iter().any(|s| *s != Some("SUCCESS")) {
        ReportStatus::Failure
    } else {
        ReportStatus::Success
    }
}

pub async fn run(platform: &Platform, args: &ReportArgs) -> Result<ExitCode, Error> {
    let bytes = Roots::anywhere()
        .read(&args.input)
        .map_err(|e| Error::bad_input(format!("cannot read the report: {e}")))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut report: Report = serde_json::from_str(&text).map_err(|e| {
        Error::bad_input(format!(
            "{}:{}:{}: not a brickci report: {e}",
            args.input.display(),
            e.line(),
            e.column()
        ))
    })?;
    report.status = derived_status(&report);
    // Flags given here win over what was saved.
    if args.publish.report_key != "tests" {
        report.key = args.publish.report_key.clone();
    }
    if args.publish.target.len() > 1 {
        return Err(Error::bad_input(
            "report takes one target name (-t) for the report it renders",
        ));
    }
    if let Some(target) = args.publish.target.first() {
        report.target = Some(target.clone());
    }
    crate::publish::checks::check_destinations(platform, &args.publish)?;
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
