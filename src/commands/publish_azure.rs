//! The Azure DevOps side of publishing: the sticky PR thread comment.

use crate::cli::PublishArgs;
use crate::error::Error;
use crate::platform::Platform;
use crate::report::Report;

pub async fn pr_comment(
    _platform: &Platform,
    _report: &Report,
    _args: &PublishArgs,
) -> Result<(), Error> {
    Ok(())
}
