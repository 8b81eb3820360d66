//! Reconciliations' drift reports: `sync-worker reconcile` (and its scheduled run) records the
//! report it prints, the support console's sync page reads the newest. The report is stored as
//! the worker serialises it (`checked`, `in_step`, `errors`, and the contact numbers
//! `updated`, `merged`, `anonymised`, `deleted`): numbers only, no contact data.

use diesel::{QueryResult, prelude::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::schema::reconcile_reports;

/// Reports kept; older ones are deleted as new ones are recorded.
pub const KEPT: i64 = 1000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reconcile_reports)]
pub struct Recorded {
    pub id: i64,
    pub scheduled: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: chrono::DateTime<chrono::Utc>,
    pub report: serde_json::Value,
}

/// Records one reconciliation's report, and forgets those past the newest [`KEPT`].
pub async fn record(
    conn: &mut AsyncPgConnection,
    scheduled: bool,
    started_at: chrono::DateTime<chrono::Utc>,
    report: &serde_json::Value,
) -> QueryResult<i64> {
    let id = diesel::insert_into(reconcile_reports::table)
        .values((
            reconcile_reports::scheduled.eq(scheduled),
            reconcile_reports::started_at.eq(started_at),
            reconcile_reports::report.eq(report),
        ))
        .returning(reconcile_reports::id)
        .get_result(conn)
        .await?;
    diesel::delete(reconcile_reports::table.filter(reconcile_reports::id.le(id - KEPT)))
        .execute(conn)
        .await?;
    Ok(id)
}

/// The `limit` newest reports, newest first.
pub async fn recent(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Recorded>> {
    reconcile_reports::table
        .order(reconcile_reports::id.desc())
        .limit(limit)
        .select(Recorded::as_select())
        .load(conn)
        .await
}
