//! Keeps a dedicated PostgreSQL connection listening on `gateway_cache` (see the migration
//! `2026-11-27-000007_gateway_cache_notify`): each notification's payload is a subject id whose
//! cached answers are dropped, or `*` for all. The cache is live only between a successful
//! `LISTEN` and the first sign of trouble: the connection ending, or a ping every
//! [`PING_EVERY`] not answered within [`PING_TIMEOUT`] (a silent network failure). It then
//! stops serving, and reconnects with a back-off.

use std::{sync::Arc, time::Duration};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use super::UserinfoCache;

pub const CHANNEL: &str = "gateway_cache";
pub const PING_EVERY: Duration = Duration::from_secs(1);
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Runs until cancelled.
pub async fn run(cache: Arc<UserinfoCache>, database_url: SecretString, cancel: CancellationToken) {
    if !cache.enabled() {
        return;
    }
    while !cancel.is_cancelled() {
        if let Err(error) = listen(&cache, &database_url, &cancel).await {
            // Once per outage (the connection had been listening), not at every reconnection.
            if cache.is_live() {
                tracing::warn!(%error, "Userinfo cache off: not receiving invalidations");
            } else {
                tracing::debug!(%error, "Userinfo cache still off");
            }
        }
        cache.set_live(false);
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = tokio::time::sleep(RECONNECT_AFTER) => {}
        }
    }
}

async fn listen(cache: &UserinfoCache, url: &SecretString, cancel: &CancellationToken) -> anyhow::Result<()> {
    let mut conn = tokio::time::timeout(PING_TIMEOUT * 5, AsyncPgConnection::establish(url.expose_secret())).await??;
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(&mut conn)
        .await?;
    cache.set_live(true);
    tracing::info!("Userinfo cache on: receiving invalidations");
    loop {
        let next = {
            let mut notifications = std::pin::pin!(conn.notifications_stream());
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                next = notifications.next() => Some(next),
                _ = tokio::time::sleep(PING_EVERY) => None,
            }
        };
        match next {
            Some(Some(Ok(notification))) => apply(cache, &notification.payload),
            Some(Some(Err(error))) => return Err(error.into()),
            Some(None) => anyhow::bail!("the listening connection closed"),
            None => {
                tokio::time::timeout(PING_TIMEOUT, diesel::sql_query("SELECT 1").execute(&mut conn))
                    .await
                    .map_err(|_| anyhow::anyhow!("the listening connection stopped answering"))??;
            }
        }
    }
}

fn apply(cache: &UserinfoCache, payload: &str) {
    match uuid::Uuid::parse_str(payload) {
        Ok(subject) => cache.invalidate_subject(subject),
        Err(_) => cache.invalidate_all(),
    }
}
