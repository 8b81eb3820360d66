//! `password_tokens`: single-use links mailed to an account: set-password links (forgotten
//! password, first password of an imported account) and address verification after sign-up. The token rules (format, hash, lifetimes) are in
//! [`crate::password_link`]; the worker creates first-password links in bulk with the same
//! rules (`sync-worker`'s follow-ups).

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{password_link::NewToken, schema::password_tokens};

/// Issues a link token for `subject` (its older links stop working) and returns it, unless
/// `per_hour` were issued in the last hour (`None`). One decision at a time per account (its
/// row is locked), so the limit holds under concurrency. One implementation for the gateway's
/// forgotten-password form, its sign-up verification links ([`issue_in`]) and the support
/// console's "resend".
pub async fn issue(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    purpose: &str,
    lifetime: Duration,
    per_hour: i64,
) -> anyhow::Result<Option<String>> {
    use diesel_async::AsyncConnection;
    let purpose = purpose.to_owned();
    conn.transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
        issue_in(tx, subject, &purpose, lifetime, per_hour).await
    })
    .await
    .map_err(Into::into)
}

/// [`issue`] inside the caller's transaction (a sign-up issues its first link in the
/// transaction that creates the account). Without system randomness the transaction is rolled
/// back.
pub async fn issue_in(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    purpose: &str,
    lifetime: Duration,
    per_hour: i64,
) -> QueryResult<Option<String>> {
    super::accounts::lock(conn, subject).await?;
    if created_last_hour(conn, subject).await? >= per_hour {
        return Ok(None);
    }
    let Some(new) = crate::password_link::new_token() else {
        return Err(diesel::result::Error::RollbackTransaction);
    };
    replace(conn, subject, &new, purpose, lifetime).await?;
    Ok(Some(new.token))
}

/// Links created for the account in the last hour.
pub async fn created_last_hour(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<i64> {
    password_tokens::table
        .filter(password_tokens::subject_id.eq(subject))
        .filter(password_tokens::created_at.gt(Utc::now() - Duration::hours(1)))
        .count()
        .get_result(conn)
        .await
}

/// Stores a new link for the account, retiring its older unused ones.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    new: &NewToken,
    purpose: &str,
    lifetime: Duration,
) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(
        password_tokens::table
            .filter(password_tokens::subject_id.eq(subject))
            .filter(password_tokens::used_at.is_null()),
    )
    .set(password_tokens::used_at.eq(now))
    .execute(conn)
    .await?;
    diesel::insert_into(password_tokens::table)
        .values((
            password_tokens::token_hash.eq(&new.hash),
            password_tokens::subject_id.eq(subject),
            password_tokens::purpose.eq(purpose),
            password_tokens::expires_at.eq(now + lifetime),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Whether a link's token is unused, unexpired and for one of `purposes`.
pub async fn is_valid(conn: &mut AsyncPgConnection, hash: &[u8], purposes: &[&str]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        password_tokens::table
            .find(hash)
            .filter(password_tokens::purpose.eq_any(purposes))
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(Utc::now())),
    ))
    .get_result(conn)
    .await
}

/// Uses a link for one of `purposes`: of two concurrent uses only one gets the account back.
pub async fn consume(conn: &mut AsyncPgConnection, hash: &[u8], purposes: &[&str]) -> QueryResult<Option<Uuid>> {
    let now = Utc::now();
    diesel::update(
        password_tokens::table
            .find(hash)
            .filter(password_tokens::purpose.eq_any(purposes))
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(now)),
    )
    .set(password_tokens::used_at.eq(now))
    .returning(password_tokens::subject_id)
    .get_result(conn)
    .await
    .optional()
}
