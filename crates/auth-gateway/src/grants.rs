//! Whether an access token's grant still stands: its `jti` not revoked, its grant (refresh
//! token family) not revoked, and its account still able to sign in. Checked by `/userinfo`,
//! `/introspect` and the forward-auth endpoint, so revocation takes effect at once.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sync_worker::db::schema::{accounts, contacts, refresh_tokens, revoked_tokens};

use crate::tokens::AccessClaims;

pub async fn is_active(conn: &mut AsyncPgConnection, claims: &AccessClaims) -> QueryResult<bool> {
    let (Ok(jti), Ok(subject)) = (uuid::Uuid::parse_str(&claims.jti), uuid::Uuid::parse_str(&claims.sub)) else {
        return Ok(false);
    };
    let revoked = diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti)))
        .get_result::<bool>(conn)
        .await?;
    if revoked {
        return Ok(false);
    }
    if let Ok(family) = uuid::Uuid::parse_str(&claims.sid) {
        let grant_revoked = diesel::select(diesel::dsl::exists(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family))
                .filter(refresh_tokens::revoked_at.is_not_null()),
        ))
        .get_result::<bool>(conn)
        .await?;
        if grant_revoked {
            return Ok(false);
        }
    }
    let can_sign_in = diesel::select(diesel::dsl::exists(
        accounts::table
            .left_join(contacts::table.on(contacts::contact_number.eq(accounts::contact_number)))
            .filter(accounts::subject_id.eq(subject))
            .filter(contacts::state.is_null().or(contacts::state.eq("active"))),
    ))
    .get_result::<bool>(conn)
    .await?;
    Ok(can_sign_in)
}

/// Revokes one access token until it would have expired anyway.
pub async fn revoke_access_token(conn: &mut AsyncPgConnection, claims: &AccessClaims) -> QueryResult<()> {
    let Ok(jti) = uuid::Uuid::parse_str(&claims.jti) else {
        return Ok(());
    };
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    diesel::insert_into(revoked_tokens::table)
        .values((revoked_tokens::jti.eq(jti), revoked_tokens::expires_at.eq(expires)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}
