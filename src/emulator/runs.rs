//! Runs and their life cycle. Nothing ticks in the background: a run's state is computed
//! from the emulated clock whenever it is looked at, so any clock speed works.

use serde_json::{Value, json};

use super::callback_process::Process;
use super::notebook_script::Script;

/// Emulated milliseconds a run spends PENDING before its first task starts.
pub const PENDING_MS: u64 = 2_000;
/// How long a task runs unless its notebook says otherwise.
pub const TASK_MS: u64 = 3_000;
/// A process task that has not ended yet ends "later than anything"; far enough out that
/// sums with it never overflow.
const NOT_YET: u64 = 1 << 60;
/// How long a finished run stays TERMINATING.
pub const TERMINATING_MS: u64 = 1_000;
/// `notebook_output.result` carries at most the first 5 MB.
pub const OUTPUT_LIMIT: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct TaskRecord {
    pub key: String,
    pub run_id: i64,
    pub depends_on: Vec<String>,
    pub notebook_path: Option<String>,
    /// None when the notebook did not exist at submit time.
    pub script: Option<Script>,
    pub spec: Value,
    /// A callback task the emulator runs for real (see `callback_process`).
    pub process: Option<Process>,
}

#[derive(Debug, Clone)]
pub struct RunRecord {
    pub run_id: i64,
    pub job_id: Option<i64>,
    pub run_name: String,
    pub run_type: &'static str,
    pub submitted_ms: u64,
    pub creator: String,
    pub tasks: Vec<TaskRecord>,
    pub cancelled_ms: Option<u64>,
}

/// A task's computed schedule and result.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTimes {
    pub start: u64,
    pub end: u64,
    /// SUCCESS, FAILED, CANCELED, UPSTREAM_FAILED, INTERNAL_ERROR (life cycle), ...
    pub result: &'static str,
    pub ran: bool,
}

impl RunRecord {
    pub fn schedule(&self) -> Vec<TaskTimes> {
        let mut done: Vec<Option<TaskTimes>> = vec![None; self.tasks.len()];
        let first_start = self.submitted_ms + PENDING_MS;
        // Tasks in dependency order; a cycle was refused at submit, the bound is a guard.
        for _ in 0..=self.tasks.len() {
            for (i, t) in self.tasks.iter().enumerate() {
                if done[i].is_some() {
                    continue;
                }
                let deps: Option<Vec<&TaskTimes>> = t
                    .depends_on
                    .iter()
                    .map(|d| {
                        self.tasks
                            .iter()
                            .position(|x| &x.key == d)
                            .and_then(|j| done[j].as_ref())
                    })
                    .collect();
                let Some(deps) = deps else { continue };
                let start = deps
                    .iter()
                    .map(|d| d.end)
                    .max()
                    .unwrap_or(first_start)
                    .max(first_start);
                // run_if ALL_DONE (and friends) run whatever their upstream did.
                let run_if = t.spec["run_if"].as_str().unwrap_or("ALL_SUCCESS");
                let upstream_bad = match run_if {
                    "ALL_DONE" => false,
                    "AT_LEAST_ONE_SUCCESS" => {
                        !deps.is_empty() && deps.iter().all(|d| d.result != "SUCCESS")
                    }
                    "NONE_FAILED" => deps.iter().any(|d| d.result == "FAILED"),
                    "ALL_FAILED" => deps.iter().any(|d| d.result == "SUCCESS"),
                    "AT_LEAST_ONE_FAILED" => !deps.iter().any(|d| d.result != "SUCCESS"),
                    _ => deps.iter().any(|d| d.result != "SUCCESS"),
                };
                let times = if upstream_bad {
                    TaskTimes {
                        start,
                        end: start,
                        result: "UPSTREAM_FAILED",
                        ran: false,
                    }
                } else if let Some(p) = &t.process {
                    let (end, result) = match p.outcome() {
                        Some((end, ok)) => {
                            (end.max(start + 1), if ok { "SUCCESS" } else { "FAILED" })
                        }
                        None => (NOT_YET, "SUCCESS"),
                    };
                    TaskTimes {
                        start,
                        end,
                        result,
                        ran: true,
                    }
                } else {
                    let (duration, result) = match &t.script {
                        None => (500, "FAILED"),
                        Some(s) if s.internal_error => {
                            (s.duration_ms.unwrap_or(TASK_MS), "INTERNAL_ERROR")
                        }
                        Some(s) if s.fail.is_some() => (s.duration_ms.unwrap_or(TASK_MS), "FAILED"),
                        Some(s) => (s.duration_ms.unwrap_or(TASK_MS), "SUCCESS"),
                    };
                    TaskTimes {
                        start,
                        end: start + duration,
                        result,
                        ran: true,
                    }
                };
                done[i] = Some(match self.cancelled_ms {
                    Some(c) if c < times.end => TaskTimes {
                        start: times.start,
                        end: c.max(times.start.min(c)),
                        result: "CANCELED",
                        ran: c > times.start,
                    },
                    _ => times,
                });
            }
        }
        done.into_iter()
            .map(|t| {
                t.unwrap_or(TaskTimes {
                    start: first_start,
                    end: first_start,
                    result: "UPSTREAM_FAILED",
                    ran: false,
                })
            })
            .collect()
    }

    /// When the last task ends (or the cancellation, whichever first).
    fn tasks_end(&self, schedule: &[TaskTimes]) -> u64 {
        let end = schedule
            .iter()
            .map(|t| t.end)
            .max()
            .unwrap_or(self.submitted_ms + PENDING_MS);
        match self.cancelled_ms {
            Some(c) => end.min(c.max(self.submitted_ms)),
            None => end,
        }
    }

    pub fn result(&self, schedule: &[TaskTimes]) -> &'static str {
        if self.cancelled_ms.is_some() && schedule.iter().any(|t| t.result == "CANCELED") {
            "CANCELED"
        } else if schedule.iter().any(|t| t.result == "INTERNAL_ERROR") {
            "FAILED"
        } else if schedule.iter().all(|t| t.result == "SUCCESS") {
            "SUCCESS"
        } else {
            "FAILED"
        }
    }

    pub fn is_terminal(&self, now: u64) -> bool {
        let s = self.schedule();
        now >= self.tasks_end(&s) + TERMINATING_MS
    }

    /// The run as `runs/get` shows it at emulated time `now`.
    pub fn to_json(&self, now: u64, base_url: &str, workspace_id: &str) -> Value {
        let schedule = self.schedule();
        let tasks_end = self.tasks_end(&schedule);
        let finished_at = tasks_end + TERMINATING_MS;
        let internal = schedule.iter().any(|t| t.result == "INTERNAL_ERROR");
        let (life, result, message) = if now >= finished_at {
            let result = self.result(&schedule);
            let life = if internal && result != "CANCELED" {
                "INTERNAL_ERROR"
            } else {
                "TERMINATED"
            };
            let msg = match result {
                "SUCCESS" => "",
                "CANCELED" => "Run cancelled.",
                _ => self.failure_message(&schedule),
            };
            (life, Some(result), msg.to_string())
        } else if now >= tasks_end
            && (self.cancelled_ms.is_some() || now >= self.submitted_ms + PENDING_MS)
        {
            ("TERMINATING", None, String::new())
        } else if now < self.submitted_ms + PENDING_MS {
            ("PENDING", None, "Waiting for cluster".to_string())
        } else {
            ("RUNNING", None, "In run".to_string())
        };
        let url = self.page_url(base_url, workspace_id, self.run_id);
        let tasks: Vec<Value> = self
            .tasks
            .iter()
            .zip(&schedule)
            .map(|(t, times)| self.task_json(t, times, now, base_url, workspace_id))
            .collect();
        let end_time = if life == "TERMINATED" || life == "INTERNAL_ERROR" {
            finished_at
        } else {
            0
        };
        let mut run = json!({
            "job_id": self.job_id.unwrap_or(self.run_id + 1_000_000),
            "run_id": self.run_id,
            "number_in_job": self.run_id,
            "creator_user_name": self.creator,
            "original_attempt_run_id": self.run_id,
            "state": state_json(life, result, &message),
            "status": status_json(life, result, &message),
            "start_time": self.submitted_ms,
            "setup_duration": 0,
            "execution_duration": 0,
            "cleanup_duration": 0,
            "end_time": end_time,
            "run_duration": if end_time > 0 { end_time - self.submitted_ms } else { 0 },
            "run_name": self.run_name,
            "run_page_url": url,
            "run_type": self.run_type,
            "attempt_number": 0,
            "format": "MULTI_TASK",
            "tasks": tasks,
        });
        if let Some(job_id) = self.job_id {
            run["job_id"] = json!(job_id);
        }
        run
    }

    fn failure_message(&self, schedule: &[TaskTimes]) -> &'static str {
        if schedule
            .iter()
            .any(|t| t.result == "FAILED" || t.result == "INTERNAL_ERROR")
        {
            "Workload failed, see run output for details"
        } else {
            "Task was not run because an upstream task failed"
        }
    }

    fn page_url(&self, base_url: &str, workspace_id: &str, run_id: i64) -> String {
        let job = self.job_id.unwrap_or(self.run_id + 1_000_000);
        format!("{base_url}/?o={workspace_id}#job/{job}/run/{run_id}")
    }

    fn task_json(
        &self,
        t: &TaskRecord,
        times: &TaskTimes,
        now: u64,
        base_url: &str,
        ws: &str,
    ) -> Value {
        let (life, result, message) = task_state(times, now);
        let mut v = t.spec.clone();
        if let Value::Object(m) = &mut v {
            m.insert("run_id".into(), json!(t.run_id));
            m.insert("state".into(), state_json(life, result, &message));
            m.insert("status".into(), status_json(life, result, &message));
            m.insert(
                "start_time".into(),
                json!(if now >= times.start && times.ran {
                    times.start
                } else {
                    0
                }),
            );
            m.insert(
                "end_time".into(),
                json!(if life == "TERMINATED" || life == "INTERNAL_ERROR" {
                    times.end
                } else {
                    0
                }),
            );
            m.insert(
                "run_page_url".into(),
                json!(self.page_url(base_url, ws, t.run_id)),
            );
            m.insert("attempt_number".into(), json!(0));
        }
        v
    }
}

pub fn task_state(times: &TaskTimes, now: u64) -> (&'static str, Option<&'static str>, String) {
    if now >= times.end && (now >= times.start || !times.ran) {
        let life = if times.result == "INTERNAL_ERROR" {
            "INTERNAL_ERROR"
        } else {
            "TERMINATED"
        };
        let result = if times.result == "INTERNAL_ERROR" {
            "FAILED"
        } else {
            times.result
        };
        let msg = match result {
            "SUCCESS" => String::new(),
            "UPSTREAM_FAILED" => "Task was not run because an upstream task failed".into(),
            "CANCELED" => "Run cancelled.".into(),
            _ => "Workload failed, see run output for details".into(),
        };
        (life, Some(result), msg)
    } else if now >= times.start {
        ("RUNNING", None, "In run".into())
    } else {
        ("PENDING", None, "Waiting for cluster".into())
    }
}

fn state_json(life: &str, result: Option<&str>, message: &str) -> Value {
    let mut s = json!({ "life_cycle_state": life, "state_message": message, "user_cancelled_or_timedout": result == Some("CANCELED") });
    if let Some(r) = result {
        s["result_state"] = json!(r);
    }
    s
}

fn status_json(life: &str, result: Option<&str>, message: &str) -> Value {
    let state = match life {
        "INTERNAL_ERROR" => "TERMINATED",
        other => other,
    };
    let mut s = json!({ "state": state });
    if let Some(r) = result {
        let (code, kind) = match (life, r) {
            ("INTERNAL_ERROR", _) => ("INTERNAL_ERROR", "INTERNAL_ERROR"),
            (_, "SUCCESS") => ("SUCCESS", "SUCCESS"),
            (_, "CANCELED") => ("USER_CANCELED", "SUCCESS"),
            (_, "UPSTREAM_FAILED") => ("SKIPPED", "CLIENT_ERROR"),
            _ => ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
        };
        s["termination_details"] = json!({ "code": code, "type": kind, "message": message });
    }
    s
}

/// `runs/get-output` for one task run, once it has finished.
pub fn task_output(
    run: &RunRecord,
    task: &TaskRecord,
    times: &TaskTimes,
    now: u64,
    base: &str,
    ws: &str,
) -> Value {
    let mut out = json!({ "metadata": run.task_json(task, times, now, base, ws) });
    let (life, result, _) = task_state(times, now);
    if life == "PENDING" || life == "RUNNING" {
        return out;
    }
    if let Some(p) = &task.process {
        // A Python task: its output is the process's log.
        let log = p.log().unwrap_or_default();
        out["logs"] = json!(log);
        out["logs_truncated"] = json!(false);
        if result == Some("FAILED") {
            let last = log.lines().rev().find(|l| !l.trim().is_empty());
            out["error"] = json!(last.unwrap_or("the callback failed"));
        }
        return out;
    }
    match (&task.script, result) {
        (None, _) => {
            let path = task.notebook_path.clone().unwrap_or_default();
            out["error"] = json!(format!("Notebook not found: {path}"));
        }
        (Some(s), Some("SUCCESS")) => {
            if let Some(v) = &s.exit_value {
                let truncated = v.len() > OUTPUT_LIMIT;
                let mut cut = v.len().min(OUTPUT_LIMIT);
                while !v.is_char_boundary(cut) {
                    cut -= 1;
                }
                out["notebook_output"] = json!({ "result": &v[..cut], "truncated": truncated });
            } else {
                out["notebook_output"] = json!({});
            }
        }
        (Some(s), Some("FAILED")) if s.internal_error => {
            out["error"] = json!("INTERNAL_ERROR: the emulated cluster was lost during the run");
        }
        (Some(s), Some("FAILED")) => {
            if let Some((message, line)) = &s.fail {
                let path = task.notebook_path.clone().unwrap_or_default();
                out["error"] = json!(message);
                out["error_trace"] = json!(format!(
                    "Traceback (most recent call last):\n  File \"{path}\", line {line}, in <module>\n{message}"
                ));
            }
        }
        (_, Some("CANCELED")) => {
            out["error"] = json!("Run cancelled.");
        }
        _ => {}
    }
    out
}
