//! `brickci trigger github`: a workflow_dispatch or repository_dispatch, the started run
//! found (from the answer, or by the correlation id it carries) and optionally followed.
//!
//! A dispatch has no idempotency key. After an ambiguous failure (timeout, dropped
//! connection, 5xx) the run is looked for by its correlation id before anything is sent
//! again, and it is sent again at most once.

use serde_json::{Map, Value};

use crate::auth::Secret;
use crate::cli::TriggerGithubArgs;
use crate::error::Error;
use crate::exit::ExitCode;
use crate::github::GitHubError;
use crate::github::actions::{self, Dispatched, RunState};
use crate::github::rest::{self, Rest};
use crate::platform::Platform;

use super::{Observed, Started, TriggerError};

/// workflow_dispatch inputs: 25 on github.com, 10 on GHES; 65,535 characters in all.
const MAX_INPUTS_DOTCOM: usize = 25;
const MAX_INPUTS_GHES: usize = 10;
const MAX_INPUTS_CHARS: usize = 65_535;
/// repository_dispatch: `client_payload` at most 10 top-level keys and under 64 KB;
/// `event_type` 1 to 100 characters.
const MAX_PAYLOAD_KEYS: usize = 10;
const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
const MAX_EVENT_TYPE: usize = 100;
/// Looks for the started run (runs show up within seconds of a dispatch).
const LOOKUPS: u32 = 6;

/// What will be sent, checked against the limits before any request.
struct Dispatch {
    /// `Some(workflow)` for workflow_dispatch.
    workflow: Option<String>,
    body: Value,
    /// The correlation id the run's title must carry, if one is sent.
    marker: Option<String>,
    /// The input or client_payload key carrying it.
    key: Option<String>,
}

impl Dispatch {
    fn event(&self) -> &'static str {
        if self.workflow.is_some() {
            "workflow_dispatch"
        } else {
            "repository_dispatch"
        }
    }

    fn permission(&self) -> &'static str {
        if self.workflow.is_some() {
            "actions: write"
        } else {
            "contents: write"
        }
    }

    fn what(&self, repo: &str) -> String {
        match &self.workflow {
            Some(w) => format!("workflow {w} in {repo}"),
            None => format!("repository_dispatch to {repo}"),
        }
    }
}

pub async fn run(platform: &Platform, args: &TriggerGithubArgs) -> Result<ExitCode, Error> {
    let repo = repository(&args.repo)?;
    let dotcom = rest::is_dotcom(&args.api_url);
    let correlation = super::correlation_id();
    let dispatch = prepare(args, dotcom, &correlation)?;
    let token = token(platform, args, &dispatch, dotcom).await?;
    let mut rest = Rest::new(&args.api_url, token, dotcom).map_err(|e| forge(&e))?;
    // A minute early: the runner's clock and GitHub's may differ.
    let since = crate::util::rfc3339(now().saturating_sub(60));
    let found = send(platform, &mut rest, &repo, &dispatch, &since, &args.wait).await?;
    let Some(run) = found else {
        platform.print(&format!("{}: dispatched", dispatch.what(&repo)));
        if args.wait.wait {
            return Err(not_found(&dispatch));
        }
        platform.warn(&not_found(&dispatch).to_string());
        return Ok(ExitCode::Ok);
    };
    let started = Started {
        id: run.id.to_string(),
        url: run.html_url.clone(),
    };
    super::announce(platform, &dispatch.what(&repo), &started)?;
    if !args.wait.wait {
        return Ok(ExitCode::Ok);
    }
    super::follow(platform, &started, &args.wait, || async {
        let r = actions::get_run(&rest, &repo, run.id)
            .await
            .map_err(|e| forge(&e))?;
        Ok(observed(&r))
    })
    .await
}

/// `owner/name`, each part as GitHub spells names (it goes into URL paths as is).
fn repository(raw: &str) -> Result<String, Error> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n != "."
            && n != ".."
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    match raw.split_once('/') {
        Some((o, r)) if name_ok(o) && name_ok(r) => Ok(raw.to_string()),
        _ => Err(Error::bad_input(format!(
            "--repo {raw:?}: expected owner/name"
        ))),
    }
}

/// A workflow file name or id, as one path segment (a `.github/workflows/` path is taken
/// by its file name, as the API wants it).
fn workflow_name(raw: &str) -> Result<String, Error> {
    let raw = raw.strip_prefix(".github/workflows/").unwrap_or(raw);
    if raw.is_empty() || raw.contains(['/', '?', '#', '%', ' ']) || raw == "." || raw == ".." {
        return Err(Error::bad_input(format!(
            "--workflow {raw:?}: expected a workflow file name (deploy.yml) or id"
        )));
    }
    Ok(raw.to_string())
}

/// A run's state in GitHub's words; only the conclusion `success` counts as success.
fn observed(r: &RunState) -> Observed {
    let end = (r.status == "completed").then(|| {
        let c = r.conclusion.clone().unwrap_or_else(|| "unknown".into());
        let ok = c == "success";
        (c, ok)
    });
    Observed {
        state: r.status.clone(),
        end,
    }
}

/// Builds the body and checks every documented limit; nothing is sent yet.
fn prepare(args: &TriggerGithubArgs, dotcom: bool, correlation: &str) -> Result<Dispatch, Error> {
    let key = (!args.correlation_input.is_empty()).then_some(args.correlation_input.as_str());
    if let Some(workflow) = &args.workflow {
        let git_ref = args.git_ref.as_deref().ok_or_else(|| {
            Error::bad_input("--workflow needs --ref (the branch or tag to run on)")
        })?;
        let mut inputs = Map::new();
        for (k, v) in super::pairs("--input", &args.inputs)? {
            inputs.insert(k, Value::String(v));
        }
        if let Some(k) = key {
            inputs.insert(k.to_string(), Value::String(correlation.to_string()));
        }
        let (max, server) = if dotcom {
            (MAX_INPUTS_DOTCOM, "github.com")
        } else {
            (MAX_INPUTS_GHES, "GitHub Enterprise Server")
        };
        if inputs.len() > max {
            return Err(super::over_limit(
                &format!("{max} workflow_dispatch inputs on {server}"),
                format!(
                    "{} inputs{}",
                    inputs.len(),
                    key.map_or(String::new(), |k| format!(" (including {k})"))
                ),
            ));
        }
        let chars = Value::Object(inputs.clone()).to_string().chars().count();
        if chars > MAX_INPUTS_CHARS {
            return Err(super::over_limit(
                "65,535 characters of workflow_dispatch inputs",
                format!("the inputs take {chars} characters"),
            ));
        }
        // GHES answers with the run only when asked (2022-11-28); github.com always does.
        let body = actions::workflow_body(git_ref, &inputs, !dotcom);
        return Ok(Dispatch {
            workflow: Some(workflow_name(workflow)?),
            body,
            marker: key.map(|_| correlation.to_string()),
            key: key.map(str::to_string),
        });
    }
    let event_type = args.event_type.clone().unwrap_or_default();
    let n = event_type.chars().count();
    if !(1..=MAX_EVENT_TYPE).contains(&n) {
        return Err(super::over_limit(
            "event_type 1 to 100 characters",
            format!("--event-type has {n}"),
        ));
    }
    let mut payload = match &args.payload {
        None => Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(Error::bad_input("--payload must be a JSON object")),
            Err(e) => return Err(Error::bad_input(format!("--payload is not JSON: {e}"))),
        },
    };
    if let Some(k) = key {
        payload.insert(k.to_string(), Value::String(correlation.to_string()));
    }
    if payload.len() > MAX_PAYLOAD_KEYS {
        return Err(super::over_limit(
            "client_payload at most 10 top-level keys",
            format!(
                "{} keys{}",
                payload.len(),
                key.map_or(String::new(), |k| format!(" (including {k})"))
            ),
        ));
    }
    let bytes = Value::Object(payload.clone()).to_string().len();
    if bytes >= MAX_PAYLOAD_BYTES {
        return Err(super::over_limit(
            "client_payload under 64 KB",
            format!("the payload is {bytes} bytes"),
        ));
    }
    let mut body = serde_json::json!({ "event_type": event_type });
    if !payload.is_empty() {
        body["client_payload"] = Value::Object(payload);
    }
    Ok(Dispatch {
        workflow: None,
        body,
        marker: key.map(|_| correlation.to_string()),
        key: key.map(str::to_string),
    })
}

/// The token: a GitHub App's installation token, --token-ref, or GITHUB_TOKEN (each may be
/// a secret reference). Masked whole, whatever its length.
async fn token(
    platform: &Platform,
    args: &TriggerGithubArgs,
    dispatch: &Dispatch,
    dotcom: bool,
) -> Result<Secret, Error> {
    let env = platform.env().map();
    if let (Some(app_id), Some(key_ref)) = (&args.app_id, &args.app_private_key_ref) {
        let key = crate::secrets::resolve("--app-private-key-ref", key_ref, env).await?;
        platform.mask(key.expose());
        let jwt = crate::github::app::app_jwt(app_id, &key, now()).map_err(|e| forge(&e))?;
        platform.mask(jwt.expose());
        let token = crate::github::app::installation_token(&args.api_url, dotcom, jwt, &args.repo)
            .await
            .map_err(|e| TriggerError::Denied {
                message: format!(
                    "GitHub App {app_id}: no installation token for {}: {e} (is the App installed on it?)",
                    args.repo
                ),
                permission: format!("`{}`", dispatch.permission()),
            })?;
        platform.mask(token.expose());
        return Ok(token);
    }
    let (what, raw) = match (&args.token_ref, env.get("GITHUB_TOKEN")) {
        (Some(r), _) => ("--token-ref", r.clone()),
        (None, Some(t)) if !t.is_empty() => ("GITHUB_TOKEN", t.clone()),
        _ => {
            return Err(TriggerError::NoToken {
                target: "GitHub".into(),
                set: "GITHUB_TOKEN (or --token-ref, or --app-id with --app-private-key-ref)".into(),
                action: format!("a {}", dispatch.event()),
                permission: format!("`{}` on {}", dispatch.permission(), args.repo),
            }
            .into());
        }
    };
    let token = crate::secrets::resolve(what, &raw, env).await?;
    platform.mask(token.expose());
    Ok(token)
}

/// Sends the dispatch and finds the run it started. A refusal started nothing, so a request
/// GitHub refused for its API version or for `return_run_details` is adjusted and sent again;
/// after an ambiguous failure it is sent again at most once, and only when the run of the
/// first send was looked for and not found.
async fn send(
    platform: &Platform,
    rest: &mut Rest,
    repo: &str,
    d: &Dispatch,
    since: &str,
    wait: &super::WaitArgs,
) -> Result<Option<RunState>, Error> {
    let mut body = d.body.clone();
    let mut resent = false;
    let mut adjusted = 0;
    loop {
        let sent = match &d.workflow {
            Some(w) => actions::dispatch_workflow(rest, repo, w, &body).await,
            None => actions::repository_dispatch(rest, repo, &body).await,
        };
        match sent {
            Ok(Dispatched::Run { id, html_url }) => {
                return Ok(Some(RunState {
                    id,
                    html_url,
                    status: "queued".into(),
                    conclusion: None,
                }));
            }
            Ok(Dispatched::Accepted) => return lookup(rest, repo, d, since, wait).await,
            Ok(Dispatched::Refused(answer)) => {
                let msg = answer.body.to_string().to_lowercase();
                if adjusted < 2
                    && answer.status == 400
                    && msg.contains("api-version")
                    && rest.api_version() == rest::DOTCOM_API_VERSION
                {
                    platform.warn(&format!(
                        "this server does not know API version {}: asking with {} and return_run_details",
                        rest::DOTCOM_API_VERSION,
                        rest::GHES_API_VERSION
                    ));
                    rest.set_api_version(rest::GHES_API_VERSION);
                    if d.workflow.is_some() {
                        body["return_run_details"] = Value::Bool(true);
                    }
                    adjusted += 1;
                    continue;
                }
                if adjusted < 2 && answer.status == 422 && msg.contains("return_run_details") {
                    if let Some(o) = body.as_object_mut() {
                        o.remove("return_run_details");
                    }
                    adjusted += 1;
                    continue;
                }
                return Err(refused(d, repo, &answer));
            }
            Err(f) if !f.ambiguous => {
                return Err(failed(format!("GitHub {} failed: {}", f.call, f.message)));
            }
            Err(f) => {
                if d.marker.is_none() {
                    return Err(failed(format!(
                        "GitHub {} may or may not have started a run ({}); not sent again: without a correlation input the run cannot be told apart",
                        f.call, f.message
                    )));
                }
                platform.warn(&format!(
                    "GitHub {}: no clear answer ({}); looking for the run before sending again",
                    f.call, f.message
                ));
                if let Some(run) = lookup(rest, repo, d, since, wait).await? {
                    return Ok(Some(run));
                }
                if resent {
                    return Err(failed(format!(
                        "GitHub {} failed twice and no run carrying the correlation id was found: {}",
                        f.call, f.message
                    )));
                }
                platform.warn("no run carries the correlation id: sending the dispatch once more");
                resent = true;
            }
        }
    }
}

/// Looks for the run carrying the correlation id, a few times (runs appear with a delay).
async fn lookup(
    rest: &Rest,
    repo: &str,
    d: &Dispatch,
    since: &str,
    wait: &super::WaitArgs,
) -> Result<Option<RunState>, Error> {
    let Some(marker) = &d.marker else {
        return Ok(None);
    };
    let mut pauses = wait.pauses();
    for _ in 0..LOOKUPS {
        let found = actions::find_run(rest, repo, d.workflow.as_deref(), d.event(), since, marker)
            .await
            .map_err(|e| forge(&e))?;
        if found.is_some() {
            return Ok(found);
        }
        pauses.sleep().await;
    }
    Ok(None)
}

/// Accepted, but the run it started could not be told.
fn not_found(d: &Dispatch) -> Error {
    let accepted = format!(
        "GitHub accepted the {} but did not say which run it started",
        d.event()
    );
    let message = match (&d.key, &d.workflow) {
        (None, _) => format!("{accepted}, and no correlation input was sent to find it by"),
        (Some(key), Some(_)) => format!(
            "{accepted}, and no run whose title carries the correlation id was found: give the workflow a `run-name:` containing ${{{{ inputs.{key} }}}}"
        ),
        (Some(key), None) => format!(
            "{accepted}, and no run whose title carries the correlation id was found: give the workflow a `run-name:` containing ${{{{ github.event.client_payload.{key} }}}}"
        ),
    };
    failed(message)
}

/// A 4xx refusal: nothing was started.
fn refused(d: &Dispatch, repo: &str, answer: &rest::Answer) -> Error {
    let e = rest::describe(answer);
    let refusal = format!("GitHub refused the {}: {e}", d.what(repo));
    let error = match answer.status {
        401 | 403 => TriggerError::Denied {
            message: refusal,
            permission: format!("`{}` on {repo}", d.permission()),
        },
        404 => TriggerError::NotFound {
            what: match &d.workflow {
                Some(w) => format!("workflow {w:?} in {repo}"),
                None => format!("repository {repo}"),
            },
            message: e,
        },
        422 => TriggerError::Rejected {
            message: refusal,
            help: match (&d.workflow, &d.key) {
                (Some(_), Some(key)) => vec![
                    format!("a workflow refuses inputs it does not declare: declare every --input under `on: workflow_dispatch: inputs:`, and {key} (the correlation input brickci adds), or pass --correlation-input \"\""),
                    "check that --ref names an existing branch or tag and that the workflow has `on: workflow_dispatch`".into(),
                ],
                (Some(_), None) => vec![
                    "a workflow refuses inputs it does not declare: declare every --input under `on: workflow_dispatch: inputs:`".into(),
                    "check that --ref names an existing branch or tag and that the workflow has `on: workflow_dispatch`".into(),
                ],
                (None, _) => Vec::new(),
            },
        },
        _ => TriggerError::Failed {
            message: refusal,
            help: Vec::new(),
        },
    };
    error.into()
}

fn failed(message: String) -> Error {
    TriggerError::Failed {
        message,
        help: Vec::new(),
    }
    .into()
}

/// A GitHub call on the way (installation, lookup, following the run) that failed.
fn forge(e: &GitHubError) -> Error {
    Error::Forge {
        auth: e.is_auth(),
        message: e.to_string(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_go_into_paths_are_checked() {
        assert!(repository("acme/cd.v2").is_ok());
        for bad in ["acme", "acme/", "/cd", "a/b/c", "a/..", "a/b?x", "a b/c"] {
            let e = repository(bad).unwrap_err();
            assert_eq!(e.exit_code(), ExitCode::BadInput, "{bad}");
        }
        assert!(workflow_name("deploy.yml").is_ok() && workflow_name("1234").is_ok());
        assert_eq!(
            workflow_name(".github/workflows/deploy.yml").unwrap(),
            "deploy.yml"
        );
        for bad in ["", "..", "workflows/deploy.yml", "a?b", "a b"] {
            assert!(workflow_name(bad).is_err(), "{bad}");
        }
    }
}
