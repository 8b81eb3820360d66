//! `sign_in_audit`: each fan sign-in at the gateway, `success`, `failure` (a wrong password
//! for a known account) or `locked` (refused by a lock), by subject id only, kept for
//! [`RETENTION`]. The gateway writes it where it counts failures and locks; the support
//! console reads it on a fan's page.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::sign_in_audit;

/// How long a sign-in is remembered.
pub const RETENTION: Duration = Duration::days(90);
/// One record in this many purges (1000 rows a purge outpaces any sign-in rate).
const PURGE_EVERY: u8 = 64;
/// Rows deleted by one purge, so a backlog never holds a long lock.
const PURGE_BATCH: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Locked,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Locked => "locked",
        }
    }
}

/// Records one sign-in; one record in [`PURGE_EVERY`] then purges a batch past the retention:
/// sign-ins are frequent enough that the table keeps itself trimmed without a schedule.
pub async fn record(conn: &mut AsyncPgConnection, subject: Uuid, outcome: Outcome) -> QueryResult<()> {
    diesel::insert_into(sign_in_audit::table)
        .values((
            sign_in_audit::subject_id.eq(subject),
            sign_in_audit::outcome.eq(outcome.as_str()),
        ))
        .execute(conn)
        .await?;
    purge_sometimes(conn).await
}

/// One call in [`PURGE_EVERY`] purges a batch past the retention (for each sign-in written,
/// here or in a statement of its own such as the passkey sign-in's).
pub async fn purge_sometimes(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    if super::one_in(PURGE_EVERY) {
        purge(conn, Utc::now() - RETENTION).await?;
    }
    Ok(())
}

/// Deletes at most a batch of rows older than `before`; returns how many.
pub async fn purge(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM sign_in_audit WHERE id IN \
         (SELECT id FROM sign_in_audit WHERE at < $1 ORDER BY at LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .bind::<diesel::sql_types::BigInt, _>(PURGE_BATCH)
    .execute(conn)
    .await
}

/// A fan's latest sign-ins, newest first, as `(when, outcome)`.
pub async fn history(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    limit: i64,
) -> QueryResult<Vec<(DateTime<Utc>, String)>> {
    sign_in_audit::table
        .filter(sign_in_audit::subject_id.eq(subject))
        .order(sign_in_audit::at.desc())
        .select((sign_in_audit::at, sign_in_audit::outcome))
        .limit(limit)
        .load(conn)
        .await
}
