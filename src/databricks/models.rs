//! Jobs API shapes brickci reads. Every field is optional and unknown fields are kept.

use serde::{Deserialize, Serialize};

type Extra = serde_json::Map<String, serde_json::Value>;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Run {
    #[serde(default)]
    pub run_id: i64,
    #[serde(default)]
    pub job_id: Option<i64>,
    #[serde(default)]
    pub run_name: Option<String>,
    #[serde(default)]
    pub run_page_url: Option<String>,
    #[serde(default)]
    pub state: Option<RunState>,
    #[serde(default)]
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub run_duration: Option<i64>,
    #[serde(default)]
    pub tasks: Vec<RunTask>,
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    #[serde(default)]
    pub life_cycle_state: Option<String>,
    #[serde(default)]
    pub result_state: Option<String>,
    #[serde(default)]
    pub state_message: Option<String>,
    #[serde(default)]
    pub user_cancelled_or_timedout: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub termination_details: Option<TerminationDetails>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TerminationDetails {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunTask {
    #[serde(default)]
    pub task_key: String,
    #[serde(default)]
    pub run_id: i64,
    #[serde(default)]
    pub state: Option<RunState>,
    #[serde(default)]
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub run_page_url: Option<String>,
    #[serde(default)]
    pub notebook_task: Option<serde_json::Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunOutput {
    #[serde(default)]
    pub notebook_output: Option<NotebookOutput>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_trace: Option<String>,
    #[serde(default)]
    pub logs: Option<String>,
    #[serde(default)]
    pub logs_truncated: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotebookOutput {
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub truncated: Option<bool>,
}

impl Run {
    pub fn life_cycle_state(&self) -> &str {
        self.state
            .as_ref()
            .and_then(|s| s.life_cycle_state.as_deref())
            .unwrap_or("UNKNOWN")
    }

    pub fn result_state(&self) -> Option<&str> {
        self.state.as_ref().and_then(|s| s.result_state.as_deref())
    }

    /// Terminal per the SDK's waiter (TERMINATED, SKIPPED, INTERNAL_ERROR), or the newer
    /// `status.state` saying TERMINATED.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.life_cycle_state(),
            "TERMINATED" | "SKIPPED" | "INTERNAL_ERROR"
        ) || self.status.as_ref().and_then(|s| s.state.as_deref()) == Some("TERMINATED")
    }
}

impl RunTask {
    pub fn life_cycle_state(&self) -> &str {
        self.state
            .as_ref()
            .and_then(|s| s.life_cycle_state.as_deref())
            .unwrap_or("UNKNOWN")
    }

    pub fn result_state(&self) -> Option<&str> {
        self.state.as_ref().and_then(|s| s.result_state.as_deref())
    }
}
