//! `resources.job_runs`: a run of a job, started by the deploy with the fields of a Jobs
//! `run-now` request. Its id is the run's id. A deploy that starts one waits for it to end
//! and fails unless it succeeded. A run never changes: a redeploy with the same settings
//! leaves a successful run alone, while a changed setting, a run that did not succeed, or
//! `lifecycle.triggers: [{on_bundle_deploy: true}]` deletes the old run and starts another.
//! Deleting a run that is still going cancels it first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Deployer, Fut, KindApi, KindSpec, Permissions, Progress, Update, req, wait_for};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::{Kind, Node};
use crate::databricks::{ApiRequest, Client, ClientError};

/// The fields of a run-now request (the token aside: brickci makes one per request).
const RUN_NOW: &[&str] = &[
    "job_id",
    "job_parameters",
    "notebook_params",
    "python_params",
    "python_named_params",
    "jar_params",
    "spark_submit_params",
    "sql_params",
    "dbt_commands",
    "pipeline_params",
    "queue",
    "only",
    "performance_target",
];

pub static SPEC: KindSpec = KindSpec {
    name: "job_runs",
    terraform: None,
    // `job_id` too, checked by `presets` (a literal id is a number).
    required: &[],
    fixed: RUN_NOW,
    fixed_reason: "which a started run cannot take; the job runs again with it",
    replace: true,
    computed: &[("run_page_url", "/run_page_url")],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Nobody,
    presets,
    api: &JobRuns,
};

/// As long as `bundle run` and the CLI wait for a run.
const RUN_LIMIT: Duration = Duration::from_secs(24 * 3600);
/// How long a cancelled run may take to stop before it is deleted.
const CANCEL_LIMIT: Duration = Duration::from_secs(20 * 60);

struct JobRuns;

fn run_id(id: &str) -> i64 {
    id.parse().unwrap_or_default()
}

/// The run-now request the settings describe.
fn body(settings: &Value) -> Value {
    let mut b = json!({});
    for k in RUN_NOW {
        if let Some(v) = settings.get(*k).filter(|v| !v.is_null()) {
            b[*k] = v.clone();
        }
    }
    if let Some(id) = b["job_id"].as_str().and_then(|s| s.parse::<i64>().ok()) {
        b["job_id"] = json!(id);
    }
    b
}

/// Whether `lifecycle.triggers` asks for a run on every deploy.
fn every_deploy(settings: &Value) -> bool {
    settings["lifecycle"]["triggers"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["on_bundle_deploy"] == true))
}

fn get_run(id: &str, what: &str) -> ApiRequest {
    req(Method::GET, "/api/2.2/jobs/runs/get", what).query("run_id", id)
}

fn life(run: &Value) -> &str {
    run["state"]["life_cycle_state"].as_str().unwrap_or("")
}

fn terminal(run: &Value) -> bool {
    matches!(life(run), "TERMINATED" | "SKIPPED" | "INTERNAL_ERROR")
}

/// SUCCESS, FAILED, ...; a skipped run has only its life cycle state.
fn outcome(run: &Value) -> &str {
    run["state"]["result_state"]
        .as_str()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| life(run))
}

async fn start(c: &Client, what: &str, settings: &Value) -> Result<String, ClientError> {
    let mut b = body(settings);
    // The same token on a retried request gives back the same run, never a second one.
    b["idempotency_token"] = json!(uuid::Uuid::new_v4().to_string());
    let r = req(Method::POST, "/api/2.2/jobs/run-now", what)
        .json(b)
        .idempotent(true);
    let started: Value = c.call(r).await?;
    super::str_field(&started, "run_id")
}

/// Waits for the run to end; an error unless it succeeded, naming each failed task and
/// what it reported.
async fn settle(c: &Client, what: &str, id: &str) -> Result<(), ClientError> {
    let told = AtomicBool::new(false);
    let run = wait_for(
        c,
        what,
        RUN_LIMIT,
        || get_run(id, what),
        |run| {
            if !told.swap(true, Ordering::Relaxed) {
                tracing::info!(
                    target: super::PROGRESS,
                    "{what}: waiting for run {id}: {}",
                    run["run_page_url"].as_str().unwrap_or("")
                );
            }
            if terminal(run) {
                Progress::Done
            } else {
                Progress::Pending(format!(
                    "{} {}",
                    life(run),
                    run["state"]["state_message"].as_str().unwrap_or("")
                ))
            }
        },
    )
    .await?;
    if outcome(&run) == "SUCCESS" {
        return Ok(());
    }
    Err(ClientError::Unsettled {
        object: what.to_string(),
        message: failure(c, what, &run).await,
    })
}

/// Why the run did not succeed: its outcome and message, each failed task (its last
/// attempt) with the error it reported, and the run's page.
async fn failure(c: &Client, what: &str, run: &Value) -> String {
    let mut msg = format!("run {} did not succeed: {}", run["run_id"], outcome(run));
    if let Some(m) = run["state"]["state_message"]
        .as_str()
        .filter(|m| !m.is_empty())
    {
        msg.push_str(&format!(": {m}"));
    }
    for task in failed_tasks(run) {
        let mut said = task["state"]["state_message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if let Some(task_run) = task["run_id"].as_i64() {
            let r =
                req(Method::GET, "/api/2.2/jobs/runs/get-output", what).query("run_id", task_run);
            if let Ok(out) = c.call::<Value>(r).await
                && let Some(e) = out["error"].as_str().filter(|e| !e.is_empty())
            {
                said = e.to_string();
            }
        }
        msg.push_str(&format!("\ntask {}: {said}", task["task_key"]));
    }
    if let Some(url) = run["run_page_url"].as_str() {
        msg.push_str(&format!("\nrun page: {url}"));
    }
    msg
}

/// The tasks that made the run fail, once per task key (the last attempt); a skipped or
/// upstream-failed task never ran and is not one of them.
fn failed_tasks(run: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = Vec::new();
    for task in run["tasks"].as_array().into_iter().flatten() {
        let failed = task["state"]["life_cycle_state"] == "INTERNAL_ERROR"
            || matches!(
                task["state"]["result_state"].as_str(),
                Some("FAILED" | "TIMEDOUT")
            );
        if !failed {
            continue;
        }
        let attempt = |t: &Value| t["attempt_number"].as_i64().unwrap_or(0);
        match out.iter().position(|t| t["task_key"] == task["task_key"]) {
            Some(i) if attempt(task) > attempt(out[i]) => out[i] = task,
            Some(_) => {}
            None => out.push(task),
        }
    }
    out
}

impl KindApi for JobRuns {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(start(c, what, settings))
    }

    /// Nothing to send: a setting a run cannot take replaces it (see `fixed`). When the run
    /// is of a job made anew in this deploy, it is replaced here; otherwise only the state
    /// changes, and `after_update` waits for a run a stopped deploy left going.
    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            if u.previous.is_null() || body(u.previous) == body(u.settings) {
                return Ok(u.id.to_string());
            }
            self.remove(c, u.id, u.what, &Value::Null).await?;
            start(c, u.what, u.settings).await
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::POST, "/api/2.2/jobs/runs/delete", what).json(json!({ "run_id": run_id(id) }))
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        get_run(id, what)
    }

    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        _opts: super::CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(settle(c, what, id))
    }

    fn after_update<'a>(&'a self, c: &'a Client, what: &'a str, id: &'a str) -> Fut<'a, ()> {
        Box::pin(settle(c, what, id))
    }

    /// The service refuses to delete a run that is still going: cancel it, let it stop, delete it.
    fn remove<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        what: &'a str,
        _settings: &'a Value,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let run: Value = match c.call(get_run(id, what)).await {
                Ok(run) => run,
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(e),
            };
            if !terminal(&run) {
                let r = req(Method::POST, "/api/2.2/jobs/runs/cancel", what)
                    .json(json!({ "run_id": run_id(id) }))
                    .idempotent(true);
                c.call::<Value>(r).await?;
                wait_for(
                    c,
                    what,
                    CANCEL_LIMIT,
                    || get_run(id, what),
                    |run| {
                        if terminal(run) {
                            Progress::Done
                        } else {
                            Progress::Pending(format!("cancelling: {}", life(run)))
                        }
                    },
                )
                .await?;
            }
            match c
                .call::<Value>(self.delete(id, what).idempotent(true))
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    /// A run that ended without succeeding is run again, as is one whose triggers ask for
    /// a run on every deploy. A run still going is left to `after_update` to wait for.
    fn outdated<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        what: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, Option<String>> {
        Box::pin(async move {
            if every_deploy(settings) {
                return Ok(Some(
                    "lifecycle.triggers has on_bundle_deploy: the job runs again on every deploy"
                        .to_string(),
                ));
            }
            let run: Value = match c.call(get_run(id, what)).await {
                Ok(run) => run,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            Ok((terminal(&run) && outcome(&run) != "SUCCESS").then(|| {
                format!(
                    "run {id} ended {}, not SUCCESS; the job runs again",
                    outcome(&run)
                )
            }))
        })
    }

    /// Replacing a run starts the job again; the old run's record goes, no data.
    fn replace_needs_approval(&self) -> bool {
        false
    }
}

/// Checked as the CLI's validate: the token is brickci's to set, and each trigger must say
/// `on_bundle_deploy: true` (and not with `prevent_destroy`, which a run replaced on every
/// deploy cannot keep). A run without a job is refused at deploy, as the API would.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    let at = format!("resources.job_runs.{}", ctx.key);
    if let Some(t) = settings.get("idempotency_token") {
        ctx.diags.push(
            &t.loc,
            format!("{at}.idempotency_token"),
            "must not be set: brickci makes a new token for each run it starts",
        );
    }
    if settings.get("job_id").is_none() {
        ctx.diags
            .deploy_error(&loc, format!("{at}.job_id"), "is required");
    }
    let Some(lifecycle) = settings.get("lifecycle") else {
        return;
    };
    let triggers = lifecycle.get("triggers").and_then(Node::items);
    let mut every = false;
    for (i, t) in triggers.unwrap_or_default().iter().enumerate() {
        let path = format!("{at}.lifecycle.triggers[{i}]");
        match t.get("on_bundle_deploy").map(|v| &v.kind) {
            Some(Kind::Bool(true)) => every = true,
            Some(_) => ctx.diags.push(
                &t.loc,
                format!("{path}.on_bundle_deploy"),
                "must be true when set",
            ),
            None => ctx
                .diags
                .push(&t.loc, path, "must set on_bundle_deploy: true"),
        }
    }
    let prevent = lifecycle
        .get("prevent_destroy")
        .is_some_and(|v| matches!(v.kind, Kind::Bool(true)));
    if every && prevent {
        ctx.diags.push(
            &lifecycle.loc,
            format!("{at}.lifecycle"),
            "on_bundle_deploy replaces the run on every deploy, which prevent_destroy forbids; keep one of them",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_a_run_now_request_with_a_numeric_job_id() {
        let settings = json!({
            "job_id": "1026", "job_parameters": {"env": "dev"}, "lifecycle": {"triggers": []},
            "permissions": [], "only": ["a"],
        });
        assert_eq!(
            body(&settings),
            json!({"job_id": 1026, "job_parameters": {"env": "dev"}, "only": ["a"]})
        );
    }

    #[test]
    fn a_failed_task_is_named_once_by_its_last_attempt_and_skipped_ones_not_at_all() {
        let run = json!({"tasks": [
            {"task_key": "a", "attempt_number": 0, "state": {"result_state": "FAILED"}},
            {"task_key": "a", "attempt_number": 1, "state": {"result_state": "FAILED", "state_message": "again"}},
            {"task_key": "b", "state": {"result_state": "UPSTREAM_FAILED"}},
            {"task_key": "c", "state": {"life_cycle_state": "INTERNAL_ERROR"}},
        ]});
        let failed = failed_tasks(&run);
        assert_eq!(failed.len(), 2);
        assert_eq!(failed[0]["state"]["state_message"], "again");
        assert_eq!(failed[1]["task_key"], "c");
    }

    #[test]
    fn only_a_true_on_bundle_deploy_runs_every_time() {
        assert!(every_deploy(
            &json!({"lifecycle": {"triggers": [{"on_bundle_deploy": true}]}})
        ));
        assert!(!every_deploy(&json!({"lifecycle": {"triggers": []}})));
        assert!(!every_deploy(&json!({})));
    }
}
