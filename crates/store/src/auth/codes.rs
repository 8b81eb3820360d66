//! `authorization_codes`: codes of the authorization code flow (RFC 6749 §4.1), keyed by the
//! SHA-256 of the code, which only the client sees. A code is single-use: [`mark_used`] is the
//! one point of truth between concurrent redemptions. A code carries its session's sign-in time
//! and method ([`AuthMethod`]) to the token endpoint, for the ID token's `auth_time` and `amr`.
//! The `claims` request parameter a code was issued with, if any, is kept beside it in
//! `claims_requests`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::method::AuthMethod;
use crate::schema::{authorization_codes, claims_requests};

/// What a new code is issued for.
pub struct NewCode<'a> {
    pub client_id: &'a str,
    pub subject: Uuid,
    pub session_id: &'a [u8],
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    /// How the session was opened.
    pub method: AuthMethod,
    pub lifetime: Duration,
    /// Claims asked for with the `claims` request parameter (OIDC Core §5.5), by name.
    pub claims: &'a RequestedClaims,
}

/// The claims a `claims` request parameter asked for beyond the scopes, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable)]
pub struct RequestedClaims {
    /// In the ID token.
    pub id_token: Vec<String>,
    /// From userinfo.
    pub userinfo: Vec<String>,
}

impl RequestedClaims {
    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty() && self.userinfo.is_empty()
    }
}

#[derive(Debug, Queryable)]
pub struct StoredCode {
    pub client_id: String,
    pub subject_id: Uuid,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// The session the code was issued in (gone once that session's account is deleted).
    pub session_id: Option<Vec<u8>>,
    /// What its `claims` request parameter asked for, when it had one.
    pub claims: Option<RequestedClaims>,
    /// How the session it was issued in was opened.
    pub method: AuthMethod,
}

/// What is stored of a code.
pub fn hash(code: &str) -> Vec<u8> {
    Sha256::digest(code.as_bytes()).to_vec()
}

/// Stores a code, and its claims request when it has one. Two statements: a failure between
/// them leaves a code no client was given.
pub async fn insert(conn: &mut AsyncPgConnection, code: &str, new: &NewCode<'_>) -> QueryResult<()> {
    diesel::insert_into(authorization_codes::table)
        .values((
            authorization_codes::code_hash.eq(hash(code)),
            authorization_codes::client_id.eq(new.client_id),
            authorization_codes::subject_id.eq(new.subject),
            authorization_codes::session_id.eq(new.session_id),
            authorization_codes::redirect_uri.eq(new.redirect_uri),
            authorization_codes::scope.eq(new.scope),
            authorization_codes::nonce.eq(new.nonce),
            authorization_codes::code_challenge.eq(new.code_challenge),
            authorization_codes::auth_time.eq(new.auth_time),
            authorization_codes::auth_method.eq(new.method),
            authorization_codes::expires_at.eq(Utc::now() + new.lifetime),
        ))
        .execute(conn)
        .await?;
    if new.claims.is_empty() {
        return Ok(());
    }
    diesel::insert_into(claims_requests::table)
        .values((
            claims_requests::code_hash.eq(hash(code)),
            claims_requests::id_token.eq(&new.claims.id_token),
            claims_requests::userinfo.eq(&new.claims.userinfo),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn find(conn: &mut AsyncPgConnection, code_hash: &[u8]) -> QueryResult<Option<StoredCode>> {
    authorization_codes::table
        .left_join(claims_requests::table)
        .filter(authorization_codes::code_hash.eq(code_hash))
        .select((
            authorization_codes::client_id,
            authorization_codes::subject_id,
            authorization_codes::redirect_uri,
            authorization_codes::scope,
            authorization_codes::nonce,
            authorization_codes::code_challenge,
            authorization_codes::auth_time,
            authorization_codes::expires_at,
            authorization_codes::used_at,
            authorization_codes::session_id,
            (claims_requests::id_token, claims_requests::userinfo).nullable(),
            authorization_codes::auth_method,
        ))
        .first(conn)
        .await
        .optional()
}

/// Marks the code used; `false` when it already was (a replay).
pub async fn mark_used(conn: &mut AsyncPgConnection, code_hash: &[u8]) -> QueryResult<bool> {
    let marked = diesel::update(
        authorization_codes::table
            .find(code_hash)
            .filter(authorization_codes::used_at.is_null()),
    )
    .set(authorization_codes::used_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(marked == 1)
}

/// The clients that redeemed a code issued in a session: the relying parties the fan is
/// signed in to through it.
pub async fn clients_of_session(conn: &mut AsyncPgConnection, session_id: &[u8]) -> QueryResult<Vec<String>> {
    authorization_codes::table
        .filter(authorization_codes::session_id.eq(session_id))
        .filter(authorization_codes::used_at.is_not_null())
        .select(authorization_codes::client_id)
        .distinct()
        .load(conn)
        .await
}
