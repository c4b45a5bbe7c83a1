//! SCIM `Me`: who the credentials belong to.

use serde::{Deserialize, Serialize};

use super::{ApiRequest, Client, ClientError};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Me {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "userName", default)]
    pub user_name: Option<String>,
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    /// Fields brickci does not model are kept, not dropped.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

pub struct Identity {
    pub me: Me,
    /// From the `X-Databricks-Org-Id` response header.
    pub workspace_id: Option<String>,
}

pub async fn me(client: &Client) -> Result<Identity, ClientError> {
    let req = ApiRequest::get("/api/2.0/preview/scim/v2/Me", "current user");
    let resp = client.send(&req).await?;
    let me = serde_json::from_slice(&resp.body).map_err(|e| ClientError::Decode {
        method: "GET".into(),
        path: req.path.clone(),
        object: req.object.clone(),
        message: e.to_string(),
    })?;
    let workspace_id = resp
        .headers
        .get("x-databricks-org-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(Identity { me, workspace_id })
}
