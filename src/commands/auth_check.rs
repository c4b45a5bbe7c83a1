//! `brickci auth check`: which workspace, which method, which identity.

use crate::auth::AuthReport;
use crate::databricks::{Client, scim};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;

pub async fn run(
    platform: &Platform,
    client: &Client,
    report: Option<&AuthReport>,
) -> Result<ExitCode, Error> {
    platform.info(&format!(
        "host:      {}",
        client.host().as_str().trim_end_matches('/')
    ));
    for line in report.map(AuthReport::lines).unwrap_or_default() {
        platform.info(&format!("  {line}"));
    }
    platform.info(&format!("method:    {}", client.auth_method()));
    let identity = scim::me(client).await;
    // What the method saw (e.g. the ID token's claims) helps most when the call failed.
    for line in client.auth_details() {
        platform.info(&line);
    }
    let identity = identity?;
    let me = &identity.me;
    platform.info(&format!(
        "identity:  {}{}",
        me.user_name.as_deref().unwrap_or("(no userName)"),
        me.display_name
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    ));
    if let Some(id) = &me.id {
        platform.info(&format!("user id:   {id}"));
    }
    if let Some(ws) = &identity.workspace_id {
        platform.info(&format!("workspace: {ws}"));
    }
    Ok(ExitCode::Ok)
}
