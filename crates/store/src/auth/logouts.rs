//! `logout_deliveries`: the back-channel logouts owed to relying parties (OIDC Back-Channel
//! Logout 1.0). When a session ends, one row is queued per client that redeemed a code issued
//! in it, in the transaction that ends the session, by whichever service ends it; the gateway
//! signs and delivers them ([`claim_due`], [`delivered`], [`retry_later`]). The `sid` is
//! computed by the database exactly as [`super::sessions::sid`] computes it.

use chrono::{DateTime, Duration, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, Bytea, Int4, Interval, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::logout_deliveries;

/// The clients of a session: codes issued in it and redeemed.
const CLIENTS_OF_SESSIONS: &str = "INSERT INTO logout_deliveries (client_id, subject_id, sid) \
     SELECT DISTINCT c.client_id, c.subject_id, left(encode(sha256(c.session_id), 'hex'), 32) \
     FROM authorization_codes c WHERE c.used_at IS NOT NULL AND c.session_id";

/// Queues the logouts of the given sessions (by stored id).
pub async fn queue_for_sessions(conn: &mut AsyncPgConnection, sessions: &[Vec<u8>]) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "{CLIENTS_OF_SESSIONS} = ANY($1) ON CONFLICT (sid, client_id) DO NOTHING"
    ))
    .bind::<Array<Bytea>, _>(sessions)
    .execute(conn)
    .await
}

/// Queues the logouts of every live session of an account (before they are revoked, or
/// deleted with the account).
pub async fn queue_for_subject(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "{CLIENTS_OF_SESSIONS} IN (SELECT id FROM sessions WHERE subject_id = $1 AND revoked_at IS NULL \
         AND expires_at > now()) ON CONFLICT (sid, client_id) DO NOTHING"
    ))
    .bind::<SqlUuid, _>(subject)
    .execute(conn)
    .await
}

/// A logout to deliver.
#[derive(Debug, Clone, QueryableByName)]
pub struct Due {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub client_id: String,
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub sid: String,
    /// Attempts made, this one included.
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
}

/// Claims up to `limit` due deliveries for `lease`: another replica skips them until the lease
/// ends, so a replica that dies mid-delivery only delays them.
pub async fn claim_due(conn: &mut AsyncPgConnection, limit: i32, lease: Duration) -> QueryResult<Vec<Due>> {
    diesel::sql_query(
        "UPDATE logout_deliveries SET attempts = attempts + 1, next_attempt_at = now() + $2 \
         WHERE id IN (SELECT id FROM logout_deliveries WHERE state = 'pending' AND next_attempt_at <= now() \
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, client_id, subject_id, sid, attempts",
    )
    .bind::<Int4, _>(limit)
    .bind::<Interval, _>(diesel::data_types::PgInterval::from_microseconds(
        lease.num_microseconds().unwrap_or(i64::MAX),
    ))
    .get_results(conn)
    .await
}

/// Records the outcome of a delivery: `delivered`, or `skipped` (the client has no
/// back-channel logout URI), or `failed` (given up after the last attempt).
pub async fn finish(conn: &mut AsyncPgConnection, id: i64, state: &str, error: Option<&str>) -> QueryResult<()> {
    diesel::update(logout_deliveries::table.find(id))
        .set((
            logout_deliveries::state.eq(state),
            logout_deliveries::delivered_at.eq((state == "delivered").then(Utc::now)),
            logout_deliveries::last_error.eq(error),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Schedules another attempt at `at`, keeping the error.
pub async fn retry_at(conn: &mut AsyncPgConnection, id: i64, at: DateTime<Utc>, error: &str) -> QueryResult<()> {
    diesel::update(logout_deliveries::table.find(id))
        .set((
            logout_deliveries::next_attempt_at.eq(at),
            logout_deliveries::last_error.eq(error),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Deliveries not yet made (for `/readyz`-style reporting and the tests).
pub async fn pending(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    logout_deliveries::table
        .filter(logout_deliveries::state.eq("pending"))
        .count()
        .get_result(conn)
        .await
}
