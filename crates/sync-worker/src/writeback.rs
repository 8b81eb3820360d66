//! The write-back task of `sync-worker run`: pushes the profile changes queued in
//! `writeback_outbox` to S-360 with `saveIndividualContactData`, one contact's changes in
//! order, retried (with a growing delay) until S-360 takes them.
//!
//! S-360 wins a conflict: before pushing, the contact is read (`getContactData`); when S-360's
//! modification time is newer than the version the user edited (`base_modified_at`, or the
//! version our own previous push produced) and S-360's newer version changed one of the fields
//! of the change (or the edited version is no longer known), the row becomes `conflict`,
//! keeping the user's change, S-360's contact is applied to the mirror, and the conflict is
//! logged and counted (`sync_worker_secutix_outcomes_total{task="writeback",outcome="conflict"}`).
//! The push itself is a compare-and-set on the version just read; when S-360 moved on in
//! between (our own `addLink`, for one), the change is decided again on the newer version, and
//! is a conflict when it keeps being refused (409 `stale_version`). After a push the contact
//! S-360 answers is applied, so the mirror carries S-360's new version.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Int4, Int8, Jsonb, Nullable, Timestamptz, Varchar},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use secutix_client::{Client, Error, api};
use serde_json::Value;
use store::{PgPool, schema::writeback_outbox};
use tokio_util::sync::CancellationToken;

use crate::{
    apply::{DetectionRules, apply_event, find},
    links::retry_delay,
    metrics::WorkerMetrics,
    remote,
};

const CLAIM: i64 = 10;
const LEASE_SECONDS: i32 = 300;
/// How many times a push refused as stale is decided again on S-360's newer version.
const STALE_READS: usize = 3;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Varchar)]
    contact_number: String,
    #[diesel(sql_type = Jsonb)]
    fields: Value,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    base_modified_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

/// The write-back task's dependencies.
#[derive(Clone)]
pub struct WriteBack {
    pub pool: PgPool,
    pub client: Client,
    pub rules: DetectionRules,
    pub metrics: WorkerMetrics,
}

enum Outcome {
    Done,
    Conflict(&'static str),
    Retry(String),
    Failed(String),
}

impl WriteBack {
    pub async fn run(self, cancel: CancellationToken) {
        loop {
            let wait = match self.round(&cancel).await {
                Ok(0) => Duration::from_secs(1),
                Ok(_) => Duration::ZERO,
                Err(error) => {
                    tracing::warn!(%error, "Write-back round failed; retrying");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Claims the oldest due change of each contact and pushes it; returns how many.
    pub async fn round(&self, cancel: &CancellationToken) -> anyhow::Result<usize> {
        let mut conn = self.pool.get().await?;
        let claimed: Vec<Claimed> = diesel::sql_query(
            "UPDATE writeback_outbox SET attempts = attempts + 1, \
                 next_attempt_at = now() + make_interval(secs => $2) \
             WHERE id IN (SELECT w.id FROM writeback_outbox w \
                 WHERE w.state = 'pending' AND w.next_attempt_at <= now() \
                   AND NOT EXISTS (SELECT 1 FROM writeback_outbox o WHERE o.contact_number = w.contact_number \
                                   AND o.state = 'pending' AND o.id < w.id) \
                 ORDER BY w.id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, contact_number, fields, base_modified_at, attempts",
        )
        .bind::<BigInt, _>(CLAIM)
        .bind::<Int4, _>(LEASE_SECONDS)
        .load(&mut conn)
        .await?;
        let count = claimed.len();
        for change in claimed {
            if cancel.is_cancelled() {
                break;
            }
            let outcome = self.push(&mut conn, &change).await?;
            self.record(&mut conn, &change, outcome).await?;
        }
        Ok(count)
    }

    /// Pushes one change. A compare-and-set refused because S-360 moved on between the read
    /// and the push (our own `addLink`, say) is decided again on the newer version, a few
    /// times, before it counts as a conflict.
    async fn push(&self, conn: &mut AsyncPgConnection, change: &Claimed) -> anyhow::Result<Outcome> {
        let Some(fields) = change.fields.as_object() else {
            return Ok(Outcome::Failed("fields_not_an_object".into()));
        };
        for _ in 0..STALE_READS {
            match self.try_push(conn, change, fields).await? {
                Some(outcome) => return Ok(outcome),
                None => continue,
            }
        }
        if let Ok(Some(newer)) = self.client.get_contact_data(&change.contact_number).await {
            self.apply_current(conn, newer).await?;
        }
        Ok(Outcome::Conflict("s360_changed_meanwhile"))
    }

    /// One read-decide-push round; `None` when S-360 refused the push as stale.
    async fn try_push(
        &self,
        conn: &mut AsyncPgConnection,
        change: &Claimed,
        fields: &serde_json::Map<String, Value>,
    ) -> anyhow::Result<Option<Outcome>> {
        let number = change.contact_number.as_str();
        let current = match self.client.get_contact_data(number).await {
            Ok(Some(current)) => current,
            Ok(None) => return Ok(Some(Outcome::Failed("contact_deleted".into()))),
            Err(error) => return Ok(Some(classify(&error))),
        };
        let s360_version = current["lastModificationDate"].as_str().map(str::to_owned);
        let s360_time = s360_version
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        let base = self.effective_base(conn, change).await?;
        if let (Some(s360), Some(base)) = (s360_time, base)
            && s360 > base
        {
            // S-360 changed the contact since. When the mirror still holds the edited version
            // and S-360's change left every field of this change alone (an SSO link, another
            // field), the change does not conflict; otherwise S-360 wins.
            let mirror = find(conn, number).await?;
            let untouched = mirror
                .as_ref()
                .is_some_and(|row| row.version_time == base && unchanged(fields, &row.raw, &current));
            if !untouched {
                self.apply_current(conn, current).await?;
                return Ok(Some(Outcome::Conflict("s360_newer")));
            }
        }
        match self
            .client
            .save_individual_contact_data(number, fields, s360_version.as_deref())
            .await
        {
            Ok(answer) => {
                let pushed = answer["lastModificationDate"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc));
                diesel::update(writeback_outbox::table.find(change.id))
                    .set(writeback_outbox::pushed_modified_at.eq(pushed))
                    .execute(conn)
                    .await?;
                if let Some(contact) = api::contact_of(answer) {
                    self.apply_current(conn, contact).await?;
                }
                Ok(Some(Outcome::Done))
            }
            Err(Error::Rejected { code, .. }) if code == api::STALE_VERSION => Ok(None),
            Err(error) => Ok(Some(classify(&error))),
        }
    }

    /// The version the change builds on: the one the user edited, or the one our own previous
    /// push of this contact produced when that is later (S-360's time then is ours).
    async fn effective_base(
        &self,
        conn: &mut AsyncPgConnection,
        change: &Claimed,
    ) -> QueryResult<Option<DateTime<Utc>>> {
        let ours: Option<DateTime<Utc>> = writeback_outbox::table
            .filter(writeback_outbox::contact_number.eq(&change.contact_number))
            .filter(writeback_outbox::state.eq("done"))
            .select(diesel::dsl::max(writeback_outbox::pushed_modified_at))
            .first(conn)
            .await?;
        Ok(match (change.base_modified_at, ours) {
            (Some(base), Some(ours)) => Some(base.max(ours)),
            (base, ours) => base.or(ours),
        })
    }

    async fn apply_current(&self, conn: &mut AsyncPgConnection, contact: Value) -> anyhow::Result<()> {
        match remote::event(contact, &self.rules) {
            Ok(event) => {
                apply_event(conn, &event).await?;
            }
            Err(error) => tracing::warn!(%error, "S-360 answered a contact that does not map"),
        }
        Ok(())
    }

    async fn record(&self, conn: &mut AsyncPgConnection, change: &Claimed, outcome: Outcome) -> QueryResult<()> {
        let row = writeback_outbox::table.find(change.id);
        let number = change.contact_number.as_str();
        let label = match &outcome {
            Outcome::Done => "done",
            Outcome::Conflict(_) => "conflict",
            Outcome::Retry(_) => "retry",
            Outcome::Failed(_) => "failed",
        };
        self.metrics.secutix.with_label_values(&["writeback", label]).inc();
        match outcome {
            Outcome::Done => {
                tracing::info!(
                    contact_number = number,
                    change = change.id,
                    "Profile change pushed to S-360"
                );
                diesel::update(row)
                    .set((
                        writeback_outbox::state.eq("done"),
                        writeback_outbox::last_error.eq(None::<String>),
                        writeback_outbox::completed_at.eq(Utc::now()),
                    ))
                    .execute(conn)
                    .await?;
            }
            Outcome::Conflict(reason) => {
                tracing::warn!(
                    contact_number = number,
                    change = change.id,
                    reason,
                    "S-360 holds a newer version: its data wins, the user's change is kept in writeback_outbox"
                );
                diesel::update(row)
                    .set((
                        writeback_outbox::state.eq("conflict"),
                        writeback_outbox::last_error.eq(reason),
                        writeback_outbox::completed_at.eq(Utc::now()),
                    ))
                    .execute(conn)
                    .await?;
            }
            Outcome::Retry(code) => {
                tracing::warn!(contact_number = number, change = change.id, %code, "Write-back failed; will retry");
                diesel::update(row)
                    .set((
                        writeback_outbox::last_error.eq(code),
                        writeback_outbox::next_attempt_at.eq(Utc::now() + retry_delay(change.attempts)),
                    ))
                    .execute(conn)
                    .await?;
            }
            Outcome::Failed(code) => {
                tracing::warn!(contact_number = number, change = change.id, %code, "S-360 refused the profile change");
                diesel::update(row)
                    .set((
                        writeback_outbox::state.eq("failed"),
                        writeback_outbox::last_error.eq(code),
                        writeback_outbox::completed_at.eq(Utc::now()),
                    ))
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Whether S-360's `current` contact holds the same values as `base` for every field of a
/// change (top-level lists, or members of `individualContact`).
fn unchanged(fields: &serde_json::Map<String, Value>, base: &Value, current: &Value) -> bool {
    fields.keys().all(|name| {
        let value = |contact: &Value| {
            let value = match name.as_str() {
                "addresses" | "authorizations" => &contact[name.as_str()],
                _ => &contact["individualContact"][name.as_str()],
            };
            value.clone()
        };
        value(base) == value(current)
    })
}

fn classify(error: &Error) -> Outcome {
    if error.is_transient() {
        Outcome::Retry(error.code())
    } else {
        Outcome::Failed(error.code())
    }
}
