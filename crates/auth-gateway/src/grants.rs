//! An access token's claims as the grant `store::auth::grants` checks and revokes.

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use store::auth::{grants, revoked_tokens};

use crate::tokens::AccessClaims;

/// Whether the token's grant still stands; a token whose identifiers do not parse never does.
pub async fn is_active(conn: &mut AsyncPgConnection, claims: &AccessClaims) -> QueryResult<bool> {
    let (Ok(jti), Ok(subject)) = (uuid::Uuid::parse_str(&claims.jti), uuid::Uuid::parse_str(&claims.sub)) else {
        return Ok(false);
    };
    let family = uuid::Uuid::parse_str(&claims.sid).ok();
    grants::is_active(conn, &grants::Grant { jti, subject, family }).await
}

/// Revokes one access token until it would have expired anyway.
pub async fn revoke_access_token(conn: &mut AsyncPgConnection, claims: &AccessClaims) -> QueryResult<()> {
    let Ok(jti) = uuid::Uuid::parse_str(&claims.jti) else {
        return Ok(());
    };
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    revoked_tokens::revoke(conn, jti, expires).await
}
