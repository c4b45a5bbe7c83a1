//! The deploy lock, `<state_path>/deploy.lock`: the same file, with the same fields, as the
//! Databricks CLI writes, so either tool waits for the other. It is taken by creating the
//! file without overwrite (the workspace refuses if it exists), confirmed by reading it back,
//! and removed only by its holder; `--force-lock` takes over a lock left behind.

use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::databricks::workspace::{self, ImportFormat};
use crate::databricks::{ApiRequest, Client, ClientError};

pub const LOCK_FILE: &str = "deploy.lock";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "AcquisitionTime")]
    pub acquisition_time: String,
    #[serde(rename = "IsForced")]
    pub is_forced: bool,
    #[serde(rename = "User")]
    pub user: String,
}

#[derive(Debug)]
pub enum LockError {
    Held {
        holder: LockInfo,
        path: String,
        waited: Duration,
    },
    Api(ClientError),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held {
                holder,
                path,
                waited,
            } => write!(
                f,
                "the deploy lock {path} is held by {} since {}{}",
                holder.user,
                holder.acquisition_time,
                if waited.is_zero() {
                    String::new()
                } else {
                    format!(" (waited {}s)", waited.as_secs())
                }
            ),
            LockError::Api(e) => write!(f, "deploy lock: {e}"),
        }
    }
}

pub struct Lock {
    path: String,
    info: LockInfo,
}

fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    crate::util::rfc3339(secs)
}

async fn read(client: &Client, path: &str) -> Result<Option<LockInfo>, ClientError> {
    let req = ApiRequest::get("/api/2.0/workspace/export", format!("deploy lock {path}"))
        .query("path", path)
        .query("direct_download", "true");
    match client.send(&req).await {
        Ok(r) => Ok(serde_json::from_slice(&r.body).ok()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Takes the lock, waiting up to `wait` for another holder to release it.
pub async fn acquire(
    client: &Client,
    state_path: &str,
    user: &str,
    force: bool,
    wait: Duration,
) -> Result<Lock, LockError> {
    let path = format!("{state_path}/{LOCK_FILE}");
    workspace::mkdirs(client, state_path)
        .await
        .map_err(LockError::Api)?;
    let info = LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        acquisition_time: now_rfc3339(),
        is_forced: force,
        user: user.into(),
    };
    let body = serde_json::to_vec(&info).expect("lock info serialises");
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        match workspace::import(client, &path, &body, ImportFormat::Raw, force).await {
            Ok(()) => {}
            Err(e) if e.api().is_some_and(|a| a.is_already_exists()) => {}
            // The create may have happened; reading the file back below tells.
            Err(ClientError::NoResponse { .. }) => {}
            Err(e) => return Err(LockError::Api(e)),
        }
        match read(client, &path).await.map_err(LockError::Api)? {
            Some(holder) if holder.id == info.id => return Ok(Lock { path, info }),
            Some(holder) => {
                let waited = started.elapsed();
                if waited >= wait {
                    return Err(LockError::Held {
                        holder,
                        path,
                        waited,
                    });
                }
                tokio::time::sleep(pause.min(wait - waited)).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            // Released between our attempt and the read: try again at once.
            None => {}
        }
        if started.elapsed() > wait + Duration::from_secs(60) {
            return Err(LockError::Api(ClientError::Decode {
                method: "GET".into(),
                path: path.clone(),
                object: "deploy lock".into(),
                message: "the lock file keeps vanishing".into(),
            }));
        }
    }
}

impl Lock {
    /// Removes the lock if it is still ours (someone may have forced it away).
    pub async fn release(self, client: &Client) -> Result<(), ClientError> {
        match read(client, &self.path).await? {
            Some(holder) if holder.id == self.info.id => {
                workspace::delete(client, &self.path, false).await
            }
            _ => Ok(()),
        }
    }
}
