//! `revoked_tokens`: access tokens revoked before their expiry (RFC 7009), by `jti`. A row
//! is needed only until the token would have expired anyway.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::revoked_tokens;

/// Revokes the access token `jti` until `expires_at`.
pub async fn revoke(conn: &mut AsyncPgConnection, jti: Uuid, expires_at: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(revoked_tokens::table)
        .values((revoked_tokens::jti.eq(jti), revoked_tokens::expires_at.eq(expires_at)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}
