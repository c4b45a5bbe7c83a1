//! When and how long to wait before trying a call again.
//!
//! Follows the Databricks SDK: 429 and 503 are retried (honouring an integer `Retry-After`),
//! so are connection failures; other statuses are final. Unlike the SDK's linear steps, waits
//! grow exponentially with jitter up to a cap, and everything fits an overall deadline.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// First backoff step when the server gives no `Retry-After`.
    pub initial: Duration,
    /// Largest backoff step (a `Retry-After` may ask for more and is honoured).
    pub max_step: Duration,
    /// No retry starts after this much time has gone by since the first attempt.
    pub deadline: Duration,
    /// Attempts at most, first one included.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(500),
            max_step: Duration::from_secs(10),
            deadline: Duration::from_secs(300),
            max_attempts: 30,
        }
    }
}

/// Messages the SDK treats as transient whatever the status.
const TRANSIENT_MESSAGES: &[&str] = &[
    "com.databricks.backend.manager.util.UnknownWorkerEnvironmentException",
    "does not have any associated worker environments",
    "There is no worker environment with id",
    "Unknown worker environment",
    "ClusterNotReadyException",
    "Unexpected error",
    "Please try again later or try a faster operation.",
    "RPC token bucket limit has been exceeded",
];

pub fn is_retryable_status(status: u16, message: &str) -> bool {
    status == 429 || status == 503 || TRANSIENT_MESSAGES.iter().any(|m| message.contains(m))
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1), or None when the
    /// budget does not allow another try.
    pub fn next_wait(
        &self,
        attempt: u32,
        elapsed: Duration,
        retry_after: Option<u64>,
        jitter_unit: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = match retry_after {
            // The server said when; add a little jitter so a herd does not return at once.
            Some(secs) => {
                Duration::from_secs(secs) + self.initial.mul_f64(jitter_unit.clamp(0.0, 1.0) * 0.2)
            }
            None => {
                let exp = self.initial.saturating_mul(1u32 << (attempt - 1).min(16));
                let step = exp.min(self.max_step);
                // Full jitter on the upper half keeps the step between 50% and 100%.
                step.mul_f64(0.5 + 0.5 * jitter_unit.clamp(0.0, 1.0))
            }
        };
        if elapsed + wait > self.deadline {
            return None;
        }
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_and_backoff_grows_to_a_cap() {
        let p = RetryPolicy::default();
        let w = p.next_wait(1, Duration::ZERO, Some(3), 0.5).unwrap();
        assert!(
            w >= Duration::from_secs(3) && w < Duration::from_secs(4),
            "{w:?}"
        );
        let w1 = p.next_wait(1, Duration::ZERO, None, 1.0).unwrap();
        let w3 = p.next_wait(3, Duration::ZERO, None, 1.0).unwrap();
        let w9 = p.next_wait(9, Duration::ZERO, None, 1.0).unwrap();
        assert!(w1 < w3 && w3 <= w9, "{w1:?} {w3:?} {w9:?}");
        assert_eq!(w9, p.max_step);
    }

    #[test]
    fn deadline_and_attempts_stop_retries() {
        let p = RetryPolicy {
            deadline: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        assert!(
            p.next_wait(1, Duration::from_secs(3), Some(3), 0.0)
                .is_none()
        );
        assert!(
            p.next_wait(p.max_attempts, Duration::ZERO, None, 0.0)
                .is_none()
        );
    }

    #[test]
    fn statuses() {
        assert!(is_retryable_status(429, ""));
        assert!(is_retryable_status(503, ""));
        assert!(!is_retryable_status(500, "boom"));
        assert!(is_retryable_status(500, "ClusterNotReadyException: wait"));
        assert!(!is_retryable_status(400, "bad"));
    }
}
