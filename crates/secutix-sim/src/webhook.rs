//! Contact Webhook V2 (`shared/SECUTIX.md`): every change queues the contact; every
//! `SIM_WEBHOOK_INTERVAL` (M) a run takes `SIM_WEBHOOK_PER_RUN` (S) contacts from the queue and
//! POSTs their latest state, `SIM_WEBHOOK_BATCH_SIZE` (bs) per request: a JSON object when bs =
//! 1, an array otherwise. Only a 200 answer counts as delivered (S-360 requires exactly 200).
//! A contact whose POST failed goes to the back of the queue and is re-sent at the next runs
//! until it has failed `SIM_WEBHOOK_MAX_ATTEMPTS` (12) times; then it is abandoned, logged and
//! counted (`/admin/stats`). A contact that changed while in flight stays queued. Runs never
//! overlap.

use std::{sync::Arc, time::Duration};

use actix_web::{HttpResponse, web};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::{sender, state::SimState, stats};

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub taken: usize,
    pub delivered: usize,
    pub failed: usize,
    pub abandoned: usize,
    pub pending: usize,
}

/// Processes the queue once (no-op without `SIM_WEBHOOK_URL`).
pub async fn run_once(state: &SimState) -> RunReport {
    let _one_at_a_time = state.webhook_run.lock().await;
    let config = &state.config.webhook;
    let mut report = RunReport::default();
    let Some(url) = &config.webhook_url else {
        report.pending = state.store.pending();
        return report;
    };
    stats::bump(&state.stats.webhook_runs);
    let outgoing = state.store.outgoing(config.webhook_per_run as usize);
    report.taken = outgoing.len();
    for chunk in outgoing.chunks(config.webhook_batch_size as usize) {
        let body = if config.webhook_batch_size == 1 {
            serde_json::to_vec(&chunk[0].payload)
        } else {
            serde_json::to_vec(&chunk.iter().map(|o| &o.payload).collect::<Vec<_>>())
        }
        .unwrap_or_default();
        stats::bump(&state.stats.webhook_posts);
        match sender::post_json(&state.http, url, &state.sender_auth, body).await {
            Ok(()) => {
                for contact in chunk {
                    state.store.delivered(&contact.contact_number, contact.version);
                }
                report.delivered += chunk.len();
                stats::add(&state.stats.webhook_contacts_delivered, chunk.len());
            }
            Err(reason) => {
                for contact in chunk {
                    stats::bump(&state.stats.webhook_failed_attempts);
                    report.failed += 1;
                    if state
                        .store
                        .delivery_failed(&contact.contact_number, config.webhook_max_attempts)
                    {
                        report.abandoned += 1;
                        stats::bump(&state.stats.webhook_abandoned);
                        tracing::warn!(contact_number = %contact.contact_number, attempts = config.webhook_max_attempts,
                            %reason, "Contact webhook abandoned after the last attempt");
                    } else {
                        tracing::info!(contact_number = %contact.contact_number, %reason, "Contact webhook failed; retried at the next run");
                    }
                }
            }
        }
    }
    report.pending = state.store.pending();
    report
}

/// Calls `job` with the state every `interval` until `cancel` fires (the first call one
/// interval after start).
pub fn spawn_every<F, Fut>(interval: Duration, cancel: CancellationToken, state: Arc<SimState>, job: F)
where
    F: Fn(Arc<SimState>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = ticks.tick() => job(state.clone()).await,
            }
        }
    });
}

/// `POST /admin/webhook/run`: one run now; answers what it did.
pub async fn run_now(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(run_once(&state).await)
}
