//! Replays of the `contacts.log` stream: `sync-worker replay` (from its command line or asked
//! by the support console through the commands queue) records each run, its progress and what
//! it did, and for a dry run the per-contact diff it printed; the console's sync page lists
//! them and shows a dry run's diff. `diff` holds contact data (see the migration).

use diesel::{QueryResult, prelude::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::schema::replay_runs;

/// Runs kept; older ones are deleted as new ones are started.
pub const KEPT: i64 = 1000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = replay_runs)]
pub struct ReplayRun {
    pub id: i64,
    pub requested_by: String,
    pub from_offset: Option<i64>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub dry_run: bool,
    pub state: String,
    pub totals: Option<serde_json::Value>,
    pub diff: Option<serde_json::Value>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where a replay starts: a stream offset (`None` with no `since`: the first retained event)
/// or a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    pub from_offset: Option<i64>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Records a replay as running (from the command line), and forgets the runs past the newest
/// [`KEPT`].
pub async fn start(conn: &mut AsyncPgConnection, requested_by: &str, start: Start, dry_run: bool) -> QueryResult<i64> {
    let id = insert(conn, requested_by, start, dry_run, "running").await?;
    forget_old(conn, id).await?;
    Ok(id)
}

/// Records a replay the worker is asked for (state `requested`; see [`claim`]). The support
/// console's role may insert but not delete: the worker forgets old runs when it claims one.
pub async fn request(
    conn: &mut AsyncPgConnection,
    requested_by: &str,
    start: Start,
    dry_run: bool,
) -> QueryResult<i64> {
    insert(conn, requested_by, start, dry_run, "requested").await
}

/// Takes a requested replay to run it: `None` when it is not (or no longer) `requested`, so a
/// redelivered request runs once.
pub async fn claim(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<ReplayRun>> {
    let run = diesel::update(replay_runs::table.find(id).filter(replay_runs::state.eq("requested")))
        .set(replay_runs::state.eq("running"))
        .returning(ReplayRun::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    forget_old(conn, id).await?;
    Ok(run)
}

/// Forgets the runs past the newest [`KEPT`] before `id`.
async fn forget_old(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    diesel::delete(replay_runs::table.filter(replay_runs::id.le(id - KEPT)))
        .execute(conn)
        .await?;
    Ok(())
}

impl ReplayRun {
    pub fn start(&self) -> Start {
        Start {
            from_offset: self.from_offset,
            since: self.since,
        }
    }
}

async fn insert(
    conn: &mut AsyncPgConnection,
    requested_by: &str,
    start: Start,
    dry_run: bool,
    state: &str,
) -> QueryResult<i64> {
    diesel::insert_into(replay_runs::table)
        .values((
            replay_runs::state.eq(state),
            replay_runs::requested_by.eq(requested_by),
            replay_runs::from_offset.eq(start.from_offset),
            replay_runs::since.eq(start.since),
            replay_runs::dry_run.eq(dry_run),
        ))
        .returning(replay_runs::id)
        .get_result(conn)
        .await
}

/// Records a running replay's progress (`totals` so far).
pub async fn progress(conn: &mut AsyncPgConnection, id: i64, totals: &serde_json::Value) -> QueryResult<()> {
    diesel::update(replay_runs::table.find(id).filter(replay_runs::state.eq("running")))
        .set(replay_runs::totals.eq(totals))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records how a replay ended: `finished` with its totals (and a dry run's diff), or `failed`.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    id: i64,
    state: &str,
    totals: &serde_json::Value,
    diff: Option<&serde_json::Value>,
) -> QueryResult<()> {
    diesel::update(replay_runs::table.find(id))
        .set((
            replay_runs::state.eq(state),
            replay_runs::totals.eq(totals),
            replay_runs::diff.eq(diff),
            replay_runs::finished_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The `limit` newest runs, newest first.
pub async fn recent(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<ReplayRun>> {
    replay_runs::table
        .order(replay_runs::id.desc())
        .limit(limit)
        .select(ReplayRun::as_select())
        .load(conn)
        .await
}

/// One run.
pub async fn find(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<ReplayRun>> {
    replay_runs::table
        .find(id)
        .select(ReplayRun::as_select())
        .first(conn)
        .await
        .optional()
}

/// Marks failed the runs other than `id` still `running`: called by the holder of the replay
/// lock, so none of them runs any more (their process stopped without recording its end).
pub async fn abandon_others(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(
        replay_runs::table
            .filter(replay_runs::state.eq("running"))
            .filter(replay_runs::id.ne(id)),
    )
    .set((
        replay_runs::state.eq("failed"),
        replay_runs::totals.eq(serde_json::json!({ "error": "its process stopped before the end" })),
        replay_runs::finished_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
}
