//! Accounts the fans create themselves (`/signup`): registered unverified, with the profile the
//! fan gave, and verified by a mailed link (or a set-password link, which proves the mailbox as
//! well). Verification is also when such an account asks `sync-worker` for its S-360 contact
//! (`contact_creations`): an address nobody proved never reaches S-360, which trusts it as
//! verified.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{accounts, contact_creations};

/// What a fan typed on the sign-up form, checked by the gateway.
#[derive(Debug, Clone)]
pub struct NewFan<'a> {
    pub email: &'a str,
    /// `None` for a fan signing up through an upstream provider (social sign-in).
    pub password_hash: Option<&'a str>,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub language: &'a str,
    pub newsletter: bool,
}

/// What a sign-up did; the fan sees the same page whichever it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// A new, unverified account: mail it a verification link.
    Created(Uuid),
    /// The address had an unverified sign-up nobody confirmed: it now holds this sign-up's
    /// password and profile (whoever owns the mailbox decides by verifying); mail a new link.
    Renewed(Uuid),
    /// The address belongs to an account already: tell its owner, change nothing.
    Taken {
        subject: Uuid,
        login_email: String,
        contact_number: Option<String>,
        language: Option<String>,
    },
}

/// Registers `fan` in the caller's transaction (which should commit before any mail is sent).
pub async fn register(conn: &mut AsyncPgConnection, fan: &NewFan<'_>) -> QueryResult<Registered> {
    type Existing = (Uuid, String, Option<String>, Option<String>, String, bool);
    let by_email = || {
        accounts::table
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(accounts.login_email) = lower(")
                    .bind::<diesel::sql_types::Text, _>(fan.email)
                    .sql(")"),
            )
            .select((
                accounts::subject_id,
                accounts::login_email,
                accounts::contact_number,
                accounts::language,
                accounts::origin,
                accounts::email_verified,
            ))
            .for_update()
    };
    let mut existing: Option<Existing> = by_email().first(conn).await.optional()?;
    if existing.is_none() {
        let now = Utc::now();
        // Two sign-ups for one address at once: the unique index lets one insert through; the
        // other finds its row.
        let created: Option<Uuid> = diesel::insert_into(accounts::table)
            .values((
                accounts::login_email.eq(fan.email),
                accounts::password_hash.eq(fan.password_hash),
                accounts::origin.eq("signup"),
                accounts::given_name.eq(fan.given_name),
                accounts::family_name.eq(fan.family_name),
                accounts::language.eq(fan.language),
                accounts::newsletter.eq(fan.newsletter),
                accounts::privacy_accepted_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .returning(accounts::subject_id)
            .get_result(conn)
            .await
            .optional()?;
        if let Some(subject) = created {
            return Ok(Registered::Created(subject));
        }
        existing = by_email().first(conn).await.optional()?;
    }
    let Some((subject, login_email, contact_number, language, origin, verified)) = existing else {
        return Err(diesel::result::Error::NotFound);
    };
    if origin == "signup" && !verified && contact_number.is_none() {
        diesel::update(accounts::table.find(subject))
            .set((
                accounts::login_email.eq(fan.email),
                accounts::password_hash.eq(fan.password_hash),
                accounts::given_name.eq(fan.given_name),
                accounts::family_name.eq(fan.family_name),
                accounts::language.eq(fan.language),
                accounts::newsletter.eq(fan.newsletter),
                accounts::privacy_accepted_at.eq(Utc::now()),
                accounts::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        return Ok(Registered::Renewed(subject));
    }
    // The owner is written to in the language of their contact, if they have one.
    let language = match (&language, &contact_number) {
        (None, Some(number)) => super::mail_language::contact_language(conn, number).await?,
        _ => language,
    };
    Ok(Registered::Taken {
        subject,
        login_email,
        contact_number,
        language,
    })
}

/// Marks the account's address verified (the mailbox was proven by a link). The first time,
/// an account without a contact asks for one (`contact_creations`). Returns whether the account
/// was unverified until now.
pub async fn verify(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<bool> {
    let now = Utc::now();
    let contact: Option<Option<String>> =
        diesel::update(accounts::table.find(subject).filter(accounts::email_verified.eq(false)))
            .set((
                accounts::email_verified.eq(true),
                accounts::verified_at.eq(now),
                accounts::updated_at.eq(now),
            ))
            .returning(accounts::contact_number)
            .get_result(conn)
            .await
            .optional()?;
    let Some(contact) = contact else {
        return Ok(false);
    };
    if contact.is_none() {
        diesel::insert_into(contact_creations::table)
            .values(contact_creations::subject_id.eq(subject))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(true)
}

/// Where an account stands with its S-360 contact, for the fan's own pages and the support
/// desk: `None` when it has no request (imported accounts).
pub async fn contact_request(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<String>> {
    contact_creations::table
        .find(subject)
        .select(contact_creations::state)
        .first(conn)
        .await
        .optional()
}
