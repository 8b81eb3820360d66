//! Delivers the back-channel logouts queued in `logout_deliveries` (OIDC Back-Channel Logout
//! 1.0 §2.5): a signed logout token POSTed to each client's `backchannel_logout_uri`. The fan's
//! sign-out never waits for it: sessions end in the database first, and this task, running in
//! every replica, claims due rows with `SKIP LOCKED` and a lease, so each delivery is made by
//! one replica at a time and a replica that dies mid-delivery only delays it. Failures are
//! retried with a doubling delay (1 s up to 10 minutes) for about a day, then given up and
//! counted.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use prometheus::IntCounterVec;
use store::auth::logouts::{self, Due};
use tokio_util::sync::CancellationToken;

use crate::{clients::ClientRegistry, tokens::Tokens};

/// How often the queue is looked at when it was empty: a logout reaches the relying parties
/// well within a second of the session's end.
const POLL: Duration = Duration::from_millis(250);
/// Deliveries claimed at once, and sent concurrently.
const BATCH: i32 = 32;
/// How long a claimed delivery is left to this replica.
const LEASE_SECONDS: i64 = 30;
/// How long a relying party may take to answer (§2.8 asks for a prompt answer).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts before a delivery is given up (the delays add up to about a day).
pub const MAX_ATTEMPTS: i32 = 150;

pub struct Deliverer {
    pub pool: infra::db::PgPool,
    pub clients: ClientRegistry,
    pub tokens: Tokens,
    pub http: reqwest::Client,
    pub outcomes: IntCounterVec,
}

impl Deliverer {
    pub fn new(
        pool: infra::db::PgPool,
        clients: ClientRegistry,
        tokens: Tokens,
        registry: &prometheus::Registry,
    ) -> anyhow::Result<Arc<Self>> {
        let outcomes = IntCounterVec::new(
            prometheus::Opts::new(
                "auth_gateway_backchannel_logouts_total",
                "Back-channel logout deliveries by outcome (delivered, retried, failed, skipped)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(outcomes.clone()))?;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Arc::new(Self {
            pool,
            clients,
            tokens,
            http,
            outcomes,
        }))
    }

    /// Delivers until cancelled.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            let claimed = match self.deliver_due().await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(%error, "Back-channel logouts cannot be read; retrying");
                    0
                }
            };
            if claimed < BATCH as usize {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(POLL) => {}
                }
            } else if cancel.is_cancelled() {
                return;
            }
        }
    }

    /// Claims and delivers one batch; returns how many were claimed.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get().await?;
        let due = logouts::claim_due(&mut conn, BATCH, chrono::Duration::seconds(LEASE_SECONDS)).await?;
        drop(conn);
        let claimed = due.len();
        futures::future::join_all(due.into_iter().map(|delivery| self.deliver(delivery))).await;
        Ok(claimed)
    }

    async fn deliver(&self, delivery: Due) {
        let Some(uri) = self
            .clients
            .get(&delivery.client_id)
            .and_then(|client| client.backchannel_logout_uri.clone())
        else {
            self.record(&delivery, "skipped", None).await;
            return;
        };
        let sent = match self
            .tokens
            .logout_token(&delivery.subject_id.to_string(), &delivery.client_id, &delivery.sid)
        {
            Ok(token) => self.post(&uri, &token).await,
            Err(error) => Err(format!("cannot sign: {error}")),
        };
        match sent {
            Ok(()) => self.record(&delivery, "delivered", None).await,
            Err(error) if delivery.attempts >= MAX_ATTEMPTS => self.record(&delivery, "failed", Some(&error)).await,
            Err(error) => {
                tracing::info!(client_id = %delivery.client_id, attempts = delivery.attempts, %error, "Back-channel logout not delivered; retrying");
                let delay = retry_delay(delivery.attempts);
                let at = Utc::now() + delay;
                // Without the database the lease ends and the delivery is claimed again.
                if let Ok(mut conn) = self.pool.get().await {
                    let _ = logouts::retry_at(&mut conn, delivery.id, at, &error).await;
                }
                self.outcomes.with_label_values(&["retried"]).inc();
            }
        }
    }

    /// §2.8: the relying party answers 200 (or 204) when it logged the session out.
    async fn post(&self, uri: &str, token: &str) -> Result<(), String> {
        let response = self
            .http
            .post(uri)
            .header("cache-control", "no-store")
            .form(&[("logout_token", token)])
            .send()
            .await
            .map_err(|error| format!("unreachable: {}", error.without_url()))?;
        match response.status().as_u16() {
            200 | 204 => Ok(()),
            status => Err(format!("answered {status}")),
        }
    }

    async fn record(&self, delivery: &Due, outcome: &str, error: Option<&str>) {
        if outcome == "failed" {
            tracing::warn!(client_id = %delivery.client_id, attempts = delivery.attempts, "Back-channel logout given up");
        }
        if let Ok(mut conn) = self.pool.get().await {
            let _ = logouts::finish(&mut conn, delivery.id, outcome, error).await;
        }
        self.outcomes.with_label_values(&[outcome]).inc();
    }
}

/// 1 s, 2 s, 4 s … up to 10 minutes.
fn retry_delay(attempts: i32) -> chrono::Duration {
    let exponent = attempts.clamp(1, 20) - 1;
    chrono::Duration::seconds((1i64 << exponent).min(600))
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_double_up_to_ten_minutes_and_last_about_a_day() {
        assert_eq!(super::retry_delay(1).num_seconds(), 1);
        assert_eq!(super::retry_delay(4).num_seconds(), 8);
        assert_eq!(super::retry_delay(30).num_seconds(), 600);
        let total: i64 = (1..super::MAX_ATTEMPTS)
            .map(|a| super::retry_delay(a).num_seconds())
            .sum();
        assert!((20 * 3600..30 * 3600).contains(&total), "{total} s");
    }
}
