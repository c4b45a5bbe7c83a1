//! What every trigger shares: the `--wait` flags, the bounded backoff between polls, and
//! the `triggered-*` outputs.

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::platform::Platform;

#[derive(Debug, Clone, clap::Args)]
pub struct FollowArgs {
    /// Follow the started run to its end: exit 0 if it succeeded, 1 otherwise.
    #[arg(long, env = "BRICKCI_TRIGGER_WAIT")]
    pub wait: bool,
    /// With --wait: give up (exit 1; the run goes on) after this many seconds (0: no limit).
    #[arg(long, env = "BRICKCI_TRIGGER_TIMEOUT", default_value_t = 0)]
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

/// Pauses that double from `poll_min` up to `poll_max`, within an optional deadline.
pub struct Backoff {
    next: Duration,
    max: Duration,
    deadline: Option<Instant>,
}

impl Backoff {
    pub fn new(args: &FollowArgs) -> Backoff {
        let secs = |s: f64| Duration::from_secs_f64(s.clamp(0.05, 3600.0));
        Backoff {
            next: secs(args.poll_min),
            max: secs(args.poll_max.max(args.poll_min)),
            deadline: (args.wait_timeout > 0)
                .then(|| Instant::now() + Duration::from_secs(args.wait_timeout)),
        }
    }

    /// Sleeps before the next poll; false once the deadline has passed.
    pub async fn pause(&mut self) -> bool {
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

/// `triggered-run-id` and `triggered-run-url`, as soon as the run exists.
/// `what` describes the run for people ("run 17 of pipeline 9"); `id` is the bare id.
pub fn started(platform: &Platform, what: &str, id: &str, url: &str) -> Result<(), Error> {
    platform.print(&format!("started {what}: {url}"));
    set(platform, "triggered-run-id", id)?;
    set(platform, "triggered-run-url", url)
}

/// `triggered-conclusion`: the run's final result in the target's own words.
pub fn concluded(platform: &Platform, conclusion: &str) -> Result<(), Error> {
    set(platform, "triggered-conclusion", conclusion)
}

fn set(platform: &Platform, name: &str, value: &str) -> Result<(), Error> {
    platform
        .set_output(name, value)
        .map_err(|e| Error::Io(e.to_string()))
}

/// Parses repeated `key=value` flags, refusing a key given twice; errors name the flag.
pub fn pairs(flag: &str, raw: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in raw {
        let (k, v) = crate::util::parse_key_value(flag, r).map_err(Error::bad_input)?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(Error::bad_input(format!("{flag}: {k} is given twice")));
        }
        out.push((k, v));
    }
    Ok(out)
}
