//! The rate limiter every call to S-360 waits on: calls are spaced evenly (60 s / limit
//! apart), so no 60-second window ever holds more than the limit, and a 429/509 answer pauses
//! every caller until its `Retry-After` has passed. The schedule is either this process's own
//! ([`RateLimiter::per_minute`], for a single process) or a [`SharedBudget`] kept outside the
//! process ([`RateLimiter::shared`]; `sync-worker` keeps it in PostgreSQL), so every replica
//! and job of an installation spends one budget together.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use tokio::{sync::Mutex, time::Instant};

/// A future of the shared budget.
pub type BudgetFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// A call schedule shared by several processes.
pub trait SharedBudget: Send + Sync {
    /// Reserves the next slot, `spacing` after the previous one (or now); returns how long to
    /// wait for it.
    fn reserve(&self, spacing: Duration) -> BudgetFuture<'_, Duration>;
    /// Moves the next slot at least `pause` from now, for every process.
    fn pause(&self, pause: Duration) -> BudgetFuture<'_, ()>;
}

/// Calls are spaced this much wider than the limit alone requires: a call's network latency
/// varies, so two calls reserved `interval` apart can arrive at S-360 closer than that, and a
/// window that just fits the limit would then hold one call too many. At 180 per minute this
/// leaves 3 s of latency differences for 171 calls a minute, 0.95 of the budget.
const SPACING_MARGIN: f64 = 1.05;

/// How long a caller waits before asking an unreachable shared budget again: no call is made
/// without a reservation.
const BUDGET_RETRY: Duration = Duration::from_secs(1);

#[derive(Clone)]
enum Schedule {
    Local(Arc<Mutex<Instant>>),
    Shared(Arc<dyn SharedBudget>),
}

#[derive(Clone)]
pub struct RateLimiter {
    interval: Duration,
    schedule: Schedule,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.schedule {
            Schedule::Local(_) => "local",
            Schedule::Shared(_) => "shared",
        };
        f.debug_struct("RateLimiter")
            .field("interval", &self.interval)
            .field("schedule", &kind)
            .finish()
    }
}

impl RateLimiter {
    /// A limiter of this process alone allowing `per_minute` calls per minute (at least one).
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            interval: spacing(per_minute),
            schedule: Schedule::Local(Arc::new(Mutex::new(Instant::now()))),
        }
    }

    /// A limiter allowing `per_minute` calls per minute to every process sharing `budget`.
    pub fn shared(per_minute: u32, budget: Arc<dyn SharedBudget>) -> Self {
        Self {
            interval: spacing(per_minute),
            schedule: Schedule::Shared(budget),
        }
    }

    /// Waits for this caller's slot. Slots are handed out in order of arrival.
    pub async fn acquire(&self) {
        match &self.schedule {
            Schedule::Local(next) => {
                let slot = {
                    let mut next = next.lock().await;
                    let now = Instant::now();
                    let slot = (*next).max(now);
                    *next = slot + self.interval;
                    slot
                };
                tokio::time::sleep_until(slot).await;
            }
            Schedule::Shared(budget) => loop {
                match budget.reserve(self.interval).await {
                    Ok(wait) => return tokio::time::sleep(wait).await,
                    Err(error) => {
                        tracing::warn!(%error, "The shared S-360 budget cannot be reached; waiting");
                        tokio::time::sleep(BUDGET_RETRY).await;
                    }
                }
            },
        }
    }

    /// Holds every caller back for `pause` (S-360 said it is over its limit).
    pub async fn pause_for(&self, pause: Duration) {
        match &self.schedule {
            Schedule::Local(next) => {
                let mut next = next.lock().await;
                let until = Instant::now() + pause;
                if *next < until {
                    *next = until;
                }
            }
            Schedule::Shared(budget) => {
                if let Err(error) = budget.pause(pause).await {
                    tracing::warn!(%error, "The pause cannot be shared; other processes learn it from S-360");
                }
            }
        }
    }

    /// Time between two calls.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// The time between two calls for a limit of `per_minute` (at least one).
fn spacing(per_minute: u32) -> Duration {
    Duration::from_secs(60).mul_f64(SPACING_MARGIN) / per_minute.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shared budget kept in memory, recording the pauses it is told of.
    #[derive(Default)]
    struct Recorded {
        next: std::sync::Mutex<Option<Instant>>,
        pauses: std::sync::Mutex<Vec<Duration>>,
    }

    impl SharedBudget for Recorded {
        fn reserve(&self, spacing: Duration) -> BudgetFuture<'_, Duration> {
            Box::pin(async move {
                let mut next = self.next.lock().expect("lock");
                let now = Instant::now();
                let slot = next.unwrap_or(now).max(now);
                *next = Some(slot + spacing);
                Ok(slot - now)
            })
        }

        fn pause(&self, pause: Duration) -> BudgetFuture<'_, ()> {
            Box::pin(async move {
                self.pauses.lock().expect("lock").push(pause);
                let mut next = self.next.lock().expect("lock");
                let until = Instant::now() + pause;
                *next = Some(next.map_or(until, |n| n.max(until)));
                Ok(())
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn limiters_of_several_processes_share_one_schedule() {
        let budget = Arc::new(Recorded::default());
        let a = RateLimiter::shared(60, budget.clone());
        let b = RateLimiter::shared(60, budget.clone());
        let start = Instant::now();
        for _ in 0..3 {
            a.acquire().await;
            b.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(5250), "six calls 1.05 s apart");
        b.pause_for(Duration::from_secs(30)).await;
        a.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(35_250),
            "a pause told by one holds the other"
        );
        assert_eq!(*budget.pauses.lock().expect("lock"), vec![Duration::from_secs(30)]);
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_and_honours_pauses() {
        let limiter = RateLimiter::per_minute(120);
        assert_eq!(
            limiter.interval(),
            Duration::from_millis(525),
            "half a second, with the margin"
        );
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(2100));
        limiter.pause_for(Duration::from_secs(10)).await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(12_100));
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
        assert_eq!(start.elapsed(), Duration::from_millis(5250));
    }
}
