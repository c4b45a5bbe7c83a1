//! The deploy lock, `<state_path>/deploy.lock`: the same file, with the same fields, as the
//! Databricks CLI writes, so either tool waits for the other. It is taken by creating the
//! file without overwrite (the workspace refuses if it exists), confirmed by reading it back,
//! and removed only by its holder; `--force-lock` takes over a lock left behind.

use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::databricks::workspace::{self, ImportFormat};
use crate::databricks::{Client, ClientError};

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
    /// The lock path holds something we cannot take: not a lock, or a lock that keeps
    /// changing hands. What it is and what to do is in the message.
    Unusable {
        path: String,
        message: String,
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
            LockError::Unusable { path, message } => write!(f, "the deploy lock {path}: {message}"),
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

/// What is at the lock path.
#[derive(Debug, Clone, PartialEq)]
enum LockFile {
    Absent,
    /// Something is there but it is not a lock we understand (why, for the message).
    Unparsable(String),
    Held(LockInfo),
}

fn parse(body: &[u8]) -> LockFile {
    match serde_json::from_slice(body) {
        Ok(info) => LockFile::Held(info),
        Err(e) => LockFile::Unparsable(e.to_string()),
    }
}

async fn read(client: &Client, path: &str) -> Result<LockFile, ClientError> {
    Ok(workspace::read_file(client, path, "deploy lock")
        .await?
        .map_or(LockFile::Absent, |body| parse(&body)))
}

/// A file at the lock path that is not a lock: treated as held, since we cannot tell whose.
fn unparsable(path: &str, reason: &str) -> LockError {
    LockError::Unusable {
        path: path.to_string(),
        message: format!(
            "the file is there but is not a deploy lock ({reason}); if no deploy is running, \
             pass --force-lock to overwrite it"
        ),
    }
}

fn unstable(path: &str, attempts: u32, waited: Duration) -> LockError {
    LockError::Unusable {
        path: path.to_string(),
        message: format!(
            "the lock file vanished or was replaced after each of {attempts} attempts to take \
             it ({}s); another deploy may be racing for it",
            waited.as_secs()
        ),
    }
}

/// Retries not explained by a live holder (the file vanished, or a forced overwrite was
/// overwritten again) are capped in number, besides the time cap below.
const MAX_CHURN: u32 = 30;
/// Extra time on top of `wait` for such retries.
const CHURN_GRACE: Duration = Duration::from_secs(60);
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// What the acquire loop does after reading the lock back.
#[derive(Debug)]
enum Step {
    Acquired,
    Retry(Duration),
    Fail(LockError),
}

/// Where the acquire loop stands; kept apart from the I/O so the decisions can be tested.
struct Attempt {
    started: Instant,
    wait: Duration,
    force: bool,
    pause: Duration,
    churn: u32,
}

impl Attempt {
    fn new(wait: Duration, force: bool) -> Self {
        Attempt {
            started: Instant::now(),
            wait,
            force,
            pause: FIRST_PAUSE,
            churn: 0,
        }
    }

    fn next(&mut self, found: LockFile, ours: &str, path: &str) -> Step {
        self.next_at(found, ours, path, self.started.elapsed())
    }

    fn next_at(&mut self, found: LockFile, ours: &str, path: &str, waited: Duration) -> Step {
        let held = match found {
            LockFile::Held(holder) if holder.id == ours => return Step::Acquired,
            LockFile::Held(holder) => Some(LockError::Held {
                holder,
                path: path.to_string(),
                waited,
            }),
            // With --force-lock the next import overwrites it; without, it counts as held.
            LockFile::Unparsable(reason) if !self.force => Some(unparsable(path, &reason)),
            LockFile::Unparsable(_) | LockFile::Absent => None,
        };
        let pause = self.pause;
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        match held {
            Some(err) if waited >= self.wait => Step::Fail(err),
            Some(_) => Step::Retry(pause.min(self.wait - waited)),
            None => {
                // Released (or replaced) between our attempt and the read: try again soon.
                self.churn += 1;
                if self.churn > MAX_CHURN || waited > self.wait + CHURN_GRACE {
                    Step::Fail(unstable(path, self.churn, waited))
                } else {
                    Step::Retry(pause)
                }
            }
        }
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
    let info = LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        acquisition_time: now_rfc3339(),
        is_forced: force,
        user: user.into(),
    };
    let body = serde_json::to_vec(&info).expect("lock info serialises");
    let mut attempt = Attempt::new(wait, force);
    // The state folder is made only when it is missing (a first deploy): a request saved on
    // every other.
    let mut made_folder = false;
    loop {
        match workspace::import(client, &path, &body, ImportFormat::Raw, force).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() && !made_folder => {
                workspace::mkdirs(client, state_path)
                    .await
                    .map_err(LockError::Api)?;
                made_folder = true;
                continue;
            }
            Err(e) if e.api().is_some_and(|a| a.is_already_exists()) => {}
            // The create may have happened; reading the file back below tells.
            Err(ClientError::NoResponse { .. }) => {}
            Err(e) => return Err(LockError::Api(e)),
        }
        let found = read(client, &path).await.map_err(LockError::Api)?;
        match attempt.next(found, &info.id, &path) {
            Step::Acquired => return Ok(Lock { path, info }),
            Step::Retry(pause) => tokio::time::sleep(pause).await,
            Step::Fail(e) => return Err(e),
        }
    }
}

impl Lock {
    /// Removes the lock if it is still ours (someone may have forced it away).
    pub async fn release(self, client: &Client) -> Result<(), ClientError> {
        match read(client, &self.path).await? {
            LockFile::Held(holder) if holder.id == self.info.id => {
                workspace::delete(client, &self.path, false).await
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/Workspace/Users/u/.bundle/b/dev/state/deploy.lock";

    fn holder(id: &str) -> LockFile {
        LockFile::Held(LockInfo {
            id: id.into(),
            acquisition_time: "2025-01-01T00:00:00Z".into(),
            is_forced: false,
            user: "someone@example.com".into(),
        })
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn parse_tells_a_lock_from_garbage() {
        let body = br#"{"ID":"a","AcquisitionTime":"t","IsForced":false,"User":"u"}"#;
        assert!(matches!(parse(body), LockFile::Held(i) if i.id == "a" && i.user == "u"));
        assert!(matches!(parse(b""), LockFile::Unparsable(_)));
        assert!(matches!(parse(b"not json"), LockFile::Unparsable(_)));
        assert!(matches!(parse(br#"{"ID":"a"}"#), LockFile::Unparsable(_)));
    }

    #[test]
    fn our_own_lock_is_acquired() {
        let mut a = Attempt::new(secs(0), false);
        assert!(matches!(
            a.next_at(holder("me"), "me", PATH, secs(0)),
            Step::Acquired
        ));
    }

    #[test]
    fn another_holder_is_waited_for_with_back_off_then_reported() {
        let mut a = Attempt::new(secs(10), false);
        let pauses: Vec<Duration> = (0..6)
            .map(|_| match a.next_at(holder("other"), "me", PATH, secs(1)) {
                Step::Retry(p) => p,
                other => panic!("expected a retry, got {other:?}"),
            })
            .collect();
        assert_eq!(pauses[0], Duration::from_millis(250));
        assert_eq!(pauses[1], Duration::from_millis(500));
        assert_eq!(pauses[5], MAX_PAUSE);
        // Never sleeps past the wait.
        assert!(matches!(
            a.next_at(holder("other"), "me", PATH, Duration::from_millis(9_900)),
            Step::Retry(p) if p == Duration::from_millis(100)
        ));
        match a.next_at(holder("other"), "me", PATH, secs(10)) {
            Step::Fail(e @ LockError::Held { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(PATH) && text.contains("someone@example.com"),
                    "{text}"
                );
            }
            other => panic!("expected held, got {other:?}"),
        }
    }

    #[test]
    fn an_unparsable_lock_counts_as_held() {
        let mut a = Attempt::new(secs(5), false);
        let garbage = || LockFile::Unparsable("expected value at line 1 column 1".into());
        assert!(matches!(
            a.next_at(garbage(), "me", PATH, secs(1)),
            Step::Retry(p) if !p.is_zero()
        ));
        match a.next_at(garbage(), "me", PATH, secs(5)) {
            Step::Fail(e) => {
                let text = e.to_string();
                assert!(
                    text.contains(PATH) && text.contains("--force-lock"),
                    "{text}"
                );
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn an_unparsable_lock_is_overwritten_when_forced() {
        let mut a = Attempt::new(secs(0), true);
        assert!(matches!(
            a.next_at(LockFile::Unparsable("eof".into()), "me", PATH, secs(0)),
            Step::Retry(p) if !p.is_zero()
        ));
    }

    #[test]
    fn a_vanishing_lock_is_retried_with_a_pause_and_a_bound() {
        let mut a = Attempt::new(secs(0), false);
        for _ in 0..MAX_CHURN {
            assert!(matches!(
                a.next_at(LockFile::Absent, "me", PATH, secs(1)),
                Step::Retry(p) if !p.is_zero()
            ));
        }
        match a.next_at(LockFile::Absent, "me", PATH, secs(1)) {
            Step::Fail(e) => assert!(e.to_string().contains(PATH), "{e}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        // The time bound holds even before the count runs out.
        let mut a = Attempt::new(secs(10), false);
        assert!(matches!(
            a.next_at(
                LockFile::Absent,
                "me",
                PATH,
                secs(10) + CHURN_GRACE + secs(1)
            ),
            Step::Fail(_)
        ));
    }
}
