//! `secutix_budget`: the one schedule of S-360 contact API calls that every process of the
//! installation reserves from (`sync-worker`'s tasks, `import --numbers`, `reconcile`). A slot
//! is reserved with a single `INSERT … ON CONFLICT DO UPDATE … RETURNING`, which PostgreSQL
//! serialises on the budget's row: whatever the number of processes, consecutive slots are
//! `interval` apart, so no 60-second window holds more than 60 s / `interval` calls. The wait
//! is computed by the database's clock, so the processes' clocks need not agree.

use std::time::Duration;

use diesel::{
    prelude::*,
    sql_types::{Double, Interval, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(QueryableByName)]
struct Wait {
    #[diesel(sql_type = Double)]
    seconds: f64,
}

fn interval(duration: Duration) -> diesel::data_types::PgInterval {
    diesel::data_types::PgInterval::from_microseconds(i64::try_from(duration.as_micros()).unwrap_or(i64::MAX))
}

/// Reserves the next call slot of budget `name`, `spacing` after the previous one (or now);
/// returns how long to wait for it.
pub async fn reserve(conn: &mut AsyncPgConnection, name: &str, spacing: Duration) -> QueryResult<Duration> {
    let wait: Wait = diesel::sql_query(
        "INSERT INTO secutix_budget AS b (name, next_slot) VALUES ($1, now() + $2) \
         ON CONFLICT (name) DO UPDATE SET next_slot = greatest(b.next_slot, now()) + $2 \
         RETURNING extract(epoch FROM (b.next_slot - $2 - now()))::float8 AS seconds",
    )
    .bind::<Text, _>(name)
    .bind::<Interval, _>(interval(spacing))
    .get_result(conn)
    .await?;
    Ok(Duration::from_secs_f64(wait.seconds.max(0.0)))
}

/// Holds every process back for `pause` from now (S-360 answered 429 or 509).
pub async fn pause(conn: &mut AsyncPgConnection, name: &str, pause: Duration) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO secutix_budget AS b (name, next_slot) VALUES ($1, now() + $2) \
         ON CONFLICT (name) DO UPDATE SET next_slot = greatest(b.next_slot, now() + $2)",
    )
    .bind::<Text, _>(name)
    .bind::<Interval, _>(interval(pause))
    .execute(conn)
    .await
    .map(drop)
}

/// One budget's state: how far ahead of now its calls are already reserved.
#[derive(Debug, Clone, QueryableByName)]
pub struct InUse {
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Seconds from now to the next free slot (0 when idle).
    #[diesel(sql_type = Double)]
    pub reserved_seconds: f64,
}

/// Every budget and how much of it is in use now (the support console's sync page).
pub async fn in_use(conn: &mut AsyncPgConnection) -> QueryResult<Vec<InUse>> {
    diesel::sql_query(
        "SELECT name, greatest(extract(epoch FROM (next_slot - now())), 0)::float8 AS reserved_seconds \
         FROM secutix_budget ORDER BY name",
    )
    .load(conn)
    .await
}
