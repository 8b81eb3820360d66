//! Writing batches of events: one transaction per batch, database outages waited out with
//! back-off (nothing is acked, lost or dead-lettered meanwhile), and a batch that fails while
//! the database is healthy retried event by event so only the culprit is set aside.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    apply::{self, Applied, ContactEvent},
    metrics::WorkerMetrics,
    replay_diff::{self, ContactChange},
};

/// The result for one event: written or stale, or the reason it can never be written.
pub type EventResult = Result<Applied, String>;

#[derive(Clone)]
pub struct Writer {
    pub pool: PgPool,
    pub metrics: WorkerMetrics,
}

/// A batch attempt failed: `down` when the database could not be reached at all.
struct Failure {
    down: bool,
    message: String,
}

impl Writer {
    /// Applies `events` in one transaction; `None` when `cancel` fired while waiting for the
    /// database (nothing was committed).
    pub async fn write(&self, events: &[ContactEvent], cancel: &CancellationToken) -> Option<Vec<EventResult>> {
        match self.retrying(cancel, || self.attempt(events, false)).await? {
            Ok((results, _)) => Some(results.into_iter().map(Ok).collect()),
            Err(message) => {
                tracing::warn!(%message, size = events.len(), "Batch failed with the database up; applying one by one");
                let mut results = Vec::with_capacity(events.len());
                for event in events {
                    let single = std::slice::from_ref(event);
                    let result = match self.retrying(cancel, || self.attempt(single, false)).await? {
                        Ok((mut applied, _)) => Ok(applied.remove(0)),
                        Err(message) => Err(message),
                    };
                    results.push(result);
                }
                Some(results)
            }
        }
    }

    /// Applies `events` in a transaction that is rolled back: what would change, event by
    /// event and contact by contact (`crate::replay_diff`).
    pub async fn dry_run(
        &self,
        events: &[ContactEvent],
        cancel: &CancellationToken,
    ) -> Option<Result<(Vec<Applied>, Vec<ContactChange>), String>> {
        self.retrying(cancel, || self.attempt(events, true)).await
    }

    /// Repeats `attempt` while the database is down, with exponential back-off (100 ms to 5 s).
    /// Returns the first result that is not an outage, or `None` when cancelled.
    async fn retrying<F, Fut>(&self, cancel: &CancellationToken, mut attempt: F) -> Option<Result<Outcome, String>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Outcome, Failure>>,
    {
        let mut delay = Duration::from_millis(100);
        loop {
            match attempt().await {
                Ok(results) => return Some(Ok(results)),
                Err(Failure { down: false, message }) => return Some(Err(message)),
                Err(Failure { down: true, message }) => {
                    self.metrics.retries.inc();
                    tracing::warn!(error = %message, retry_in_ms = delay.as_millis() as u64, "Database unavailable; retrying");
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return None,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// Applies `events` in one transaction; with `rollback`, rolls it back and compares the
    /// contacts they touch before and after.
    async fn attempt(&self, events: &[ContactEvent], rollback: bool) -> Result<Outcome, Failure> {
        let mut pooled = self.pool.get().await.map_err(|e| Failure {
            down: true,
            message: e.to_string(),
        })?;
        let conn: &mut AsyncPgConnection = &mut pooled;
        let outcome = conn
            .transaction::<_, TxError, _>(async |tx: &mut AsyncPgConnection| {
                let numbers = if rollback { touched(events) } else { Vec::new() };
                let before = if rollback {
                    replay_diff::snapshot(tx, &numbers).await?
                } else {
                    Default::default()
                };
                let (results, attached) = apply::apply_batch_counted(tx, events).await?;
                if rollback {
                    let after = replay_diff::snapshot(tx, &numbers).await?;
                    let changes = replay_diff::compare(&numbers, &before, &after);
                    return Err(TxError::DryRun(DryRun((results, changes))));
                }
                Ok((results, attached))
            })
            .await;
        match outcome {
            Ok((results, attached)) => {
                // Counted once committed.
                self.metrics.count_sso_attachments(attached);
                Ok((results, Vec::new()))
            }
            Err(TxError::DryRun(DryRun(results))) => Ok(results),
            Err(TxError::Database(error)) => {
                // Whether the database itself is reachable decides between waiting and
                // setting the batch aside: a healthy database that refuses the batch will
                // refuse it again.
                let down = is_connection_error(&error) || store::ping(&self.pool).await.is_err();
                Err(Failure {
                    down,
                    message: error.to_string(),
                })
            }
        }
    }
}

/// Each event's result, and (for a dry run) each touched contact's change.
type Outcome = (Vec<Applied>, Vec<ContactChange>);

/// Rolls a dry run's transaction back while keeping its results.
struct DryRun(Outcome);

/// The contacts `events` may change: their own, and the heads they are merged into.
fn touched(events: &[ContactEvent]) -> Vec<String> {
    let mut numbers = Vec::with_capacity(events.len());
    for event in events {
        numbers.push(event.contact.contact_number.as_str().to_owned());
        if let apply::Lifecycle::Merged { head } = &event.lifecycle {
            numbers.push(head.as_str().to_owned());
        }
    }
    numbers
}

enum TxError {
    DryRun(DryRun),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error)
    }
}

fn is_connection_error(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("deadlock detected")
                || message.contains("terminating connection")
                || message.contains("connection")
        }
        Error::BrokenTransactionManager => true,
        _ => false,
    }
}
