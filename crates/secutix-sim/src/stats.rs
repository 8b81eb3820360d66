//! Counters shown at `/admin/stats`: contact API calls and refusals, webhook deliveries,
//! failures and abandoned contacts, export rows, logouts the shop received.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

#[derive(Debug, Default)]
pub struct Stats {
    pub api_calls: AtomicU64,
    pub api_rejected_token: AtomicU64,
    pub api_rejected_limit: AtomicU64,
    pub webhook_runs: AtomicU64,
    pub webhook_posts: AtomicU64,
    pub webhook_contacts_delivered: AtomicU64,
    pub webhook_failed_attempts: AtomicU64,
    pub webhook_abandoned: AtomicU64,
    pub export_runs: AtomicU64,
    pub export_rows_delivered: AtomicU64,
    pub export_failed_posts: AtomicU64,
    pub shop_backchannel_logouts: AtomicU64,
    pub shop_frontchannel_logouts: AtomicU64,
    pub shop_logouts_refused: AtomicU64,
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Adds `n` to a counter.
pub fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

impl Stats {
    pub fn to_json(&self, pending: usize) -> Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        json!({
            "api": {
                "calls": get(&self.api_calls),
                "rejected_token": get(&self.api_rejected_token),
                "rejected_limit": get(&self.api_rejected_limit),
            },
            "webhook": {
                "pending": pending,
                "runs": get(&self.webhook_runs),
                "posts": get(&self.webhook_posts),
                "contacts_delivered": get(&self.webhook_contacts_delivered),
                "failed_attempts": get(&self.webhook_failed_attempts),
                "abandoned": get(&self.webhook_abandoned),
            },
            "export": {
                "runs": get(&self.export_runs),
                "rows_delivered": get(&self.export_rows_delivered),
                "failed_posts": get(&self.export_failed_posts),
            },
            "shop": {
                "backchannel_logouts": get(&self.shop_backchannel_logouts),
                "frontchannel_logouts": get(&self.shop_frontchannel_logouts),
                "logouts_refused": get(&self.shop_logouts_refused),
            },
        })
    }
}
