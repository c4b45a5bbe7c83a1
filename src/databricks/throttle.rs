//! Adaptive concurrency shared by every call one client makes, so a deploy finds the
//! workspace's rate limit by itself instead of being told it.
//!
//! A window of calls may be in flight at once. It starts at its maximum and follows additive
//! increase, multiplicative decrease: a 429 halves it (at most once per round: a 429 for a call
//! sent before the last cut says nothing new), and each success while the window is full adds
//! 1/window (about one call per window's worth of successes). A 429's `Retry-After` also holds
//! back every new call until then: the workspace said when it takes calls again, and a client
//! that keeps sending meanwhile only collects more 429s.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The window's ceiling when a client is made; callers bound their own concurrency below it.
pub const MAX_WINDOW: usize = 256;

/// What the server said about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered (an error that is not about the rate counts too: the call got through).
    Answered,
    /// Refused for going too fast (429), to try again after this long.
    Throttled(Duration),
    /// No answer (connection failure): says nothing about the rate.
    Lost,
}

/// Whether a call may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Yes; the round it was sent in.
    Go { round: u64 },
    /// Not before this moment (a `Retry-After` holds every call).
    Until(Instant),
    /// Not until a call in flight finishes.
    Full,
}

/// The controller's state, without clocks or tasks: what the tests drive.
#[derive(Debug, Clone)]
pub struct Window {
    size: f64,
    min: f64,
    max: f64,
    in_flight: usize,
    /// Bumped by every cut, so one burst of 429s cuts once.
    round: u64,
    paused_until: Option<Instant>,
    throttled: u64,
}

impl Window {
    pub fn new(max: usize) -> Window {
        let max = max.max(1) as f64;
        Window {
            size: max,
            min: 1.0,
            max,
            in_flight: 0,
            round: 0,
            paused_until: None,
            throttled: 0,
        }
    }

    /// Calls allowed in flight at once now.
    pub fn size(&self) -> usize {
        self.size.floor() as usize
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// 429s seen so far.
    pub fn throttled(&self) -> u64 {
        self.throttled
    }

    pub fn try_acquire(&mut self, now: Instant) -> Admit {
        if let Some(until) = self.paused_until {
            if until > now {
                return Admit::Until(until);
            }
            self.paused_until = None;
        }
        if self.in_flight >= self.size() {
            return Admit::Full;
        }
        self.in_flight += 1;
        Admit::Go { round: self.round }
    }

    /// A call sent in `round` finished this way.
    pub fn release(&mut self, round: u64, outcome: Outcome, now: Instant) {
        let was_full = self.in_flight >= self.size();
        let in_flight = self.in_flight;
        self.in_flight = self.in_flight.saturating_sub(1);
        match outcome {
            Outcome::Answered => {
                // Grow only a window in use (one that never fills learns nothing), and only
                // on calls sent since the last cut.
                if was_full && round == self.round {
                    self.size = (self.size + 1.0 / self.size).min(self.max);
                }
            }
            Outcome::Throttled(wait) => {
                self.throttled += 1;
                if round == self.round {
                    // Halve what was really in flight, not a ceiling never reached.
                    self.size = (self.size.min(in_flight as f64) / 2.0).max(self.min);
                    self.round += 1;
                }
                let until = now + wait;
                if self.paused_until.is_none_or(|p| p < until) {
                    self.paused_until = Some(until);
                }
            }
            Outcome::Lost => {}
        }
    }
}

/// The window behind a lock, with a wake-up for calls waiting on a full window.
#[derive(Debug)]
pub struct Throttle {
    window: Mutex<Window>,
    freed: tokio::sync::Notify,
}

impl Throttle {
    pub fn new(max: usize) -> Throttle {
        Throttle {
            window: Mutex::new(Window::new(max)),
            freed: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the window as it is now (for logs and tests).
    pub fn snapshot(&self) -> Window {
        self.lock().clone()
    }

    /// Waits until a call may go.
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before looking, so a release in between is not missed.
            freed.as_mut().enable();
            let admit = self.lock().try_acquire(Instant::now());
            match admit {
                Admit::Go { round } => {
                    return Permit {
                        throttle: self.clone(),
                        round,
                        done: false,
                    };
                }
                Admit::Until(t) => tokio::time::sleep_until(t.into()).await,
                Admit::Full => freed.await,
            }
        }
    }
}

/// One call's place in the window; given back with what happened, or as lost if dropped.
pub struct Permit {
    throttle: Arc<Throttle>,
    round: u64,
    done: bool,
}

impl Permit {
    pub fn finish(mut self, outcome: Outcome) {
        self.give_back(outcome);
    }

    fn give_back(&mut self, outcome: Outcome) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        self.throttle
            .lock()
            .release(self.round, outcome, Instant::now());
        self.throttle.freed.notify_waiters();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.give_back(Outcome::Lost);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(w: &mut Window, now: Instant) -> u64 {
        match w.try_acquire(now) {
            Admit::Go { round } => round,
            other => panic!("expected to go, got {other:?}"),
        }
    }

    #[test]
    fn starts_at_its_maximum_and_holds_calls_beyond_it() {
        let now = Instant::now();
        let mut w = Window::new(4);
        assert_eq!(w.size(), 4);
        for _ in 0..4 {
            go(&mut w, now);
        }
        assert_eq!(w.try_acquire(now), Admit::Full);
        w.release(0, Outcome::Answered, now);
        go(&mut w, now);
    }

    #[test]
    fn a_429_halves_what_was_in_flight_once_per_round_and_pauses_everyone() {
        let now = Instant::now();
        let mut w = Window::new(64);
        let rounds: Vec<u64> = (0..10).map(|_| go(&mut w, now)).collect();
        let wait = Duration::from_secs(2);
        w.release(rounds[0], Outcome::Throttled(wait), now);
        assert_eq!(w.size(), 5, "half of the 10 in flight, not of 64");
        // The rest of that burst was sent before the cut: no further cut.
        for r in &rounds[1..4] {
            w.release(*r, Outcome::Throttled(wait), now);
        }
        assert_eq!(w.size(), 5);
        assert_eq!(w.throttled(), 4);
        // Nobody goes before Retry-After has passed.
        assert_eq!(w.try_acquire(now), Admit::Until(now + wait));
        assert!(matches!(
            w.try_acquire(now + wait),
            Admit::Full | Admit::Go { .. }
        ));
        // A 429 for a call sent after the cut cuts again.
        for r in &rounds[4..] {
            w.release(*r, Outcome::Answered, now);
        }
        let later = now + wait;
        let r = go(&mut w, later);
        assert_eq!(r, 1);
        let r2 = go(&mut w, later);
        w.release(r, Outcome::Throttled(Duration::from_secs(1)), later);
        assert_eq!(w.size(), 1, "half of the two in flight");
        w.release(r2, Outcome::Throttled(Duration::from_secs(1)), later);
        assert_eq!(w.size(), 1);
    }

    #[test]
    fn never_below_one_nor_above_the_maximum() {
        let mut now = Instant::now();
        let mut w = Window::new(8);
        for _ in 0..20 {
            let r = go(&mut w, now);
            w.release(r, Outcome::Throttled(Duration::from_millis(10)), now);
            now += Duration::from_millis(10);
        }
        assert_eq!(w.size(), 1);
        for _ in 0..10_000 {
            let rounds: Vec<u64> = (0..w.size()).map(|_| go(&mut w, now)).collect();
            for r in rounds {
                w.release(r, Outcome::Answered, now);
            }
        }
        assert_eq!(w.size(), 8);
        assert_eq!(w.in_flight(), 0);
    }

    #[test]
    fn successes_grow_a_full_window_by_about_one_per_window() {
        let now = Instant::now();
        let mut w = Window::new(100);
        let r = go(&mut w, now);
        let _ = (0..19).map(|_| go(&mut w, now)).collect::<Vec<_>>();
        w.release(r, Outcome::Throttled(Duration::ZERO), now);
        assert_eq!(w.size(), 10);
        // Calls sent before the cut succeeding do not undo it.
        for _ in 0..19 {
            w.release(r, Outcome::Answered, now);
        }
        assert_eq!(w.size(), 10);
        // Refill to full, then one window's worth of successes while full.
        let mut grown = 0;
        while w.size() == 10 {
            let rounds: Vec<u64> = (w.in_flight()..w.size()).map(|_| go(&mut w, now)).collect();
            assert!(!rounds.is_empty());
            w.release(rounds[0], Outcome::Answered, now);
            grown += 1;
        }
        assert!(
            (9..=11).contains(&grown),
            "{grown} successes to grow by one"
        );
        assert_eq!(w.size(), 11);
    }

    #[test]
    fn a_window_that_never_fills_does_not_grow_and_lost_calls_change_nothing() {
        let now = Instant::now();
        let mut w = Window::new(50);
        let r = go(&mut w, now);
        let _ = go(&mut w, now);
        let _ = go(&mut w, now);
        let _ = go(&mut w, now);
        w.release(r, Outcome::Throttled(Duration::ZERO), now);
        assert_eq!(w.size(), 2);
        for _ in 0..3 {
            w.release(1, Outcome::Lost, now);
        }
        assert_eq!((w.size(), w.in_flight()), (2, 0));
        for _ in 0..100 {
            let r = go(&mut w, now);
            w.release(r, Outcome::Answered, now);
        }
        assert_eq!(
            w.size(),
            2,
            "one call at a time never filled a window of two"
        );
    }

    #[tokio::test]
    async fn permits_wait_for_a_free_place() {
        let t = Arc::new(Throttle::new(1));
        let first = t.acquire().await;
        let waiter = {
            let t = t.clone();
            tokio::spawn(async move { t.acquire().await.finish(Outcome::Answered) })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(first);
        waiter.await.unwrap();
        assert_eq!(t.snapshot().in_flight(), 0);
    }
}
