//! Erasure requests (`erasure_requests`, written by `store::auth::erasure` when a fan deletes
//! their account) as the console's data-protection page shows them, and their completion: once
//! the team has anonymised the contact and removed the SSO link in the S-360 back office (its
//! contact API offers neither), an admin marks the request completed, recording who and when.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::erasure_requests;

/// Open requests shown, oldest first.
const LIST_LIMIT: i64 = 100;

#[derive(Debug, Clone, Queryable)]
pub struct Request {
    pub id: i64,
    pub subject_id: Uuid,
    pub contact_number: Option<String>,
    pub requested_at: DateTime<Utc>,
    /// What is left for the organisation, by item (`s360_contact`, `sso_link`).
    pub pending: serde_json::Value,
}

/// The open requests, oldest first (on `erasure_requests_open_idx`).
pub async fn open(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Request>> {
    erasure_requests::table
        .filter(erasure_requests::completed_at.is_null())
        .order((erasure_requests::requested_at.asc(), erasure_requests::id.asc()))
        .select((
            erasure_requests::id,
            erasure_requests::subject_id,
            erasure_requests::contact_number,
            erasure_requests::requested_at,
            erasure_requests::pending,
        ))
        .limit(LIST_LIMIT)
        .load(conn)
        .await
}

/// Marks the open request `id` completed by `staff_id`, now; `false` when it is not open
/// (already completed, or no such request).
pub async fn complete(conn: &mut AsyncPgConnection, id: i64, staff_id: Uuid) -> QueryResult<bool> {
    diesel::update(erasure_requests::table.find(id))
        .filter(erasure_requests::completed_at.is_null())
        .set((
            erasure_requests::completed_at.eq(Utc::now()),
            erasure_requests::completed_by.eq(staff_id),
        ))
        .execute(conn)
        .await
        .map(|rows| rows == 1)
}
