//! Prometheus metrics of the worker.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry};

#[derive(Clone)]
pub struct WorkerMetrics {
    /// Contact events by outcome: written, stale (an older or duplicate version), invalid.
    pub events: IntCounterVec,
    /// Database attempts that failed and were retried.
    pub retries: IntCounter,
    /// Time to apply one event, transaction included.
    pub apply_seconds: Histogram,
}

impl WorkerMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let events = IntCounterVec::new(
            Opts::new(
                "sync_worker_contact_events_total",
                "Contact events by outcome",
            ),
            &["outcome"],
        )?;
        let retries = IntCounter::new(
            "sync_worker_database_retries_total",
            "Failed database attempts that were retried",
        )?;
        let apply_seconds = Histogram::with_opts(HistogramOpts::new(
            "sync_worker_apply_seconds",
            "Time to apply one contact event, transaction included",
        ))?;
        registry.register(Box::new(events.clone()))?;
        registry.register(Box::new(retries.clone()))?;
        registry.register(Box::new(apply_seconds.clone()))?;
        Ok(Self {
            events,
            retries,
            apply_seconds,
        })
    }
}
