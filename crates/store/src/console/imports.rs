//! Import runs for the console's sync page: each run's progress (position of total, its
//! counts) and the follow-ups it still owes (set-password mails and S-360 links of the
//! accounts it created, expanded by the running worker: `sync-worker`'s `followups`).

use diesel::{
    QueryResult, QueryableByName,
    sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, QueryableByName)]
pub struct ImportRun {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub source_key: String,
    #[diesel(sql_type = Text)]
    pub format: String,
    #[diesel(sql_type = BigInt)]
    pub position: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    /// The run's counts as the import stores them (`read`, `accounts_created`, `skipped`, ...).
    #[diesel(sql_type = Jsonb)]
    pub counts: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub started_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Accounts whose set-password mail is still to be queued.
    #[diesel(sql_type = BigInt)]
    pub mails_owed: i64,
    /// Accounts whose S-360 link is still to be queued.
    #[diesel(sql_type = BigInt)]
    pub links_owed: i64,
}

/// The `limit` newest runs, newest first.
pub async fn recent(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<ImportRun>> {
    diesel::sql_query(
        "SELECT r.id, r.source_key, r.format, r.position, r.total, r.counts, r.started_at, r.finished_at,
                COALESCE((SELECT sum(cardinality(f.subject_ids)) FROM import_followups f
                          WHERE f.run_id = r.id AND f.mails_pending), 0)::int8 AS mails_owed,
                COALESCE((SELECT sum(cardinality(f.subject_ids)) FROM import_followups f
                          WHERE f.run_id = r.id AND f.links_pending), 0)::int8 AS links_owed
         FROM import_runs r ORDER BY r.id DESC LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}
