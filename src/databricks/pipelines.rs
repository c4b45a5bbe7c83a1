//! Pipelines API 2.0: start an update, follow it, stop it, read its error events.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiRequest, Client, ClientError};

/// Event pages read at most when looking for an update's errors.
const MAX_EVENT_PAGES: usize = 20;

#[derive(Debug, Clone, Deserialize)]
pub struct UpdateInfo {
    pub update_id: String,
    #[serde(default)]
    pub state: Option<String>,
}

impl UpdateInfo {
    pub fn state(&self) -> &str {
        self.state.as_deref().unwrap_or("QUEUED")
    }

    pub fn is_terminal(&self) -> bool {
        is_terminal(self.state())
    }
}

/// COMPLETED, FAILED and CANCELED end an update; every other state is on the way.
pub fn is_terminal(state: &str) -> bool {
    matches!(state, "COMPLETED" | "FAILED" | "CANCELED")
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pipeline {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub latest_updates: Vec<UpdateState>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UpdateState {
    pub update_id: String,
    #[serde(default)]
    pub state: Option<String>,
}

impl Pipeline {
    /// The updates among the latest that have not ended.
    pub fn active_updates(&self) -> Vec<String> {
        self.latest_updates
            .iter()
            .filter(|u| !is_terminal(u.state.as_deref().unwrap_or("QUEUED")))
            .map(|u| u.update_id.clone())
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub origin: Value,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub exceptions: Vec<SerializedException>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SerializedException {
    #[serde(default)]
    pub class_name: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

pub async fn get(client: &Client, pipeline_id: &str) -> Result<Pipeline, ClientError> {
    client
        .call(ApiRequest::get(
            format!("/api/2.0/pipelines/{pipeline_id}"),
            format!("pipeline {pipeline_id}"),
        ))
        .await
}

/// `POST .../updates`; the body carries the start-update fields. Not resent on a lost
/// answer: a second start would be refused while the first update runs, or start another.
pub async fn start_update(
    client: &Client,
    pipeline_id: &str,
    body: Value,
) -> Result<String, ClientError> {
    #[derive(Deserialize)]
    struct Started {
        update_id: String,
    }
    let started: Started = client
        .call(ApiRequest::post(
            format!("/api/2.0/pipelines/{pipeline_id}/updates"),
            format!("pipeline {pipeline_id}"),
            body,
        ))
        .await?;
    Ok(started.update_id)
}

pub async fn get_update(
    client: &Client,
    pipeline_id: &str,
    update_id: &str,
) -> Result<UpdateInfo, ClientError> {
    #[derive(Deserialize)]
    struct Got {
        update: UpdateInfo,
    }
    let got: Got = client
        .call(ApiRequest::get(
            format!("/api/2.0/pipelines/{pipeline_id}/updates/{update_id}"),
            format!("update {update_id} of pipeline {pipeline_id}"),
        ))
        .await?;
    Ok(got.update)
}

/// `POST .../stop`: cancels the active update (none active: nothing happens), so a resend
/// is harmless.
pub async fn stop(client: &Client, pipeline_id: &str) -> Result<(), ClientError> {
    let req = ApiRequest::post(
        format!("/api/2.0/pipelines/{pipeline_id}/stop"),
        format!("pipeline {pipeline_id}"),
        json!({}),
    )
    .idempotent(true);
    client.call::<Value>(req).await.map(drop)
}

/// The ERROR events of one update, oldest first.
pub async fn error_events(
    client: &Client,
    pipeline_id: &str,
    update_id: &str,
) -> Result<Vec<Event>, ClientError> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        events: Vec<Event>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    let filter = format!("update_id = '{update_id}' AND level in ('ERROR')");
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_EVENT_PAGES {
        let mut req = ApiRequest::get(
            format!("/api/2.0/pipelines/{pipeline_id}/events"),
            format!("events of pipeline {pipeline_id}"),
        )
        .query("filter", &filter)
        .query("max_results", 100);
        if let Some(t) = &token {
            req = req.query("page_token", t);
        }
        let page: Page = client.call(req).await?;
        out.extend(page.events);
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    // The filter may be looser than asked on some workspaces: keep this update's only.
    out.retain(|e| {
        e.origin["update_id"]
            .as_str()
            .is_none_or(|u| u == update_id)
    });
    // Newest first from the API.
    out.reverse();
    Ok(out)
}
