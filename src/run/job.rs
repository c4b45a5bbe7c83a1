//! Running an existing job: which job, which parameters, which tasks.

use serde_json::{Map, Value, json};

use crate::databricks::jobs::Job;

#[derive(Debug, Clone)]
pub struct JobRunRequest {
    pub parameters: Vec<(String, String)>,
    pub only: Vec<String>,
    pub idempotency_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JobRunError {
    #[error("--only {task}: job {job_id} ({name}) has no such task; its tasks: {known}")]
    UnknownTask {
        task: String,
        job_id: i64,
        name: String,
        known: String,
    },
}

/// The run-now body. `--param` becomes `job_parameters` when the job declares parameters,
/// and `notebook_params` (merged over each notebook task's base_parameters) otherwise.
pub fn run_now_body(job: &Job, req: &JobRunRequest) -> Result<Value, JobRunError> {
    let keys = job.task_keys();
    for task in &req.only {
        if !keys.contains(&task.as_str()) {
            return Err(JobRunError::UnknownTask {
                task: task.clone(),
                job_id: job.job_id,
                name: job.name().to_string(),
                known: keys.join(", "),
            });
        }
    }
    let params: Map<String, Value> = req
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut body = json!({ "job_id": job.job_id, "idempotency_token": req.idempotency_token });
    if !params.is_empty() {
        let field = if job.has_job_parameters() {
            "job_parameters"
        } else {
            "notebook_params"
        };
        body[field] = Value::Object(params);
    }
    if !req.only.is_empty() {
        body["only"] = json!(req.only);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(settings: Value) -> Job {
        serde_json::from_value(json!({ "job_id": 5, "settings": settings })).unwrap()
    }

    #[test]
    fn parameters_go_where_the_job_expects_them() {
        let req = JobRunRequest {
            parameters: vec![("env".into(), "qa".into())],
            only: vec![],
            idempotency_token: "t".into(),
        };
        let plain = job(json!({ "name": "j", "tasks": [{ "task_key": "a" }] }));
        assert_eq!(
            run_now_body(&plain, &req).unwrap()["notebook_params"]["env"],
            "qa"
        );
        let with_params = job(
            json!({ "name": "j", "parameters": [{ "name": "env", "default": "dev" }], "tasks": [] }),
        );
        assert_eq!(
            run_now_body(&with_params, &req).unwrap()["job_parameters"]["env"],
            "qa"
        );
    }

    #[test]
    fn only_names_existing_tasks() {
        let j = job(
            json!({ "name": "train", "tasks": [{ "task_key": "prep" }, { "task_key": "fit" }] }),
        );
        let mut req = JobRunRequest {
            parameters: vec![],
            only: vec!["fit".into()],
            idempotency_token: "t".into(),
        };
        assert_eq!(run_now_body(&j, &req).unwrap()["only"], json!(["fit"]));
        req.only = vec!["nope".into()];
        let err = run_now_body(&j, &req).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("prep, fit"), "{err}");
    }
}
