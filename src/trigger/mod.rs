//! Downstream triggers: start a run on another system, report it, and optionally follow it
//! to its end. What every target shares lives here: the outputs, the wait loop, `k=v`
//! flags and limit errors; one file per target does the talking.

mod error;
pub mod github;

pub use error::TriggerError;

use std::future::Future;
use std::time::Duration;

use clap::Args;

use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;

pub const OUTPUT_RUN_ID: &str = "triggered-run-id";
pub const OUTPUT_RUN_URL: &str = "triggered-run-url";
pub const OUTPUT_CONCLUSION: &str = "triggered-conclusion";

/// `--wait` and how it polls, flattened into every trigger's flags.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Follow the started run to its end: exit 0 if it succeeded, 1 otherwise.
    #[arg(long, env = "BRICKCI_TRIGGER_WAIT")]
    pub wait: bool,
    /// Give up waiting after this many seconds (exit 1; the run keeps going).
    #[arg(long, env = "BRICKCI_TRIGGER_WAIT_TIMEOUT", default_value_t = 6 * 3600)]
    pub wait_timeout: u64,
    /// First pause between polls in milliseconds; pauses grow to 60 s.
    #[arg(
        long,
        env = "BRICKCI_TRIGGER_POLL_MS",
        default_value_t = 5000,
        hide = true
    )]
    pub poll_ms: u64,
}

impl WaitArgs {
    pub fn pauses(&self) -> Pauses {
        Pauses {
            next: Duration::from_millis(self.poll_ms),
        }
    }
}

/// Growing pauses between polls (×1.5 up to 60 s): quick for short runs, light for long ones.
pub struct Pauses {
    next: Duration,
}

impl Pauses {
    pub async fn sleep(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 3 / 2).min(Duration::from_secs(60));
    }
}

/// A run the trigger started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub id: String,
    pub url: Option<String>,
}

/// One look at a started run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The target's own words for where the run is (`queued`, `in_progress`, ...).
    pub state: String,
    /// Set once the run has ended: its conclusion and whether that counts as success.
    pub end: Option<(String, bool)>,
}

/// Prints the started run and sets `triggered-run-id` / `triggered-run-url`.
pub fn announce(platform: &Platform, what: &str, run: &Started) -> Result<(), Error> {
    match &run.url {
        Some(url) => platform.print(&format!("{what}: run {} started: {url}", run.id)),
        None => platform.print(&format!("{what}: run {} started", run.id)),
    }
    set(platform, OUTPUT_RUN_ID, &run.id)?;
    if let Some(url) = &run.url {
        set(platform, OUTPUT_RUN_URL, url)?;
    }
    Ok(())
}

fn set(platform: &Platform, name: &str, value: &str) -> Result<(), Error> {
    platform
        .set_output(name, value)
        .map_err(|e| Error::Io(e.to_string()))
}

/// Polls `look` until the run ends or `--wait-timeout` passes, printing each state change;
/// sets `triggered-conclusion`. Exit 0 on success, 1 otherwise.
pub async fn follow<F, Fut>(
    platform: &Platform,
    run: &Started,
    wait: &WaitArgs,
    mut look: F,
) -> Result<ExitCode, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Observed, Error>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait.wait_timeout);
    let mut pauses = wait.pauses();
    let mut last = String::new();
    loop {
        let seen = look().await?;
        if seen.state != last {
            platform.print(&format!("run {}: {}", run.id, seen.state));
            last = seen.state.clone();
        }
        if let Some((conclusion, success)) = seen.end {
            set(platform, OUTPUT_CONCLUSION, &conclusion)?;
            let url = run.url.as_deref().unwrap_or("");
            platform.print(&format!("run {} ended: {conclusion} {url}", run.id));
            return Ok(if success {
                ExitCode::Ok
            } else {
                ExitCode::Failed
            });
        }
        if tokio::time::Instant::now() >= deadline {
            platform.error(&format!(
                "run {} has not ended after --wait-timeout {} s (it keeps running)",
                run.id, wait.wait_timeout
            ));
            return Ok(ExitCode::Failed);
        }
        pauses.sleep().await;
    }
}

/// `k=v` flags in order; a repeated key or one without `=` is bad input naming the flag.
pub fn pairs(flag: &str, values: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for v in values {
        let (k, val) = crate::util::parse_key_value(flag, v).map_err(Error::bad_input)?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(Error::bad_input(format!("{flag}: {k:?} is given twice")));
        }
        out.push((k, val));
    }
    Ok(out)
}

/// Over a target's documented limit: refused before any request, naming the limit.
pub fn over_limit(limit: &str, detail: String) -> Error {
    TriggerError::OverLimit {
        limit: limit.to_string(),
        detail,
    }
    .into()
}

/// An id for this trigger that the started run carries, so it can be found when the target
/// does not say which run it started, or after an answer was lost.
pub fn correlation_id() -> String {
    format!("brickci-{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_order_and_refuse_bad_ones() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pairs("--input", &v(&["b=1", "a=x=y", "c="])).unwrap(),
            vec![
                ("b".into(), "1".into()),
                ("a".into(), "x=y".into()),
                ("c".into(), "".into())
            ]
        );
        let e = pairs("--input", &v(&["novalue"])).unwrap_err();
        assert!(e.to_string().contains("--input"), "{e}");
        assert_eq!(e.exit_code(), ExitCode::BadInput);
        assert!(pairs("--input", &v(&["a=1", "a=2"])).is_err());
        assert!(pairs("--input", &v(&["=1"])).is_err());
    }
}
