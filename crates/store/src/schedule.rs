//! `scheduled_jobs` and `scheduled_runs`: periodic jobs that must run once per period for the
//! whole cluster. [`claim`] is the one point of truth: a single `INSERT … ON CONFLICT DO UPDATE
//! … WHERE` that succeeds for exactly one caller per period, so a job never runs twice even if
//! two replicas believe they lead; the period is counted from the database's clock and the last
//! start, so a new leader continues the schedule where the old one left it.

use std::time::Duration;

use diesel::{
    prelude::*,
    sql_types::{BigInt, Interval, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Claims the run of `name` due `every` after its last start; returns the run's id, or
/// `None` when the job is not due (or another replica just claimed it).
pub async fn claim(
    conn: &mut AsyncPgConnection,
    name: &str,
    every: Duration,
    runner: &str,
) -> QueryResult<Option<i64>> {
    let every = diesel::data_types::PgInterval::from_microseconds(i64::try_from(every.as_micros()).unwrap_or(i64::MAX));
    let claimed: Option<Claimed> = diesel::sql_query(
        "WITH due AS ( \
           INSERT INTO scheduled_jobs AS j (name, last_started_at) VALUES ($1, now()) \
           ON CONFLICT (name) DO UPDATE SET last_started_at = now(), runs = j.runs + 1 \
           WHERE j.last_started_at <= now() - $2 \
           RETURNING name) \
         INSERT INTO scheduled_runs (name, runner) SELECT name, $3 FROM due RETURNING id",
    )
    .bind::<Text, _>(name)
    .bind::<Interval, _>(every)
    .bind::<Text, _>(runner)
    .get_result(conn)
    .await
    .optional()?;
    Ok(claimed.map(|c| c.id))
}

/// Records how a claimed run ended (`done`, or the error).
pub async fn finish(conn: &mut AsyncPgConnection, run: i64, outcome: &str) -> QueryResult<()> {
    diesel::sql_query("UPDATE scheduled_runs SET finished_at = now(), outcome = $2 WHERE id = $1")
        .bind::<BigInt, _>(run)
        .bind::<Text, _>(outcome)
        .execute(conn)
        .await
        .map(drop)
}
