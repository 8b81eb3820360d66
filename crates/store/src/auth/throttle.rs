//! Sign-in throttling per account and per source address: after 5 failures a key is locked for
//! 1 minute, doubling with each further failure up to 15 minutes; a success clears the
//! account's counter. A lock refuses even the right password until it expires.
//! [`over_limit`] counts requests per key in a fixed window (the forgotten-password form).
//! Written by the gateway only.

use crate::schema::login_throttle;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

pub const FREE_ATTEMPTS: i32 = 5;
pub const MAX_LOCK_MINUTES: i64 = 15;

/// Seconds until the longest lock among `keys` ends, if any is locked.
pub async fn locked(conn: &mut AsyncPgConnection, keys: &[String]) -> QueryResult<Option<i64>> {
    let now = Utc::now();
    let until: Option<Option<chrono::DateTime<Utc>>> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .filter(login_throttle::locked_until.gt(now))
        .select(diesel::dsl::max(login_throttle::locked_until))
        .first(conn)
        .await
        .optional()?;
    Ok(until.flatten().map(|t| (t - now).num_seconds().max(1)))
}

/// Counts a failure for every key, locking those past the free attempts.
pub async fn failed(conn: &mut AsyncPgConnection, keys: &[String]) -> QueryResult<()> {
    for key in keys {
        let failures: i32 = diesel::insert_into(login_throttle::table)
            .values((login_throttle::key.eq(key), login_throttle::failures.eq(1)))
            .on_conflict(login_throttle::key)
            .do_update()
            .set((
                login_throttle::failures.eq(login_throttle::failures + 1),
                login_throttle::updated_at.eq(Utc::now()),
            ))
            .returning(login_throttle::failures)
            .get_result(conn)
            .await?;
        if failures >= FREE_ATTEMPTS {
            let minutes = 1i64 << (failures - FREE_ATTEMPTS).min(4);
            let until = Utc::now() + Duration::minutes(minutes.min(MAX_LOCK_MINUTES));
            diesel::update(login_throttle::table.find(key))
                .set(login_throttle::locked_until.eq(until))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

pub async fn succeeded(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key))
        .execute(conn)
        .await
        .map(drop)
}

/// Counts one request for `key` in a fixed window; returns the seconds until the window ends
/// when the count is past `limit` (the request must be refused).
pub async fn over_limit(
    conn: &mut AsyncPgConnection,
    key: &str,
    limit: i32,
    window: Duration,
) -> QueryResult<Option<i64>> {
    #[derive(QueryableByName)]
    struct Hit {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        failures: i32,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        updated_at: chrono::DateTime<Utc>,
    }
    let now = Utc::now();
    // `updated_at` is the start of the key's window here; `failures` the requests in it.
    let hit: Hit = diesel::sql_query(
        "INSERT INTO login_throttle (key, failures, updated_at) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.updated_at <= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           updated_at = CASE WHEN login_throttle.updated_at <= $3 THEN $2 ELSE login_throttle.updated_at END \
         RETURNING failures, updated_at",
    )
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Timestamptz, _>(now - window)
    .get_result(conn)
    .await?;
    Ok((hit.failures > limit).then(|| (hit.updated_at + window - now).num_seconds().max(1)))
}
