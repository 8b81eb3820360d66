//! The import's progress: a bar with rate and ETA on a terminal, a log line every few seconds
//! otherwise.

use std::{
    io::IsTerminal,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};

use super::Counts;

/// A progress bar with rate and ETA on a terminal; a log line every few seconds otherwise.
pub struct Progress {
    bar: Option<ProgressBar>,
    last_log: std::sync::Mutex<Instant>,
    total: u64,
    resumed_at: u64,
    started: Instant,
    done: std::sync::atomic::AtomicU64,
}

impl Progress {
    pub fn new(total: u64, done: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total).with_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} records, {per_sec}, ETA {eta} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_position(done);
            bar
        });
        Self {
            bar,
            last_log: std::sync::Mutex::new(Instant::now()),
            total,
            resumed_at: done,
            started: Instant::now(),
            done: done.into(),
        }
    }

    pub fn advance(&self, read: u64, counts: &Counts) {
        let done = self.done.fetch_add(read, std::sync::atomic::Ordering::Relaxed) + read;
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            return;
        }
        let mut last = self.last_log.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() >= Duration::from_secs(5) || done == self.total {
            let rate = (done - self.resumed_at) as f64 / self.started.elapsed().as_secs_f64().max(0.001);
            tracing::info!(
                done,
                total = self.total,
                accounts = counts.accounts_created,
                rate = rate as u64,
                "Import in progress"
            );
            *last = Instant::now();
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
