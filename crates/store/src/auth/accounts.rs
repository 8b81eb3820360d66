//! `accounts` as authentication state: the reads a sign-in needs (by login e-mail, any letter
//! case; only while the account's contact may sign in, i.e. is absent or active) and the
//! credential columns the gateway writes, the password hash and the verified flag. Accounts the
//! fans create themselves are in [`super::signup`]; moving and deleting accounts as their
//! contacts change belongs to `sync-worker`.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{accounts, contacts};

#[derive(Debug, Clone, Queryable)]
pub struct SignInAccount {
    pub subject: Uuid,
    pub login_email: String,
    /// `None` until a sign-up account is attached to its S-360 contact.
    pub contact_number: Option<String>,
    pub password_hash: Option<String>,
    /// Whether the address was proven by a mailed link; no client is signed in before.
    pub email_verified: bool,
    /// The language chosen at sign-up, for the mails of an account without a contact.
    pub language: Option<String>,
}

/// The account `email` signs in as, if its contact may sign in.
pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<SignInAccount>> {
    accounts::table
        .left_join(contacts::table.on(contacts::contact_number.nullable().eq(accounts::contact_number)))
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
            accounts::email_verified,
            accounts::language,
        ))
        .first(conn)
        .await
        .optional()
}

/// Whether the account exists and its contact may sign in.
pub async fn can_sign_in(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<bool> {
    diesel::select(may_sign_in(subject)).get_result(conn).await
}

/// [`can_sign_in`] as an SQL condition, for a statement that must check it as it writes.
#[diesel::dsl::auto_type]
pub fn may_sign_in(subject: Uuid) -> _ {
    diesel::dsl::exists(
        accounts::table
            .left_join(contacts::table.on(contacts::contact_number.nullable().eq(accounts::contact_number)))
            .filter(accounts::subject_id.eq(subject))
            .filter(contacts::state.is_null().or(contacts::state.eq("active"))),
    )
}

/// What the ID token says of an account: its own login e-mail and verified flag, and the
/// names and language of its contact as mirrored, or, while a sign-up account has no contact
/// yet, those the fan gave at sign-up.
#[derive(Debug, Clone, Queryable)]
pub struct Identity {
    pub login_email: String,
    pub email_verified: bool,
    pub contact_number: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub language: Option<String>,
}

/// The identity of an account whose contact may sign in; `None` otherwise.
pub async fn identity(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<Identity>> {
    accounts::table
        .left_join(contacts::table.on(contacts::contact_number.nullable().eq(accounts::contact_number)))
        .filter(accounts::subject_id.eq(subject))
        .filter(contacts::state.is_null().or(contacts::state.eq("active")))
        .select((
            accounts::login_email,
            accounts::email_verified,
            accounts::contact_number,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(
                "CASE WHEN contacts.contact_number IS NULL THEN accounts.given_name ELSE contacts.first_name END",
            ),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(
                "CASE WHEN contacts.contact_number IS NULL THEN accounts.family_name ELSE contacts.last_name END",
            ),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(
                "CASE WHEN contacts.contact_number IS NULL THEN accounts.language ELSE contacts.language END",
            ),
        ))
        .first(conn)
        .await
        .optional()
}

/// Sets a password chosen through a mailed link: the mailbox is proven, so the address is
/// verified too ([`super::signup::verify`]). Every session and refresh token of the account is
/// revoked. Returns the login e-mail and the contact number, for the notice.
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    hash: &str,
) -> QueryResult<(String, Option<String>)> {
    super::signup::verify(conn, subject).await?;
    let (email, number): (String, Option<String>) = diesel::update(accounts::table.find(subject))
        .set((accounts::password_hash.eq(hash), accounts::updated_at.eq(Utc::now())))
        .returning((accounts::login_email, accounts::contact_number))
        .get_result(conn)
        .await?;
    super::sessions::revoke_all(conn, subject).await?;
    Ok((email, number))
}

/// Removes the password of an account whose address was just proven by an e-mail code rather
/// than by its sign-up's own link: nothing shows that whoever chose it owns the mailbox, and
/// someone who registered the fan's address first would keep a way in (account pre-hijacking).
/// The fan signs in with codes, or sets a password through the forgotten-password link.
pub async fn drop_unproven_password(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<()> {
    diesel::update(
        accounts::table
            .find(subject)
            .filter(accounts::password_hash.is_not_null()),
    )
    .set((
        accounts::password_hash.eq(None::<String>),
        accounts::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await
    .map(drop)
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
