//! The emulator's clock: wall time scaled by a speed factor, so tests can live through an
//! hour-long run in seconds. Run states are computed from it when observed.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct Clock {
    started: Instant,
    epoch_ms: u64,
    speed: f64,
    /// Emulated milliseconds added by `advance` (handler tests step time instead of sleeping).
    advanced_ms: u64,
}

impl Clock {
    pub fn new(speed: f64) -> Clock {
        let epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Clock {
            started: Instant::now(),
            epoch_ms,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            advanced_ms: 0,
        }
    }

    /// Emulated epoch milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.epoch_ms
            + self.advanced_ms
            + (self.started.elapsed().as_secs_f64() * 1000.0 * self.speed) as u64
    }

    /// Moves emulated time on by `ms`, whatever the speed.
    pub fn advance(&mut self, ms: u64) {
        self.advanced_ms += ms;
    }

    /// Real milliseconds since start (for the request log).
    pub fn real_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
}
