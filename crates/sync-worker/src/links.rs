//! The link task of `sync-worker run`: makes the `addLink` calls the import queued (expanded
//! into `import_links` by `followups`), through the process's one S-360 client (so at the shared rate), and records
//! each outcome: `linked`, `failed` (S-360 refused: merged, anonymised, linked otherwise —
//! retrying cannot help) or still `pending` with a later attempt time when the failure was
//! transient. Rows are claimed with a lease, so several workers never call for the same one
//! and a worker killed mid-call leaves the row to be retried after the lease.

use std::time::Duration;

use chrono::Utc;
use diesel::{
    prelude::*,
    sql_types::{Int4, Uuid as SqlUuid, Varchar},
};
use diesel_async::RunQueryDsl;
use secutix_client::Client;
use store::{PgPool, schema::import_links};
use tokio_util::sync::CancellationToken;

use crate::metrics::WorkerMetrics;

/// Rows claimed per round.
const CLAIM: i64 = 10;
/// How long a claimed row is left alone before another round may take it again.
const LEASE_SECONDS: i32 = 300;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Varchar)]
    contact_number: String,
    #[diesel(sql_type = SqlUuid)]
    subject_id: uuid::Uuid,
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

/// Drains `import_links` until cancelled, queuing the links imports owe as it empties
/// (`followups`).
pub async fn run(pool: PgPool, client: Client, metrics: WorkerMetrics, cancel: CancellationToken) {
    loop {
        if let Err(error) = crate::followups::expand_links(&pool).await {
            tracing::warn!(%error, "Imported accounts' links not queued yet; retrying");
        }
        let wait = match round(&pool, &client, &metrics, &cancel).await {
            Ok(0) => Duration::from_secs(1),
            Ok(_) => Duration::ZERO,
            Err(error) => {
                tracing::warn!(%error, "Link round failed; retrying");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Claims due links and calls S-360 for each; returns how many were claimed.
pub async fn round(
    pool: &PgPool,
    client: &Client,
    metrics: &WorkerMetrics,
    cancel: &CancellationToken,
) -> anyhow::Result<usize> {
    let mut conn = pool.get().await?;
    let claimed: Vec<Claimed> = diesel::sql_query(
        "UPDATE import_links SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2) \
         WHERE contact_number IN (SELECT contact_number FROM import_links \
             WHERE state = 'pending' AND next_attempt_at <= now() \
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING contact_number, subject_id, attempts",
    )
    .bind::<diesel::sql_types::BigInt, _>(CLAIM)
    .bind::<Int4, _>(LEASE_SECONDS)
    .load(&mut conn)
    .await?;
    let count = claimed.len();
    for link in claimed {
        if cancel.is_cancelled() {
            break;
        }
        let result = client
            .add_link(&link.contact_number, &link.subject_id.to_string())
            .await;
        let number = link.contact_number.as_str();
        let update = diesel::update(import_links::table.find(number));
        let outcome = match &result {
            Ok(()) => "linked",
            Err(error) if error.is_transient() => "retry",
            Err(_) => "failed",
        };
        metrics.secutix.with_label_values(&["link", outcome]).inc();
        match result {
            Ok(()) => {
                update
                    .set((
                        import_links::state.eq("linked"),
                        import_links::last_error.eq(None::<String>),
                        import_links::completed_at.eq(Utc::now()),
                    ))
                    .execute(&mut conn)
                    .await?;
                tracing::info!(contact_number = number, "Contact linked in S-360");
            }
            Err(error) if error.is_transient() => {
                let retry = retry_delay(link.attempts);
                update
                    .set((
                        import_links::last_error.eq(error.code()),
                        import_links::next_attempt_at.eq(Utc::now() + retry),
                    ))
                    .execute(&mut conn)
                    .await?;
                tracing::warn!(contact_number = number, code = %error.code(), "addLink failed; will retry");
            }
            Err(error) => {
                update
                    .set((
                        import_links::state.eq("failed"),
                        import_links::last_error.eq(error.code()),
                        import_links::completed_at.eq(Utc::now()),
                    ))
                    .execute(&mut conn)
                    .await?;
                tracing::warn!(contact_number = number, code = %error.code(), "S-360 refused the link");
            }
        }
    }
    Ok(count)
}

/// 30 s after the first failure, doubling, at most an hour.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    let exponent = attempts.clamp(1, 8) - 1;
    chrono::Duration::seconds((30i64 << exponent).min(3600))
}
