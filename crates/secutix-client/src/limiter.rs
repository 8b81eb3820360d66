//! One rate limiter per process, shared by every task that calls S-360: calls are spaced
//! evenly (60 s / limit apart), so no 60-second window ever holds more than the limit, and a
//! 429/509 answer pauses every caller until its `Retry-After` has passed.

use std::{sync::Arc, time::Duration};

use tokio::{sync::Mutex, time::Instant};

#[derive(Debug, Clone)]
pub struct RateLimiter {
    interval: Duration,
    next: Arc<Mutex<Instant>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` calls per minute (at least one).
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            interval: Duration::from_secs(60) / per_minute.max(1),
            next: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Waits for this caller's slot. Slots are handed out in order of arrival.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Holds every caller back for `pause` (S-360 said it is over its limit).
    pub async fn pause_for(&self, pause: Duration) {
        let mut next = self.next.lock().await;
        let until = Instant::now() + pause;
        if *next < until {
            *next = until;
        }
    }

    /// Time between two calls.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_and_honours_pauses() {
        let limiter = RateLimiter::per_minute(120);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        limiter.pause_for(Duration::from_secs(10)).await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(12));
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_one_budget() {
        let limiter = RateLimiter::per_minute(60);
        let other = limiter.clone();
        let start = Instant::now();
        let a = tokio::spawn(async move {
            for _ in 0..3 {
                limiter.acquire().await;
            }
        });
        let b = tokio::spawn(async move {
            for _ in 0..3 {
                other.acquire().await;
            }
        });
        let _ = tokio::join!(a, b);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
