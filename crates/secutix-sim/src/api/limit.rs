//! The contact API's rate limit: one sliding window shared by every caller, as S-360 counts
//! 180 calls per minute per instance whatever the integration. Only calls that passed the token
//! check are counted.

use std::{
    collections::VecDeque,
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct RateLimiter {
    limit: usize,
    window: Duration,
    calls: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit as usize,
            window,
            calls: Mutex::new(VecDeque::new()),
        }
    }

    /// Counts a call at `now`, or refuses it with the whole seconds to wait until a call
    /// leaves the window (at least 1).
    pub fn check(&self, now: Instant) -> Result<(), u64> {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        while calls.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            calls.pop_front();
        }
        if calls.len() < self.limit {
            calls.push_back(now);
            return Ok(());
        }
        let oldest = calls.front().copied().unwrap_or(now);
        let wait = (oldest + self.window).saturating_duration_since(now);
        Err(wait.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_recovers_as_calls_leave_the_window() {
        let limiter = RateLimiter::new(180, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..180 {
            assert!(
                limiter.check(start + Duration::from_millis(i * 100)).is_ok(),
                "call {i}"
            );
        }
        // The 181st call, 18 s after the first: the first leaves the window 42 s later.
        assert_eq!(limiter.check(start + Duration::from_secs(18)), Err(42));
        assert_eq!(limiter.check(start + Duration::from_millis(59_500)), Err(1));
        // Refused calls are not counted: the first call's slot frees at 60 s.
        assert!(limiter.check(start + Duration::from_secs(60)).is_ok());
        assert!(limiter.check(start + Duration::from_secs(60)).is_err());
        // A minute after the burst, the whole budget is back.
        let later = start + Duration::from_secs(120);
        for _ in 0..180 {
            assert!(limiter.check(later).is_ok());
        }
        assert!(limiter.check(later).is_err());
    }
}
