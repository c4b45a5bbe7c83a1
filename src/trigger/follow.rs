//! What every trigger shares after the start: the `--wait` flags, the bounded backoff
//! between polls, the `triggered-*` outputs, and the loop that follows a run to its end.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;

pub const OUTPUT_RUN_ID: &str = "triggered-run-id";
pub const OUTPUT_RUN_URL: &str = "triggered-run-url";
pub const OUTPUT_CONCLUSION: &str = "triggered-conclusion";

/// `--wait` and how it polls, flattened into every trigger's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct WaitArgs {
    /// Follow the started run to its end: exit 0 if it succeeded, 1 otherwise.
    #[arg(long, env = "BRICKCI_TRIGGER_WAIT")]
    pub wait: bool,
    /// With --wait: give up (exit 1; the run goes on) after this many seconds (0: no limit).
    #[arg(long, env = "BRICKCI_TRIGGER_TIMEOUT", default_value_t = 6 * 3600)]
    pub wait_timeout: u64,
    /// With --wait: longest pause between polls, in seconds.
    #[arg(long, env = "BRICKCI_TRIGGER_POLL_MAX", default_value_t = 30.0)]
    pub poll_max: f64,
    /// With --wait: first pause between polls, in seconds (it doubles up to --poll-max).
    #[arg(
        long,
        env = "BRICKCI_TRIGGER_POLL_MIN",
        default_value_t = 2.0,
        hide = true
    )]
    pub poll_min: f64,
}

impl WaitArgs {
    /// Pauses for a lookup loop of its own (no deadline: the loop bounds itself).
    pub fn pauses(&self) -> Pauses {
        Pauses::new(self, None)
    }

    /// Pauses for following a run: they end at `--wait-timeout`.
    fn until_timeout(&self) -> Pauses {
        let deadline = (self.wait_timeout > 0)
            .then(|| Instant::now() + Duration::from_secs(self.wait_timeout));
        Pauses::new(self, deadline)
    }
}

/// Pauses that double from `--poll-min` up to `--poll-max`, within an optional deadline.
pub struct Pauses {
    next: Duration,
    max: Duration,
    deadline: Option<Instant>,
}

impl Pauses {
    fn new(args: &WaitArgs, deadline: Option<Instant>) -> Pauses {
        let secs = |s: f64| Duration::from_secs_f64(s.clamp(0.01, 3600.0));
        Pauses {
            next: secs(args.poll_min),
            max: secs(args.poll_max.max(args.poll_min)),
            deadline,
        }
    }

    /// Sleeps before the next poll; false (without sleeping) once the deadline has passed.
    pub async fn sleep(&mut self) -> bool {
        let mut wait = self.next;
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            wait = wait.min(left);
        }
        tokio::time::sleep(wait).await;
        self.next = (self.next * 2).min(self.max);
        true
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
    /// The target's own words for where the run is (`queued`, `inProgress`, ...).
    pub state: String,
    /// Set once the run has ended: its conclusion and whether that counts as success.
    pub end: Option<(String, bool)>,
}

/// Prints the started run (`what` describes it for people) and sets `triggered-run-id` /
/// `triggered-run-url`.
pub fn announce(platform: &Platform, what: &str, run: &Started) -> Result<(), Error> {
    match &run.url {
        Some(url) => platform.info(&format!("started {what}: {url}")),
        None => platform.info(&format!("started {what}")),
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
/// sets `triggered-conclusion` (`timed-out` when brickci stopped waiting). Exit 0 when the
/// run succeeded, 1 otherwise.
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
    let mut pauses = wait.until_timeout();
    let mut shown = String::new();
    loop {
        let seen = look().await?;
        if seen.state != shown {
            platform.info(&format!("run {}: {}", run.id, seen.state));
            shown = seen.state.clone();
        }
        if let Some((conclusion, success)) = seen.end {
            set(platform, OUTPUT_CONCLUSION, &conclusion)?;
            return Ok(if success {
                ExitCode::Ok
            } else {
                ExitCode::Failed
            });
        }
        if !pauses.sleep().await {
            platform.error(&format!(
                "run {} did not finish within --wait-timeout {}s (it goes on)",
                run.id, wait.wait_timeout
            ));
            set(platform, OUTPUT_CONCLUSION, "timed-out")?;
            return Ok(ExitCode::Failed);
        }
    }
}
