//! `accounts` as authentication state: the reads a sign-in needs (by login e-mail, any letter
//! case; only while the account's contact may sign in, i.e. is absent or active) and the only
//! columns the gateway writes, the password hash and the verified flag. Creating, moving and
//! deleting accounts follows the contacts and belongs to `sync-worker`.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{accounts, contacts};

#[derive(Debug, Clone, Queryable)]
pub struct SignInAccount {
    pub subject: Uuid,
    pub login_email: String,
    pub contact_number: String,
    pub password_hash: Option<String>,
}

/// The account `email` signs in as, if its contact may sign in.
pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<SignInAccount>> {
    accounts::table
        .left_join(contacts::table.on(contacts::contact_number.eq(accounts::contact_number)))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(accounts.login_email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .filter(contacts::state.is_null().or(contacts::state.eq("active")))
        .select((
            accounts::subject_id,
            accounts::login_email,
            accounts::contact_number,
            accounts::password_hash,
        ))
        .first(conn)
        .await
        .optional()
}

/// Whether the account exists and its contact may sign in.
pub async fn can_sign_in(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        accounts::table
            .left_join(contacts::table.on(contacts::contact_number.eq(accounts::contact_number)))
            .filter(accounts::subject_id.eq(subject))
            .filter(contacts::state.is_null().or(contacts::state.eq("active"))),
    ))
    .get_result(conn)
    .await
}

/// What the ID token says of an account: its own login e-mail and verified flag, and the
/// names and language of its contact as mirrored.
#[derive(Debug, Clone, Queryable)]
pub struct Identity {
    pub login_email: String,
    pub email_verified: bool,
    pub contact_number: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub language: Option<String>,
}

/// The identity of an account whose contact may sign in; `None` otherwise.
pub async fn identity(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<Identity>> {
    accounts::table
        .left_join(contacts::table.on(contacts::contact_number.eq(accounts::contact_number)))
        .filter(accounts::subject_id.eq(subject))
        .filter(contacts::state.is_null().or(contacts::state.eq("active")))
        .select((
            accounts::login_email,
            accounts::email_verified,
            accounts::contact_number,
            contacts::first_name.nullable(),
            contacts::last_name.nullable(),
            contacts::language.nullable(),
        ))
        .first(conn)
        .await
        .optional()
}

/// Sets a password chosen through a mailed link: the mailbox is proven, so the address is
/// verified too. Every session and refresh token of the account is revoked. Returns the login
/// e-mail and the contact number, for the notice.
pub async fn set_password(conn: &mut AsyncPgConnection, subject: Uuid, hash: &str) -> QueryResult<(String, String)> {
    let (email, number): (String, String) = diesel::update(accounts::table.find(subject))
        .set((
            accounts::password_hash.eq(hash),
            accounts::email_verified.eq(true),
            accounts::updated_at.eq(Utc::now()),
        ))
        .returning((accounts::login_email, accounts::contact_number))
        .get_result(conn)
        .await?;
    super::sessions::revoke_all(conn, subject).await?;
    Ok((email, number))
}

/// Replaces the hash `old` with `new`, the same password under the current parameters, unless
/// the password changed meanwhile. Returns whether it was replaced.
pub async fn rehash_password(conn: &mut AsyncPgConnection, subject: Uuid, old: &str, new: &str) -> QueryResult<bool> {
    let updated = diesel::update(accounts::table.find(subject).filter(accounts::password_hash.eq(old)))
        .set((accounts::password_hash.eq(new), accounts::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    Ok(updated == 1)
}

/// Locks the account's row until the transaction ends: one decision at a time per account
/// (the hourly limit on set-password links holds under concurrency).
pub async fn lock(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<()> {
    accounts::table
        .find(subject)
        .select(accounts::subject_id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .map(drop)
}

/// The account's password hash, to confirm the fan before an irreversible step (`None`: no
/// such account, or no password set).
pub async fn password_hash(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<String>> {
    Ok(accounts::table
        .find(subject)
        .select(accounts::password_hash)
        .first::<Option<String>>(conn)
        .await
        .optional()?
        .flatten())
}
