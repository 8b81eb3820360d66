//! `refresh_tokens`: refresh tokens keyed by their SHA-256, grouped in families (one per
//! grant). A token rotates at every use; presenting a spent one, or replaying the code a
//! family was issued from, revokes the family (RFC 9700 §4.14).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::schema::refresh_tokens;

/// What a new refresh token is issued for.
pub struct NewRefreshToken<'a> {
    pub family: Uuid,
    pub subject: Uuid,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub auth_time: DateTime<Utc>,
    /// The authorization code the family was issued from (its first token only).
    pub code_hash: Option<&'a [u8]>,
    pub lifetime: Duration,
}

#[derive(Debug, Queryable)]
pub struct StoredRefresh {
    pub family_id: Uuid,
    pub subject_id: Uuid,
    pub client_id: String,
    pub scope: String,
    pub auth_time: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A refresh token still usable, as introspection reports it.
#[derive(Debug, Queryable)]
pub struct LiveRefresh {
    pub client_id: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
    pub subject_id: Uuid,
}

/// What is stored of a token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub async fn insert(conn: &mut AsyncPgConnection, token: &str, new: &NewRefreshToken<'_>) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(hash(token)),
            refresh_tokens::family_id.eq(new.family),
            refresh_tokens::subject_id.eq(new.subject),
            refresh_tokens::client_id.eq(new.client_id),
            refresh_tokens::expires_at.eq(Utc::now() + new.lifetime),
            refresh_tokens::code_hash.eq(new.code_hash),
            refresh_tokens::scope.eq(new.scope),
            refresh_tokens::auth_time.eq(new.auth_time),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn find(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<Option<StoredRefresh>> {
    refresh_tokens::table
        .find(token_hash)
        .select((
            refresh_tokens::family_id,
            refresh_tokens::subject_id,
            refresh_tokens::client_id,
            refresh_tokens::scope,
            refresh_tokens::auth_time,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked_at,
        ))
        .first(conn)
        .await
        .optional()
}

/// The token if it is unused, unrevoked and unexpired.
pub async fn find_live(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<Option<LiveRefresh>> {
    refresh_tokens::table
        .find(token_hash)
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::expires_at.gt(Utc::now()))
        .select((
            refresh_tokens::client_id,
            refresh_tokens::scope,
            refresh_tokens::expires_at,
            refresh_tokens::subject_id,
        ))
        .first(conn)
        .await
        .optional()
}

/// Marks the token spent; `false` when it already was spent or revoked.
pub async fn mark_used(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<bool> {
    let marked = diesel::update(
        refresh_tokens::table
            .find(token_hash)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(marked == 1)
}

/// Revokes every token of a family (the grant ends).
pub async fn revoke_family(conn: &mut AsyncPgConnection, family: Uuid) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)))
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

/// Revokes the tokens issued from an authorization code (the code was replayed).
pub async fn revoke_issued_from_code(conn: &mut AsyncPgConnection, code_hash: &[u8]) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::code_hash.eq(code_hash)))
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

/// Whether any token of the family was revoked (a revoked family ends its access tokens too).
pub async fn family_revoked(conn: &mut AsyncPgConnection, family: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_not_null()),
    ))
    .get_result(conn)
    .await
}

/// The family and client of a token, whatever its state (revocation by refresh token).
pub async fn family_of(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<Option<(Uuid, String)>> {
    refresh_tokens::table
        .find(token_hash)
        .select((refresh_tokens::family_id, refresh_tokens::client_id))
        .first(conn)
        .await
        .optional()
}
