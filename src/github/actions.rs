//! GitHub Actions endpoints a trigger uses: the two dispatches, listing runs to find one by
//! its correlation id, and reading a run.

use serde_json::{Value, json};

use super::GitHubError;
use super::rest::{Answer, Rest, SendFailure};

/// What GitHub said to a dispatch.
#[derive(Debug)]
pub enum Dispatched {
    /// 200 with the run (API 2026-03-10, or `return_run_details` on GHES).
    Run { id: u64, html_url: Option<String> },
    /// 204: accepted, the run must be looked up.
    Accepted,
    /// A 4xx refusal: nothing started.
    Refused(Answer),
}

/// A workflow run as the trigger follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    pub id: u64,
    pub html_url: Option<String>,
    pub status: String,
    pub conclusion: Option<String>,
}

impl RunState {
    fn from_json(v: &Value) -> Option<RunState> {
        Some(RunState {
            id: v["id"].as_u64()?,
            html_url: v["html_url"].as_str().map(str::to_string),
            status: v["status"].as_str().unwrap_or("unknown").to_string(),
            conclusion: v["conclusion"].as_str().map(str::to_string),
        })
    }
}

fn answered(answer: Answer) -> Dispatched {
    match answer.status {
        200..=299 => match answer.body["workflow_run_id"].as_u64() {
            Some(id) => Dispatched::Run {
                id,
                html_url: answer.body["html_url"].as_str().map(str::to_string),
            },
            None => Dispatched::Accepted,
        },
        _ => Dispatched::Refused(answer),
    }
}

/// POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches, once.
pub async fn dispatch_workflow(
    rest: &Rest,
    repo: &str,
    workflow: &str,
    body: &Value,
) -> Result<Dispatched, SendFailure> {
    let path = format!("/repos/{repo}/actions/workflows/{workflow}/dispatches");
    rest.post_once(&path, body).await.map(answered)
}

/// POST /repos/{owner}/{repo}/dispatches, once (always 204: no run comes back).
pub async fn repository_dispatch(
    rest: &Rest,
    repo: &str,
    body: &Value,
) -> Result<Dispatched, SendFailure> {
    rest.post_once(&format!("/repos/{repo}/dispatches"), body)
        .await
        .map(answered)
}

/// The newest run created since `since` (RFC 3339) whose title carries `marker`: the
/// workflow's runs (workflow_dispatch) or the repository's (repository_dispatch).
pub async fn find_run(
    rest: &Rest,
    repo: &str,
    workflow: Option<&str>,
    event: &str,
    since: &str,
    marker: &str,
) -> Result<Option<RunState>, GitHubError> {
    let path = match workflow {
        Some(w) => format!("/repos/{repo}/actions/workflows/{w}/runs"),
        None => format!("/repos/{repo}/actions/runs"),
    };
    let query = [
        ("event", event.to_string()),
        ("created", format!(">={since}")),
        ("per_page", "100".to_string()),
        ("exclude_pull_requests", "true".to_string()),
    ];
    let page = rest.get(&path, &query).await?;
    Ok(page["workflow_runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            [&r["display_title"], &r["name"]]
                .iter()
                .any(|t| t.as_str().is_some_and(|t| t.contains(marker)))
        })
        .filter_map(RunState::from_json)
        .max_by_key(|r| r.id))
}

/// GET /repos/{owner}/{repo}/actions/runs/{run_id}.
pub async fn get_run(rest: &Rest, repo: &str, id: u64) -> Result<RunState, GitHubError> {
    let path = format!("/repos/{repo}/actions/runs/{id}");
    let v = rest.get(&path, &[]).await?;
    RunState::from_json(&v).ok_or_else(|| GitHubError::Call {
        call: format!("GET {path}"),
        status: None,
        message: "no run id in the answer".into(),
    })
}

/// The body of a workflow dispatch; `return_run_details` only where the API version has it.
pub fn workflow_body(
    git_ref: &str,
    inputs: &serde_json::Map<String, Value>,
    ask_run: bool,
) -> Value {
    let mut body = json!({ "ref": git_ref });
    if !inputs.is_empty() {
        body["inputs"] = Value::Object(inputs.clone());
    }
    if ask_run {
        body["return_run_details"] = json!(true);
    }
    body
}
