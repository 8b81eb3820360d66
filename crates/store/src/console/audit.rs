//! `staff_audit`: every staff action, viewing a fan's personal data included, appended and
//! never changed (a trigger refuses updates and deletions). Targets are subject ids, contact
//! numbers or queue names, never an address or a name.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::staff_audit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Not allowed: the role, a missing CSRF token, a sign-in too old.
    Refused,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

/// One entry to append.
pub struct Entry<'a> {
    pub staff_id: Uuid,
    pub staff_email: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub outcome: Outcome,
    /// Counts and identifiers only.
    pub details: serde_json::Value,
}

pub async fn append(conn: &mut AsyncPgConnection, entry: &Entry<'_>) -> QueryResult<()> {
    diesel::insert_into(staff_audit::table)
        .values((
            staff_audit::staff_id.eq(entry.staff_id),
            staff_audit::staff_email.eq(entry.staff_email),
            staff_audit::action.eq(entry.action),
            staff_audit::target.eq(entry.target),
            staff_audit::outcome.eq(entry.outcome.as_str()),
            staff_audit::details.eq(&entry.details),
        ))
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Recorded {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub staff_id: Uuid,
    pub staff_email: String,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub details: serde_json::Value,
}

/// Entries with an id below `before` (all when `None`), newest first, at most `limit`.
pub async fn page(conn: &mut AsyncPgConnection, before: Option<i64>, limit: i64) -> QueryResult<Vec<Recorded>> {
    let mut query = staff_audit::table.into_boxed();
    if let Some(before) = before {
        query = query.filter(staff_audit::id.lt(before));
    }
    query
        .order(staff_audit::id.desc())
        .limit(limit)
        .select((
            staff_audit::id,
            staff_audit::at,
            staff_audit::staff_id,
            staff_audit::staff_email,
            staff_audit::action,
            staff_audit::target,
            staff_audit::outcome,
            staff_audit::details,
        ))
        .load(conn)
        .await
}
