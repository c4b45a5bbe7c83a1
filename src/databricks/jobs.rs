//! Jobs API 2.2: one-time runs and their outcome.

use serde::Deserialize;
use serde_json::{Value, json};

use super::models::{Run, RunOutput};
use super::{ApiRequest, Client, ClientError};

/// Array pages of one run are capped; anything above this many is a server bug, not data.
const MAX_PAGES: usize = 1000;

#[derive(Debug, Deserialize)]
pub struct SubmitResponse {
    pub run_id: i64,
}

/// `runs/submit`. The body must carry an `idempotency_token`, so a resend after a lost
/// response returns the same run instead of starting a second one.
pub async fn submit(client: &Client, body: Value) -> Result<SubmitResponse, ClientError> {
    let has_token = body.get("idempotency_token").is_some_and(|t| t.is_string());
    let name = body
        .get("run_name")
        .and_then(Value::as_str)
        .unwrap_or("run")
        .to_string();
    let req = ApiRequest::post("/api/2.2/jobs/runs/submit", format!("run {name:?}"), body)
        .idempotent(has_token);
    client.call(req).await
}

/// `runs/get`, following `next_page_token` to collect every task of a large run.
pub async fn get_run(client: &Client, run_id: i64) -> Result<Run, ClientError> {
    let object = format!("run {run_id}");
    let mut run: Run = client
        .call(ApiRequest::get("/api/2.2/jobs/runs/get", &object).query("run_id", run_id))
        .await?;
    let mut token = run.next_page_token.take();
    let mut pages = 1;
    while let Some(t) = token.filter(|t| !t.is_empty()) {
        pages += 1;
        if pages > MAX_PAGES {
            break;
        }
        let mut page: Run = client
            .call(
                ApiRequest::get("/api/2.2/jobs/runs/get", &object)
                    .query("run_id", run_id)
                    .query("page_token", &t),
            )
            .await?;
        run.tasks.append(&mut page.tasks);
        token = page.next_page_token.take();
    }
    Ok(run)
}

/// `runs/get-output` for one task run.
pub async fn get_output(client: &Client, task_run_id: i64) -> Result<RunOutput, ClientError> {
    client
        .call(
            ApiRequest::get(
                "/api/2.2/jobs/runs/get-output",
                format!("task run {task_run_id}"),
            )
            .query("run_id", task_run_id),
        )
        .await
}

/// `runs/cancel` (asynchronous: the run moves to TERMINATING, then CANCELED).
pub async fn cancel(client: &Client, run_id: i64) -> Result<(), ClientError> {
    let req = ApiRequest::post(
        "/api/2.2/jobs/runs/cancel",
        format!("run {run_id}"),
        json!({ "run_id": run_id }),
    )
    .idempotent(true);
    client.call::<Value>(req).await.map(drop)
}

/// `runs/list`, all pages (bounded), newest first as the API returns them.
pub async fn list_runs(
    client: &Client,
    job_id: Option<i64>,
    active_only: bool,
) -> Result<Vec<Run>, ClientError> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        runs: Vec<Run>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut req = ApiRequest::get("/api/2.2/jobs/runs/list", "runs").query("limit", 24);
        if let Some(id) = job_id {
            req = req.query("job_id", id);
        }
        if active_only {
            req = req.query("active_only", "true");
        }
        if let Some(t) = &token {
            req = req.query("page_token", t);
        }
        let page: Page = client.call(req).await?;
        out.extend(page.runs);
        token = page.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct Job {
    pub job_id: i64,
    #[serde(default)]
    pub settings: Value,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl Job {
    pub fn name(&self) -> &str {
        self.settings["name"].as_str().unwrap_or("")
    }

    pub fn task_keys(&self) -> Vec<&str> {
        self.settings["tasks"]
            .as_array()
            .map(|t| t.iter().filter_map(|x| x["task_key"].as_str()).collect())
            .unwrap_or_default()
    }

    /// Whether the job declares job-level parameters (then `--param` means job_parameters).
    pub fn has_job_parameters(&self) -> bool {
        self.settings["parameters"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    }
}

/// `jobs/get`, following `next_page_token` for jobs with more than 100 tasks.
pub async fn get_job(client: &Client, job_id: i64) -> Result<Job, ClientError> {
    let object = format!("job {job_id}");
    let mut job: Job = client
        .call(ApiRequest::get("/api/2.2/jobs/get", &object).query("job_id", job_id))
        .await?;
    let mut token = job
        .extra
        .remove("next_page_token")
        .and_then(|t| t.as_str().map(str::to_string));
    let mut pages = 1;
    while let Some(t) = token.filter(|t| !t.is_empty()) {
        pages += 1;
        if pages > MAX_PAGES {
            break;
        }
        let page: Job = client
            .call(
                ApiRequest::get("/api/2.2/jobs/get", &object)
                    .query("job_id", job_id)
                    .query("page_token", &t),
            )
            .await?;
        for key in ["tasks", "job_clusters", "parameters", "environments"] {
            if let (Some(more), Some(all)) = (
                page.settings[key].as_array(),
                job.settings[key].as_array_mut(),
            ) {
                all.extend(more.iter().cloned());
            }
        }
        token = page
            .extra
            .get("next_page_token")
            .and_then(|t| t.as_str().map(str::to_string));
    }
    Ok(job)
}

/// `jobs/list?name=`: every job with exactly this name (case-insensitive), all pages.
pub async fn find_jobs_by_name(client: &Client, name: &str) -> Result<Vec<Job>, ClientError> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        jobs: Vec<Job>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut req = ApiRequest::get("/api/2.2/jobs/list", format!("jobs named {name:?}"))
            .query("name", name)
            .query("limit", 100);
        if let Some(t) = &token {
            req = req.query("page_token", t);
        }
        let page: Page = client.call(req).await?;
        out.extend(page.jobs);
        token = page.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
pub struct RunNowResponse {
    pub run_id: i64,
}

/// `run-now`. The body must carry an `idempotency_token` to be resent safely.
pub async fn run_now(client: &Client, body: Value) -> Result<RunNowResponse, ClientError> {
    let has_token = body.get("idempotency_token").is_some_and(|t| t.is_string());
    let job_id = body["job_id"].as_i64().unwrap_or_default();
    let req = ApiRequest::post("/api/2.2/jobs/run-now", format!("job {job_id}"), body)
        .idempotent(has_token);
    client.call(req).await
}
